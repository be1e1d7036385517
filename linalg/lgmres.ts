/**
 * LGMRES (SciPy's `scipy.sparse.linalg.lgmres`), batched.
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
import { combine, historyOf, IndexCache, matvecSmall, normSq, scaleKeep } from "./_arnoldi.ts";
import { fgmres, type OuterVector } from "./_arnoldi_fgmres.ts";
import {
  type AnyOperatorInput,
  type ArrayOfOperator,
  INFO_NONFINITE,
  type KrylovOptions,
  type SolveResult,
  type VectorInput,
} from "./types.ts";

/**
 * `info` code of {@linkcode lgmres}: the preconditioner returned a zero vector for a non-zero
 * residual, so the system cannot progress (SciPy raises `RuntimeError` for the whole solve; here
 * only that system stops).
 *
 * @example
 * ```ts
 * import { INFO_PRECONDITIONER_ZERO } from "./lgmres.ts";
 * console.log(INFO_PRECONDITIONER_ZERO); // -13
 * ```
 */
export const INFO_PRECONDITIONER_ZERO: number = -13;

/**
 * An LGMRES augmentation vector (SciPy's `(v, Av)` tuples of `outer_v`): `v` is `(..., n)`
 * (broadcast over the batch) and `av` is `M A v` or null when it should be recomputed.
 *
 * @example
 * ```ts
 * import type { LgmresOuterVector } from "./lgmres.ts";
 * import { cpu, type CpuArray } from "../backends/cpu/mod.ts";
 * const o: LgmresOuterVector<CpuArray> = { v: cpu.asarray([1, 0]), av: null };
 * ```
 */
export interface LgmresOuterVector<A extends ArrayObject = ArrayObject> {
  /** The vector `(..., n)`. */
  readonly v: A;
  /** `M A v` (`(..., n)`), or null to recompute it. */
  readonly av: A | null;
}

/**
 * Options of {@linkcode lgmres}: SciPy's `lgmres` options in camelCase.
 *
 * @example
 * ```ts
 * import type { LgmresOptions } from "./lgmres.ts";
 * const o: LgmresOptions = { rtol: 1e-8, innerM: 20, outerK: 2 };
 * ```
 */
export interface LgmresOptions<A extends ArrayObject = ArrayObject> extends KrylovOptions<A> {
  /** Outer iterations (default 1000). `callback` is called at the start of each; `iterations`
   * counts those calls, as SciPy's callback does. */
  maxiter?: number;
  /** Inner GMRES iterations per outer iteration (default 30). */
  innerM?: number;
  /** Augmentation vectors carried between outer iterations (default 3). */
  outerK?: number;
  /** Augmentation vectors `(v, M A v)` used and updated in place (SciPy's `outer_v`): pass an
   * array to start from previous vectors and to receive the new ones (batch-shaped). */
  outerV?: LgmresOuterVector<A>[];
  /** Also store `M A v` with each new augmentation vector (default true; saves a matvec). */
  storeOuterAv?: boolean;
  /** Put the augmentation vectors before the Krylov vectors (default false). */
  prependOuterV?: boolean;
}

const initState = defineFused(
  "lgmres.init",
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

const zeroX = defineFused(
  "lgmres.zero",
  { x: "float", zero: "bool" },
  (v, f) => ({ x: f.where(v.zero, 0, v.x) }),
);

// r_outer = A x − b (SciPy's sign) and its norm².
const residual = defineFused("lgmres.residual", { ax: "float", b: "float" }, (v, f) => {
  const r = v.ax.sub(v.b);
  return { r, rr: f.sum(r.mul(r)) };
});

// Top of an outer iteration: count it, test convergence on the true residual (`<=`).
const top = defineFused(
  "lgmres.top",
  { rr: "float", active: "bool", iters: "int", info: "int", tol: "float", rnorm: "float" },
  (v, f) => {
    const rn = v.rr.sqrt();
    const fin = rn.isfinite();
    return {
      iters: v.iters.add(f.where(v.active, f.const(1, "int"), f.const(0, "int"))),
      info: f.where(v.active.and(fin.not()), f.const(INFO_NONFINITE, "int"), v.info),
      active: v.active.and(fin).and(rn.le(v.tol).not()),
      rnorm: f.where(v.active, rn, v.rnorm),
      hist: f.where(v.active, rn, -1),
    };
  },
);

// v₀ = −M r / ‖M r‖ and the inner tolerance min(ptol_max_factor, tol/‖r‖).
const start = defineFused(
  "lgmres.start",
  {
    ss: "float",
    rnorm: "float",
    active: "bool",
    info: "int",
    pmf: "float",
    tol: "float",
  },
  (v, f) => {
    const ir0 = v.ss.sqrt();
    const fin = ir0.isfinite();
    const part = v.active.and(fin).and(ir0.gt(0));
    const q = v.tol.div(v.rnorm);
    return {
      ir0,
      part,
      active: part.and(v.active), // a distinct node (part is disposed separately)
      scale: f.where(part, f.const(-1).div(ir0), 0),
      ptol: f.where(q.lt(v.pmf), q, v.pmf),
      info: f.where(
        v.active.and(fin.not()),
        f.const(INFO_NONFINITE, "int"),
        f.where(v.active.and(ir0.eq(0)), f.const(INFO_PRECONDITIONER_ZERO, "int"), v.info),
      ),
    };
  },
);

const scaleRows = defineFused("lgmres.scaleY", { y: "float", s: "float" }, (v) => ({
  y: v.y.mul(v.s),
}));

const keepOf = defineFused("lgmres.keep", { a: "bool", b: "bool" }, (v) => ({
  k: v.a.and(v.b),
}));

// After the inner solve: inner tolerance control, NaN guard, 1/‖dx‖ for the new outer vector.
const post = defineFused(
  "lgmres.post",
  {
    pres: "float",
    ptol: "float",
    pmf: "float",
    part: "bool",
    ok: "bool",
    nx2: "float",
    info: "int",
    active: "bool",
  },
  (v, f) => {
    const nx = v.nx2.sqrt();
    const good = v.part.and(v.ok).and(nx.isfinite());
    const bad = v.part.and(good.not());
    return {
      pmf: f.where(
        v.part,
        f.where(
          v.pres.gt(v.ptol),
          f.min(f.const(1), v.pmf.mul(1.5)),
          f.max(f.const(1e-16), v.pmf.mul(0.25)),
        ),
        v.pmf,
      ),
      upd: good,
      info: f.where(bad, f.const(INFO_NONFINITE, "int"), v.info),
      active: v.active.and(bad.not()),
      inv: f.where(good.and(nx.gt(0)), f.const(1).div(nx), 0),
    };
  },
);

const addKeep = defineFused(
  "lgmres.add",
  { x: "float", d: "float", keep: "bool" },
  (v, f) => ({ x: f.where(v.keep, v.x.add(v.d), v.x) }),
);

/**
 * Solves `A x = b` with LGMRES (SciPy's `scipy.sparse.linalg.lgmres` semantics), for a whole
 * batch of systems at once: restarted GMRES whose Krylov space is augmented with the last
 * `outerK` error approximations, which avoids the stagnation of plain restarts.
 *
 * Each outer iteration computes the true residual `A x − b` and stops a system when
 * `‖b − A x‖ ≤ max(atol, rtol·‖b‖)`; otherwise an inner FGMRES of `innerM` steps (plus the
 * augmentation vectors) runs on `M A`, stopping early per system at its inner tolerance
 * (SciPy's adaptive `ptol`) or on a breakdown. `iterations` counts outer iterations including
 * the one that detected convergence (SciPy's callback calls).
 *
 * `info` per system: 0 converged; `maxiter` not converged; {@linkcode INFO_NONFINITE} (−12)
 * when a NaN/Inf appeared (SciPy returns the outer iteration number instead; the last finite
 * iterate is kept); {@linkcode INFO_PRECONDITIONER_ZERO} (−13) when `M` maps a non-zero
 * residual to zero. `residualHistory`: each system's `‖b − A x‖` at each of its outer
 * iterations.
 *
 * @example
 * ```ts
 * import { lgmres } from "./lgmres.ts";
 * import { cpu as xp } from "../backends/cpu/mod.ts";
 * const A = xp.asarray([[3, 2, 0], [1, -1, 0], [0, 5, 1]]);
 * const b = xp.asarray([2, 4, -1]);
 * const r = await lgmres(A, b, { atol: 1e-5 });
 * console.log(r.info[0], r.residualNorm[0] < 1e-5);       // 0 true
 * ```
 */
export function lgmres<T extends AnyOperatorInput>(
  A: T,
  b: VectorInput<ArrayOfOperator<T>>,
  options?: LgmresOptions<ArrayOfOperator<T>>,
): Promise<SolveResult<ArrayOfOperator<T>>> {
  return driveAsync(lgmresSteps(A, b, options ?? {})) as Promise<
    SolveResult<ArrayOfOperator<T>>
  >;
}

/**
 * {@linkcode lgmres}, synchronously: the same arguments, options, semantics and result, returned
 * directly instead of in a promise (for CPU users, and for `tf.customGrad`, whose forward and
 * backward functions must be synchronous). Host readbacks use `xp.toHostSync`, so the convergence
 * check runs after every iteration.
 *
 * A namespace without `toHostSync` (WebGPU, which must wait for the device) is a `TypeError`
 * pointing to {@linkcode lgmres}; so is a `callback` that returns a promise.
 *
 * @example
 * ```ts
 * import { lgmresSync } from "./lgmres.ts";
 * import { cpu as xp } from "../backends/cpu/mod.ts";
 * const A = xp.asarray([[3, 2, 0], [1, -1, 0], [0, 5, 1]]);
 * const r = lgmresSync(A, xp.asarray([2, 4, -1]), { atol: 1e-5 });
 * console.log(r.info[0], r.residualNorm[0] < 1e-5);       // 0 true
 * ```
 */
export function lgmresSync<T extends AnyOperatorInput>(
  A: T,
  b: VectorInput<ArrayOfOperator<T>>,
  options?: LgmresOptions<ArrayOfOperator<T>>,
): SolveResult<ArrayOfOperator<T>> {
  return solveSync(
    "lgmres",
    { A, b, x0: options?.x0, M: options?.M },
    () => lgmresSteps(A, b, options ?? {}),
  ) as SolveResult<ArrayOfOperator<T>>;
}

function* lgmresSteps<A extends ArrayObject>(
  A: unknown,
  b: unknown,
  options: LgmresOptions<A>,
): Steps<SolveResult<A>, A> {
  const label = "lgmres";
  const rtol = checkTolerance(label, "rtol", options.rtol, 1e-5);
  const atol = checkTolerance(label, "atol", options.atol, 0);
  const maxiter = checkMaxiter(label, "maxiter", options.maxiter, 1000);
  const innerM = checkMaxiter(label, "innerM", options.innerM, 30);
  const outerK = checkMaxiter(label, "outerK", options.outerK, 3, 0);
  const storeAv = options.storeOuterAv ?? true;
  const prepend = options.prependOuterV ?? false;
  if (options.outerV !== undefined && options.outerV !== null && !Array.isArray(options.outerV)) {
    throw new TypeError(`${label}: outerV must be an array of { v, av } entries`);
  }
  const sys = prepareSystem<A>(label, A, b, { square: true, x0: options.x0, M: options.M });
  yield* deferDispose(sys.xp, preparedTemps(sys, b));
  const { xp, n, nSys, batch, dtype } = sys;
  // ---- augmentation vectors given by the caller (validated even for an empty batch)
  interface Entry extends OuterVector<A> {
    readonly owned: boolean;
    readonly src?: LgmresOuterVector<A>;
  }
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
  let outer: Entry[] = (options.outerV ?? []).map((e, i) => ({
    z: toVec(e?.v, `outerV[${i}].v`),
    w: e?.av ? toVec(e.av, `outerV[${i}].av`) : null,
    owned: false,
    src: e,
  }));
  if (nSys === 0 || n === 0) {
    xp.dispose(...sys.finite.map((f) => f.ok));
    return { x: sys.x, ...emptyStats(nSys), ...(options.history ? { residualHistory: [] } : {}) };
  }
  const eps = epsOf(dtype);
  const op = sys.A, M = sys.M;
  const idx = new IndexCache(xp);
  const zero = xp.zeros(batch, { dtype });
  const noInner = xp.zeros(batch, { dtype: "bool" });

  // ---- initial state (SciPy returns x = b = 0 for b = 0)
  const bb = runFused(xp, normSq, { w: sys.b }).ww;
  const st0 = runFused(xp, initState, { bb, rtol, atol });
  xp.dispose(bb);
  const views = new Cols(xp); // [...batch, 1] views, released once per cycle
  let x = runFused(xp, zeroX, { x: sys.x, zero: views.col(st0.zero) }, { out: { x: sys.x } }).x;
  xp.dispose(st0.zero);
  const tol = st0.tol;
  let { active, info, rnorm } = st0;
  let iters = xp.zeros(batch, { dtype: "int32" });
  let pmf = xp.ones(batch, { dtype });
  let innerRow = noInner;

  const mon = new ConvergenceMonitor(xp, {
    label,
    nSys,
    batch,
    maxiter: maxiter * (innerM + outerK + 1),
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
  let k = 0;
  for (; k < maxiter && !stop; k++) {
    views.release();
    // ---- outer iteration top: r = A x − b, callback, convergence test
    const ax = op.matvec(x);
    const rs = runFused(xp, residual, { ax, b: sys.b }, { out: { r: ax } });
    if (options.callback) {
      yield* callbackDone<A>(options.callback(x, k + 1));
    }
    const t = runFused(xp, top, { rr: rs.rr, active, iters, info, tol, rnorm });
    xp.dispose(rs.rr, active, iters, info, rnorm);
    ({ active, iters, info, rnorm } = t);
    if (options.history) mon.record(it, t.hist);
    else xp.dispose(t.hist);
    if (k === 0 || !mon.wantsTrueResidual || mon.due(it)) stop = yield* mon.check(it, rowsNow());
    if (stop) {
      xp.dispose(rs.r);
      break;
    }

    // ---- inner FGMRES on M A from v₀ = −M r / ‖M r‖
    let mr = rs.r;
    if (M) {
      mr = M.matvec(rs.r);
      xp.dispose(rs.r);
    }
    const ss = runFused(xp, normSq, { w: mr }).ww;
    const s0 = runFused(xp, start, { ss, rnorm, active, info, pmf, tol });
    xp.dispose(ss, active, info);
    ({ active, info } = s0);
    const part = s0.part;
    const v0 = runFused(
      xp,
      scaleKeep,
      { w: mr, s: views.col(s0.scale), keep: views.col(part) },
      { out: { v: mr } },
    ).v;
    xp.dispose(s0.scale);
    const startIt = it;
    const fg = yield* fgmres({
      xp,
      op,
      lpsolve: M,
      rpsolve: null,
      v0,
      m: innerM,
      atol: s0.ptol,
      part,
      cs: [],
      outer,
      prepend,
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
    // ---- dx = Z y·‖M r‖, the new augmentation vector, x update
    const ys = runFused(xp, scaleRows, { y: fg.y, s: views.col(s0.ir0) }, { out: { y: fg.y } }).y;
    const keep0 = runFused(xp, keepOf, { a: part, b: fg.ok }).k;
    const dxr = combine(
      xp,
      xp.zeros(vshape, { dtype }),
      fg.zs,
      ys,
      J,
      views.col(keep0),
      idx,
      dtype,
    );
    const p = runFused(xp, post, {
      pres: fg.pres,
      ptol: s0.ptol,
      pmf,
      part,
      ok: fg.ok,
      nx2: dxr.rr,
      info,
      active,
    });
    xp.dispose(keep0, dxr.rr, pmf, info, active, fg.pres, fg.ok, s0.ptol, s0.ir0, part);
    ({ pmf, info, active } = p);
    const upd = views.col(p.upd), inv = views.col(p.inv);
    x = runFused(xp, addKeep, { x, d: dxr.r, keep: upd }, { out: { x } }).x;
    if (outerK > 0) {
      let w: A | null = null;
      if (storeAv) {
        const q = matvecSmall(xp, fg.H, ys);
        const axr = combine(xp, xp.zeros(vshape, { dtype }), fg.vs, q, J + 1, upd, idx, dtype);
        w = runFused(xp, scaleKeep, { w: axr.r, s: inv, keep: upd }, { out: { v: axr.r } }).v;
        xp.dispose(q, axr.rr);
      }
      const z = runFused(xp, scaleKeep, { w: dxr.r, s: inv, keep: upd }, { out: { v: dxr.r } }).v;
      outer.push({ z, w, owned: true });
      while (outer.length > outerK) {
        const e = outer.shift()!;
        if (e.owned) xp.dispose(e.z, ...(e.w ? [e.w] : []));
      }
    } else xp.dispose(dxr.r);
    xp.dispose(p.upd, p.inv, ys, fg.H, fg.R, ...fg.vs, ...fg.zs.filter((_, i) => fg.zsOwned[i]));
    if (fg.B) xp.dispose(fg.B);
    if (stop) {
      k++;
      break;
    }
  }

  // The true residual is known from the last top unless the loop ran out of iterations.
  const needTrue = !stop && k >= maxiter;
  let trueRes: A | undefined;
  views.release();
  const final = yield* mon.finish(
    it,
    ["iters", "info", "active", needTrue ? "trueRes" : "res"],
    () => {
      const rows = rowsNow();
      if (needTrue) rows.trueRes = trueRes = trueResidualNorm(xp, op, sys.b, x);
      return rows;
    },
  );
  const resRow = needTrue ? final.rows.trueRes : final.rows.res;
  if (trueRes) xp.dispose(trueRes);
  xp.dispose(zero, noInner, tol, active, info, rnorm, iters, pmf);
  idx.dispose();
  if (options.outerV) {
    options.outerV.splice(
      0,
      options.outerV.length,
      ...outer.map((e) => e.src ?? { v: e.z, av: e.w }),
    );
  } else {
    for (const e of outer) if (e.owned) xp.dispose(e.z, ...(e.w ? [e.w] : []));
  }
  outer = [];
  const out = emptyStats(nSys);
  for (let i = 0; i < nSys; i++) {
    const code = final.rows.info[i];
    out.iterations[i] = final.rows.iters[i];
    out.info[i] = code !== 0 ? code : final.rows.active[i] !== 0 ? maxiter : 0;
    out.residualNorm[i] = resRow[i];
  }
  return {
    x,
    ...out,
    ...(options.history ? { residualHistory: historyOf(mon) } : {}),
  };
}
