/**
 * The `solve` command: read `A` (and `b`), solve on a backend, report, write `x` and a plot.
 *
 * @module
 */
import type { ArrayObject } from "../array_api/types.ts";
import { fmtShape } from "../array_api/shapes.ts";
import { cpu, type CpuArray } from "../backends/cpu/mod.ts";
import { jacobi } from "../linalg/jacobi.ts";
import type { OperatorLike, ProgressInfo } from "../linalg/types.ts";
import type { CsrArray } from "../sparse/csr_array.ts";
import { writeMatrixMarket } from "../sparse/matrix_market.ts";
import { type Backend, cpuBackend, webgpuBackend } from "./_backend.ts";
import { duration, maxOf, range, sci, short, table } from "./_format.ts";
import { solveHelp } from "./_help.ts";
import type { CliIO } from "./cli_io.ts";
import { convergencePlotSvg } from "./convergence_plot.ts";
import { loadSystem } from "./load_system.ts";
import { type MethodOutcome, methods, type MethodSpec } from "./methods.ts";
import { parseSolveArgs, type SolveArgs } from "./parse_solve_args.ts";
import { ProgressReporter } from "./progress_reporter.ts";
import { UsageError } from "./usage_error.ts";

/**
 * Runs `solve` with its arguments (those after the word `solve`) and returns the exit status:
 * 0 when every system converged, 1 when one did not (iteration limit, breakdown). Usage and
 * input errors are thrown (`UsageError`, `TypeError`, `RangeError`, …); the caller prints
 * them as one line and exits with 2.
 *
 * @example
 * ```ts
 * import { solveCommand } from "./solve_command.ts";
 * import { denoIO } from "./cli_io.ts";
 * const path = await Deno.makeTempFile({ suffix: ".mtx" });
 * await Deno.writeTextFile(path, "%%MatrixMarket matrix coordinate real symmetric\n2 2 3\n1 1 4\n2 1 -1\n2 2 4\n");
 * const status = await solveCommand([path, "--json"], denoIO());
 * console.log(status); // 0
 * ```
 */
export async function solveCommand(args: readonly string[], io: CliIO): Promise<number> {
  const a = parseSolveArgs(args);
  if (a.help) {
    io.stdout(solveHelp());
    return 0;
  }
  const spec = methods[a.method];
  if (!spec) {
    const have = Object.keys(methods).join(", ");
    throw new UsageError(
      `--method ${a.method} is not available in this version yet (available: ${have})`,
    );
  }
  checkMethodOptions(spec, a);
  const note = (s: string) => {
    if (!a.quiet) io.stderr(s + "\n");
  };

  // catch a mistyped output directory now rather than after a long solve
  if (a.out) await checkParentDir(a.out, "--out");
  if (a.plot) await checkParentDir(a.plot, "--plot");

  const t0 = performance.now();
  const sys = await loadSystem(a.matrix, a.rhs, a.dtype);
  const [M, N] = sys.A.shape;
  const k = sys.b.length;
  if (spec.square && M !== N) {
    const lsq = (["lsqr", "lsmr"] as const).filter((m) => methods[m]);
    throw new RangeError(
      `${spec.name} needs a square A; ${a.matrix} has shape ${fmtShape(sys.A.shape)}` +
        (lsq.length ? ` (use --method ${lsq.join(" or ")} for least squares)` : ""),
    );
  }
  if (a.precond === "jacobi") await checkDiagonal(sys.A);
  const tRead = performance.now() - t0;

  const t1 = performance.now();
  const backend: Backend = a.backend === "webgpu" ? await webgpuBackend() : cpuBackend();
  const xp = backend.xp;
  const owned: ArrayObject[] = [];
  let A: CsrArray<ArrayObject> | undefined;
  let precond: (OperatorLike<ArrayObject> & { dispose?: () => void }) | undefined;
  try {
    A = backend.name === "cpu"
      ? sys.A as unknown as CsrArray<ArrayObject>
      : await sys.A.to(xp, { dtype: a.dtype });
    const flat = new Float64Array(k * M);
    sys.b.forEach((col, j) => flat.set(col, j * M));
    const b0 = xp.asarray(flat, { dtype: a.dtype });
    const b = k === 1 ? b0 : xp.reshape(b0, [k, M]);
    owned.push(b0);
    if (b !== b0) owned.push(b);
    if (a.precond === "jacobi") precond = jacobi(A);
    const tSetup = performance.now() - t1;

    // ---- solve
    const progress = a.quiet ? undefined : new ProgressReporter({
      write: io.stderr,
      tty: io.stderrIsTerminal,
      columns: io.columns,
    });
    const samples: { it: number; res: Float64Array }[] = [];
    const onProgress = (p: ProgressInfo) => {
      if (a.plot) samples.push({ it: p.iteration, res: Float64Array.from(p.residualNorm) });
      progress?.update(p);
    };
    const t2 = performance.now();
    let out: MethodOutcome;
    try {
      out = await spec.solve(A, b, {
        rtol: a.rtol,
        atol: a.atol,
        btol: a.btol,
        maxiter: a.maxiter,
        restart: a.restart,
        M: precond ?? null,
        onProgress,
        history: a.plot !== undefined,
      });
    } finally {
      progress?.finish();
    }
    const tSolve = performance.now() - t2;
    owned.push(out.x);
    const xHost = Float64Array.from(await xp.toHost(out.x) as ArrayLike<number>);

    // ---- derived numbers (host, float64)
    const bNorm = sys.b.map(norm2);
    const rel = Array.from(out.residualNorm, (r, j) => (bNorm[j] > 0 ? r / bNorm[j] : r));
    const errOnes = sys.defaultRhs ? errorVsOnes(xHost, N) : undefined;
    const converged = out.converged.every(Boolean);

    // ---- files
    if (a.out) await writeSolution(a, spec, xHost, N, k);
    if (a.plot) {
      if (!out.residualHistory) {
        note(
          `note: ${spec.name} records no per-iteration history; the plot shows the residuals of ` +
            `its progress reports`,
        );
      }
      await writeText(a.plot, plotOf(a, spec, sys.A, backend, out, samples, bNorm), "--plot");
    }
    const tTotal = performance.now() - t0;

    // ---- report
    const timings = { read: tRead, setup: tSetup, solve: tSolve, total: tTotal };
    if (a.json) {
      io.stdout(
        JSON.stringify(jsonSummary(a, spec, backend, sys, out, rel, errOnes, timings)) + "\n",
      );
    } else {
      io.stdout(humanSummary(a, spec, backend, sys, out, rel, errOnes, timings));
    }
    if (!converged) { for (const h of hints(a, spec, sys.symmetric, out)) note(`hint: ${h}`); }
    if (converged && spec.residualTest && a.dtype === "float32") {
      const tol = bNorm.map((bn) => Math.max(a.atol ?? 0, (a.rtol ?? 1e-5) * bn));
      const over = Array.from(out.residualNorm).filter((r, j) => r > tol[j]).length;
      if (over > 0) {
        note(
          `note: in ${over} of ${k} system(s) the true residual ‖b − A x‖ is above max(atol, ` +
            `rtol·‖b‖) although the solver's recurrence met it (float32 rounding); --dtype ` +
            `float64 on the cpu backend gives a tighter x`,
        );
      }
    }
    return converged ? 0 : 1;
  } finally {
    xp.dispose(...owned);
    precond?.dispose?.();
    if (A && (A as unknown) !== sys.A) A.dispose();
    backend.close();
  }
}

function checkMethodOptions(spec: MethodSpec, a: SolveArgs): void {
  for (const opt of ["rtol", "atol", "btol", "restart"] as const) {
    if (a[opt] !== undefined && !spec.options.includes(opt)) {
      const takes = [...spec.options, "maxiter"].map((o) => `--${o}`).join(", ");
      throw new UsageError(`--${opt} does not apply to ${spec.name} (it takes ${takes})`);
    }
  }
  if (a.precond !== "none" && !spec.preconditioner) {
    throw new UsageError(`--precond ${a.precond}: ${spec.name} takes no preconditioner`);
  }
}

/** Jacobi needs a diagonal without zeros: say where the first one is instead of breaking down. */
async function checkDiagonal(A: CsrArray<CpuArray>): Promise<void> {
  const d = A.diagonal();
  const h = await cpu.toHost(d);
  let zeros = 0, first = -1;
  for (let i = 0; i < h.length; i++) {
    if (h[i] === 0) {
      zeros++;
      if (first < 0) first = i;
    }
  }
  if (zeros > 0) {
    throw new RangeError(
      `--precond jacobi: A has ${zeros} zero diagonal entr${zeros === 1 ? "y" : "ies"} (first in ` +
        `row ${first + 1}); Jacobi needs every diagonal entry nonzero`,
    );
  }
}

function norm2(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

function errorVsOnes(x: Float64Array, N: number): { max: number[]; rms: number[] } {
  const max: number[] = [], rms: number[] = [];
  for (let j = 0; j * N < x.length; j++) {
    let m = 0, s = 0;
    for (let i = 0; i < N; i++) {
      const e = x[j * N + i] - 1;
      m = Math.max(m, Number.isNaN(e) ? NaN : Math.abs(e));
      s += e * e;
    }
    max.push(m);
    rms.push(Math.sqrt(s / Math.max(N, 1)));
  }
  return { max, rms };
}

async function checkParentDir(path: string, opt: string): Promise<void> {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  const dir = cut < 0 ? "." : cut === 0 ? path.slice(0, 1) : path.slice(0, cut);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new UsageError(`${opt}: cannot write ${path}: the directory ${dir} does not exist`);
    }
    return; // no permission to look: the write will say what is wrong
  }
  if (!info.isDirectory) {
    throw new UsageError(`${opt}: cannot write ${path}: ${dir} is not a directory`);
  }
}

async function writeText(path: string, text: string, opt: string): Promise<void> {
  try {
    await Deno.writeTextFile(path, text);
  } catch (e) {
    if (
      e instanceof Deno.errors.NotFound || e instanceof Deno.errors.PermissionDenied ||
      e instanceof Deno.errors.IsADirectory || e instanceof Deno.errors.NotCapable
    ) {
      throw new UsageError(`${opt}: cannot write ${path}: ${e.message.split("\n")[0]}`);
    }
    throw e;
  }
}

async function writeSolution(
  a: SolveArgs,
  spec: MethodSpec,
  x: Float64Array,
  N: number,
  k: number,
): Promise<void> {
  const t = new Float64Array(N * k); // [N, k]: one column per system
  for (let j = 0; j < k; j++) for (let i = 0; i < N; i++) t[i * k + j] = x[j * N + i];
  const arr = cpu.reshape(cpu.asarray(t, { dtype: a.dtype }), [N, k]);
  const text = await writeMatrixMarket(arr, {
    symmetry: "general",
    comment: ` x computed by @krylov/linalg: ${spec.name} on ${a.backend} ${a.dtype}, ` +
      `A = ${a.matrix}, b = ${a.rhs ?? "A·1"}`,
  });
  await writeText(a.out!, text, "--out");
}

function plotOf(
  a: SolveArgs,
  spec: MethodSpec,
  A: { readonly shape: readonly number[]; readonly nnz: number },
  backend: Backend,
  out: MethodOutcome,
  samples: readonly { it: number; res: Float64Array }[],
  bNorm: readonly number[],
): string {
  const k = bNorm.length;
  // Relative to the first recorded value (‖r₀‖ = ‖b‖ without x0; ‖M b‖ for gmres with a
  // preconditioner, √(bᵀM b) for minres), so every method's curve starts at 1.
  const rel = (h: ArrayLike<number>, j: number): Float64Array => {
    const h0 = h.length > 0 && Number.isFinite(h[0]) && h[0] > 0 ? h[0] : bNorm[j];
    return Float64Array.from(h, (v) => (h0 > 0 ? v / h0 : v));
  };
  let histories: Float64Array[];
  let x: number[] | undefined;
  if (out.residualHistory && out.residualHistory.length === k) {
    // each system's own iterations (a batch records frozen values after a system stops)
    histories = out.residualHistory.map((h, j) =>
      rel(h.subarray(0, Math.min(h.length, out.iterations[j] + 1)), j)
    );
  } else {
    x = samples.map((s) => s.it);
    histories = Array.from({ length: k }, (_, j) => rel(samples.map((s) => s.res[j]), j));
  }
  const name = a.matrix.split(/[\\/]/).pop() ?? a.matrix;
  const [M, N] = A.shape;
  const rtol = a.rtol ?? 1e-5;
  const krylovTol = spec.residualTest && !(a.atol && a.atol > 0);
  return convergencePlotSvg({
    title: `${spec.name} on ${name} (${M}×${N}, ${A.nnz} stored entries)`,
    subtitle: `${backend.name === "cpu" ? "cpu" : `webgpu: ${backend.device}`}, ${a.dtype}, ` +
      `precond ${a.precond}, b = ${a.rhs ? a.rhs.split(/[\\/]/).pop() : "A·1"}; ${k} system` +
      `${k === 1 ? "" : "s"}, iterations ${range(out.iterations)}`,
    yLabel: "relative residual ‖r‖ / ‖r₀‖ (as the solver tracks it)",
    groups: [{
      label: `${spec.name} ${backend.name} ${a.dtype}`,
      histories,
      x,
      systemLabels: histories.map((_, j) => k === 1 ? spec.name : `system ${j}`),
    }],
    tolerance: krylovTol ? { value: rtol, label: `rtol = ${short(rtol)}` } : undefined,
  });
}

interface Timings {
  read: number;
  setup: number;
  solve: number;
  total: number;
}

function jsonSummary(
  a: SolveArgs,
  spec: MethodSpec,
  backend: Backend,
  sys: { A: { shape: readonly number[]; nnz: number }; b: readonly unknown[]; defaultRhs: boolean },
  out: MethodOutcome,
  rel: readonly number[],
  errOnes: { max: number[]; rms: number[] } | undefined,
  t: Timings,
): Record<string, unknown> {
  const fin = (v: number) => (Number.isFinite(v) ? v : String(v)); // JSON has no NaN/Infinity
  return {
    method: spec.name,
    backend: a.backend,
    device: backend.device,
    dtype: a.dtype,
    shape: [...sys.A.shape],
    nnz: sys.A.nnz,
    systems: sys.b.length,
    matrix: a.matrix,
    rhs: a.rhs ?? "A·1",
    precond: a.precond,
    rtol: a.rtol ?? null,
    atol: a.atol ?? null,
    maxiter: a.maxiter ?? null,
    converged: out.converged.every(Boolean),
    info: Array.from(out.info),
    status: out.status,
    iterations: Array.from(out.iterations),
    residualNorm: Array.from(out.residualNorm, fin),
    relativeResidual: rel.map(fin),
    errorVsOnes: errOnes ? { max: errOnes.max.map(fin), rms: errOnes.rms.map(fin) } : null,
    extra: out.extra
      ? Object.fromEntries(Object.entries(out.extra).map(([key, v]) => [key, Array.from(v, fin)]))
      : null,
    time: t.solve / 1000,
    timings: {
      read: t.read / 1000,
      setup: t.setup / 1000,
      solve: t.solve / 1000,
      total: t.total / 1000,
    },
    out: a.out ?? null,
    plot: a.plot ?? null,
  };
}

function humanSummary(
  a: SolveArgs,
  spec: MethodSpec,
  backend: Backend,
  sys: {
    A: { shape: readonly number[]; nnz: number };
    b: readonly unknown[];
    defaultRhs: boolean;
    symmetry: string;
  },
  out: MethodOutcome,
  rel: readonly number[],
  errOnes: { max: number[]; rms: number[] } | undefined,
  t: Timings,
): string {
  const k = sys.b.length;
  const [M, N] = sys.A.shape;
  const L: string[] = [];
  const tols = spec.square
    ? `rtol ${short(a.rtol ?? 1e-5)}` +
      (spec.options.includes("atol") ? `, atol ${short(a.atol ?? 0)}` : "")
    : `atol ${short(a.atol ?? a.rtol ?? 1e-6)}, btol ${short(a.btol ?? a.rtol ?? 1e-6)}`;
  L.push(`A        ${a.matrix}: ${M}×${N}, ${sys.A.nnz} stored entries (${sys.symmetry})`);
  L.push(
    `b        ${
      sys.defaultRhs
        ? "A·1 (default; the exact solution is x = 1)"
        : `${a.rhs} (${k} column${k === 1 ? "" : "s"})`
    }`,
  );
  L.push(
    `solver   ${spec.name}, ${backend.name === "cpu" ? "cpu" : `webgpu (${backend.device})`} ` +
      `${a.dtype}, ${tols}, maxiter ${a.maxiter ?? "default"}, precond ${a.precond}`,
  );
  if (k === 1) {
    L.push(
      `result   ${out.status[0]} (${out.iterations[0]} iteration` +
        `${out.iterations[0] === 1 ? "" : "s"}); ‖b − A x‖ = ` +
        `${sci(out.residualNorm[0])} (relative ${sci(rel[0])})`,
    );
  } else {
    const ok = out.converged.filter(Boolean).length;
    L.push(
      `result   ${ok} of ${k} systems converged; iterations ${range(out.iterations)}; ` +
        `max relative residual ${sci(maxOf(rel))}`,
    );
    const show = Math.min(k, 20);
    const rows = Array.from({ length: show }, (_, j) => [
      String(j),
      out.status[j],
      String(out.iterations[j]),
      sci(out.residualNorm[j]),
      sci(rel[j]),
    ]);
    const tab = table(["system", "status", "iterations", "‖b − A x‖", "relative"], rows);
    L.push(...tab.trimEnd().split("\n").map((l) => "         " + l));
    if (k > show) L.push(`         … ${k - show} more systems (use --json for all)`);
  }
  if (out.extra) {
    for (let j = 0; j < Math.min(k, 1); j++) {
      L.push(
        `norms    ` +
          Object.entries(out.extra).map(([key, v]) => `${key} ${sci(v[j])}`).join(", "),
      );
    }
  }
  if (errOnes) {
    L.push(`error    ‖x − 1‖∞ = ${sci(errOnes.max[0])}, rms(x − 1) = ${sci(errOnes.rms[0])}`);
  }
  L.push(
    `time     solve ${duration(t.solve)} (read ${duration(t.read)}, setup ${duration(t.setup)}, ` +
      `total ${duration(t.total)})`,
  );
  const files = [a.out ? `x → ${a.out}` : "", a.plot ? `plot → ${a.plot}` : ""].filter(Boolean);
  if (files.length) L.push(`wrote    ${files.join(", ")}`);
  return L.join("\n") + "\n";
}

function hints(
  a: SolveArgs,
  spec: MethodSpec,
  symmetric: boolean,
  out: MethodOutcome,
): string[] {
  const h: string[] = [];
  const general = (["gmres", "bicgstab", "lgmres"] as const).filter((m) => methods[m]);
  if (spec.symmetric && !symmetric) {
    h.push(
      `A is not symmetric but ${spec.name} assumes it is` +
        (general.length ? `; try --method ${general.join(" or ")}` : ""),
    );
  }
  if (spec.square && Array.from(out.info).some((c) => c > 0)) {
    h.push(
      "the iteration limit was reached: raise --maxiter" +
        (a.precond === "none" && spec.preconditioner ? " or try --precond jacobi" : ""),
    );
  }
  if (Array.from(out.info).some((c) => c < 0) && spec.square) {
    h.push("a breakdown stopped some systems: a different method may get through");
  }
  return h;
}
