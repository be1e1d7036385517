/**
 * Restarted GMRES (SciPy's `scipy.sparse.linalg.gmres`), batched.
 *
 * @module
 */
import type { ArrayObject } from "../array_api/types.ts";
import { defineFused, runFused } from "../array_api/fuse.ts";
import { checkMaxiter, checkTolerance, prepareSystem } from "./_prepare.ts";
import { ConvergenceMonitor } from "./_convergence.ts";
import { callbackDone, deferDispose, driveAsync, solveSync, type Steps } from "./_drive.ts";
import { Cols, emptyStats, epsOf, preparedTemps } from "./_batch.ts";
import {
  applyRotations,
  combine,
  historyOf,
  IndexCache,
  lartg,
  mgs,
  normSq,
  scaleKeep,
  stackPadded,
} from "./_arnoldi.ts";
import {
  type AnyOperatorInput,
  type ArrayOfOperator,
  INFO_NONFINITE,
  type KrylovOptions,
  type SolveResult,
  type VectorInput,
} from "./types.ts";

/**
 * What the `callback` of {@linkcode gmres} receives (SciPy's `callback_type`):
 *
 * - `"pr_norm"` (the default here): after every inner iteration, the preconditioned residual
 *   norm of each system relative to its `‖b‖` (a `[...batch]` array);
 * - `"x"`: after every restart cycle, the current iterate (`[...batch, n]`);
 * - `"legacy"`: like `"pr_norm"`, and `maxiter` then counts inner iterations instead of restart
 *   cycles (SciPy's deprecated default when a callback is given without `callback_type`).
 *
 * @example
 * ```ts
 * import type { GmresCallbackType } from "./gmres.ts";
 * const t: GmresCallbackType = "x";
 * ```
 */
export type GmresCallbackType = "x" | "pr_norm" | "legacy";

/**
 * Options of {@linkcode gmres}: SciPy's `gmres` options in camelCase.
 *
 * @example
 * ```ts
 * import type { GmresOptions } from "./gmres.ts";
 * const o: GmresOptions = { rtol: 1e-8, restart: 30, maxiter: 50 };
 * ```
 */
export interface GmresOptions<A extends ArrayObject = ArrayObject>
  extends Omit<KrylovOptions<A>, "callback" | "maxiter"> {
  /** Inner iterations between restarts (default `min(20, n)`; values above `n` become `n`). */
  restart?: number;
  /** Number of restart cycles (default `10·n`); with `callbackType: "legacy"`, the number of
   * inner iterations. Systems not converged then report `info = maxiter`. */
  maxiter?: number;
  /** What `callback` receives (see {@linkcode GmresCallbackType}); default `"pr_norm"`.
   * SciPy 1.17's default is `"legacy"` (with a deprecation warning); pass it explicitly for
   * SciPy's old meaning of `maxiter`. */
  callbackType?: GmresCallbackType;
  /** Called with the relative preconditioned residual norms (`"pr_norm"`, `"legacy"`: a
   * `[...batch]` array, after every inner iteration) or the iterate (`"x"`: `[...batch, n]`,
   * after every restart cycle), and the inner-iteration (or cycle) number. The array is valid
   * only during the call. Returning a promise makes the solver await it. */
  callback?: (value: A, iteration: number) => void | Promise<void>;
}

// ‖b‖², ‖r₀‖², ‖M b‖² in one pass.
const initSums = defineFused(
  "gmres.init.sums",
  { b: "float", r: "float", mb: "float" },
  (v, f) => ({ bb: f.sum(v.b.mul(v.b)), rr: f.sum(v.r.mul(v.r)), mbb: f.sum(v.mb.mul(v.mb)) }),
);

// Thresholds and the initial per-system state (SciPy: done at once when ‖r₀‖ < tol).
const initState = defineFused(
  "gmres.init.state",
  { bb: "float", rr: "float", mbb: "float", rtol: "float", atol: "float" },
  (v, f) => {
    const bnrm = v.bb.sqrt();
    const tol = f.max(v.atol, v.rtol.mul(bnrm));
    const res = v.rr.sqrt();
    const finite = res.isfinite();
    const zero = bnrm.eq(0);
    const q = tol.div(bnrm);
    return {
      bnrm,
      tol,
      zero,
      rnorm: f.where(zero, 0, res),
      // ‖r₀‖ = 0 with tol = 0 counts as converged (SciPy would divide by zero)
      active: zero.not().and(finite).and(res.lt(tol).not()).and(res.gt(0)),
      info: f.where(finite.or(zero), f.const(0, "int"), f.const(INFO_NONFINITE, "int")),
      ptol: v.mbb.sqrt().mul(f.where(q.lt(1), q, 1)),
    };
  },
);

const zeroOut = defineFused(
  "gmres.zero",
  { x: "float", r: "float", zero: "bool" },
  (v, f) => ({ x: f.where(v.zero, 0, v.x), r: f.where(v.zero, 0, v.r) }),
);

// Start of a restart cycle: β = ‖M r‖, v₀ scale, S₀ = β. β = 0 with r ≠ 0 (a defective
// preconditioner) stops that system as a breakdown (SciPy would produce NaN).
const cycleStart = defineFused(
  "gmres.cycle.start",
  { ss: "float", active: "bool", info: "int", failCode: "int" },
  (v, f) => {
    const beta = v.ss.sqrt();
    const fin = beta.isfinite();
    const ok = v.active.and(fin).and(beta.gt(0));
    return {
      beta,
      scale: f.where(ok, f.const(1).div(beta), 0),
      s0: f.where(ok, beta, 0),
      inner: ok,
      active: ok.and(v.active), // a distinct node: the two outputs evolve separately
      info: f.where(
        v.active.and(fin.not()),
        f.const(INFO_NONFINITE, "int"),
        f.where(v.active.and(beta.eq(0)), v.failCode, v.info),
      ),
      brk: f.const(false),
    };
  },
);

// One inner iteration's per-system bookkeeping: breakdown test, new Givens rotation, residual
// estimate, inner-loop exit (SciPy: presid <= ptol, breakdown, or the legacy inner limit).
const step = defineFused(
  "gmres.step",
  {
    f: "float",
    hh1: "float",
    hh0: "float",
    sc: "float",
    inner: "bool",
    iters: "int",
    ptol: "float",
    presid: "float",
    info: "int",
    brk: "bool",
    lim: "int",
    eps: "float",
  },
  (v, F) => {
    const h1 = v.hh1.sqrt();
    const bk = h1.le(v.eps.mul(v.hh0.sqrt()));
    const { c, s, r } = lartg(v.f, F.where(bk, 0, h1), F);
    const tmp = s.neg().mul(v.sc);
    const pres = tmp.abs();
    const bad = v.inner.and(pres.isfinite().and(r.isfinite()).not());
    const it1 = v.iters.add(F.where(v.inner, F.const(1, "int"), F.const(0, "int")));
    const exit = pres.le(v.ptol).or(bk).or(it1.ge(v.lim)).or(bad);
    return {
      c,
      s,
      r,
      sc: F.where(v.inner, c.mul(v.sc), v.sc),
      sn: F.where(v.inner, tmp, 0),
      presid: F.where(v.inner, pres, v.presid),
      iters: it1,
      // a failed system keeps active = true until the cycle ends; info != 0 marks it
      info: F.where(bad, F.const(INFO_NONFINITE, "int"), v.info),
      brk: F.where(v.inner, bk, v.brk),
      inner: v.inner.and(exit.not()),
    };
  },
);

// v_{col+1} = w / ‖w‖ for systems still in their inner loop (SciPy multiplies by 1/h1).
const nextV = defineFused(
  "gmres.nextV",
  { w: "float", hh1: "float", keep: "bool" },
  (v, f) => ({ v: f.where(v.keep, v.w.mul(f.const(1).div(v.hh1.sqrt())), 0) }),
);

// History entry: the residual estimate of systems that took this step, −1 for idle ones.
const histOf = defineFused(
  "gmres.hist",
  { inner: "bool", presid: "float" },
  (v, f) => ({ h: f.where(v.inner, v.presid, -1) }),
);

// Back substitution on [...batch, K] rows (SciPy's pseudo-solve: zero entries are skipped, and
// S[col] = 0 when the last diagonal entry is 0).
const bsInit = defineFused(
  "gmres.bs.init",
  { S: "float", rd: "float", idx: "int", iters: "int", iters0: "int", top: "int" },
  (v, f) => {
    const ncol = v.iters.sub(v.iters0); // steps this system took in this cycle
    const used = v.idx.lt(ncol);
    const last = v.idx.eq(ncol.sub(1)).and(v.rd.eq(0));
    const y = f.where(used.and(last.not()), v.S, 0);
    const at = v.idx.eq(v.top);
    return { y, yk: f.sum(f.where(at, y, 0)), rk: f.sum(f.where(at, v.rd, 0)) };
  },
);

const bsStep = defineFused(
  "gmres.bs.step",
  { y: "float", rc: "float", rd: "float", idx: "int", k: "int", yk: "float", rk: "float" },
  (v, f) => {
    const nz = v.yk.ne(0);
    const val = f.where(nz, v.yk.div(v.rk), 0);
    const y = f.where(
      v.idx.eq(v.k),
      val,
      f.where(v.idx.lt(v.k).and(nz), v.y.sub(val.mul(v.rc)), v.y),
    );
    const at = v.idx.eq(v.k.sub(1));
    return {
      y,
      yk: f.sum(f.where(at, y, 0)),
      rk: f.sum(f.where(at, v.rd, 0)),
      nf: f.sum(f.where(y.isfinite(), 0, 1)),
    };
  },
);

const keepProg = defineFused(
  "gmres.keep",
  { active: "bool", info: "int", nf: "float" },
  (v) => ({ keep: v.active.and(v.info.eq(0)).and(v.nf.eq(0)) }),
);

// r = b − A x and ‖r‖² in one pass.
const residual = defineFused("gmres.residual", { b: "float", ax: "float" }, (v, f) => {
  const r = v.b.sub(v.ax);
  return { r, rr: f.sum(r.mul(r)) };
});

// End of a restart cycle: true residual test, breakdown exit, inner tolerance control (gh-8400).
const cycleEnd = defineFused(
  "gmres.cycle.end",
  {
    rr: "float",
    active: "bool",
    nf: "float",
    info: "int",
    presid: "float",
    ptol: "float",
    pmf: "float",
    brk: "bool",
    iters: "int",
    tol: "float",
    rnorm: "float",
    lim: "int",
    eps: "float",
    failCode: "int",
  },
  (v, f) => {
    const rn = v.rr.sqrt();
    const live = v.active.and(v.info.eq(0)); // took part and met no NaN in the cycle
    const bad = v.active.and(live.not().or(v.nf.eq(0).not()).or(rn.isfinite().not()));
    const ok = v.active.and(bad.not());
    const conv = ok.and(rn.le(v.tol));
    const stopNC = ok.and(conv.not()).and(v.brk.or(v.iters.ge(v.lim)));
    const pmfN = f.where(
      v.presid.le(v.ptol),
      f.max(v.eps, v.pmf.mul(0.25)),
      f.min(f.const(1), v.pmf.mul(1.5)),
    );
    const q = v.tol.div(rn);
    const m = f.where(q.lt(pmfN), q, pmfN);
    return {
      info: f.where(bad, f.const(INFO_NONFINITE, "int"), f.where(stopNC, v.failCode, v.info)),
      active: ok.and(conv.not()).and(stopNC.not()),
      rnorm: f.where(v.active, rn, v.rnorm),
      pmf: f.where(v.active, pmfN, v.pmf),
      ptol: f.where(v.active, v.presid.mul(m), v.ptol),
    };
  },
);

const divide = defineFused("gmres.div", { a: "float", b: "float" }, (v) => ({ q: v.a.div(v.b) }));

/**
 * Solves `A x = b` with restarted GMRES (SciPy's `scipy.sparse.linalg.gmres` semantics), for a
 * whole batch of systems at once.
 *
 * Left preconditioning: the inner iterations minimise `‖M (b − A x)‖`; a cycle ends for a
 * system when its preconditioned residual estimate is `≤` its inner tolerance (SciPy's gh-8400
 * tolerance control), on a breakdown (an exact solution of the Krylov space), or after
 * `restart` steps; convergence is then tested on the true residual, `‖b − A x‖ ≤ max(atol,
 * rtol·‖b‖)`. Every system has its own inner-loop length, tolerances, counts and `info`;
 * systems that finish their cycle early wait (frozen) for the others.
 *
 * `iterations` counts inner iterations (SciPy's `pr_norm` callback calls). `info` per system:
 * 0 converged; `maxiter` not converged — also after a breakdown whose solution fails the
 * residual test, as SciPy; {@linkcode INFO_NONFINITE} (−12) when a NaN/Inf appeared (the
 * iterate of the last good cycle is kept). `residualHistory` holds each system's initial
 * preconditioned residual norm and its estimate after each of its inner iterations.
 *
 * @example
 * ```ts
 * import { gmres } from "./gmres.ts";
 * import { cpu as xp } from "../backends/cpu/mod.ts";
 * const A = xp.asarray([[3, 2, 0], [1, -1, 0], [0, 5, 1]]);
 * const b = xp.asarray([[2, 4, -1], [1, 0, 0]]);          // two right-hand sides
 * const r = await gmres(A, b, { atol: 1e-5 });
 * console.log(r.info, r.iterations);                      // Int32Array [0, 0] Int32Array [3, 3]
 * ```
 */
export function gmres<T extends AnyOperatorInput>(
  A: T,
  b: VectorInput<ArrayOfOperator<T>>,
  options?: GmresOptions<ArrayOfOperator<T>>,
): Promise<SolveResult<ArrayOfOperator<T>>> {
  return driveAsync(gmresSteps(A, b, options ?? {})) as Promise<
    SolveResult<ArrayOfOperator<T>>
  >;
}

/**
 * {@linkcode gmres}, synchronously: the same arguments, options, semantics and result, returned
 * directly instead of in a promise (for CPU users, and for `tf.customGrad`, whose forward and
 * backward functions must be synchronous). Host readbacks use `xp.toHostSync`, so the convergence
 * check runs after every iteration.
 *
 * A namespace without `toHostSync` (WebGPU, which must wait for the device) is a `TypeError`
 * pointing to {@linkcode gmres}; so is a `callback` that returns a promise.
 *
 * @example
 * ```ts
 * import { gmresSync } from "./gmres.ts";
 * import { cpu as xp } from "../backends/cpu/mod.ts";
 * const A = xp.asarray([[3, 2, 0], [1, -1, 0], [0, 5, 1]]);
 * const b = xp.asarray([[2, 4, -1], [1, 0, 0]]);          // two right-hand sides
 * const r = gmresSync(A, b, { atol: 1e-5 });
 * console.log(r.info, r.iterations);                      // Int32Array [0, 0] Int32Array [3, 3]
 * ```
 */
export function gmresSync<T extends AnyOperatorInput>(
  A: T,
  b: VectorInput<ArrayOfOperator<T>>,
  options?: GmresOptions<ArrayOfOperator<T>>,
): SolveResult<ArrayOfOperator<T>> {
  return solveSync(
    "gmres",
    { A, b, x0: options?.x0, M: options?.M },
    () => gmresSteps(A, b, options ?? {}),
  ) as SolveResult<ArrayOfOperator<T>>;
}

function* gmresSteps<A extends ArrayObject>(
  A: unknown,
  b: unknown,
  options: GmresOptions<A>,
): Steps<SolveResult<A>, A> {
  const label = "gmres";
  const rtol = checkTolerance(label, "rtol", options.rtol, 1e-5);
  const atol = checkTolerance(label, "atol", options.atol, 0);
  const cbType = options.callbackType ?? "pr_norm";
  if (cbType !== "x" && cbType !== "pr_norm" && cbType !== "legacy") {
    throw new RangeError(
      `${label}: callbackType must be "x", "pr_norm" or "legacy", got ${JSON.stringify(cbType)}`,
    );
  }
  if (options.callback !== undefined && typeof options.callback !== "function") {
    throw new TypeError(`${label}: callback must be a function`);
  }
  const sys = prepareSystem<A>(label, A, b, { square: true, x0: options.x0, M: options.M });
  yield* deferDispose(sys.xp, preparedTemps(sys, b));
  const { xp, n, nSys, batch, dtype } = sys;
  const maxiter = checkMaxiter(label, "maxiter", options.maxiter, Math.max(10 * n, 1));
  const restartOpt = checkMaxiter(label, "restart", options.restart, 20);
  if (nSys === 0 || n === 0) {
    xp.dispose(...sys.finite.map((f) => f.ok));
    return { x: sys.x, ...emptyStats(nSys), ...(options.history ? { residualHistory: [] } : {}) };
  }
  const restart = Math.min(restartOpt, n);
  const callback = options.callback;
  const legacy = callback !== undefined && cbType === "legacy";
  // the per-system inner-iteration limit (legacy callbacks) — otherwise never reached
  const lim = legacy ? maxiter : 2 ** 31 - 1;
  const eps = epsOf(dtype);
  const op = sys.A, M = sys.M;
  const idx = new IndexCache(xp);

  // ---- initial state
  let x = sys.x;
  let r: A;
  if (sys.x0Given) {
    const ax = op.matvec(x);
    ({ r } = runFused(xp, residual, { b: sys.b, ax }, { out: { r: ax } }));
  } else r = xp.astype(sys.b, dtype, { copy: true });
  const mb = M ? M.matvec(sys.b) : sys.b;
  const s0 = runFused(xp, initSums, { b: sys.b, r, mb });
  if (mb !== sys.b) xp.dispose(mb);
  const st0 = runFused(xp, initState, { bb: s0.bb, rr: s0.rr, mbb: s0.mbb, rtol, atol });
  xp.dispose(s0.bb, s0.rr, s0.mbb);
  const views = new Cols(xp); // [...batch, 1] views, released once their use is recorded
  ({ x, r } = runFused(xp, zeroOut, { x, r, zero: views.col(st0.zero) }, { out: { x, r } }));
  views.release();
  xp.dispose(st0.zero);
  const { tol, bnrm } = st0;
  let { active, info, rnorm, ptol } = st0;
  let iters = xp.zeros(batch, { dtype: "int32" });
  let pmf = xp.ones(batch, { dtype });
  let presid = xp.zeros(batch, { dtype });
  let inner = xp.zeros(batch, { dtype: "bool" });

  const mon = new ConvergenceMonitor(xp, {
    label,
    nSys,
    batch,
    maxiter: maxiter * restart,
    dtype,
    threshold: tol,
    finite: sys.finite,
    history: options.history,
    onProgress: options.onProgress,
  });
  const rowsNow = (): Record<string, A> => ({ active, res: rnorm, iters, info, inner });

  // the first cycle's M r₀ also gives the history's iteration-0 entry
  let v0: A | null = M ? M.matvec(r) : xp.astype(r, dtype, { copy: true });
  let ss0: A | null = runFused(xp, normSq, { w: v0 }).ww;
  if (options.history) mon.record(0, xp.sqrt(ss0));

  let it = 0;
  let stop = yield* mon.check(0, rowsNow());
  let cycle = 0;
  const zero = xp.zeros(batch, { dtype });
  while (!stop && cycle < maxiter) {
    // ---- cycle start
    let v: A, ss: A;
    if (v0 && ss0) {
      v = v0;
      ss = ss0;
      v0 = ss0 = null;
    } else {
      v = M ? M.matvec(r) : xp.astype(r, dtype, { copy: true });
      ss = runFused(xp, normSq, { w: v }).ww;
    }
    const cs0 = runFused(xp, cycleStart, { ss, active, info, failCode: maxiter });
    xp.dispose(ss, cs0.beta, active, info, inner);
    ({ active, info, inner } = cs0);
    let brk = cs0.brk;
    const iters0 = iters;
    ({ v } = runFused(
      xp,
      scaleKeep,
      { w: v, s: views.col(cs0.scale), keep: views.col(inner) },
      { out: { v } },
    ));
    views.release();
    xp.dispose(cs0.scale);
    const V: A[] = [v];
    const S: A[] = [cs0.s0];
    const C: A[] = [], Sn: A[] = [], rd: A[] = [], Rc: A[] = [];
    const cycleIt = it;
    let J = 0;

    // ---- inner (Arnoldi) iterations
    for (let c = 0; c < restart; c++) {
      const av = op.matvec(V[c]);
      let w = av;
      if (M) {
        w = M.matvec(av);
        xp.dispose(av);
      }
      const o = mgs(xp, w, true, V, dtype);
      const h = o.h;
      applyRotations(xp, h, C, Sn, dtype);
      const innerBefore = inner;
      const s = runFused(xp, step, {
        f: h[c],
        hh1: o.ww,
        hh0: o.ww0,
        sc: S[c],
        inner,
        iters,
        ptol,
        presid,
        info,
        brk,
        lim,
        eps,
      }, { dtype });
      xp.dispose(o.ww0, h[c], S[c], presid, info, brk);
      if (iters !== iters0) xp.dispose(iters);
      S[c] = s.sc;
      S.push(s.sn);
      C.push(s.c);
      Sn.push(s.s);
      rd.push(s.r);
      ({ inner, iters, presid, info, brk } = s);
      const hcol = h.slice(0, c);
      hcol.push(s.r);
      Rc.push(stackPadded(xp, hcol, restart, zero));
      xp.dispose(...h.slice(0, c));
      const nv = runFused(
        xp,
        nextV,
        { w: o.w, hh1: views.col(o.ww), keep: views.col(inner) },
        { out: { v: o.w } },
      );
      views.release();
      xp.dispose(o.ww);
      V.push(nv.v);
      if (options.history) {
        mon.record(it + 1, runFused(xp, histOf, { inner: innerBefore, presid }).h);
      }
      xp.dispose(innerBefore);
      it++;
      J = c + 1;
      if (callback && cbType !== "x") {
        const { q } = runFused(xp, divide, { a: presid, b: bnrm });
        yield* callbackDone<A>(callback(q, it));
        xp.dispose(q);
      }
      if (mon.due(it)) {
        stop = yield* mon.check(it, rowsNow());
        if (stop) break;
        const last = mon.last;
        if (last && last.iteration > cycleIt && last.rows.inner.every((e) => e === 0)) break;
      }
    }

    if (!stop) {
      // ---- least-squares update of x from this cycle's J steps (per system: its own ncol)
      const Sst = stackPadded(xp, S, restart, zero);
      const rdSt = stackPadded(xp, rd, restart, zero);
      const ix = idx.range(restart);
      const bi = runFused(xp, bsInit, {
        S: Sst,
        rd: rdSt,
        idx: ix,
        iters: views.col(iters),
        iters0: views.col(iters0),
        top: J - 1,
      }, {
        dtype,
      });
      views.release();
      xp.dispose(Sst);
      let y = bi.y, yk = bi.yk, rk = bi.rk;
      let nf: A | null = null;
      for (let k = J - 1; k >= 0; k--) {
        const bs = runFused(xp, bsStep, {
          y,
          rc: Rc[k],
          rd: rdSt,
          idx: ix,
          k,
          yk: views.col(yk),
          rk: views.col(rk),
        }, { dtype, out: { y } });
        views.release();
        xp.dispose(yk, rk);
        if (nf) xp.dispose(nf);
        ({ y, yk, rk, nf } = bs);
      }
      xp.dispose(yk, rk, rdSt);
      const { keep } = runFused(xp, keepProg, { active, info, nf: nf! });
      const cb = combine(xp, x, V, y, J, views.col(keep), idx, dtype);
      x = cb.r;
      views.release();
      xp.dispose(cb.rr, keep, y);
      const ax = op.matvec(x);
      const rs = runFused(xp, residual, { b: sys.b, ax }, { out: { r: ax } });
      xp.dispose(r);
      r = rs.r;
      const ce = runFused(xp, cycleEnd, {
        rr: rs.rr,
        active,
        nf: nf!,
        info,
        presid,
        ptol,
        pmf,
        brk,
        iters,
        tol,
        rnorm,
        lim,
        eps,
        failCode: maxiter,
      }, { dtype });
      xp.dispose(rs.rr, nf!, active, info, rnorm, pmf, ptol);
      ({ info, active, rnorm, pmf, ptol } = ce);
    }
    xp.dispose(...V, ...S, ...C, ...Sn, ...rd, ...Rc, brk);
    if (iters0 !== iters) xp.dispose(iters0);
    if (stop) break;
    cycle++;
    if (callback && cbType === "x") {
      yield* callbackDone<A>(callback(x, cycle));
    }
    if (!mon.wantsTrueResidual || mon.due(it)) stop = yield* mon.check(it, rowsNow());
  }
  if (v0) xp.dispose(v0);
  if (ss0) xp.dispose(ss0);

  const final = yield* mon.finish(it, ["iters", "info", "res", "active"], rowsNow);
  xp.dispose(r, zero, tol, bnrm, active, info, rnorm, ptol, iters, pmf, presid, inner);
  idx.dispose();
  const out = emptyStats(nSys);
  for (let k = 0; k < nSys; k++) {
    const code = final.rows.info[k];
    out.iterations[k] = final.rows.iters[k];
    out.info[k] = code !== 0 ? code : final.rows.active[k] !== 0 ? maxiter : 0;
    out.residualNorm[k] = final.rows.res[k];
  }
  return {
    x,
    ...out,
    ...(options.history ? { residualHistory: historyOf(mon) } : {}),
  };
}
