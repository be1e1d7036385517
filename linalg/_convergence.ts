// Shared convergence bookkeeping: when to read per-system status back to the host, and how.
//
// Every solver keeps its per-system state on the device (active masks, iteration counters, info
// codes, residual norms as arrays of the batch shape) and only reads it back at the checks this
// monitor schedules. The schedule adapts to the namespace, measured rather than declared:
//
// - readback cheap relative to an iteration (CPU): check after every iteration, synchronously,
//   so no iteration is wasted after convergence;
// - readback expensive (a GPU: ~11 ms per mapAsync in Deno, vs ~30 µs per iteration): check
//   every k iterations with k ≈ latency / iteration time, *pipelined*: the snapshot taken at a
//   check is awaited only at the next check, so the device always has a chunk of work queued
//   and the readback latency is hidden. Converged systems are frozen by their masks, so the
//   iterations that run after convergence (at most about one chunk) change nothing. k is capped
//   by the number of iterations the measured convergence rate predicts are still needed, so the
//   chunk before convergence is short.
//
// Everything a result needs (iterations, info, residuals, history) travels in the snapshots:
// one readback per check, no extra readback per iteration.
//
// `check` and `finish` are generators run by the solver's driver (_drive.ts): `yield*` them.
// With the async driver a readback is `xp.toHost` (pipelined as above); with the sync driver it
// completes at once, so the measured latency is ~0 and every iteration is checked.
import type { ArrayNamespace, ArrayObject, FloatDType } from "../array_api/types.ts";
import type { ProgressInfo } from "./types.ts";
import { issue, type Readback, type Steps, wait } from "./_drive.ts";

/** Host copy of a status snapshot: each row has one value per system. */
export interface Snapshot {
  /** Iteration at which it was taken. */
  readonly iteration: number;
  /** Rows by name (float64 on the host). */
  readonly rows: Readonly<Record<string, Float64Array>>;
  /** With history: one row per iteration recorded since the previous snapshot. */
  readonly history: readonly { readonly iteration: number; readonly values: Float64Array }[];
}

/** Construction options of {@linkcode ConvergenceMonitor}. */
export interface MonitorOptions<A extends ArrayObject> {
  readonly label: string;
  readonly nSys: number;
  readonly batch: readonly number[];
  readonly maxiter: number;
  readonly dtype: FloatDType;
  /** Per-system threshold `[...batch]` (read back with the first snapshot, for progress). */
  readonly threshold: A;
  /** Input finiteness flags checked at the first snapshot (RangeError naming the input);
   * disposed once that snapshot has read them. */
  readonly finite?: readonly { readonly name: string; readonly ok: A }[];
  readonly history?: boolean;
  readonly onProgress?: (info: ProgressInfo) => void;
  /** Force a schedule (tests/benchmarks): "eager" checks every iteration, or a fixed k. */
  readonly schedule?: "eager" | number;
}

interface Pending {
  readonly iteration: number;
  readonly names: readonly string[];
  readonly histIts: readonly number[];
  /** The readback in flight (null for an empty batch: no data). */
  readonly handle: Readback | null;
  readonly issuedAt: number;
  readonly first: boolean;
}

/**
 * Schedules host convergence checks for one solve (see the file comment).
 */
export class ConvergenceMonitor<A extends ArrayObject> {
  readonly xp: ArrayNamespace<A>;
  readonly opts: MonitorOptions<A>;
  /** Set when the last awaited snapshot showed every system inactive. */
  stopped = false;
  /** The last snapshot awaited (null before the first). */
  last: Snapshot | null = null;
  /** Residual history per system, when requested. */
  readonly historyRows: { iteration: number; values: Float64Array }[] = [];
  private recorded: { it: number; res: A }[] = [];
  private pending: Pending | null = null;
  private nextDue = 1;
  private mode: "probe" | "eager" | "pipelined" = "probe";
  private checks = 0;
  private latencyMin = Infinity;
  private iterTime = 0;
  private lastResolvedAt = performance.now();
  private lastResolvedIt = 0;
  private prevForRate: Snapshot | null = null;
  private threshold: Float64Array | null = null;
  private kLatency = 1;
  private nSys: number;

  constructor(xp: ArrayNamespace<A>, opts: MonitorOptions<A>) {
    this.xp = xp;
    this.opts = opts;
    this.nSys = opts.nSys;
    if (opts.schedule === "eager") this.mode = "eager";
    else if (typeof opts.schedule === "number") {
      this.mode = "pipelined";
      this.kLatency = Math.max(1, Math.floor(opts.schedule));
    }
  }

  /** Whether the solver should call {@linkcode check} after iteration `it`. */
  due(it: number): boolean {
    return it >= this.nextDue || it >= this.opts.maxiter;
  }

  /** Hands the monitor a residual-norm array `[...batch]` for iteration `it` (only kept when
   * history is on; the monitor owns it afterwards). */
  record(it: number, res: A): void {
    if (this.opts.history) this.recorded.push({ it, res });
    else this.xp.dispose(res);
  }

  /** Whether snapshots should carry the true residual (the check is not every iteration). */
  get wantsTrueResidual(): boolean {
    return this.mode === "pipelined";
  }

  /**
   * Takes a status snapshot after iteration `it`. `rows` are arrays of the batch shape (borrowed:
   * their values are captured at once, the caller keeps ownership); it must contain `active`
   * (bool) and `res` (the tested residual norm, float). Returns true when the solve should stop
   * (every system inactive in the snapshot the decision used).
   */
  *check(it: number, rows: Record<string, A>): Steps<boolean, A> {
    const snap = yield* this.issue(it, rows);
    if (this.mode === "pipelined" && this.pending === null) {
      this.pending = snap;
      this.schedule(it);
      return false;
    }
    const target = this.mode === "pipelined" ? this.pending! : snap;
    if (this.mode === "pipelined") this.pending = snap;
    const s = yield* this.resolve(target, target === snap);
    this.afterSnapshot(s, it);
    return this.stopped;
  }

  /**
   * The final state after the loop ended at iteration `it`: reuses a snapshot that is final
   * (taken at `it`, or once every system had stopped) and holds the rows `names`, else takes one
   * from `rows()` (borrowed, like {@linkcode check}). Ignores a stale pending snapshot.
   */
  *finish(
    it: number,
    names: readonly string[],
    rowsFn: () => Record<string, A>,
  ): Steps<Snapshot, A> {
    const has = (s: { names?: readonly string[]; rows?: Record<string, unknown> }) =>
      names.every((n) => s.names ? s.names.includes(n) : n in (s.rows ?? {}));
    const last = this.last;
    // Once every system was inactive in a snapshot, nothing changed afterwards (masks froze
    // them): that snapshot is final even if later iterations ran (pipelined mode).
    if (last && has(last) && (this.stopped || (last.iteration === it && this.pending === null))) {
      this.abandon();
      return last;
    }
    if (this.pending && this.pending.iteration === it && has(this.pending)) {
      const p = this.pending;
      this.pending = null;
      const s = yield* this.resolve(p, false);
      this.afterSnapshot(s, it);
      return s;
    }
    this.abandon();
    const snap = yield* this.issue(it, rowsFn());
    const s = yield* this.resolve(snap, true);
    this.afterSnapshot(s, it);
    return s;
  }

  /**
   * After the solver compacted its batch to the systems at positions `keep` (of the current
   * batch): keeps the timing estimates and thresholds of those systems, drops snapshots of the
   * old batch (a pending one is abandoned), and schedules the next check at once.
   */
  rebatch(keep: Int32Array, it: number): void {
    if (this.opts.history) throw new Error(`${this.opts.label}: cannot rebatch with history on`);
    const pick = (v: Float64Array) => Float64Array.from(keep, (k) => v[k]);
    if (this.threshold) this.threshold = pick(this.threshold);
    const p = this.prevForRate;
    this.prevForRate = p && p.rows.res && p.rows.active
      ? {
        iteration: p.iteration,
        rows: { res: pick(p.rows.res), active: pick(p.rows.active) },
        history: [],
      }
      : null;
    this.abandon();
    this.last = null;
    this.stopped = false;
    this.nSys = keep.length;
    this.nextDue = Math.min(this.opts.maxiter, it + 1);
  }

  /** Forgets a pending snapshot (its readback may still complete; the async driver ignores
   * its errors). */
  abandon(): void {
    this.pending = null;
  }

  /** Residual history per system (`history` option), iteration-ordered. */
  historyPerSystem(): Float64Array[] {
    const rows = this.historyRows.slice().sort((a, b) => a.iteration - b.iteration);
    const out: Float64Array[] = [];
    for (let k = 0; k < this.opts.nSys; k++) {
      const h = new Float64Array(rows.length);
      for (let i = 0; i < rows.length; i++) h[i] = rows[i].values[k];
      out.push(h);
    }
    return out;
  }

  private *issue(it: number, rows: Record<string, A>): Steps<Pending, A> {
    const xp = this.xp;
    const first = this.checks === 0;
    this.checks++;
    const names = Object.keys(rows);
    const parts: A[] = [];
    const temps: A[] = [];
    const asRow = (v: A): A => {
      const r = v.dtype === this.opts.dtype ? v : xp.astype(v, this.opts.dtype);
      if (r !== v) temps.push(r);
      return r;
    };
    for (const n of names) parts.push(asRow(rows[n]));
    const histIts: number[] = [];
    for (const h of this.recorded) {
      parts.push(asRow(h.res));
      histIts.push(h.it);
    }
    const extra: string[] = [];
    if (first) {
      parts.push(asRow(this.opts.threshold));
      extra.push("__threshold");
      for (const f of this.opts.finite ?? []) {
        parts.push(asRow(f.ok));
        extra.push("__finite:" + f.name);
      }
    }
    let handle: Readback | null = null;
    if (this.nSys > 0) {
      const flat = parts.map((p) => {
        const r = xp.reshape(p, [this.nSys]);
        if (r !== p) temps.push(r);
        return r;
      });
      const stacked = xp.stack(flat, { axis: 0 });
      handle = yield* issue(xp, stacked);
      xp.dispose(stacked);
    }
    xp.dispose(...temps, ...this.recorded.map((h) => h.res));
    this.recorded = [];
    // the finiteness flags are read once, by this first snapshot: release them now (device
    // memory); the solver's driver disposes them again at the end, which is harmless
    if (first) xp.dispose(...(this.opts.finite ?? []).map((f) => f.ok));
    return {
      iteration: it,
      names: [...names, ...extra],
      histIts,
      handle,
      issuedAt: performance.now(),
      first,
    };
  }

  private *resolve(p: Pending, awaitedAtOnce: boolean): Steps<Snapshot, A> {
    const data = p.handle
      ? Float64Array.from((yield* wait<A>(p.handle)) as ArrayLike<number>)
      : new Float64Array(0);
    const now = performance.now();
    if (awaitedAtOnce) {
      const lat = now - p.issuedAt;
      this.latencyMin = Math.min(this.latencyMin, lat);
      const its = p.iteration - this.lastResolvedIt;
      if (its > 0) {
        const t = Math.max((now - this.lastResolvedAt - this.latencyMin) / its, 1e-4);
        this.iterTime = this.iterTime === 0 ? t : 0.5 * (this.iterTime + t);
      }
    } else if (p.iteration > this.lastResolvedIt) {
      const t = Math.max((now - this.lastResolvedAt) / (p.iteration - this.lastResolvedIt), 1e-4);
      this.iterTime = this.iterTime === 0 ? t : 0.5 * (this.iterTime + t);
    }
    this.lastResolvedAt = now;
    this.lastResolvedIt = p.iteration;
    const nSys = this.nSys;
    const rows: Record<string, Float64Array> = {};
    let r = 0;
    const named = p.names.length - (p.first ? 1 + (this.opts.finite?.length ?? 0) : 0);
    for (let i = 0; i < named; i++, r++) rows[p.names[i]] = data.subarray(r * nSys, (r + 1) * nSys);
    const history: { iteration: number; values: Float64Array }[] = [];
    for (const it of p.histIts) {
      history.push({ iteration: it, values: data.slice(r * nSys, (r + 1) * nSys) });
      r++;
    }
    if (p.first) {
      this.threshold = data.slice(r * nSys, (r + 1) * nSys);
      r++;
      for (const f of this.opts.finite ?? []) {
        const ok = data.subarray(r * nSys, (r + 1) * nSys);
        const bad = ok.findIndex((v) => v === 0);
        if (bad >= 0) {
          throw new RangeError(
            `${this.opts.label}: ${f.name} contains NaN or Inf` +
              (nSys > 1 ? ` (first affected system: ${bad})` : ""),
          );
        }
        r++;
      }
    }
    this.historyRows.push(...history);
    return { iteration: p.iteration, rows, history };
  }

  private afterSnapshot(s: Snapshot, it: number): void {
    this.last = s;
    const active = s.rows.active;
    let nActive = 0;
    if (active) { for (let i = 0; i < active.length; i++) if (active[i] !== 0) nActive++; }
    this.stopped = nActive === 0;
    if (this.opts.onProgress && s.rows.res) {
      this.opts.onProgress({
        solver: this.opts.label,
        iteration: s.iteration,
        maxiter: this.opts.maxiter,
        active: nActive,
        systems: this.nSys,
        residualNorm: s.rows.res,
        threshold: this.threshold ?? new Float64Array(this.nSys),
      });
    }
    // decide once two checks measured a per-iteration time (two checks at the same iteration
    // measure nothing: keep probing)
    if (this.mode === "probe" && this.checks >= 2 && this.iterTime > 0) {
      // readback latency vs iteration time decides the mode (measured, not declared)
      if (this.latencyMin <= Math.max(0.25 * this.iterTime, 0.05)) this.mode = "eager";
      else {
        this.mode = "pipelined";
        this.kLatency = Math.min(4096, Math.max(2, Math.round(this.latencyMin / this.iterTime)));
      }
    } else if (this.mode === "pipelined" && this.opts.schedule === undefined && this.iterTime > 0) {
      this.kLatency = Math.min(
        4096,
        Math.max(2, Math.round(this.latencyMin / this.iterTime)),
      );
    }
    this.schedule(it, s);
  }

  private schedule(it: number, s?: Snapshot): void {
    let k = this.mode === "pipelined" ? this.kLatency : 1;
    if (s && this.mode === "pipelined") {
      const remaining = this.predictRemaining(s);
      this.prevForRate = s;
      if (remaining !== null) {
        const beyond = remaining - (it - s.iteration);
        k = Math.max(1, Math.min(k, Math.ceil(beyond * 1.15) + 2));
      }
    } else if (s) this.prevForRate = s;
    this.nextDue = Math.min(this.opts.maxiter, it + k);
  }

  private predictRemaining(s: Snapshot): number | null {
    const p = this.prevForRate;
    const th = this.threshold;
    if (!p || !th || !s.rows.res || !p.rows.res || !s.rows.active) return null;
    const di = s.iteration - p.iteration;
    if (di <= 0) return null;
    let worst = 0;
    for (let k = 0; k < this.nSys; k++) {
      if (s.rows.active[k] === 0) continue;
      const r1 = p.rows.res[k], r2 = s.rows.res[k];
      if (!(r2 > 0) || !(r1 > 0) || !(th[k] > 0)) return null;
      if (r2 >= r1) return null;
      const rate = Math.log(r2 / r1) / di;
      const need = Math.log(th[k] / r2) / rate;
      worst = Math.max(worst, need);
    }
    return worst;
  }
}
