/**
 * Types of the WebGPU namespace's whole-loop solver hooks (`xp.solvers`): the fused CG fast
 * path that `cg` uses for shared-pattern CSR operators (optionally Jacobi-preconditioned), its
 * tuning knobs and the statistics of its last run.
 *
 * @module
 */
import type { CgKernelProblem, CgKernelResult, SolverHooks } from "../../array_api/types.ts";
import type { WebGpuArray } from "./webgpu_array.ts";

/**
 * Tuning of the fused CG (defaults are what `cg` uses; benchmarks change them).
 *
 * @example
 * ```ts
 * import type { WebGpuCgTuning } from "./solvers.ts";
 * const t: WebGpuCgTuning = { format: "csr", maxChunk: 64 };
 * ```
 */
export interface WebGpuCgTuning {
  /** Operator storage: `"auto"` (default: DIA when the entries lie on ≤ 32 diagonals filled to
   * ≥ 50 %, else CSR), `"dia"` (when the pattern allows it) or `"csr"`. */
  format?: "auto" | "dia" | "csr";
  /** Threads per workgroup (a power of two, 64–1024; default 256). */
  workgroupSize?: number;
  /** Rows per thread and loop trip in the two iteration kernels, all loads issued before the
   * stores (1–8, default 4; the SpMV kernel unrolls for DIA only). */
  unroll?: number;
  /** Workgroups per system; default about two unrolled trips per thread, capped at 2¹⁸
   * threads. */
  workgroupsPerSystem?: number;
  /** Iterations in the first command buffer (default 16); later ones double up to `maxChunk`. */
  firstChunk?: number;
  /** Iterations per command buffer and status snapshot at most (default 128). */
  maxChunk?: number;
  /** GPU time (ms) kept queued beyond the last snapshot read back (default 25). */
  aheadMs?: number;
  /** Relative margin on the predicted convergence iteration before more is queued (default
   * 0.1). */
  margin?: number;
}

/**
 * One command buffer of a fused CG run (see {@linkcode WebGpuCgStats.chunks}).
 *
 * @example
 * ```ts
 * import type { WebGpuCgChunk } from "./solvers.ts";
 * const c: WebGpuCgChunk = {
 *   from: 0, to: 16, gpuUs: 500, gpuStartUs: 0, submitMs: 1, readMs: 12, active: 1,
 * };
 * ```
 */
export interface WebGpuCgChunk {
  /** Iterations before the chunk. */
  readonly from: number;
  /** Iterations after it. */
  readonly to: number;
  /** GPU time of its compute pass in µs (timestamp queries), or null without them. */
  readonly gpuUs: number | null;
  /** Start of its compute pass on the GPU clock, µs after the first chunk's start (null
   * without timestamp queries). */
  readonly gpuStartUs: number | null;
  /** Host time of its submit, ms after the call. */
  readonly submitMs: number;
  /** Host time its snapshot was read, ms after the call. */
  readonly readMs: number;
  /** Systems still active at its snapshot. */
  readonly active: number;
}

/**
 * What the last fused CG run did (see {@linkcode WebGpuSolvers.lastCgStats}).
 *
 * @example
 * ```ts
 * import type { WebGpuCgStats } from "./solvers.ts";
 * let s: WebGpuCgStats | null = null;
 * ```
 */
export interface WebGpuCgStats {
  /** Storage format used. */
  readonly format: "dia" | "csr";
  /** Diagonals stored (DIA), 0 for CSR. */
  readonly diagonals: number;
  /** Workgroups per system. */
  readonly workgroupsPerSystem: number;
  /** Threads per workgroup. */
  readonly workgroupSize: number;
  /** Number of systems. */
  readonly systems: number;
  /** Unknowns per system. */
  readonly n: number;
  /** Largest iteration count of a system. */
  readonly iterations: number;
  /** Iterations encoded (≥ `iterations`: the rest ran frozen). */
  readonly encodedIterations: number;
  /** Command buffers submitted. */
  readonly chunkCount: number;
  /** Snapshots read back. */
  readonly snapshots: number;
  /** Host time from the call to the first submit (ms). */
  readonly setupMs: number;
  /** Host time of the whole call (ms). */
  readonly wallMs: number;
  /** Mean GPU time per iteration (µs) over chunks in which some system was active and that
   * did not contain the initialization, from timestamp queries; null without them. */
  readonly gpuUsPerIteration: number | null;
  /** Modelled DRAM traffic of one iteration (bytes). */
  readonly bytesPerIteration: number;
  /** GPU bytes allocated by the solve (vectors, scratch; pool size classes). */
  readonly solverBytes: number;
  /** GPU bytes of the cached DIA copy of the operator (0 for CSR). */
  readonly diaBytes: number;
  /** Host time spent recording and finishing command buffers (ms). */
  readonly hostEncodeMs: number;
  /** Host time spent in `queue.submit` (ms). */
  readonly hostSubmitMs: number;
  /** Per-chunk log. */
  readonly chunks: readonly WebGpuCgChunk[];
}

/**
 * The WebGPU namespace's {@linkcode SolverHooks}: `cg` runs the whole CG loop with pre-built
 * kernels (two dispatches per iteration, chunked command buffers, pipelined status
 * snapshots) for shared-pattern float32 CSR operators, returning `null` (portable loop) for
 * anything else.
 *
 * @example
 * ```ts
 * import { webgpu } from "./mod.ts";
 * const xp = await webgpu();
 * xp.solvers.tuning = { maxChunk: 64 };
 * console.log(xp.solvers.lastCgStats); // null before the first fused solve
 * ```
 */
export interface WebGpuSolvers extends SolverHooks<WebGpuArray> {
  /** Fused CG (see {@linkcode SolverHooks.cg}); null when the problem is not supported. */
  cg(problem: CgKernelProblem<WebGpuArray>): Promise<CgKernelResult<WebGpuArray>> | null;
  /** Tuning used by the next solves. */
  tuning: WebGpuCgTuning;
  /** Statistics of the last fused CG solve (null before the first). */
  readonly lastCgStats: WebGpuCgStats | null;
}
