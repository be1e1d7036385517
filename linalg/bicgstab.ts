/**
 * Biconjugate gradient stabilized (BiCGSTAB) for general square systems, batched.
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
 * Options of {@linkcode bicgstab} (SciPy's `bicgstab` options in camelCase, plus batching
 * extras).
 *
 * @example
 * ```ts
 * import type { BicgstabOptions } from "./bicgstab.ts";
 * const o: BicgstabOptions = { rtol: 1e-8, maxiter: 200 };
 * ```
 */
export interface BicgstabOptions<A extends ArrayObject = ArrayObject> extends KrylovOptions<A> {
  /** Compact the batch when at most a quarter of its systems still iterate (default true; needs
   * an operator shared by all systems or one that can select batch members, and no
   * `callback`/`history`). */
  compact?: boolean;
}

// Top of an iteration (after the convergence test): ρ breakdown (−10), non-finite ρ (−12),
// ω breakdown (−11, from the second iteration on: ω starts at 1); β = (ρ/ρ_prev)(α/ω).
const top = defineFused(
  "bicgstab.top",
  {
    active: "bool",
    rho: "float",
    rhoPrev: "float",
    alpha: "float",
    omega: "float",
    info: "int",
    tiny: "float",
  },
  (v, f) => {
    const finite = v.rho.isfinite();
    const brkRho = v.active.and(finite).and(v.rho.abs().lt(v.tiny));
    const bad = v.active.and(finite.not());
    const brkOmega = v.active.and(brkRho.not()).and(bad.not()).and(v.omega.abs().lt(v.tiny));
    const go = v.active.and(brkRho.not()).and(bad.not()).and(brkOmega.not());
    const code = (c: number) => f.const(c, "int");
    return {
      go,
      beta: f.where(go, v.rho.div(v.rhoPrev).mul(v.alpha.div(v.omega)), 0),
      info: f.where(
        brkRho,
        code(INFO_BREAKDOWN_RHO),
        f.where(bad, code(INFO_NONFINITE), f.where(brkOmega, code(INFO_BREAKDOWN_OMEGA), v.info)),
      ),
    };
  },
);

// p ← r + β (p − ω v) (p = v = 0 before the first iteration).
const direction = defineFused(
  "bicgstab.direction",
  { r: "float", p: "float", v: "float", beta: "float", omega: "float", go: "bool" },
  (v, f) => ({ p: f.where(v.go, v.r.add(v.p.sub(v.omega.mul(v.v)).mul(v.beta)), v.p) }),
);

// α = ρ / r̃ᴴv; r̃ᴴv = 0 is SciPy's −11; a non-finite α is −12.
const mid = defineFused(
  "bicgstab.mid",
  { go: "bool", rho: "float", rv: "float", alpha: "float", info: "int" },
  (v, f) => {
    const brk = v.go.and(v.rv.eq(0));
    const alpha = v.rho.div(v.rv);
    const bad = v.go.and(brk.not()).and(alpha.isfinite().not());
    const go = v.go.and(brk.not()).and(bad.not());
    return {
      go,
      alpha: f.where(go, alpha, v.alpha),
      info: f.where(
        brk,
        f.const(INFO_BREAKDOWN_OMEGA, "int"),
        f.where(bad, f.const(INFO_NONFINITE, "int"), v.info),
      ),
    };
  },
);

// s = r − α v (kept in r), ‖s‖².
const sStep = defineFused(
  "bicgstab.s",
  { r: "float", v: "float", alpha: "float", go: "bool" },
  (v, f) => {
    const s = f.where(v.go, v.r.sub(v.alpha.mul(v.v)), v.r);
    return { s, ss: f.sum(s.mul(s)) };
  },
);

const tSums = defineFused("bicgstab.t", { t: "float", s: "float" }, (v, f) => ({
  tt: f.sum(v.t.mul(v.t)),
  ts: f.sum(v.t.mul(v.s)),
}));

// Half-step convergence (‖s‖ < tol: x ← x + α p̂, done, no callback, as SciPy), else
// ω = tᴴs / tᴴt for the full step (a non-finite ω is −12).
const omegaStep = defineFused(
  "bicgstab.omega",
  {
    go: "bool",
    ss: "float",
    tol: "float",
    tt: "float",
    ts: "float",
    omega: "float",
    info: "int",
  },
  (v, f) => {
    const half = v.go.and(v.ss.sqrt().lt(v.tol));
    const rest = v.go.and(half.not());
    const omega = v.ts.div(v.tt);
    const bad = rest.and(omega.isfinite().not());
    const full = rest.and(bad.not());
    return {
      half,
      full,
      omega: f.where(full, omega, v.omega),
      info: f.where(bad, f.const(INFO_NONFINITE, "int"), v.info),
    };
  },
);

// x ← x + α p̂ (+ ω ŝ on a full step), r ← s − ω t; ‖r‖² and r̃ᴴr (the next ρ) in one pass.
const update = defineFused(
  "bicgstab.update",
  {
    x: "float",
    s: "float",
    rt: "float",
    phat: "float",
    shat: "float",
    t: "float",
    alpha: "float",
    omega: "float",
    half: "bool",
    full: "bool",
  },
  (v, f) => {
    const stepX = v.x.add(v.alpha.mul(v.phat));
    const r = f.where(v.full, v.s.sub(v.omega.mul(v.t)), v.s);
    return {
      x: f.where(v.full, stepX.add(v.omega.mul(v.shat)), f.where(v.half, stepX, v.x)),
      r,
      rr: f.sum(r.mul(r)),
      rho: f.sum(v.rt.mul(r)),
    };
  },
);

// End of an iteration: full steps count (SciPy's callback) and test ‖r‖; half steps have
// converged with ‖s‖ as their residual.
const endState = defineFused(
  "bicgstab.end",
  {
    full: "bool",
    half: "bool",
    rr: "float",
    ss: "float",
    res: "float",
    iters: "int",
    info: "int",
    tol: "float",
  },
  (v, f) => {
    const r = v.rr.sqrt();
    const bad = v.full.and(r.isfinite().not());
    return {
      res: f.where(v.full, r, f.where(v.half, v.ss.sqrt(), v.res)),
      iters: v.iters.add(f.where(v.full, f.const(1, "int"), f.const(0, "int"))),
      info: f.where(bad, f.const(INFO_NONFINITE, "int"), v.info),
      active: v.full.and(bad.not()).and(r.ge(v.tol)),
    };
  },
);

/**
 * Solves `A x = b` with the stabilized biconjugate gradient method (SciPy's
 * `scipy.sparse.linalg.bicgstab` semantics), for a whole batch of systems at once.
 *
 * Every system has its own threshold `max(atol, rtol·‖b_k‖)`, tested as `‖r‖ < tol` at the top
 * of each iteration and as `‖s‖ < tol` after the first half step (a system that converges
 * there returns without that iteration being counted, as SciPy skips its callback).
 * Converged or broken-down systems are frozen while the others continue. Systems with
 * `b_k = 0` return `x_k = 0`. Default `maxiter` is `10·n`.
 *
 * `info` per system: 0 converged; `maxiter` not converged; {@linkcode INFO_BREAKDOWN_RHO}
 * (−10) when `|r̃ᴴr| < eps²`; {@linkcode INFO_BREAKDOWN_OMEGA} (−11) when `|ω| < eps²` or
 * `r̃ᴴ A p̂ = 0`; {@linkcode INFO_NONFINITE} (−12) when a NaN/Inf appeared (x keeps its last
 * finite value).
 *
 * @example
 * ```ts
 * import { bicgstab } from "./bicgstab.ts";
 * import { cpu as xp } from "../backends/cpu/mod.ts";
 * const A = xp.asarray([[4, 2, 0, 1], [3, 0, 0, 2], [0, 1, 1, 1], [0, 2, 1, 0]]);
 * const r = await bicgstab(A, xp.asarray([-1, -0.5, -1, 2]), { atol: 1e-5 });
 * console.log(r.info[0], r.iterations[0], r.residualNorm[0]);
 * ```
 */
export function bicgstab<T extends AnyOperatorInput>(
  A: T,
  b: VectorInput<ArrayOfOperator<T>>,
  options?: BicgstabOptions<ArrayOfOperator<T>>,
): Promise<SolveResult<ArrayOfOperator<T>>> {
  return driveAsync(bicgstabSteps(A, b, options ?? {})) as Promise<
    SolveResult<ArrayOfOperator<T>>
  >;
}

/**
 * {@linkcode bicgstab}, synchronously: the same arguments, options, semantics and result, returned
 * directly instead of in a promise (for CPU users, and for `tf.customGrad`, whose forward and
 * backward functions must be synchronous). Host readbacks use `xp.toHostSync`, so the convergence
 * check runs after every iteration.
 *
 * A namespace without `toHostSync` (WebGPU, which must wait for the device) is a `TypeError`
 * pointing to {@linkcode bicgstab}; so is a `callback` that returns a promise.
 *
 * @example
 * ```ts
 * import { bicgstabSync } from "./bicgstab.ts";
 * import { cpu as xp } from "../backends/cpu/mod.ts";
 * const A = xp.asarray([[4, 2, 0, 1], [3, 0, 0, 2], [0, 1, 1, 1], [0, 2, 1, 0]]);
 * const r = bicgstabSync(A, xp.asarray([-1, -0.5, -1, 2]), { atol: 1e-5 });
 * console.log(r.info[0], r.iterations[0], r.residualNorm[0]);
 * ```
 */
export function bicgstabSync<T extends AnyOperatorInput>(
  A: T,
  b: VectorInput<ArrayOfOperator<T>>,
  options?: BicgstabOptions<ArrayOfOperator<T>>,
): SolveResult<ArrayOfOperator<T>> {
  return solveSync(
    "bicgstab",
    { A, b, x0: options?.x0, M: options?.M },
    () => bicgstabSteps(A, b, options ?? {}),
  ) as SolveResult<ArrayOfOperator<T>>;
}

function* bicgstabSteps<A extends ArrayObject>(
  A: unknown,
  b: unknown,
  options: BicgstabOptions<A>,
): Steps<SolveResult<A>, A> {
  const start = yield* startShort<A>(
    { label: "bicgstab", defaultMaxiter: (n) => 10 * n, checkAtStart: true },
    A,
    b,
    options,
    options.M,
  );
  if (start.done) return start.done;
  const run = start.run;
  const { xp, maxiter, dtype } = run;
  const M = run.M !== null; // compaction may restrict run.M, never add or remove it
  const tiny = epsOf(dtype) ** 2; // SciPy's rhotol = omegatol
  const vecShape = run.vshape;

  let r = run.r;
  let rt = xp.astype(r, dtype, { copy: true });
  let rho = run.rr0; // r̃ᴴr = ‖r0‖² when r̃ = r
  let rhoPrev = xp.ones(run.sshape, { dtype });
  let alpha = xp.ones(run.sshape, { dtype });
  let omega = xp.ones(run.sshape, { dtype });
  let p = xp.zeros(vecShape, { dtype });
  let v = xp.zeros(vecShape, { dtype });
  let phat: A | undefined, shat: A | undefined, t: A | undefined;

  let it = 0;
  let stop = yield* run.begin();
  while (!stop && it < maxiter) {
    it++;
    const tp = run.fused(top, {
      active: run.active,
      rho,
      rhoPrev,
      alpha,
      omega,
      info: run.info,
      tiny,
    });
    run.setState({ info: tp.info });
    ({ p } = run.fused(
      direction,
      { r, p, v, beta: run.col(tp.beta), omega: run.col(omega), go: run.col(tp.go) },
      { p },
    ));
    if (M) phat = run.M!.matvec(p, phat);
    v = run.op.matvec(phat ?? p, v);
    const rv = run.dot(rt, v);
    const m = run.fused(mid, { go: tp.go, rho, rv, alpha, info: run.info });
    xp.dispose(tp.go, tp.beta, rv, alpha, rhoPrev);
    rhoPrev = rho;
    alpha = m.alpha;
    run.setState({ info: m.info });
    const s = run.fused(
      sStep,
      { r, v, alpha: run.col(alpha), go: run.col(m.go) },
      { s: r },
    );
    r = s.s;
    if (M) shat = run.M!.matvec(r, shat);
    t = run.op.matvec(shat ?? r, t);
    const ts = run.fused(tSums, { t, s: r });
    const w = run.fused(omegaStep, {
      go: m.go,
      ss: s.ss,
      tol: run.tol,
      tt: ts.tt,
      ts: ts.ts,
      omega,
      info: run.info,
    });
    xp.dispose(m.go, ts.tt, ts.ts, omega);
    omega = w.omega;
    run.setState({ info: w.info });
    const u = run.fused(
      update,
      {
        x: run.x,
        s: r,
        rt,
        phat: phat ?? p,
        shat: shat ?? r,
        t,
        alpha: run.col(alpha),
        omega: run.col(omega),
        half: run.col(w.half),
        full: run.col(w.full),
      },
      { x: run.x, r },
    );
    run.x = u.x;
    r = u.r;
    rho = u.rho;
    const e = run.fused(endState, {
      full: w.full,
      half: w.half,
      rr: u.rr,
      ss: s.ss,
      res: run.res,
      iters: run.iters,
      info: run.info,
      tol: run.tol,
    });
    run.setState(e);
    xp.dispose(w.full, w.half, u.rr, s.ss);
    stop = yield* run.endIteration(it, {
      save: () => ({ r, rt, rho, rhoPrev, alpha, omega, p, v, phat, shat, t }),
      load: (s) => ({ r, rt, rho, rhoPrev, alpha, omega, p, v, phat, shat, t } = s),
    });
  }
  return yield* run.finish(it, false, [r, rt, rho, rhoPrev, alpha, omega, p, v, phat, shat, t]);
}
