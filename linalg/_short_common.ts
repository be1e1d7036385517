// Shared driver of the short-recurrence Krylov solvers (bicg, bicgstab, cgs, qmr, tfqmr):
// option validation, system preparation, the initial residual and per-system thresholds, the
// convergence monitor, the per-iteration bookkeeping (history, callback, host checks), and the
// final result. Each solver keeps only its recurrences.
//
// Per-system state lives on the device as arrays of the batch shape: `active` (bool: the system
// takes part in the next iteration), `info` (int32: 0, or a negative breakdown code once set),
// `iters` (int32: completed iterations, i.e. SciPy's callback calls), `res` (the residual norm
// the solver tests), `tol` (the threshold). The host sees them only through the monitor.
//
// Batch compaction (_compaction.ts) works as in cg: when at most a quarter of the systems still
// iterate, every state array (the run's and the solver's, handed over through `ShortState`) is
// gathered to the active systems and the operators are restricted to them; `finish`
// reassembles x, iterations, info and the active flags of the whole batch.
import type { ArrayNamespace, ArrayObject, FloatDType } from "../array_api/types.ts";
import { defineFused, type FusedDefinition, runFused } from "../array_api/fuse.ts";
import { checkMaxiter, checkTolerance, type PreparedSystem, prepareSystem } from "./_prepare.ts";
import { ConvergenceMonitor } from "./_convergence.ts";
import { col, emptyStats, preparedTemps, residualVector, trueResidualNorm } from "./_batch.ts";
import { type BatchCompactor, compactable } from "./_compaction.ts";
import { callbackDone, deferDispose, readBack, type Steps } from "./_drive.ts";
import {
  INFO_NONFINITE,
  type KrylovOptions,
  type OperatorLike,
  type SolveResult,
} from "./types.ts";

/** How a solver wants its system prepared. */
export interface ShortConfig {
  /** Solver name used in error messages and progress reports. */
  readonly label: string;
  /** Needs `Aᴴ` (and `Mᴴ` when a preconditioner is given). */
  readonly adjoint?: boolean;
  /** SciPy's default iteration limit for `n` unknowns. */
  readonly defaultMaxiter: (n: number) => number;
  /** What `rtol` multiplies: `‖b‖` (default) or the initial residual `‖b − A x0‖` (tfqmr). */
  readonly tolFrom?: "b" | "r0";
  /** Whether a system converges with `‖r‖ < tol` already at the start (every solver but
   * tfqmr, which always iterates unless `r0 = 0`). */
  readonly checkAtStart?: boolean;
}

/** The solver-owned arrays that batch compaction gathers (see {@linkcode ShortRun.endIteration}):
 * `save` returns them by name (leading axis = the batch; undefined entries are skipped), `load`
 * receives the gathered ones (the old ones are disposed). */
export interface ShortState<A extends ArrayObject> {
  save(): Record<string, A | undefined>;
  load(state: Record<string, A>): void;
}

/** The common options (what every short-recurrence solver accepts besides its own). */
export type ShortOptions<A extends ArrayObject> = Omit<KrylovOptions<A>, "M"> & {
  compact?: boolean;
};

const initSums = defineFused("short.init.sums", { b: "float", r: "float" }, (v, f) => ({
  bb: f.sum(v.b.mul(v.b)),
  rr: f.sum(v.r.mul(v.r)),
}));

function initProgram(name: string, fromR0: boolean, checkAtStart: boolean) {
  return defineFused(
    name,
    { bb: "float", rr: "float", rtol: "float", atol: "float" },
    (v, f) => {
      const bnorm = v.bb.sqrt();
      const res = v.rr.sqrt();
      const tol = f.max(v.atol, v.rtol.mul(fromR0 ? res : bnorm));
      const finite = res.isfinite();
      const zero = bnorm.eq(0);
      const go = zero.not().and(finite);
      return {
        tol,
        res: f.where(zero, 0, res),
        zero,
        active: checkAtStart ? go.and(res.ge(tol)) : go.and(res.gt(0)),
        info: f.where(finite.or(zero), f.const(0, "int"), f.const(INFO_NONFINITE, "int")),
      };
    },
  );
}
const initFromB = initProgram("short.init.b", false, true);
const initFromR0 = initProgram("short.init.r0", true, false);

// Systems with b = 0 return x = 0 (SciPy returns b itself), whatever x0 was.
const zeroOut = defineFused(
  "short.zero",
  { x: "float", r: "float", zero: "bool" },
  (v, f) => ({ x: f.where(v.zero, 0, v.x), r: f.where(v.zero, 0, v.r) }),
);

/**
 * End of an iteration for systems that tested their residual at the top of the next one (or
 * right after the update): `go` marks the systems that completed the iteration (no breakdown);
 * `rr` is their new squared residual norm. A non-finite residual sets INFO_NONFINITE.
 */
const endState = defineFused(
  "short.end",
  { go: "bool", rr: "float", res: "float", iters: "int", info: "int", tol: "float" },
  (v, f) => {
    const r = v.rr.sqrt();
    const bad = v.go.and(r.isfinite().not());
    return {
      res: f.where(v.go, r, v.res),
      iters: v.iters.add(f.where(v.go, f.const(1, "int"), f.const(0, "int"))),
      info: f.where(bad, f.const(INFO_NONFINITE, "int"), v.info),
      active: v.go.and(bad.not()).and(r.ge(v.tol)),
    };
  },
);

/** Result of {@linkcode startShort}: either an immediate result or a running solve. */
export type ShortStart<A extends ArrayObject> =
  | { readonly done: SolveResult<A> }
  | { readonly done?: undefined; readonly run: ShortRun<A> };

/**
 * Validates options, prepares the system, computes `r0 = b − A x0`, thresholds and the initial
 * per-system state. `M` is the preconditioner input (undefined for qmr, which handles M1/M2
 * itself, in `extraChecks`, run after the system is prepared and before any work; it returns
 * the extra operators, which the run restricts along with A on batch compaction). The arrays
 * made here that no result keeps are handed to the driver, which disposes them at the end.
 */
export function* startShort<A extends ArrayObject>(
  cfg: ShortConfig,
  Ain: unknown,
  bin: unknown,
  options: ShortOptions<A>,
  M: unknown,
  extraChecks?: (sys: PreparedSystem<A>) => readonly (OperatorLike<A> | null)[] | void,
): Steps<ShortStart<A>, A> {
  const label = cfg.label;
  if (options === null || typeof options !== "object") {
    throw new TypeError(`${label}: options must be an object, got ${String(options)}`);
  }
  const rtol = checkTolerance(label, "rtol", options.rtol, 1e-5);
  const atol = checkTolerance(label, "atol", options.atol, 0);
  if (options.callback !== undefined && typeof options.callback !== "function") {
    throw new TypeError(`${label}: callback must be a function`);
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== "function") {
    throw new TypeError(`${label}: onProgress must be a function`);
  }
  const sys = prepareSystem<A>(label, Ain, bin, {
    square: true,
    x0: options.x0,
    M,
    adjoint: cfg.adjoint,
  });
  yield* deferDispose(sys.xp, preparedTemps(sys, bin));
  if (cfg.adjoint && sys.M && (typeof sys.M.rmatvec !== "function" || sys.M.hasAdjoint === false)) {
    throw new TypeError(`${label} needs the adjoint of the preconditioner: give M an rmatvec`);
  }
  const extra = extraChecks?.(sys) ?? [];
  const maxiter = checkMaxiter(
    label,
    "maxiter",
    options.maxiter,
    Math.max(cfg.defaultMaxiter(sys.n), 1),
  );
  const { xp, nSys, n } = sys;
  if (nSys === 0 || n === 0) {
    xp.dispose(...sys.finite.map((f) => f.ok));
    return {
      done: { x: sys.x, ...emptyStats(nSys), ...(options.history ? { residualHistory: [] } : {}) },
    };
  }
  const run = new ShortRun(cfg, sys, options, rtol, atol, maxiter, extra);
  // the flattened view of b made for batch compaction (sys.b may be the caller's array)
  if (run.b !== sys.b) yield* deferDispose(xp, [run.b]);
  return { run };
}

/** One running solve: the state shared by every short-recurrence solver. */
export class ShortRun<A extends ArrayObject> {
  readonly xp: ArrayNamespace<A>;
  readonly sys: PreparedSystem<A>;
  /** The operator and preconditioner of the current batch (restricted after a compaction). */
  op: OperatorLike<A>;
  M: OperatorLike<A> | null;
  /** The solver's extra operators (qmr's M1, M2) for the current batch. */
  extra: (OperatorLike<A> | null)[];
  /** Right-hand sides of the current batch. */
  b: A;
  readonly n: number;
  /** The systems' batch shape (the result's). */
  readonly batch: number[];
  /** Shapes of per-system scalars and of vectors as the solver allocates them: the batch shape,
   * or `[nSys]` when compaction is possible (the batch is then flattened). */
  readonly sshape: number[];
  readonly vshape: number[];
  readonly dtype: FloatDType;
  readonly maxiter: number;
  /** Current iterate (solvers replace it through fused programs). */
  x: A;
  /** Initial residual `b − A x0` (zero for systems with `b = 0`); the solver takes ownership. */
  r: A;
  /** `‖r0‖²` per system (the solver takes ownership). */
  rr0: A;
  /** Per-system state (see the file comment). */
  active: A;
  info: A;
  iters: A;
  res: A;
  tol: A;
  private readonly options: ShortOptions<A>;
  private readonly mon: ConvergenceMonitor<A>;
  private readonly compactor: BatchCompactor<A> | null;
  private readonly op0: OperatorLike<A>;
  private readonly extra0: (OperatorLike<A> | null)[];
  private readonly b0: A;
  private trueRes: A | undefined;
  private views: A[] = [];

  constructor(
    cfg: ShortConfig,
    sys: PreparedSystem<A>,
    options: ShortOptions<A>,
    rtol: number,
    atol: number,
    maxiter: number,
    extra: readonly (OperatorLike<A> | null)[] = [],
  ) {
    const xp = sys.xp;
    this.xp = xp;
    this.sys = sys;
    this.n = sys.n;
    this.batch = sys.batch;
    this.dtype = sys.dtype;
    this.maxiter = maxiter;
    this.options = options;
    // Compaction (see _compaction.ts) needs the whole batch in one axis; callbacks and history
    // are defined on the full batch, so they turn it off.
    let enabled = options.compact !== false && !options.callback && !options.history;
    // extra operators: shared by every system, or with the systems' batch and selectBatch
    let flatExtra: (OperatorLike<A> | null)[] = [...extra];
    if (enabled) {
      const ident = Int32Array.from({ length: sys.nSys }, (_, i) => i);
      try {
        flatExtra = extra.map((o) => {
          if (!o || o.shape.length === 2) return o;
          const ob = o.shape.slice(0, -2);
          if (ob.join() !== sys.batch.join() || typeof o.selectBatch !== "function") {
            throw new RangeError("not selectable");
          }
          return o.selectBatch(ident);
        });
      } catch {
        enabled = false;
        flatExtra = [...extra];
      }
    }
    const cs = compactable(sys, enabled);
    this.extra0 = cs.compactor ? flatExtra : [...extra];
    this.extra = [...this.extra0];
    this.compactor = cs.compactor;
    this.op = this.op0 = cs.op;
    this.M = cs.M;
    this.b = this.b0 = cs.b;
    this.sshape = cs.compactor ? [sys.nSys] : sys.batch;
    this.vshape = [...this.sshape, sys.n];
    let x = cs.x;
    let r = sys.x0Given
      ? residualVector(xp, this.op, this.b, x)
      : xp.astype(this.b, sys.dtype, { copy: true });
    const s0 = runFused(xp, initSums, { b: this.b, r });
    const prog = cfg.tolFrom === "r0" ? initFromR0 : initFromB;
    const st = runFused(xp, prog, { bb: s0.bb, rr: s0.rr, rtol, atol });
    xp.dispose(s0.bb);
    const zc = col(xp, st.zero);
    ({ x, r } = runFused(xp, zeroOut, { x, r, zero: zc }, { out: { x, r } }));
    xp.dispose(zc, st.zero);
    this.x = x;
    this.r = r;
    this.rr0 = s0.rr;
    this.active = st.active;
    this.info = st.info;
    this.res = st.res;
    this.tol = st.tol;
    this.iters = xp.zeros(this.sshape, { dtype: "int32" });
    this.mon = new ConvergenceMonitor(xp, {
      label: cfg.label,
      nSys: sys.nSys,
      batch: sys.batch,
      maxiter,
      dtype: sys.dtype,
      threshold: this.tol,
      finite: sys.finite,
      history: options.history,
      onProgress: options.onProgress,
    });
  }

  /** `[...batch]` → `[...batch, 1]` view, disposed at the end of the iteration. */
  col(a: A): A {
    const v = col(this.xp, a);
    this.views.push(v);
    return v;
  }

  /** Runs a fused program in the system's dtype (`out` donates arrays). */
  fused<I extends string, O extends string>(
    def: FusedDefinition<I, O>,
    inputs: Readonly<Record<I, A | number>>,
    out?: Readonly<Record<string, A>>,
  ): Record<O, A> {
    return runFused(this.xp, def, inputs, { dtype: this.dtype, ...(out ? { out } : {}) });
  }

  /** `Σ a·b` per system. */
  dot(a: A, b: A): A {
    return this.fused(dotProg, { a, b }).d;
  }

  /** Replaces per-system state arrays, disposing the previous ones. */
  setState(next: { active?: A; info?: A; iters?: A; res?: A }): void {
    const old: A[] = [];
    if (next.active && next.active !== this.active) old.push(this.active);
    if (next.info && next.info !== this.info) old.push(this.info);
    if (next.iters && next.iters !== this.iters) old.push(this.iters);
    if (next.res && next.res !== this.res) old.push(this.res);
    this.active = next.active ?? this.active;
    this.info = next.info ?? this.info;
    this.iters = next.iters ?? this.iters;
    this.res = next.res ?? this.res;
    this.xp.dispose(...old);
  }

  /** The generic end of an iteration (see `endState`): `go` and `rr` stay the caller's. */
  endStep(go: A, rr: A): void {
    const s = this.fused(endState, {
      go,
      rr,
      res: this.res,
      iters: this.iters,
      info: this.info,
      tol: this.tol,
    });
    this.setState(s);
  }

  /** Status rows for the monitor (borrowed; the true residual only when asked for). */
  private rows(withTrue: boolean): Record<string, A> {
    const rows: Record<string, A> = {
      active: this.active,
      res: this.res,
      iters: this.iters,
      info: this.info,
    };
    if (withTrue) {
      if (this.trueRes) this.xp.dispose(this.trueRes);
      rows.trueRes = this.trueRes = trueResidualNorm(this.xp, this.op, this.b, this.x);
    }
    return rows;
  }

  /** Records iteration 0 and takes the first status snapshot; true when nothing iterates. */
  *begin(): Steps<boolean, A> {
    if (this.options.history) {
      this.mon.record(0, this.xp.astype(this.res, this.dtype, { copy: true }));
    }
    return yield* this.mon.check(0, this.rows(false));
  }

  /** After iteration `it`: history, the user's callback, the scheduled host check, and batch
   * compaction when few systems still iterate (`state` hands over the solver's arrays). */
  *endIteration(it: number, state: ShortState<A>): Steps<boolean, A> {
    this.xp.dispose(...this.views);
    this.views = [];
    if (this.options.history) {
      this.mon.record(it, this.xp.astype(this.res, this.dtype, { copy: true }));
    }
    if (this.options.callback) {
      yield* callbackDone<A>(this.options.callback(this.x, it));
    }
    if (!this.mon.due(it)) return false;
    const stop = yield* this.mon.check(it, this.rows(this.mon.wantsTrueResidual));
    if (!stop) this.maybeCompact(it, state);
    return stop;
  }

  private maybeCompact(it: number, io: ShortState<A>): void {
    const act = this.mon.last?.rows.active;
    const keep = this.compactor && act ? this.compactor.plan(act) : null;
    if (!this.compactor || !keep) return;
    const xp = this.xp;
    if (this.trueRes) xp.dispose(this.trueRes);
    this.trueRes = undefined;
    const own: Record<string, A> = {
      x: this.x,
      active: this.active,
      info: this.info,
      iters: this.iters,
      res: this.res,
      tol: this.tol,
      // the first b may be a caller's view: gather a copy
      b: this.b === this.b0 ? xp.astype(this.b0, this.dtype, { copy: true }) : this.b,
    };
    const mine = io.save();
    const names = Object.keys(mine).filter((k) => mine[k] !== undefined);
    const st: Record<string, A> = { ...own };
    for (const k of names) st["s:" + k] = mine[k]!;
    const c = this.compactor.compact(keep, st, ["x", "iters", "info", "active"]);
    this.x = c.state.x;
    this.active = c.state.active;
    this.info = c.state.info;
    this.iters = c.state.iters;
    this.res = c.state.res;
    this.tol = c.state.tol;
    this.b = c.state.b;
    this.op = c.op;
    this.M = c.M;
    const orig = this.compactor.orig;
    this.extra = this.extra0.map((o) => (!o || o.shape.length === 2 ? o : o.selectBatch!(orig)));
    const back: Record<string, A> = {};
    for (const k of names) back[k] = c.state["s:" + k];
    io.load(back);
    this.mon.rebatch(keep, it);
  }

  /**
   * Final snapshot and result after the loop ended at iteration `it`. `info` per system: the
   * breakdown code if one was set, else `maxiter` when the system did not converge (still
   * active, or, with `convergedAtLast` false, tested only at the top of an iteration that the
   * limit cut off, as SciPy does), else 0. Disposes the state; `temps` are the solver's arrays
   * to dispose as well.
   */
  *finish(
    it: number,
    convergedAtLast: boolean,
    temps: (A | undefined)[],
  ): Steps<SolveResult<A>, A> {
    const xp = this.xp;
    xp.dispose(...this.views);
    this.views = [];
    const nSys = this.sys.nSys;
    let rows: Readonly<Record<string, Float64Array>>;
    let x = this.x;
    const own = (t: A | undefined): t is A => t !== undefined && t !== this.x;
    if (this.compactor?.compacted) {
      // reassemble the full batch, then one readback of its final rows
      this.mon.abandon();
      xp.dispose(this.res, this.tol, this.b, ...temps.filter(own));
      if (this.trueRes) xp.dispose(this.trueRes);
      const full = this.compactor.restore({
        x,
        iters: this.iters,
        info: this.info,
        active: this.active,
      });
      x = full.x;
      const tr = trueResidualNorm(xp, this.op0, this.b0, x);
      const f = (a: A) => (a.dtype === this.dtype ? a : xp.astype(a, this.dtype));
      const parts = [f(full.iters), f(full.info), f(full.active), tr];
      const stacked = xp.stack(parts, { axis: 0 });
      const h = Float64Array.from((yield* readBack(xp, stacked)) as ArrayLike<number>);
      xp.dispose(stacked, ...parts, full.iters, full.info, full.active);
      rows = {
        iters: h.subarray(0, nSys),
        info: h.subarray(nSys, 2 * nSys),
        active: h.subarray(2 * nSys, 3 * nSys),
        trueRes: h.subarray(3 * nSys),
      };
    } else {
      const final = yield* this.mon.finish(
        it,
        ["active", "iters", "info", "trueRes"],
        () => this.rows(true),
      );
      rows = final.rows;
      xp.dispose(this.active, this.iters, this.info, this.res, this.tol, ...temps.filter(own));
      if (this.trueRes) xp.dispose(this.trueRes);
    }
    const out = emptyStats(nSys);
    const maxiter = this.maxiter;
    for (let k = 0; k < nSys; k++) {
      const its = rows.iters[k];
      const code = rows.info[k];
      const open = rows.active[k] !== 0 || (!convergedAtLast && its >= maxiter);
      out.iterations[k] = its;
      out.info[k] = code < 0 ? code : open ? maxiter : 0;
      out.residualNorm[k] = rows.trueRes[k];
    }
    if (this.compactor) {
      const flat = x;
      x = xp.reshape(x, [...this.batch, this.n]);
      if (x !== flat) xp.dispose(flat);
    }
    return {
      x,
      ...out,
      ...(this.options.history ? { residualHistory: this.mon.historyPerSystem() } : {}),
    };
  }
}

/** `Σ a·b` over the last axis (a per-system dot product). */
export const dotProg: FusedDefinition<"a" | "b", "d"> = defineFused(
  "short.dot",
  { a: "float", b: "float" },
  (v, f) => ({ d: f.sum(v.a.mul(v.b)) }),
);
