/**
 * Host-side sparsity structure of CSR arrays: validation, sorting, duplicate summation,
 * transposition, and the gather-sum plans that move `data` accordingly. Structural work runs
 * once on the host; the plans (and device copies of the index arrays) are cached here and
 * shared by every array with this structure.
 *
 * @module
 */
import type { ArrayNamespace, ArrayObject } from "../array_api/types.ts";
import { fmtShape } from "../array_api/shapes.ts";
import { GatherSum } from "./_plan.ts";

/** Largest index and entry count representable in the int32 index arrays. */
export const INT32_MAX = 2 ** 31 - 1;

/** Throws the int32-limit `RangeError` when `value` exceeds it. */
export function checkInt32(value: number, what: string): void {
  if (value > INT32_MAX) {
    throw new RangeError(
      `${what} = ${value} exceeds the int32 limit 2^31 - 1 = ${INT32_MAX} of sparse index arrays`,
    );
  }
}

/** Result of a structural rewrite: the new structure and the plan that maps old data to new. */
export interface Rewrite {
  /** The new structure. */
  readonly structure: CsrStructure;
  /** Maps old `data` (last axis) to new `data`. */
  readonly plan: GatherSum;
}

/** Device copies of the index arrays on one namespace. */
interface DeviceIndex {
  indptr?: ArrayObject;
  indices?: ArrayObject;
  cols?: ArrayObject;
}

/** Per-namespace index arrays used by the portable SpMV. */
export interface SpmvPlan {
  /** Row sums over entries in CSR order (level 1 index: data positions, pad `nnz`). */
  readonly sum: GatherSum;
  /** Column (global for stacked, i.e. `block·N + j`) read by each level-1 slot; pad `B·N`. */
  readonly cols: Int32Array;
  /** Whether `cols` refers to the padding column. */
  readonly colPadded: boolean;
}

/**
 * A CSR sparsity structure of `B` blocks of `M × N` (`B` = 1 for the shared layout): `indptr`
 * has `B·M + 1` entries (global rows), `indices` holds block-local column numbers.
 */
export class CsrStructure {
  /** Rows per block. */
  readonly M: number;
  /** Columns per block. */
  readonly N: number;
  /** Number of blocks (1: shared layout). */
  readonly B: number;
  /** Row pointers (`B·M + 1`). */
  readonly indptr: Int32Array;
  /** Block-local column indices. */
  readonly indices: Int32Array;
  #canonical?: boolean;
  #sorted?: boolean;
  #rows?: Int32Array;
  #T?: { structure: CsrStructure; plan: GatherSum };
  #canon?: Rewrite;
  #sortedOnly?: Rewrite;
  #spmv?: SpmvPlan;
  #diag?: GatherSum;
  #dense?: GatherSum;
  readonly #dev = new WeakMap<object, DeviceIndex>();

  constructor(M: number, N: number, B: number, indptr: Int32Array, indices: Int32Array) {
    this.M = M;
    this.N = N;
    this.B = B;
    this.indptr = indptr;
    this.indices = indices;
  }

  /** Stored entries in total (all blocks). */
  get nnz(): number {
    return this.indices.length;
  }

  /** Global row of every entry. */
  get rows(): Int32Array {
    if (!this.#rows) this.#rows = expandRows(this.indptr, this.nnz);
    return this.#rows;
  }

  /** Whether column indices are strictly increasing within every row. */
  get canonical(): boolean {
    if (this.#canonical === undefined) this.#scan();
    return this.#canonical!;
  }

  /** Whether column indices are non-decreasing within every row. */
  get sorted(): boolean {
    if (this.#sorted === undefined) this.#scan();
    return this.#sorted!;
  }

  #scan(): void {
    let canonical = true, sorted = true;
    const { indptr, indices } = this;
    const R = indptr.length - 1;
    for (let r = 0; r < R && sorted; r++) {
      for (let p = indptr[r] + 1; p < indptr[r + 1]; p++) {
        if (indices[p] < indices[p - 1]) {
          sorted = false;
          canonical = false;
          break;
        }
        if (indices[p] === indices[p - 1]) canonical = false;
      }
    }
    this.#canonical = canonical;
    this.#sorted = sorted;
  }

  /** Canonical form (sorted, duplicates summed). Returns `this` with an identity plan when
   * already canonical. */
  canonicalize(): Rewrite {
    if (!this.#canon) {
      if (this.canonical) {
        this.#canon = { structure: this, plan: GatherSum.build(ones(this.nnz), null, this.nnz) };
      } else {
        this.#canon = sortGroup(
          this.B * this.M,
          this.N,
          this.M,
          this.B,
          this.rows,
          this.indices,
          true,
        );
      }
    }
    return this.#canon;
  }

  /** Sorted indices, duplicates kept. */
  sortIndices(): Rewrite {
    if (!this.#sortedOnly) {
      if (this.sorted) {
        this.#sortedOnly = {
          structure: this,
          plan: GatherSum.build(ones(this.nnz), null, this.nnz),
        };
      } else {
        this.#sortedOnly = sortGroup(
          this.B * this.M,
          this.N,
          this.M,
          this.B,
          this.rows,
          this.indices,
          false,
        );
      }
    }
    return this.#sortedOnly;
  }

  /** Transposed structure (`B` blocks of `N × M`) and the data permutation. */
  transpose(): { structure: CsrStructure; plan: GatherSum } {
    if (!this.#T) {
      const { M, N, B, indptr, indices } = this;
      const nnz = this.nnz;
      const RT = B * N;
      const ptrT = new Int32Array(RT + 1);
      for (let r = 0; r < B * M; r++) {
        const off = Math.floor(r / M) * N;
        for (let p = indptr[r]; p < indptr[r + 1]; p++) ptrT[off + indices[p] + 1]++;
      }
      for (let i = 0; i < RT; i++) ptrT[i + 1] += ptrT[i];
      const next = ptrT.slice(0, RT);
      const idxT = new Int32Array(nnz);
      const perm = new Int32Array(nnz);
      for (let r = 0; r < B * M; r++) {
        const b = Math.floor(r / M);
        const off = b * N, loc = r - b * M;
        for (let p = indptr[r]; p < indptr[r + 1]; p++) {
          const q = next[off + indices[p]]++;
          idxT[q] = loc;
          perm[q] = p;
        }
      }
      const T = new CsrStructure(N, M, B, ptrT, idxT);
      // Rows of the transpose are visited in increasing order: sorted; canonical iff this is.
      T.#sorted = true;
      if (this.#canonical !== undefined) T.#canonical = this.#canonical;
      const plan = GatherSum.build(ones(nnz), perm, nnz);
      T.#T = { structure: this, plan: GatherSum.build(ones(nnz), invert(perm), nnz) };
      this.#T = { structure: T, plan };
    }
    return this.#T;
  }

  /** Plan of the portable SpMV fallback. */
  spmvPlan(): SpmvPlan {
    if (!this.#spmv) {
      const { M, N, B, indptr, indices } = this;
      const R = B * M;
      const lens = new Int32Array(R);
      for (let r = 0; r < R; r++) lens[r] = indptr[r + 1] - indptr[r];
      const sum = GatherSum.build(lens, null, this.nnz);
      const idx = sum.levels[0].index;
      const cols = new Int32Array(idx.length);
      const nnz = this.nnz, pad = B * N;
      let colPadded = false;
      if (B === 1) {
        for (let s = 0; s < idx.length; s++) {
          const p = idx[s];
          if (p < nnz) cols[s] = indices[p];
          else {
            cols[s] = pad;
            colPadded = true;
          }
        }
      } else {
        const rows = this.rows;
        for (let s = 0; s < idx.length; s++) {
          const p = idx[s];
          if (p < nnz) cols[s] = Math.floor(rows[p] / M) * N + indices[p];
          else {
            cols[s] = pad;
            colPadded = true;
          }
        }
      }
      this.#spmv = { sum, cols, colPadded };
    }
    return this.#spmv;
  }

  /** Plan summing the stored entries of every diagonal position (`B·min(M, N)` outputs). */
  diagPlan(): GatherSum {
    if (!this.#diag) {
      const { M, N, B, indptr, indices } = this;
      const K = Math.min(M, N);
      const lens = new Int32Array(B * K);
      const mem: number[] = [];
      for (let b = 0; b < B; b++) {
        for (let i = 0; i < K; i++) {
          const r = b * M + i;
          for (let p = indptr[r]; p < indptr[r + 1]; p++) {
            if (indices[p] === i) {
              lens[b * K + i]++;
              mem.push(p);
            }
          }
        }
      }
      this.#diag = GatherSum.build(lens, Int32Array.from(mem), this.nnz);
    }
    return this.#diag;
  }

  /** Plan scattering entries into a dense `B·M·N` row-major layout (duplicates summed). */
  densePlan(): GatherSum {
    if (!this.#dense) {
      const { M, N, B, indptr, indices } = this;
      const total = B * M * N;
      checkInt32(total, `toDense: dense size ${B}·${M}·${N}`);
      const lens = new Int32Array(total);
      const R = B * M;
      for (let r = 0; r < R; r++) {
        for (let p = indptr[r]; p < indptr[r + 1]; p++) lens[r * N + indices[p]]++;
      }
      const start = new Int32Array(total + 1);
      for (let i = 0; i < total; i++) start[i + 1] = start[i] + lens[i];
      const mem = new Int32Array(this.nnz);
      const fill = start.slice(0, total);
      for (let r = 0; r < R; r++) {
        for (let p = indptr[r]; p < indptr[r + 1]; p++) mem[fill[r * N + indices[p]]++] = p;
      }
      this.#dense = GatherSum.build(lens, mem, this.nnz, 1);
    }
    return this.#dense;
  }

  /** Device copies (cached) of `indptr`, `indices` and the SpMV column map on `xp`. */
  device<A extends ArrayObject>(
    xp: ArrayNamespace<A>,
    which: "indptr" | "indices" | "cols",
  ): A {
    let d = this.#dev.get(xp);
    if (!d) {
      d = {};
      this.#dev.set(xp, d);
    }
    if (!d[which]) {
      const host = which === "indptr"
        ? this.indptr
        : which === "indices"
        ? this.indices
        : this.spmvPlan().cols;
      d[which] = xp.asarray(host, { dtype: "int32" });
    }
    return d[which] as A;
  }

  /** Disposes the device copies made for `xp` (they are rebuilt on demand). */
  release<A extends ArrayObject>(xp: ArrayNamespace<A>): void {
    const d = this.#dev.get(xp);
    if (d) {
      xp.dispose(...([d.indptr, d.indices, d.cols].filter((a) => a !== undefined) as A[]));
      this.#dev.delete(xp);
    }
    this.#spmv?.sum.release(xp);
    this.#diag?.release(xp);
    this.#dense?.release(xp);
  }

  /** Records known sortedness/canonicity (from the algorithm that built the structure). */
  mark(sorted: boolean | undefined, canonical: boolean | undefined): void {
    if (sorted !== undefined) this.#sorted = sorted;
    if (canonical !== undefined) this.#canonical = canonical;
  }

  /** Whether two structures hold the same pattern. */
  samePattern(o: CsrStructure): boolean {
    if (o === this) return true;
    if (o.M !== this.M || o.N !== this.N || o.B !== this.B || o.nnz !== this.nnz) return false;
    for (let i = 0; i < this.indptr.length; i++) if (o.indptr[i] !== this.indptr[i]) return false;
    for (let i = 0; i < this.nnz; i++) if (o.indices[i] !== this.indices[i]) return false;
    return true;
  }
}

function ones(n: number): Int32Array {
  return new Int32Array(n).fill(1);
}

function invert(perm: Int32Array): Int32Array {
  const inv = new Int32Array(perm.length);
  for (let i = 0; i < perm.length; i++) inv[perm[i]] = i;
  return inv;
}

/** Global row of each entry from row pointers. */
export function expandRows(indptr: Int32Array, nnz: number): Int32Array {
  const rows = new Int32Array(nnz);
  for (let r = 0; r + 1 < indptr.length; r++) rows.fill(r, indptr[r], indptr[r + 1]);
  return rows;
}

/**
 * Sorts entries `(rows[k], cols[k])` (global rows `< R`, block-local columns `< N`) by row,
 * then column (stable, counting sort: O(nnz + R + N)); with `merge`, equal positions become one
 * entry whose value is the sum. Returns the CSR structure and the data plan.
 */
export function sortGroup(
  R: number,
  N: number,
  M: number,
  B: number,
  rows: Int32Array,
  cols: Int32Array,
  merge: boolean,
): Rewrite {
  const nnz = rows.length;
  // Pass 1: stable counting sort by column.
  const cc = new Int32Array(N + 1);
  for (let k = 0; k < nnz; k++) cc[cols[k] + 1]++;
  for (let j = 0; j < N; j++) cc[j + 1] += cc[j];
  const byCol = new Int32Array(nnz);
  for (let k = 0; k < nnz; k++) byCol[cc[cols[k]]++] = k;
  // Pass 2: stable counting sort by row.
  const rc = new Int32Array(R + 1);
  for (let k = 0; k < nnz; k++) rc[rows[k] + 1]++;
  for (let r = 0; r < R; r++) rc[r + 1] += rc[r];
  const indptrSorted = rc.slice();
  const perm = new Int32Array(nnz);
  for (let t = 0; t < nnz; t++) {
    const k = byCol[t];
    perm[rc[rows[k]]++] = k;
  }
  if (!merge) {
    const indices = new Int32Array(nnz);
    for (let t = 0; t < nnz; t++) indices[t] = cols[perm[t]];
    const s = new CsrStructure(M, N, B, indptrSorted, indices);
    s.mark(true, undefined);
    return { structure: s, plan: GatherSum.build(ones(nnz), perm, nnz) };
  }
  const indptr = new Int32Array(R + 1);
  const lens: number[] = [];
  const idx: number[] = [];
  let t = 0;
  for (let r = 0; r < R; r++) {
    const end = indptrSorted[r + 1];
    while (t < end) {
      const c = cols[perm[t]];
      let len = 1;
      while (t + len < end && cols[perm[t + len]] === c) len++;
      idx.push(c);
      lens.push(len);
      t += len;
    }
    indptr[r + 1] = idx.length;
  }
  const s = new CsrStructure(M, N, B, indptr, Int32Array.from(idx));
  s.mark(true, true);
  return { structure: s, plan: GatherSum.build(Int32Array.from(lens), perm, nnz) };
}

/**
 * Validates CSR index arrays for `B` blocks of `M × N` (`shape` is only used in messages) and
 * returns the structure. Every violation is a `RangeError` naming the array, the position and
 * the value.
 */
export function validateCsr(
  M: number,
  N: number,
  B: number,
  indptr: Int32Array,
  indices: Int32Array,
  shape: readonly number[],
): CsrStructure {
  const R = B * M;
  if (indptr.length !== R + 1) {
    throw new RangeError(
      `indptr has ${indptr.length} entries but shape ${fmtShape(shape)} needs ` +
        (B === 1 ? `M + 1 = ${R + 1}` : `B·M + 1 = ${R + 1}`),
    );
  }
  if (indptr[0] !== 0) throw new RangeError(`indptr[0] = ${indptr[0]}, expected 0`);
  for (let r = 0; r < R; r++) {
    if (indptr[r + 1] < indptr[r]) {
      throw new RangeError(
        `indptr must be non-decreasing: indptr[${r}] = ${indptr[r]} > indptr[${r + 1}] = ${
          indptr[r + 1]
        }`,
      );
    }
  }
  if (indptr[R] !== indices.length) {
    throw new RangeError(
      `indptr[${R}] = ${indptr[R]} must equal the number of indices (${indices.length})`,
    );
  }
  for (let r = 0; r < R; r++) {
    for (let p = indptr[r]; p < indptr[r + 1]; p++) {
      const j = indices[p];
      if (j < 0 || j >= N) {
        throw new RangeError(
          `indices[${p}] = ${j} (row ${B === 1 ? r : `${r % M} of block ${Math.floor(r / M)}`})` +
            ` is out of range for ${N} columns`,
        );
      }
    }
  }
  return new CsrStructure(M, N, B, indptr, indices);
}
