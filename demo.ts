/**
 * `deno task demo`: batched conjugate gradients on a family of 2-D Poisson problems, on the CPU
 * (float64) and, when a WebGPU adapter exists, on WebGPU (float32), with a summary table and an
 * SVG convergence plot. Runs offline in a few seconds.
 *
 * The batch: `A_k = poisson2d(n) + σ_k·I` (one shared sparsity pattern, per-system values)
 * with shifts `σ_k` from 0 to about 4, so the systems have condition numbers from ~n² down to
 * ~3 and need very different iteration counts; `b_k` are seeded random vectors. All systems
 * are solved by one `cg` call, each with its own threshold, iteration count and status.
 *
 * ```sh
 * deno task demo                       # 8 systems on a 64×64 grid, plot → krylov-demo.svg
 * deno run -A demo.ts --size 32 --systems 20 --backend cpu --plot /tmp/demo.svg
 * ```
 *
 * @example
 * ```ts
 * import { main } from "./demo.ts";
 * const status = await main(["--size", "16", "--systems", "4", "--backend", "cpu",
 *   "--plot", await Deno.makeTempFile({ suffix: ".svg" })]);
 * console.log(status); // 0
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { ArrayObject, FloatDType } from "./array_api/types.ts";
import { cpu } from "./backends/cpu/mod.ts";
import { cg } from "./linalg/cg.ts";
import type { SolveResult } from "./linalg/types.ts";
import type { CsrArray } from "./sparse/csr_array.ts";
import { mulberry32, poisson2d } from "./sparse/gallery.ts";
import { type Backend, cpuBackend, firstLine, probeWebGpu, webgpuBackend } from "./cli/_backend.ts";
import { duration, maxOf, range, sci, table } from "./cli/_format.ts";
import { type CliIO, denoIO } from "./cli/cli_io.ts";
import { type ConvergenceGroup, convergencePlotSvg } from "./cli/convergence_plot.ts";
import { UsageError } from "./cli/usage_error.ts";

const HELP = `Usage: deno task demo [options]     (deno run -A demo.ts [options])

Solves a batch of shifted 2-D Poisson problems A_k = poisson2d(n) + σ_k·I with random b_k by
batched cg: float64 on the CPU, and float32 on WebGPU when an adapter exists. Prints a table
and writes an SVG convergence plot.

Options:
  --size N       grid points per side (default 64: N² = 4096 unknowns per system)
  --systems K    systems in the batch (default 8; above 12 the plot shows a band + median)
  --backend B    all | cpu | webgpu (default all: webgpu runs only when an adapter exists)
  --plot FILE    SVG output (default krylov-demo.svg in the current directory)
  -h, --help     this help
`;

/** One backend's run, for the table and the plot. */
interface Run {
  readonly backend: string;
  readonly device: string;
  readonly dtype: FloatDType;
  readonly rtol: number;
  readonly result: SolveResult<ArrayObject>;
  readonly relative: Float64Array;
  readonly ms: number;
  readonly warmupMs?: number;
}

/**
 * Runs the demo with command-line arguments (see `--help`) and returns the exit status: 0 when
 * every system converged on every backend that ran, 1 otherwise, 2 for a usage error.
 *
 * @example
 * ```ts
 * import { main } from "./demo.ts";
 * await main(["--help"]);
 * ```
 */
export async function main(args: readonly string[], io: CliIO = denoIO()): Promise<number> {
  try {
    return await run(args, io);
  } catch (e) {
    io.stderr(`error: ${firstLine(e)}\n`);
    return 2;
  }
}

async function run(args: readonly string[], io: CliIO): Promise<number> {
  let v;
  try {
    v = parseArgs({
      args: [...args],
      options: {
        size: { type: "string" },
        systems: { type: "string" },
        backend: { type: "string" },
        plot: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }).values;
  } catch (e) {
    throw new UsageError(`${firstLine(e)} (see --help)`);
  }
  if (v.help) {
    io.stdout(HELP);
    return 0;
  }
  const n = intOption("--size", v.size, 64, 2, 1024);
  const K = intOption("--systems", v.systems, 8, 1, 4096);
  const which = v.backend ?? "all";
  if (!["all", "cpu", "webgpu"].includes(which)) {
    throw new UsageError(`--backend must be all, cpu or webgpu; got ${JSON.stringify(which)}`);
  }
  const plotPath = v.plot ?? "krylov-demo.svg";
  const out = io.stdout;

  // ---- the batch of problems (host, float64)
  const base = poisson2d(n);
  const nnz = base.nnz, N = n * n;
  const baseVals = (await cpu.toHost(base.data)) as Float64Array;
  const diagPos: number[] = [];
  for (let i = 0; i < N; i++) {
    for (let p = base.indptr[i]; p < base.indptr[i + 1]; p++) {
      if (base.indices[p] === i) diagPos.push(p);
    }
  }
  const shifts = Array.from(
    { length: K },
    (_, k) =>
      k === 0 ? 0 : Number((10 ** (-3 + (3.6 * (k - 1)) / Math.max(K - 2, 1))).toPrecision(2)),
  );
  const vals = new Float64Array(K * nnz);
  const rhs = new Float64Array(K * N);
  for (let k = 0; k < K; k++) {
    vals.set(baseVals, k * nnz);
    for (const p of diagPos) vals[k * nnz + p] += shifts[k];
    const rand = mulberry32(1234 + k);
    for (let i = 0; i < N; i++) rhs[k * N + i] = 2 * rand() - 1;
  }
  const A = base.withData(cpu.reshape(cpu.asarray(vals), [K, nnz]));
  const bNorm = Array.from({ length: K }, (_, k) => {
    let s = 0;
    for (let i = 0; i < N; i++) s += rhs[k * N + i] ** 2;
    return Math.sqrt(s);
  });
  out(
    `Batched cg on ${K} shifted 2-D Poisson problem${K === 1 ? "" : "s"}: ` +
      `A_k = poisson2d(${n}) + σ_k·I (${N} unknowns, ${nnz} stored entries each), ` +
      `σ_k = ${shifts.slice(0, 8).join(", ")}${K > 8 ? ", …" : ""}; random b_k.\n`,
  );

  const runs: Run[] = [];
  const solve = async (
    be: Backend,
    dtype: FloatDType,
    rtol: number,
    warmup: boolean,
  ): Promise<Run> => {
    const xp = be.xp;
    const Ab = be.name === "cpu"
      ? A as unknown as CsrArray<ArrayObject>
      : await A.to(xp, { dtype });
    const b0 = xp.asarray(rhs, { dtype });
    const b = xp.reshape(b0, [K, N]);
    let warmupMs: number | undefined;
    try {
      if (warmup) {
        // compiles the GPU pipelines, so the timed solve measures the iterations
        const t = performance.now();
        const w = await cg(Ab, b, { rtol, maxiter: 3 });
        xp.dispose(w.x);
        warmupMs = performance.now() - t;
      }
      const t = performance.now();
      const result = await cg(Ab, b, { rtol, history: true });
      const ms = performance.now() - t;
      xp.dispose(result.x);
      const relative = Float64Array.from(result.residualNorm, (r, k) => r / bNorm[k]);
      return { backend: be.name, device: be.device, dtype, rtol, result, relative, ms, warmupMs };
    } finally {
      xp.dispose(b, b0);
      if ((Ab as unknown) !== A) Ab.dispose();
    }
  };

  if (which !== "webgpu") {
    out("cpu:    float64 on the CPU backend (JS typed arrays)\n");
    runs.push(await solve(cpuBackend(), "float64", 1e-8, false));
  }
  if (which !== "cpu") {
    const probe = await probeWebGpu();
    if (!probe.ok) {
      out(`webgpu: skipped: ${probe.reason}\n`);
      if (which === "webgpu") return 1;
    } else {
      out(`webgpu: adapter "${probe.description}"\n`);
      if (/software fallback/.test(probe.description)) {
        out("        (a software adapter: its timings are CPU timings, not GPU ones)\n");
      }
      let be: Backend | undefined;
      try {
        be = await webgpuBackend(probe);
        runs.push(await solve(be, "float32", 1e-5, true));
      } catch (e) {
        out(`webgpu: skipped: ${firstLine(e)}\n`);
        if (which === "webgpu") return 1;
      } finally {
        be?.close();
      }
    }
  }

  // ---- table
  const rows = runs.map((r) => [
    r.backend,
    r.dtype,
    String(K),
    String(N),
    range(r.result.iterations),
    `${r.result.info.filter((c) => c === 0).length}/${K}`,
    sci(r.rtol, 0),
    sci(maxOf(r.relative)),
    duration(r.ms) + (r.warmupMs !== undefined ? ` (+${duration(r.warmupMs)} warm-up)` : ""),
  ]);
  out(
    "\n" + table(
      [
        "backend",
        "dtype",
        "systems",
        "unknowns",
        "iterations",
        "converged",
        "rtol",
        "max ‖b−Ax‖/‖b‖",
        "solve time",
      ],
      rows,
    ),
  );
  for (const r of runs) {
    const over = Array.from(r.relative).filter((q) => q > r.rtol).length;
    if (over > 0 && r.result.info.every((c) => c === 0)) {
      out(
        `note: ${r.backend} ${r.dtype}: in ${over} of ${K} systems the true residual is above ` +
          `rtol although cg's recurrence residual met it (${r.dtype} rounding).\n`,
      );
    }
  }

  // ---- plot
  if (runs.length > 0) {
    const styles = ["solid", "dashed"] as const;
    const groups: ConvergenceGroup[] = runs.map((r, i) => ({
      label: `${r.backend} ${r.dtype}`,
      histories: (r.result.residualHistory ?? []).map((h, k) =>
        // each system's own iterations (the batch records frozen values after it stops)
        h.slice(0, r.result.iterations[k] + 1).map((x) => x / bNorm[k])
      ),
      systemLabels: shifts.map((s) => `σ = ${s}`),
      style: styles[i % 2],
    }));
    const svg = convergencePlotSvg({
      title: `Batched cg on ${K} shifted 2-D Poisson problems (${n}×${n} grid, ${N} unknowns)`,
      subtitle: runs.map((r) =>
        `${r.backend === "cpu" ? "cpu" : `webgpu (${r.device})`} ${r.dtype}: ` +
        `iterations ${range(r.result.iterations)}`
      ).join("; "),
      yLabel: "relative residual ‖r‖ / ‖b‖",
      groups,
      tolerance: runs.map((r) => ({
        value: r.rtol,
        label: `rtol = ${sci(r.rtol, 0)} (${r.dtype})`,
      })),
    });
    await Deno.writeTextFile(plotPath, svg);
    let abs = plotPath;
    try {
      abs = await Deno.realPath(plotPath);
    } catch {
      // keep the path as given
    }
    out(`\nconvergence plot: ${abs} (open it in a browser)\n`);
  }
  return runs.every((r) => r.result.info.every((c) => c === 0)) ? 0 : 1;
}

function intOption(
  opt: string,
  s: string | undefined,
  dflt: number,
  lo: number,
  hi: number,
): number {
  if (s === undefined) return dflt;
  const x = /^\d+$/.test(s.trim()) ? Number(s) : NaN;
  if (!(x >= lo && x <= hi)) {
    throw new UsageError(`${opt} must be an integer in ${lo}..${hi}, got ${JSON.stringify(s)}`);
  }
  return x;
}

if (import.meta.main) {
  Deno.exitCode = await main(Deno.args);
}
