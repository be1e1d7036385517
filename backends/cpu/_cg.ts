/**
 * The CPU backend's fused conjugate-gradient loop (`solvers.cg`, see `SolverHooks` in
 * array_api/types.ts) for shared-pattern CSR operators, optionally Jacobi-preconditioned.
 *
 * The portable `cg` makes five passes over the vectors per iteration, each a separate fused
 * call. Here an iteration is three passes, each one loop over all systems still iterating:
 *
 * 1. direction `p ← z + β p` with `z = D⁻¹ r` (or `r`) applied on the fly;
 * 2. `q = A p` with `p·q` accumulated in the same loop; rows in offset runs (stencil rows
 *    sharing their column offsets j − i, see `offsetRuns` in `_csr.ts`) read no column indices;
 * 3. `x += α p`, `r −= α q`, with `r·r` (and `r·z` with Jacobi) in the same loop.
 *
 * Converged systems drop out of the loops (the natural form of batch compaction). The
 * arithmetic is the portable loop's, in the same order, so float64 results agree with it; sums
 * accumulate in double, float32 vectors are stored in float32. Kernels address systems by
 * offsets (no subarray views) and are called through arrays: V8 then does not inline them into
 * the Maglev-compiled caller, where generated loops run several times slower.
 *
 * @module
 */
import type { CgKernelProblem, CgKernelResult } from "../../array_api/types.ts";
import { shapeSize } from "../../array_api/shapes.ts";
import { CpuArray } from "./cpu_array.ts";
import { codegenEnabled, compileFunction } from "./_kernel.ts";
import { offsetRuns, type Runs } from "./_csr.ts";

const INFO_NONFINITE = -12;

type F = Float64Array | Float32Array;

/** `q = A p` and `Σ p·q` for one system (vectors at offset `o`, values at `dOff`): walks the
 * offset runs, with rows of the dominant run length `L` unrolled, other runs through their
 * offset tables, and rows outside runs as plain CSR. One call per system and iteration. */
type SystemSpmv = (
  d: F,
  dOff: number,
  p: F,
  q: F,
  o: number,
  ip: Int32Array,
  ix: Int32Array,
  n: number,
  r0: Int32Array,
  r1: Int32Array,
  o0: Int32Array,
  len: Int32Array,
  offs: Int32Array,
) => number;

const spmvCache = new Map<string, SystemSpmv>();

function systemSpmv(L: number, f32: boolean): SystemSpmv {
  const key = `${L}:${f32}`;
  let fn = spmvCache.get(key);
  if (fn) return fn;
  const rd = (v: string) => (f32 ? `Math.fround(${v})` : v);
  const gap = `for (let i = row; i < start; i++) {
          let t = 0;
          for (let k = ip[i], e = ip[i + 1]; k < e; k++) t += d[dOff + k] * p[o + ix[k]];
          q[o + i] = t;
          acc += p[o + i] * ${rd("t")};
        }`;
  const generic = `{
          const Lq = len[qi], ob = o0[qi];
          let k = dOff + ip[start];
          for (let i = start; i < end; i++, k += Lq) {
            let t = 0;
            for (let u = 0; u < Lq; u++) t += d[k + u] * p[o + i + offs[ob + u]];
            q[o + i] = t;
            acc += p[o + i] * ${rd("t")};
          }
        }`;
  if (codegenEnabled()) {
    const decl: string[] = [], a: string[] = [];
    for (let t = 0; t < L; t++) {
      decl.push(`const f${t} = offs[ob + ${t}];`);
      a.push(`d[k + ${t}] * p[j + f${t}]`);
    }
    fn = compileFunction<SystemSpmv>(
      ["d", "dOff", "p", "q", "o", "ip", "ix", "n", "r0", "r1", "o0", "len", "offs"],
      `"use strict";
      let acc = 0, row = 0;
      const nr = r0.length;
      for (let qi = 0; qi <= nr; qi++) {
        const start = qi < nr ? r0[qi] : n;
        ${gap}
        if (qi === nr) break;
        const end = r1[qi];
        if (len[qi] === ${L}) {
          const ob = o0[qi];
          ${decl.join(" ")}
          let k = dOff + ip[start];
          for (let j = o + start, je = o + end; j < je; j++, k += ${L}) {
            const v = ${a.length ? a.join(" + ") : "0"};
            q[j] = v;
            acc += p[j] * ${rd("v")};
          }
        } else ${generic}
        row = end;
      }
      return acc;`,
      `cg-spmv-dot-L${L}-${f32 ? "f32" : "f64"}`,
    );
  } else {
    fn = (d, dOff, p, q, o, ip, ix, n, r0, r1, o0, len, offs) => {
      let acc = 0, row = 0;
      const nr = r0.length;
      for (let qi = 0; qi <= nr; qi++) {
        const start = qi < nr ? r0[qi] : n;
        for (let i = row; i < start; i++) {
          let t = 0;
          for (let k = ip[i], e = ip[i + 1]; k < e; k++) t += d[dOff + k] * p[o + ix[k]];
          q[o + i] = t;
          acc += p[o + i] * q[o + i];
        }
        if (qi === nr) break;
        const end = r1[qi], Lq = len[qi], ob = o0[qi];
        let k = dOff + ip[start];
        for (let i = start; i < end; i++, k += Lq) {
          let t = 0;
          for (let u = 0; u < Lq; u++) t += d[k + u] * p[o + i + offs[ob + u]];
          q[o + i] = t;
          acc += p[o + i] * q[o + i];
        }
        row = end;
      }
      return acc;
    };
  }
  spmvCache.set(key, fn);
  return fn;
}

const EMPTY = new Int32Array(0);

/** The fixed data of one solve that the phase loops read. */
interface Ctx {
  readonly n: number;
  readonly nnz: number;
  readonly data: F;
  readonly aBatched: boolean;
  readonly ip: Int32Array;
  readonly ix: Int32Array;
  readonly runs: Runs | null;
  readonly spmv: SystemSpmv[];
  readonly minv: F | null;
  readonly minvShared: boolean;
  readonly X: F;
  readonly R: F;
  readonly P: F;
  readonly Q: F;
}

/** Phase 1: p ← z + β p for every live system. */
function phaseDirection(c: Ctx, live: Int32Array, nl: number, beta: Float64Array): void {
  const { n, R, P, minv } = c;
  for (let l = 0; l < nl; l++) {
    const s = live[l], o = s * n, bs = beta[s];
    if (minv) {
      const mo = c.minvShared ? -o : 0;
      for (let i = o, e = o + n; i < e; i++) P[i] = minv[mo + i] * R[i] + bs * P[i];
    } else {
      for (let i = o, e = o + n; i < e; i++) P[i] = R[i] + bs * P[i];
    }
  }
}

/** Phase 2: q = A p and p·q for every live system. */
function phaseSpmv(c: Ctx, live: Int32Array, nl: number, pq: Float64Array): void {
  const { n, nnz, data, ip, ix, runs, P, Q } = c;
  const k = c.spmv[0];
  const r0 = runs ? runs.r0 : EMPTY, r1 = runs ? runs.r1 : EMPTY;
  const o0 = runs ? runs.o0 : EMPTY, len = runs ? runs.len : EMPTY;
  const offs = runs ? runs.offs : EMPTY;
  for (let l = 0; l < nl; l++) {
    const s = live[l];
    pq[s] = k(data, c.aBatched ? s * nnz : 0, P, Q, s * n, ip, ix, n, r0, r1, o0, len, offs);
  }
}

/** Phase 3: x += α p, r −= α q with r·r and r·z for every live system. */
function phaseUpdate(
  c: Ctx,
  live: Int32Array,
  nl: number,
  alpha: Float64Array,
  rr: Float64Array,
  rz: Float64Array,
): void {
  const { n, X, R, P, Q, minv } = c;
  for (let l = 0; l < nl; l++) {
    const s = live[l], o = s * n, a = alpha[s];
    let sr = 0, sz = 0;
    if (minv) {
      const mo = c.minvShared ? -o : 0;
      for (let i = o, e = o + n; i < e; i++) {
        X[i] += a * P[i];
        R[i] -= a * Q[i];
        const v = R[i];
        sr += v * v;
        sz += v * (minv[mo + i] * v);
      }
    } else {
      for (let i = o, e = o + n; i < e; i++) {
        X[i] += a * P[i];
        R[i] -= a * Q[i];
        const v = R[i];
        sr += v * v;
      }
      sz = sr;
    }
    rr[s] = sr;
    rz[s] = sz;
  }
}

/** The run length covering the most rows (unrolled in the SpMV kernel). */
function dominantLength(runs: Runs): number {
  const rows = new Map<number, number>();
  for (let q = 0; q < runs.len.length; q++) {
    rows.set(runs.len[q], (rows.get(runs.len[q]) ?? 0) + runs.r1[q] - runs.r0[q]);
  }
  let best = 0, bestRows = -1;
  for (const [L, r] of rows) if (r > bestRows) [best, bestRows] = [L, r];
  return best;
}

/** The `solvers.cg` hook of the CPU namespace (null for problems it does not handle). */
export function cpuCg(
  problem: CgKernelProblem<CpuArray>,
): Promise<CgKernelResult<CpuArray>> | null {
  const { a, b, x0, minv } = problem;
  if (a.layout !== "shared") return null;
  const raw = (a.data as CpuArray).data;
  if (!(raw instanceof Float64Array || raw instanceof Float32Array)) return null;
  const data: F = raw;
  const f32 = data instanceof Float32Array;
  const n = a.shape[a.shape.length - 1];
  if (a.shape[a.shape.length - 2] !== n) return null;
  const nSys = shapeSize(problem.batch);
  if (b.size !== nSys * n || (b.data instanceof Float32Array) !== f32) return null;
  let mv: F | null = null, minvShared = true;
  if (minv) {
    const md = minv.data;
    if (!(md instanceof Float64Array || md instanceof Float32Array)) return null;
    if ((md instanceof Float32Array) !== f32) return null;
    if (minv.size === n) minvShared = true;
    else if (minv.size === nSys * n) minvShared = false;
    else return null;
    mv = md;
  }
  return solve(problem, data, f32, n, nSys, mv, minvShared, x0 ? (x0.data as F) : null);
}

async function solve(
  problem: CgKernelProblem<CpuArray>,
  data: F,
  f32: boolean,
  n: number,
  nSys: number,
  mv: F | null,
  minvShared: boolean,
  x0: F | null,
): Promise<CgKernelResult<CpuArray>> {
  for (const f of problem.finite) {
    const bad = (f.ok as CpuArray).data.findIndex((v) => v === 0);
    if (bad >= 0) {
      throw new RangeError(
        `cg: ${f.name} contains NaN or Inf` + (nSys > 1 ? ` (first affected system: ${bad})` : ""),
      );
    }
  }
  const a = problem.a;
  const nnz = a.nnz;
  const aBatched = a.shape.length > 2;
  const ip = problem.indptrHost, ix = problem.indicesHost;
  const runs = offsetRuns(ip, ix, n);
  const mk = (len: number): F => (f32 ? new Float32Array(len) : new Float64Array(len));
  const bd = problem.b.data as F;
  const X = mk(nSys * n), R = mk(nSys * n), P = mk(nSys * n), Q = mk(nSys * n);
  if (x0) X.set(x0);
  const c: Ctx = {
    n,
    nnz,
    data,
    aBatched,
    ip,
    ix,
    runs,
    spmv: [systemSpmv(runs ? dominantLength(runs) : 0, f32)],
    minv: mv,
    minvShared,
    X,
    R,
    P,
    Q,
  };
  const info = new Int32Array(nSys), iterations = new Int32Array(nSys);
  const residualNorm = new Float64Array(nSys);
  const history: number[][] | null = problem.history ? [] : null;
  const tol = new Float64Array(nSys), res = new Float64Array(nSys);
  const rr = new Float64Array(nSys), rz = new Float64Array(nSys);
  const rhoPrev = new Float64Array(nSys).fill(1);
  const beta = new Float64Array(nSys), pq = new Float64Array(nSys), alpha = new Float64Array(nSys);
  let live = new Int32Array(nSys), nl = 0;

  // setup: r = b − A x0, thresholds, b = 0 systems
  for (let s = 0; s < nSys; s++) {
    const o = s * n, dOff = aBatched ? s * nnz : 0, mo = mv && !minvShared ? o : 0;
    let bb = 0;
    for (let i = 0; i < n; i++) bb += bd[o + i] * bd[o + i];
    for (let i = 0; i < n; i++) {
      let ax = 0;
      if (x0) {
        for (let k = ip[i], e = ip[i + 1]; k < e; k++) ax += data[dOff + k] * X[o + ix[k]];
      }
      R[o + i] = bd[o + i] - ax;
    }
    const bnorm = Math.sqrt(bb);
    tol[s] = Math.max(problem.atol, problem.rtol * bnorm);
    if (bnorm === 0) {
      X.fill(0, o, o + n);
      R.fill(0, o, o + n);
    }
    let srr = 0, srz = 0;
    for (let i = 0; i < n; i++) {
      const v = R[o + i];
      srr += v * v;
      if (mv) srz += v * (mv[mo + i] * v);
    }
    res[s] = Math.sqrt(srr);
    rz[s] = mv ? srz : srr;
    if (history) history.push([res[s]]);
    const finite = Number.isFinite(res[s]);
    if (!finite && bnorm !== 0) info[s] = INFO_NONFINITE;
    if (bnorm !== 0 && finite && res[s] >= tol[s]) live[nl++] = s;
  }
  report(0);
  let it = 0;
  const next = new Int32Array(nSys);
  while (nl > 0 && it < problem.maxiter) {
    it++;
    for (let l = 0; l < nl; l++) {
      const s = live[l];
      beta[s] = rz[s] / rhoPrev[s];
    }
    phaseDirection(c, live, nl, beta);
    phaseSpmv(c, live, nl, pq);
    for (let l = 0; l < nl; l++) {
      const s = live[l];
      alpha[s] = rz[s] / pq[s];
      rhoPrev[s] = rz[s];
    }
    phaseUpdate(c, live, nl, alpha, rr, rz);
    let nn = 0;
    for (let l = 0; l < nl; l++) {
      const s = live[l];
      iterations[s]++;
      const r = Math.sqrt(rr[s]);
      res[s] = r;
      if (history) history[s].push(r);
      if (!Number.isFinite(r)) info[s] = INFO_NONFINITE;
      else if (r >= tol[s]) next[nn++] = s;
    }
    [live, nl] = [next.slice(0, nn), nn];
    if (problem.onProgress && (nl === 0 || it % 8 === 0)) report(it);
    if (it % 64 === 0) await Promise.resolve(); // let other work interleave on long solves
  }
  if (problem.onProgress && it % 8 !== 0 && nl > 0) report(it);

  // final: info codes and true residuals ‖b − A x‖
  for (let s = 0; s < nSys; s++) {
    if (info[s] === 0 && iterations[s] >= problem.maxiter) info[s] = problem.maxiter;
    const o = s * n, dOff = aBatched ? s * nnz : 0;
    let t = 0;
    for (let i = 0; i < n; i++) {
      let ax = 0;
      for (let k = ip[i], e = ip[i + 1]; k < e; k++) ax += data[dOff + k] * X[o + ix[k]];
      const d = bd[o + i] - ax;
      t += d * d;
    }
    residualNorm[s] = Math.sqrt(t);
  }
  const x = new CpuArray(X, [...problem.batch, n], f32 ? "float32" : "float64");
  return {
    x,
    info,
    iterations,
    residualNorm,
    ...(history ? { residualHistory: history.map((h) => Float64Array.from(h)) } : {}),
  };

  function report(iteration: number): void {
    problem.onProgress?.({
      iteration,
      active: nl,
      residualNorm: Float64Array.from(res),
      threshold: Float64Array.from(tol),
    });
  }
}
