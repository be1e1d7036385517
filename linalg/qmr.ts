/**
 * Quasi-minimal residual (QMR) for general square systems, batched, with SciPy's left and
 * right preconditioners `M1`, `M2`.
 *
 * @module
 */
import type { ArrayObject } from "../array_api/types.ts";
import { defineFused } from "../array_api/fuse.ts";
import { broadcastShapes, fmtShape } from "../array_api/shapes.ts";
import { epsOf } from "./_batch.ts";
import { asOperator } from "./_prepare.ts";
import { type ShortConfig, type ShortRun, startShort } from "./_short_common.ts";
import { driveAsync, solveSync, type Steps } from "./_drive.ts";
import {
  type AnyOperatorInput,
  type ArrayOfOperator,
  INFO_BREAKDOWN_OMEGA,
  INFO_BREAKDOWN_RHO,
  INFO_NONFINITE,
  type KrylovOptions,
  type OperatorInput,
  type OperatorLike,
  type SolveResult,
  type VectorInput,
} from "./types.ts";

/**
 * `info` code of {@linkcode qmr}: γ breakdown, `|γ| < eps` (SciPy's −12; the same value as
 * {@linkcode INFO_NONFINITE}, which qmr also uses for NaN/Inf).
 *
 * @example
 * ```ts
 * import { INFO_QMR_GAMMA } from "./qmr.ts";
 * console.log(INFO_QMR_GAMMA); // -12
 * ```
 */
export const INFO_QMR_GAMMA: number = -12;

/**
 * `info` code of {@linkcode qmr}: δ breakdown, `|zᴴy| < eps` (SciPy's −13).
 *
 * @example
 * ```ts
 * import { INFO_QMR_DELTA } from "./qmr.ts";
 * console.log(INFO_QMR_DELTA); // -13
 * ```
 */
export const INFO_QMR_DELTA: number = -13;

/**
 * `info` code of {@linkcode qmr}: ε breakdown, `|qᴴ A p| < eps` (SciPy's −14).
 *
 * @example
 * ```ts
 * import { INFO_QMR_EPSILON } from "./qmr.ts";
 * console.log(INFO_QMR_EPSILON); // -14
 * ```
 */
export const INFO_QMR_EPSILON: number = -14;

/**
 * `info` code of {@linkcode qmr}: ξ breakdown, `‖M2ᴴ w̃‖ < eps` (SciPy's −15).
 *
 * @example
 * ```ts
 * import { INFO_QMR_XI } from "./qmr.ts";
 * console.log(INFO_QMR_XI); // -15
 * ```
 */
export const INFO_QMR_XI: number = -15;

/**
 * Options of {@linkcode qmr}: SciPy's `qmr` options in camelCase (left and right
 * preconditioners `M1`, `M2` instead of `M`), plus batching extras. A missing `M1` or `M2` is
 * the identity (SciPy needs both or neither). Both need an adjoint (`rmatvec`).
 *
 * @example
 * ```ts
 * import type { QmrOptions } from "./qmr.ts";
 * const o: QmrOptions = { rtol: 1e-8, maxiter: 200 };
 * ```
 */
export interface QmrOptions<A extends ArrayObject = ArrayObject>
  extends Omit<KrylovOptions<A>, "M"> {
  /** Compact the batch when at most a quarter of its systems still iterate (default true; needs
   * an operator shared by all systems or one that can select batch members, preconditioners
   * without batch dimensions, and no `callback`/`history`). */
  compact?: boolean;
  /** Left preconditioner (an operator input with an adjoint); identity when absent. */
  M1?: OperatorInput<A> | null;
  /** Right preconditioner (an operator input with an adjoint); identity when absent. */
  M2?: OperatorInput<A> | null;
}

// ρ = ‖y‖, ξ = ‖z‖, δ = zᴴy/(ρξ) from the sums yy, zz, zy.
const norms = defineFused(
  "qmr.norms",
  { yy: "float", zz: "float", zy: "float" },
  (v, f) => {
    const rho = v.yy.sqrt(), xi = v.zz.sqrt();
    return { rho, xi, delta: v.zy.mul(f.const(1).div(rho)).mul(f.const(1).div(xi)) };
  },
);

// Top of an iteration (after the convergence test): ρ (−10), ξ (−15), δ (−13) breakdowns,
// non-finite values (−12); coefficients of the p, q updates.
const top = defineFused(
  "qmr.top",
  {
    active: "bool",
    rho: "float",
    xi: "float",
    delta: "float",
    epsilon: "float",
    info: "int",
    tiny: "float",
  },
  (v, f) => {
    const brkRho = v.active.and(v.rho.lt(v.tiny));
    const brkXi = v.active.and(brkRho.not()).and(v.xi.lt(v.tiny));
    const ok = v.active.and(brkRho.not()).and(brkXi.not());
    const brkDelta = ok.and(v.delta.abs().lt(v.tiny));
    const finite = v.rho.isfinite().and(v.xi.isfinite()).and(v.delta.isfinite());
    const bad = ok.and(brkDelta.not()).and(finite.not());
    const go = ok.and(brkDelta.not()).and(bad.not());
    const code = (c: number) => f.const(c, "int");
    return {
      go,
      irho: f.where(go, f.const(1).div(v.rho), 0),
      ixi: f.where(go, f.const(1).div(v.xi), 0),
      cp: f.where(go, v.xi.mul(v.delta).div(v.epsilon), 0),
      cq: f.where(go, v.rho.mul(v.delta.div(v.epsilon)), 0),
      info: f.where(
        brkRho,
        code(INFO_BREAKDOWN_RHO),
        f.where(
          brkXi,
          code(INFO_QMR_XI),
          f.where(brkDelta, code(INFO_QMR_DELTA), f.where(bad, code(INFO_NONFINITE), v.info)),
        ),
      ),
    };
  },
);

// p ← M2(y/ρ) − (ξδ/ε) p, q ← M1ᴴ(z/ξ) − (ρδ/ε) q (p = q = 0 before the first iteration).
const pqStep = defineFused(
  "qmr.pq",
  {
    yt: "float",
    zt: "float",
    p: "float",
    q: "float",
    irho: "float",
    ixi: "float",
    cp: "float",
    cq: "float",
    go: "bool",
  },
  (v, f) => ({
    p: f.where(v.go, v.yt.mul(v.irho).sub(v.cp.mul(v.p)), v.p),
    q: f.where(v.go, v.zt.mul(v.ixi).sub(v.cq.mul(v.q)), v.q),
  }),
);

// ε = qᴴ A p (−14 when tiny), β = ε/δ (−11 when tiny).
const mid = defineFused(
  "qmr.mid",
  { go: "bool", eps: "float", delta: "float", epsilon: "float", info: "int", tiny: "float" },
  (v, f) => {
    const brkEps = v.go.and(v.eps.abs().lt(v.tiny));
    const beta = v.eps.div(v.delta);
    const brkBeta = v.go.and(brkEps.not()).and(beta.abs().lt(v.tiny));
    const bad = v.go.and(brkEps.not()).and(brkBeta.not()).and(
      v.eps.isfinite().and(beta.isfinite()).not(),
    );
    const go = v.go.and(brkEps.not()).and(brkBeta.not()).and(bad.not());
    const code = (c: number) => f.const(c, "int");
    return {
      go,
      beta: f.where(go, beta, 0),
      epsilon: f.where(go, v.eps, v.epsilon),
      info: f.where(
        brkEps,
        code(INFO_QMR_EPSILON),
        f.where(brkBeta, code(INFO_BREAKDOWN_OMEGA), f.where(bad, code(INFO_NONFINITE), v.info)),
      ),
    };
  },
);

// ṽ ← A p − β ṽ/ρ, w̃ ← Aᴴq − β w̃/ξ; with identity preconditioners y = ṽ, z = w̃ and the
// sums for ρ, ξ, δ come in the same pass.
const vwStep = defineFused(
  "qmr.vw",
  {
    pt: "float",
    aq: "float",
    vt: "float",
    wt: "float",
    beta: "float",
    irho: "float",
    ixi: "float",
    go: "bool",
  },
  (v, f) => {
    const vt = f.where(v.go, v.pt.sub(v.beta.mul(v.vt.mul(v.irho))), v.vt);
    const wt = f.where(v.go, v.aq.sub(v.beta.mul(v.wt.mul(v.ixi))), v.wt);
    return { vt, wt, yy: f.sum(vt.mul(vt)), zz: f.sum(wt.mul(wt)), zy: f.sum(wt.mul(vt)) };
  },
);

const yzSums = defineFused("qmr.yz", { y: "float", z: "float" }, (v, f) => ({
  yy: f.sum(v.y.mul(v.y)),
  zz: f.sum(v.z.mul(v.z)),
  zy: f.sum(v.z.mul(v.y)),
}));

// New ρ, ξ, δ; θ = ρ/(γ_prev|β|), γ = 1/√(1+θ²) (−12 when tiny), η ← −η (ρ_prev/β)(γ/γ_prev)²,
// and the damping (θ_prev γ)² of the d, s recurrences.
const end = defineFused(
  "qmr.end",
  {
    go: "bool",
    yy: "float",
    zz: "float",
    zy: "float",
    rho: "float",
    xi: "float",
    delta: "float",
    beta: "float",
    gamma: "float",
    theta: "float",
    eta: "float",
    info: "int",
    tiny: "float",
  },
  (v, f) => {
    const rho = v.yy.sqrt(), xi = v.zz.sqrt();
    const delta = v.zy.mul(f.const(1).div(rho)).mul(f.const(1).div(xi));
    const theta = rho.div(v.gamma.mul(v.beta.abs()));
    const gamma = f.const(1).div(f.const(1).add(theta.mul(theta)).sqrt());
    const brkGamma = v.go.and(gamma.abs().lt(v.tiny));
    const ratio = gamma.div(v.gamma);
    const eta = v.eta.mul(v.rho.div(v.beta).neg().mul(ratio.mul(ratio)));
    const tg = v.theta.mul(gamma);
    const cd = tg.mul(tg);
    const bad = v.go.and(brkGamma.not()).and(
      eta.isfinite().and(cd.isfinite()).and(theta.isfinite()).not(),
    );
    const go = v.go.and(brkGamma.not()).and(bad.not());
    return {
      go,
      rho: f.where(go, rho, v.rho),
      xi: f.where(go, xi, v.xi),
      delta: f.where(go, delta, v.delta),
      theta: f.where(go, theta, v.theta),
      gamma: f.where(go, gamma, v.gamma),
      eta: f.where(go, eta, v.eta),
      cd: f.where(go, cd, 0),
      info: f.where(
        brkGamma,
        f.const(INFO_QMR_GAMMA, "int"),
        f.where(bad, f.const(INFO_NONFINITE, "int"), v.info),
      ),
    };
  },
);

// d ← (θ_prev γ)² d + η p, s ← (θ_prev γ)² s + η A p, x ← x + d, r ← r − s; ‖r‖².
const dsStep = defineFused(
  "qmr.ds",
  {
    d: "float",
    s: "float",
    p: "float",
    pt: "float",
    x: "float",
    r: "float",
    cd: "float",
    eta: "float",
    go: "bool",
  },
  (v, f) => {
    const d = v.d.mul(v.cd).add(v.eta.mul(v.p));
    const s = v.s.mul(v.cd).add(v.eta.mul(v.pt));
    const r = f.where(v.go, v.r.sub(s), v.r);
    return {
      d: f.where(v.go, d, v.d),
      s: f.where(v.go, s, v.s),
      x: f.where(v.go, v.x.add(d), v.x),
      r,
      rr: f.sum(r.mul(r)),
    };
  },
);

/** Wraps and validates a preconditioner of qmr (square n×n, batch within the system's). */
function preconditioner<A extends ArrayObject>(
  name: string,
  input: unknown,
  run: { xp: ShortRun<A>["xp"]; n: number; batch: readonly number[]; dtype: string },
): OperatorLike<A> | null {
  if (input === undefined || input === null) return null;
  const M = asOperator("qmr", name, run.xp, input);
  const s = M.shape;
  if (s.length < 2 || s[s.length - 1] !== run.n || s[s.length - 2] !== run.n) {
    throw new RangeError(
      `qmr: preconditioner ${name} with shape ${fmtShape(s)} does not match the system ` +
        `(expected (..., ${run.n}, ${run.n}))`,
    );
  }
  let joint: number[];
  try {
    joint = broadcastShapes([s.slice(0, -2), run.batch]);
  } catch {
    joint = [];
  }
  if (joint.length !== run.batch.length || joint.some((d, i) => d !== run.batch[i])) {
    throw new RangeError(
      `qmr: preconditioner ${name} with shape ${fmtShape(s)} has a batch shape that does not ` +
        `broadcast to the systems' batch ${fmtShape(run.batch)}`,
    );
  }
  if (M.dtype !== run.dtype) {
    throw new TypeError(`qmr: ${name} has dtype ${M.dtype} but A has dtype ${run.dtype}`);
  }
  if (typeof M.rmatvec !== "function" || M.hasAdjoint === false) {
    throw new TypeError(`qmr needs the adjoint of ${name}: give it an rmatvec`);
  }
  return M;
}

/**
 * Solves `A x = b` with the quasi-minimal residual method (SciPy's `scipy.sparse.linalg.qmr`
 * semantics, left/right preconditioners `M1`, `M2`), for a whole batch of systems at once.
 * Needs the adjoint of `A` (a sparse or dense array, or an operator with `rmatvec`) and of
 * the preconditioners.
 *
 * Every system has its own threshold `max(atol, rtol·‖b_k‖)`, tested as `‖r‖ < tol` at the
 * top of each iteration on the recurrence residual; iteration count, `info` and residual per
 * system; converged or broken-down systems are frozen while the others continue. Systems with
 * `b_k = 0` return `x_k = 0`; `x0: "Mb"` starts from `b` (SciPy's qmr has no `M`). Default
 * `maxiter` is `10·n`.
 *
 * `info` per system: 0 converged; `maxiter` not converged; breakdowns as SciPy (tolerance
 * `eps`): {@linkcode INFO_BREAKDOWN_RHO} (−10, `ρ`), {@linkcode INFO_BREAKDOWN_OMEGA} (−11,
 * `β`), {@linkcode INFO_QMR_GAMMA} (−12, `γ`), {@linkcode INFO_QMR_DELTA} (−13, `δ`),
 * {@linkcode INFO_QMR_EPSILON} (−14, `ε`), {@linkcode INFO_QMR_XI} (−15, `ξ`); a NaN/Inf
 * also gives −12 ({@linkcode INFO_NONFINITE}; x keeps its last finite value).
 *
 * @example
 * ```ts
 * import { qmr } from "./qmr.ts";
 * import { cpu as xp } from "../backends/cpu/mod.ts";
 * const A = xp.asarray([[4, 2, 0, 1], [3, 0, 0, 2], [0, 1, 1, 1], [0, 2, 1, 0]]);
 * const r = await qmr(A, xp.asarray([-1, -0.5, -1, 2]), { rtol: 1e-10 });
 * console.log(r.info[0], r.iterations[0], r.residualNorm[0]);
 * ```
 */
export function qmr<T extends AnyOperatorInput>(
  A: T,
  b: VectorInput<ArrayOfOperator<T>>,
  options?: QmrOptions<ArrayOfOperator<T>>,
): Promise<SolveResult<ArrayOfOperator<T>>> {
  return driveAsync(qmrSteps(A, b, options ?? {})) as Promise<
    SolveResult<ArrayOfOperator<T>>
  >;
}

/**
 * {@linkcode qmr}, synchronously: the same arguments, options, semantics and result, returned
 * directly instead of in a promise (for CPU users, and for `tf.customGrad`, whose forward and
 * backward functions must be synchronous). Host readbacks use `xp.toHostSync`, so the convergence
 * check runs after every iteration.
 *
 * A namespace without `toHostSync` (WebGPU, which must wait for the device) is a `TypeError`
 * pointing to {@linkcode qmr}; so is a `callback` that returns a promise.
 *
 * @example
 * ```ts
 * import { qmrSync } from "./qmr.ts";
 * import { cpu as xp } from "../backends/cpu/mod.ts";
 * const A = xp.asarray([[4, 2, 0, 1], [3, 0, 0, 2], [0, 1, 1, 1], [0, 2, 1, 0]]);
 * const r = qmrSync(A, xp.asarray([-1, -0.5, -1, 2]), { rtol: 1e-10 });
 * console.log(r.info[0], r.iterations[0], r.residualNorm[0]);
 * ```
 */
export function qmrSync<T extends AnyOperatorInput>(
  A: T,
  b: VectorInput<ArrayOfOperator<T>>,
  options?: QmrOptions<ArrayOfOperator<T>>,
): SolveResult<ArrayOfOperator<T>> {
  return solveSync(
    "qmr",
    { A, b, x0: options?.x0 },
    () => qmrSteps(A, b, options ?? {}),
  ) as SolveResult<ArrayOfOperator<T>>;
}

function* qmrSteps<A extends ArrayObject>(
  A: unknown,
  b: unknown,
  options: QmrOptions<A>,
): Steps<SolveResult<A>, A> {
  if (options && (options as { M?: unknown }).M != null) {
    throw new TypeError("qmr takes left and right preconditioners M1 and M2, not M");
  }
  const cfg: ShortConfig = {
    label: "qmr",
    adjoint: true,
    defaultMaxiter: (n) => 10 * n,
    checkAtStart: true,
  };
  const start = yield* startShort<A>(cfg, A, b, options, undefined, (sys) => [
    preconditioner("M1", options.M1, sys),
    preconditioner("M2", options.M2, sys),
  ]);
  if (start.done) return start.done;
  const run = start.run;
  // M1, M2 of the current batch (batch compaction restricts them): run.extra[0], run.extra[1]
  const L = run.extra[0] !== null, R = run.extra[1] !== null;
  const { xp, maxiter, dtype } = run;
  const tiny = epsOf(dtype); // SciPy's rhotol = betatol = … = eps
  const vecShape = run.vshape;
  const ident = !L && !R;

  let r = run.r;
  let vt = xp.astype(r, dtype, { copy: true });
  let wt = xp.astype(r, dtype, { copy: true });
  let y: A | undefined, z: A | undefined;
  let sums: { yy: A; zz: A; zy: A };
  if (ident) {
    sums = {
      yy: run.rr0,
      zz: xp.astype(run.rr0, dtype, { copy: true }),
      zy: xp.astype(run.rr0, dtype, { copy: true }),
    };
  } else {
    xp.dispose(run.rr0);
    y = L ? run.extra[0]!.matvec(vt) : undefined;
    z = R ? run.extra[1]!.rmatvec!(wt) : undefined;
    sums = run.fused(yzSums, { y: y ?? vt, z: z ?? wt });
  }
  let { rho, xi, delta } = run.fused(norms, sums);
  xp.dispose(sums.yy, sums.zz, sums.zy);
  let gamma = xp.ones(run.sshape, { dtype });
  let eta = xp.full(run.sshape, -1, { dtype });
  let theta = xp.zeros(run.sshape, { dtype });
  let epsilon = xp.ones(run.sshape, { dtype });
  let p = xp.zeros(vecShape, { dtype });
  let q = xp.zeros(vecShape, { dtype });
  let d = xp.zeros(vecShape, { dtype });
  let s = xp.zeros(vecShape, { dtype });
  let yt: A | undefined, zt: A | undefined, pt: A | undefined, aq: A | undefined;

  let it = 0;
  let stop = yield* run.begin();
  while (!stop && it < maxiter) {
    it++;
    const t = run.fused(top, {
      active: run.active,
      rho,
      xi,
      delta,
      epsilon,
      info: run.info,
      tiny,
    });
    run.setState({ info: t.info });
    if (R) yt = run.extra[1]!.matvec(y ?? vt, yt);
    if (L) zt = run.extra[0]!.rmatvec!(z ?? wt, zt);
    ({ p, q } = run.fused(
      pqStep,
      {
        yt: yt ?? y ?? vt,
        zt: zt ?? z ?? wt,
        p,
        q,
        irho: run.col(t.irho),
        ixi: run.col(t.ixi),
        cp: run.col(t.cp),
        cq: run.col(t.cq),
        go: run.col(t.go),
      },
      { p, q },
    ));
    pt = run.op.matvec(p, pt);
    aq = run.op.rmatvec!(q, aq);
    const e = run.dot(q, pt);
    const m = run.fused(mid, { go: t.go, eps: e, delta, epsilon, info: run.info, tiny });
    xp.dispose(e, t.go, t.cp, t.cq, epsilon);
    epsilon = m.epsilon;
    run.setState({ info: m.info });
    const vw = run.fused(
      vwStep,
      {
        pt,
        aq,
        vt,
        wt,
        beta: run.col(m.beta),
        irho: run.col(t.irho),
        ixi: run.col(t.ixi),
        go: run.col(m.go),
      },
      { vt, wt },
    );
    vt = vw.vt;
    wt = vw.wt;
    xp.dispose(t.irho, t.ixi);
    if (ident) {
      sums = vw;
    } else {
      xp.dispose(vw.yy, vw.zz, vw.zy);
      if (L) y = run.extra[0]!.matvec(vt, y);
      if (R) z = run.extra[1]!.rmatvec!(wt, z);
      sums = run.fused(yzSums, { y: y ?? vt, z: z ?? wt });
    }
    const en = run.fused(end, {
      go: m.go,
      ...{ yy: sums.yy, zz: sums.zz, zy: sums.zy },
      rho,
      xi,
      delta,
      beta: m.beta,
      gamma,
      theta,
      eta,
      info: run.info,
      tiny,
    });
    xp.dispose(sums.yy, sums.zz, sums.zy, m.go, m.beta, rho, xi, delta, gamma, theta, eta);
    ({ rho, xi, delta, gamma, theta, eta } = en);
    run.setState({ info: en.info });
    const ds = run.fused(
      dsStep,
      {
        d,
        s,
        p,
        pt,
        x: run.x,
        r,
        cd: run.col(en.cd),
        eta: run.col(eta),
        go: run.col(en.go),
      },
      { d, s, x: run.x, r },
    );
    ({ d, s, r } = ds);
    run.x = ds.x;
    run.endStep(en.go, ds.rr);
    xp.dispose(en.go, en.cd, ds.rr);
    stop = yield* run.endIteration(it, {
      save: () => ({
        ...{ r, vt, wt, y, z, yt, zt, pt, aq, p, q, d, s },
        ...{ rho, xi, delta, gamma, theta, eta, epsilon },
      }),
      load: (st) => {
        ({ r, vt, wt, y, z, yt, zt, pt, aq, p, q, d, s } = st);
        ({ rho, xi, delta, gamma, theta, eta, epsilon } = st);
      },
    });
  }
  return yield* run.finish(it, false, [
    r,
    vt,
    wt,
    y,
    z,
    yt,
    zt,
    pt,
    aq,
    p,
    q,
    d,
    s,
    rho,
    xi,
    delta,
    gamma,
    eta,
    theta,
    epsilon,
  ]);
}
