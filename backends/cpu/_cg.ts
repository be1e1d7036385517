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
import { diagonalPattern, offsetRuns, type Runs } from "./_csr.ts";

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

// ------------------------------------------------------------------ diagonal-table kernels
// For structures with few column offsets (`diagonalPattern` in _csr.ts) the values are copied
// once per solve into an `n × L` table `D` (zeros where a row lacks an offset) and `p` lives in a
// buffer with a zero halo of `H` = max |offset| entries around every system (system s at
// `H + s·(n + H)`), so a row is `L` products with no indices and no bounds cases. An iteration is
// then two passes per system:
//
// 1. `p ← z + β p`, with the previous iteration's `x += α p` applied to each row of p just
//    before it is overwritten, then `q = A p` with `p·q` (with `cgTuning.lag` both in one loop,
//    the direction running `H` rows ahead: row i reads p up to row i + H);
// 2. `r −= α q` with `r·r` (and `r·z`).
//
// The last `x += α p` of each system is applied after the loop. Every value is computed by the
// same operations in the same order as the three-pass loop (the table inserts `0 · p` terms,
// which leave the sums unchanged), so iterates and iteration counts are the same.

/** Phase 1 over all live systems (see above). */
type DiaFused = (
  D: F,
  P: F,
  R: F,
  X: F,
  Q: F,
  Mv: F | null,
  offs: Int32Array,
  live: Int32Array,
  nl: number,
  beta: Float64Array,
  alpha: Float64Array,
  pq: Float64Array,
  n: number,
  H: number,
  dStride: number,
  mStride: number,
) => void;

/** Phase 2 over all live systems: `r −= α q`, `rr = r·r`, `rz = r·z`. */
type DiaUpdate = (
  R: F,
  Q: F,
  Mv: F | null,
  live: Int32Array,
  nl: number,
  alpha: Float64Array,
  rr: Float64Array,
  rz: Float64Array,
  n: number,
  mStride: number,
) => void;

interface DiaKernels {
  fused: DiaFused;
  update: DiaUpdate;
}

const diaCache = new Map<string, DiaKernels>();

export function diaKernels(L: number, f32: boolean, pre: boolean): DiaKernels {
  const key = `${L}:${f32}:${pre}:${cgTuning.lag}`;
  let ks = diaCache.get(key);
  if (ks) return ks;
  ks = codegenEnabled() ? diaGenerated(L, f32, pre, cgTuning.lag) : diaGeneric(L, f32, pre);
  diaCache.set(key, ks);
  return ks;
}

function diaGenerated(L: number, f32: boolean, pre: boolean, lag: boolean): DiaKernels {
  const tag = `${L}-${f32 ? "f32" : "f64"}${pre ? "-jacobi" : ""}${lag ? "" : "-split"}`;
  const decl: string[] = [], terms: string[] = [];
  for (let t = 0; t < L; t++) {
    decl.push(`const f${t} = offs[${t}];`);
    terms.push(`D[k + ${t}] * P[j + f${t}]`);
  }
  const z = (u: string) => pre ? `Mv[mo + ${u}] * R[ro + ${u}]` : `R[ro + ${u}]`;
  const dir = (u: string) =>
    `{ const pv = P[po + ${u}]; X[ro + ${u}] += a * pv; P[po + ${u}] = ${z(u)} + b * pv; }`;
  const row = `{ const j = po + i; const v = ${terms.join(" + ")}; Q[ro + i] = v;
          acc += P[j] * ${f32 ? "Math.fround(v)" : "v"}; }`;
  const name = `cg_dia_${tag.replace(/-/g, "_")}`;
  const fused = compileFunction<() => DiaFused>(
    [],
    `"use strict";
    return function ${name}_fused(D, P, R, X, Q, Mv, offs, live, nl, beta, alpha, pq, n, H, dStride, mStride) {
    ${decl.join(" ")}
    const h = H < n ? H : n, e = n - H;
    for (let l = 0; l < nl; l++) {
      const s = live[l], b = beta[s], a = alpha[s];
      const po = H + s * (n + H), ro = s * n, mo = s * mStride;
      ${
      lag
        ? `for (let u = 0; u < h; u++) ${dir("u")}
      let acc = 0, i = 0, k = s * dStride;
      for (; i < e; i++, k += ${L}) {
        const m = i + H;
        ${dir("m")}
        ${row}
      }
      for (; i < n; i++, k += ${L}) ${row}`
        : `for (let u = 0; u < n; u++) ${dir("u")}
      let acc = 0;
      for (let i = 0, k = s * dStride; i < n; i++, k += ${L}) ${row}`
    }
      pq[s] = acc;
    }
    };`,
    `cg-dia-fused-${tag}`,
  )();
  const v = f32 ? "Math.fround(R[i] - al * Q[i])" : "R[i] - al * Q[i]";
  const update = compileFunction<() => DiaUpdate>(
    [],
    `"use strict";
    return function ${name}_update(R, Q, Mv, live, nl, alpha, rr, rz, n, mStride) {
    for (let l = 0; l < nl; l++) {
      const s = live[l], al = alpha[s], ro = s * n;
      let sr = 0, sz = 0;
      for (let i = ro, e = ro + n${pre ? ", m = s * mStride" : ""}; i < e; i++${
      pre ? ", m++" : ""
    }) {
        const v = ${v};
        R[i] = v;
        sr += v * v;
        ${pre ? "sz += v * (Mv[m] * v);" : ""}
      }
      rr[s] = sr;
      rz[s] = ${pre ? "sz" : "sr"};
    }
    };`,
    `cg-dia-update-${tag}`,
  )();
  return { fused, update };
}

/** The same loops without code generation (CSP): offsets through the table. */
function diaGeneric(L: number, f32: boolean, pre: boolean): DiaKernels {
  const rd = f32 ? Math.fround : (v: number) => v;
  const fused: DiaFused = (D, P, R, X, Q, Mv, offs, live, nl, beta, alpha, pq, n, H, dS, mS) => {
    const h = H < n ? H : n, e = n - H;
    for (let l = 0; l < nl; l++) {
      const s = live[l], b = beta[s], a = alpha[s];
      const po = H + s * (n + H), ro = s * n, mo = s * mS;
      const dir = (u: number) => {
        const pv = P[po + u];
        X[ro + u] += a * pv;
        P[po + u] = (pre ? Mv![mo + u] * R[ro + u] : R[ro + u]) + b * pv;
      };
      for (let u = 0; u < h; u++) dir(u);
      let acc = 0;
      for (let i = 0, k = s * dS; i < n; i++, k += L) {
        if (i < e) dir(i + H);
        const j = po + i;
        let v = D[k] * P[j + offs[0]];
        for (let t = 1; t < L; t++) v += D[k + t] * P[j + offs[t]];
        Q[ro + i] = v;
        acc += P[j] * rd(v);
      }
      pq[s] = acc;
    }
  };
  const update: DiaUpdate = (R, Q, Mv, live, nl, alpha, rr, rz, n, mS) => {
    for (let l = 0; l < nl; l++) {
      const s = live[l], al = alpha[s], ro = s * n, mo = s * mS;
      let sr = 0, sz = 0;
      for (let i = 0; i < n; i++) {
        const v = rd(R[ro + i] - al * Q[ro + i]);
        R[ro + i] = v;
        sr += v * v;
        if (pre) sz += v * (Mv![mo + i] * v);
      }
      rr[s] = sr;
      rz[s] = pre ? sz : sr;
    }
  };
  return { fused, update };
}

/** Internal switches (benchmarks and tests compare the paths): `diagonals` uses the diagonal
 * table where the structure allows; `lag` runs the direction update H rows ahead inside the
 * SpMV loop instead of in its own loop just before it (fewer passes over memory, but on V8 the
 * fused loop's register pressure made it slower on this machine: off by default). */
export const cgTuning: { diagonals: boolean; lag: boolean; systemMajor: boolean } = {
  diagonals: false,
  lag: false,
  systemMajor: true,
};

const EMPTY = new Int32Array(0);

/** Largest system size run system by system (its four vectors, 32·n bytes, stay in L1/L2). */
const SYSTEM_MAJOR_MAX_N = 4096;

/** The fixed data of one solve that the phase loops read. */
interface Ctx {
  readonly n: number;
  readonly nnz: number;
  readonly data: F;
  readonly aBatched: boolean;
  readonly ip: Int32Array;
  readonly ix: Int32Array;
  readonly runs: Runs | null;
  readonly r0: Int32Array;
  readonly r1: Int32Array;
  readonly o0: Int32Array;
  readonly len: Int32Array;
  readonly offs: Int32Array;
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
  const { n, nnz, data, ip, ix, r0, r1, o0, len, offs, P, Q } = c;
  const k = c.spmv[0];
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

/** The `solvers.cg` hook of the CPU namespace (null for problems it does not handle). Long
 * solves yield to the event loop now and then. */
export function cpuCg(
  problem: CgKernelProblem<CpuArray>,
): Promise<CgKernelResult<CpuArray>> | null {
  const steps = cgSteps(problem);
  if (!steps) return null;
  return (async () => {
    for (;;) {
      const s = steps.next();
      if (s.done) return s.value;
      await Promise.resolve(); // let other work interleave on long solves
    }
  })();
}

/** The `solvers.cgSync` hook: {@linkcode cpuCg} run to the end at once. */
export function cpuCgSync(problem: CgKernelProblem<CpuArray>): CgKernelResult<CpuArray> | null {
  const steps = cgSteps(problem);
  if (!steps) return null;
  for (;;) {
    const s = steps.next();
    if (s.done) return s.value;
  }
}

/** The solve as a generator that yields where an async caller may let other work run (null
 * for problems the fused loop does not handle). */
function cgSteps(
  problem: CgKernelProblem<CpuArray>,
): Generator<void, CgKernelResult<CpuArray>, void> | null {
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

function* solve(
  problem: CgKernelProblem<CpuArray>,
  data: F,
  f32: boolean,
  n: number,
  nSys: number,
  mv: F | null,
  minvShared: boolean,
  x0: F | null,
): Generator<void, CgKernelResult<CpuArray>, void> {
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
  const dia = cgTuning.diagonals ? diagonalPattern(ip, ix, n) : null;
  const mk = (len: number): F => (f32 ? new Float32Array(len) : new Float64Array(len));
  const bd = problem.b.data as F;
  // with a diagonal table, P has a zero halo of H entries around every system
  const H = dia ? dia.halo : 0;
  const X = mk(nSys * n), R = mk(nSys * n), Q = mk(nSys * n);
  const P = mk(dia ? nSys * (n + H) + H : nSys * n);
  let D: F | null = null;
  if (dia) {
    const L = dia.offs.length, slot = dia.slot, nd = aBatched ? nSys : 1;
    D = mk(nd * n * L);
    for (let s = 0, dk = 0, ak = 0; s < nd; s++, dk += n * L, ak += nnz) {
      for (let k = 0; k < nnz; k++) D[dk + slot[k]] = data[ak + k];
    }
  }
  const diaK = dia ? [diaKernels(dia.offs.length, f32, mv !== null)] : null;
  const dStride = dia && aBatched ? n * dia.offs.length : 0;
  const mStride = mv && !minvShared ? n : 0;
  if (x0) X.set(x0);
  const c: Ctx = {
    n,
    nnz,
    data,
    aBatched,
    ip,
    ix,
    runs,
    r0: runs ? runs.r0 : EMPTY,
    r1: runs ? runs.r1 : EMPTY,
    o0: runs ? runs.o0 : EMPTY,
    len: runs ? runs.len : EMPTY,
    offs: runs ? runs.offs : EMPTY,
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
  const live = new Int32Array(nSys);
  let nl = 0;

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
  /** One CG iteration of the systems `lv[0..k)`; the survivors are compacted in place into
   * `lv` (writes never overtake reads); returns their count. */
  const iterate = (lv: Int32Array, k: number): number => {
    for (let l = 0; l < k; l++) {
      const s = lv[l];
      beta[s] = rz[s] / rhoPrev[s];
    }
    if (diaK) {
      // reads alpha as the previous iteration's (pending x += α p), 0 before the first
      diaK[0].fused(
        D!,
        P,
        R,
        X,
        Q,
        mv,
        dia!.offs,
        lv,
        k,
        beta,
        alpha,
        pq,
        n,
        H,
        dStride,
        mStride,
      );
    } else {
      phaseDirection(c, lv, k, beta);
      phaseSpmv(c, lv, k, pq);
    }
    for (let l = 0; l < k; l++) {
      const s = lv[l];
      alpha[s] = rz[s] / pq[s];
      rhoPrev[s] = rz[s];
    }
    if (diaK) diaK[0].update(R, Q, mv, lv, k, alpha, rr, rz, n, mStride);
    else phaseUpdate(c, lv, k, alpha, rr, rz);
    let nn = 0;
    for (let l = 0; l < k; l++) {
      const s = lv[l];
      iterations[s]++;
      const r = Math.sqrt(rr[s]);
      res[s] = r;
      if (history) history[s].push(r);
      if (!Number.isFinite(r)) info[s] = INFO_NONFINITE;
      else if (r >= tol[s]) lv[nn++] = s;
    }
    return nn;
  };
  let it = 0;
  if (cgTuning.systemMajor && !problem.onProgress && nl > 1 && n <= SYSTEM_MAJOR_MAX_N) {
    // Small systems without progress reports: each system runs to the end on its own while its
    // vectors sit in L1 (every phase of an iteration re-reads them). The arithmetic per system is
    // exactly that of the lockstep loop below, so results are identical; only the order in which
    // systems are visited changes.
    const one = new Int32Array(1);
    for (let l0 = 0; l0 < nl; l0++) {
      one[0] = live[l0];
      let k = 1, its = 0;
      while (k > 0 && its < problem.maxiter) {
        its++;
        k = iterate(one, k);
        if (its % 1024 === 0) yield; // let other work interleave
      }
      if (its > it) it = its;
    }
    nl = 0;
  }
  while (nl > 0 && it < problem.maxiter) {
    it++;
    nl = iterate(live, nl);
    if (problem.onProgress && (nl === 0 || it % 8 === 0)) report(it);
    if (it % 64 === 0) yield; // let other work interleave on long solves
  }
  if (problem.onProgress && it % 8 !== 0 && nl > 0) report(it);

  // the last x += α p of every system that iterated (the diagonal path lags it)
  if (diaK) {
    for (let s = 0; s < nSys; s++) {
      if (iterations[s] === 0) continue;
      const a = alpha[s], o = s * n, po = H + s * (n + H);
      for (let i = 0; i < n; i++) X[o + i] += a * P[po + i];
    }
  }
  // final: info codes and true residuals ‖b − A x‖ (float64: A x through the SpMV kernel, which
  // sums in CSR order like the plain loop; float32 keeps A x in double)
  const spmv = c.spmv;
  for (let s = 0; s < nSys; s++) {
    if (info[s] === 0 && iterations[s] >= problem.maxiter) info[s] = problem.maxiter;
    const o = s * n, dOff = aBatched ? s * nnz : 0;
    let t = 0;
    if (!f32) {
      spmv[0](data, dOff, X, Q, o, ip, ix, n, c.r0, c.r1, c.o0, c.len, c.offs);
      for (let i = o, e = o + n; i < e; i++) {
        const d = bd[i] - Q[i];
        t += d * d;
      }
    } else {
      for (let i = 0; i < n; i++) {
        let ax = 0;
        for (let k = ip[i], e = ip[i + 1]; k < e; k++) ax += data[dOff + k] * X[o + ix[k]];
        const d = bd[o + i] - ax;
        t += d * d;
      }
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
