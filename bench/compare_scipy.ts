/**
 * Side-by-side timing of `@krylov/linalg` (CPU backend) and SciPy on identical problems, in one
 * run: CSR SpMV (f64, f32), CG per iteration, a batch of 256 small systems in one call vs SciPy's
 * Python loop of 256 `cg` calls, gmres(20) per inner iteration, lsqr per iteration.
 *
 *     deno task compare                               # full run (128², 512², 1024²), prints
 *     deno run -A bench/compare_scipy.ts --write      # ... and writes bench/RESULTS.md + SVG
 *     deno run -A bench/compare_scipy.ts --quick      # 128² and 512², 5 repetitions (< 60 s)
 *     deno run -A bench/compare_scipy.ts --only cg,batch --reps 9
 *
 * How it is fair:
 * - Matrices and vectors are built once here (bench/_problems.ts) and handed to SciPy as raw
 *   files; the worker checks nnz and a checksum computed identically in both languages.
 * - SciPy runs in one long-lived `python3 bench/scipy_worker.py` (JSON lines on stdin/stdout,
 *   `OPENBLAS_NUM_THREADS=1`), timed inside Python with `perf_counter` around the SciPy call
 *   alone: neither start-up nor the pipe is timed. Ours is timed with `performance.now()`
 *   around the public call (`A.matvec(x)`, `await cg(...)`, ...).
 * - Each case is warmed on both sides (ours for ≥ 0.5 s: V8 tiers kernels up), then measured
 *   `--reps` times, alternating which side goes first; the table shows medians and the ratio of
 *   the fastest repetitions. Results are cross-checked (product checksums, `info`, iteration
 *   counts, true residual norms) before anything is timed; a mismatch aborts the run.
 * - The 1-minute load average and the CPU time other processes used during the run (from
 *   /proc: total busy time minus ours and the worker's) are printed and written next to the
 *   table, with a warning when others used more than `--max-load` cores.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { cpu } from "../backends/cpu/mod.ts";
import { cg } from "../linalg/cg.ts";
import { gmres } from "../linalg/gmres.ts";
import { lsqr } from "../linalg/lsqr.ts";
import {
  checksumDiff,
  convDiff,
  type FloatDType,
  leastSquares,
  poisson5,
  randomArray,
  randomValues,
  vectorChecksum,
} from "./_problems.ts";
import { ScipyWorker } from "./_scipy.ts";

// ---------------------------------------------------------------------------------------------
// options

const args = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean", default: false },
    reps: { type: "string" },
    write: { type: "boolean", default: false },
    "max-load": { type: "string", default: "0.5" },
    only: { type: "string" },
    svg: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
const FAMILIES = ["spmv64", "spmv32", "cg", "batch", "gmres", "lsqr"];
if (args.values.help) {
  console.log(`usage: deno run -A bench/compare_scipy.ts [--quick] [--write] [--reps N]
                 [--only family,...] [--max-load 0.5] [--svg path]
  --quick     sizes 128² and 512² only, 5 repetitions (< 60 s)
  --write     put the table into bench/RESULTS.md (between the compare_scipy markers) and
              write bench/compare_scipy.svg
  --reps N    alternating repetitions per case (default 11, quick 5)
  --only      comma-separated families: ${FAMILIES.join(" ")}
  --max-load  warn when other processes used more than this many cores during the run
  --svg path  also write the plot to path`);
  Deno.exit(0);
}
const QUICK = args.values.quick;
const REPS = Number(args.values.reps ?? (QUICK ? 5 : 11));
if (!Number.isInteger(REPS) || REPS < 1) throw new RangeError(`--reps must be ≥ 1, got ${REPS}`);
const MAX_LOAD = Number(args.values["max-load"]);
if (!(MAX_LOAD >= 0)) {
  throw new RangeError(`--max-load must be ≥ 0, got ${args.values["max-load"]}`);
}
const ONLY = args.values.only ? new Set(args.values.only.split(",")) : null;
for (const f of ONLY ?? []) {
  if (!FAMILIES.includes(f)) {
    throw new RangeError(`--only: unknown family '${f}' (families: ${FAMILIES.join(", ")})`);
  }
}
const WRITE = args.values.write;

// ---------------------------------------------------------------------------------------------
// CPU accounting (others' load) from /proc

function busyJiffies(): number {
  const f = Deno.readTextFileSync("/proc/stat").split("\n")[0].trim().split(/\s+/).slice(1)
    .map(Number);
  // user nice system idle iowait irq softirq steal
  return f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] ?? 0);
}
function procJiffies(pid: number | "self"): number {
  try {
    const s = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const rest = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return Number(rest[11]) + Number(rest[12]); // utime, stime (fields 14, 15)
  } catch {
    return 0;
  }
}
const HZ = 100;

// ---------------------------------------------------------------------------------------------
// cases

interface Sample {
  ours: number;
  scipy: number;
}
interface Row {
  family: string;
  title: string;
  size: string;
  x: number; // plot abscissa (unknowns)
  nnz: number;
  unit: string;
  ours: number; // median seconds per unit
  scipy: number;
  oursMin: number;
  scipyMin: number;
  check: string;
  goal?: number;
}

const worker = await ScipyWorker.start();
const rows: Row[] = [];
let loadMax = 0; // highest 1-minute load average seen after a case

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs `fn` untimed until `WARM_S` seconds and at least `minCalls` calls have passed: V8
 * tiers generated kernels up over the first calls (the first of them run several times
 * slower), which a C library does not need. */
async function warm(fn: () => Promise<unknown>, minCalls = 3): Promise<void> {
  const t0 = performance.now();
  for (let i = 0; i < minCalls || performance.now() - t0 < WARM_S * 1e3; i++) await fn();
}
const WARM_S = QUICK ? 0.1 : 0.5;

/** Runs `reps` alternating measurements; each side returns seconds per unit. */
async function measure(
  ours: () => Promise<number>,
  scipy: () => Promise<number>,
): Promise<Sample[]> {
  const out: Sample[] = [];
  for (let r = 0; r < REPS; r++) {
    let o: number, s: number;
    if (r % 2 === 0) {
      o = await ours();
      s = await scipy();
    } else {
      s = await scipy();
      o = await ours();
    }
    out.push({ ours: o, scipy: s });
  }
  return out;
}

function record(
  base: Omit<Row, "ours" | "scipy" | "oursMin" | "scipyMin">,
  samples: Sample[],
): void {
  const o = samples.map((s) => s.ours), s = samples.map((s) => s.scipy);
  const row: Row = {
    ...base,
    ours: median(o),
    scipy: median(s),
    oursMin: Math.min(...o),
    scipyMin: Math.min(...s),
  };
  rows.push(row);
  loadMax = Math.max(loadMax, Deno.loadavg()[0]);
  console.log(
    `${row.title.padEnd(26)} ${row.size.padEnd(12)} ours ${fmtT(row.ours).padStart(9)}  ` +
      `scipy ${fmtT(row.scipy).padStart(9)}  ratio ${(row.ours / row.scipy).toFixed(2)}  ` +
      `[${row.check}]`,
  );
}

function fmtT(t: number): string {
  if (t < 1e-3) return `${(t * 1e6).toPrecision(3)} µs`;
  if (t < 1) return `${(t * 1e3).toPrecision(3)} ms`;
  return `${t.toPrecision(3)} s`;
}

function relDiff(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-300);
}

function want(family: string): boolean {
  return !ONLY || ONLY.has(family);
}

// ---- SpMV -----------------------------------------------------------------------------------

async function spmvCases(dtype: FloatDType): Promise<void> {
  const family = dtype === "float64" ? "spmv64" : "spmv32";
  if (!want(family)) return;
  for (const k of QUICK ? [128, 512] : [128, 512, 1024]) {
    const A = poisson5(k, dtype);
    const N = k * k;
    const x = randomValues(N, 1, dtype);
    await worker.loadCsr("A", A, dtype);
    await worker.loadVec("x", x);
    // warm + cross-check the product
    let y = A.matvec(x);
    const t0 = performance.now();
    y = A.matvec(x);
    const once = (performance.now() - t0) / 1e3;
    const reps = Math.max(3, Math.min(2000, Math.round(0.05 / Math.max(once, 1e-7))));
    const sc = await worker.call({ op: "spmv", A: "A", x: "x", reps: 3 });
    await warm(() => {
      cpu.dispose(y);
      y = A.matvec(x);
      return Promise.resolve();
    }, 20);
    const diff = checksumDiff(vectorChecksum(y.data as Float64Array), sc.checksum as number);
    const tolD = dtype === "float64" ? 1e-12 : 1e-5;
    if (diff > tolD) throw new Error(`spmv ${dtype} ${k}²: product checksums differ by ${diff}`);
    const samples = await measure(
      () => {
        const t0 = performance.now();
        for (let i = 0; i < reps; i++) {
          cpu.dispose(y);
          y = A.matvec(x);
        }
        return Promise.resolve((performance.now() - t0) / 1e3 / reps);
      },
      async () => (await worker.call({ op: "spmv", A: "A", x: "x", reps })).t as number,
    );
    record({
      family,
      title: `CSR SpMV ${dtype === "float64" ? "f64" : "f32"} (5-pt)`,
      size: `${k}²`,
      x: N,
      nnz: A.nnz,
      unit: "per product",
      check: `A@x checksum rel.diff ${diff.toExponential(0)}`,
      goal: dtype === "float64" ? 1.2 : undefined,
    }, samples);
    await worker.drop("A", "x");
  }
}

// ---- CG per iteration ---------------------------------------------------------------------

async function cgCases(): Promise<void> {
  if (!want("cg")) return;
  const sizes: [number, number][] = QUICK
    ? [[128, 200], [512, 50]]
    : [[128, 400], [512, 100], [1024, 40]];
  for (const [k, K] of sizes) {
    const A = poisson5(k);
    const N = k * k;
    const b = randomValues(N, 2);
    await worker.loadCsr("A", A, "float64");
    await worker.loadVec("b", b);
    const rtol = 1e-30;
    const run = async () => {
      const t0 = performance.now();
      const r = await cg(A, b, { rtol, maxiter: K });
      return { t: (performance.now() - t0) / 1e3, r };
    };
    const w = await run();
    await warm(run);
    const sc = await worker.call({ op: "cg", A: "A", b: "b", rtol, maxiter: K });
    if (w.r.iterations[0] !== K || w.r.info[0] !== K || sc.info !== K) {
      throw new Error(
        `cg ${k}²: ours ran ${w.r.iterations[0]} iterations (info ${
          w.r.info[0]
        }), SciPy info ${sc.info}; want ${K}`,
      );
    }
    const rd = relDiff(w.r.residualNorm[0], sc.res as number);
    const samples = await measure(
      async () => (await run()).t / K,
      async () =>
        ((await worker.call({ op: "cg", A: "A", b: "b", rtol, maxiter: K })).t as number) / K,
    );
    record({
      family: "cg",
      title: "CG per iteration",
      size: `${k}²`,
      x: N,
      nnz: A.nnz,
      unit: "per iteration",
      check: `${K} its both, ‖b−Ax‖ rel.diff ${rd.toExponential(0)}`,
      goal: k === 512 ? 1.0 : undefined,
    }, samples);
    await worker.drop("A", "b");
  }
}

// ---- batched small systems --------------------------------------------------------------------

async function batchCases(): Promise<void> {
  if (!want("batch")) return;
  const k = 16, nSys = 256, rtol = 1e-8;
  const A = poisson5(k);
  const N = k * k;
  const B = randomArray([nSys, N], 3);
  await worker.loadCsr("A", A, "float64");
  await worker.loadVec("B", B);
  const run = async () => {
    const t0 = performance.now();
    const r = await cg(A, B, { rtol });
    return { t: (performance.now() - t0) / 1e3, r };
  };
  const w = await run();
  await warm(run);
  const sc = await worker.call({ op: "cg_loop", A: "A", B: "B", rtol, count_iters: true });
  const sInfo = sc.info as number[], sIters = sc.iters as number[], sRes = sc.res as number[];
  const bn = (await cpu.toHost(cpu.linalg.vector_norm(B, { axis: -1 }))) as Float64Array;
  let itDiff = 0, worstOurs = 0, worstSc = 0, bad = 0;
  for (let s = 0; s < nSys; s++) {
    if (w.r.info[s] !== 0 || sInfo[s] !== 0) bad++;
    itDiff = Math.max(itDiff, Math.abs(w.r.iterations[s] - sIters[s]));
    worstOurs = Math.max(worstOurs, w.r.residualNorm[s] / bn[s]);
    worstSc = Math.max(worstSc, sRes[s] / bn[s]);
  }
  if (bad) throw new Error(`batch: ${bad} systems did not converge (ours or SciPy)`);
  if (itDiff > 2) {
    throw new Error(`batch: iteration counts differ from SciPy's by up to ${itDiff} (allowed ±2)`);
  }
  const samples = await measure(
    async () => (await run()).t,
    async () => (await worker.call({ op: "cg_loop", A: "A", B: "B", rtol })).t as number,
  );
  const itsRange = `${Math.min(...w.r.iterations)}–${Math.max(...w.r.iterations)}`;
  record({
    family: "batch",
    title: `${nSys} × cg, one call vs loop`,
    size: `${nSys}×${k}²`,
    x: nSys * N,
    nnz: A.nnz,
    unit: "whole solve",
    check: `rtol ${rtol}, all info 0, its ${itsRange} (max diff ${itDiff}), ` +
      `max ‖r‖/‖b‖ ${worstOurs.toExponential(1)} vs ${worstSc.toExponential(1)}`,
    goal: 0.1,
  }, samples);
  await worker.drop("A", "B");
}

// ---- gmres(20) per inner iteration ----------------------------------------------------------

async function gmresCases(): Promise<void> {
  if (!want("gmres")) return;
  const restart = 20, cycles = QUICK ? 3 : 5, rtol = 1e-30;
  for (const k of QUICK ? [128] : [128, 256, 512]) {
    const A = convDiff(k);
    const N = k * k;
    const b = randomValues(N, 4);
    await worker.loadCsr("A", A, "float64");
    await worker.loadVec("b", b);
    const inner = restart * cycles;
    const run = async () => {
      const t0 = performance.now();
      const r = await gmres(A, b, { rtol, restart, maxiter: cycles });
      return { t: (performance.now() - t0) / 1e3, r };
    };
    const w = await run();
    await warm(run);
    const req = { op: "gmres", A: "A", b: "b", rtol, restart, maxiter: cycles };
    const sc = await worker.call(req);
    if (w.r.iterations[0] !== inner || w.r.info[0] !== cycles || sc.info !== cycles) {
      throw new Error(
        `gmres ${k}²: ours ${w.r.iterations[0]} inner its (info ${
          w.r.info[0]
        }), SciPy info ${sc.info}`,
      );
    }
    const rd = relDiff(w.r.residualNorm[0], sc.res as number);
    const samples = await measure(
      async () => (await run()).t / inner,
      async () => ((await worker.call(req)).t as number) / inner,
    );
    record({
      family: "gmres",
      title: "gmres(20) per inner it.",
      size: `${k}²`,
      x: N,
      nnz: A.nnz,
      unit: "per inner iteration",
      check: `${cycles} cycles both, ‖b−Ax‖ rel.diff ${rd.toExponential(0)}`,
    }, samples);
    await worker.drop("A", "b");
  }
}

// ---- lsqr per iteration -----------------------------------------------------------------------

async function lsqrCases(): Promise<void> {
  if (!want("lsqr")) return;
  const K = QUICK ? 50 : 100;
  for (const n of QUICK ? [16384] : [16384, 65536]) {
    const A = leastSquares(n);
    const m = A.shape[0];
    const b = randomValues(m, 6);
    await worker.loadCsr("A", A, "float64");
    await worker.loadVec("b", b);
    const run = async () => {
      const t0 = performance.now();
      const r = await lsqr(A, b, { atol: 0, btol: 0, conlim: 0, iterLim: K });
      return { t: (performance.now() - t0) / 1e3, r };
    };
    const w = await run();
    await warm(run);
    const req = { op: "lsqr", A: "A", b: "b", iter_lim: K };
    const sc = await worker.call(req);
    if (w.r.itn[0] !== K || sc.itn !== K || w.r.istop[0] !== 7 || sc.istop !== 7) {
      throw new Error(
        `lsqr n=${n}: ours itn ${w.r.itn[0]} istop ${
          w.r.istop[0]
        }, SciPy itn ${sc.itn} istop ${sc.istop}`,
      );
    }
    const rd = relDiff(w.r.residualNorm[0], sc.res as number);
    const samples = await measure(
      async () => (await run()).t / K,
      async () => ((await worker.call(req)).t as number) / K,
    );
    record({
      family: "lsqr",
      title: "lsqr per iteration",
      size: `${m}×${n}`,
      x: n,
      nnz: A.nnz,
      unit: "per iteration",
      check: `${K} its both (istop 7), ‖b−Ax‖ rel.diff ${rd.toExponential(0)}`,
    }, samples);
    await worker.drop("A", "b");
  }
}

// ---------------------------------------------------------------------------------------------
// run

const versions = await worker.call({ op: "versions" });
const load0 = Deno.loadavg();
const wall0 = performance.now();
const busy0 = busyJiffies(), self0 = procJiffies("self"), wk0 = procJiffies(worker.pid);
try {
  await spmvCases("float64");
  await spmvCases("float32");
  await cgCases();
  await batchCases();
  await gmresCases();
  await lsqrCases();
} catch (e) {
  await worker.close().catch(() => {});
  throw e;
}
const elapsed = (performance.now() - wall0) / 1e3;
const others = Math.max(
  0,
  (busyJiffies() - busy0 - (procJiffies("self") - self0) - (procJiffies(worker.pid) - wk0)) /
    HZ / elapsed,
);
await worker.close();
const load1 = Deno.loadavg();

// ---------------------------------------------------------------------------------------------
// report

const cpuModel = (() => {
  try {
    const m = Deno.readTextFileSync("/proc/cpuinfo").match(/model name\s*:\s*(.*)/);
    return m ? m[1].trim() : "unknown CPU";
  } catch {
    return "unknown CPU";
  }
})();
const nproc = (() => {
  try {
    const o = new Deno.Command("nproc", { stdout: "piped", stderr: "null" }).outputSync();
    return new TextDecoder().decode(o.stdout).trim() || String(navigator.hardwareConcurrency);
  } catch {
    return String(navigator.hardwareConcurrency);
  }
})();
const date = new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC";
const command = `deno run -A bench/compare_scipy.ts${
  Deno.args.length ? " " + Deno.args.join(" ") : ""
}`;

function ratioCell(r: Row): string {
  const q = r.ours / r.scipy;
  const s = q.toFixed(q < 0.1 ? 3 : 2) + "×";
  if (r.goal === undefined) return s;
  return `${s} ${q <= r.goal ? "✓" : "✗"} (goal ≤ ${r.goal}×)`;
}

const header =
  "| case | size | nnz | ours (median) | SciPy (median) | ours / SciPy | min / min | check |";
const sep = "| --- | --- | --: | --: | --: | --: | --: | --- |";
const lines = rows.map((r) =>
  `| ${r.title} (${r.unit}) | ${r.size} | ${r.nnz} | ${fmtT(r.ours)} | ${fmtT(r.scipy)} | ${
    ratioCell(r)
  } | ${(r.oursMin / r.scipyMin).toFixed(2)}× | ${r.check} |`
);
const goalRows = rows.filter((r) => r.goal !== undefined);
const met = goalRows.filter((r) => r.ours / r.scipy <= r.goal!).length;
const md = [
  `- Machine: ${cpuModel}, \`nproc\` ${nproc}; Deno ${Deno.version.deno} ` +
  `(V8 ${Deno.version.v8}); Python ${versions.python}, NumPy ${versions.numpy}, SciPy ` +
  `${versions.scipy} with OPENBLAS_NUM_THREADS=${versions.OPENBLAS_NUM_THREADS}. ${date}.`,
  `- Command: \`${command}\` (${REPS} alternating repetitions per case, medians; ${
    elapsed.toFixed(0)
  } s).`,
  `- Load: 1-minute load average ${load0[0].toFixed(2)} at the start, ${
    load1[0].toFixed(2)
  } at the end, at most ${
    loadMax.toFixed(2)
  } after a case (this run keeps one core busy); CPU used by other processes during the run ` +
  `${others.toFixed(2)} cores on average` +
  (others > MAX_LOAD
    ? ` — **a busy machine** (more than ${MAX_LOAD}): expect noisier ratios; re-run with ` +
      "`deno task compare --write` when it is quiet."
    : "."),
  "",
  header,
  sep,
  ...lines,
  "",
  `Goal rows met: ${met} of ${goalRows.length} (✓/✗ judged on the ratio of medians; _min / min_ is the ` +
  "ratio of the fastest repetitions, less sensitive to noise). Times are per unit (product, " +
  "iteration, whole solve); " +
  "per-iteration times are the whole call divided by the iteration count (set-up and the final " +
  "true residual included). Ours: the CPU backend, float64 unless marked f32, one thread. " +
  "SciPy's times are taken inside Python around the SciPy call alone.",
  "",
  "![time vs size, ours and SciPy](compare_scipy.svg)",
].join("\n");

console.log("\n" + md + "\n");

const svg = plot(rows);
if (args.values.svg) {
  await Deno.writeTextFile(args.values.svg, svg);
  console.log(`wrote ${args.values.svg}`);
}
if (others > MAX_LOAD) {
  console.error(
    `warning: other processes used ${others.toFixed(2)} cores on average during the run ` +
      `(> --max-load ${MAX_LOAD}); the ratios are noisier than on a quiet machine`,
  );
}
if (WRITE) {
  const path = new URL("./RESULTS.md", import.meta.url);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    text = "# Benchmark results\n\n## CPU vs SciPy\n\n<!-- compare_scipy:begin -->\n" +
      "<!-- compare_scipy:end -->\n";
  }
  const begin = "<!-- compare_scipy:begin -->", end = "<!-- compare_scipy:end -->";
  const i = text.indexOf(begin), j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`bench/RESULTS.md lacks the markers ${begin} … ${end}`);
  text = text.slice(0, i + begin.length) + "\n\n" + await fmtMarkdown(md) + "\n" + text.slice(j);
  await Deno.writeTextFile(path, text);
  await Deno.writeTextFile(new URL("./compare_scipy.svg", import.meta.url), svg);
  console.log("wrote bench/RESULTS.md (compare_scipy section) and bench/compare_scipy.svg");
}

/** `deno fmt` (line width 100, as deno.json) applied to the section alone, so that the written
 * RESULTS.md passes `deno fmt --check` without touching the other sections. */
async function fmtMarkdown(text: string): Promise<string> {
  const file = await Deno.makeTempFile({ suffix: ".md" });
  try {
    await Deno.writeTextFile(file, text + "\n");
    const o = await new Deno.Command(Deno.execPath(), {
      args: ["fmt", "--quiet", "--line-width", "100", file],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!o.success) throw new Error(`deno fmt: ${new TextDecoder().decode(o.stderr)}`);
    return await Deno.readTextFile(file);
  } finally {
    await Deno.remove(file);
  }
}

// ---------------------------------------------------------------------------------------------
// SVG: one panel per family, time per unit vs size, log–log, ours solid, SciPy dashed

function plot(all: Row[]): string {
  const fams: { key: string; title: string; xlabel: string }[] = [
    { key: "spmv64", title: "CSR SpMV float64 (5-point)", xlabel: "unknowns" },
    { key: "spmv32", title: "CSR SpMV float32 (5-point)", xlabel: "unknowns" },
    { key: "cg", title: "CG, time per iteration", xlabel: "unknowns" },
    { key: "gmres", title: "gmres(20), per inner iteration", xlabel: "unknowns" },
    { key: "lsqr", title: "lsqr, per iteration (m = 4n)", xlabel: "columns n" },
    { key: "batch", title: "256 × 16² cg: one call vs loop", xlabel: "total unknowns" },
  ].filter((f) => all.some((r) => r.family === f.key));
  const W = 340, H = 250, cols = 3, padL = 62, padR = 14, padT = 34, padB = 44;
  const nRows = Math.ceil(fams.length / cols);
  const width = cols * W, height = nRows * H + 40;
  const OURS = "#d1495b", SCIPY = "#00798c";
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">@krylov/linalg (CPU) vs SciPy ${
      esc(String(versions.scipy))
    }: median time, log–log (lower is better)</text>`,
    `<line x1="${width - 250}" y1="16" x2="${
      width - 225
    }" y2="16" stroke="${OURS}" stroke-width="2"/>`,
    `<text x="${width - 220}" y="20">ours</text>`,
    `<line x1="${width - 170}" y1="16" x2="${
      width - 145
    }" y2="16" stroke="${SCIPY}" stroke-width="2" stroke-dasharray="5 3"/>`,
    `<text x="${width - 140}" y="20">SciPy</text>`,
  ];
  const fmtAxis = (t: number) => {
    if (t < 1e-3) return `${+(t * 1e6).toPrecision(2)} µs`;
    if (t < 1) return `${+(t * 1e3).toPrecision(2)} ms`;
    return `${+t.toPrecision(2)} s`;
  };
  const fmtX = (x: number) =>
    x >= 1e6
      ? `${+(x / 1e6).toPrecision(3)}M`
      : x >= 1e3
      ? `${+(x / 1e3).toPrecision(3)}k`
      : `${x}`;
  fams.forEach((f, idx) => {
    const rs = all.filter((r) => r.family === f.key).sort((a, b) => a.x - b.x);
    const ox = (idx % cols) * W, oy = 40 + Math.floor(idx / cols) * H;
    const pw = W - padL - padR, ph = H - padT - padB;
    const ys = rs.flatMap((r) => [r.ours, r.scipy]);
    let y0 = Math.log10(Math.min(...ys)), y1 = Math.log10(Math.max(...ys));
    let x0 = Math.log10(rs[0].x), x1 = Math.log10(rs[rs.length - 1].x);
    if (x1 - x0 < 0.5) [x0, x1] = [x0 - 0.5, x1 + 0.5];
    const xpad = 0.1 * (x1 - x0);
    [x0, x1] = [x0 - xpad, x1 + xpad];
    y0 = Math.floor(y0 - 0.15);
    y1 = Math.ceil(y1 + 0.15);
    const X = (x: number) => ox + padL + (Math.log10(x) - x0) / (x1 - x0) * pw;
    const Y = (y: number) => oy + padT + (1 - (Math.log10(y) - y0) / (y1 - y0)) * ph;
    out.push(
      `<text x="${ox + padL}" y="${oy + 20}" font-size="12" font-weight="bold">${
        esc(f.title)
      }</text>`,
      `<rect x="${ox + padL}" y="${oy + padT}" width="${pw}" height="${ph}" fill="none" ` +
        `stroke="#999"/>`,
    );
    for (let e = y0; e <= y1; e++) {
      const y = Y(10 ** e);
      out.push(
        `<line x1="${ox + padL}" y1="${y}" x2="${ox + padL + pw}" y2="${y}" stroke="#eee"/>`,
        `<text x="${ox + padL - 4}" y="${y + 4}" text-anchor="end">${fmtAxis(10 ** e)}</text>`,
      );
    }
    for (const r of rs) {
      const x = X(r.x);
      out.push(
        `<line x1="${x}" y1="${oy + padT}" x2="${x}" y2="${oy + padT + ph}" stroke="#eee"/>`,
        `<text x="${x}" y="${oy + padT + ph + 14}" text-anchor="middle">${fmtX(r.x)}</text>`,
      );
    }
    out.push(
      `<text x="${ox + padL + pw / 2}" y="${oy + padT + ph + 30}" text-anchor="middle" ` +
        `fill="#555">${esc(f.xlabel)}</text>`,
    );
    for (const [key, color, dash] of [["ours", OURS, ""], ["scipy", SCIPY, "5 3"]] as const) {
      const pts = rs.map((r) => `${X(r.x).toFixed(1)},${Y(r[key]).toFixed(1)}`);
      if (pts.length > 1) {
        out.push(
          `<polyline points="${pts.join(" ")}" fill="none" stroke="${color}" stroke-width="2"` +
            (dash ? ` stroke-dasharray="${dash}"` : "") + "/>",
        );
      }
      for (const r of rs) {
        out.push(
          `<circle cx="${X(r.x).toFixed(1)}" cy="${
            Y(r[key]).toFixed(1)
          }" r="3.5" fill="${color}">` +
            `<title>${esc(`${key} ${r.size}: ${fmtT(r[key])} ${r.unit}`)}</title></circle>`,
        );
      }
    }
    // ratio labels next to our points
    for (const r of rs) {
      const q = r.ours / r.scipy;
      const mark = r.goal === undefined ? "" : ` ${q <= r.goal ? "✓" : "✗"} goal ≤ ${r.goal}×`;
      const right = X(r.x) > ox + padL + 0.6 * pw;
      out.push(
        `<text x="${X(r.x) + (right ? -6 : 6)}" y="${Y(r.ours) - 6}" fill="${OURS}" ` +
          `font-size="10"${right ? ' text-anchor="end"' : ""}>${q.toFixed(q < 0.1 ? 3 : 2)}×${
            esc(mark)
          }</text>`,
      );
    }
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
