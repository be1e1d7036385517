/**
 * The CPU backend's fused conjugate-gradient loop (`solvers.cg`, see `SolverHooks` in
 * array_api/types.ts) for shared-pattern CSR operators, optionally Jacobi-preconditioned.
 *
 * The portable `cg` makes five passes over the vectors per iteration (preconditioner, direction
 * update, SpMV, p·q, update). Here an iteration is two passes per system:
 *
 * - K1: the direction update is folded into the SpMV: `q_i = Σ a_ij (z_j + β p_j)` with
 *   `z = D⁻¹ r` applied on the fly, `p_new_i = z_i + β p_i` stored (ping-pong buffers), and
 *   `p_new · q` accumulated in the same loop. Rows in offset runs (stencil rows sharing their
 *   column offsets j − i) read no column indices (see `offsetRuns` in `_csr.ts`).
 * - K2: `x += α p`, `r −= α q`, and `r·r` (and `r·z` with Jacobi) in one pass.
 *
 * Systems are processed one after the other, so a converged system costs nothing afterwards (the
 * natural form of batch compaction). The arithmetic is the portable loop's, in the same order,
 * so float64 results agree with it; sums accumulate in double, float32 vectors are stored in
 * float32.
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

/** SpMV + dot over rows [i0, i1) of one run with `L` entries at offsets `offs[o0 …]`:
 * `q_i = Σ_t d[k + t] p[i + off_t]`, returns `Σ p_i q_i`. */
type K1Run = (
  d: F,
  k0: number,
  p: F,
  q: F,
  i0: number,
  i1: number,
  offs: Int32Array,
  o0: number,
) => number;

const k1Cache = new Map<string, K1Run>();

function k1Run(L: number, f32: boolean): K1Run {
  const key = `${L}:${f32}`;
  let fn = k1Cache.get(key);
  if (fn) return fn;
  if (codegenEnabled()) {
    const decl: string[] = [], terms: string[] = [];
    for (let t = 0; t < L; t++) {
      decl.push(`const f${t} = offs[o0 + ${t}];`);
      terms.push(`d[k + ${t}] * p[i + f${t}]`);
    }
    // two rows per trip: larger bytecode keeps V8 from inlining the kernel into a
    // Maglev-compiled caller, where it runs several times slower
    const terms2b = terms.map((t) =>
      t.replace(/d\[k \+ (\d+)\]/, (_m, g) => `d[k + ${L + Number(g)}]`).replaceAll(
        "[i + f",
        "[i + 1 + f",
      )
    );
    const rd = (v: string) => (f32 ? `Math.fround(${v})` : v);
    fn = compileFunction<K1Run>(
      ["d", "k0", "p", "q", "i0", "i1", "offs", "o0"],
      `"use strict"; ${decl.join(" ")}
       let k = k0, pq = 0, i = i0;
       for (; i + 1 < i1; i += 2, k += ${2 * L}) {
         const s = ${terms.join(" + ")};
         const t = ${terms2b.join(" + ")};
         q[i] = s;
         q[i + 1] = t;
         pq += p[i] * ${rd("s")} + p[i + 1] * ${rd("t")};
       }
       if (i < i1) {
         const s = ${terms.join(" + ")};
         q[i] = s;
         pq += p[i] * ${rd("s")};
       }
       return pq;`,
      `cg-spmv-dot-run-${L}-${f32 ? "f32" : "f64"}`,
    );
  } else {
    fn = (d, k0, p, q, i0, i1, offs, o0) => {
      let k = k0, pq = 0;
      for (let i = i0; i < i1; i++, k += L) {
        let s = 0;
        for (let t = 0; t < L; t++) s += d[k + t] * p[i + offs[o0 + t]];
        q[i] = s;
        pq += p[i] * q[i];
      }
      return pq;
    };
  }
  k1Cache.set(key, fn);
  return fn;
}

/** SpMV + dot for rows [i0, i1) not in runs (plain CSR). */
function k1Rows(
  ip: Int32Array,
  ix: Int32Array,
  d: F,
  p: F,
  q: F,
  i0: number,
  i1: number,
): number {
  let pq = 0;
  for (let i = i0; i < i1; i++) {
    let s = 0;
    for (let k = ip[i], e = ip[i + 1]; k < e; k++) s += d[k] * p[ix[k]];
    q[i] = s;
    pq += p[i] * q[i];
  }
  return pq;
}

/** Direction update p ← z + β p with z = D⁻¹ r (or r), in place. */
function direction(p: F, r: F, minv: F | null, mo: number, beta: number, n: number): void {
  if (minv) { for (let i = 0; i < n; i++) p[i] = minv[mo + i] * r[i] + beta * p[i]; }
  else for (let i = 0; i < n; i++) p[i] = r[i] + beta * p[i];
}

/** K2: x += α p, r −= α q over [0, n); returns [r·r, r·z]. */
function k2(
  x: F,
  r: F,
  p: F,
  q: F,
  alpha: number,
  minv: F | null,
  mo: number,
  n: number,
  out: Float64Array,
): void {
  let rr = 0, rz = 0;
  if (minv) {
    for (let i = 0; i < n; i++) {
      x[i] += alpha * p[i];
      r[i] -= alpha * q[i];
      const rv = r[i];
      rr += rv * rv;
      rz += rv * (minv[mo + i] * rv);
    }
  } else {
    for (let i = 0; i < n; i++) {
      x[i] += alpha * p[i];
      r[i] -= alpha * q[i];
      const rv = r[i];
      rr += rv * rv;
    }
    rz = rr;
  }
  out[0] = rr;
  out[1] = rz;
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
  const aBatched = a.shape.length > 2;
  const nnz = a.nnz;
  const bd = b.data as F, bdStrideOk = b.size === nSys * n;
  if (!bdStrideOk || (b.data instanceof Float32Array) !== f32) return null;
  let mv: F | null = null, minvShared = true;
  if (minv) {
    if (!(minv.data instanceof Float64Array || minv.data instanceof Float32Array)) return null;
    if ((minv.data instanceof Float32Array) !== f32) return null;
    if (minv.size === n) minvShared = true;
    else if (minv.size === nSys * n) minvShared = false;
    else return null;
    mv = minv.data as F;
  }
  return run();

  async function run(): Promise<CgKernelResult<CpuArray>> {
    for (const f of problem.finite) {
      const ok = (f.ok as CpuArray).data;
      const bad = ok.findIndex((v) => v === 0);
      if (bad >= 0) {
        throw new RangeError(
          `cg: ${f.name} contains NaN or Inf` +
            (nSys > 1 ? ` (first affected system: ${bad})` : ""),
        );
      }
    }
    const ip = problem.indptrHost, ix = problem.indicesHost;
    const runs: Runs | null = offsetRuns(ip, ix, n);
    const kernels = runs ? Array.from(runs.len, (L) => k1Run(L, f32)) : null;
    const mk = (len: number): F => (f32 ? new Float32Array(len) : new Float64Array(len));
    const X = mk(nSys * n);
    if (x0) X.set(x0.data as F);
    const info = new Int32Array(nSys), iterations = new Int32Array(nSys);
    const residualNorm = new Float64Array(nSys);
    const history: number[][] | null = problem.history ? [] : null;
    const tolA = new Float64Array(nSys), resA = new Float64Array(nSys);
    // scratch shared by the systems (r during setup, q) and per-system state
    const r = mk(n), q = mk(n);
    const tmp = new Float64Array(2);
    const active: number[] = [];
    const rz = new Float64Array(nSys), rhoPrev = new Float64Array(nSys).fill(1);
    const R = mk(nSys * n), P = mk(nSys * n);
    let live: number[] = active;
    for (let s = 0; s < nSys; s++) {
      const dOff = aBatched ? s * nnz : 0;
      const mo = mv && !minvShared ? s * n : 0;
      const xs = X.subarray(s * n, (s + 1) * n);
      const bs = bd.subarray(s * n, (s + 1) * n);
      let bb = 0;
      for (let i = 0; i < n; i++) bb += bs[i] * bs[i];
      // r = b − A x0
      for (let i = 0; i < n; i++) {
        let ax = 0;
        if (x0) { for (let k = ip[i], e = ip[i + 1]; k < e; k++) ax += data[dOff + k] * xs[ix[k]]; }
        r[i] = bs[i] - ax;
      }
      const bnorm = Math.sqrt(bb);
      const tol = Math.max(problem.atol, problem.rtol * bnorm);
      tolA[s] = tol;
      if (bnorm === 0) {
        xs.fill(0);
        r.fill(0);
      }
      let rr = 0, rzs = 0;
      for (let i = 0; i < n; i++) {
        rr += r[i] * r[i];
        if (mv) rzs += r[i] * (mv[mo + i] * r[i]);
      }
      const res = Math.sqrt(rr);
      resA[s] = res;
      rz[s] = mv ? rzs : rr;
      if (history) history.push([res]);
      const finite = Number.isFinite(res);
      if (!finite && bnorm !== 0) info[s] = INFO_NONFINITE;
      if (bnorm !== 0 && finite && res >= tol) active.push(s);
      R.set(r, s * n);
    }
    report(0);
    let it = 0;
    live = active.slice();
    while (live.length > 0 && it < problem.maxiter) {
      it++;
      const next: number[] = [];
      for (const s of live) {
        const dOff = aBatched ? s * nnz : 0;
        const mo = mv && !minvShared ? s * n : 0;
        const rs = R.subarray(s * n, (s + 1) * n);
        const ps = P.subarray(s * n, (s + 1) * n);
        const xs = X.subarray(s * n, (s + 1) * n);
        const rho = rz[s];
        direction(ps, rs, mv, mo, rho / rhoPrev[s], n);
        const ds = dOff === 0 ? data : data.subarray(dOff, dOff + nnz);
        let pq = 0;
        if (runs && kernels) {
          const { r0, r1, o0, offs } = runs;
          let row = 0;
          for (let qi = 0; qi <= r0.length; qi++) {
            const start = qi < r0.length ? r0[qi] : n;
            if (row < start) pq += k1Rows(ip, ix, ds, ps, q, row, start);
            if (qi === r0.length) break;
            pq += kernels[qi](ds, ip[start], ps, q, start, r1[qi], offs, o0[qi]);
            row = r1[qi];
          }
        } else {
          pq = k1Rows(ip, ix, ds, ps, q, 0, n);
        }
        const alpha = rho / pq;
        k2(xs, rs, ps, q, alpha, mv, mo, n, tmp);
        iterations[s]++;
        const res = Math.sqrt(tmp[0]);
        resA[s] = res;
        if (history) history[s].push(res);
        rhoPrev[s] = rho;
        rz[s] = tmp[1];
        if (!Number.isFinite(res)) info[s] = INFO_NONFINITE;
        else if (res >= tolA[s]) next.push(s);
      }
      live = next;
      if (problem.onProgress && (live.length === 0 || it % 8 === 0)) report(it);
      if (it % 64 === 0) await Promise.resolve(); // let other work interleave on long solves
    }
    if (problem.onProgress && it % 8 !== 0 && live.length > 0) report(it);
    // final: info, true residuals
    for (let s = 0; s < nSys; s++) {
      if (info[s] === 0 && iterations[s] >= problem.maxiter) info[s] = problem.maxiter;
      const dOff = aBatched ? s * nnz : 0;
      const xs = X.subarray(s * n, (s + 1) * n);
      const bs = bd.subarray(s * n, (s + 1) * n);
      let t = 0;
      for (let i = 0; i < n; i++) {
        let ax = 0;
        for (let k = ip[i], e = ip[i + 1]; k < e; k++) ax += data[dOff + k] * xs[ix[k]];
        const d = bs[i] - ax;
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
      if (!problem.onProgress) return;
      problem.onProgress({
        iteration,
        active: live.length,
        residualNorm: Float64Array.from(resA),
        threshold: Float64Array.from(tolA),
      });
    }
  }
}
