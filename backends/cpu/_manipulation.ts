/**
 * Private manipulation functions of the CPU backend (reshape views, strided gathers,
 * concatenation, `take`, `tile`, …).
 *
 * @module
 */
import type { DType, HostArray, Shape } from "../../array_api/types.ts";
import { promoteTypes } from "../../array_api/dtypes.ts";
import {
  broadcastShapes,
  fmtShape,
  normalizeAxes,
  normalizeAxis,
  resolveReshape,
  shapesEqual,
  shapeSize,
  stridesOf,
} from "../../array_api/shapes.ts";
import { CpuArray } from "./cpu_array.ts";
import { alloc, type CpuDType, isCpuDType, isInt, rawView } from "./_dtype.ts";
import { broadcastTo, convert } from "./_elementwise.ts";
import { asArr } from "./_util.ts";

/**
 * Copies `src` read with `strides` (elements, per output axis, may be negative or 0) from
 * `offset` into a new contiguous array of `shape`.
 */
export function gather(
  src: HostArray,
  dtype: CpuDType,
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
): CpuArray {
  const size = shapeSize(shape);
  const dst = alloc(dtype, size);
  if (size > 0) gatherInto(rawView(src), rawView(dst), shape, strides, offset);
  return new CpuArray(dst, shape, dtype);
}

function gatherInto(
  s: Float64Array | Int32Array | Uint16Array | Uint8Array,
  d: Float64Array | Int32Array | Uint16Array | Uint8Array,
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
): void {
  const nd = shape.length;
  if (nd === 0) {
    d[0] = s[offset];
    return;
  }
  const inner = shape[nd - 1], is = strides[nd - 1];
  const outerN = nd - 1;
  const idx = new Array<number>(outerN).fill(0);
  const rows = shapeSize(shape.slice(0, outerN));
  let q = offset, p = 0;
  for (let r = 0; r < rows; r++) {
    if (is === 1) {
      for (let j = 0; j < inner; j++) d[p + j] = s[q + j];
    } else {
      for (let j = 0, qq = q; j < inner; j++, qq += is) d[p + j] = s[qq];
    }
    p += inner;
    for (let a = outerN - 1; a >= 0; a--) {
      idx[a]++;
      q += strides[a];
      if (idx[a] < shape[a]) break;
      q -= strides[a] * shape[a];
      idx[a] = 0;
    }
  }
}

/** `permute_dims` of the standard. */
export function permuteDims(xIn: unknown, axes: readonly number[], fn = "permute_dims"): CpuArray {
  const x = asArr(xIn, fn);
  const nd = x.ndim;
  if (!Array.isArray(axes) || axes.length !== nd) {
    throw new RangeError(
      `${fn}: axes ${JSON.stringify(axes)} must list each of the ${nd} axes of shape ` +
        `${fmtShape(x.shape)} once`,
    );
  }
  const ax = axes.map((a) => normalizeAxis(a, nd, x.shape));
  if (new Set(ax).size !== nd) {
    throw new RangeError(`${fn}: axes ${JSON.stringify(axes)} is not a permutation`);
  }
  let identity = true;
  for (let i = 0; i < nd; i++) if (ax[i] !== i) identity = false;
  if (identity) return new CpuArray(x.data.slice(), x.shape, x.dtype);
  const st = stridesOf(x.shape);
  return gather(x.data, x.dtype as CpuDType, ax.map((a) => x.shape[a]), ax.map((a) => st[a]), 0);
}

/** Swaps the last two axes. */
export function matrixTranspose(xIn: unknown): CpuArray {
  const x = asArr(xIn, "matrix_transpose");
  if (x.ndim < 2) {
    throw new RangeError(
      `matrix_transpose: needs at least 2 dimensions, got shape ${fmtShape(x.shape)}`,
    );
  }
  const axes = Array.from({ length: x.ndim }, (_, i) => i);
  axes[x.ndim - 2] = x.ndim - 1;
  axes[x.ndim - 1] = x.ndim - 2;
  return permuteDims(x, axes, "matrix_transpose");
}

/** `reshape` of the standard (a view sharing storage unless `copy: true`). */
export function reshape(
  xIn: unknown,
  shape: Shape,
  options: { copy?: boolean | null } = {},
): CpuArray {
  const x = asArr(xIn, "reshape");
  if (!Array.isArray(shape)) throw new TypeError("reshape: shape must be an array of integers");
  const s = resolveReshape(shape, x.size, x.shape);
  return new CpuArray(options.copy === true ? x.data.slice() : x.data, s, x.dtype);
}

/** `expand_dims` of the standard (a view). */
export function expandDims(
  xIn: unknown,
  options: { axis?: number | readonly number[] } = {},
): CpuArray {
  const x = asArr(xIn, "expand_dims");
  const list = options.axis === undefined
    ? [0]
    : typeof options.axis === "number"
    ? [options.axis]
    : Array.from(options.axis);
  const outNd = x.ndim + list.length;
  const ax = list.map((a) => {
    if (!Number.isInteger(a) || a < -outNd || a >= outNd) {
      throw new RangeError(
        `expand_dims: axis ${a} is out of range for shape ${fmtShape(x.shape)} ` +
          `(result has ${outNd} dimensions)`,
      );
    }
    return a < 0 ? a + outNd : a;
  });
  if (new Set(ax).size !== ax.length) {
    throw new RangeError(`expand_dims: repeated axis in ${JSON.stringify(list)}`);
  }
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < outNd; i++) out.push(ax.includes(i) ? 1 : x.shape[k++]);
  return new CpuArray(x.data, out, x.dtype);
}

/** `squeeze` of the standard (a view). */
export function squeeze(xIn: unknown, axis: number | readonly number[]): CpuArray {
  const x = asArr(xIn, "squeeze");
  if (axis === undefined || axis === null) {
    throw new TypeError("squeeze: axis is required");
  }
  const ax = normalizeAxes(axis, x.ndim, x.shape);
  for (const a of ax) {
    if (x.shape[a] !== 1) {
      throw new RangeError(
        `squeeze: axis ${a} of shape ${fmtShape(x.shape)} has length ${x.shape[a]}, not 1`,
      );
    }
  }
  return new CpuArray(x.data, x.shape.filter((_, i) => !ax.includes(i)), x.dtype);
}

/** `flip` of the standard. */
export function flip(
  xIn: unknown,
  options: { axis?: number | readonly number[] | null } = {},
): CpuArray {
  const x = asArr(xIn, "flip");
  const ax = normalizeAxes(options.axis, x.ndim, x.shape);
  const st = stridesOf(x.shape);
  let offset = 0;
  const strides = st.slice();
  for (const a of ax) {
    if (x.shape[a] > 0) offset += (x.shape[a] - 1) * st[a];
    strides[a] = -st[a];
  }
  return gather(x.data, x.dtype as CpuDType, x.shape, strides, offset);
}

/** `moveaxis` of the standard. */
export function moveaxis(
  xIn: unknown,
  source: number | readonly number[],
  destination: number | readonly number[],
): CpuArray {
  const x = asArr(xIn, "moveaxis");
  const src = (typeof source === "number" ? [source] : Array.from(source)).map((a) =>
    normalizeAxis(a, x.ndim, x.shape)
  );
  const dst = (typeof destination === "number" ? [destination] : Array.from(destination)).map((
    a,
  ) => normalizeAxis(a, x.ndim, x.shape));
  if (src.length !== dst.length) {
    throw new RangeError(
      `moveaxis: source ${JSON.stringify(source)} and destination ${
        JSON.stringify(destination)
      } must have the same number of elements`,
    );
  }
  if (new Set(src).size !== src.length || new Set(dst).size !== dst.length) {
    throw new RangeError("moveaxis: repeated axis");
  }
  const order: number[] = [];
  for (let i = 0; i < x.ndim; i++) if (!src.includes(i)) order.push(i);
  const pairs = dst.map((d, i) => [d, src[i]]).sort((a, b) => a[0] - b[0]);
  for (const [d, s] of pairs) order.splice(d, 0, s);
  return permuteDims(x, order, "moveaxis");
}

function commonDType(arrays: readonly CpuArray[], fn: string): CpuDType {
  let dt: DType = arrays[0].dtype;
  for (let i = 1; i < arrays.length; i++) dt = promoteTypes(dt, arrays[i].dtype);
  if (!isCpuDType(dt)) {
    throw new TypeError(`${fn}: the arrays promote to ${dt}, which is not supported on cpu`);
  }
  return dt;
}

/** `concat` of the standard. */
export function concat(
  arraysIn: readonly unknown[],
  options: { axis?: number | null } = {},
): CpuArray {
  const fn = "concat";
  if (!Array.isArray(arraysIn) || arraysIn.length === 0) {
    throw new RangeError("concat: needs a non-empty list of arrays");
  }
  let arrays = arraysIn.map((a, i) => asArr(a, fn, `arrays[${i}]`));
  const dt = commonDType(arrays, fn);
  if (options.axis === null) {
    arrays = arrays.map((a) => new CpuArray(a.data, [a.size], a.dtype));
  }
  const axisIn = options.axis ?? 0;
  const nd = arrays[0].ndim;
  if (nd === 0) throw new RangeError("concat: 0-d arrays cannot be concatenated (use stack)");
  const axis = normalizeAxis(axisIn, nd, arrays[0].shape);
  for (const a of arrays) {
    let ok = a.ndim === nd;
    for (let i = 0; ok && i < nd; i++) {
      if (i !== axis && a.shape[i] !== arrays[0].shape[i]) ok = false;
    }
    if (!ok) {
      throw new RangeError(
        `concat: shapes ${
          arrays.map((b) => fmtShape(b.shape)).join(", ")
        } differ outside axis ${axis}`,
      );
    }
  }
  const outShape = arrays[0].shape.slice();
  outShape[axis] = arrays.reduce((s, a) => s + a.shape[axis], 0);
  const outer = shapeSize(outShape.slice(0, axis));
  const total = shapeSize(outShape.slice(axis));
  const out = alloc(dt, shapeSize(outShape));
  let off = 0;
  for (const a0 of arrays) {
    const a = a0.dtype === dt ? a0 : convert(a0, dt);
    const chunk = shapeSize(a.shape.slice(axis));
    const src = a.data;
    if (chunk >= 64 || outer === 1) {
      for (let o = 0; o < outer; o++) {
        out.set(src.subarray(o * chunk, (o + 1) * chunk), o * total + off);
      }
    } else {
      const s = rawView(src), d = rawView(out);
      for (let o = 0; o < outer; o++) {
        const so = o * chunk, dO = o * total + off;
        for (let j = 0; j < chunk; j++) d[dO + j] = s[so + j];
      }
    }
    off += chunk;
  }
  return new CpuArray(out, outShape, dt);
}

/** `stack` of the standard. */
export function stack(arraysIn: readonly unknown[], options: { axis?: number } = {}): CpuArray {
  const fn = "stack";
  if (!Array.isArray(arraysIn) || arraysIn.length === 0) {
    throw new RangeError("stack: needs a non-empty list of arrays");
  }
  const arrays = arraysIn.map((a, i) => asArr(a, fn, `arrays[${i}]`));
  const s0 = arrays[0].shape;
  for (const a of arrays) {
    if (!shapesEqual(a.shape, s0)) {
      throw new RangeError(
        `stack: all arrays must have the same shape, got ${
          arrays.map((b) => fmtShape(b.shape)).join(", ")
        }`,
      );
    }
  }
  const axis = normalizeAxis(options.axis ?? 0, s0.length + 1, s0);
  const expanded = arrays.map((a) => expandDims(a, { axis }));
  return concat(expanded, { axis });
}

/** `broadcast_arrays` of the standard. */
export function broadcastArrays(...arraysIn: unknown[]): CpuArray[] {
  const arrays = arraysIn.map((a, i) => asArr(a, "broadcast_arrays", `arrays[${i}]`));
  if (arrays.length === 0) return [];
  const shape = broadcastShapes(arrays.map((a) => a.shape), "broadcast_arrays");
  return arrays.map((a) => broadcastTo(a, shape, "broadcast_arrays"));
}

/** `take` of the standard (NumPy semantics for negative and multi-dimensional indices). */
export function take(
  xIn: unknown,
  indicesIn: unknown,
  options: { axis?: number } = {},
): CpuArray {
  const fn = "take";
  const x = asArr(xIn, fn);
  const ind = asArr(indicesIn, fn, "indices");
  if (!isInt(ind.dtype)) {
    throw new TypeError(`take: indices must have an integer dtype, got ${ind.dtype}`);
  }
  if (x.ndim === 0) throw new RangeError("take: x must have at least one dimension, got shape ()");
  if (options.axis === undefined && x.ndim !== 1) {
    throw new RangeError(`take: axis is required for x of shape ${fmtShape(x.shape)}`);
  }
  const axis = normalizeAxis(options.axis ?? 0, x.ndim, x.shape);
  const len = x.shape[axis];
  const outer = shapeSize(x.shape.slice(0, axis));
  const inner = shapeSize(x.shape.slice(axis + 1));
  const m = ind.size;
  const idx = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    let v = ind.data[i];
    if (v < 0) v += len;
    if (!(v >= 0 && v < len)) {
      throw new RangeError(
        `take: index ${ind.data[i]} is out of bounds for axis ${axis} with size ${len}`,
      );
    }
    idx[i] = v;
  }
  const outShape = [...x.shape.slice(0, axis), ...ind.shape, ...x.shape.slice(axis + 1)];
  const dt = x.dtype as CpuDType;
  const out = alloc(dt, outer * m * inner);
  const s = rawView(x.data), d = rawView(out);
  let p = 0;
  for (let o = 0; o < outer; o++) {
    const base = o * len * inner;
    for (let i = 0; i < m; i++) {
      const q = base + idx[i] * inner;
      if (inner === 1) d[p++] = s[q];
      else {
        for (let j = 0; j < inner; j++) d[p + j] = s[q + j];
        p += inner;
      }
    }
  }
  return new CpuArray(out, outShape, dt);
}

/** `tile` of the standard (NumPy semantics when `repetitions` and `x.ndim` differ). */
export function tile(xIn: unknown, repetitions: readonly number[]): CpuArray {
  const x = asArr(xIn, "tile");
  if (!Array.isArray(repetitions)) {
    throw new TypeError("tile: repetitions must be an array of integers");
  }
  for (const r of repetitions) {
    if (!Number.isSafeInteger(r) || r < 0) {
      throw new RangeError(
        `tile: repetitions ${JSON.stringify(repetitions)} must be non-negative integers`,
      );
    }
  }
  const nd = Math.max(x.ndim, repetitions.length);
  const shape = [...new Array(nd - x.ndim).fill(1), ...x.shape];
  const reps = [...new Array(nd - repetitions.length).fill(1), ...repetitions];
  const inter: number[] = [], bcast: number[] = [], outShape: number[] = [];
  for (let i = 0; i < nd; i++) {
    inter.push(1, shape[i]);
    bcast.push(reps[i], shape[i]);
    outShape.push(reps[i] * shape[i]);
  }
  const v = new CpuArray(x.data, inter, x.dtype);
  const b = broadcastTo(v, bcast, "tile");
  return new CpuArray(b === v ? x.data.slice() : b.data, outShape, x.dtype);
}
