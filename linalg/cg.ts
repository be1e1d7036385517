/**
 * Conjugate gradient for Hermitian positive-definite systems, batched.
 *
 * @module
 */
import type { ArrayObject, CgKernelProblem, CgKernelResult, CsrData } from "../array_api/types.ts";
import { defineFused, runFused } from "../array_api/fuse.ts";
import { checkMaxiter, checkTolerance, type PreparedSystem, prepareSystem } from "./_prepare.ts";
import { DiagonalOperator } from "./diagonal_operator.ts";
import { ConvergenceMonitor } from "./_convergence.ts";
import {
  callbackDone,
  deferDispose,
  driveAsync,
  fastPathDone,
  readBack,
  solveSync,
  type Steps,
} from "./_drive.ts";
import { Cols, emptyStats, preparedTemps, residualVector, trueResidualNorm } from "./_batch.ts";
import { compactable } from "./_compaction.ts";
import {
  type AnyOperatorInput,
  type ArrayOfOperator,
  INFO_NONFINITE,
  type KrylovOptions,
  type SolveResult,
  type VectorInput,
} from "./types.ts";

/**
 * Options of {@linkcode cg} (SciPy's `cg` options in camelCase, plus batching extras).
 *
 * @example
 * ```ts
 * import type { CgOptions } from "./cg.ts";
 * const o: CgOptions = { rtol: 1e-8, maxiter: 200 };
 * ```
 */
export interface CgOptions<A extends ArrayObject = ArrayObject> extends KrylovOptions<A> {
  /** Compact the batch when at most a quarter of its systems still iterate, so the remaining
   * iterations cost in proportion to them (default true; needs an operator shared by all
   * systems or one that can select batch members, and no `callback`/`history`). */
  compact?: boolean;
}

// r, b norms and the initial per-system state, one pass over the vectors.
const initSums = defineFused("cg.init.sums", { b: "float", r: "float" }, (v, f) => ({
  bb: f.sum(v.b.mul(v.b)),
  rr: f.sum(v.r.mul(v.r)),
}));

const initState = defineFused(
  "cg.init.state",
  { bb: "float", rr: "float", rtol: "float", atol: "float" },
  (v, f) => {
    const bnorm = v.bb.sqrt();
    const tol = f.max(v.atol, v.rtol.mul(bnorm));
    const res = v.rr.sqrt();
    const finite = res.isfinite();
    const zero = bnorm.eq(0);
    return {
      tol,
      res,
      zero,
      active: zero.not().and(finite).and(res.ge(tol)),
      info: f.where(finite.or(zero), f.const(0, "int"), f.const(INFO_NONFINITE, "int")),
    };
  },
);

// Systems with b = 0 return x = 0 (SciPy returns b itself).
const zeroOut = defineFused(
  "cg.zero",
  { x: "float", r: "float", zero: "bool" },
  (v, f) => ({ x: f.where(v.zero, 0, v.x), r: f.where(v.zero, 0, v.r) }),
);

// p ← z + β p with β = ρ/ρ_prev (frozen where inactive).
const direction = defineFused(
  "cg.direction",
  { z: "float", p: "float", rho: "float", rhoPrev: "float", active: "bool" },
  (v, f) => ({ p: f.where(v.active, v.z.add(v.rho.div(v.rhoPrev).mul(v.p)), v.p) }),
);

const dotPq = defineFused("cg.pq", { p: "float", q: "float" }, (v, f) => ({
  pq: f.sum(v.p.mul(v.q)),
}));

// x ← x + α p, r ← r − α q with α = ρ / pᴴq; ‖r‖² in the same pass.
const update = defineFused(
  "cg.update",
  { x: "float", r: "float", p: "float", q: "float", rho: "float", pq: "float", active: "bool" },
  (v, f) => {
    const alpha = v.rho.div(v.pq);
    const r = f.where(v.active, v.r.sub(alpha.mul(v.q)), v.r);
    return {
      x: f.where(v.active, v.x.add(alpha.mul(v.p)), v.x),
      r,
      rr: f.sum(r.mul(r)),
    };
  },
);

const dotRz = defineFused("cg.rz", { r: "float", z: "float" }, (v, f) => ({
  rz: f.sum(v.r.mul(v.z)),
}));

// Per-system bookkeeping after an update: iteration count, breakdown, convergence test
// (SciPy: converged when ‖r‖ < tol at the top of the next iteration).
const state = defineFused(
  "cg.state",
  {
    rr: "float",
    rho: "float",
    rhoPrev: "float",
    active: "bool",
    iters: "int",
    info: "int",
    tol: "float",
  },
  (v, f) => {
    const res = v.rr.sqrt();
    const bad = v.active.and(res.isfinite().not());
    return {
      res,
      iters: v.iters.add(f.where(v.active, f.const(1, "int"), f.const(0, "int"))),
      info: f.where(bad, f.const(INFO_NONFINITE, "int"), v.info),
      active: v.active.and(bad.not()).and(res.ge(v.tol)),
      rhoPrev: f.where(v.active, v.rho, v.rhoPrev),
    };
  },
);

/**
 * Solves `A x = b` for Hermitian positive-definite `A` with the conjugate gradient method
 * (SciPy's `scipy.sparse.linalg.cg` semantics), for a whole batch of systems at once.
 *
 * `A` is a sparse array (batched or not), a dense namespace array `(..., n, n)`, a
 * `LinearOperator` or any `{ shape, matvec }`; `b` is `(..., n)`. Batch shapes of A, b, x0 and
 * M broadcast. Every system has its own threshold `max(atol, rtol·‖b_k‖)`, iteration count,
 * `info` and residual; converged systems are frozen while the others continue, and the solve
 * ends when all are done. Systems with `b_k = 0` return `x_k = 0`.
 *
 * `info` per system: 0 converged; `maxiter` not converged; {@linkcode INFO_NONFINITE} (−12) if
 * a NaN/Inf appeared (e.g. an indefinite A or a zero Jacobi diagonal). NaN/Inf in b, x0 or the
 * stored values of A is a `RangeError`.
 *
 * @example
 * ```ts
 * import { cg } from "./cg.ts";
 * import { poisson2d } from "../sparse/gallery.ts";
 * import { cpu as xp } from "../backends/cpu/mod.ts";
 * const A = poisson2d(16);                                   // 256 × 256
 * const b = xp.ones([2, 256]);                               // two right-hand sides
 * const r = await cg(A, b, { rtol: 1e-8 });
 * console.log(r.info, r.iterations, r.residualNorm);
 * ```
 */
export function cg<T extends AnyOperatorInput>(
  A: T,
  b: VectorInput<ArrayOfOperator<T>>,
  options?: CgOptions<ArrayOfOperator<T>>,
): Promise<SolveResult<ArrayOfOperator<T>>> {
  return driveAsync(cgSteps(A, b, options ?? {}, false)) as Promise<
    SolveResult<ArrayOfOperator<T>>
  >;
}

/**
 * {@linkcode cg}, synchronously: the same arguments, options, semantics and result, returned
 * directly instead of in a promise (for CPU users, and for `tf.customGrad`, whose forward and
 * backward functions must be synchronous). Host readbacks use `xp.toHostSync`, so the convergence
 * check runs after every iteration. A backend's synchronous whole-loop fast path
 * (`xp.solvers.cgSync`; the CPU backend has one) runs where `cg` would use `xp.solvers.cg`;
 * elsewhere the portable loop runs.
 *
 * A namespace without `toHostSync` (WebGPU, which must wait for the device) is a `TypeError`
 * pointing to {@linkcode cg}; so is a `callback` that returns a promise.
 *
 * @example
 * ```ts
 * import { cgSync } from "./cg.ts";
 * import { poisson2d } from "../sparse/gallery.ts";
 * import { cpu as xp } from "../backends/cpu/mod.ts";
 * const r = cgSync(poisson2d(16), xp.ones([2, 256]), { rtol: 1e-8 }); // no await
 * console.log(r.info, r.iterations, r.residualNorm);
 * ```
 */
export function cgSync<T extends AnyOperatorInput>(
  A: T,
  b: VectorInput<ArrayOfOperator<T>>,
  options?: CgOptions<ArrayOfOperator<T>>,
): SolveResult<ArrayOfOperator<T>> {
  return solveSync(
    "cg",
    { A, b, x0: options?.x0, M: options?.M },
    () => cgSteps(A, b, options ?? {}, true),
  ) as SolveResult<ArrayOfOperator<T>>;
}

function* cgSteps<A extends ArrayObject>(
  A: unknown,
  b: unknown,
  options: CgOptions<A>,
  sync: boolean,
): Steps<SolveResult<A>, A> {
  const label = "cg";
  const rtol = checkTolerance(label, "rtol", options.rtol, 1e-5);
  const atol = checkTolerance(label, "atol", options.atol, 0);
  const sys = prepareSystem<A>(label, A, b, { square: true, x0: options.x0, M: options.M });
  yield* deferDispose(sys.xp, preparedTemps(sys, b));
  const { xp, n, nSys, batch, dtype } = sys;
  const maxiter = checkMaxiter(label, "maxiter", options.maxiter, Math.max(10 * n, 1));
  if (nSys === 0 || n === 0) {
    xp.dispose(...sys.finite.map((f) => f.ok));
    return { x: sys.x, ...emptyStats(nSys), ...(options.history ? { residualHistory: [] } : {}) };
  }
  // A backend's fused whole-loop CG (capability hook), when it accepts this problem:
  // `solvers.cg` (a promise) for cg, `solvers.cgSync` (a result) for cgSync.
  const fast = fastPath(sys, A, options, rtol, atol, maxiter, sync);
  if (fast instanceof Promise) return yield* fastPathDone<SolveResult<A>, A>(fast);
  if (fast) return fast;

  // Compaction (see _compaction.ts) needs the whole batch in one axis; callbacks and history
  // are defined on the full batch, so they turn it off.
  const cs = compactable(sys, options.compact !== false && !options.callback && !options.history);
  const compactor = cs.compactor;
  let op = cs.op, M = cs.M;
  const b0 = cs.b;
  if (b0 !== sys.b) yield* deferDispose(xp, [b0]);
  const shapeV = compactor ? [nSys, n] : [...batch, n];
  const shapeS = compactor ? [nSys] : batch;

  // ---- initial state
  let x = cs.x;
  let r = sys.x0Given ? residualVector(xp, op, b0, x) : xp.astype(b0, dtype, { copy: true });
  const s0 = runFused(xp, initSums, { b: b0, r });
  const st0 = runFused(xp, initState, { bb: s0.bb, rr: s0.rr, rtol, atol });
  xp.dispose(s0.bb);
  const views = new Cols(xp);
  ({ x, r } = runFused(xp, zeroOut, { x, r, zero: views.col(st0.zero) }, { out: { x, r } }));
  views.release();
  xp.dispose(st0.zero);
  let active = st0.active, info = st0.info, res = st0.res, tol = st0.tol;
  let iters = xp.zeros(shapeS, { dtype: "int32" });
  let rr = s0.rr;
  let rhoPrev = xp.ones(shapeS, { dtype });
  let p = xp.zeros(shapeV, { dtype });
  let bCur = b0;
  let q: A | undefined;
  let z: A | undefined;

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
  if (options.history) mon.record(0, xp.astype(res, dtype, { copy: true }));
  // Status rows for the monitor (borrowed; a true residual is computed only when asked for).
  let trueRes: A | undefined;
  const rowsNow = (withTrue: boolean): Record<string, A> => {
    const rows: Record<string, A> = { active, res, iters, info };
    if (withTrue) {
      if (trueRes) xp.dispose(trueRes);
      rows.trueRes = trueRes = trueResidualNorm(xp, op, bCur, x);
    }
    return rows;
  };
  const maybeCompact = (it: number) => {
    const act = mon.last?.rows.active;
    const keep = compactor && act ? compactor.plan(act) : null;
    if (!compactor || !keep) return;
    if (q) xp.dispose(q);
    q = undefined;
    const st: Record<string, A> = { x, r, p, active, info, iters, res, rr, rhoPrev, tol, b: bCur };
    if (z) st.z = z;
    if (bCur === b0) st.b = xp.astype(b0, dtype, { copy: true }); // b0 may be a caller's view
    const c = compactor.compact(keep, st, ["x", "iters", "info"]);
    ({ x, r, p, active, info, iters, res, rr, rhoPrev, tol, b: bCur } = c.state);
    z = c.state.z;
    op = c.op;
    M = c.M;
    mon.rebatch(keep, it);
  };

  // ---- iterations
  let it = 0;
  let stop = yield* mon.check(0, rowsNow(false));
  while (!stop && it < maxiter) {
    it++;
    let rho: A;
    if (M) {
      z = M.matvec(r, z);
      ({ rz: rho } = runFused(xp, dotRz, { r, z }));
    } else {
      rho = rr;
    }
    const activeC = views.col(active);
    ({ p } = runFused(
      xp,
      direction,
      { z: z ?? r, p, rho: views.col(rho), rhoPrev: views.col(rhoPrev), active: activeC },
      { out: { p } },
    ));
    q = op.matvec(p, q);
    const { pq } = runFused(xp, dotPq, { p, q });
    let rrNew: A;
    ({ x, r, rr: rrNew } = runFused(
      xp,
      update,
      { x, r, p, q, rho: views.col(rho), pq: views.col(pq), active: activeC },
      { out: { x, r } },
    ));
    views.release();
    xp.dispose(pq);
    const s = runFused(xp, state, { rr: rrNew, rho, rhoPrev, active, iters, info, tol });
    xp.dispose(active, iters, info, rhoPrev, res, rr);
    if (rho !== rr) xp.dispose(rho);
    ({ active, iters, info, rhoPrev, res } = s);
    rr = rrNew;
    if (options.history) mon.record(it, xp.astype(res, dtype, { copy: true }));
    if (options.callback) {
      yield* callbackDone<A>(options.callback(x, it));
    }
    if (mon.due(it)) {
      stop = yield* mon.check(it, rowsNow(mon.wantsTrueResidual));
      if (!stop) maybeCompact(it);
    }
  }

  const out = emptyStats(nSys);
  let rows: Readonly<Record<string, Float64Array>>;
  if (compactor?.compacted) {
    // reassemble the full batch, then one readback of its final rows
    mon.abandon();
    xp.dispose(p, r, rr, rhoPrev, active, res, tol, bCur);
    xp.dispose(...[q, z, trueRes].filter((v): v is A => v !== undefined));
    ({ x, iters, info } = compactor.restore({ x, iters, info }));
    const tr = trueResidualNorm(xp, cs.op, b0, x);
    const f = (a: A) => (a.dtype === dtype ? a : xp.astype(a, dtype));
    const parts = [f(iters), f(info), tr];
    const stacked = xp.stack(parts, { axis: 0 });
    const h = Float64Array.from((yield* readBack(xp, stacked)) as ArrayLike<number>);
    xp.dispose(stacked, ...parts, iters, info);
    rows = {
      iters: h.subarray(0, nSys),
      info: h.subarray(nSys, 2 * nSys),
      trueRes: h.subarray(2 * nSys),
    };
  } else {
    const final = yield* mon.finish(it, ["iters", "info", "trueRes"], () => rowsNow(true));
    rows = final.rows;
    xp.dispose(p, r, rr, rhoPrev, active, iters, info, res, tol);
    xp.dispose(...[q, z, trueRes].filter((v): v is A => v !== undefined));
  }
  for (let k = 0; k < nSys; k++) {
    const its = rows.iters[k];
    const code = rows.info[k];
    out.iterations[k] = its;
    out.info[k] = code < 0 ? code : its >= maxiter ? maxiter : 0;
    out.residualNorm[k] = rows.trueRes[k];
  }
  if (compactor) {
    const flat = x;
    x = xp.reshape(x, [...batch, n]);
    if (x !== flat) xp.dispose(flat);
  }
  // each system's history ends at its own last iteration (frozen systems repeat their value)
  const hist = options.history
    ? mon.historyPerSystem().map((h, k) => h.slice(0, out.iterations[k] + 1))
    : undefined;
  return { x, ...out, ...(hist ? { residualHistory: hist } : {}) };
}

/** Hands the problem to `xp.solvers.cg` when the operator is a shared-pattern CSR array, the
 * preconditioner absent or diagonal (jacobi), and no per-iteration callback is requested. */
function fastPath<A extends ArrayObject>(
  sys: PreparedSystem<A>,
  Ain: unknown,
  options: CgOptions<A>,
  rtol: number,
  atol: number,
  maxiter: number,
  sync: boolean,
): Promise<SolveResult<A>> | SolveResult<A> | null {
  const solvers = sys.xp.solvers;
  const hook:
    | ((p: CgKernelProblem<A>) => Promise<CgKernelResult<A>> | CgKernelResult<A> | null)
    | undefined = sync ? solvers?.cgSync?.bind(solvers) : solvers?.cg?.bind(solvers);
  if (!hook || options.callback) return null;
  const csr = Ain as Partial<CsrLikeInput<A>> | null;
  if (
    !csr || typeof csr.toCsrData !== "function" || csr.layout !== "shared" ||
    !(csr.indptr instanceof Int32Array) || !(csr.indices instanceof Int32Array)
  ) return null;
  const aBatch = csr.shape!.slice(0, -2);
  if (aBatch.length > 0 && aBatch.join() !== sys.batch.join()) return null;
  let minv: A | null = null;
  const Min = options.M;
  if (Min !== undefined && Min !== null) {
    if (!(Min instanceof DiagonalOperator)) return null;
    minv = (Min as DiagonalOperator<A>).diag;
    if (minv.__array_namespace__() !== sys.xp) return null;
  }
  const res = hook({
    a: csr.toCsrData(),
    indptrHost: csr.indptr,
    indicesHost: csr.indices,
    b: sys.b,
    x0: sys.x0Given ? sys.x : null,
    minv,
    batch: sys.batch,
    rtol,
    atol,
    maxiter,
    history: options.history === true,
    finite: sys.finite,
    onProgress: options.onProgress
      ? (p) =>
        options.onProgress!({
          solver: "cg",
          iteration: p.iteration,
          maxiter,
          active: p.active,
          systems: sys.nSys,
          residualNorm: p.residualNorm,
          threshold: p.threshold,
        })
      : undefined,
  });
  if (!res) return null;
  const release = () => sys.xp.dispose(sys.x, ...sys.finite.map((f) => f.ok));
  if (!(res instanceof Promise)) {
    release();
    return res;
  }
  return res.then((r) => {
    release();
    return r;
  }, (e) => {
    release();
    throw e;
  });
}

/** The parts of a CsrArray the fast path needs (capability, not class identity). */
interface CsrLikeInput<A extends ArrayObject> {
  readonly shape: readonly number[];
  readonly layout: string;
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  toCsrData(): CsrData<A>;
}
