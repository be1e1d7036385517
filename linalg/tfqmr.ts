/**
 * Transpose-free quasi-minimal residual (TFQMR) for general square systems, batched.
 *
 * @module
 */
import type { ArrayObject } from "../array_api/types.ts";
import { defineFused } from "../array_api/fuse.ts";
import { startShort } from "./_short_common.ts";
import { driveAsync, solveSync, type Steps } from "./_drive.ts";
import {
  type AnyOperatorInput,
  type ArrayOfOperator,
  INFO_NONFINITE,
  type KrylovOptions,
  type SolveResult,
  type VectorInput,
} from "./types.ts";

/**
 * `info` code of {@linkcode tfqmr}: breakdown, `r*ᴴv = 0` (SciPy's −1).
 *
 * @example
 * ```ts
 * import { INFO_TFQMR_BREAKDOWN } from "./tfqmr.ts";
 * console.log(INFO_TFQMR_BREAKDOWN); // -1
 * ```
 */
export const INFO_TFQMR_BREAKDOWN: number = -1;

/**
 * Options of {@linkcode tfqmr} (SciPy's `tfqmr` options in camelCase, plus batching extras).
 * `rtol` is relative to the initial residual `‖b − A x0‖` (SciPy's semantics), and
 * `maxiter` defaults to `min(10000, 10·n)`.
 *
 * @example
 * ```ts
 * import type { TfqmrOptions } from "./tfqmr.ts";
 * const o: TfqmrOptions = { rtol: 1e-8, maxiter: 500 };
 * ```
 */
export interface TfqmrOptions<A extends ArrayObject = ArrayObject> extends KrylovOptions<A> {
  /** Compact the batch when at most a quarter of its systems still iterate (default true; needs
   * an operator shared by all systems or one that can select batch members, and no
   * `callback`/`history`). */
  compact?: boolean;
}

// Even step: α = ρ / r*ᴴv (r*ᴴv = 0 is SciPy's breakdown −1; a non-finite α is −12).
const alphaStep = defineFused(
  "tfqmr.alpha",
  { active: "bool", rho: "float", rv: "float", alpha: "float", info: "int" },
  (v, f) => {
    const brk = v.active.and(v.rv.eq(0));
    const alpha = v.rho.div(v.rv);
    const bad = v.active.and(brk.not()).and(alpha.isfinite().not());
    const go = v.active.and(brk.not()).and(bad.not());
    return {
      go,
      alpha: f.where(go, alpha, v.alpha),
      info: f.where(
        brk,
        f.const(INFO_TFQMR_BREAKDOWN, "int"),
        f.where(bad, f.const(INFO_NONFINITE, "int"), v.info),
      ),
    };
  },
);

// d ← u + (θ²/α) η d, w ← w − α û (and on even steps u_next = u − α v); ‖w‖², r*ᴴw.
const wStepEven = defineFused(
  "tfqmr.w.even",
  {
    u: "float",
    v: "float",
    w: "float",
    uhat: "float",
    d: "float",
    alpha: "float",
    theta: "float",
    eta: "float",
    go: "bool",
  },
  (v, f) => {
    const w = f.where(v.go, v.w.sub(v.alpha.mul(v.uhat)), v.w);
    return {
      uNext: v.u.sub(v.alpha.mul(v.v)),
      w,
      d: f.where(v.go, v.u.add(v.theta.mul(v.theta).div(v.alpha).mul(v.eta).mul(v.d)), v.d),
      ww: f.sum(w.mul(w)),
    };
  },
);

const wStepOdd = defineFused(
  "tfqmr.w.odd",
  {
    u: "float",
    w: "float",
    rstar: "float",
    uhat: "float",
    d: "float",
    alpha: "float",
    theta: "float",
    eta: "float",
    go: "bool",
  },
  (v, f) => {
    const w = f.where(v.go, v.w.sub(v.alpha.mul(v.uhat)), v.w);
    return {
      w,
      d: f.where(v.go, v.u.add(v.theta.mul(v.theta).div(v.alpha).mul(v.eta).mul(v.d)), v.d),
      ww: f.sum(w.mul(w)),
      rw: f.sum(v.rstar.mul(w)),
    };
  },
);

// θ = ‖w‖/τ, c = 1/√(1+θ²), τ ← τθc, η = c²α; converged when τ√(k+1) < tol (SciPy's bound,
// tested right after the update). `sq` is √(k+1) for the iteration k (0-based).
const tauStep = defineFused(
  "tfqmr.tau",
  {
    go: "bool",
    ww: "float",
    tau: "float",
    theta: "float",
    eta: "float",
    alpha: "float",
    sq: "float",
    tol: "float",
    res: "float",
    iters: "int",
    info: "int",
  },
  (v, f) => {
    const theta = v.ww.sqrt().div(v.tau);
    const c = f.const(1).div(f.const(1).add(theta.mul(theta))).sqrt();
    const tau = v.tau.mul(theta.mul(c));
    const eta = c.mul(c).mul(v.alpha);
    const bound = tau.mul(v.sq);
    const bad = v.go.and(theta.isfinite().not().or(eta.isfinite().not()).or(tau.isfinite().not()));
    const go = v.go.and(bad.not());
    return {
      go,
      theta: f.where(go, theta, v.theta),
      tau: f.where(go, tau, v.tau),
      eta: f.where(go, eta, v.eta),
      res: f.where(go, bound, v.res),
      iters: v.iters.add(f.where(v.go, f.const(1, "int"), f.const(0, "int"))),
      info: f.where(bad, f.const(INFO_NONFINITE, "int"), v.info),
      active: go.and(bound.lt(v.tol).not()),
    };
  },
);

const xStep = defineFused(
  "tfqmr.x",
  { x: "float", z: "float", eta: "float", go: "bool" },
  (v, f) => ({ x: f.where(v.go, v.x.add(v.eta.mul(v.z)), v.x) }),
);

// Odd step: β = ρ/ρ_last, u ← w + β u, v ← β û + β² v (then v += A M u).
const uvStep = defineFused(
  "tfqmr.uv",
  { w: "float", u: "float", v: "float", uhat: "float", rho: "float", rhoLast: "float" },
  (v) => {
    const beta = v.rho.div(v.rhoLast);
    return {
      u: v.w.add(beta.mul(v.u)),
      v: beta.mul(v.uhat).add(beta.mul(beta).mul(v.v)),
    };
  },
);

const vStep = defineFused(
  "tfqmr.v",
  { v: "float", uhat: "float", rstar: "float" },
  (v, f) => {
    const nv = v.v.add(v.uhat);
    return { v: nv, rv: f.sum(v.rstar.mul(nv)) };
  },
);

/**
 * Solves `A x = b` with the transpose-free quasi-minimal residual method (SciPy's
 * `scipy.sparse.linalg.tfqmr` semantics), for a whole batch of systems at once.
 *
 * As SciPy: an iteration is a half step (one product with `A` and one with `M`); each system
 * converges when its quasi-residual bound `τ·√(k+1)` drops below `max(atol, rtol·‖r0_k‖)`
 * (note: relative to the *initial residual*, not to `‖b‖`), tested right after the update; a
 * system whose `r0 = 0` returns `x0` at once. Systems with `b_k = 0` return `x_k = 0`. Default
 * `maxiter` is `min(10000, 10·n)`. `x0: "Mb"` starts from `M b`.
 *
 * Preconditioning differs from SciPy 1.17 on purpose: `M` is applied on the right (the method
 * runs on `A·M` and `x = x0 + M y`), so the bound holds for the true residual `b − A x`. SciPy
 * iterates with `M·A` but updates `x` with `M·d`, which is consistent only when `M` commutes
 * with `A`; otherwise it returns wrong solutions with info 0 (e.g. a Jacobi-preconditioned
 * nonsymmetric tridiagonal system: `‖b − A x‖ = 0.16‖b‖`). Without `M` both are identical.
 *
 * `info` per system: 0 converged; `maxiter` not converged; {@linkcode INFO_TFQMR_BREAKDOWN}
 * (−1) when `r*ᴴv = 0`; {@linkcode INFO_NONFINITE} (−12) when a NaN/Inf appeared (the system
 * stops there; if the preconditioner produced it, x may hold it). `history` records `‖r0‖`,
 * then the bound `τ·√k` after iteration `k`.
 *
 * @example
 * ```ts
 * import { tfqmr } from "./tfqmr.ts";
 * import { poisson1d } from "../sparse/gallery.ts";
 * import { cpu as xp } from "../backends/cpu/mod.ts";
 * const r = await tfqmr(poisson1d(40), xp.ones([40]), { rtol: 1e-8 });
 * console.log(r.info[0], r.iterations[0], r.residualNorm[0]);
 * ```
 */
export function tfqmr<T extends AnyOperatorInput>(
  A: T,
  b: VectorInput<ArrayOfOperator<T>>,
  options?: TfqmrOptions<ArrayOfOperator<T>>,
): Promise<SolveResult<ArrayOfOperator<T>>> {
  return driveAsync(tfqmrSteps(A, b, options ?? {})) as Promise<
    SolveResult<ArrayOfOperator<T>>
  >;
}

/**
 * {@linkcode tfqmr}, synchronously: the same arguments, options, semantics and result, returned
 * directly instead of in a promise (for CPU users, and for `tf.customGrad`, whose forward and
 * backward functions must be synchronous). Host readbacks use `xp.toHostSync`, so the convergence
 * check runs after every iteration.
 *
 * A namespace without `toHostSync` (WebGPU, which must wait for the device) is a `TypeError`
 * pointing to {@linkcode tfqmr}; so is a `callback` that returns a promise.
 *
 * @example
 * ```ts
 * import { tfqmrSync } from "./tfqmr.ts";
 * import { poisson1d } from "../sparse/gallery.ts";
 * import { cpu as xp } from "../backends/cpu/mod.ts";
 * const r = tfqmrSync(poisson1d(40), xp.ones([40]), { rtol: 1e-8 });
 * console.log(r.info[0], r.iterations[0], r.residualNorm[0]);
 * ```
 */
export function tfqmrSync<T extends AnyOperatorInput>(
  A: T,
  b: VectorInput<ArrayOfOperator<T>>,
  options?: TfqmrOptions<ArrayOfOperator<T>>,
): SolveResult<ArrayOfOperator<T>> {
  return solveSync(
    "tfqmr",
    { A, b, x0: options?.x0, M: options?.M },
    () => tfqmrSteps(A, b, options ?? {}),
  ) as SolveResult<ArrayOfOperator<T>>;
}

function* tfqmrSteps<A extends ArrayObject>(
  A: unknown,
  b: unknown,
  options: TfqmrOptions<A>,
): Steps<SolveResult<A>, A> {
  const start = yield* startShort<A>(
    {
      label: "tfqmr",
      defaultMaxiter: (n) => Math.min(10000, 10 * n),
      tolFrom: "r0",
      checkAtStart: false,
    },
    A,
    b,
    options,
    options.M,
  );
  if (start.done) return start.done;
  const run = start.run;
  const { xp, maxiter, dtype } = run;
  const M = run.M !== null; // compaction may restrict run.M, never add or remove it
  // The right-preconditioned operator A·M (x = x0 + M y, the bound then applies to b − A x).
  // SciPy 1.17 applies M·A here but still updates x with M·d, which is only consistent when M
  // and A commute: with other preconditioners it returns wrong solutions with info 0.
  const apply = (vec: A, out?: A): A => {
    if (!run.M) return run.op.matvec(vec, out);
    const mv = run.M.matvec(vec);
    const r = run.op.matvec(mv, out);
    xp.dispose(mv);
    return r;
  };

  let u = run.r; // u = w = r* = r0
  let w = xp.astype(u, dtype, { copy: true });
  let rstar = xp.astype(u, dtype, { copy: true });
  let v = apply(u);
  let uhat = xp.astype(v, dtype, { copy: true });
  let d = xp.zeros(run.vshape, { dtype });
  let rho = run.rr0; // r*ᴴr0 = ‖r0‖²
  let rhoLast = xp.astype(rho, dtype, { copy: true });
  let tau = xp.astype(run.res, dtype, { copy: true }); // ‖r0‖
  let theta = xp.zeros(run.sshape, { dtype });
  let eta = xp.zeros(run.sshape, { dtype });
  let alpha = xp.ones(run.sshape, { dtype });
  let rv = run.dot(rstar, v);
  let uNext: A | undefined, z: A | undefined;

  let it = 0;
  let stop = yield* run.begin();
  while (!stop && it < maxiter) {
    const even = it % 2 === 0;
    it++;
    let go: A;
    if (even) {
      const a = run.fused(alphaStep, { active: run.active, rho, rv, alpha, info: run.info });
      xp.dispose(alpha);
      alpha = a.alpha;
      go = a.go;
      run.setState({ info: a.info });
    } else {
      go = xp.astype(run.active, "bool", { copy: true });
    }
    const goC = run.col(go);
    const coef = { alpha: run.col(alpha), theta: run.col(theta), eta: run.col(eta), go: goC };
    let ww: A, rw: A | undefined;
    if (even) {
      const s = run.fused(
        wStepEven,
        { u, v, w, uhat, d, ...coef },
        { uNext: uNext ?? xp.empty(run.vshape, { dtype }), w, d },
      );
      ({ uNext, w, d, ww } = s);
    } else {
      const s = run.fused(wStepOdd, { u, w, rstar, uhat, d, ...coef }, { w, d });
      ({ w, d, ww, rw } = s);
    }
    const ts = run.fused(tauStep, {
      go,
      ww,
      tau,
      theta,
      eta,
      alpha,
      sq: Math.sqrt(it),
      tol: run.tol,
      res: run.res,
      iters: run.iters,
      info: run.info,
    });
    xp.dispose(go, ww, tau, theta, eta);
    ({ tau, theta, eta } = ts);
    run.setState(ts);
    z = M ? run.M!.matvec(d, z) : d;
    ({ x: run.x } = run.fused(
      xStep,
      { x: run.x, z, eta: run.col(eta), go: run.col(ts.go) },
      { x: run.x },
    ));
    xp.dispose(ts.go);
    if (!M) z = undefined;
    if (!even) {
      // ρ = r*ᴴw, u ← w + β u, v ← β û + β² v, û ← M A u, v += û (and r*ᴴv for the next α)
      xp.dispose(rho);
      rho = rw!;
      ({ u, v } = run.fused(
        uvStep,
        { w, u, v, uhat, rho: run.col(rho), rhoLast: run.col(rhoLast) },
        {
          u,
          v,
        },
      ));
      uhat = apply(u, uhat);
      xp.dispose(rv);
      ({ v, rv } = run.fused(vStep, { v, uhat, rstar }, { v }));
    } else {
      uhat = apply(uNext!, uhat);
      const t = u;
      u = uNext!;
      uNext = t;
      xp.dispose(rhoLast);
      rhoLast = xp.astype(rho, dtype, { copy: true });
    }
    stop = yield* run.endIteration(it, {
      save: () => ({ u, w, rstar, v, uhat, d, rho, rhoLast, tau, theta, eta, alpha, rv, uNext, z }),
      load: (
        s,
      ) => ({ u, w, rstar, v, uhat, d, rho, rhoLast, tau, theta, eta, alpha, rv, uNext, z } = s),
    });
  }
  return yield* run.finish(it, true, [
    u,
    w,
    rstar,
    v,
    uhat,
    d,
    rho,
    rhoLast,
    tau,
    theta,
    eta,
    alpha,
    rv,
    uNext,
    z,
  ]);
}
