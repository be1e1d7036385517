/**
 * Gather-and-sum plans: the one data-movement primitive of the sparse layer.
 *
 * A plan maps a source vector `src` (length `srcLen`, along one axis of a batched array) to an
 * output of `outLen` groups, `out[g] = Σ_{k ∈ group g} src[member_k]`. Permutations (sorting,
 * transposition), duplicate summation, diagonal extraction, densification and the portable
 * SpMV fallback are all plans, evaluated with standard functions only:
 *
 * - level 1 gathers `src` (with one zero appended: the padding slot) into `groups·width` slots
 *   (`take`), reshapes to `(…, groups, width)` and sums the padded row axis;
 * - a group longer than `width` is split into several segments, whose partial sums are summed
 *   by the next level the same way, so one very long row never pads every other row (ELL
 *   padding stays bounded; no cumulative-sum differencing, which loses precision).
 *
 * Index arrays are built once on the host (`Int32Array`) and copied to each namespace lazily.
 *
 * @module
 */
import type { ArrayNamespace, ArrayObject } from "../array_api/types.ts";

/** One level of a plan. */
export interface SumLevel {
  /** `groups·width` source positions; `srcLen` is the zero padding slot. */
  readonly index: Int32Array;
  /** Slots summed per output segment. */
  readonly width: number;
  /** Outputs of this level. */
  readonly groups: number;
  /** Length of this level's input. */
  readonly srcLen: number;
  /** Whether `index` refers to the padding slot. */
  readonly padded: boolean;
  /** Whether the gather is the identity (`index[i] = i`, no padding): no `take` needed. */
  readonly identity: boolean;
}

/** Fixed cost of one more level, in element-operations (op launches are not free). */
const LEVEL_OVERHEAD = 8192;

/** Picks the segment width of one level for groups of the given lengths. */
export function chooseWidth(lengths: ArrayLike<number>): number {
  let maxLen = 0;
  for (let i = 0; i < lengths.length; i++) if (lengths[i] > maxLen) maxLen = lengths[i];
  if (maxLen <= 1) return 1;
  const cands: number[] = [maxLen];
  for (let w = 2; w < maxLen; w *= 2) cands.push(w);
  let best = maxLen, bestCost = Infinity;
  for (const w of cands) {
    let segs = 0;
    for (let i = 0; i < lengths.length; i++) segs += Math.max(1, Math.ceil(lengths[i] / w));
    const cost = segs * w + (w < maxLen ? 2 * segs + lengths.length + LEVEL_OVERHEAD : 0);
    if (cost < bestCost) {
      bestCost = cost;
      best = w;
    }
  }
  return best;
}

/**
 * A gather-and-sum plan (see the module documentation). Immutable; device copies of its index
 * arrays are cached per namespace.
 */
export class GatherSum {
  /** Levels, applied in order. */
  readonly levels: readonly SumLevel[];
  /** Length of the source axis. */
  readonly srcLen: number;
  /** Number of outputs. */
  readonly outLen: number;
  readonly #dev = new WeakMap<object, unknown[]>();

  private constructor(levels: SumLevel[], srcLen: number, outLen: number) {
    this.levels = levels;
    this.srcLen = srcLen;
    this.outLen = outLen;
  }

  /**
   * Builds a plan for groups of `lengths[g]` members; the members are numbered in group order
   * `0 … Σ lengths − 1` and member `k` reads `src[members[k]]` (`members` null: `src[k]`).
   * `width1` forces the first level's width.
   */
  static build(
    lengths: ArrayLike<number>,
    members: Int32Array | null,
    srcLen: number,
    width1?: number,
  ): GatherSum {
    const G = lengths.length;
    const levels: SumLevel[] = [];
    let lens: ArrayLike<number> = lengths;
    let mem: Int32Array | null = members;
    let src = srcLen;
    let first = true;
    for (;;) {
      const W = first && width1 !== undefined ? width1 : chooseWidth(lens);
      let S = 0;
      let maxSeg = 0;
      const segCount = new Int32Array(G);
      for (let g = 0; g < G; g++) {
        const s = Math.max(1, Math.ceil(lens[g] / W));
        segCount[g] = s;
        S += s;
        if (s > maxSeg) maxSeg = s;
      }
      if (S * W > 2 ** 31 - 1) {
        throw new RangeError(
          `sparse plan needs ${S * W} slots, more than the int32 limit 2^31 - 1`,
        );
      }
      const index = new Int32Array(S * W);
      let slot = 0, k = 0, padded = false;
      for (let g = 0; g < G; g++) {
        const L = lens[g];
        const s = segCount[g];
        for (let t = 0; t < s * W; t++) {
          if (t < L) index[slot++] = mem ? mem[k + t] : k + t;
          else {
            index[slot++] = src;
            padded = true;
          }
        }
        k += L;
      }
      let identity = !padded && W === 1 && index.length === src;
      if (identity) {
        for (let i = 0; i < index.length; i++) {
          if (index[i] !== i) {
            identity = false;
            break;
          }
        }
      }
      levels.push({ index, width: W, groups: S, srcLen: src, padded, identity });
      if (maxSeg <= 1) break;
      lens = segCount;
      mem = null;
      src = S;
      first = false;
    }
    return new GatherSum(levels, srcLen, G);
  }

  /** Whether applying the plan does nothing (identity permutation). */
  get isIdentity(): boolean {
    return this.levels.length === 1 && this.levels[0].identity;
  }

  /** Device copy of level `i`'s index array on `xp` (cached). */
  indexOn<A extends ArrayObject>(xp: ArrayNamespace<A>, i: number): A {
    let arr = this.#dev.get(xp) as A[] | undefined;
    if (!arr) {
      arr = [];
      this.#dev.set(xp, arr);
    }
    if (!arr[i]) arr[i] = xp.asarray(this.levels[i].index, { dtype: "int32" });
    return arr[i];
  }

  /** Drops (and disposes) the device copies made for `xp`. */
  release<A extends ArrayObject>(xp: ArrayNamespace<A>): void {
    const arr = this.#dev.get(xp) as A[] | undefined;
    if (arr) {
      xp.dispose(...arr.filter((a) => a !== undefined));
      this.#dev.delete(xp);
    }
  }

  /**
   * Applies the plan along axis `-(1 + tail)` of `values` (`tail` = 0: last axis; 1: the
   * axis before the last). `from` = 1 starts after level 1's gather (`values` already hold
   * level 1's `groups·width` slots). Returns a new array (never `values` itself unless the
   * plan is the identity and `from` is 0).
   */
  apply<A extends ArrayObject>(
    xp: ArrayNamespace<A>,
    values: A,
    tail: 0 | 1,
    from: 0 | 1 = 0,
  ): A {
    let v = values;
    const temps: A[] = [];
    const axis = values.ndim - 1 - tail;
    for (let li = 0; li < this.levels.length; li++) {
      const lv = this.levels[li];
      if (li > 0 || from === 0) {
        if (!lv.identity) {
          let src = v;
          if (lv.padded) {
            const zshape = v.shape.slice();
            zshape[axis] = 1;
            const z = xp.zeros(zshape, { dtype: v.dtype });
            src = xp.concat([v, z], { axis });
            temps.push(z, src);
          }
          const g = xp.take(src, this.indexOn(xp, li), { axis });
          if (v !== values) temps.push(v);
          v = g;
        }
      }
      if (lv.width > 1) {
        const shp = v.shape.slice(0, axis);
        shp.push(lv.groups, lv.width, ...v.shape.slice(axis + 1));
        const r = xp.reshape(v, shp);
        const s = xp.sum(r, { axis: axis + 1, dtype: v.dtype });
        if (v !== values) temps.push(v);
        if (r !== v && r !== values) temps.push(r);
        v = s;
      }
    }
    xp.dispose(...temps.filter((t) => t !== v && t !== values));
    return v;
  }
}
