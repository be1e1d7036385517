/**
 * LSMR (Fong & Saunders) for least-squares problems `min ‖A x − b‖² + damp²‖x − x0‖²`,
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
 * Options of {@linkcode lsmr} (SciPy's `lsmr` options in camelCase, plus batching extras).
 *
 * @example
 * ```ts
 * import type { LsmrOptions } from "./lsmr.ts";
 * const o: LsmrOptions = { damp: 0.1, atol: 1e-10, btol: 1e-10, maxiter: 500 };
 * ```
 */
export interface LsmrOptions<A extends ArrayObject = ArrayObject> {
  /** Damping coefficient (default 0): minimise `‖A x − b‖² + damp²‖x − x0‖²`. */
  damp?: number;
  /** Stopping tolerance on the relative error in A (default 1e-6); see {@linkcode lsmr}. */
  atol?: number;
  /** Stopping tolerance on the relative error in b (default 1e-6); see {@linkcode lsmr}. */
  btol?: number;
  /** Stop when the estimate of cond(Abar) exceeds it (default 1e8; 0 disables the test). */
  conlim?: number;
  /** Iteration limit (default `min(m, n)`). */
  maxiter?: number;
  /** Initial guess `(..., n)` (broadcast over the batch). Not modified. */
  x0?: VectorInput<A> | null;
  /** Called after every iteration with the current iterate (valid only during the call) and
   * the iteration number. Returning a promise makes the solver await it. */
  callback?: (x: A, iteration: number) => void | Promise<void>;
  /** Called at each host convergence check (`residualNorm` there is `normr`). */
  onProgress?: (info: ProgressInfo) => void;
  /** Record `normr` of every system at every iteration (`residualHistory`). */
  history?: boolean;
}

/**
 * Result of {@linkcode lsmr}: SciPy's return values, one entry per system (row-major over the
 * batch shape), plus the true residual norm.
 *
 * `istop` (SciPy's codes): 0 `x = 0` (b = 0) or `x = x0` is a solution; 1 `A x ≈ b` within
 * atol/btol; 2 least-squares solution within atol; 3 cond(Abar) exceeded conlim; 4 `A x ≈ b`
 * to machine precision; 5 least-squares solution to machine precision; 6 cond(Abar) too large
 * for this machine; 7 iteration limit reached. Not in SciPy: {@linkcode INFO_NONFINITE} (−12)
 * when a NaN/Inf appeared mid-iteration (the system is frozen at its last finite iterate).
 *
 * @example
 * ```ts
 * import type { LsmrResult } from "./lsmr.ts";
 * const show = (r: LsmrResult) => console.log(r.istop, r.itn, r.normr);
 * ```
 */
export interface LsmrResult<A extends ArrayObject = ArrayObject> {
  /** Solution `[...batch, n]`. */
  readonly x: A;
  /** Reason for termination per system (see above). */
  readonly istop: Int32Array;
  /** Iterations per system. */
  readonly itn: Int32Array;
  /** Estimate of `√(‖b − A x‖² + damp²‖x − x0‖²)`. */
  readonly normr: Float64Array;
  /** Estimate of `‖Aᴴ(b − A x) − damp²(x − x0)‖`. */
  readonly normar: Float64Array;
  /** Estimate of the Frobenius norm of `Abar = [A; damp·I]`. */
  readonly norma: Float64Array;
  /** Estimate of cond(Abar). */
  readonly conda: Float64Array;
  /** `‖x‖`. */
  readonly normx: Float64Array;
  /** True residual norm `‖b − A x‖` per system, recomputed at the end. */
  readonly residualNorm: Float64Array;
  /** With `history: true`: `normr` of each system at iteration 0, 1, 2, … */
  readonly residualHistory?: Float64Array[];
}

const initState = defineFused(
  "lsmr.init",
  { alpha: "float", beta: "float", bnorm: "float", btol: "float" },
  (v, f) => {
    const normar = v.alpha.mul(v.beta);
    // SciPy returns x = 0 when b = 0 (even with x0); we report the residual of that x.
    const bzero = normar.ne(0).and(v.bnorm.eq(0));
    const normA2 = v.alpha.mul(v.alpha);
    return {
      zetabar: normar,
      alphabar: v.alpha,
      betadd: v.beta,
      normA2,
      normA: normA2.sqrt(),
      normr: f.where(bzero, 0, v.beta),
      normar: f.where(bzero, 0, normar),
      bzero,
      active: normar.ne(0).and(bzero.not()),
      tol: v.btol.mul(v.bnorm),
    };
  },
);

const zeroOut = defineFused("lsmr.zero", { x: "float", bzero: "bool" }, (v, f) => ({
  x: f.where(v.bzero, 0, v.x),
}));

const initH = defineFused("lsmr.init.h", { v: "float", vscale: "float" }, (v) => ({
  h: v.v.mul(v.vscale),
}));

// Qhat (damping) and Q_i rotations.
const rotate1 = defineFused(
  "lsmr.rotate1",
  { alpha: "float", beta: "float", act: "bool", alphabar: "float", rho: "float", damp: "float" },
  (v, f) => {
    const { c: chat, s: shat, r: alphahat } = symOrtho(f, v.alphabar, v.damp);
    const { c, s, r: rho } = symOrtho(f, alphahat, v.beta);
    return {
      chat,
      shat,
      c,
      s,
      thetanew: s.mul(v.alpha),
      alphabar: f.where(v.act, c.mul(v.alpha), v.alphabar),
      rhoNew: f.where(v.act, rho, v.rho),
    };
  },
);

// Qbar_i rotation and the coefficients of the h, hbar, x updates.
const rotate2 = defineFused(
  "lsmr.rotate2",
  {
    rho: "float",
    rhoold: "float",
    rhobarold: "float",
    cbar: "float",
    sbar: "float",
    thetanew: "float",
    zetabar: "float",
    zetaold: "float",
    act: "bool",
  },
  (v, f) => {
    const thetabar = v.sbar.mul(v.rho);
    const rhotemp = v.cbar.mul(v.rho);
    const { c: cbar, s: sbar, r: rhobar } = symOrtho(f, v.cbar.mul(v.rho), v.thetanew);
    const zeta = cbar.mul(v.zetabar);
    const zetabar = sbar.neg().mul(v.zetabar);
    const hbarc = thetabar.mul(v.rho).div(v.rhoold.mul(v.rhobarold)).neg();
    const xc = zeta.div(v.rho.mul(rhobar));
    const hc = v.thetanew.div(v.rho).neg();
    const go = v.act.and(hbarc.isfinite()).and(xc.isfinite()).and(hc.isfinite());
    return {
      thetabar,
      rhotemp,
      hbarc,
      xc,
      go,
      rhobar: f.where(go, rhobar, v.rhobarold),
      zeta: f.where(go, zeta, v.zetaold),
      cbar: f.where(go, cbar, v.cbar),
      sbar: f.where(go, sbar, v.sbar),
      zetabar: f.where(go, zetabar, v.zetabar),
    };
  },
);

// hbar ← h − c·hbar, x ← x + xc·hbar, h ← v − (thetanew/rho)·h; ‖x‖² in the same pass.
const update = defineFused(
  "lsmr.update",
  {
    x: "float",
    h: "float",
    hbar: "float",
    v: "float",
    vscale: "float",
    hbarc: "float",
    xc: "float",
    thetanew: "float",
    rho: "float",
    go: "bool",
  },
  (v, f) => {
    const hbar = v.hbar.mul(v.hbarc).add(v.h);
    const x = f.where(v.go, v.x.add(v.xc.mul(hbar)), v.x);
    const h = v.h.mul(v.thetanew.div(v.rho).neg()).add(v.v.mul(v.vscale));
    return {
      x,
      hbar: f.where(v.go, hbar, v.hbar),
      h: f.where(v.go, h, v.h),
      xx: f.sum(x.mul(x)),
    };
  },
);

// Estimate of ‖r‖ (rotations Qhat, Q, Qtilde applied to the right-hand side).
const residual = defineFused(
  "lsmr.residual",
  {
    chat: "float",
    shat: "float",
    c: "float",
    s: "float",
    betadd: "float",
    rhodold: "float",
    thetabar: "float",
    thetatilde: "float",
    rhobar: "float",
    betad: "float",
    tautildeold: "float",
    zetaold: "float",
    zeta: "float",
    d: "float",
    normr: "float",
    go: "bool",
  },
  (v, f) => {
    const betaacute = v.chat.mul(v.betadd);
    const betacheck = v.shat.neg().mul(v.betadd);
    const betahat = v.c.mul(betaacute);
    const betadd = v.s.neg().mul(betaacute);
    const { c: ctildeold, s: stildeold, r: rhotildeold } = symOrtho(f, v.rhodold, v.thetabar);
    const thetatilde = stildeold.mul(v.rhobar);
    const rhodold = ctildeold.mul(v.rhobar);
    const betad = stildeold.neg().mul(v.betad).add(ctildeold.mul(betahat));
    const tautildeold = v.zetaold.sub(v.thetatilde.mul(v.tautildeold)).div(rhotildeold);
    const taud = v.zeta.sub(thetatilde.mul(tautildeold)).div(rhodold);
    const d = v.d.add(betacheck.mul(betacheck));
    const bt = betad.sub(taud);
    const normr = d.add(bt.mul(bt)).add(betadd.mul(betadd)).sqrt();
    const keep = (a: typeof d, b: typeof d) => f.where(v.go, a, b);
    return {
      betadd: keep(betadd, v.betadd),
      thetatilde: keep(thetatilde, v.thetatilde),
      rhodold: keep(rhodold, v.rhodold),
      betad: keep(betad, v.betad),
      tautildeold: keep(tautildeold, v.tautildeold),
      d: keep(d, v.d),
      normr: keep(normr, v.normr),
    };
  },
);

// Estimates of ‖A‖ and cond(A).
const norms = defineFused(
  "lsmr.norms",
  {
    alpha: "float",
    beta: "float",
    normA2: "float",
    normA: "float",
    maxrbar: "float",
    minrbar: "float",
    rhobarold: "float",
    rhotemp: "float",
    condA: "float",
    go: "bool",
    it: "int",
  },
  (v, f) => {
    const nA2b = v.normA2.add(v.beta.mul(v.beta));
    const normA = nA2b.sqrt();
    const normA2 = nA2b.add(v.alpha.mul(v.alpha));
    const maxrbar = f.max(v.maxrbar, v.rhobarold);
    const minrbar = f.where(v.it.gt(1), f.min(v.minrbar, v.rhobarold), v.minrbar);
    const condA = f.max(maxrbar, v.rhotemp).div(f.min(minrbar, v.rhotemp));
    const keep = (a: typeof normA, b: typeof normA) => f.where(v.go, a, b);
    return {
      normA2: keep(normA2, v.normA2),
      normA: keep(normA, v.normA),
      maxrbar: keep(maxrbar, v.maxrbar),
      minrbar: keep(minrbar, v.minrbar),
      condA: keep(condA, v.condA),
    };
  },
);

// SciPy's stopping tests (istop priority as in SciPy).
const tests = defineFused(
  "lsmr.tests",
  {
    zetabar: "float",
    normar: "float",
    xx: "float",
    normx: "float",
    normr: "float",
    normb: "float",
    normA: "float",
    condA: "float",
    go: "bool",
    act: "bool",
    itn: "int",
    istop: "int",
    atol: "float",
    btol: "float",
    ctol: "float",
    maxiter: "int",
  },
  (v, f) => {
    const normar = v.zetabar.abs();
    const normx = v.xx.sqrt();
    const test1 = v.normr.div(v.normb);
    const nAr = v.normA.mul(v.normr);
    const test2 = f.where(nAr.ne(0), normar.div(nAr), Infinity);
    const test3 = f.const(1).div(v.condA);
    const t1 = test1.div(v.normA.mul(normx).div(v.normb).add(1));
    const rtol = v.atol.mul(v.normA).mul(normx).div(v.normb).add(v.btol);
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
              f.where(machineSmall(test3), I(6), f.where(itn.ge(v.maxiter), I(7), I(0))),
            ),
          ),
        ),
      ),
    );
    const bad = v.act.and(v.go.not()).or(v.go.and(normx.isfinite().not()));
    const istop = f.where(bad, I(INFO_NONFINITE), f.where(v.go, s, v.istop));
    return {
      normar: f.where(v.go, normar, v.normar),
      normx: f.where(v.go, normx, v.normx),
      itn,
      istop,
      active: v.go.and(bad.not()).and(s.eq(0)),
    };
  },
);

/**
 * Solves `A x = b` or the least-squares problem `min ‖A x − b‖²` (with `damp`:
 * `min ‖A x − b‖² + damp²‖x − x0‖²`) for a rectangular or square `A` with LSMR
 * (SciPy's `scipy.sparse.linalg.lsmr` semantics), for a whole batch of systems at once.
 * LSMR is equivalent to MINRES on the normal equations: ‖Aᴴr‖ decreases monotonically, so it
 * can stop earlier than LSQR on least-squares problems.
 *
 * `A` is `(..., m, n)`: a sparse array, a dense namespace array, a `LinearOperator` or any
 * `{ shape, matvec, rmatvec }` (the adjoint is required); `b` is `(..., m)` (or `(m, 1)` /
 * a number when `m = 1`, as SciPy). Batch shapes of A, b and x0 broadcast; each system has its
 * own scalars, stopping test, `istop` and iteration count.
 *
 * Stopping rules (SciPy's): with `r = b − A x`, stop when `‖r‖ ≤ btol·‖b‖ + atol·‖A‖·‖x‖`
 * (istop 1), or `‖Aᴴr‖ ≤ atol·‖A‖·‖r‖` (2), or cond(A) ≥ conlim (3), or their machine-precision
 * versions (4–6, float64 semantics in every dtype, as SciPy), or `itn = maxiter` (7). istop 0:
 * `b = 0` (then x = 0, also when x0 is given, as SciPy) or `Aᴴ(b − A x0) = 0` (x = x0). See
 * {@linkcode LsmrResult}.
 *
 * NaN/Inf in A, b or x0 is a `RangeError`; a non-finite value produced mid-iteration gives
 * `istop` = {@linkcode INFO_NONFINITE} for that system only.
 *
 * @example
 * ```ts
 * import { lsmr } from "./lsmr.ts";
 * import { cpu as xp } from "../backends/cpu/mod.ts";
 * const A = xp.asarray([[1, 0], [1, 1], [0, 1]]);
 * const r = await lsmr(A, xp.asarray([1, 0.01, -1]));
 * console.log(r.istop, r.itn, r.normr);        // Int32Array [2] Int32Array [2] Float64Array [0.00577…]
 * console.log(await xp.toHost(r.x));            // Float64Array [1.00333…, -0.99666…]
 * ```
 */
export function lsmr<T extends AnyOperatorInput>(
  A: T,
  b: VectorInput<ArrayOfOperator<T>> | number,
  options?: LsmrOptions<ArrayOfOperator<T>>,
): Promise<LsmrResult<ArrayOfOperator<T>>> {
  return driveAsync(lsmrSteps(A, b, options ?? {})) as Promise<
    LsmrResult<ArrayOfOperator<T>>
  >;
}

/**
 * {@linkcode lsmr}, synchronously: the same arguments, options, semantics and result, returned
 * directly instead of in a promise (for CPU users, and for `tf.customGrad`, whose forward and
 * backward functions must be synchronous). Host readbacks use `xp.toHostSync`, so the convergence
 * check runs after every iteration.
 *
 * A namespace without `toHostSync` (WebGPU, which must wait for the device) is a `TypeError`
 * pointing to {@linkcode lsmr}; so is a `callback` that returns a promise.
 *
 * @example
 * ```ts
 * import { lsmrSync } from "./lsmr.ts";
 * import { cpu as xp } from "../backends/cpu/mod.ts";
 * const A = xp.asarray([[1, 0], [1, 1], [0, 1]]);
 * const r = lsmrSync(A, xp.asarray([1, 0.01, -1]));
 * console.log(r.istop, r.itn, xp.toHostSync(r.x)); // Int32Array [2] Int32Array [2] Float64Array [1.00333…, -0.99666…]
 * ```
 */
export function lsmrSync<T extends AnyOperatorInput>(
  A: T,
  b: VectorInput<ArrayOfOperator<T>> | number,
  options?: LsmrOptions<ArrayOfOperator<T>>,
): LsmrResult<ArrayOfOperator<T>> {
  return solveSync(
    "lsmr",
    { A, b, x0: options?.x0 },
    () => lsmrSteps(A, b, options ?? {}),
  ) as LsmrResult<ArrayOfOperator<T>>;
}

function* lsmrSteps<A extends ArrayObject>(
  A: unknown,
  b: unknown,
  options: LsmrOptions<A>,
): Steps<LsmrResult<A>, A> {
  const label = "lsmr";
  const damp = checkNonNegative(label, "damp", options.damp, 0);
  const atol = checkTolerance(label, "atol", options.atol, 1e-6);
  const btol = checkTolerance(label, "btol", options.btol, 1e-6);
  const conlim = checkTolerance(label, "conlim", options.conlim, 1e8);
  if ((options.x0 as unknown) === "Mb") {
    throw new TypeError(`${label}: x0 must be an array (lsmr has no preconditioner for "Mb")`);
  }
  const sys = prepareSystem<A>(label, A, squeezeColumnRhs(A, b), {
    square: false,
    adjoint: true,
    x0: options.x0,
  });
  yield* deferDispose(sys.xp, preparedTemps(sys, b));
  const { xp, n, m, nSys, batch, dtype } = sys;
  const maxiter = checkMaxiter(label, "maxiter", options.maxiter, Math.max(Math.min(m, n), 1));
  const op = sys.A;
  const stats = () => ({
    istop: new Int32Array(nSys),
    itn: new Int32Array(nSys),
    normr: new Float64Array(nSys),
    normar: new Float64Array(nSys),
    norma: new Float64Array(nSys),
    conda: new Float64Array(nSys).fill(1),
    normx: new Float64Array(nSys),
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
      out.normr.set(h);
      out.residualNorm.set(h);
    }
    return { x: sys.x, ...out, ...(options.history ? { residualHistory: [] } : {}) };
  }

  // ---- initial state (SciPy: beta·u = b − A x0, alpha·v = Aᴴu, h = v, hbar = 0)
  let x = sys.x;
  const gk = gkInit(xp, op, sys.b, x, sys.x0Given);
  const scratch: GkScratch<A> = {};
  const s0 = runFused(xp, initState, { alpha: gk.alpha, beta: gk.beta, bnorm: gk.bnorm, btol });
  let { zetabar, alphabar, betadd, normA2, normA, normr, normar, active } = s0;
  const tol = s0.tol;
  const cv = colViews(xp);
  ({ x } = runFused(xp, zeroOut, { x, bzero: cv(s0.bzero) }, { out: { x } }));
  xp.dispose(s0.bzero);
  let { h } = runFused(xp, initH, { v: gk.v, vscale: cv(gk.vscale) });
  cv.release();
  let hbar = xp.zeros([...batch, n], { dtype });
  const full = (v: number) => xp.full(batch, v, { dtype });
  let rho = full(1), rhobar = full(1), cbar = full(1), sbar = full(0);
  let betad = full(0), rhodold = full(1), tautildeold = full(0), thetatilde = full(0);
  let zeta = full(0), d = full(0), maxrbar = full(0), minrbar = full(1e100);
  let condA = full(1), normx = full(0);
  let itn = xp.zeros(batch, { dtype: "int32" });
  let istop = xp.zeros(batch, { dtype: "int32" });
  const ctol = conlim > 0 ? 1 / conlim : 0;

  const mon = new ConvergenceMonitor(xp, {
    label,
    nSys,
    batch,
    maxiter,
    dtype,
    threshold: tol,
    finite: sys.finite,
    history: options.history,
    onProgress: options.onProgress,
  });
  if (options.history) mon.record(0, xp.astype(normr, dtype, { copy: true }));
  let trueRes: A | undefined;
  const rowsNow = (withTrue: boolean): Record<string, A> => {
    // the norm estimates travel only with snapshots that may be final (they carry trueRes)
    const rows: Record<string, A> = { active, res: normr, itn, istop };
    if (withTrue) {
      Object.assign(rows, { normar, normA, condA, normx });
      if (trueRes) xp.dispose(trueRes);
      rows.trueRes = trueRes = trueResidualNorm(xp, op, sys.b, x);
    }
    return rows;
  };

  // ---- iterations
  let it = 0;
  let stop = yield* mon.check(0, rowsNow(false));
  while (!stop && it < maxiter) {
    it++;
    const alphaOld = gkStep(xp, op, gk, active, scratch);
    xp.dispose(alphaOld);
    const r1 = runFused(
      xp,
      rotate1,
      { alpha: gk.alpha, beta: gk.beta, act: active, alphabar, rho, damp },
      { out: { alphabar } },
    );
    alphabar = r1.alphabar;
    const rhoold = rho;
    rho = r1.rhoNew;
    const rhobarold = rhobar, zetaold = zeta;
    const r2 = runFused(
      xp,
      rotate2,
      { rho, rhoold, rhobarold, cbar, sbar, thetanew: r1.thetanew, zetabar, zetaold, act: active },
      { out: { cbar, sbar, zetabar } },
    );
    ({ cbar, sbar, zetabar, rhobar, zeta } = r2);
    const go = r2.go;
    const up = runFused(
      xp,
      update,
      {
        x,
        h,
        hbar,
        v: gk.v,
        vscale: cv(gk.vscale),
        hbarc: cv(r2.hbarc),
        xc: cv(r2.xc),
        thetanew: cv(r1.thetanew),
        rho: cv(rho),
        go: cv(go),
      },
      { out: { x, h, hbar } },
    );
    cv.release();
    ({ x, h, hbar } = up);
    xp.dispose(r2.hbarc, r2.xc, r1.thetanew, rhoold);
    const rr = runFused(
      xp,
      residual,
      {
        chat: r1.chat,
        shat: r1.shat,
        c: r1.c,
        s: r1.s,
        betadd,
        rhodold,
        thetabar: r2.thetabar,
        thetatilde,
        rhobar,
        betad,
        tautildeold,
        zetaold,
        zeta,
        d,
        normr,
        go,
      },
      { out: { betadd, rhodold, thetatilde, betad, tautildeold, d, normr } },
    );
    ({ betadd, rhodold, thetatilde, betad, tautildeold, d, normr } = rr);
    xp.dispose(r1.chat, r1.shat, r1.c, r1.s, r2.thetabar, zetaold);
    const nn = runFused(
      xp,
      norms,
      {
        alpha: gk.alpha,
        beta: gk.beta,
        normA2,
        normA,
        maxrbar,
        minrbar,
        rhobarold,
        rhotemp: r2.rhotemp,
        condA,
        go,
        it,
      },
      { out: { normA2, normA, maxrbar, minrbar, condA } },
    );
    ({ normA2, normA, maxrbar, minrbar, condA } = nn);
    xp.dispose(rhobarold, r2.rhotemp);
    const st = runFused(
      xp,
      tests,
      {
        zetabar,
        normar,
        xx: up.xx,
        normx,
        normr,
        normb: gk.bnorm,
        normA,
        condA,
        go,
        act: active,
        itn,
        istop,
        atol,
        btol,
        ctol,
        maxiter,
      },
      { out: { normar, normx, itn, istop } },
    );
    xp.dispose(active, go, up.xx);
    ({ normar, normx, itn, istop, active } = st);
    if (options.history) mon.record(it, xp.astype(normr, dtype, { copy: true }));
    if (options.callback) {
      yield* callbackDone<A>(options.callback(x, it));
    }
    if (mon.due(it)) stop = yield* mon.check(it, rowsNow(mon.wantsTrueResidual));
  }

  const names = ["itn", "istop", "res", "normar", "normA", "condA", "normx", "trueRes"];
  const final = yield* mon.finish(it, names, () => rowsNow(true));
  gkDispose(xp, gk, scratch);
  xp.dispose(zetabar, alphabar, betadd, normA2, normA, normr, normar, active, tol, h, hbar);
  xp.dispose(rho, rhobar, cbar, sbar, betad, rhodold, tautildeold, thetatilde, zeta, d);
  xp.dispose(maxrbar, minrbar, condA, normx, itn, istop);
  if (trueRes) xp.dispose(trueRes);
  const R = final.rows;
  const out = stats();
  for (let k = 0; k < nSys; k++) {
    out.istop[k] = R.istop[k];
    out.itn[k] = R.itn[k];
    out.normr[k] = R.res[k];
    out.normar[k] = R.normar[k];
    out.norma[k] = R.normA[k];
    out.conda[k] = R.condA[k];
    out.normx[k] = R.normx[k];
    out.residualNorm[k] = R.trueRes[k];
  }
  return {
    x,
    ...out,
    ...(options.history ? { residualHistory: mon.historyPerSystem() } : {}),
  };
}
