/**
 * The WebGPU backend: `await webgpu()` returns an array namespace whose arrays
 * ({@linkcode WebGpuArray}) live in `GPUBuffer`s. It implements the whole array API namespace
 * of this package (creation, elementwise with broadcasting, manipulation, reductions over any
 * axes, `matmul`/`vecdot`, `linalg` for small dense batches) plus the `fuse`, `csrMatvec` and
 * `csrMatmat` kernels the solvers use.
 *
 * How it runs:
 * - **Lazy**: every call records compute dispatches into one open compute pass and returns at
 *   once; only `toHost` waits (it submits, copies into a staging buffer and maps it). Work is
 *   also submitted automatically after many dispatches, or by `xp.flush()`.
 * - **Memory**: buffers come from a size-class pool; views (`reshape`, `permute_dims`, `flip`,
 *   `broadcast_to`, `linalg.diagonal`, …) share them; `xp.dispose` returns storage to the pool
 *   and a `FinalizationRegistry` returns the storage of arrays dropped without it.
 * - **dtypes**: float32 (default), int32, uint32, bool (32-bit), float16 with `shader-f16`.
 *   No float64: asking for it is a `TypeError` pointing to the CPU backend or to
 *   mixed-precision refinement.
 * - **Errors**: bad arguments throw at the call (`TypeError`/`RangeError` naming shapes and
 *   dtypes); GPU validation errors, device loss, and data errors found by kernels (singular
 *   matrix in `linalg.solve`/`inv`, indefinite matrix in `cholesky`, `take` index out of range)
 *   reject the next `toHost` with a message naming the operation.
 * - **Limits**: one array fits one storage binding (`maxStorageBufferBindingSize`, else a
 *   `RangeError`); `linalg` factorizations run one workgroup per matrix (solve/inv/det/cholesky
 *   n ≤ 2048, qr min(M, N) ≤ 1024, svd/eigh/lstsq min(M, N) ≤ 512).
 *
 * @example
 * ```ts
 * import { webgpu } from "@krylov/linalg/backends/webgpu";
 * const xp = await webgpu();
 * const A = xp.asarray([[4, 1], [1, 3]]);
 * const x = xp.linalg.solve(A, xp.asarray([1, 2]));
 * console.log(await xp.toHost(x)); // Float32Array [0.0909…, 0.6363…]
 * xp.dispose(A, x);
 * ```
 *
 * @module
 */
export { webgpu } from "./webgpu.ts";
export type { WebGpuNamespace, WebGpuOptions, WebGpuStats } from "./webgpu.ts";
export { WebGpuArray } from "./webgpu_array.ts";
export type { WebGpuCgChunk, WebGpuCgStats, WebGpuCgTuning, WebGpuSolvers } from "./solvers.ts";
// The interface types that the WebGPU API refers to (documentation completeness).
export type * from "../../array_api/types.ts";
