/**
 * Private creation functions of the CPU backend (`asarray`, `zeros`, `arange`, …) and
 * `astype`.
 *
 * @module
 */
import { fromNdarrayLike } from "./_ndarray_interop.ts";
import type {
  AsarrayOptions,
  CreationOptions,
  DType,
  HostArray,
  NestedSequence,
  Scalar,
  Shape,
} from "../../array_api/types.ts";
import { checkShape, shapeSize } from "../../array_api/shapes.ts";
import { isArrayObject } from "../../array_api/namespace_of.ts";
import { CpuArray } from "./cpu_array.ts";
import { alloc, checkDType, type CpuDType, dtypeOfView, isInt } from "./_dtype.ts";
import { convert } from "./_elementwise.ts";
import { asArr, checkDevice, describe, optDType } from "./_util.ts";

// ------------------------------------------------------------------ asarray
/** `asarray` of the standard (see `ArrayNamespace.asarray`). */
export function asarray(
  obj: unknown,
  options: AsarrayOptions = {},
): CpuArray {
  const fn = "asarray";
  checkDevice(options.device, fn);
  const want = optDType(options.dtype, fn);
  const copy = options.copy;
  if (copy !== undefined && copy !== null && typeof copy !== "boolean") {
    throw new TypeError(`asarray: copy must be a boolean or null, got ${describe(copy)}`);
  }
  // Arrays of this or another namespace.
  if (obj instanceof CpuArray) {
    const dt = want ?? (obj.dtype as CpuDType);
    if (dt === obj.dtype) return copy === true ? convert(obj, dt) : obj;
    if (copy === false) {
      throw new TypeError(`asarray: copy=false but converting ${obj.dtype} to ${dt} needs a copy`);
    }
    return convert(obj, dt);
  }
  if (isArrayObject(obj)) asArr(obj, fn, "obj");
  // Scalars.
  if (typeof obj === "number" || typeof obj === "boolean") {
    if (copy === false) throw new RangeError("asarray: copy=false but a scalar must be copied");
    const dt = want ?? (typeof obj === "boolean" ? "bool" : "float64");
    return fromValues([obj], [], dt, fn);
  }
  // Typed arrays.
  if (ArrayBuffer.isView(obj)) {
    const src = dtypeOfView(obj, fn);
    let view = obj as HostArray;
    if (obj instanceof Uint8ClampedArray) {
      view = new Uint8Array(obj.buffer, obj.byteOffset, obj.length);
    }
    const dt = want ?? src;
    if (dt === src || (dt === "bool" && src === "uint8" && isBoolBytes(view as Uint8Array))) {
      if (copy === true) return new CpuArray(view.slice(), [view.length], dt);
      return new CpuArray(view, [view.length], dt);
    }
    if (copy === false) {
      throw new TypeError(`asarray: copy=false but converting ${src} to ${dt} needs a copy`);
    }
    return convert(new CpuArray(view, [view.length], src), dt);
  }
  if (obj instanceof ArrayBuffer) {
    throw new TypeError("asarray: pass a typed array view of the ArrayBuffer, not the buffer");
  }
  // ndarray-package arrays and numjs NdArrays (duck-typed strided views; see _ndarray_interop).
  const nd = fromNdarrayLike(obj, want, copy, fn);
  if (nd) return nd;
  // Nested sequences and array-likes.
  if (Array.isArray(obj) || isArrayLike(obj)) {
    if (copy === false) {
      throw new RangeError("asarray: copy=false but a JS array is always copied");
    }
    return fromNested(obj as NestedSequence, want, fn);
  }
  throw new TypeError(`asarray: cannot convert ${describe(obj)} to an array`);
}

function isBoolBytes(a: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] > 1) return false;
  return true;
}

function isArrayLike(x: unknown): boolean {
  return typeof x === "object" && x !== null &&
    typeof (x as ArrayLike<unknown>).length === "number";
}

function isSeq(x: unknown): x is ArrayLike<unknown> {
  return Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView)) ||
    (isArrayLike(x) && !isArrayObject(x));
}

function fromNested(obj: NestedSequence, want: CpuDType | undefined, fn: string): CpuArray {
  // Shape from the first elements.
  const shape: number[] = [];
  let v: unknown = obj;
  while (isSeq(v)) {
    const len = v.length;
    if (!Number.isSafeInteger(len) || len < 0) throw new TypeError(`${fn}: invalid length ${len}`);
    shape.push(len);
    if (len === 0) break;
    v = v[0];
  }
  const size = shapeSize(shape);
  const vals = new Array<number>(size);
  let sawBool = false, sawNum = false;
  let pos = 0;
  const nd = shape.length;
  const walk = (node: unknown, depth: number, path: string): void => {
    if (depth === nd) {
      if (typeof node === "number") sawNum = true;
      else if (typeof node === "boolean") sawBool = true;
      else if (isSeq(node)) {
        throw new RangeError(
          `${fn}: ragged nested sequence: element ${path} at depth ${depth} is a sequence ` +
            `but its siblings are scalars (expected shape (${shape.join(", ")}))`,
        );
      } else {
        throw new TypeError(
          `${fn}: element ${path} is ${describe(node)}; only numbers and booleans are accepted`,
        );
      }
      vals[pos++] = node as number;
      return;
    }
    if (!isSeq(node)) {
      throw new RangeError(
        `${fn}: ragged nested sequence: element ${path} at depth ${depth} is a scalar, ` +
          `expected a sequence of length ${shape[depth]}`,
      );
    }
    if (node.length !== shape[depth]) {
      throw new RangeError(
        `${fn}: ragged nested sequence at depth ${depth}: element ${path} has length ` +
          `${node.length}, expected ${shape[depth]}`,
      );
    }
    for (let i = 0; i < node.length; i++) walk(node[i], depth + 1, `${path}[${i}]`);
  };
  if (nd === 1 && (Array.isArray(obj) || isArrayLike(obj))) {
    // Flat fast path.
    const a = obj as ArrayLike<unknown>;
    for (let i = 0; i < size; i++) {
      const e = a[i];
      if (typeof e === "number") sawNum = true;
      else if (typeof e === "boolean") sawBool = true;
      else {
        walk(obj, 0, "x");
        break;
      }
      vals[i] = e as number;
    }
  } else {
    walk(obj, 0, "x");
  }
  if (sawBool && sawNum) {
    throw new TypeError(`${fn}: cannot mix booleans and numbers in one array`);
  }
  const dt = want ?? (sawBool ? "bool" : "float64");
  if (sawBool && dt !== "bool") {
    // booleans converted to numbers on request
    for (let i = 0; i < size; i++) vals[i] = (vals[i] as unknown) ? 1 : 0;
  }
  return fromValues(vals, shape, dt, fn);
}

function fromValues(vals: readonly Scalar[], shape: number[], dt: CpuDType, _fn: string): CpuArray {
  const out = alloc(dt, vals.length);
  if (dt === "bool") {
    for (let i = 0; i < vals.length; i++) out[i] = truthy(vals[i]) ? 1 : 0;
  } else {
    for (let i = 0; i < vals.length; i++) out[i] = +vals[i];
  }
  return new CpuArray(out, shape, dt);
}

// ------------------------------------------------------------------ filled arrays
/** Truth value of a scalar as a bool element (NaN is true, like `x != 0`). */
function truthy(v: Scalar): boolean {
  return typeof v === "boolean" ? v : v !== 0;
}

function fillValue(v: Scalar, dt: CpuDType): number {
  if (dt === "bool") return truthy(v) ? 1 : 0;
  return typeof v === "boolean" ? (v ? 1 : 0) : v;
}

function defaultFillDType(v: Scalar): CpuDType {
  if (typeof v === "boolean") return "bool";
  return Number.isInteger(v) ? "int32" : "float64";
}

/** `full` of the standard. */
export function full(
  shape: number | Shape,
  value: Scalar,
  options: CreationOptions = {},
): CpuArray {
  const fn = "full";
  checkDevice(options.device, fn);
  if (typeof value !== "number" && typeof value !== "boolean") {
    throw new TypeError(`full: fill_value must be a number or boolean, got ${describe(value)}`);
  }
  const s = checkShape(shape);
  const dt = optDType(options.dtype, fn) ?? defaultFillDType(value);
  const out = alloc(dt, shapeSize(s));
  const v = fillValue(value, dt);
  if (v !== 0) out.fill(v);
  return new CpuArray(out, s, dt);
}

/** `zeros`/`ones`/`empty` of the standard. */
export function filled(
  fn: string,
  shape: number | Shape,
  value: number,
  options: CreationOptions = {},
): CpuArray {
  checkDevice(options.device, fn);
  const s = checkShape(shape);
  const dt = optDType(options.dtype, fn) ?? "float64";
  const out = alloc(dt, shapeSize(s));
  if (value !== 0) out.fill(value);
  return new CpuArray(out, s, dt);
}

/** `*_like` creation. */
export function filledLike(
  fn: string,
  xIn: unknown,
  value: Scalar,
  options: CreationOptions = {},
): CpuArray {
  const x = asArr(xIn, fn);
  checkDevice(options.device, fn);
  if (typeof value !== "number" && typeof value !== "boolean") {
    throw new TypeError(`${fn}: fill_value must be a number or boolean, got ${describe(value)}`);
  }
  const dt = optDType(options.dtype, fn) ?? (x.dtype as CpuDType);
  const out = alloc(dt, x.size);
  const v = fillValue(value, dt);
  if (v !== 0) out.fill(v);
  return new CpuArray(out, x.shape, dt);
}

/** `eye` of the standard. */
export function eye(
  nRows: number,
  nCols?: number | null,
  options: CreationOptions & { k?: number } = {},
): CpuArray {
  const fn = "eye";
  checkDevice(options.device, fn);
  const n = checkShape([nRows], "eye: n_rows")[0];
  const m = nCols === undefined || nCols === null ? n : checkShape([nCols], "eye: n_cols")[0];
  const k = options.k ?? 0;
  if (!Number.isSafeInteger(k)) throw new RangeError(`eye: k must be an integer, got ${k}`);
  const dt = optDType(options.dtype, fn) ?? "float64";
  const out = alloc(dt, n * m);
  for (let i = Math.max(0, -k); i < n && i + k < m; i++) out[i * m + i + k] = 1;
  return new CpuArray(out, [n, m], dt);
}

/** `arange` of the standard. */
export function arange(
  start: number,
  stop?: number,
  step?: number,
  options: CreationOptions = {},
): CpuArray {
  const fn = "arange";
  checkDevice(options.device, fn);
  let a = start, b = stop;
  if (b === undefined || b === null) {
    b = a;
    a = 0;
  }
  const st = step ?? 1;
  for (const v of [a, b, st]) {
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new RangeError(`arange: start, stop and step must be finite numbers, got ${v}`);
    }
  }
  if (st === 0) throw new RangeError("arange: step must not be 0");
  const n = Math.max(0, Math.ceil((b - a) / st));
  if (!Number.isSafeInteger(n) || n > 2 ** 32) {
    throw new RangeError(`arange: ${n} elements are too many`);
  }
  const allInt = Number.isInteger(a) && Number.isInteger(b) && Number.isInteger(st);
  const dt = optDType(options.dtype, fn) ?? (allInt ? "int32" : "float64");
  if (dt === "bool") throw new TypeError("arange: dtype bool is not supported");
  const out = alloc(dt, n);
  for (let i = 0; i < n; i++) out[i] = a + i * st;
  return new CpuArray(out, [n], dt);
}

/** `linspace` of the standard. */
export function linspace(
  start: number,
  stop: number,
  num: number,
  options: CreationOptions & { endpoint?: boolean } = {},
): CpuArray {
  const fn = "linspace";
  checkDevice(options.device, fn);
  if (!Number.isSafeInteger(num) || num < 0) {
    throw new RangeError(`linspace: num must be a non-negative integer, got ${num}`);
  }
  const dt = optDType(options.dtype, fn) ?? "float64";
  if (dt === "bool" || isInt(dt)) {
    throw new TypeError(`linspace: dtype must be a floating dtype, got ${dt}`);
  }
  const endpoint = options.endpoint ?? true;
  const out = alloc(dt, num);
  const div = endpoint ? num - 1 : num;
  const step = div > 0 ? (stop - start) / div : 0;
  for (let i = 0; i < num; i++) out[i] = start + i * step;
  if (endpoint && num > 1) out[num - 1] = stop;
  return new CpuArray(out, [num], dt);
}

// ------------------------------------------------------------------ astype
/** `astype` of the standard. */
export function astype(
  xIn: unknown,
  dtype: DType,
  options: { copy?: boolean; device?: string } = {},
): CpuArray {
  const fn = "astype";
  const x = asArr(xIn, fn);
  checkDevice(options.device, fn);
  const dt = checkDType(dtype, fn);
  if (dt === x.dtype && options.copy === false) return x;
  return convert(x, dt);
}
