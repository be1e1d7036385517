// Batch compaction: when few systems of a batch are still iterating, gather their state into a
// smaller batch so the remaining iterations cost in proportion to the active systems, not to
// the whole batch. Frozen (finished) systems keep their final values in the full-size arrays
// of the level they left; `restore` reassembles full-batch results with gathers (`take`), so no
// scatter is needed.
//
// Works when the operator and preconditioner either have no batch dimensions (one operator
// shared by every system) or have exactly the system batch and can select members of it
// (`selectBatch`: dense, diagonal/jacobi and shared-pattern sparse operators). Solvers enable it
// only without per-iteration callbacks or history (both are defined on the full batch).
import type { ArrayNamespace, ArrayObject } from "../array_api/types.ts";
import type { OperatorLike } from "./types.ts";
import type { PreparedSystem } from "./_prepare.ts";

/** Compact when at most this fraction of the current batch is active... */
const FRACTION = 0.25;
/** ...and at least this many systems would be dropped. */
const MIN_DROP = 8;

interface Level<A> {
  /** Full (pre-compaction) arrays of the names to reassemble, owned. */
  frozen: Record<string, A>;
  /** Host map: position in the level's batch → position in concat([frozen, next level]). */
  map: Int32Array;
}

function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** A view of a prepared system whose batch is flattened to one axis, plus the compactor. */
export interface CompactableSystem<A extends ArrayObject> {
  op: OperatorLike<A>;
  M: OperatorLike<A> | null;
  b: A;
  x: A;
  compactor: BatchCompactor<A> | null;
}

/** Sets up compaction for `sys` when possible (flattening the batch to `[nSys]`). */
export function compactable<A extends ArrayObject>(
  sys: PreparedSystem<A>,
  enabled: boolean,
): CompactableSystem<A> {
  const { xp, batch, nSys } = sys;
  const none = { op: sys.A, M: sys.M, b: sys.b, x: sys.x, compactor: null };
  if (!enabled || nSys < MIN_DROP * 2) return none;
  const ident = Int32Array.from({ length: nSys }, (_, i) => i);
  const flatOp = (o: OperatorLike<A> | null): OperatorLike<A> | null | undefined => {
    if (!o) return null;
    const ob = o.shape.slice(0, -2);
    if (ob.length === 0) return o;
    if (!shapesEqual(ob, batch) || typeof o.selectBatch !== "function") return undefined;
    try {
      return o.selectBatch(ident);
    } catch {
      return undefined;
    }
  };
  const op = flatOp(sys.A);
  const M = flatOp(sys.M);
  if (!op || M === undefined) return none;
  const b = xp.reshape(sys.b, [nSys, sys.m]);
  const x = xp.reshape(sys.x, [nSys, sys.n]);
  // the flat handle replaces sys.x (the solver owns it); b's flat view is the solver's to
  // dispose when the solve ends (sys.b may be the caller's array)
  if (x !== sys.x) xp.dispose(sys.x);
  return { op, M, b, x, compactor: new BatchCompactor(xp, nSys, sys.A, sys.M) };
}

/** Tracks compaction levels of one solve. */
export class BatchCompactor<A extends ArrayObject> {
  readonly xp: ArrayNamespace<A>;
  /** Current position → original (flattened) system index. */
  orig: Int32Array;
  private readonly levels: Level<A>[] = [];
  private readonly op0: OperatorLike<A>;
  private readonly M0: OperatorLike<A> | null;

  constructor(
    xp: ArrayNamespace<A>,
    nSys: number,
    op0: OperatorLike<A>,
    M0: OperatorLike<A> | null,
  ) {
    this.xp = xp;
    this.orig = Int32Array.from({ length: nSys }, (_, i) => i);
    this.op0 = op0;
    this.M0 = M0;
  }

  /** Whether any compaction happened. */
  get compacted(): boolean {
    return this.levels.length > 0;
  }

  /** Positions to keep when the batch should be compacted, given a host `active` row. */
  plan(active: Float64Array): Int32Array | null {
    const K = active.length;
    let n = 0;
    for (let i = 0; i < K; i++) if (active[i] !== 0) n++;
    if (n === 0 || n > K * FRACTION || K - n < MIN_DROP) return null;
    const keep = new Int32Array(n);
    for (let i = 0, j = 0; i < K; i++) if (active[i] !== 0) keep[j++] = i;
    return keep;
  }

  /**
   * Gathers every array of `state` (leading axis = current batch) to `keep`. Arrays named in
   * `frozen` are also retained whole for {@linkcode restore}; the others are disposed. Returns the
   * gathered state and the operators restricted to the kept systems.
   */
  compact(
    keep: Int32Array,
    state: Record<string, A>,
    frozen: readonly string[],
  ): { state: Record<string, A>; op: OperatorLike<A>; M: OperatorLike<A> | null } {
    const xp = this.xp;
    const K = this.orig.length;
    const idx = xp.asarray(keep, { dtype: "int32" });
    const out: Record<string, A> = {};
    const kept: Record<string, A> = {};
    for (const [name, a] of Object.entries(state)) {
      out[name] = xp.take(a, idx, { axis: 0 });
      if (frozen.includes(name)) kept[name] = a;
      else xp.dispose(a);
    }
    xp.dispose(idx);
    const map = Int32Array.from({ length: K }, (_, i) => i);
    keep.forEach((p, j) => (map[p] = K + j));
    this.levels.push({ frozen: kept, map });
    this.orig = Int32Array.from(keep, (p) => this.orig[p]);
    const sel = (o: OperatorLike<A> | null) =>
      !o ? null : o.shape.length > 2 ? o.selectBatch!(this.orig) : o;
    return { state: out, op: sel(this.op0)!, M: sel(this.M0) };
  }

  /** Reassembles full-batch arrays for the frozen names from their current (compact) values
   * (ownership of `current` is taken). */
  restore(current: Record<string, A>): Record<string, A> {
    const xp = this.xp;
    let cur = current;
    for (let l = this.levels.length - 1; l >= 0; l--) {
      const { frozen, map } = this.levels[l];
      const idx = xp.asarray(map, { dtype: "int32" });
      const next: Record<string, A> = {};
      for (const name of Object.keys(cur)) {
        const both = xp.concat([frozen[name], cur[name]], { axis: 0 });
        next[name] = xp.take(both, idx, { axis: 0 });
        xp.dispose(both, frozen[name], cur[name]);
      }
      xp.dispose(idx);
      cur = next;
    }
    this.levels.length = 0;
    return cur;
  }
}
