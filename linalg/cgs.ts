/**
 * Conjugate gradient squared (CGS) for general square systems, batched.
 *
 * @module
 */
import type { ArrayObject } from "../array_api/types.ts";
import { defineFused } from "../array_api/fuse.ts";
import { epsOf } from "./_batch.ts";
import { startShort } from "./_short_common.ts";
import { driveAsync, solveSync, type Steps } from "./_drive.ts";
import {
  type AnyOperatorInput,
  type ArrayOfOperator,
  INFO_BREAKDOWN_OMEGA,
  INFO_BREAKDOWN_RHO,
  INFO_NONFINITE,
  type KrylovOptions,
  type SolveResult,
  type VectorInput,
} from "./types.ts";

/**
 * Options of {@linkcode cgs} (SciPy's `cgs` options in camelCase, plus batching extras).
 *
 * @example
 * ```ts
 * import type { CgsOptions } from "./cgs.ts";
 * const o: CgsOptions = { rtol: 1e-8, maxiter: 200 };
 * ```
 */
export interface CgsOptions<A extends ArrayObject = ArrayObject> extends KrylovOptions<A> {
  /** Compact the batch when at most a quarter of its systems still iterate (default true; needs
   * an operator shared by all systems or one that can select batch members, and no
   * `callback`/`history`). */
  compact?: boolean;
}

// Top of an iteration (after the convergence test): ρ breakdown (−10) or non-finite ρ (−12);
// β = ρ/ρ_prev for the systems that go on.
const top = defineFused(
  "cgs.top",
  { active: "bool", rho: "float", rhoPrev: "float", info: "int", rhotol: "float" },
  (v, f) => {
    const finite = v.rho.isfinite();
    const brk = v.active.and(finite).and(v.rho.abs().lt(v.rhotol));
    const bad = v.active.and(finite.not());
    const go = v.active.and(brk.not()).and(bad.not());
    const code = (c: number) => f.const(c, "int");
    return {
      go,
      info: f.where(brk, code(INFO_BREAKDOWN_RHO), f.where(bad, code(INFO_NONFINITE), v.info)),
      beta: f.where(go, v.rho.div(v.rhoPrev), 0),
    };
  },
);

// u ← r + β q, p ← u + β (q + β p) (p = q = 0 before the first iteration).
const direction = defineFused(
  "cgs.direction",
  { r: "float", q: "float", p: "float", u: "float", beta: "float", go: "bool" },
  (v, f) => {
    const u = v.r.add(v.beta.mul(v.q));
    return {
      u: f.where(v.go, u, v.u),
      p: f.where(v.go, u.add(v.q.add(v.beta.mul(v.p)).mul(v.beta)), v.p),
    };
  },
);

// α = ρ / r̃ᴴv̂; r̃ᴴv̂ = 0 is SciPy's −11; a non-finite α is −12.
const mid = defineFused(
  "cgs.mid",
  { go: "bool", rho: "float", rv: "float", rhoPrev: "float", info: "int" },
  (v, f) => {
    const brk = v.go.and(v.rv.eq(0));
    const alpha = v.rho.div(v.rv);
    const bad = v.go.and(brk.not()).and(alpha.isfinite().not());
    const go = v.go.and(brk.not()).and(bad.not());
    return {
      go,
      alpha: f.where(go, alpha, 0),
      info: f.where(
        brk,
        f.const(INFO_BREAKDOWN_OMEGA, "int"),
        f.where(bad, f.const(INFO_NONFINITE, "int"), v.info),
      ),
      rhoPrev: f.where(go, v.rho, v.rhoPrev),
    };
  },
);

// q ← u − α v̂, and u + q (what the preconditioner is applied to).
const qStep = defineFused(
  "cgs.q",
  { u: "float", q: "float", vhat: "float", alpha: "float", go: "bool" },
  (v, f) => {
    const q = v.u.sub(v.alpha.mul(v.vhat));
    return { q: f.where(v.go, q, v.q), uq: v.u.add(q) };
  },
);

const xStep = defineFused(
  "cgs.x",
  { x: "float", uhat: "float", alpha: "float", go: "bool" },
  (v, f) => ({ x: f.where(v.go, v.x.add(v.alpha.mul(v.uhat)), v.x) }),
);

// r ← b − A x (SciPy recomputes the true residual every iteration); ‖r‖² and r̃ᴴr.
const residual = defineFused(
  "cgs.residual",
  { b: "float", ax: "float", r: "float", rt: "float", go: "bool" },
  (v, f) => {
    const r = f.where(v.go, v.b.sub(v.ax), v.r);
    return { r, rr: f.sum(r.mul(r)), rho: f.sum(v.rt.mul(r)) };
  },
);

/**
 * Solves `A x = b` with the conjugate gradient squared method (SciPy's
 * `scipy.sparse.linalg.cgs` semantics), for a whole batch of systems at once.
 *
 * As SciPy, each iteration recomputes the true residual `b − A x` (two products with `A` and
 * two preconditioner applications per iteration) and tests `‖r‖ < max(atol, rtol·‖b_k‖)` at
 * the top of the next one. Every system has its own threshold, iteration count, `info` and
 * residual; converged or broken-down systems are frozen while the others continue. Systems
 * with `b_k = 0` return `x_k = 0`. Default `maxiter` is `10·n`.
 *
 * `info` per system: 0 converged; `maxiter` not converged; {@linkcode INFO_BREAKDOWN_RHO}
 * (−10) when `|r̃ᴴr| < eps²`; {@linkcode INFO_BREAKDOWN_OMEGA} (−11) when `r̃ᴴ A M p = 0`;
 * {@linkcode INFO_NONFINITE} (−12) when a NaN/Inf appeared (the system stops there; if the
 * preconditioner produced it, x may hold it).
 *
 * @example
 * ```ts
 * import { cgs } from "./cgs.ts";
 * import { cpu as xp } from "../backends/cpu/mod.ts";
 * const A = xp.asarray([[4, 2, 0, 1], [3, 0, 0, 2], [0, 1, 1, 1], [0, 2, 1, 0]]);
 * const r = await cgs(A, xp.asarray([-1, -0.5, -1, 2]));
 * console.log(r.info[0], r.iterations[0], r.residualNorm[0]);
 * ```
 */
export function cgs<T extends AnyOperatorInput>(
  A: T,
  b: VectorInput<ArrayOfOperator<T>>,
  options?: CgsOptions<ArrayOfOperator<T>>,
): Promise<SolveResult<ArrayOfOperator<T>>> {
  return driveAsync(cgsSteps(A, b, options ?? {})) as Promise<
    SolveResult<ArrayOfOperator<T>>
  >;
}

/**
 * {@linkcode cgs}, synchronously: the same arguments, options, semantics and result, returned
 * directly instead of in a promise (for CPU users, and for `tf.customGrad`, whose forward and
 * backward functions must be synchronous). Host readbacks use `xp.toHostSync`, so the convergence
 * check runs after every iteration.
 *
 * A namespace without `toHostSync` (WebGPU, which must wait for the device) is a `TypeError`
 * pointing to {@linkcode cgs}; so is a `callback` that returns a promise.
 *
 * @example
 * ```ts
 * import { cgsSync } from "./cgs.ts";
 * import { cpu as xp } from "../backends/cpu/mod.ts";
 * const A = xp.asarray([[4, 2, 0, 1], [3, 0, 0, 2], [0, 1, 1, 1], [0, 2, 1, 0]]);
 * const r = cgsSync(A, xp.asarray([-1, -0.5, -1, 2]));
 * console.log(r.info[0], r.iterations[0], r.residualNorm[0]);
 * ```
 */
export function cgsSync<T extends AnyOperatorInput>(
  A: T,
  b: VectorInput<ArrayOfOperator<T>>,
  options?: CgsOptions<ArrayOfOperator<T>>,
): SolveResult<ArrayOfOperator<T>> {
  return solveSync(
    "cgs",
    { A, b, x0: options?.x0, M: options?.M },
    () => cgsSteps(A, b, options ?? {}),
  ) as SolveResult<ArrayOfOperator<T>>;
}

function* cgsSteps<A extends ArrayObject>(
  A: unknown,
  b: unknown,
  options: CgsOptions<A>,
): Steps<SolveResult<A>, A> {
  const start = yield* startShort<A>(
    { label: "cgs", defaultMaxiter: (n) => 10 * n, checkAtStart: true },
    A,
    b,
    options,
    options.M,
  );
  if (start.done) return start.done;
  const run = start.run;
  const { xp, maxiter, dtype } = run;
  const M = run.M !== null; // compaction may restrict run.M, never add or remove it
  const rhotol = epsOf(dtype) ** 2;
  const vecShape = run.vshape;

  let r = run.r;
  let rt = xp.astype(r, dtype, { copy: true });
  let rho = run.rr0; // r̃ᴴr = ‖r0‖² when r̃ = r
  let rhoPrev = xp.ones(run.sshape, { dtype });
  let p = xp.zeros(vecShape, { dtype });
  let q = xp.zeros(vecShape, { dtype });
  let u = xp.zeros(vecShape, { dtype });
  let phat: A | undefined, vhat: A | undefined, uhat: A | undefined, ax: A | undefined;

  let it = 0;
  let stop = yield* run.begin();
  while (!stop && it < maxiter) {
    it++;
    const t = run.fused(top, { active: run.active, rho, rhoPrev, info: run.info, rhotol });
    run.setState({ info: t.info });
    ({ u, p } = run.fused(
      direction,
      { r, q, p, u, beta: run.col(t.beta), go: run.col(t.go) },
      { u, p },
    ));
    if (M) phat = run.M!.matvec(p, phat);
    vhat = run.op.matvec(phat ?? p, vhat);
    const rv = run.dot(rt, vhat);
    const m = run.fused(mid, { go: t.go, rho, rv, rhoPrev, info: run.info });
    xp.dispose(t.go, t.beta, rv, rhoPrev, rho);
    rhoPrev = m.rhoPrev;
    run.setState({ info: m.info });
    const alphaC = run.col(m.alpha), goC = run.col(m.go);
    const qs = run.fused(qStep, { u, q, vhat, alpha: alphaC, go: goC }, { q });
    q = qs.q;
    if (M) {
      uhat = run.M!.matvec(qs.uq, uhat);
      xp.dispose(qs.uq);
    } else {
      if (uhat) xp.dispose(uhat);
      uhat = qs.uq;
    }
    ({ x: run.x } = run.fused(
      xStep,
      { x: run.x, uhat, alpha: alphaC, go: goC },
      { x: run.x },
    ));
    ax = run.op.matvec(run.x, ax);
    const res = run.fused(residual, { b: run.b, ax, r, rt, go: goC }, { r });
    r = res.r;
    rho = res.rho;
    run.endStep(m.go, res.rr);
    xp.dispose(m.go, m.alpha, res.rr);
    stop = yield* run.endIteration(it, {
      save: () => ({ r, rt, rho, rhoPrev, p, q, u, phat, vhat, uhat, ax }),
      load: (s) => ({ r, rt, rho, rhoPrev, p, q, u, phat, vhat, uhat, ax } = s),
    });
  }
  return yield* run.finish(it, false, [r, rt, rho, rhoPrev, p, q, u, phat, vhat, uhat, ax]);
}
