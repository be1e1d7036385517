/**
 * Biconjugate gradient (BiCG) for general square systems, batched.
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
 * Options of {@linkcode bicg} (SciPy's `bicg` options in camelCase, plus batching extras).
 * The preconditioner `M` needs an adjoint (`rmatvec`), as in SciPy.
 *
 * @example
 * ```ts
 * import type { BicgOptions } from "./bicg.ts";
 * const o: BicgOptions = { rtol: 1e-8, maxiter: 200 };
 * ```
 */
export interface BicgOptions<A extends ArrayObject = ArrayObject> extends KrylovOptions<A> {
  /** Compact the batch when at most a quarter of its systems still iterate (default true; needs
   * an operator shared by all systems or one that can select batch members, and no
   * `callback`/`history`). */
  compact?: boolean;
}

// Top of an iteration (after the convergence test): ρ breakdown (−10) or non-finite ρ (−12);
// β = ρ/ρ_prev for the systems that go on.
const top = defineFused(
  "bicg.top",
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

// p ← z + β p, p̃ ← z̃ + β p̃ (p = p̃ = 0 before the first iteration).
const direction = defineFused(
  "bicg.direction",
  { z: "float", zt: "float", p: "float", pt: "float", beta: "float", go: "bool" },
  (v, f) => ({
    p: f.where(v.go, v.z.add(v.beta.mul(v.p)), v.p),
    pt: f.where(v.go, v.zt.add(v.beta.mul(v.pt)), v.pt),
  }),
);

// α = ρ / p̃ᴴq; p̃ᴴq = 0 is SciPy's −11; a non-finite α is −12.
const mid = defineFused(
  "bicg.mid",
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

// x ← x + α p, r ← r − α q, r̃ ← r̃ − α q̃; ‖r‖² and r̃ᴴr (the next ρ without M) in one pass.
const update = defineFused(
  "bicg.update",
  {
    x: "float",
    r: "float",
    rt: "float",
    p: "float",
    q: "float",
    qt: "float",
    alpha: "float",
    go: "bool",
  },
  (v, f) => {
    const r = f.where(v.go, v.r.sub(v.alpha.mul(v.q)), v.r);
    const rt = f.where(v.go, v.rt.sub(v.alpha.mul(v.qt)), v.rt);
    return {
      x: f.where(v.go, v.x.add(v.alpha.mul(v.p)), v.x),
      r,
      rt,
      rr: f.sum(r.mul(r)),
      rz: f.sum(rt.mul(r)),
    };
  },
);

/**
 * Solves `A x = b` with the biconjugate gradient method (SciPy's
 * `scipy.sparse.linalg.bicg` semantics), for a whole batch of systems at once. Needs the
 * adjoint of `A` (a sparse or dense array, or an operator with `rmatvec`) and of `M`.
 *
 * Every system has its own threshold `max(atol, rtol·‖b_k‖)` (tested as `‖r‖ < tol` at the top
 * of each iteration, on the recurrence residual), iteration count, `info` and residual;
 * converged or broken-down systems are frozen while the others continue. Systems with
 * `b_k = 0` return `x_k = 0`. Default `maxiter` is `10·n`.
 *
 * `info` per system: 0 converged; `maxiter` not converged; {@linkcode INFO_BREAKDOWN_RHO}
 * (−10) when `|r̃ᴴ M r| < eps²`; {@linkcode INFO_BREAKDOWN_OMEGA} (−11) when `p̃ᴴ A p = 0`;
 * {@linkcode INFO_NONFINITE} (−12) when a NaN/Inf appeared (x keeps its last finite value).
 *
 * @example
 * ```ts
 * import { bicg } from "./bicg.ts";
 * import { cpu as xp } from "../backends/cpu/mod.ts";
 * const A = xp.asarray([[3, 2, 0], [1, -1, 0], [0, 5, 1]]);
 * const r = await bicg(A, xp.asarray([2, 4, -1]), { atol: 1e-5 });
 * console.log(r.info[0], await xp.toHost(r.x)); // 0 Float64Array [2, -2, 9]
 * ```
 */
export function bicg<T extends AnyOperatorInput>(
  A: T,
  b: VectorInput<ArrayOfOperator<T>>,
  options?: BicgOptions<ArrayOfOperator<T>>,
): Promise<SolveResult<ArrayOfOperator<T>>> {
  return driveAsync(bicgSteps(A, b, options ?? {})) as Promise<
    SolveResult<ArrayOfOperator<T>>
  >;
}

/**
 * {@linkcode bicg}, synchronously: the same arguments, options, semantics and result, returned
 * directly instead of in a promise (for CPU users, and for `tf.customGrad`, whose forward and
 * backward functions must be synchronous). Host readbacks use `xp.toHostSync`, so the convergence
 * check runs after every iteration.
 *
 * A namespace without `toHostSync` (WebGPU, which must wait for the device) is a `TypeError`
 * pointing to {@linkcode bicg}; so is a `callback` that returns a promise.
 *
 * @example
 * ```ts
 * import { bicgSync } from "./bicg.ts";
 * import { cpu as xp } from "../backends/cpu/mod.ts";
 * const A = xp.asarray([[3, 2, 0], [1, -1, 0], [0, 5, 1]]);
 * const r = bicgSync(A, xp.asarray([2, 4, -1]), { atol: 1e-5 });
 * console.log(r.info[0], xp.toHostSync(r.x)); // 0 Float64Array [2, -2, 9]
 * ```
 */
export function bicgSync<T extends AnyOperatorInput>(
  A: T,
  b: VectorInput<ArrayOfOperator<T>>,
  options?: BicgOptions<ArrayOfOperator<T>>,
): SolveResult<ArrayOfOperator<T>> {
  return solveSync(
    "bicg",
    { A, b, x0: options?.x0, M: options?.M },
    () => bicgSteps(A, b, options ?? {}),
  ) as SolveResult<ArrayOfOperator<T>>;
}

function* bicgSteps<A extends ArrayObject>(
  A: unknown,
  b: unknown,
  options: BicgOptions<A>,
): Steps<SolveResult<A>, A> {
  const start = yield* startShort<A>(
    { label: "bicg", adjoint: true, defaultMaxiter: (n) => 10 * n, checkAtStart: true },
    A,
    b,
    options,
    options.M,
  );
  if (start.done) return start.done;
  const run = start.run;
  const { xp, maxiter } = run;
  const M = run.M !== null; // compaction may restrict run.M, never add or remove it
  const rhotol = epsOf(run.dtype) ** 2;

  let r = run.r;
  let rt = xp.astype(r, run.dtype, { copy: true });
  let rho: A | undefined = M ? undefined : run.rr0; // r̃ᴴr = ‖r0‖² when r̃ = r
  if (M) xp.dispose(run.rr0);
  let rhoPrev = xp.ones(run.sshape, { dtype: run.dtype });
  let p = xp.zeros(run.vshape, { dtype: run.dtype });
  let pt = xp.zeros(run.vshape, { dtype: run.dtype });
  let q: A | undefined, qt: A | undefined, z: A | undefined, zt: A | undefined;

  let it = 0;
  let stop = yield* run.begin();
  while (!stop && it < maxiter) {
    it++;
    if (M) {
      z = run.M!.matvec(r, z);
      zt = run.M!.rmatvec!(rt, zt);
      rho = run.dot(rt, z);
    }
    const t = run.fused(top, { active: run.active, rho: rho!, rhoPrev, info: run.info, rhotol });
    run.setState({ info: t.info });
    ({ p, pt } = run.fused(
      direction,
      { z: z ?? r, zt: zt ?? rt, p, pt, beta: run.col(t.beta), go: run.col(t.go) },
      { p, pt },
    ));
    q = run.op.matvec(p, q);
    qt = run.op.rmatvec!(pt, qt);
    const rv = run.dot(pt, q);
    const m = run.fused(mid, { go: t.go, rho: rho!, rv, rhoPrev, info: run.info });
    xp.dispose(t.go, t.beta, rv, rhoPrev, rho!);
    rhoPrev = m.rhoPrev;
    run.setState({ info: m.info });
    const u = run.fused(
      update,
      { x: run.x, r, rt, p, q, qt, alpha: run.col(m.alpha), go: run.col(m.go) },
      { x: run.x, r, rt },
    );
    run.x = u.x;
    r = u.r;
    rt = u.rt;
    run.endStep(m.go, u.rr);
    xp.dispose(m.go, m.alpha, u.rr);
    if (M) {
      xp.dispose(u.rz);
      rho = undefined;
    } else rho = u.rz;
    stop = yield* run.endIteration(it, {
      save: () => ({ r, rt, rho, rhoPrev, p, pt, q, qt, z, zt }),
      load: (s) => ({ r, rt, rho, rhoPrev, p, pt, q, qt, z, zt } = s),
    });
  }
  return yield* run.finish(it, false, [r, rt, rho, rhoPrev, p, pt, q, qt, z, zt]);
}
