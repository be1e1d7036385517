/**
 * Compressed sparse row arrays, batched: `CsrArray` and its factory `csrArray`.
 *
 * @module
 */
import type {
  ArrayNamespace,
  ArrayObject,
  CsrData,
  DType,
  NestedSequence,
  Shape,
} from "../array_api/types.ts";
import type { OperatorLike } from "../linalg/types.ts";
import { checkShape, fmtShape, shapesEqual, shapeSize } from "../array_api/shapes.ts";
import { isArrayObject } from "../array_api/namespace_of.ts";
import { cpu, type CpuArray } from "../backends/cpu/mod.ts";
import { checkInt32, type CsrStructure, sortGroup, validateCsr } from "./_structure.ts";
import { csrApply, ellOf } from "./_spmv.ts";
import {
  checkDataDType,
  denseToCoo,
  describe,
  hostDense,
  type IndexInput,
  parseNested,
  resolveXp,
  toDataArray,
  toIndexArray,
} from "./_input.ts";
import { CooArray } from "./coo_array.ts";

/**
 * How the matrices of a batch share their sparsity pattern: `"shared"` (one pattern, `data`
 * is `[...batch, nnz]`) or `"stacked"` (a 1-D batch of different patterns stored as one
 * block-diagonal CSR, `data` is `[nnz_total]`). See `CsrData` in `array_api/types.ts`.
 *
 * @example
 * ```ts
 * import type { SparseLayout } from "./csr_array.ts";
 * const l: SparseLayout = "shared";
 * ```
 */
export type SparseLayout = "shared" | "stacked";

/**
 * Values accepted for `data`: an array of the namespace, nested JS arrays, or a typed array
 * (`[...batch, nnz]`, or flat with `prod(batch)·nnz` values when `shape` is given).
 *
 * @example
 * ```ts
 * import type { DataInput } from "./csr_array.ts";
 * const d: DataInput<never> = new Float64Array([1, 2, 3]);
 * ```
 */
export type DataInput<A> = A | NestedSequence | ArrayBufferView | readonly number[];

/**
 * CSR input: `indptr` (`M + 1` row pointers), `indices` (column of each stored entry), `data`.
 *
 * @example
 * ```ts
 * import type { CsrInput } from "./csr_array.ts";
 * const a: CsrInput<never> = { indptr: [0, 1, 2], indices: [0, 1], data: [1, 2] };
 * ```
 */
export interface CsrInput<A> {
  /** Values, `[...batch, nnz]`. */
  readonly data: DataInput<A>;
  /** Column index of each stored entry (host integers). */
  readonly indices: IndexInput;
  /** Row pointers, `M + 1` non-decreasing host integers starting at 0. */
  readonly indptr: IndexInput;
}

/**
 * COO input: the row and column of each stored entry and its value (duplicates allowed).
 *
 * @example
 * ```ts
 * import type { CooInput } from "./csr_array.ts";
 * const a: CooInput<never> = { row: [0, 1], col: [1, 0], data: [5, 6] };
 * ```
 */
export interface CooInput<A> {
  /** Row of each stored entry (host integers). */
  readonly row: IndexInput;
  /** Column of each stored entry (host integers). */
  readonly col: IndexInput;
  /** Values, `[...batch, nnz]`. */
  readonly data: DataInput<A>;
}

/**
 * Options of the sparse factories.
 *
 * @example
 * ```ts
 * import type { SparseOptions } from "./csr_array.ts";
 * const o: SparseOptions<never> = { shape: [4, 4], dtype: "float32" };
 * ```
 */
export interface SparseOptions<A extends ArrayObject> {
  /** `[...batch, M, N]`; inferred when absent (batch from `data`, `M`/`N` from the indices). */
  readonly shape?: Shape;
  /** Namespace of `data` (default: the namespace of `data` when it is an array, else `cpu`). */
  readonly xp?: ArrayNamespace<A>;
  /** Data type of the values (default: that of `data`; nested numbers give the namespace's
   * default real floating dtype). */
  readonly dtype?: DType;
}

/**
 * What the product methods (`matvec`, `matmat`, `rmatvec`, `rmatmat`) accept: an array of the
 * operator's namespace, or host data (nested JS arrays, typed arrays) converted with `asarray`.
 *
 * @example
 * ```ts
 * import type { ProductInput } from "./csr_array.ts";
 * const x: ProductInput<never> = [1, 2, 3];
 * ```
 */
export type ProductInput<A> = A | NestedSequence | ArrayBufferView;

/**
 * A batch of sparse matrices in compressed sparse row form, shape `[...batch, M, N]`.
 *
 * The structure (`indptr`, `indices`) lives on the host as `Int32Array`s; `data` is an array of
 * the namespace `xp`. With the `"shared"` layout every matrix of the batch has the same
 * pattern and `data` is `[...batch, nnz]` (many systems on one mesh); with the `"stacked"`
 * layout (made by {@linkcode stackSparse}) a 1-D batch of matrices with different patterns is
 * stored as one block-diagonal CSR and `data` is `[nnz_total]`.
 *
 * Instances are immutable: every method returns a new array (or a cached one). It implements
 * `OperatorLike`, so solvers and `aslinearoperator` accept it; products broadcast batch
 * dimensions like SciPy 1.18 (operator batch `(5,)` with vector batch `(3, 1)` gives `(3, 5)`).
 *
 * @example
 * ```ts
 * import { csrArray } from "./csr_array.ts";
 * import { cpu } from "../backends/cpu/mod.ts";
 * const A = csrArray({ indptr: [0, 2, 3], indices: [0, 1, 1], data: [4, 1, 3] }, { shape: [2, 2] });
 * const y = A.matvec(cpu.asarray([1, 1]));
 * console.log(await cpu.toHost(y)); // Float64Array [5, 3]
 * ```
 */
export class CsrArray<A extends ArrayObject = ArrayObject> implements OperatorLike<A> {
  /** Storage format tag. */
  readonly format: "csr" = "csr";
  /** `[...batch, M, N]`. */
  readonly shape: readonly number[];
  /** Data type of the values (and of products with inputs of the same dtype). */
  readonly dtype: DType;
  /** Namespace of `data` and of the arrays the products consume and return. */
  readonly xp: ArrayNamespace<A>;
  /** Stored values: `[...batch, nnz]` (shared layout) or `[nnz]` (stacked layout). */
  readonly data: A;
  /** `"shared"` (one pattern for the batch) or `"stacked"` (block-diagonal, one per matrix). */
  readonly layout: SparseLayout;
  /** @ignore */
  readonly _s: CsrStructure;
  #ell?: A;
  #T?: CsrArray<A>;

  /** @ignore Internal: use {@linkcode csrArray}. */
  constructor(xp: ArrayNamespace<A>, s: CsrStructure, data: A) {
    this.xp = xp;
    this._s = s;
    this.data = data;
    this.dtype = data.dtype;
    if (s.B > 1) {
      if (data.ndim !== 1 || data.shape[0] !== s.nnz) {
        throw new RangeError(
          `stacked CSR data must have shape (${s.nnz},), got ${fmtShape(data.shape)}`,
        );
      }
      this.layout = "stacked";
      this.shape = [s.B, s.M, s.N];
    } else {
      if (data.ndim < 1 || data.shape[data.ndim - 1] !== s.nnz) {
        throw new RangeError(
          `CSR data must have shape (..., ${s.nnz}) for ${s.nnz} stored entries, got ${
            fmtShape(data.shape)
          }`,
        );
      }
      this.layout = "shared";
      this.shape = [...data.shape.slice(0, -1), s.M, s.N];
    }
  }

  /** Row pointers (host, `M + 1` entries; `B·M + 1` for the stacked layout). Do not mutate. */
  get indptr(): Int32Array {
    return this._s.indptr;
  }

  /** Column index of each stored entry (host; block-local for the stacked layout). Do not
   * mutate. */
  get indices(): Int32Array {
    return this._s.indices;
  }

  /** Stored entries per matrix (shared layout) or in total (stacked layout), explicit zeros
   * and duplicates included. */
  get nnz(): number {
    return this._s.nnz;
  }

  /** Number of axes (`shape.length`). */
  get ndim(): number {
    return this.shape.length;
  }

  /** Batch shape (`shape` without the last two axes). */
  get batchShape(): number[] {
    return this.shape.slice(0, -2);
  }

  /** Whether indices are sorted within each row and there are no duplicates. */
  get hasCanonicalFormat(): boolean {
    return this._s.canonical;
  }

  /** Whether indices are sorted within each row (duplicates allowed). */
  get hasSortedIndices(): boolean {
    return this._s.sorted;
  }

  /** The transpose (last two axes swapped, batch axes kept); cached. */
  get T(): CsrArray<A> {
    return this.transpose();
  }

  /**
   * The transpose: `[...batch, N, M]`, batch axes kept. The structure is transposed on the host
   * once and `data` permuted with one `take`; the result is cached (and its `.T` is `this`).
   *
   * @example
   * ```ts
   * import { csrArray } from "./csr_array.ts";
   * const A = csrArray([[1, 2], [0, 3]]);
   * console.log(A.T.indices); // Int32Array [0, 0, 1]
   * ```
   */
  transpose(): CsrArray<A> {
    if (!this.#T) {
      const { structure, plan } = this._s.transpose();
      const T = new CsrArray(this.xp, structure, plan.apply(this.xp, this.data, 0));
      T.#T = this;
      this.#T = T;
    }
    return this.#T;
  }

  /**
   * Canonical form: indices sorted within rows and duplicates summed (explicit zeros kept, as
   * in SciPy). Returns `this` when already canonical. Unlike SciPy's in-place
   * `sum_duplicates`, this returns a new array.
   *
   * @example
   * ```ts
   * import { csrArray } from "./csr_array.ts";
   * const A = csrArray({ indptr: [0, 3], indices: [1, 0, 1], data: [1, 2, 3] }, { shape: [1, 2] });
   * console.log(A.sumDuplicates().indices); // Int32Array [0, 1]
   * ```
   */
  sumDuplicates(): CsrArray<A> {
    const { structure, plan } = this._s.canonicalize();
    if (structure === this._s) return this;
    return new CsrArray(this.xp, structure, plan.apply(this.xp, this.data, 0));
  }

  /**
   * Indices sorted within each row (duplicates kept, stable). Returns `this` when sorted.
   *
   * @example
   * ```ts
   * import { csrArray } from "./csr_array.ts";
   * const A = csrArray({ indptr: [0, 2], indices: [1, 0], data: [1, 2] }, { shape: [1, 2] });
   * console.log(A.sortIndices().indices); // Int32Array [0, 1]
   * ```
   */
  sortIndices(): CsrArray<A> {
    const { structure, plan } = this._s.sortIndices();
    if (structure === this._s) return this;
    return new CsrArray(this.xp, structure, plan.apply(this.xp, this.data, 0));
  }

  /**
   * Main diagonal, `[...batch, min(M, N)]` (duplicates summed, missing entries 0).
   *
   * @example
   * ```ts
   * import { csrArray } from "./csr_array.ts";
   * import { cpu } from "../backends/cpu/mod.ts";
   * console.log(await cpu.toHost(csrArray([[4, 1], [1, 3]]).diagonal())); // Float64Array [4, 3]
   * ```
   */
  diagonal(): A {
    const s = this._s;
    const d = s.diagPlan().apply(this.xp, this.data, 0);
    if (s.B > 1) return this.xp.reshape(d, [s.B, Math.min(s.M, s.N)]);
    return d;
  }

  /**
   * Dense copy, `[...batch, M, N]` (duplicates summed).
   *
   * @example
   * ```ts
   * import { csrArray } from "./csr_array.ts";
   * import { cpu } from "../backends/cpu/mod.ts";
   * const A = csrArray({ indptr: [0, 1, 1], indices: [1], data: [7] }, { shape: [2, 2] });
   * console.log(await cpu.toHost(A.toDense())); // Float64Array [0, 7, 0, 0]
   * ```
   */
  toDense(): A {
    const s = this._s;
    const flat = s.densePlan().apply(this.xp, this.data, 0);
    const out = this.xp.reshape(flat, this.shape);
    return out;
  }

  /**
   * The same matrices in COO form (shares `data`; shared layout only).
   *
   * @example
   * ```ts
   * import { csrArray } from "./csr_array.ts";
   * console.log(csrArray([[0, 5], [6, 0]]).toCoo().row); // Int32Array [0, 1]
   * ```
   */
  toCoo(): CooArray<A> {
    const s = this._s;
    if (s.B > 1) {
      throw new TypeError(
        "toCoo: a stacked CSR array (different pattern per matrix) has no shared-pattern COO " +
          "form; use unstack() to get the matrices",
      );
    }
    return CooArray._make(this.xp, s.rows, s.indices, this.data, this.shape);
  }

  /**
   * Returns `this` (for symmetry with `CooArray.toCsr`).
   *
   * @example
   * ```ts
   * import { csrArray } from "./csr_array.ts";
   * const A = csrArray([[1]]);
   * console.log(A.toCsr() === A); // true
   * ```
   */
  toCsr(): CsrArray<A> {
    return this;
  }

  /**
   * The matrices of a stacked array (or of a shared batch, flattened) as separate 2-D CSR
   * arrays.
   *
   * @example
   * ```ts
   * import { csrArray, stackSparse } from "./mod.ts";
   * const S = stackSparse([csrArray([[1, 0], [0, 1]]), csrArray([[0, 2], [3, 0]])]);
   * console.log(S.unstack()[1].indices); // Int32Array [1, 0]
   * ```
   */
  unstack(): CsrArray<A>[] {
    const s = this._s, xp = this.xp;
    const out: CsrArray<A>[] = [];
    if (s.B > 1) {
      for (let b = 0; b < s.B; b++) {
        const p0 = s.indptr[b * s.M], p1 = s.indptr[(b + 1) * s.M];
        const ptr = new Int32Array(s.M + 1);
        for (let i = 0; i <= s.M; i++) ptr[i] = s.indptr[b * s.M + i] - p0;
        const sb = validateCsr(s.M, s.N, 1, ptr, s.indices.slice(p0, p1), [s.M, s.N]);
        const idx = xp.arange(p0, p1, 1, { dtype: "int32" });
        out.push(new CsrArray(xp, sb, xp.take(this.data, idx, { axis: 0 })));
        xp.dispose(idx);
      }
      return out;
    }
    const nb = shapeSize(this.batchShape);
    const flat = xp.reshape(this.data, [nb, s.nnz]);
    for (let b = 0; b < nb; b++) {
      const idx = xp.asarray(new Int32Array([b]), { dtype: "int32" });
      const row = xp.take(flat, idx, { axis: 0 });
      out.push(new CsrArray(xp, s, xp.reshape(row, [s.nnz])));
      xp.dispose(idx);
    }
    return out;
  }

  /**
   * Same pattern with values converted to `dtype` (returns `this` when it already matches).
   *
   * @example
   * ```ts
   * import { csrArray } from "./csr_array.ts";
   * console.log(csrArray([[1, 2]]).astype("float32").dtype); // float32
   * ```
   */
  astype(dtype: DType): CsrArray<A> {
    if (dtype === this.dtype) return this;
    checkDataDType(this.xp, dtype, "astype");
    return new CsrArray(this.xp, this._s, this.xp.astype(this.data, dtype));
  }

  /**
   * Same pattern, new values: `data` is `[...batch, nnz]` for any batch shape (shared layout;
   * the batch may differ from this array's) or `[nnz_total]` (stacked layout). Host input is
   * converted with this array's dtype. Structure, plans and device index copies are shared,
   * so this is the cheap way to make per-batch scalings or many systems on one mesh.
   *
   * @example
   * ```ts
   * import { csrArray } from "./csr_array.ts";
   * const A = csrArray([[2, -1], [-1, 2]]);
   * const B = A.withData([[2, -1, -1, 2], [4, -2, -2, 4]]); // a batch of 2 scalings
   * console.log(B.shape); // [2, 2, 2]
   * ```
   */
  withData(data: DataInput<A>): CsrArray<A> {
    const label = "withData";
    const dt = isArrayObject(data) ? undefined : this.dtype;
    if (isArrayObject(data) && data.__array_namespace__() !== this.xp) {
      throw new TypeError(
        `${label}: data belongs to namespace ${data.__array_namespace__().name}, ` +
          `the array to ${this.xp.name}`,
      );
    }
    const arr = toDataArray(this.xp, data, dt, label);
    const s = this._s;
    const ok = s.B > 1
      ? arr.ndim === 1 && arr.shape[0] === s.nnz
      : arr.ndim >= 1 && arr.shape[arr.ndim - 1] === s.nnz;
    if (!ok) {
      throw new RangeError(
        `${label}: data has shape ${fmtShape(arr.shape)} but the pattern has ${s.nnz} stored ` +
          `entries: expected ${s.B > 1 ? `(${s.nnz},)` : `(..., ${s.nnz})`}`,
      );
    }
    return new CsrArray(this.xp, s, arr);
  }

  /**
   * Some members of a shared-pattern batch: `index` holds positions in the row-major flattened
   * batch; the result has batch shape `[index.length]` and shares this pattern (solvers use it
   * to compact a batch when few systems are still iterating). Stacked batches (different
   * patterns) and unbatched arrays are a `TypeError`; an index out of range a `RangeError`.
   *
   * @example
   * ```ts
   * import { csrArray } from "./csr_array.ts";
   * const A = csrArray([[2, 0], [0, 2]]).withData([[1, 1], [2, 2], [3, 3]]);
   * console.log(A.selectBatch(Int32Array.of(2, 0)).shape); // [2, 2, 2]
   * ```
   */
  selectBatch(index: Int32Array): CsrArray<A> {
    const xp = this.xp;
    if (this.layout !== "shared" || this.data.ndim < 2) {
      throw new TypeError(
        `selectBatch needs a shared-pattern batch; this array has shape ${
          fmtShape(this.shape)
        } and layout ${this.layout}`,
      );
    }
    const nb = this.data.shape.slice(0, -1).reduce((p, d) => p * d, 1);
    for (const i of index) {
      if (!Number.isInteger(i) || i < 0 || i >= nb) {
        throw new RangeError(`selectBatch: index ${i} out of range for a batch of ${nb}`);
      }
    }
    const flat = xp.reshape(this.data, [nb, this.data.shape[this.data.ndim - 1]]);
    const idx = xp.asarray(index, { dtype: "int32" });
    const data = xp.take(flat, idx, { axis: 0 });
    xp.dispose(idx);
    if (flat !== this.data) xp.dispose(flat);
    return new CsrArray(xp, this._s, data);
  }

  /**
   * Copies the array to another namespace (asynchronous: the values are read back from this
   * one). The host structure is shared; the target's index copies are made on first use.
   *
   * @example
   * ```ts
   * import { csrArray } from "./csr_array.ts";
   * import { cpu } from "../backends/cpu/mod.ts";
   * const B = await csrArray([[1, 2]]).to(cpu, { dtype: "float32" });
   * console.log(B.dtype); // float32
   * ```
   */
  async to<B extends ArrayObject>(
    xp: ArrayNamespace<B>,
    options: { dtype?: DType } = {},
  ): Promise<CsrArray<B>> {
    const dtype = options.dtype ?? this.dtype;
    checkDataDType(xp as ArrayNamespace<ArrayObject>, dtype, "to");
    const host = await this.xp.toHost(this.data);
    const arr = xp.reshape(xp.asarray(host, { dtype }), this.data.shape);
    return new CsrArray(xp, this._s, arr);
  }

  /**
   * The kernel view handed to `xp.csrMatvec` (device index copies are cached).
   *
   * @example
   * ```ts
   * import { csrArray } from "./csr_array.ts";
   * console.log(csrArray([[1, 0], [2, 3]]).toCsrData().nnz); // 3
   * ```
   */
  toCsrData(): CsrData<A> {
    const s = this._s;
    return {
      shape: this.shape,
      layout: this.layout,
      nnz: s.nnz,
      indptr: s.device(this.xp, "indptr"),
      indices: s.device(this.xp, "indices"),
      data: this.data,
    };
  }

  #operand() {
    const s = this._s;
    return {
      xp: this.xp,
      s,
      data: this.data,
      batch: s.B > 1 ? [s.B] : this.shape.slice(0, -2),
      shape: this.shape,
      ell: (): A => {
        if (!this.#ell) this.#ell = ellOf(this.xp, s, this.data);
        return this.#ell;
      },
    };
  }

  /**
   * `A @ x` for `x` of shape `[...batchX, N]` → `[...broadcast(batch, batchX), M]`. Uses the
   * namespace's `csrMatvec` kernel when it has one, otherwise a portable gather-and-sum.
   * `out` is donated (see `OperatorLike`): use the returned array.
   *
   * @example
   * ```ts
   * import { csrArray } from "./csr_array.ts";
   * import { cpu } from "../backends/cpu/mod.ts";
   * const A = csrArray([[2, 0], [1, 1]]).withData([[2, 1, 1], [4, 2, 2], [6, 3, 3]]);
   * const y = A.matvec(cpu.asarray([1, 1]));           // batch (3,)
   * console.log(y.shape, await cpu.toHost(y)); // [3, 2] Float64Array [2, 2, 4, 4, 6, 6]
   * ```
   */
  matvec(x: ProductInput<A>, out?: A): A {
    return csrApply(this.#operand(), x, { mat: false, out, label: "CsrArray.matvec" });
  }

  /**
   * `A @ X` for `X` of shape `[...batchX, N, K]` → `[..., M, K]` (batch axes broadcast).
   *
   * @example
   * ```ts
   * import { csrArray } from "./csr_array.ts";
   * import { cpu } from "../backends/cpu/mod.ts";
   * const Y = csrArray([[1, 2], [0, 3]]).matmat(cpu.asarray([[1, 0], [0, 1]]));
   * console.log(await cpu.toHost(Y)); // Float64Array [1, 2, 0, 3]
   * ```
   */
  matmat(x: ProductInput<A>, out?: A): A {
    return csrApply(this.#operand(), x, { mat: true, out, label: "CsrArray.matmat" });
  }

  /**
   * `Aᴴ @ x` (real data: `Aᵀ x`) for `x` of shape `[...batchX, M]` → `[..., N]`, through the
   * cached transpose (no dense transpose).
   *
   * @example
   * ```ts
   * import { csrArray } from "./csr_array.ts";
   * import { cpu } from "../backends/cpu/mod.ts";
   * console.log(await cpu.toHost(csrArray([[1, 2], [0, 3]]).rmatvec(cpu.asarray([1, 1])))); // [1, 5]
   * ```
   */
  rmatvec(x: ProductInput<A>, out?: A): A {
    return csrApply(this.transpose().#operand(), x, {
      mat: false,
      out,
      label: "CsrArray.rmatvec",
    });
  }

  /**
   * `Aᴴ @ X` for `X` of shape `[...batchX, M, K]` → `[..., N, K]`.
   *
   * @example
   * ```ts
   * import { csrArray } from "./csr_array.ts";
   * import { cpu } from "../backends/cpu/mod.ts";
   * const Y = csrArray([[1, 2], [0, 3]]).rmatmat(cpu.asarray([[1], [1]]));
   * console.log(await cpu.toHost(Y)); // Float64Array [1, 5]
   * ```
   */
  rmatmat(x: ProductInput<A>, out?: A): A {
    return csrApply(this.transpose().#operand(), x, {
      mat: true,
      out,
      label: "CsrArray.rmatmat",
    });
  }

  /**
   * Releases the values and cached device arrays of this array (and the index copies on its
   * namespace, which other arrays of the same pattern rebuild on demand). Do not use the
   * array afterwards.
   *
   * @example
   * ```ts
   * import { csrArray } from "./csr_array.ts";
   * csrArray([[1]]).dispose();
   * ```
   */
  dispose(): void {
    const extra = this.#ell && this.#ell !== this.data ? [this.#ell] : [];
    this.xp.dispose(this.data, ...extra);
    this.#ell = undefined;
    this._s.release(this.xp);
    this.#T = undefined;
  }

  /** A short description: format, dtype, shape, stored entries, layout, namespace. */
  toString(): string {
    return `<CsrArray ${this.dtype} ${fmtShape(this.shape)}, ${this.nnz} stored entries` +
      `${this.layout === "shared" && this.ndim > 2 ? " per matrix (shared pattern)" : ""}` +
      `${this.layout === "stacked" ? " in total (stacked patterns)" : ""}, on ${this.xp.name}>`;
  }
}

/** Resolves and checks the `[...batch, M, N]` shape for given index extents and data. */
export function resolveShape(
  options: { shape?: Shape },
  M: number | undefined,
  N: number,
  data: ArrayObject,
  nnz: number,
  label: string,
): { batch: number[]; M: number; N: number } {
  if (options.shape !== undefined) {
    const shape = checkShape(options.shape, "shape");
    if (shape.length < 2) {
      throw new RangeError(`${label}: shape ${fmtShape(shape)} must have at least 2 axes`);
    }
    const Ms = shape[shape.length - 2], Ns = shape[shape.length - 1];
    checkInt32(Ms, `${label}: number of rows M`);
    checkInt32(Ns, `${label}: number of columns N`);
    return { batch: shape.slice(0, -2), M: Ms, N: Ns };
  }
  if (M === undefined) throw new RangeError(`${label}: cannot infer the shape; pass options.shape`);
  checkInt32(M, `${label}: number of rows M`);
  checkInt32(N, `${label}: number of columns N`);
  const batch = data.ndim >= 1 && data.shape[data.ndim - 1] === nnz ? data.shape.slice(0, -1) : [];
  return { batch: [...batch], M, N };
}

/** Reshapes (or checks) data to `[...batch, nnz]`. */
export function shapeData<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
  data: A,
  batch: number[],
  nnz: number,
  label: string,
  shape: Shape,
): A {
  const want = [...batch, nnz];
  if (shapesEqual(data.shape, want)) return data;
  if (data.ndim === 1 && data.size === shapeSize(want)) return xp.reshape(data, want);
  throw new RangeError(
    `${label}: data has shape ${fmtShape(data.shape)} but shape ${fmtShape(shape)} with ${nnz} ` +
      `stored entries needs ${fmtShape(want)} (or ${shapeSize(want)} values flat)`,
  );
}

function maxPlusOne(a: Int32Array): number {
  let m = -1;
  for (let i = 0; i < a.length; i++) if (a[i] > m) m = a[i];
  return m + 1;
}

/** Builds a canonical CSR from COO triplets (host indices, data on `xp`). */
export function csrFromCoo<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
  row: Int32Array,
  col: Int32Array,
  data: A,
  shape: { batch: number[]; M: number; N: number },
  label: string,
): CsrArray<A> {
  const { M, N } = shape;
  if (row.length !== col.length) {
    throw new RangeError(`${label}: row has ${row.length} entries but col has ${col.length}`);
  }
  for (let k = 0; k < row.length; k++) {
    if (row[k] >= M) {
      throw new RangeError(`${label}: row[${k}] = ${row[k]} is out of range for ${M} rows`);
    }
    if (col[k] >= N) {
      throw new RangeError(`${label}: col[${k}] = ${col[k]} is out of range for ${N} columns`);
    }
  }
  const { structure, plan } = sortGroup(M, N, M, 1, row, col, true);
  const d = plan.isIdentity ? data : plan.apply(xp, data, 0);
  return new CsrArray(xp, structure, d);
}

/** Shared implementation of dense → CSR from host values. */
export function csrFromHostDense<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
  dense: ReturnType<typeof parseNested>,
  options: SparseOptions<A>,
  label: string,
  defaultDType: DType | undefined,
): CsrArray<A> {
  const c = denseToCoo(dense);
  if (options.shape !== undefined && !shapesEqual(checkShape(options.shape), dense.shape)) {
    throw new RangeError(
      `${label}: options.shape ${fmtShape(options.shape)} does not match the dense input's ` +
        `shape ${fmtShape(dense.shape)}`,
    );
  }
  checkInt32(c.M, `${label}: number of rows M`);
  checkInt32(c.N, `${label}: number of columns N`);
  const dtype = options.dtype ?? defaultDType ??
    xp.__array_namespace_info__().default_dtypes()["real floating"];
  const data = toDataArray(xp, c.data, dtype, label);
  const d2 = c.batch.length === 0 ? data : xp.reshape(data, [...c.batch, c.row.length]);
  const ptr = new Int32Array(c.M + 1);
  for (let k = 0; k < c.row.length; k++) ptr[c.row[k] + 1]++;
  for (let i = 0; i < c.M; i++) ptr[i + 1] += ptr[i];
  const s = validateCsr(c.M, c.N, 1, ptr, c.col, dense.shape);
  s.mark(true, true);
  return new CsrArray(xp, s, d2);
}

/**
 * Creates a {@linkcode CsrArray}.
 *
 * `input` is one of
 * - `{ indptr, indices, data }` (CSR; kept as given — call `sumDuplicates()` for the canonical
 *   form when indices may be unsorted or repeated),
 * - `{ row, col, data }` (COO triplets; converted to canonical CSR, duplicates summed),
 * - a dense matrix or batch as nested JS arrays (`[...batch, M, N]`; the pattern is the union
 *   of the nonzeros over the batch),
 * - a `CooArray` or `CsrArray`,
 * - a dense namespace array: then the values must be read back, so the result is a
 *   **Promise**.
 *
 * `data` is `[...batch, nnz]` (batch axes share one pattern) as an array of the namespace,
 * nested JS arrays, or a typed array. Structure violations (indptr not monotone, index out of
 * range, wrong lengths) and sizes beyond the int32 index limit are `RangeError`s.
 *
 * @example
 * ```ts
 * import { csrArray } from "./csr_array.ts";
 * import { cpu } from "../backends/cpu/mod.ts";
 * const A = csrArray({ row: [0, 1, 1], col: [1, 0, 0], data: [5, 1, 2] }, { shape: [2, 2] });
 * console.log(A.indptr, A.indices); // Int32Array [0, 1, 2] Int32Array [1, 0]
 * const D = await csrArray(cpu.asarray([[0, 1], [2, 0]]));
 * console.log(D.nnz); // 2
 * ```
 */
export function csrArray<A extends ArrayObject>(
  input: CsrInput<A> & { readonly data: A } | CooInput<A> & { readonly data: A },
  options?: SparseOptions<A>,
): CsrArray<A>;
/** Converts another sparse array (same namespace). */
export function csrArray<A extends ArrayObject>(
  input: CsrArray<A> | CooArray<A>,
  options?: SparseOptions<A>,
): CsrArray<A>;
/** Creates a CSR array from CSR/COO input with host data, or nested dense arrays (on
 * `options.xp`, default `cpu`). */
export function csrArray<A extends ArrayObject = CpuArray>(
  input: CsrInput<NoInfer<A>> | CooInput<NoInfer<A>> | readonly NestedSequence[],
  options?: SparseOptions<A>,
): CsrArray<A>;
/** Creates a CSR array from a dense namespace array (asynchronous: values are read back). */
export function csrArray<A extends ArrayObject>(
  dense: A,
  options?: SparseOptions<A>,
): Promise<CsrArray<A>>;
export function csrArray<A extends ArrayObject = CpuArray>(
  input: unknown,
  options: SparseOptions<A> = {},
): CsrArray<A> | Promise<CsrArray<A>> {
  const label = "csrArray";
  const fallback = cpu as unknown as ArrayNamespace<A>;
  if (input instanceof CsrArray || input instanceof CooArray) {
    const a = input as CsrArray<A> | CooArray<A>;
    checkConversion(a, options, label);
    const c = a.toCsr();
    return options.dtype ? c.astype(options.dtype) : c;
  }
  if (isArrayObject(input)) {
    const xp = resolveXp(options.xp, input, fallback, label);
    if (input.ndim < 2) {
      throw new RangeError(
        `${label}: a dense array must have at least 2 axes, got shape ${fmtShape(input.shape)}`,
      );
    }
    const x = input as A;
    return xp.toHost(x).then((h) =>
      csrFromHostDense(xp, hostDense(h, x.shape), options, label, options.dtype ?? x.dtype)
    );
  }
  if (Array.isArray(input)) {
    const xp = options.xp ?? fallback;
    return csrFromHostDense(xp, parseNested(input, label), options, label, undefined);
  }
  if (typeof input !== "object" || input === null) {
    throw new TypeError(`${label}: unsupported input ${describe(input)}`);
  }
  const o = input as Record<string, unknown>;
  if ("indptr" in o || "indices" in o) {
    for (const k of ["indptr", "indices", "data"]) {
      if (!(k in o)) throw new TypeError(`${label}: CSR input needs ${k}`);
    }
    const xp = resolveXp(options.xp, o.data, fallback, label);
    const indptr = toIndexArray(o.indptr, "indptr");
    const indices = toIndexArray(o.indices, "indices");
    checkInt32(indices.length, `${label}: nnz`);
    const data = toDataArray(xp, o.data, options.dtype, label);
    const sh = resolveShape(
      options,
      indptr.length - 1,
      maxPlusOne(indices),
      data,
      indices.length,
      label,
    );
    const shape = [...sh.batch, sh.M, sh.N];
    const s = validateCsr(sh.M, sh.N, 1, indptr, indices, shape);
    return new CsrArray(xp, s, shapeData(xp, data, sh.batch, indices.length, label, shape));
  }
  if ("row" in o || "col" in o) {
    for (const k of ["row", "col", "data"]) {
      if (!(k in o)) throw new TypeError(`${label}: COO input needs ${k}`);
    }
    const xp = resolveXp(options.xp, o.data, fallback, label);
    const row = toIndexArray(o.row, "row");
    const col = toIndexArray(o.col, "col");
    checkInt32(row.length, `${label}: nnz`);
    const data = toDataArray(xp, o.data, options.dtype, label);
    const sh = resolveShape(options, maxPlusOne(row), maxPlusOne(col), data, row.length, label);
    const shape = [...sh.batch, sh.M, sh.N];
    return csrFromCoo(
      xp,
      row,
      col,
      shapeData(xp, data, sh.batch, row.length, label, shape),
      sh,
      label,
    );
  }
  throw new TypeError(
    `${label}: input must be {indptr, indices, data}, {row, col, data}, nested arrays, a ` +
      `sparse array or a dense namespace array; got ${describe(input)}`,
  );
}

/** Checks the options of a sparse → sparse conversion (same namespace and shape). */
export function checkConversion<A extends ArrayObject>(
  a: { readonly xp: ArrayNamespace<A>; readonly shape: Shape },
  options: SparseOptions<A>,
  label: string,
): void {
  if (options.xp && options.xp !== a.xp) {
    throw new TypeError(
      `${label}: the array lives on ${a.xp.name}; use await A.to(xp) to move it to ${options.xp.name}`,
    );
  }
  if (options.shape && !shapesEqual(options.shape, a.shape)) {
    throw new RangeError(
      `${label}: options.shape ${fmtShape(options.shape)} differs from the array's ${
        fmtShape(a.shape)
      }`,
    );
  }
}
