/**
 * GCROT(m, k) (SciPy's `scipy.sparse.linalg.gcrotmk`), batched.
 *
 * @module
 */
import type { ArrayObject } from "../array_api/types.ts";
import { defineFused, runFused } from "../array_api/fuse.ts";
import { fmtShape } from "../array_api/shapes.ts";
import { checkMaxiter, checkTolerance, prepareSystem, toArray } from "./_prepare.ts";
import { ConvergenceMonitor } from "./_convergence.ts";
import { callbackDone, deferDispose, driveAsync, solveSync, type Steps } from "./_drive.ts";
import { Cols, emptyStats, epsOf, preparedTemps, trueResidualNorm } from "./_batch.ts";
import { combine, historyOf, IndexCache, matvecSmall, normSq } from "./_arnoldi.ts";
import { fgmres } from "./_arnoldi_fgmres.ts";
import {
  type AnyOperatorInput,
  type ArrayOfOperator,
  INFO_NONFINITE,
  type KrylovOptions,
  type SolveResult,
  type VectorInput,
} from "./types.ts";

/**
 * A GCROT recycling pair (SciPy's `(c, u)` tuples of `CU`): `u` is `(..., n)` and `c = A u`
 * (`(..., n)`), or null when it should be recomputed.
 *
 * @example
 * ```ts
 * import type { GcrotmkCU } from "./gcrotmk.ts";
 * import { cpu, type CpuArray } from "../backends/cpu/mod.ts";
 * const cu: GcrotmkCU<CpuArray> = { c: null, u: cpu.asarray([1, 0]) };
 * ```
 */
export interface GcrotmkCU<A extends ArrayObject = ArrayObject> {
  /** `A u` (`(..., n)`), or null to recompute it. */
  readonly c: A | null;
  /** The vector `(..., n)`. */
  readonly u: A;
}

/**
 * Options of {@linkcode gcrotmk}: SciPy's `gcrotmk` options in camelCase.
 *
 * @example
 * ```ts
 * import type { GcrotmkOptions } from "./gcrotmk.ts";
 * const o: GcrotmkOptions = { rtol: 1e-8, m: 20, k: 10, truncate: "smallest" };
 * ```
 */
export interface GcrotmkOptions<A extends ArrayObject = ArrayObject> extends KrylovOptions<A> {
  /** Outer iterations (default 1000). `callback` is called at the start of each; `iterations`
   * counts those calls, as SciPy's callback does. */
  maxiter?: number;
  /** Inner FGMRES iterations per outer iteration (default 20). */
  m?: number;
  /** Number of vectors carried between outer iterations (default `m`). */
  k?: number;
  /** Recycling pairs `(c, u)` used and updated in place (SciPy's `CU`): pass an array to start
   * from a previous solve's vectors and to receive the new ones (batch-shaped; the last entry
   * is `{ c: null, u: x }`). */
  CU?: GcrotmkCU<A>[];
  /** Return the `CU` entries with `c = null` (cheaper to keep when recycling for other
   * matrices; default false). */
  discardC?: boolean;
  /** Which vectors to drop when more than `k` are carried: the oldest (default) or those with
   * the smallest singular values (de Sturler's scheme). */
  truncate?: "oldest" | "smallest";
}

const initSums = defineFused("gcrotmk.init.sums", { b: "float", r: "float" }, (v, f) => ({
  bb: f.sum(v.b.mul(v.b)),
  rr: f.sum(v.r.mul(v.r)),
}));

const initState = defineFused(
  "gcrotmk.init",
  { bb: "float", rtol: "float", atol: "float" },
  (v, f) => {
    const bnrm = v.bb.sqrt();
    const zero = bnrm.eq(0);
    return {
      tol: f.max(v.atol, v.rtol.mul(bnrm)),
      zero,
      active: zero.not(),
      info: f.const(0, "int"),
      rnorm: f.const(0),
    };
  },
);

const zeroOut = defineFused(
  "gcrotmk.zero",
  { x: "float", r: "float", zero: "bool" },
  (v, f) => ({ x: f.where(v.zero, 0, v.x), r: f.where(v.zero, 0, v.r) }),
);

const residual = defineFused("gcrotmk.residual", { b: "float", ax: "float" }, (v, f) => {
  const r = v.b.sub(v.ax);
  return { r, rr: f.sum(r.mul(r)) };
});

// SciPy recomputes the residual when the recurrence claims convergence (after the first outer
// iteration, or with recycled vectors).
const recheck = defineFused(
  "gcrotmk.recheck",
  { rr: "float", rtt: "float", active: "bool", tol: "float" },
  (v, f) => {
    const cand = v.active.and(v.rr.sqrt().le(v.tol));
    return { cand, rr: f.where(cand, v.rtt, v.rr) };
  },
);

const select = defineFused(
  "gcrotmk.select",
  { keep: "bool", a: "float", b: "float" },
  (v, f) => ({ r: f.where(v.keep, v.a, v.b) }),
);

const top = defineFused(
  "gcrotmk.top",
  { rr: "float", active: "bool", iters: "int", info: "int", tol: "float", rnorm: "float" },
  (v, f) => {
    const beta = v.rr.sqrt();
    const fin = beta.isfinite();
    const active = v.active.and(fin).and(beta.le(v.tol).not());
    return {
      beta,
      iters: v.iters.add(f.where(v.active, f.const(1, "int"), f.const(0, "int"))),
      info: f.where(v.active.and(fin.not()), f.const(INFO_NONFINITE, "int"), v.info),
      active,
      rnorm: f.where(v.active, beta, v.rnorm),
      hist: f.where(v.active, beta, -1),
      scale: f.where(active, f.const(1).div(beta), 0),
      atolRel: v.tol.div(beta),
    };
  },
);

const scaleKeep1 = defineFused(
  "gcrotmk.scale1",
  { w: "float", s: "float", keep: "bool" },
  (v, f) => ({ v: f.where(v.keep, v.w.mul(v.s), 0) }),
);

const scaleRows = defineFused("gcrotmk.scaleY", { y: "float", s: "float" }, (v) => ({
  y: v.y.mul(v.s),
}));

const negRows = defineFused("gcrotmk.neg", { y: "float" }, (v) => ({ y: v.y.neg() }));

const keepOf = defineFused("gcrotmk.keep", { a: "bool", b: "bool" }, (v) => ({
  k: v.a.and(v.b),
}));

// After the inner solve: NaN guard, normalisation of cx (SciPy skips the update when ‖cx‖ is
// zero or not finite).
const post = defineFused(
  "gcrotmk.post",
  { ncx2: "float", nux2: "float", part: "bool", ok: "bool", info: "int", active: "bool" },
  (v, f) => {
    const alpha = f.const(1).div(v.ncx2.sqrt());
    const bad = v.part.and(v.ok.and(v.nux2.isfinite()).not());
    const upd = v.part.and(bad.not()).and(alpha.isfinite());
    return {
      upd,
      a: f.where(upd, alpha, 0),
      info: f.where(bad, f.const(INFO_NONFINITE, "int"), v.info),
      active: v.active.and(bad.not()),
    };
  },
);

// cx, ux ← α·cx, α·ux (zero where not updated) and γ = cxᵀ r in one pass.
const scaleDot = defineFused(
  "gcrotmk.scaleDot",
  { cx: "float", ux: "float", a: "float", r: "float", keep: "bool" },
  (v, f) => {
    const cx = f.where(v.keep, v.cx.mul(v.a), 0);
    return { cx, ux: f.where(v.keep, v.ux.mul(v.a), 0), gamma: f.sum(cx.mul(v.r)) };
  },
);

// r ← r − γ cx, x ← x + γ ux.
const update = defineFused(
  "gcrotmk.update",
  { r: "float", x: "float", cx: "float", ux: "float", gamma: "float", keep: "bool" },
  (v, f) => ({
    r: f.where(v.keep, v.r.sub(v.gamma.mul(v.cx)), v.r),
    x: f.where(v.keep, v.x.add(v.gamma.mul(v.ux)), v.x),
  }),
);

// Best iterate so far (by true residual, checked at the top of outer iterations): returned for
// systems that end with a NaN/Inf, since GCROT's residual recurrence can drift and blow up
// before the NaN appears (SciPy then returns NaN).
const keepBest = defineFused(
  "gcrotmk.best",
  { rr: "float", bestRR: "float" },
  (v, f) => {
    const better = v.rr.lt(v.bestRR);
    return { better, bestRR: f.where(better, v.rr, v.bestRR) };
  },
);

const bestRes = defineFused("gcrotmk.bestRes", { bestRR: "float" }, (v) => ({
  r: v.bestRR.sqrt(),
}));

const pickBest = defineFused(
  "gcrotmk.pick",
  { x: "float", best: "float", info: "int" },
  (v, f) => ({ x: f.where(v.info.eq(INFO_NONFINITE), v.best, v.x) }),
);

const slot = defineFused(
  "gcrotmk.slot",
  { keep: "bool", ca: "float", cb: "float", ua: "float", ub: "float" },
  (v, f) => ({ c: f.where(v.keep, v.ca, v.cb), u: f.where(v.keep, v.ua, v.ub) }),
);

const dot = defineFused("gcrotmk.dot", { a: "float", b: "float" }, (v, f) => ({
  d: f.sum(v.a.mul(v.b)),
}));

// c ← c − α cp, u ← u − α up; ‖c‖² in the same pass.
const axpy2 = defineFused(
  "gcrotmk.axpy2",
  { c: "float", u: "float", cp: "float", up: "float", al: "float" },
  (v, f) => {
    const c = v.c.sub(v.al.mul(v.cp));
    return { c, u: v.u.sub(v.al.mul(v.up)), cc: f.sum(c.mul(c)) };
  },
);

const normalize = defineFused(
  "gcrotmk.normalize",
  { cc: "float", ref: "float", thr: "float", keep: "bool" },
  (v, f) => {
    const nrm = v.cc.sqrt();
    const ok = v.keep.and(nrm.gt(v.thr.mul(v.ref))).and(nrm.isfinite());
    return { s: f.where(ok, f.const(1).div(nrm), 0), nrm };
  },
);

const scale2 = defineFused(
  "gcrotmk.scale2",
  { c: "float", u: "float", s: "float" },
  (v) => ({ c: v.c.mul(v.s), u: v.u.mul(v.s) }),
);

// x ← x + y u, r ← r − y c (projection on recycled vectors).
const project = defineFused(
  "gcrotmk.project",
  { x: "float", r: "float", c: "float", u: "float", y: "float" },
  (v) => ({ x: v.x.add(v.y.mul(v.u)), r: v.r.sub(v.y.mul(v.c)) }),
);

interface Pair<A> {
  c: A;
  u: A;
  owned: boolean;
}

/**
 * Solves `A x = b` with the flexible GCROT(m, k) method (SciPy's
 * `scipy.sparse.linalg.gcrotmk` semantics), for a whole batch of systems at once.
 *
 * Each outer iteration runs `m` (plus `k − len(CU)` while fewer than `k` vectors are carried)
 * steps of flexible GMRES on `A M` with the carried `C` vectors projected out, then folds the
 * correction into `x` and the residual and keeps the new `(c, u)` pair, truncating to `k`
 * pairs (`truncate`). `M` may vary between applications (flexible). Convergence:
 * `‖b − A x‖ ≤ max(atol, rtol·‖b‖)` at the start of an outer iteration (the residual is
 * recomputed when its recurrence claims convergence, as SciPy). `iterations` counts outer
 * iterations including the one that detected convergence (SciPy's callback calls).
 *
 * `info` per system: 0 converged; `maxiter` not converged; {@linkcode INFO_NONFINITE} (−12)
 * when a NaN/Inf appeared (SciPy returns the outer iteration number; the last finite iterate is
 * kept). `residualHistory`: each system's residual norm at each of its outer iterations.
 *
 * @example
 * ```ts
 * import { gcrotmk } from "./gcrotmk.ts";
 * import { cpu as xp } from "../backends/cpu/mod.ts";
 * const A = xp.asarray([[4, 1, 0], [1, 3, 1], [0, 1, 2]]);
 * const CU: { c: typeof A | null; u: typeof A }[] = [];
 * const r1 = await gcrotmk(A, xp.asarray([1, 2, 3]), { rtol: 1e-10, CU });
 * const r2 = await gcrotmk(A, xp.asarray([1, 2, 4]), { rtol: 1e-10, CU }); // recycles CU
 * console.log(r1.info[0], r2.info[0], CU.length > 0);      // 0 0 true
 * ```
 */
export function gcrotmk<T extends AnyOperatorInput>(
  A: T,
  b: VectorInput<ArrayOfOperator<T>>,
  options?: GcrotmkOptions<ArrayOfOperator<T>>,
): Promise<SolveResult<ArrayOfOperator<T>>> {
  return driveAsync(gcrotmkSteps(A, b, options ?? {})) as Promise<
    SolveResult<ArrayOfOperator<T>>
  >;
}

/**
 * {@linkcode gcrotmk}, synchronously: the same arguments, options, semantics and result, returned
 * directly instead of in a promise (for CPU users, and for `tf.customGrad`, whose forward and
 * backward functions must be synchronous). Host readbacks use `xp.toHostSync`, so the convergence
 * check runs after every iteration.
 *
 * A namespace without `toHostSync` (WebGPU, which must wait for the device) is a `TypeError`
 * pointing to {@linkcode gcrotmk}; so is a `callback` that returns a promise.
 *
 * @example
 * ```ts
 * import { gcrotmkSync } from "./gcrotmk.ts";
 * import { cpu as xp } from "../backends/cpu/mod.ts";
 * const A = xp.asarray([[3, 2, 0], [1, -1, 0], [0, 5, 1]]);
 * const r = gcrotmkSync(A, xp.asarray([2, 4, -1]), { atol: 1e-5 });
 * console.log(r.info[0], r.residualNorm[0] < 1e-5);       // 0 true
 * ```
 */
export function gcrotmkSync<T extends AnyOperatorInput>(
  A: T,
  b: VectorInput<ArrayOfOperator<T>>,
  options?: GcrotmkOptions<ArrayOfOperator<T>>,
): SolveResult<ArrayOfOperator<T>> {
  return solveSync(
    "gcrotmk",
    { A, b, x0: options?.x0, M: options?.M },
    () => gcrotmkSteps(A, b, options ?? {}),
  ) as SolveResult<ArrayOfOperator<T>>;
}

function* gcrotmkSteps<A extends ArrayObject>(
  A: unknown,
  b: unknown,
  options: GcrotmkOptions<A>,
): Steps<SolveResult<A>, A> {
  const label = "gcrotmk";
  const rtol = checkTolerance(label, "rtol", options.rtol, 1e-5);
  const atol = checkTolerance(label, "atol", options.atol, 0);
  const maxiter = checkMaxiter(label, "maxiter", options.maxiter, 1000);
  const m = checkMaxiter(label, "m", options.m, 20);
  const k = checkMaxiter(label, "k", options.k, m, 0);
  const truncate = options.truncate ?? "oldest";
  if (truncate !== "oldest" && truncate !== "smallest") {
    throw new RangeError(
      `${label}: truncate must be "oldest" or "smallest", got ${JSON.stringify(truncate)}`,
    );
  }
  if (options.CU !== undefined && options.CU !== null && !Array.isArray(options.CU)) {
    throw new TypeError(`${label}: CU must be an array of { c, u } entries`);
  }
  const discardC = options.discardC ?? false;
  const sys = prepareSystem<A>(label, A, b, { square: true, x0: options.x0, M: options.M });
  yield* deferDispose(sys.xp, preparedTemps(sys, b));
  const { xp, n, nSys, batch, dtype } = sys;
  const vshape = [...batch, n];
  const toVec = (v: unknown, what: string): A => {
    const a = toArray(label, what, xp, v, dtype);
    if (a.ndim < 1 || a.shape[a.ndim - 1] !== n) {
      throw new RangeError(
        `${label}: ${what} with shape ${fmtShape(a.shape)} does not match n = ${n}`,
      );
    }
    try {
      return a.shape.length === vshape.length && a.shape.every((d, i) => d === vshape[i])
        ? a
        : xp.broadcast_to(a, vshape);
    } catch {
      throw new RangeError(
        `${label}: ${what} with shape ${fmtShape(a.shape)} does not broadcast to ${
          fmtShape(vshape)
        }`,
      );
    }
  };
  // SciPy's order: pairs without c first (stable)
  const given = (options.CU ?? []).map((e, i) => ({
    c: discardC || !e?.c ? null : toVec(e.c, `CU[${i}].c`),
    u: toVec(e?.u, `CU[${i}].u`),
  }));
  given.sort((p, q) => (p.c === null ? 0 : 1) - (q.c === null ? 0 : 1));
  if (nSys === 0 || n === 0) {
    xp.dispose(...sys.finite.map((f) => f.ok));
    return { x: sys.x, ...emptyStats(nSys), ...(options.history ? { residualHistory: [] } : {}) };
  }
  const eps = epsOf(dtype);
  const op = sys.A, M = sys.M;
  const idx = new IndexCache(xp);
  const zero = xp.zeros(batch, { dtype });
  const noInner = xp.zeros(batch, { dtype: "bool" });
  const zerosV = () => xp.zeros(vshape, { dtype });

  // ---- initial state
  let x = sys.x;
  let r: A;
  if (sys.x0Given) {
    const ax = op.matvec(x);
    ({ r } = runFused(xp, residual, { b: sys.b, ax }, { out: { r: ax } }));
  } else r = xp.astype(sys.b, dtype, { copy: true });
  const s0 = runFused(xp, initSums, { b: sys.b, r });
  const st0 = runFused(xp, initState, { bb: s0.bb, rtol, atol });
  xp.dispose(s0.bb, s0.rr);
  const views = new Cols(xp); // [...batch, 1] views, released once per cycle
  ({ x, r } = runFused(xp, zeroOut, { x, r, zero: views.col(st0.zero) }, { out: { x, r } }));
  xp.dispose(st0.zero);
  const tol = st0.tol;
  let { active, info, rnorm } = st0;
  let iters = xp.zeros(batch, { dtype: "int32" });
  let innerRow = noInner;
  let xBest = xp.astype(x, dtype, { copy: true });
  let bestRR = xp.full(batch, Infinity, { dtype });

  // ---- recycled vectors: C = A U orthonormalised (U updated alongside), then x, r projected
  let CU: Pair<A>[] = [];
  let validS: A[] = []; // per pair: its normalisation factor (0 where it was dropped)
  if (given.length > 0) {
    const keep = active;
    let ref: A | null = null;
    const Q: Pair<A>[] = [];
    const valid: A[] = [];
    for (const g of given) {
      let c = g.c ? xp.astype(g.c, dtype, { copy: true }) : op.matvec(g.u);
      let u = xp.astype(g.u, dtype, { copy: true });
      let cc: A = runFused(xp, normSq, { w: c }).ww;
      // Gram–Schmidt twice (SciPy uses Householder QR): keeps C orthonormal to round-off, so
      // that a dependent column is recognised and dropped rather than normalised noise
      for (let pass = 0; pass < 2; pass++) {
        for (const q of Q) {
          const { d } = runFused(xp, dot, { a: q.c, b: c });
          const o = runFused(
            xp,
            axpy2,
            { c, u, cp: q.c, up: q.u, al: views.col(d) },
            { out: { c, u } },
          );
          xp.dispose(d, cc);
          ({ c, u, cc } = o);
        }
      }
      // SciPy drops vectors with |R_jj| < 1e-12·|R_00| (here: each dependent one, not the rest)
      const nm = runFused(xp, normalize, { cc, ref: ref ?? 0, thr: ref ? 1e-12 : 0, keep });
      if (!ref) ref = xp.astype(nm.nrm, dtype, { copy: true });
      const sc = runFused(xp, scale2, { c, u, s: views.col(nm.s) }, { out: { c, u } });
      xp.dispose(cc, nm.nrm);
      Q.push({ c: sc.c, u: sc.u, owned: true });
      valid.push(nm.s);
    }
    if (ref) xp.dispose(ref);
    CU = Q.reverse();
    validS = valid.reverse();
    for (const p of CU) {
      const { d } = runFused(xp, dot, { a: p.c, b: r });
      ({ x, r } = runFused(xp, project, { x, r, c: p.c, u: p.u, y: views.col(d) }, {
        out: { x, r },
      }));
      xp.dispose(d);
    }
  }

  const mon = new ConvergenceMonitor(xp, {
    label,
    nSys,
    batch,
    maxiter: maxiter * (m + k + 1),
    dtype,
    threshold: tol,
    finite: sys.finite,
    history: options.history,
    onProgress: options.onProgress,
  });
  const rowsNow = (): Record<string, A> => ({ active, res: rnorm, iters, info, inner: innerRow });

  // The first check is the one at the top of the first outer iteration (a check before it
  // would see the same iteration 0 and leave the monitor no iteration time to measure).
  let it = 0;
  let stop = false;
  let j = 0;
  for (; j < maxiter && !stop; j++) {
    views.release();
    if (options.callback) {
      yield* callbackDone<A>(options.callback(x, j + 1));
    }
    // ---- convergence test at the top of the outer iteration
    let rr = runFused(xp, normSq, { w: r }).ww;
    let trueRR = rr;
    if (j > 0 || CU.length > 0) {
      const ax = op.matvec(x);
      const rt = runFused(xp, residual, { b: sys.b, ax }, { out: { r: ax } });
      const rc = runFused(xp, recheck, { rr, rtt: rt.rr, active, tol });
      r = runFused(xp, select, { keep: views.col(rc.cand), a: rt.r, b: r }, { out: { r } }).r;
      xp.dispose(rr, rt.r, rc.cand);
      rr = rc.rr;
      trueRR = rt.rr;
    }
    const kb = runFused(xp, keepBest, { rr: trueRR, bestRR });
    xBest = runFused(xp, select, { keep: views.col(kb.better), a: x, b: xBest }, {
      out: { r: xBest },
    }).r;
    xp.dispose(bestRR, kb.better);
    bestRR = kb.bestRR;
    if (trueRR !== rr) xp.dispose(trueRR);
    const t = runFused(xp, top, { rr, active, iters, info, tol, rnorm });
    xp.dispose(rr, active, iters, info, rnorm);
    ({ active, iters, info, rnorm } = t);
    if (options.history) mon.record(it, t.hist);
    else xp.dispose(t.hist);
    if (j === 0 || !mon.wantsTrueResidual || mon.due(it)) {
      const rows = rowsNow();
      if (j === 0) validS.forEach((v, i) => (rows[`cu${i}`] = v));
      stop = yield* mon.check(it, rows);
      if (j === 0 && validS.length > 0 && mon.last?.iteration === 0) {
        // pairs dropped as dependent for every system leave the list, as in SciPy
        const last = mon.last;
        const keepPair = validS.map((_, i) => last.rows[`cu${i}`].some((e) => e !== 0));
        for (const [i, q] of CU.entries()) if (!keepPair[i]) xp.dispose(q.c, q.u);
        CU = CU.filter((_, i) => keepPair[i]);
      }
      if (j === 0) xp.dispose(...validS);
    }
    if (stop) {
      xp.dispose(t.beta, t.scale, t.atolRel);
      break;
    }

    // ---- inner FGMRES on A M from r / ‖r‖ with C projected out
    const part = active;
    const v0 = runFused(xp, scaleKeep1, { w: r, s: views.col(t.scale), keep: views.col(part) }).v;
    const L = CU.length;
    const startIt = it;
    const fg = yield* fgmres({
      xp,
      op,
      lpsolve: null,
      rpsolve: M,
      v0,
      m: m + Math.max(k - L, 0),
      atol: t.atolRel,
      part,
      cs: CU.map((p) => p.c),
      outer: [],
      prepend: false,
      dtype,
      eps,
      zero,
      idx,
      onStep: function* (inner) {
        it++;
        if (!mon.due(it)) return false;
        innerRow = inner;
        stop = yield* mon.check(it, rowsNow());
        innerRow = noInner;
        const last = mon.last;
        return stop ||
          (last !== null && last.iteration > startIt && last.rows.inner.every((e) => e === 0));
      },
    });
    const { J } = fg;
    xp.dispose(t.scale, t.atolRel);
    // ---- ux = (Z − U B) y, cx = V H y
    const ys = runFused(xp, scaleRows, { y: fg.y, s: views.col(t.beta) }, { out: { y: fg.y } }).y;
    xp.dispose(t.beta);
    const keepS = runFused(xp, keepOf, { a: part, b: fg.ok }).k;
    const keep0 = views.col(keepS);
    let ux = combine(xp, zerosV(), fg.zs, ys, J, keep0, idx, dtype);
    if (L > 0 && fg.B) {
      const by = matvecSmall(xp, fg.B, ys);
      const nby = runFused(xp, negRows, { y: by }, { out: { y: by } }).y;
      xp.dispose(ux.rr);
      ux = combine(xp, ux.r, CU.map((p) => p.u), nby, L, keep0, idx, dtype);
      xp.dispose(nby);
    }
    const hy = matvecSmall(xp, fg.H, ys);
    const cxr = combine(xp, zerosV(), fg.vs, hy, J + 1, keep0, idx, dtype);
    xp.dispose(hy, keep0, keepS);
    const p = runFused(xp, post, {
      ncx2: cxr.rr,
      nux2: ux.rr,
      part,
      ok: fg.ok,
      info,
      active,
    });
    xp.dispose(cxr.rr, ux.rr, info, fg.ok, fg.pres);
    info = p.info;
    const upd = views.col(p.upd);
    const sd = runFused(
      xp,
      scaleDot,
      { cx: cxr.r, ux: ux.r, a: views.col(p.a), r, keep: upd },
      { out: { cx: cxr.r, ux: ux.r } },
    );
    ({ r, x } = runFused(
      xp,
      update,
      { r, x, cx: sd.cx, ux: sd.ux, gamma: views.col(sd.gamma), keep: upd },
      { out: { r, x } },
    ));
    xp.dispose(sd.gamma, p.a, active);
    active = p.active;

    // ---- truncate the carried pairs and add (cx, ux); systems not updated keep theirs
    const next: Pair<A>[] = [];
    const take = (keepNew: A, a: Pair<A> | null, old: Pair<A> | null): Pair<A> => {
      const o = runFused(xp, slot, {
        keep: keepNew,
        ca: a ? a.c : 0,
        cb: old ? old.c : 0,
        ua: a ? a.u : 0,
        ub: old ? old.u : 0,
      }, { dtype });
      return { c: o.c, u: o.u, owned: true };
    };
    const fresh: Pair<A> = { c: sd.cx, u: sd.ux, owned: true };
    if (L < k) {
      next.push(...CU, take(upd, fresh, null));
      xp.dispose(fresh.c, fresh.u);
    } else if (truncate === "oldest" || L === 0) {
      const T = Math.max(k, 1);
      for (let i = 0; i < T; i++) {
        const newer = i < T - 1 ? CU[L - (T - 1) + i] : fresh;
        const older = L - T + i >= 0 ? CU[L - T + i] : null;
        next.push(take(upd, newer, older));
      }
      xp.dispose(fresh.c, fresh.u);
      for (const q of CU) if (q.owned) xp.dispose(q.c, q.u);
    } else {
      const nw = smallest(fg.R, fg.B!, J, L);
      const T = nw.length + 1;
      for (let i = 0; i < T; i++) {
        next.push(take(upd, i < T - 1 ? nw[i] : fresh, CU[L - T + i]));
      }
      for (const q of [...nw, fresh]) xp.dispose(q.c, q.u);
      for (const q of CU) if (q.owned) xp.dispose(q.c, q.u);
    }
    CU = next;
    xp.dispose(p.upd, ys, fg.H, fg.R, ...fg.vs, ...fg.zs.filter((_, i) => fg.zsOwned[i]));
    if (fg.B) xp.dispose(fg.B);
    if (stop) {
      j++;
      break;
    }
  }

  // de Sturler's truncation: keep the span of the k − 1 largest singular directions of B R⁻¹.
  function smallest(R: A, B: A, J: number, L: number): Pair<A>[] {
    const ls = xp.linalg.lstsq(xp.matrix_transpose(R), xp.matrix_transpose(B), { rcond: eps });
    const D = xp.matrix_transpose(ls.solution); // [..., L, J] = B R⁻¹
    const { U, S, Vh } = xp.linalg.svd(D);
    xp.dispose(ls.solution, ls.residuals, ls.rank, ls.singular_values, D, S, Vh);
    const nW = Math.min(L, J);
    const nNew = k >= 1 ? Math.min(k - 1, nW) : Math.max(nW - 1, 0);
    const all = xp.ones([...batch, 1], { dtype: "bool" });
    const out: Pair<A>[] = [];
    for (let i = 0; i < nNew; i++) {
      const wt = xp.take(U, idx.at(i), { axis: -1 });
      const w = xp.reshape(wt, [...batch, L]);
      xp.dispose(wt);
      let c = combine(xp, zerosV(), CU.map((q) => q.c), w, L, all, idx, dtype);
      const u = combine(xp, zerosV(), CU.map((q) => q.u), w, L, all, idx, dtype);
      xp.dispose(w, u.rr);
      let uu = u.r;
      for (const q of out) {
        const { d } = runFused(xp, dot, { a: q.c, b: c.r });
        const o = runFused(
          xp,
          axpy2,
          { c: c.r, u: uu, cp: q.c, up: q.u, al: views.col(d) },
          { out: { c: c.r, u: uu } },
        );
        xp.dispose(d, c.rr);
        c = { r: o.c, rr: o.cc };
        uu = o.u;
      }
      const nm = runFused(xp, normalize, {
        cc: c.rr,
        ref: 0,
        thr: 0,
        keep: xp.reshape(all, batch),
      });
      const sc = runFused(xp, scale2, { c: c.r, u: uu, s: views.col(nm.s) }, {
        out: { c: c.r, u: uu },
      });
      xp.dispose(c.rr, nm.s, nm.nrm);
      out.push({ c: sc.c, u: sc.u, owned: true });
    }
    xp.dispose(U, all);
    return out;
  }

  // The residual is known to be the true one after convergence; not after the iteration limit.
  const needTrue = !stop && j >= maxiter;
  let trueRes: A | undefined;
  const bres = runFused(xp, bestRes, { bestRR }).r;
  const final = yield* mon.finish(
    it,
    ["iters", "info", "active", "bestRes", needTrue ? "trueRes" : "res"],
    () => {
      const rows: Record<string, A> = { ...rowsNow(), bestRes: bres };
      if (needTrue) rows.trueRes = trueRes = trueResidualNorm(xp, op, sys.b, x);
      return rows;
    },
  );
  const resRow = needTrue ? final.rows.trueRes : final.rows.res;
  x = runFused(xp, pickBest, { x, best: xBest, info: views.col(info) }, { out: { x } }).x;
  views.release();
  if (trueRes) xp.dispose(trueRes);
  xp.dispose(bres, xBest, bestRR);
  xp.dispose(zero, noInner, tol, active, info, rnorm, iters, r);
  idx.dispose();
  if (options.CU) {
    const list: GcrotmkCU<A>[] = CU.map((q) => {
      if (discardC && q.owned) xp.dispose(q.c);
      return { c: discardC ? null : q.c, u: q.u };
    });
    list.push({ c: null, u: xp.astype(x, dtype, { copy: true }) });
    options.CU.splice(0, options.CU.length, ...list);
  } else {
    for (const q of CU) if (q.owned) xp.dispose(q.c, q.u);
  }
  const out = emptyStats(nSys);
  for (let i = 0; i < nSys; i++) {
    const code = final.rows.info[i];
    out.iterations[i] = final.rows.iters[i];
    out.info[i] = code !== 0 ? code : final.rows.active[i] !== 0 ? maxiter : 0;
    out.residualNorm[i] = code === INFO_NONFINITE ? final.rows.bestRes[i] : resRow[i];
  }
  return {
    x,
    ...out,
    ...(options.history ? { residualHistory: historyOf(mon) } : {}),
  };
}
