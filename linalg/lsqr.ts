/**
 * LSQR (Paige & Saunders) for least-squares problems `min ‖A x − b‖² + damp²‖x − x0‖²`,
 * batched.
 *
 * @module
 */
import type { ArrayObject } from "../array_api/types.ts";
import { defineFused, runFused } from "../array_api/fuse.ts";
import { checkMaxiter, checkTolerance, prepareSystem } from "./_prepare.ts";
import { ConvergenceMonitor } from "./_convergence.ts";
import {
  callbackDone,
  deferDispose,
  driveAsync,
  readBack,
  solveSync,
  type Steps,
} from "./_drive.ts";
import { preparedTemps, trueResidualNorm } from "./_batch.ts";
import {
  checkNonNegative,
  colViews,
  EPS64,
  gkDispose,
  gkInit,
  type GkScratch,
  gkStep,
  machineSmall,
  squeezeColumnRhs,
  symOrtho,
} from "./_golub_kahan.ts";
import {
  type AnyOperatorInput,
  type ArrayOfOperator,
  INFO_NONFINITE,
  type ProgressInfo,
  type VectorInput,
} from "./types.ts";

/**
 * Options of {@linkcode lsqr} (SciPy's `lsqr` options in camelCase, plus batching extras).
 *
 * @example
 * ```ts
 * import type { LsqrOptions } from "./lsqr.ts";
 * const o: LsqrOptions = { damp: 0.1, atol: 1e-10, btol: 1e-10, iterLim: 500 };
 * ```
 */
export interface LsqrOptions<A extends ArrayObject = ArrayObject> {
  /** Damping coefficient (default 0): minimise `‖A x − b‖² + damp²‖x − x0‖²`. */
  damp?: number;
  /** Stopping tolerance on the relative error in A (default 1e-6); see {@linkcode lsqr}. */
  atol?: number;
  /** Stopping tolerance on the relative error in b (default 1e-6); see {@linkcode lsqr}. */
  btol?: number;
  /** Stop when the estimate of cond(Abar) exceeds it (default 1e8; 0 disables the test). */
  conlim?: number;
  /** Iteration limit (default `2·n`). */
  iterLim?: number;
  /** Initial guess `(..., n)` (broadcast over the batch). Not modified. */
  x0?: VectorInput<A> | null;
  /** Estimate the diagonal of `(AᴴA + damp²I)⁻¹` (SciPy's `calc_var`), returned as `var`. */
  calcVar?: boolean;
  /** Called after every iteration with the current iterate (valid only during the call) and
   * the iteration number. Returning a promise makes the solver await it. */
  callback?: (x: A, iteration: number) => void | Promise<void>;
  /** Called at each host convergence check (`residualNorm` there is `r2norm`). */
  onProgress?: (info: ProgressInfo) => void;
  /** Record `r2norm` of every system at every iteration (`residualHistory`). */
  history?: boolean;
}

/**
 * Result of {@linkcode lsqr}: SciPy's return values, one entry per system (row-major over the
 * batch shape), plus the true residual norm.
 *
 * `istop` (SciPy's codes): 0 `x = x0` is the exact solution (`b − A x0 = 0` or
 * `Aᴴ(b − A x0) = 0`); 1 `A x ≈ b` within atol/btol; 2 least-squares solution within atol;
 * 3 cond(Abar) exceeded conlim; 4 `A x ≈ b` to machine precision; 5 least-squares solution to
 * machine precision; 6 cond(Abar) too large for this machine; 7 iteration limit reached.
 * Not in SciPy: {@linkcode INFO_NONFINITE} (−12) when a NaN/Inf appeared mid-iteration (the
 * system is frozen at its last finite iterate).
 *
 * @example
 * ```ts
 * import type { LsqrResult } from "./lsqr.ts";
 * const show = (r: LsqrResult) => console.log(r.istop, r.itn, r.r1norm);
 * ```
 */
export interface LsqrResult<A extends ArrayObject = ArrayObject> {
  /** Solution `[...batch, n]`. */
  readonly x: A;
  /** Reason for termination per system (see above). */
  readonly istop: Int32Array;
  /** Iterations per system. */
  readonly itn: Int32Array;
  /** Estimate of `‖b − A x‖` (negative when the damped estimate cancels, as SciPy). */
  readonly r1norm: Float64Array;
  /** Estimate of `√(‖b − A x‖² + damp²‖x − x0‖²)`. */
  readonly r2norm: Float64Array;
  /** Estimate of the Frobenius norm of `Abar = [A; damp·I]`. */
  readonly anorm: Float64Array;
  /** Estimate of cond(Abar). */
  readonly acond: Float64Array;
  /** Estimate of `‖Aᴴ(b − A x) − damp²(x − x0)‖`. */
  readonly arnorm: Float64Array;
  /** Estimate of `‖x − x0‖` (SciPy's `xnorm`; equals ‖x‖ when x0 is absent). */
  readonly xnorm: Float64Array;
  /** With `calcVar`: estimates of the diagonal of `(AᴴA + damp²I)⁻¹`, `[...batch, n]`. */
  readonly var?: A;
  /** True residual norm `‖b − A x‖` per system, recomputed at the end. */
  readonly residualNorm: Float64Array;
  /** With `history: true`: `r2norm` of each system at iteration 0, 1, 2, … */
  readonly residualHistory?: Float64Array[];
}

const initState = defineFused(
  "lsqr.init",
  { alpha: "float", beta: "float", bnorm: "float", btol: "float" },
  (v) => {
    const arnorm = v.alpha.mul(v.beta);
    return {
      rhobar: v.alpha.add(0),
      phibar: v.beta.add(0),
      rnorm: v.beta.add(0),
      r1norm: v.beta.add(0),
      arnorm,
      active: arnorm.ne(0),
      tol: v.btol.mul(v.bnorm),
    };
  },
);

const initW = defineFused("lsqr.init.w", { v: "float", vscale: "float" }, (v, f) => {
  const w = v.v.mul(v.vscale);
  return { w, ww: f.sum(w.mul(w)) };
});

// Damping rotation, then the rotation that eliminates beta (SciPy's loop body up to `tau`);
// ‖A‖ estimate (with the previous alpha), rnorm and ‖Aᴴr‖ estimates.
const rotate = defineFused(
  "lsqr.rotate",
  {
    alpha: "float",
    alphaOld: "float",
    beta: "float",
    act: "bool",
    rhobar: "float",
    phibar: "float",
    res2: "float",
    anorm: "float",
    rnorm: "float",
    arnorm: "float",
    damp: "float",
    dampsq: "float",
  },
  (v, f) => {
    const damped = v.damp.gt(0);
    const g = v.act.and(v.beta.gt(0));
    const anorm = v.anorm.mul(v.anorm).add(v.alphaOld.mul(v.alphaOld)).add(v.beta.mul(v.beta))
      .add(v.dampsq).sqrt();
    const rhobar1 = f.where(damped, v.rhobar.mul(v.rhobar).add(v.dampsq).sqrt(), v.rhobar);
    const cs1 = v.rhobar.div(rhobar1);
    const sn1 = v.damp.div(rhobar1);
    const psi = f.where(damped, sn1.mul(v.phibar), 0);
    const phibar1 = f.where(damped, cs1.mul(v.phibar), v.phibar);
    const { c: cs, s: sn, r: rho } = symOrtho(f, rhobar1, v.beta);
    const theta = sn.mul(v.alpha);
    const rhobar = cs.neg().mul(v.alpha);
    const phi = cs.mul(phibar1);
    const phibar = sn.mul(phibar1);
    const tau = sn.mul(phi);
    const res2 = v.res2.add(psi.mul(psi));
    const rnorm = phibar.mul(phibar).add(res2).sqrt();
    const arnorm = v.alpha.mul(tau.abs());
    return {
      rho,
      theta,
      phi,
      rhobar: f.where(v.act, rhobar, v.rhobar),
      phibar: f.where(v.act, phibar, v.phibar),
      res2: f.where(v.act, res2, v.res2),
      anorm: f.where(g, anorm, v.anorm),
      rnorm: f.where(v.act, rnorm, v.rnorm),
      arnorm: f.where(v.act, arnorm, v.arnorm),
    };
  },
);

// Step coefficients, ‖dk‖² accumulation and the ‖x‖ estimate (rotation on the right).
const coefs = defineFused(
  "lsqr.coefs",
  {
    rho: "float",
    theta: "float",
    phi: "float",
    ww: "float",
    act: "bool",
    ddnorm: "float",
    xxnorm: "float",
    z: "float",
    cs2: "float",
    sn2: "float",
    xnorm: "float",
  },
  (v, f) => {
    const t1 = v.phi.div(v.rho);
    const t2 = v.theta.neg().div(v.rho);
    const rinv = f.const(1).div(v.rho);
    const ddnorm = v.ddnorm.add(v.ww.mul(rinv).mul(rinv));
    const delta = v.sn2.mul(v.rho);
    const gambar = v.cs2.neg().mul(v.rho);
    const rhs = v.phi.sub(delta.mul(v.z));
    const zbar = rhs.div(gambar);
    const xnorm = v.xxnorm.add(zbar.mul(zbar)).sqrt();
    const gamma = gambar.mul(gambar).add(v.theta.mul(v.theta)).sqrt();
    const cs2 = gambar.div(gamma);
    const sn2 = v.theta.div(gamma);
    const z = rhs.div(gamma);
    const xxnorm = v.xxnorm.add(z.mul(z));
    const go = v.act.and(t1.isfinite()).and(t2.isfinite());
    return {
      t1,
      t2,
      go,
      ddnorm: f.where(go, ddnorm, v.ddnorm),
      xxnorm: f.where(go, xxnorm, v.xxnorm),
      z: f.where(go, z, v.z),
      cs2: f.where(go, cs2, v.cs2),
      sn2: f.where(go, sn2, v.sn2),
      xnorm: f.where(go, xnorm, v.xnorm),
    };
  },
);

// x ← x + t1·w, w ← v + t2·w (old w in both), ‖w‖² for the next ‖dk‖².
const update = defineFused(
  "lsqr.update",
  { x: "float", w: "float", v: "float", vscale: "float", t1: "float", t2: "float", go: "bool" },
  (v, f) => {
    const w = f.where(v.go, v.v.mul(v.vscale).add(v.t2.mul(v.w)), v.w);
    return {
      x: f.where(v.go, v.x.add(v.t1.mul(v.w)), v.x),
      w,
      ww: f.sum(w.mul(w)),
    };
  },
);

const updateVar = defineFused(
  "lsqr.update.var",
  {
    x: "float",
    w: "float",
    v: "float",
    vscale: "float",
    t1: "float",
    t2: "float",
    go: "bool",
    var: "float",
    rho: "float",
  },
  (v, f) => {
    const w = f.where(v.go, v.v.mul(v.vscale).add(v.t2.mul(v.w)), v.w);
    const dk = f.const(1).div(v.rho).mul(v.w);
    return {
      x: f.where(v.go, v.x.add(v.t1.mul(v.w)), v.x),
      w,
      var: f.where(v.go, v.var.add(dk.mul(dk)), v.var),
      ww: f.sum(w.mul(w)),
    };
  },
);

// cond estimate, r1norm, and SciPy's stopping tests (istop priority as in SciPy).
const tests = defineFused(
  "lsqr.tests",
  {
    rnorm: "float",
    arnorm: "float",
    xnorm: "float",
    anorm: "float",
    ddnorm: "float",
    acond: "float",
    r1norm: "float",
    xxnorm: "float",
    bnorm: "float",
    go: "bool",
    act: "bool",
    itn: "int",
    istop: "int",
    atol: "float",
    btol: "float",
    ctol: "float",
    dampsq: "float",
    iterLim: "int",
  },
  (v, f) => {
    const acond = v.anorm.mul(v.ddnorm.sqrt());
    const r1sq = v.rnorm.mul(v.rnorm).sub(v.dampsq.mul(v.xxnorm));
    const r1abs = r1sq.abs().sqrt();
    const r1norm = f.where(v.dampsq.gt(0), f.where(r1sq.lt(0), r1abs.neg(), r1abs), v.rnorm);
    const test1 = v.rnorm.div(v.bnorm);
    const test2 = v.arnorm.div(v.anorm.mul(v.rnorm).add(EPS64));
    const test3 = f.const(1).div(acond.add(EPS64));
    const axb = v.anorm.mul(v.xnorm).div(v.bnorm);
    const t1 = test1.div(axb.add(1));
    const rtol = v.atol.mul(v.anorm).mul(v.xnorm).div(v.bnorm).add(v.btol);
    const itn = v.itn.add(f.where(v.act, f.const(1, "int"), f.const(0, "int")));
    const I = (k: number) => f.const(k, "int");
    const s = f.where(
      test1.le(rtol),
      I(1),
      f.where(
        test2.le(v.atol),
        I(2),
        f.where(
          test3.le(v.ctol),
          I(3),
          f.where(
            machineSmall(t1),
            I(4),
            f.where(
              machineSmall(test2),
              I(5),
              f.where(machineSmall(test3), I(6), f.where(itn.ge(v.iterLim), I(7), I(0))),
            ),
          ),
        ),
      ),
    );
    const bad = v.act.and(v.go.not());
    const istop = f.where(bad, I(INFO_NONFINITE), f.where(v.go, s, v.istop));
    return {
      acond: f.where(v.go, acond, v.acond),
      r1norm: f.where(v.go, r1norm, v.r1norm),
      itn,
      istop,
      active: v.go.and(s.eq(0)),
    };
  },
);

/**
 * Solves `A x = b` or the least-squares problem `min ‖A x − b‖²` (with `damp`:
 * `min ‖A x − b‖² + damp²‖x − x0‖²`) for a rectangular or square `A` with LSQR
 * (SciPy's `scipy.sparse.linalg.lsqr` semantics), for a whole batch of systems at once.
 *
 * `A` is `(..., m, n)`: a sparse array, a dense namespace array, a `LinearOperator` or any
 * `{ shape, matvec, rmatvec }` (the adjoint is required); `b` is `(..., m)` (or `(m, 1)` /
 * a number when `m = 1`, as SciPy). Batch shapes of A, b and x0 broadcast; each system has its
 * own scalars, stopping test, `istop` and iteration count, and the solve ends when all are
 * done.
 *
 * Stopping rules (SciPy's): with `r = b − A x`, stop when `‖r‖ ≤ btol·‖b‖ + atol·‖A‖·‖x‖`
 * (istop 1), or `‖Aᴴr‖ ≤ atol·‖A‖·‖r‖` (istop 2), or cond(A) ≥ conlim (istop 3), or the
 * machine-precision versions (4–6, tested with float64 semantics in every dtype, as SciPy's
 * host scalars), or `itn = iterLim` (7). `istop` 0: `x0` already solves the problem (e.g.
 * `b = 0`, then x = 0). See {@linkcode LsqrResult}.
 *
 * NaN/Inf in A, b or x0 is a `RangeError`; a non-finite value produced mid-iteration gives
 * `istop` = {@linkcode INFO_NONFINITE} for that system only.
 *
 * @example
 * ```ts
 * import { lsqr } from "./lsqr.ts";
 * import { cpu as xp } from "../backends/cpu/mod.ts";
 * const A = xp.asarray([[1, 0], [1, 1], [0, 1]]);
 * const r = await lsqr(A, xp.asarray([1, 0.01, -1]));
 * console.log(r.istop, r.itn, r.r1norm);       // Int32Array [2] Int32Array [2] Float64Array [0.00577…]
 * console.log(await xp.toHost(r.x));            // Float64Array [1.00333…, -0.99666…]
 * ```
 */
export function lsqr<T extends AnyOperatorInput>(
  A: T,
  b: VectorInput<ArrayOfOperator<T>> | number,
  options?: LsqrOptions<ArrayOfOperator<T>>,
): Promise<LsqrResult<ArrayOfOperator<T>>> {
  return driveAsync(lsqrSteps(A, b, options ?? {})) as Promise<
    LsqrResult<ArrayOfOperator<T>>
  >;
}

/**
 * {@linkcode lsqr}, synchronously: the same arguments, options, semantics and result, returned
 * directly instead of in a promise (for CPU users, and for `tf.customGrad`, whose forward and
 * backward functions must be synchronous). Host readbacks use `xp.toHostSync`, so the convergence
 * check runs after every iteration.
 *
 * A namespace without `toHostSync` (WebGPU, which must wait for the device) is a `TypeError`
 * pointing to {@linkcode lsqr}; so is a `callback` that returns a promise.
 *
 * @example
 * ```ts
 * import { lsqrSync } from "./lsqr.ts";
 * import { cpu as xp } from "../backends/cpu/mod.ts";
 * const A = xp.asarray([[1, 0], [1, 1], [0, 1]]);
 * const r = lsqrSync(A, xp.asarray([1, 0.01, -1]));
 * console.log(r.istop, r.itn, xp.toHostSync(r.x)); // Int32Array [2] Int32Array [2] Float64Array [1.00333…, -0.99666…]
 * ```
 */
export function lsqrSync<T extends AnyOperatorInput>(
  A: T,
  b: VectorInput<ArrayOfOperator<T>> | number,
  options?: LsqrOptions<ArrayOfOperator<T>>,
): LsqrResult<ArrayOfOperator<T>> {
  return solveSync(
    "lsqr",
    { A, b, x0: options?.x0 },
    () => lsqrSteps(A, b, options ?? {}),
  ) as LsqrResult<ArrayOfOperator<T>>;
}

function* lsqrSteps<A extends ArrayObject>(
  A: unknown,
  b: unknown,
  options: LsqrOptions<A>,
): Steps<LsqrResult<A>, A> {
  const label = "lsqr";
  const damp = checkNonNegative(label, "damp", options.damp, 0);
  const atol = checkTolerance(label, "atol", options.atol, 1e-6);
  const btol = checkTolerance(label, "btol", options.btol, 1e-6);
  const conlim = checkTolerance(label, "conlim", options.conlim, 1e8);
  if ((options.x0 as unknown) === "Mb") {
    throw new TypeError(`${label}: x0 must be an array (lsqr has no preconditioner for "Mb")`);
  }
  const sys = prepareSystem<A>(label, A, squeezeColumnRhs(A, b), {
    square: false,
    adjoint: true,
    x0: options.x0,
  });
  yield* deferDispose(sys.xp, preparedTemps(sys, b));
  const { xp, n, m, nSys, batch, dtype } = sys;
  const iterLim = checkMaxiter(label, "iterLim", options.iterLim, Math.max(2 * n, 1));
  const calcVar = options.calcVar === true;
  const op = sys.A;
  const stats = () => ({
    istop: new Int32Array(nSys),
    itn: new Int32Array(nSys),
    r1norm: new Float64Array(nSys),
    r2norm: new Float64Array(nSys),
    anorm: new Float64Array(nSys),
    acond: new Float64Array(nSys),
    arnorm: new Float64Array(nSys),
    xnorm: new Float64Array(nSys),
    residualNorm: new Float64Array(nSys),
  });
  if (nSys === 0 || n === 0 || m === 0) {
    // nothing to iterate: x = x0 (SciPy: istop 0); ‖b − A x0‖ is ‖b‖ when n = 0
    xp.dispose(...sys.finite.map((f) => f.ok));
    const out = stats();
    if (nSys > 0 && m > 0) {
      const r = trueResidualNorm(xp, op, sys.b, sys.x);
      const h = yield* readBack(xp, r);
      xp.dispose(r);
      out.r1norm.set(h);
      out.r2norm.set(h);
      out.residualNorm.set(h);
    }
    return {
      x: sys.x,
      ...out,
      ...(calcVar ? { var: xp.zeros([...batch, n], { dtype }) } : {}),
      ...(options.history ? { residualHistory: [] } : {}),
    };
  }

  // ---- initial state (SciPy: beta·u = b − A x0, alpha·v = Aᴴu, w = v)
  let x = sys.x;
  const gk = gkInit(xp, op, sys.b, x, sys.x0Given);
  const scratch: GkScratch<A> = {};
  const s0 = runFused(xp, initState, { alpha: gk.alpha, beta: gk.beta, bnorm: gk.bnorm, btol });
  let { rhobar, phibar, rnorm, r1norm, arnorm, active } = s0;
  const tol = s0.tol;
  const cv = colViews(xp);
  const iw = runFused(xp, initW, { v: gk.v, vscale: cv(gk.vscale) });
  cv.release();
  let w = iw.w, ww = iw.ww;
  const z0 = () => xp.zeros(batch, { dtype });
  let anorm = z0(), acond = z0(), ddnorm = z0(), res2 = z0(), xnorm = z0(), xxnorm = z0();
  let z = z0(), sn2 = z0();
  let cs2 = xp.full(batch, -1, { dtype });
  let itn = xp.zeros(batch, { dtype: "int32" });
  let istop = xp.zeros(batch, { dtype: "int32" });
  let vr = calcVar ? xp.zeros([...batch, n], { dtype }) : undefined;
  const dampsq = damp * damp;
  const ctol = conlim > 0 ? 1 / conlim : 0;

  const mon = new ConvergenceMonitor(xp, {
    label,
    nSys,
    batch,
    maxiter: iterLim,
    dtype,
    threshold: tol,
    finite: sys.finite,
    history: options.history,
    onProgress: options.onProgress,
  });
  if (options.history) mon.record(0, xp.astype(rnorm, dtype, { copy: true }));
  let trueRes: A | undefined;
  const rowsNow = (withTrue: boolean): Record<string, A> => {
    // the norm estimates travel only with snapshots that may be final (they carry trueRes)
    const rows: Record<string, A> = { active, res: rnorm, itn, istop };
    if (withTrue) {
      Object.assign(rows, { r1norm, anorm, acond, arnorm, xnorm });
      if (trueRes) xp.dispose(trueRes);
      rows.trueRes = trueRes = trueResidualNorm(xp, op, sys.b, x);
    }
    return rows;
  };

  // ---- iterations
  let it = 0;
  let stop = yield* mon.check(0, rowsNow(false));
  while (!stop && it < iterLim) {
    it++;
    const alphaOld = gkStep(xp, op, gk, active, scratch);
    const ra = runFused(
      xp,
      rotate,
      {
        alpha: gk.alpha,
        alphaOld,
        beta: gk.beta,
        act: active,
        rhobar,
        phibar,
        res2,
        anorm,
        rnorm,
        arnorm,
        damp,
        dampsq,
      },
      { out: { rhobar, phibar, res2, anorm, rnorm, arnorm } },
    );
    xp.dispose(alphaOld);
    ({ rhobar, phibar, res2, anorm, rnorm, arnorm } = ra);
    const rc = runFused(
      xp,
      coefs,
      {
        rho: ra.rho,
        theta: ra.theta,
        phi: ra.phi,
        ww,
        act: active,
        ddnorm,
        xxnorm,
        z,
        cs2,
        sn2,
        xnorm,
      },
      { out: { ddnorm, xxnorm, z, cs2, sn2, xnorm } },
    );
    ({ ddnorm, xxnorm, z, cs2, sn2, xnorm } = rc);
    xp.dispose(ww, ra.theta, ra.phi);
    const vin = {
      x,
      w,
      v: gk.v,
      vscale: cv(gk.vscale),
      t1: cv(rc.t1),
      t2: cv(rc.t2),
      go: cv(rc.go),
    };
    if (vr) {
      const u = runFused(xp, updateVar, { ...vin, var: vr, rho: cv(ra.rho) }, {
        out: { x, w, var: vr },
      });
      ({ x, w, ww } = u);
      vr = u.var;
    } else {
      ({ x, w, ww } = runFused(xp, update, vin, { out: { x, w } }));
    }
    cv.release();
    xp.dispose(ra.rho, rc.t1, rc.t2);
    const st = runFused(
      xp,
      tests,
      {
        rnorm,
        arnorm,
        xnorm,
        anorm,
        ddnorm,
        acond,
        r1norm,
        xxnorm,
        bnorm: gk.bnorm,
        go: rc.go,
        act: active,
        itn,
        istop,
        atol,
        btol,
        ctol,
        dampsq,
        iterLim,
      },
      { out: { acond, r1norm, itn, istop } },
    );
    xp.dispose(active, rc.go);
    ({ acond, r1norm, itn, istop, active } = st);
    if (options.history) mon.record(it, xp.astype(rnorm, dtype, { copy: true }));
    if (options.callback) {
      yield* callbackDone<A>(options.callback(x, it));
    }
    if (mon.due(it)) stop = yield* mon.check(it, rowsNow(mon.wantsTrueResidual));
  }

  const names = ["itn", "istop", "r1norm", "res", "anorm", "acond", "arnorm", "xnorm", "trueRes"];
  const final = yield* mon.finish(it, names, () => rowsNow(true));
  gkDispose(xp, gk, scratch);
  xp.dispose(rhobar, phibar, rnorm, r1norm, arnorm, active, tol, w, ww);
  xp.dispose(anorm, acond, ddnorm, res2, xnorm, xxnorm, z, sn2, cs2, itn, istop);
  if (trueRes) xp.dispose(trueRes);
  const R = final.rows;
  const out = stats();
  for (let k = 0; k < nSys; k++) {
    out.istop[k] = R.istop[k];
    out.itn[k] = R.itn[k];
    out.r1norm[k] = R.r1norm[k];
    out.r2norm[k] = R.res[k];
    out.anorm[k] = R.anorm[k];
    out.acond[k] = R.acond[k];
    out.arnorm[k] = R.arnorm[k];
    out.xnorm[k] = R.xnorm[k];
    out.residualNorm[k] = R.trueRes[k];
  }
  return {
    ...out,
    x,
    ...(vr ? { var: vr } : {}),
    ...(options.history ? { residualHistory: mon.historyPerSystem() } : {}),
  };
}
