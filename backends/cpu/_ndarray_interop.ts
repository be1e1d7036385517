/**
 * Private: conversion of strided `ndarray`-package arrays and numjs `NdArray`s (duck-typed,
 * neither package is imported) into {@linkcode CpuArray}s. `asarray` calls
 * {@linkcode fromNdarrayLike} before it tries nested sequences.
 *
 * What counts as ndarray-like: an object (not an array of a namespace, not a JS array, not a
 * typed array) with `data`, `shape` (array), `stride` (array of the same length) and `offset`
 * (number) — the `ndarray` package's view; or an object whose `selection` is one — a numjs
 * `NdArray`. `data` may be a typed array, a JS array of numbers or booleans, or a "generic"
 * store with `get(i)` (the `ndarray` package's `"generic"` dtype).
 *
 * @module
 */
import type {
  ArrayNamespace,
  ArrayObject,
  DType,
  HostArray,
  Shape,
} from "../../array_api/types.ts";
import { optDType } from "./_util.ts";
import { fmtShape, shapeSize } from "../../array_api/shapes.ts";
import { isArrayObject } from "../../array_api/namespace_of.ts";
import { CpuArray } from "./cpu_array.ts";
import { alloc, type CpuDType, dtypeOfView } from "./_dtype.ts";
import { convert } from "./_elementwise.ts";

/** The strided view both packages expose (`ndarray` itself, numjs `NdArray.selection`). */
export interface NdarrayView {
  /** Storage: typed array, JS array, or an object with `get(i)`. */
  readonly data: unknown;
  /** Extent of each axis. */
  readonly shape: readonly number[];
  /** Element stride of each axis (may be negative or 0). */
  readonly stride: readonly number[];
  /** Element offset of the first element. */
  readonly offset: number;
}

function isView(x: unknown): x is NdarrayView {
  if (typeof x !== "object" || x === null) return false;
  if (Array.isArray(x) || ArrayBuffer.isView(x) || isArrayObject(x)) return false;
  const o = x as Record<string, unknown>;
  return "data" in o && Array.isArray(o.shape) && Array.isArray(o.stride) &&
    typeof o.offset === "number" &&
    (o.shape as unknown[]).length === (o.stride as unknown[]).length;
}

/**
 * The strided view of an `ndarray`-package array or of a numjs `NdArray` (its `selection`), or
 * `null` when `x` is neither.
 */
export function ndarrayViewOf(x: unknown): NdarrayView | null {
  if (isView(x)) return x;
  if (typeof x === "object" && x !== null && !isArrayObject(x)) {
    const sel = (x as { selection?: unknown }).selection;
    if (isView(sel)) return sel;
  }
  return null;
}

/** Whether `x` is an `ndarray`-package array or a numjs `NdArray` (duck typing). */
export function isNdarrayLike(x: unknown): boolean {
  return ndarrayViewOf(x) !== null;
}

/** Whether the strided view is row-major contiguous from `offset`. */
function isCContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== s) return false;
    s *= shape[i];
  }
  return true;
}

function kindOf(what: string, data: unknown, fn: string): "typed" | "array" | "generic" {
  if (ArrayBuffer.isView(data) && !(data instanceof DataView)) return "typed";
  if (Array.isArray(data)) return "array";
  if (
    typeof data === "object" && data !== null && typeof (data as GenericStore).get === "function"
  ) {
    return "generic";
  }
  throw new TypeError(
    `${fn}: ${what} has data of unsupported kind ${
      data === null ? "null" : typeof data === "object" ? data.constructor?.name : typeof data
    } (expected a typed array, a JS array, or an object with get(i))`,
  );
}

interface GenericStore {
  get(i: number): unknown;
  readonly length?: number;
}

/**
 * Converts an `ndarray`-package array or a numjs `NdArray` to a {@linkcode CpuArray}, or
 * returns `null` when `obj` is neither (then `asarray` tries its other input kinds).
 *
 * - dtype: the storage's (`Float64Array` → float64, `Float32Array` → float32, `Int32Array` →
 *   int32, …, a JS array of numbers → float64, of booleans → bool) unless `dtype` is given.
 * - Zero-copy: a row-major contiguous view of a typed array whose dtype is kept shares its
 *   memory (`subarray`), as `asarray(typedArray)` does; transposed, sliced, stepped or
 *   broadcast (stride 0) views, JS-array and generic storage, and dtype changes are copied.
 * - `copy: true` always copies; `copy: false` when a copy is needed is a `RangeError` (strided
 *   layout or non-typed storage) or a `TypeError` (dtype conversion), like `asarray`.
 * - Shapes, strides and offsets that are not integers, and views that reach outside their
 *   storage, are `RangeError`s naming them; int64 storage (`BigInt64Array`) is a `TypeError`.
 *
 * @param obj the candidate.
 * @param dtype requested dtype (already validated), or undefined for the storage's.
 * @param copy `asarray`'s copy option.
 * @param fn function name for error messages (`"asarray"`).
 */
export function fromNdarrayLike(
  obj: unknown,
  dtype: CpuDType | undefined,
  copy: boolean | null | undefined,
  fn: string,
): CpuArray | null {
  const v = ndarrayViewOf(obj);
  if (!v) return null;
  const what = v === obj ? "the ndarray" : "the numjs NdArray";
  const shape = Array.from(v.shape);
  const stride = Array.from(v.stride);
  const offset = v.offset;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new RangeError(`${fn}: ${what} has an invalid shape ${JSON.stringify(shape)}`);
    }
  }
  for (const s of stride) {
    if (!Number.isSafeInteger(s)) {
      throw new RangeError(`${fn}: ${what} has invalid strides ${JSON.stringify(stride)}`);
    }
  }
  if (!Number.isSafeInteger(offset)) {
    throw new RangeError(`${fn}: ${what} has an invalid offset ${String(offset)}`);
  }
  const size = shapeSize(shape);
  const kind = kindOf(what, v.data, fn);
  const len = kind === "generic" ? (v.data as GenericStore).length : (v.data as ArrayLike<unknown>)
    .length;
  if (size > 0) {
    let lo = offset, hi = offset;
    for (let k = 0; k < shape.length; k++) {
      const span = (shape[k] - 1) * stride[k];
      if (span < 0) lo += span;
      else hi += span;
    }
    if (lo < 0 || (typeof len === "number" && hi >= len)) {
      throw new RangeError(
        `${fn}: ${what} of shape ${fmtShape(shape)} with strides ${fmtShape(stride)} and ` +
          `offset ${offset} addresses elements ${lo}..${hi}, outside its storage of ${
            len ?? "unknown"
          } elements`,
      );
    }
  }
  const contiguous = isCContiguous(shape, stride);

  if (kind === "typed") {
    const data = v.data as ArrayBufferView;
    const src = dtypeOfView(data, fn); // TypeError for BigInt64Array & co.
    let store = data as HostArray;
    if (data instanceof Uint8ClampedArray) {
      store = new Uint8Array(data.buffer, data.byteOffset, data.length);
    }
    const dt = dtype ?? src;
    if (
      dt !== src && !(dt === "bool" && src === "uint8" && isBoolBytes(store, shape, stride, offset))
    ) {
      if (copy === false) {
        throw new TypeError(`${fn}: copy=false but converting ${src} to ${dt} needs a copy`);
      }
      return convert(gather(store, src, shape, stride, offset, contiguous), dt);
    }
    if (contiguous && copy !== true) {
      return new CpuArray(store.subarray(offset, offset + size) as HostArray, shape, dt);
    }
    if (!contiguous && copy === false) {
      throw new RangeError(
        `${fn}: copy=false but ${what} of shape ${fmtShape(shape)} with strides ` +
          `${fmtShape(stride)} is not row-major contiguous, so it must be copied`,
      );
    }
    const g = gather(store, src, shape, stride, offset, contiguous);
    return dt === src ? g : new CpuArray(g.data, shape, dt);
  }

  if (copy === false) {
    throw new RangeError(
      `${fn}: copy=false but ${what} stores its values in a ${
        kind === "array" ? "JS array" : "generic store"
      }, which is always copied`,
    );
  }
  // JS-array or generic storage: read the elements, booleans → bool, numbers → float64.
  const read = kind === "array"
    ? (i: number) => (v.data as unknown[])[i]
    : (i: number) => (v.data as GenericStore).get(i);
  const vals = new Float64Array(size);
  let sawBool = false, sawNum = false;
  forEachAddress(shape, stride, offset, (addr, k) => {
    const e = read(addr);
    if (typeof e === "number") {
      sawNum = true;
      vals[k] = e;
    } else if (typeof e === "boolean") {
      sawBool = true;
      vals[k] = e ? 1 : 0;
    } else {
      throw new TypeError(
        `${fn}: ${what} holds a ${e === null ? "null" : typeof e} at storage index ${addr}; ` +
          `only numbers and booleans convert`,
      );
    }
  });
  if (sawBool && sawNum) {
    throw new TypeError(`${fn}: ${what} mixes booleans and numbers; convert it first`);
  }
  const src: CpuDType = sawBool ? "bool" : "float64";
  const base = src === "bool"
    ? new CpuArray(Uint8Array.from(vals), shape, "bool")
    : new CpuArray(vals, shape, "float64");
  const dt = dtype ?? src;
  return dt === src ? base : convert(base, dt);
}

function isBoolBytes(
  a: HostArray,
  shape: readonly number[],
  stride: readonly number[],
  offset: number,
): boolean {
  let ok = true;
  forEachAddress(shape, stride, offset, (addr) => {
    if (a[addr] > 1) ok = false;
  });
  return ok;
}

/** Copies a strided view of typed storage into a new contiguous array of dtype `dt`. */
function gather(
  data: HostArray,
  dt: CpuDType,
  shape: Shape,
  stride: readonly number[],
  offset: number,
  contiguous: boolean,
): CpuArray {
  const size = shapeSize(shape);
  if (contiguous) return new CpuArray(data.slice(offset, offset + size) as HostArray, shape, dt);
  const out = alloc(dt, size);
  forEachAddress(shape, stride, offset, (addr, k) => {
    out[k] = data[addr];
  });
  return new CpuArray(out, shape, dt);
}

/** Calls `f(storageAddress, rowMajorPosition)` for every element of the strided view. */
function forEachAddress(
  shape: readonly number[],
  stride: readonly number[],
  offset: number,
  f: (addr: number, k: number) => void,
): void {
  const nd = shape.length;
  const size = shapeSize(shape);
  if (size === 0) return;
  if (nd === 0) {
    f(offset, 0);
    return;
  }
  const idx = new Array<number>(nd).fill(0);
  const last = nd - 1, n = shape[last], sl = stride[last];
  let base = offset;
  for (let k = 0; k < size; k += n) {
    for (let j = 0; j < n; j++) f(base + j * sl, k + j);
    // advance the outer axes (odometer)
    for (let a = last - 1; a >= 0; a--) {
      idx[a]++;
      base += stride[a];
      if (idx[a] < shape[a]) break;
      base -= stride[a] * shape[a];
      idx[a] = 0;
    }
  }
}

/**
 * Reads an `ndarray`-package array or numjs `NdArray` on the host (through its strides) and
 * returns it as an array of `xp` — the CPU array itself when `xp` is the CPU namespace, a copy
 * in `xp` otherwise — or `null` when `obj` is neither (solver inputs and `aslinearoperator`).
 */
export function ndarrayInto<A extends ArrayObject>(
  obj: unknown,
  xp: ArrayNamespace<A>,
  dtype: DType | undefined,
  fn: string,
): A | null {
  const host = fromNdarrayLike(obj, optDType(dtype, fn), undefined, fn);
  if (!host) return null;
  if ((host.__array_namespace__() as unknown) === xp) return host as unknown as A;
  return xp.reshape(xp.asarray(host.data, { dtype: host.dtype }), host.shape);
}
