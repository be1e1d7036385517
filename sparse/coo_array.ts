/**
 * Coordinate-format sparse arrays, batched: `CooArray` and its factory `cooArray`.
 *
 * @module
 */
import type { ArrayNamespace, ArrayObject, DType, NestedSequence } from "../array_api/types.ts";
import type { OperatorLike } from "../linalg/types.ts";
import { fmtShape } from "../array_api/shapes.ts";
import { isArrayObject } from "../array_api/namespace_of.ts";
import { cpu, type CpuArray } from "../backends/cpu/mod.ts";
import { checkInt32 } from "./_structure.ts";
import {
  checkDataDType,
  describe,
  hostDense,
  parseNested,
  resolveXp,
  toDataArray,
  toIndexArray,
} from "./_input.ts";
import {
  checkConversion,
  type CooInput,
  CsrArray,
  csrArray,
  csrFromCoo,
  csrFromHostDense,
  type DataInput,
  type ProductInput,
  resolveShape,
  shapeData,
  type SparseOptions,
} from "./csr_array.ts";

/**
 * A batch of sparse matrices in coordinate form, shape `[...batch, M, N]`: host `row`/`col`
 * (`Int32Array`) and `data` `[...batch, nnz]` on the namespace (batch axes share the pattern).
 * Duplicates are allowed (they add up). Products go through a cached canonical CSR copy.
 *
 * @example
 * ```ts
 * import { cooArray } from "./coo_array.ts";
 * import { cpu } from "../backends/cpu/mod.ts";
 * const A = cooArray({ row: [0, 0, 1], col: [0, 0, 1], data: [1, 2, 5] });
 * console.log(await cpu.toHost(A.toDense())); // Float64Array [3, 0, 0, 5]
 * ```
 */
export class CooArray<A extends ArrayObject = ArrayObject> implements OperatorLike<A> {
  /** Storage format tag. */
  readonly format: "coo" = "coo";
  /** `[...batch, M, N]`. */
  readonly shape: readonly number[];
  /** Data type of the values. */
  readonly dtype: DType;
  /** Namespace of `data`. */
  readonly xp: ArrayNamespace<A>;
  /** Row of each stored entry (host). Do not mutate. */
  readonly row: Int32Array;
  /** Column of each stored entry (host). Do not mutate. */
  readonly col: Int32Array;
  /** Values, `[...batch, nnz]`. */
  readonly data: A;
  #csr?: CsrArray<A>;
  #canonical?: boolean;

  /** @ignore Internal: use {@linkcode cooArray}. */
  constructor(
    xp: ArrayNamespace<A>,
    row: Int32Array,
    col: Int32Array,
    data: A,
    shape: readonly number[],
  ) {
    this.xp = xp;
    this.row = row;
    this.col = col;
    this.data = data;
    this.dtype = data.dtype;
    this.shape = shape;
  }

  /** @ignore Internal constructor used by other formats. */
  static _make<A extends ArrayObject>(
    xp: ArrayNamespace<A>,
    row: Int32Array,
    col: Int32Array,
    data: A,
    shape: readonly number[],
  ): CooArray<A> {
    return new CooArray(xp, row, col, data, shape);
  }

  /** Stored entries per matrix (duplicates and explicit zeros included). */
  get nnz(): number {
    return this.row.length;
  }

  /** Number of axes. */
  get ndim(): number {
    return this.shape.length;
  }

  /** Batch shape (`shape` without the last two axes). */
  get batchShape(): number[] {
    return this.shape.slice(0, -2);
  }

  /** Whether entries are sorted by (row, column) without duplicates. */
  get hasCanonicalFormat(): boolean {
    if (this.#canonical === undefined) {
      let ok = true;
      const { row, col } = this;
      for (let k = 1; k < row.length && ok; k++) {
        ok = row[k] > row[k - 1] || (row[k] === row[k - 1] && col[k] > col[k - 1]);
      }
      this.#canonical = ok;
    }
    return this.#canonical;
  }

  /** The transpose (row and column swapped; `data` shared). */
  get T(): CooArray<A> {
    return this.transpose();
  }

  /**
   * The transpose `[...batch, N, M]`: swaps `row` and `col`, shares `data` (no data movement).
   *
   * @example
   * ```ts
   * import { cooArray } from "./coo_array.ts";
   * console.log(cooArray({ row: [0], col: [2], data: [1] }).T.shape); // [3, 1]
   * ```
   */
  transpose(): CooArray<A> {
    const s = this.shape;
    return new CooArray(this.xp, this.col, this.row, this.data, [
      ...s.slice(0, -2),
      s[s.length - 1],
      s[s.length - 2],
    ]);
  }

  /**
   * Canonical CSR copy (sorted, duplicates summed); cached.
   *
   * @example
   * ```ts
   * import { cooArray } from "./coo_array.ts";
   * console.log(cooArray({ row: [1, 0], col: [0, 1], data: [2, 3] }).toCsr().indptr); // [0, 1, 2]
   * ```
   */
  toCsr(): CsrArray<A> {
    if (!this.#csr) {
      const M = this.shape[this.ndim - 2], N = this.shape[this.ndim - 1];
      this.#csr = csrFromCoo(this.xp, this.row, this.col, this.data, {
        batch: this.batchShape,
        M,
        N,
      }, "toCsr");
    }
    return this.#csr;
  }

  /**
   * Returns `this` (for symmetry with `CsrArray.toCoo`).
   *
   * @example
   * ```ts
   * import { cooArray } from "./coo_array.ts";
   * const A = cooArray({ row: [0], col: [0], data: [1] });
   * console.log(A.toCoo() === A); // true
   * ```
   */
  toCoo(): CooArray<A> {
    return this;
  }

  /**
   * Canonical COO (entries sorted by row then column, duplicates summed); `this` when already
   * canonical.
   *
   * @example
   * ```ts
   * import { cooArray } from "./coo_array.ts";
   * const A = cooArray({ row: [1, 0, 1], col: [0, 1, 0], data: [1, 2, 3] }).sumDuplicates();
   * console.log(A.row, A.col); // Int32Array [0, 1] Int32Array [1, 0]
   * ```
   */
  sumDuplicates(): CooArray<A> {
    if (this.hasCanonicalFormat) return this;
    return this.toCsr().toCoo();
  }

  /**
   * Dense copy `[...batch, M, N]` (duplicates summed).
   *
   * @example
   * ```ts
   * import { cooArray } from "./coo_array.ts";
   * import { cpu } from "../backends/cpu/mod.ts";
   * console.log(await cpu.toHost(cooArray({ row: [1], col: [0], data: [4] }).toDense())); // [0, 4]
   * ```
   */
  toDense(): A {
    return this.toCsr().toDense();
  }

  /**
   * Main diagonal `[...batch, min(M, N)]`.
   *
   * @example
   * ```ts
   * import { cooArray } from "./coo_array.ts";
   * import { cpu } from "../backends/cpu/mod.ts";
   * console.log(await cpu.toHost(cooArray({ row: [0, 1], col: [0, 1], data: [2, 3] }).diagonal()));
   * ```
   */
  diagonal(): A {
    return this.toCsr().diagonal();
  }

  /**
   * Same pattern with values converted to `dtype`.
   *
   * @example
   * ```ts
   * import { cooArray } from "./coo_array.ts";
   * console.log(cooArray({ row: [0], col: [0], data: [1] }).astype("float32").dtype); // float32
   * ```
   */
  astype(dtype: DType): CooArray<A> {
    if (dtype === this.dtype) return this;
    checkDataDType(this.xp, dtype, "astype");
    return new CooArray(this.xp, this.row, this.col, this.xp.astype(this.data, dtype), this.shape);
  }

  /**
   * Same pattern, new values `[...batch, nnz]` (any batch shape). Host input takes this
   * array's dtype.
   *
   * @example
   * ```ts
   * import { cooArray } from "./coo_array.ts";
   * const A = cooArray({ row: [0, 1], col: [0, 1], data: [1, 1] });
   * console.log(A.withData([[1, 2], [3, 4], [5, 6]]).shape); // [3, 2, 2]
   * ```
   */
  withData(data: DataInput<A>): CooArray<A> {
    const label = "withData";
    if (isArrayObject(data) && data.__array_namespace__() !== this.xp) {
      throw new TypeError(
        `${label}: data belongs to namespace ${data.__array_namespace__().name}, ` +
          `the array to ${this.xp.name}`,
      );
    }
    const arr = toDataArray(this.xp, data, isArrayObject(data) ? undefined : this.dtype, label);
    if (arr.ndim < 1 || arr.shape[arr.ndim - 1] !== this.nnz) {
      throw new RangeError(
        `${label}: data has shape ${fmtShape(arr.shape)} but the pattern has ${this.nnz} stored ` +
          `entries: expected (..., ${this.nnz})`,
      );
    }
    const s = this.shape;
    return new CooArray(this.xp, this.row, this.col, arr, [
      ...arr.shape.slice(0, -1),
      s[s.length - 2],
      s[s.length - 1],
    ]);
  }

  /**
   * Copies the array to another namespace (asynchronous readback of the values).
   *
   * @example
   * ```ts
   * import { cooArray } from "./coo_array.ts";
   * import { cpu } from "../backends/cpu/mod.ts";
   * const B = await cooArray({ row: [0], col: [0], data: [1] }).to(cpu, { dtype: "float32" });
   * ```
   */
  async to<B extends ArrayObject>(
    xp: ArrayNamespace<B>,
    options: { dtype?: DType } = {},
  ): Promise<CooArray<B>> {
    const dtype = options.dtype ?? this.dtype;
    checkDataDType(xp as ArrayNamespace<ArrayObject>, dtype, "to");
    const host = await this.xp.toHost(this.data);
    const arr = xp.reshape(xp.asarray(host, { dtype }), this.data.shape);
    return new CooArray(xp, this.row, this.col, arr, this.shape);
  }

  /**
   * `A @ x` (`[...batchX, N]` → `[..., M]`), via the cached CSR copy.
   *
   * @example
   * ```ts
   * import { cooArray } from "./coo_array.ts";
   * import { cpu } from "../backends/cpu/mod.ts";
   * const y = cooArray({ row: [0, 1], col: [1, 0], data: [2, 3] }).matvec(cpu.asarray([1, 10]));
   * console.log(await cpu.toHost(y)); // Float64Array [20, 3]
   * ```
   */
  matvec(x: ProductInput<A>, out?: A): A {
    return this.toCsr().matvec(x, out);
  }

  /**
   * `A @ X` (`[...batchX, N, K]` → `[..., M, K]`).
   *
   * @example
   * ```ts
   * import { cooArray } from "./coo_array.ts";
   * import { cpu } from "../backends/cpu/mod.ts";
   * const Y = cooArray({ row: [0], col: [0], data: [2] }).matmat(cpu.asarray([[1, 2]]));
   * ```
   */
  matmat(x: ProductInput<A>, out?: A): A {
    return this.toCsr().matmat(x, out);
  }

  /**
   * `Aᴴ @ x` (`[...batchX, M]` → `[..., N]`).
   *
   * @example
   * ```ts
   * import { cooArray } from "./coo_array.ts";
   * import { cpu } from "../backends/cpu/mod.ts";
   * const y = cooArray({ row: [0], col: [1], data: [2] }).rmatvec(cpu.asarray([3]));
   * console.log(await cpu.toHost(y)); // Float64Array [0, 6]
   * ```
   */
  rmatvec(x: ProductInput<A>, out?: A): A {
    return this.toCsr().rmatvec(x, out);
  }

  /**
   * `Aᴴ @ X` (`[...batchX, M, K]` → `[..., N, K]`).
   *
   * @example
   * ```ts
   * import { cooArray } from "./coo_array.ts";
   * import { cpu } from "../backends/cpu/mod.ts";
   * const Y = cooArray({ row: [0], col: [1], data: [2] }).rmatmat(cpu.asarray([[3]]));
   * ```
   */
  rmatmat(x: ProductInput<A>, out?: A): A {
    return this.toCsr().rmatmat(x, out);
  }

  /**
   * Releases the values (and the cached CSR copy's arrays).
   *
   * @example
   * ```ts
   * import { cooArray } from "./coo_array.ts";
   * cooArray({ row: [0], col: [0], data: [1] }).dispose();
   * ```
   */
  dispose(): void {
    if (this.#csr && this.#csr.data !== this.data) this.#csr.dispose();
    this.xp.dispose(this.data);
    this.#csr = undefined;
  }

  /** A short description: format, dtype, shape, stored entries, namespace. */
  toString(): string {
    return `<CooArray ${this.dtype} ${fmtShape(this.shape)}, ${this.nnz} stored entries${
      this.ndim > 2 ? " per matrix" : ""
    }, on ${this.xp.name}>`;
  }
}

/**
 * Creates a {@linkcode CooArray} from `{ row, col, data }` (kept as given, duplicates
 * allowed), from nested dense JS arrays (`[...batch, M, N]`), from a sparse array, or — as a
 * **Promise**, since the values must be read back — from a dense namespace array.
 *
 * @example
 * ```ts
 * import { cooArray } from "./coo_array.ts";
 * const A = cooArray({ row: [0, 2], col: [1, 0], data: [1.5, -2] }, { shape: [3, 3] });
 * console.log(A.nnz, A.shape); // 2 [3, 3]
 * ```
 */
export function cooArray<A extends ArrayObject>(
  input: CooInput<A> & { readonly data: A },
  options?: SparseOptions<A>,
): CooArray<A>;
/** Converts another sparse array (same namespace). */
export function cooArray<A extends ArrayObject>(
  input: CsrArray<A> | CooArray<A>,
  options?: SparseOptions<A>,
): CooArray<A>;
/** Creates a COO array from triplets with host data or nested dense arrays (on `options.xp`,
 * default `cpu`). */
export function cooArray<A extends ArrayObject = CpuArray>(
  input: CooInput<NoInfer<A>> | readonly NestedSequence[],
  options?: SparseOptions<A>,
): CooArray<A>;
/** Creates a COO array from a dense namespace array (asynchronous: values are read back). */
export function cooArray<A extends ArrayObject>(
  dense: A,
  options?: SparseOptions<A>,
): Promise<CooArray<A>>;
export function cooArray<A extends ArrayObject = CpuArray>(
  input: unknown,
  options: SparseOptions<A> = {},
): CooArray<A> | Promise<CooArray<A>> {
  const label = "cooArray";
  const fallback = cpu as unknown as ArrayNamespace<A>;
  if (input instanceof CooArray || input instanceof CsrArray) {
    const a = input as CooArray<A> | CsrArray<A>;
    checkConversion(a, options, label);
    const c = a.toCoo();
    return options.dtype ? c.astype(options.dtype) : c;
  }
  if (isArrayObject(input)) {
    const xp = resolveXp(options.xp, input, fallback, label);
    const x = input as A;
    if (x.ndim < 2) {
      throw new RangeError(
        `${label}: a dense array must have at least 2 axes, got shape ${fmtShape(x.shape)}`,
      );
    }
    return xp.toHost(x).then((h) =>
      csrFromHostDense(xp, hostDense(h, x.shape), options, label, options.dtype ?? x.dtype)
        .toCoo()
    );
  }
  if (Array.isArray(input)) {
    parseNested(input, label); // validates and names errors with this factory
    return csrArray(input as readonly NestedSequence[], options).toCoo();
  }
  if (typeof input !== "object" || input === null || !("row" in input)) {
    throw new TypeError(
      `${label}: input must be {row, col, data}, nested arrays, a sparse array or a dense ` +
        `namespace array; got ${describe(input)}`,
    );
  }
  const o = input as Record<string, unknown>;
  for (const k of ["row", "col", "data"]) {
    if (!(k in o)) throw new TypeError(`${label}: COO input needs ${k}`);
  }
  const xp = resolveXp(options.xp, o.data, fallback, label);
  const row = toIndexArray(o.row, "row");
  const col = toIndexArray(o.col, "col");
  if (row.length !== col.length) {
    throw new RangeError(`${label}: row has ${row.length} entries but col has ${col.length}`);
  }
  checkInt32(row.length, `${label}: nnz`);
  const data = toDataArray(xp, o.data, options.dtype, label);
  let mr = -1, mc = -1;
  for (let k = 0; k < row.length; k++) {
    if (row[k] > mr) mr = row[k];
    if (col[k] > mc) mc = col[k];
  }
  const sh = resolveShape(options, mr + 1, mc + 1, data, row.length, label);
  const shape = [...sh.batch, sh.M, sh.N];
  for (let k = 0; k < row.length; k++) {
    if (row[k] >= sh.M) {
      throw new RangeError(`${label}: row[${k}] = ${row[k]} is out of range for ${sh.M} rows`);
    }
    if (col[k] >= sh.N) {
      throw new RangeError(
        `${label}: col[${k}] = ${col[k]} is out of range for ${sh.N} columns`,
      );
    }
  }
  const d = shapeData(xp, data, sh.batch, row.length, label, shape);
  return new CooArray(xp, row, col, d, shape);
}
