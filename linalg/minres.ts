/**
 * MINRES (Paige & Saunders) for symmetric, possibly indefinite or singular systems, batched.
 *
 * @module
 */
import type { ArrayNamespace, ArrayObject } from "../array_api/types.ts";
import { defineFused, type Expr, runFused } from "../array_api/fuse.ts";
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
import { emptyStats, epsOf, preparedTemps, residualVector, trueResidualNorm } from "./_batch.ts";
import { colViews, machineSmall } from "./_golub_kahan.ts";
import {
  type AnyOperatorInput,
  type ArrayOfOperator,
  INFO_NONFINITE,
  type OperatorInput,
  type OperatorLike,
  type ProgressInfo,
  type SolveResult,
  type VectorInput,
} from "./types.ts";

/**
 * `info` code of {@linkcode minres}: the preconditioned inner product `rᵀM r` became negative,
 * so `M` is not symmetric positive definite (or A is not symmetric). SciPy raises
 * `ValueError("indefinite preconditioner")` / `ValueError("non-symmetric matrix")` there; a
 * batched solve reports it per system and lets the other systems finish.
 *
 * @example
 * ```ts
 * import { INFO_INDEFINITE_PRECONDITIONER } from "./minres.ts";
 * console.log(INFO_INDEFINITE_PRECONDITIONER); // -20
 * ```
 */
export const INFO_INDEFINITE_PRECONDITIONER: number = -20;

/**
 * Options of {@linkcode minres} (SciPy's `minres` options in camelCase, plus batching
 * extras). There is no `atol`: MINRES stops on its own relative tests (see {@linkcode minres}).
 *
 * @example
 * ```ts
 * import type { MinresOptions } from "./minres.ts";
 * const o: MinresOptions = { rtol: 1e-8, shift: 0.5, maxiter: 200 };
 * ```
 */
export interface MinresOptions<A extends ArrayObject = ArrayObject> {
  /** Relative tolerance (default 1e-5) of the tests `‖r‖ ≤ rtol·‖A‖·‖x‖` and
   * `‖A r‖ ≤ rtol·‖A‖·‖r‖`. */
  rtol?: number;
  /** Solve `(A − shift·I) x = b` (default 0). */
  shift?: number;
  /** Iteration limit (default `5·n`). */
  maxiter?: number;
  /** Symmetric positive-definite preconditioner approximating `A⁻¹` (an operator input). */
  M?: OperatorInput<A> | null;
  /** Initial guess `(..., n)` (broadcast over the batch), or `"Mb"` for `M·b`. Not modified. */
  x0?: VectorInput<A> | "Mb" | null;
  /** Check that A and M look symmetric before iterating (SciPy's test; a `RangeError`
   * naming the first failing system). Costs three operator applications. */
  check?: boolean;
  /** Called after every iteration with the current iterate (valid only during the call) and
   * the iteration number. Returning a promise makes the solver await it. */
  callback?: (x: A, iteration: number) => void | Promise<void>;
  /** Called at each host convergence check (`residualNorm` there is MINRES's estimate). */
  onProgress?: (info: ProgressInfo) => void;
  /** Record MINRES's residual estimate (`phibar`, the `M⁻¹`-norm of the residual) of every
   * system at every iteration (`residualHistory`). */
  history?: boolean;
}

/**
 * Result of {@linkcode minres}: the {@linkcode SolveResult} fields plus SciPy's internal
 * `istop` and the norm estimates (one entry per system).
 *
 * `info`: 0 converged (istop −1…5), `maxiter` when the iteration limit was reached (istop 6),
 * {@linkcode INFO_INDEFINITE_PRECONDITIONER} (−20) or `INFO_NONFINITE` (−12) on breakdown.
 *
 * @example
 * ```ts
 * import type { MinresResult } from "./minres.ts";
 * const show = (r: MinresResult) => console.log(r.info, r.istop, r.iterations, r.acond);
 * ```
 */
export interface MinresResult<A extends ArrayObject = ArrayObject> extends SolveResult<A> {
  /** Paige–Saunders stop code per system: −1 `beta2 = 0` (x is exact after one step),
   * 0 `b − A x0 = 0` or `b = 0`, 1 `‖r‖/(‖A‖‖x‖) ≤ rtol`, 2 `‖A r‖/(‖A‖‖r‖) ≤ rtol`
   * (least-squares solution), 3 `‖A‖‖x‖·eps ≥ ‖r0‖`, 4 cond(A) ≥ 0.1/eps, 6 iteration limit;
   * unchanged (0) after a breakdown. */
  readonly istop: Int32Array;
  /** Estimate of the Frobenius norm of the (preconditioned, shifted) Lanczos matrix. */
  readonly anorm: Float64Array;
  /** Estimate of its condition number. */
  readonly acond: Float64Array;
}

const initSums = defineFused(
  "minres.init.sums",
  { b: "float", r: "float", y: "float" },
  (v, f) => ({
    bb: f.sum(v.b.mul(v.b)),
    ry: f.sum(v.r.mul(v.y)),
  }),
);

// SciPy: beta1 = rᵀM r (< 0: indefinite M; 0: x0 is exact), ‖b‖ = 0 → x = b = 0.
const initState = defineFused(
  "minres.init",
  { bb: "float", ry: "float", rtol: "float" },
  (v, f) => {
    const finite = v.ry.isfinite();
    const neg = v.ry.lt(0);
    const beta1 = f.where(v.ry.gt(0), v.ry.sqrt(), 0);
    const bzero = v.bb.eq(0);
    return {
      beta1,
      beta: beta1,
      phibar: beta1,
      xzero: v.ry.gt(0).and(bzero),
      active: v.ry.gt(0).and(bzero.not()).and(finite),
      info: f.where(
        neg,
        f.const(INFO_INDEFINITE_PRECONDITIONER, "int"),
        f.where(finite, f.const(0, "int"), f.const(INFO_NONFINITE, "int")),
      ),
      tol: v.rtol.mul(beta1),
    };
  },
);

const initV = defineFused(
  "minres.init.v",
  { x: "float", y: "float", beta1: "float", xzero: "bool" },
  (v, f) => ({
    v: f.where(v.beta1.gt(0), v.y.mul(f.const(1).div(v.beta1)), 0),
    x: f.where(v.xzero, 0, v.x),
  }),
);

// SciPy's optional symmetry checks: |wᵀw − yᵀA w| and |yᵀy − r1ᵀM y| against
// (s + eps)·eps^(1/3).
const symSums = defineFused(
  "minres.check.sums",
  { w: "float", aw: "float", y: "float", r1: "float", my: "float" },
  (v, f) => ({
    ww: f.sum(v.w.mul(v.w)),
    yaw: f.sum(v.y.mul(v.aw)),
    yy: f.sum(v.y.mul(v.y)),
    rmy: f.sum(v.r1.mul(v.my)),
  }),
);

const symFlags = defineFused(
  "minres.check.flags",
  { ww: "float", yaw: "float", yy: "float", rmy: "float", act: "bool", eps: "float", e3: "float" },
  (v, f) => ({
    zA: f.where(v.act, v.ww.sub(v.yaw).abs(), 0),
    tolA: v.ww.add(v.eps).mul(v.e3),
    zM: f.where(v.act, v.yy.sub(v.rmy).abs(), 0),
    tolM: v.yy.add(v.eps).mul(v.e3),
  }),
);

const shiftProg = defineFused("minres.shift", { ax: "float", x: "float", shift: "float" }, (v) => ({
  r: v.ax.sub(v.shift.mul(v.x)),
}));

// y ← A v − shift·v − (beta/oldb)·r1 (no r1 term on the first iteration); alfa = vᵀy.
const lanczos1 = defineFused(
  "minres.lanczos1",
  { av: "float", v: "float", shift: "float" },
  (v, f) => {
    const y = v.av.sub(v.shift.mul(v.v));
    return { y, alfa: f.sum(v.v.mul(y)) };
  },
);

const lanczos = defineFused(
  "minres.lanczos",
  { av: "float", v: "float", r1: "float", beta: "float", oldb: "float", shift: "float" },
  (v, f) => {
    const y = v.av.sub(v.shift.mul(v.v)).sub(v.beta.div(v.oldb).mul(v.r1));
    return { y, alfa: f.sum(v.v.mul(y)) };
  },
);

// y ← y − (alfa/beta)·r2; without a preconditioner beta² = yᵀy in the same pass.
const orthoNorm = defineFused(
  "minres.ortho.norm",
  { y: "float", r2: "float", alfa: "float", beta: "float" },
  (v, f) => {
    const y = v.y.sub(v.alfa.div(v.beta).mul(v.r2));
    return { y, betasq: f.sum(y.mul(y)) };
  },
);

const ortho = defineFused(
  "minres.ortho",
  { y: "float", r2: "float", alfa: "float", beta: "float" },
  (v) => ({ y: v.y.sub(v.alfa.div(v.beta).mul(v.r2)) }),
);

const dotRz = defineFused("minres.rz", { r: "float", z: "float" }, (v, f) => ({
  betasq: f.sum(v.r.mul(v.z)),
}));

// New beta, ‖T‖_F² accumulation, breakdown (rᵀM r < 0) and NaN detection, istop = −1 test.
const lanczosScalars = defineFused(
  "minres.scalars",
  {
    alfa: "float",
    betasq: "float",
    beta: "float",
    act: "bool",
    tnorm2: "float",
    info: "int",
    istop: "int",
    beta1: "float",
    first: "int",
    eps: "float",
  },
  (v, f) => {
    const neg = v.act.and(v.betasq.lt(0));
    const bad = v.act.and(v.alfa.isfinite().and(v.betasq.isfinite()).not());
    const go = v.act.and(neg.not()).and(bad.not());
    const betaNew = v.betasq.sqrt();
    const tnorm2 = v.tnorm2.add(
      v.alfa.mul(v.alfa).add(v.beta.mul(v.beta)).add(betaNew.mul(betaNew)),
    );
    const exact = go.and(v.first.gt(0)).and(betaNew.div(v.beta1).le(v.eps.mul(10)));
    return {
      betaNew: f.where(go, betaNew, v.beta),
      go1: go,
      tnorm2: f.where(go, tnorm2, v.tnorm2),
      info: f.where(
        neg,
        f.const(INFO_INDEFINITE_PRECONDITIONER, "int"),
        f.where(bad, f.const(INFO_NONFINITE, "int"), v.info),
      ),
      istop: f.where(exact, f.const(-1, "int"), v.istop),
    };
  },
);

// Previous rotation Q_{k−1}, next rotation Q_k, and the step coefficients.
const rotation = defineFused(
  "minres.rotation",
  {
    alfa: "float",
    beta: "float",
    dbar: "float",
    epsln: "float",
    cs: "float",
    sn: "float",
    phibar: "float",
    gmax: "float",
    gmin: "float",
    go1: "bool",
    eps: "float",
  },
  (v, f) => {
    const delta = v.cs.mul(v.dbar).add(v.sn.mul(v.alfa));
    const gbar = v.sn.mul(v.dbar).sub(v.cs.mul(v.alfa));
    const epsln = v.sn.mul(v.beta);
    const dbar = v.cs.neg().mul(v.beta);
    const root = gbar.mul(gbar).add(dbar.mul(dbar)).sqrt();
    const gamma = f.max(gbar.mul(gbar).add(v.beta.mul(v.beta)).sqrt(), v.eps);
    const cs = gbar.div(gamma);
    const sn = v.beta.div(gamma);
    const phi = cs.mul(v.phibar);
    const phibar = sn.mul(v.phibar);
    const go = v.go1.and(phi.isfinite()).and(delta.isfinite());
    const keep = (a: Expr, b: Expr) => f.where(go, a, b);
    return {
      epslnNew: keep(epsln, v.epsln),
      delta,
      gamma,
      phi,
      root,
      go,
      dbar: keep(dbar, v.dbar),
      cs: keep(cs, v.cs),
      sn: keep(sn, v.sn),
      phibar: keep(phibar, v.phibar),
      gmax: keep(f.max(v.gmax, gamma), v.gmax),
      gmin: keep(f.min(v.gmin, gamma), v.gmin),
    };
  },
);

// w ← (v − oldeps·w1 − delta·w2)/gamma (w1, w2 = the two previous w), x ← x + phi·w,
// next Lanczos vector v ← y/beta; ‖x‖² in the same pass.
const update = defineFused(
  "minres.update",
  {
    v: "float",
    w: "float",
    w2: "float",
    x: "float",
    oldeps: "float",
    delta: "float",
    gamma: "float",
    phi: "float",
    go: "bool",
    y: "float",
    beta: "float",
  },
  (v, f) => {
    const denom = f.const(1).div(v.gamma);
    const w = v.v.sub(v.oldeps.mul(v.w2)).sub(v.delta.mul(v.w)).mul(denom);
    const x = f.where(v.go, v.x.add(v.phi.mul(w)), v.x);
    const vNext = f.where(v.beta.gt(0), v.y.mul(f.const(1).div(v.beta)), 0);
    return {
      wNew: f.where(v.go, w, v.w),
      x,
      v: f.where(v.go, vNext, v.v),
      xx: f.sum(x.mul(x)),
    };
  },
);

// SciPy's stopping tests (priority as in SciPy: the last assignment wins).
const tests = defineFused(
  "minres.tests",
  {
    xx: "float",
    phibar: "float",
    root: "float",
    tnorm2: "float",
    gmax: "float",
    gmin: "float",
    beta1: "float",
    go: "bool",
    act: "bool",
    iters: "int",
    istop: "int",
    info: "int",
    rtol: "float",
    eps: "float",
    maxiter: "int",
  },
  (v, f) => {
    const Anorm = v.tnorm2.sqrt();
    const ynorm = v.xx.sqrt();
    const epsx = Anorm.mul(ynorm).mul(v.eps);
    const test1 = f.where(ynorm.eq(0).or(Anorm.eq(0)), Infinity, v.phibar.div(Anorm.mul(ynorm)));
    const test2 = f.where(Anorm.eq(0), Infinity, v.root.div(Anorm));
    const Acond = v.gmax.div(v.gmin);
    const iters = v.iters.add(f.where(v.act, f.const(1, "int"), f.const(0, "int")));
    const I = (k: number) => f.const(k, "int");
    const s = f.where(
      test1.le(v.rtol),
      I(1),
      f.where(
        test2.le(v.rtol),
        I(2),
        f.where(
          epsx.ge(v.beta1),
          I(3),
          f.where(
            Acond.ge(f.const(0.1).div(v.eps)),
            I(4),
            f.where(
              iters.ge(v.maxiter),
              I(6),
              f.where(machineSmall(test1), I(1), f.where(machineSmall(test2), I(2), I(0))),
            ),
          ),
        ),
      ),
    );
    const bad = v.go.and(v.xx.isfinite().not());
    const ok = v.go.and(bad.not());
    const istop = f.where(ok.and(v.istop.eq(0)), s, v.istop);
    return {
      iters,
      istop,
      info: f.where(bad, I(INFO_NONFINITE), v.info),
      active: ok.and(istop.eq(0)),
    };
  },
);

/** `A − shift·I` as an operator (A itself when shift is 0). */
function shifted<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
  op: OperatorLike<A>,
  shift: number,
): OperatorLike<A> {
  if (shift === 0) return op;
  return {
    shape: op.shape,
    dtype: op.dtype,
    xp,
    matvec(x: A, out?: A): A {
      const ax = op.matvec(x, out);
      return runFused(xp, shiftProg, { ax, x, shift }, { out: { r: ax } }).r;
    },
  };
}

/**
 * Solves `(A − shift·I) x = b` for symmetric (possibly indefinite or singular) `A` with the
 * minimum residual method (SciPy's `scipy.sparse.linalg.minres` semantics), for a whole batch
 * of systems at once. An optional preconditioner `M` must be symmetric positive definite.
 *
 * `A` is a sparse array, a dense namespace array `(..., n, n)`, a `LinearOperator` or any
 * `{ shape, matvec }`; `b` is `(..., n)`. Batch shapes of A, b, x0 and M broadcast; each
 * system has its own Lanczos scalars, stopping tests, `info` and iteration count, and is
 * frozen once it stops.
 *
 * Stopping tests (Paige–Saunders, as SciPy; see `istop` in {@linkcode MinresResult}): with
 * MINRES's residual estimate ‖r‖ (in the `M⁻¹` norm when preconditioned), stop when
 * `‖r‖ ≤ rtol·‖A‖·‖x‖`, or `‖A r‖ ≤ rtol·‖A‖·‖r‖` (singular, inconsistent systems), or on the
 * machine-precision and condition tests, or at `maxiter`. Unlike cg, the test is relative to
 * `‖A‖·‖x‖`, not to ‖b‖ (there is no `atol`). Systems with `b − A x0 = 0` return x0 and with
 * `b = 0` return x = 0, both after 0 iterations.
 *
 * `info` per system: 0 converged; `maxiter` not converged; {@linkcode INFO_INDEFINITE_PRECONDITIONER}
 * (−20, SciPy raises a `ValueError` there) or `INFO_NONFINITE` (−12) on breakdown; those
 * systems are frozen at their last finite iterate. NaN/Inf in b, x0 or the stored values of A
 * is a `RangeError`, as is an asymmetric A or M with `check: true`.
 *
 * Differences from SciPy: with both `x0` and `shift`, SciPy starts from `b − A x0` instead of
 * `b − (A − shift·I) x0` (and so solves `(A − shift·I) x = b − shift·x0`); this solves the
 * stated system.
 *
 * @example
 * ```ts
 * import { minres } from "./minres.ts";
 * import { cpu as xp } from "../backends/cpu/mod.ts";
 * const A = xp.asarray([[6, 3, 0], [3, -2, 5], [0, 5, 2]]);   // symmetric indefinite
 * const r = await minres(A, xp.asarray([2, 4, -1]), { rtol: 1e-10 });
 * console.log(r.info, r.iterations, r.residualNorm);           // Int32Array [0] Int32Array [3] …
 * ```
 */
export function minres<T extends AnyOperatorInput>(
  A: T,
  b: VectorInput<ArrayOfOperator<T>>,
  options?: MinresOptions<ArrayOfOperator<T>>,
): Promise<MinresResult<ArrayOfOperator<T>>> {
  return driveAsync(minresSteps(A, b, options ?? {})) as Promise<
    MinresResult<ArrayOfOperator<T>>
  >;
}

/**
 * {@linkcode minres}, synchronously: the same arguments, options, semantics and result, returned
 * directly instead of in a promise (for CPU users, and for `tf.customGrad`, whose forward and
 * backward functions must be synchronous). Host readbacks use `xp.toHostSync`, so the convergence
 * check runs after every iteration.
 *
 * A namespace without `toHostSync` (WebGPU, which must wait for the device) is a `TypeError`
 * pointing to {@linkcode minres}; so is a `callback` that returns a promise.
 *
 * @example
 * ```ts
 * import { minresSync } from "./minres.ts";
 * import { cpu as xp } from "../backends/cpu/mod.ts";
 * const A = xp.asarray([[6, 3, 0], [3, -2, 5], [0, 5, 2]]);   // symmetric indefinite
 * const r = minresSync(A, xp.asarray([2, 4, -1]), { rtol: 1e-10 });
 * console.log(r.info, r.iterations, r.residualNorm);           // Int32Array [0] Int32Array [3] …
 * ```
 */
export function minresSync<T extends AnyOperatorInput>(
  A: T,
  b: VectorInput<ArrayOfOperator<T>>,
  options?: MinresOptions<ArrayOfOperator<T>>,
): MinresResult<ArrayOfOperator<T>> {
  return solveSync(
    "minres",
    { A, b, x0: options?.x0, M: options?.M },
    () => minresSteps(A, b, options ?? {}),
  ) as MinresResult<ArrayOfOperator<T>>;
}

function* minresSteps<A extends ArrayObject>(
  A: unknown,
  b: unknown,
  options: MinresOptions<A>,
): Steps<MinresResult<A>, A> {
  const label = "minres";
  if ("atol" in options && (options as { atol?: unknown }).atol !== undefined) {
    throw new TypeError(`${label} has no atol option (SciPy's minres has none); use rtol`);
  }
  const rtol = checkTolerance(label, "rtol", options.rtol, 1e-5);
  const shift = options.shift ?? 0;
  if (typeof shift !== "number" || !Number.isFinite(shift)) {
    throw new RangeError(`${label}: shift must be a finite number, got ${String(shift)}`);
  }
  const sys = prepareSystem<A>(label, A, b, { square: true, x0: options.x0, M: options.M });
  yield* deferDispose(sys.xp, preparedTemps(sys, b));
  const { xp, n, nSys, batch, dtype } = sys;
  const maxiter = checkMaxiter(label, "maxiter", options.maxiter, Math.max(5 * n, 1));
  const op = sys.A, M = sys.M;
  const opS = shifted(xp, op, shift);
  const eps = epsOf(dtype);
  const history = options.history ? { residualHistory: [] as Float64Array[] } : {};
  if (nSys === 0 || n === 0) {
    xp.dispose(...sys.finite.map((f) => f.ok));
    return {
      x: sys.x,
      ...emptyStats(nSys),
      istop: new Int32Array(nSys),
      anorm: new Float64Array(nSys),
      acond: new Float64Array(nSys),
      ...history,
    };
  }

  // ---- initial state: r1 = b − (A − shift·I) x0, y = M r1, beta1 = √(r1ᵀy), v = y/beta1
  let x = sys.x;
  const r1init = sys.x0Given
    ? residualVector(xp, opS, sys.b, x)
    : xp.astype(sys.b, dtype, { copy: true });
  const y0 = M ? M.matvec(r1init) : r1init;
  const s0 = runFused(xp, initSums, { b: sys.b, r: r1init, y: y0 });
  const st0 = runFused(xp, initState, { bb: s0.bb, ry: s0.ry, rtol });
  xp.dispose(s0.bb, s0.ry);
  let active = st0.active, info = st0.info, beta = st0.beta, phibar = st0.phibar;
  const beta1 = st0.beta1, tol = st0.tol;
  let v: A;
  const cv = colViews(xp);
  ({ v, x } = runFused(
    xp,
    initV,
    { x, y: y0, beta1: cv(beta1), xzero: cv(st0.xzero) },
    { out: { x } },
  ));
  cv.release();
  xp.dispose(st0.xzero);

  // optional symmetry checks (flags travel with the first snapshot: no extra readback)
  const checkRows: Record<string, A> = {};
  if (options.check) {
    const w = op.matvec(y0);
    const aw = op.matvec(w);
    const my = M ? M.matvec(y0) : y0;
    const ss = runFused(xp, symSums, { w, aw, y: y0, r1: r1init, my });
    xp.dispose(w, aw);
    if (my !== y0) xp.dispose(my);
    const fl = runFused(xp, symFlags, { ...ss, act: active, eps, e3: Math.cbrt(eps) });
    xp.dispose(ss.ww, ss.yaw, ss.yy, ss.rmy);
    checkRows.chkZA = fl.zA;
    checkRows.chkTolA = fl.tolA;
    checkRows.chkZM = fl.zM;
    checkRows.chkTolM = fl.tolM;
  }
  if (y0 !== r1init) xp.dispose(y0);

  let r1: A | undefined;
  let r2 = r1init;
  let oldb = xp.zeros(batch, { dtype });
  let dbar = xp.zeros(batch, { dtype }), epsln = xp.zeros(batch, { dtype });
  let tnorm2 = xp.zeros(batch, { dtype }), gmax = xp.zeros(batch, { dtype });
  let gmin = xp.full(batch, xp.finfo(dtype).max, { dtype });
  let cs = xp.full(batch, -1, { dtype }), sn = xp.zeros(batch, { dtype });
  let w = xp.zeros([...batch, n], { dtype }), w2 = xp.zeros([...batch, n], { dtype });
  let iters = xp.zeros(batch, { dtype: "int32" });
  let istop = xp.zeros(batch, { dtype: "int32" });
  let av: A | undefined, z: A | undefined;

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
  if (options.history) mon.record(0, xp.astype(phibar, dtype, { copy: true }));
  let trueRes: A | undefined;
  const rowsNow = (withTrue: boolean): Record<string, A> => {
    // the norm estimates travel only with snapshots that may be final (they carry trueRes)
    const rows: Record<string, A> = { active, res: phibar, iters, info };
    if (withTrue) {
      Object.assign(rows, { istop, tnorm2, gmax, gmin });
      if (trueRes) xp.dispose(trueRes);
      rows.trueRes = trueRes = trueResidualNorm(xp, opS, sys.b, x);
    }
    return rows;
  };

  // ---- iterations
  let it = 0;
  let stop = yield* mon.check(0, { ...rowsNow(false), ...checkRows });
  if (options.check) {
    let rows: Record<string, Float64Array> | undefined = mon.last?.iteration === 0
      ? { ...mon.last.rows }
      : undefined;
    if (!rows?.chkZA) {
      // only when the first check was not awaited at once (a forced schedule)
      rows = {};
      for (const k of Object.keys(checkRows)) {
        rows[k] = Float64Array.from((yield* readBack(xp, checkRows[k])) as ArrayLike<number>);
      }
    }
    xp.dispose(...Object.values(checkRows));
    for (const [what, zk, tk] of [["A", "chkZA", "chkTolA"], ["M", "chkZM", "chkTolM"]]) {
      const k = rows[zk].findIndex((zv, i) => zv > rows![tk][i]);
      if (k >= 0) {
        const test = what === "A" ? "|wᵀw − yᵀ(A w)| with w = A y" : "|yᵀy − r0ᵀ(M y)|";
        throw new RangeError(
          `${label}: ${what === "A" ? "A" : "the preconditioner M"} does not look symmetric` +
            (nSys > 1 ? ` (system ${k})` : "") +
            `: ${test} = ${rows[zk][k]} > ${rows[tk][k]} (y = M r0, r0 = b − A x0)`,
        );
      }
    }
  }
  while (!stop && it < maxiter) {
    it++;
    av = op.matvec(v, av);
    let y: A, alfa: A;
    if (r1 === undefined) {
      ({ y, alfa } = runFused(xp, lanczos1, { av, v, shift }, { out: { y: av } }));
    } else {
      ({ y, alfa } = runFused(
        xp,
        lanczos,
        { av, v, r1, beta: cv(beta), oldb: cv(oldb), shift },
        { out: { y: av } },
      ));
    }
    av = undefined;
    const alfaC = cv(alfa), betaC = cv(beta);
    let betasq: A;
    if (M) {
      ({ y } = runFused(xp, ortho, { y, r2, alfa: alfaC, beta: betaC }, { out: { y } }));
    } else {
      ({ y, betasq } = runFused(xp, orthoNorm, { y, r2, alfa: alfaC, beta: betaC }, {
        out: { y },
      }));
    }
    cv.release();
    // r1 ← r2, r2 ← y (the old r1 buffer receives the next A·v)
    av = r1;
    r1 = r2;
    r2 = y;
    if (M) {
      z = M.matvec(r2, z);
      ({ betasq } = runFused(xp, dotRz, { r: r2, z }));
    }
    const sc = runFused(
      xp,
      lanczosScalars,
      {
        alfa,
        betasq: betasq!,
        beta,
        act: active,
        tnorm2,
        info,
        istop,
        beta1,
        first: it === 1 ? 1 : 0,
        eps,
      },
      { out: { tnorm2, info, istop } },
    );
    xp.dispose(betasq!, oldb);
    ({ tnorm2, info, istop } = sc);
    oldb = beta;
    beta = sc.betaNew;
    const rot = runFused(
      xp,
      rotation,
      { alfa, beta, dbar, epsln, cs, sn, phibar, gmax, gmin, go1: sc.go1, eps },
      { out: { dbar, cs, sn, phibar, gmax, gmin, go: sc.go1 } },
    );
    xp.dispose(alfa);
    ({ dbar, cs, sn, phibar, gmax, gmin } = rot);
    const oldeps = epsln;
    epsln = rot.epslnNew;
    const up = runFused(
      xp,
      update,
      {
        v,
        w,
        w2,
        x,
        oldeps: cv(oldeps),
        delta: cv(rot.delta),
        gamma: cv(rot.gamma),
        phi: cv(rot.phi),
        go: cv(rot.go),
        y: z ?? r2,
        beta: cv(beta),
      },
      { out: { wNew: w2, x, v } },
    );
    cv.release();
    xp.dispose(oldeps, rot.delta, rot.gamma, rot.phi);
    w2 = w;
    w = up.wNew;
    x = up.x;
    v = up.v;
    const st = runFused(
      xp,
      tests,
      {
        xx: up.xx,
        phibar,
        root: rot.root,
        tnorm2,
        gmax,
        gmin,
        beta1,
        go: rot.go,
        act: active,
        iters,
        istop,
        info,
        rtol,
        eps,
        maxiter,
      },
      { out: { iters, istop, info } },
    );
    xp.dispose(up.xx, rot.root, rot.go, active);
    ({ iters, istop, info, active } = st);
    if (options.history) mon.record(it, xp.astype(phibar, dtype, { copy: true }));
    if (options.callback) {
      yield* callbackDone<A>(options.callback(x, it));
    }
    if (mon.due(it)) stop = yield* mon.check(it, rowsNow(mon.wantsTrueResidual));
  }

  const names = ["iters", "info", "istop", "tnorm2", "gmax", "gmin", "trueRes"];
  const final = yield* mon.finish(it, names, () => rowsNow(true));
  xp.dispose(v, r2, oldb, beta, beta1, tol, phibar, dbar, epsln, tnorm2, gmax, gmin, cs, sn);
  xp.dispose(w, w2, iters, istop, info, active);
  xp.dispose(...[r1, av, z, trueRes].filter((a): a is A => a !== undefined));
  const R = final.rows;
  const out = {
    ...emptyStats(nSys),
    istop: new Int32Array(nSys),
    anorm: new Float64Array(nSys),
    acond: new Float64Array(nSys),
  };
  for (let k = 0; k < nSys; k++) {
    const code = R.info[k];
    out.iterations[k] = R.iters[k];
    out.istop[k] = R.istop[k];
    out.info[k] = code < 0 ? code : R.istop[k] === 6 ? maxiter : 0;
    out.residualNorm[k] = R.trueRes[k];
    out.anorm[k] = Math.sqrt(R.tnorm2[k]);
    out.acond[k] = R.gmin[k] > 0 && R.tnorm2[k] > 0 ? R.gmax[k] / R.gmin[k] : 0;
  }
  return {
    x,
    ...out,
    ...(options.history ? { residualHistory: mon.historyPerSystem() } : {}),
  };
}
