/**
 * CSR kernels of the tfjs namespace, as gathers and sums only (no scatter: tfjs's CPU
 * `unsortedSegmentSum` costs O(rows × nnz), unusable for real matrices).
 *
 * The products `data[k] · X[indices[k], :]` of all stored entries are formed with one gather.
 * Rows are then grouped by length into a few buckets ("bucketed ELL"): each bucket holds a
 * `[rows, width]` table of entry positions (padded with a pointer to an appended zero), so a
 * gather and a sum over the width give the row sums of the whole bucket; a last gather puts
 * the rows back in order. With one bucket per distinct row length (when there are at most 8
 * distinct lengths) nothing is padded; otherwise widths grow geometrically (×1.5), so the
 * padded tables hold at most 1.5·nnz + rows entries. The tables are built on the host from
 * `indptr` the first time a pattern is used (one synchronous `dataSync()` of `indptr` and
 * `indices`, which also validates them) and cached per `indptr` array as kept tensors;
 * `xp.dispose(indptr)` releases them.
 *
 * @module
 */
import type { CsrData } from "../../array_api/types.ts";
import { broadcastShapes, fmtShape, shapesEqual } from "../../array_api/shapes.ts";
import { type Arr, type Ctx, prod, promoteAt } from "./_context.ts";
import type { TfTensor } from "./tf_like.ts";

/** At most this many distinct row lengths get a bucket each (no padding). */
const EXACT_BUCKETS = 8;

interface Bucket {
  /** Padded row length. */
  width: number;
  /** Rows in the bucket. */
  count: number;
  /** Entry positions `[count · width]` (int32, kept); padding points at position `nnz`. */
  idx: TfTensor;
}

interface Plan {
  /** Rows of the (block-diagonal) pattern. */
  rows: number;
  /** Stored entries. */
  nnz: number;
  /** Buckets of non-empty rows, in concatenation order. */
  buckets: Bucket[];
  /** Number of empty rows (concatenated last, as zeros). */
  emptyRows: number;
  /** Position of every row in the concatenated bucket results (int32, kept); null when that
   * order is already the row order. */
  perm: TfTensor | null;
  /** Stacked layout: `floor(row / M) · N` per entry, keyed by `"M,N"` (int32, kept). */
  blockOffsets: Map<string, TfTensor>;
  /** Row of every entry (host; builds the block offsets). */
  hostRows: Int32Array;
}

/** Bucket widths for the given row lengths. */
function bucketWidths(lengths: Int32Array): number[] {
  const distinct = [...new Set(lengths)].filter((l) => l > 0).sort((a, b) => a - b);
  if (distinct.length <= EXACT_BUCKETS) return distinct;
  const max = distinct[distinct.length - 1];
  const widths: number[] = [];
  for (let w = 1; widths.length === 0 || widths[widths.length - 1] < max; w *= 1.5) {
    const c = Math.min(Math.ceil(w), max);
    if (widths.length === 0 || c > widths[widths.length - 1]) widths.push(c);
  }
  return widths;
}

/** Per-namespace cache of CSR plans and validated index arrays. */
export class CsrCache {
  readonly #ctx: Ctx;
  readonly #plans = new WeakMap<Arr, Plan>();
  readonly #checkedIndices = new WeakMap<Arr, number>();

  constructor(ctx: Ctx) {
    this.#ctx = ctx;
    ctx.onDispose.push((a) => this.release(a));
  }

  /** Releases the cached tensors of `indptr` (called by `xp.dispose`). */
  release(a: Arr): void {
    const p = this.#plans.get(a);
    if (!p) return;
    this.#plans.delete(a);
    for (const b of p.buckets) b.idx.dispose();
    p.perm?.dispose();
    for (const t of p.blockOffsets.values()) t.dispose();
  }

  /** The plan of `indptr` for a pattern of `rows` rows and `nnz` entries. */
  plan(where: string, indptr: Arr, rows: number, nnz: number): Plan {
    const tf = this.#ctx.tf;
    const old = this.#plans.get(indptr);
    const alive = (p: Plan) =>
      p.buckets.every((b) => !b.idx.isDisposed) && !(p.perm?.isDisposed ?? false);
    if (old && old.rows === rows && old.nnz === nnz && alive(old)) return old;
    if (old) this.release(indptr);
    const ptr = Int32Array.from(indptr.tensor.dataSync() as ArrayLike<number>);
    if (ptr[0] !== 0 || ptr[rows] !== nnz) {
      throw new RangeError(
        `${where}: indptr must start at 0 and end at nnz = ${nnz}, got ${ptr[0]} and ${ptr[rows]}`,
      );
    }
    const hostRows = new Int32Array(nnz);
    const lengths = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      const s = ptr[r], e = ptr[r + 1];
      if (e < s) {
        throw new RangeError(`${where}: indptr decreases at row ${r} (${s} then ${e})`);
      }
      hostRows.fill(r, s, e);
      lengths[r] = e - s;
    }
    const widths = bucketWidths(lengths);
    const members: number[][] = widths.map(() => []);
    const empty: number[] = [];
    for (let r = 0; r < rows; r++) {
      const l = lengths[r];
      if (l === 0) {
        empty.push(r);
        continue;
      }
      let b = 0;
      while (widths[b] < l) b++;
      members[b].push(r);
    }
    const pos = new Int32Array(rows);
    let next = 0;
    const buckets: Bucket[] = [];
    widths.forEach((w, b) => {
      const rs = members[b];
      if (rs.length === 0) return;
      const idx = new Int32Array(rs.length * w).fill(nnz);
      rs.forEach((r, i) => {
        pos[r] = next++;
        for (let t = 0; t < lengths[r]; t++) idx[i * w + t] = ptr[r] + t;
      });
      buckets.push({
        width: w,
        count: rs.length,
        idx: tf.keep(tf.tensor(idx, [idx.length], "int32")),
      });
    });
    for (const r of empty) pos[r] = next++;
    let identity = true;
    for (let r = 0; r < rows && identity; r++) identity = pos[r] === r;
    const perm = identity ? null : tf.keep(tf.tensor(pos, [rows], "int32"));
    const p: Plan = {
      rows,
      nnz,
      buckets,
      emptyRows: empty.length,
      perm,
      blockOffsets: new Map(),
      hostRows,
    };
    this.#plans.set(indptr, p);
    return p;
  }

  /** Block offsets `floor(row / M) · N` of a stacked plan. */
  blockOffsets(p: Plan, M: number, N: number): TfTensor {
    const key = `${M},${N}`;
    let t = p.blockOffsets.get(key);
    if (!t || t.isDisposed) {
      const off = new Int32Array(p.nnz);
      for (let k = 0; k < p.nnz; k++) off[k] = Math.floor(p.hostRows[k] / M) * N;
      const tf = this.#ctx.tf;
      t = tf.keep(tf.tensor(off, [p.nnz], "int32"));
      p.blockOffsets.set(key, t);
    }
    return t;
  }

  /** Checks once per `indices` array that every column lies in `[0, N)`. */
  checkIndices(where: string, indices: Arr, N: number): void {
    if (this.#checkedIndices.get(indices) === N) return;
    const idx = indices.tensor.dataSync() as ArrayLike<number>;
    for (let k = 0; k < idx.length; k++) {
      const j = idx[k];
      if (!(j >= 0 && j < N)) {
        throw new RangeError(
          `${where}: column index ${j} at entry ${k} is out of range for ${N} columns`,
        );
      }
    }
    this.#checkedIndices.set(indices, N);
  }
}

/**
 * Row sums of the entry products `P` (`[nnz, ...rest]`) by the plan's buckets: returns
 * `[rows, ...rest]` (call inside a tidy).
 */
function rowSums(ctx: Ctx, plan: Plan, P: TfTensor): TfTensor {
  const tf = ctx.tf;
  const rest = P.shape.slice(1);
  const Pz = tf.concat([P, tf.zeros([1, ...rest], "float32")], 0);
  const parts = plan.buckets.map((b) => {
    const g = tf.gather(Pz, b.idx, 0);
    if (b.width === 1) return g;
    return tf.sum(tf.reshape(g, [b.count, b.width, ...rest]), 1);
  });
  if (plan.emptyRows > 0) parts.push(tf.zeros([plan.emptyRows, ...rest], "float32"));
  const C = parts.length === 1 ? parts[0] : tf.concat(parts, 0);
  return plan.perm ? tf.gather(C, plan.perm, 0) : C;
}

/** `A @ x` (`vec`) or `A @ X` for CSR data (see `ArrayNamespace.csrMatvec`). */
export function csrProduct(
  ctx: Ctx,
  cache: CsrCache,
  a: CsrData<Arr>,
  x: Arr,
  vec: boolean,
  out?: Arr,
): Arr {
  const tf = ctx.tf;
  const where = vec ? "csrMatvec" : "csrMatmat";
  if (a === null || typeof a !== "object" || !Array.isArray(a.shape)) {
    throw new TypeError(
      `${where}: a must be CsrData ({ shape, layout, nnz, indptr, indices, data })`,
    );
  }
  const shape = a.shape;
  if (shape.length < 2) {
    throw new RangeError(`${where}: CSR shape ${fmtShape(shape)} needs at least 2 axes`);
  }
  const M = shape[shape.length - 2], N = shape[shape.length - 1];
  const batchA = shape.slice(0, -2);
  const indptr = ctx.arr(a.indptr, where, "indptr");
  const indices = ctx.arr(a.indices, where, "indices");
  const data = ctx.arr(a.data, where, "data");
  const xa = ctx.arr(x, where, "x");
  for (const [n, v] of [["indptr", indptr], ["indices", indices]] as const) {
    if (v.dtype !== "int32") throw new TypeError(`${where}: ${n} must be int32, got ${v.dtype}`);
  }
  const dtype = promoteAt(where, data.dtype, xa.dtype);
  if (dtype === "bool") throw new TypeError(`${where}: bool data is not supported`);
  const nnz = a.nnz;
  if (!Number.isSafeInteger(nnz) || nnz < 0 || !shapesEqual(indices.shape, [nnz])) {
    throw new RangeError(
      `${where}: indices has shape ${fmtShape(indices.shape)}, expected (${nnz},) for nnz ${nnz}`,
    );
  }
  let K: number, batchX: number[];
  if (vec) {
    if (xa.ndim < 1 || xa.shape[xa.ndim - 1] !== N) {
      throw new RangeError(
        `${where}: x of shape ${fmtShape(xa.shape)} does not match A of shape ${fmtShape(shape)}`,
      );
    }
    K = 1;
    batchX = xa.shape.slice(0, -1);
  } else {
    if (xa.ndim < 2 || xa.shape[xa.ndim - 2] !== N) {
      throw new RangeError(
        `${where}: X of shape ${fmtShape(xa.shape)} does not match A of shape ${fmtShape(shape)}`,
      );
    }
    K = xa.shape[xa.ndim - 1];
    batchX = xa.shape.slice(0, -2);
  }
  const stacked = a.layout === "stacked";
  if (!stacked && a.layout !== "shared") {
    throw new TypeError(`${where}: unknown CSR layout ${JSON.stringify(a.layout)}`);
  }
  let rows: number;
  if (stacked) {
    if (batchA.length !== 1) {
      throw new RangeError(
        `${where}: the stacked layout needs one batch axis, got shape ${fmtShape(shape)}`,
      );
    }
    rows = batchA[0] * M;
    if (!shapesEqual(data.shape, [nnz])) {
      throw new RangeError(
        `${where}: stacked data has shape ${fmtShape(data.shape)}, expected (${nnz},)`,
      );
    }
  } else {
    rows = M;
    if (!shapesEqual(data.shape, [...batchA, nnz])) {
      throw new RangeError(
        `${where}: data has shape ${fmtShape(data.shape)}, expected ${
          fmtShape([...batchA, nnz])
        } for A of shape ${fmtShape(shape)}`,
      );
    }
  }
  if (!shapesEqual(indptr.shape, [rows + 1])) {
    throw new RangeError(
      `${where}: indptr has shape ${fmtShape(indptr.shape)}, expected (${rows + 1},)`,
    );
  }
  let batch: number[];
  try {
    batch = broadcastShapes([batchA, batchX]);
  } catch {
    throw new RangeError(
      `${where}: batch shapes of A ${fmtShape(shape)} and x ${fmtShape(xa.shape)} do not broadcast`,
    );
  }
  if (stacked && !shapesEqual(batch, batchA)) {
    throw new RangeError(
      `${where}: x of shape ${fmtShape(xa.shape)} does not match the stacked batch of A ` +
        fmtShape(shape),
    );
  }
  const outShape = vec ? [...batch, M] : [...batch, M, K];
  if (out !== undefined) ctx.arr(out, where, "out");
  const plan = cache.plan(where, indptr, rows, nnz);
  cache.checkIndices(where, indices, N);
  const offsets = stacked && prod(batchX) > 1 ? cache.blockOffsets(plan, M, N) : undefined;
  const B = prod(batch), Bx = prod(batchX), Bd = prod(batchA);

  const result = ctx.run([xa, data], () => {
    if (prod(outShape) === 0 || nnz === 0) return tf.zeros(outShape, "float32");
    const X = ctx.cast(xa.tensor, "float32");
    const D = ctx.cast(data.tensor, "float32");
    if (stacked) {
      let G: TfTensor;
      if (Bx === 1) G = tf.gather(tf.reshape(X, [N, K]), indices.tensor, 0);
      else {
        const Xf = tf.reshape(X, [B * N, K]);
        G = tf.gather(Xf, tf.add(offsets as TfTensor, indices.tensor), 0);
      }
      const P = tf.mul(G, tf.reshape(D, [nnz, 1])); // [nnz, K]
      return tf.reshape(rowSums(ctx, plan, P), outShape);
    }
    let Xt: TfTensor;
    if (Bx === 1) Xt = tf.reshape(X, [N, 1, K]);
    else {
      const Xb = shapesEqual(batchX, batch) ? X : ctx.broadcastTo(X, [...batch, N, K]);
      Xt = tf.transpose(tf.reshape(Xb, [B, N, K]), [1, 0, 2]);
    }
    let Dt: TfTensor;
    if (Bd === 1) Dt = tf.reshape(D, [nnz, 1, 1]);
    else {
      const Db = shapesEqual(batchA, batch) ? D : ctx.broadcastTo(D, [...batch, nnz]);
      Dt = tf.reshape(tf.transpose(tf.reshape(Db, [B, nnz])), [nnz, B, 1]);
    }
    const G = tf.gather(Xt, indices.tensor, 0); // [nnz, Bx', K]
    const P = tf.mul(G, Dt); // [nnz, B', K]
    const S = rowSums(ctx, plan, P); // [M, B', K]
    return tf.reshape(tf.transpose(S, [1, 0, 2]), outShape);
  }, dtype === "int32" ? "int32" : "float32");
  if (out !== undefined) ctx.ns.dispose(out);
  return result;
}
