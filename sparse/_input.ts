/**
 * Input handling shared by the sparse factories: index arrays, data arrays, namespaces,
 * dtypes and dense nested arrays.
 *
 * @module
 */
import type { ArrayNamespace, ArrayObject, DType, HostArray } from "../array_api/types.ts";
import { isArrayObject } from "../array_api/namespace_of.ts";
import { fmtShape } from "../array_api/shapes.ts";
import { INT32_MAX } from "./_structure.ts";

/** Host index input: JS arrays or typed arrays (BigInt64Array included). */
export type IndexInput = ArrayLike<number> | BigInt64Array | BigUint64Array;

/** Copies index input into a fresh `Int32Array`, checking integrality and the int32 range. */
export function toIndexArray(x: unknown, what: string): Int32Array {
  if (isArrayObject(x)) {
    throw new TypeError(
      `${what} must be a host array (JS array or typed array), not a namespace array; ` +
        `read it with await xp.toHost(${what}) first`,
    );
  }
  if (x instanceof Int32Array) return x.slice();
  if (x instanceof BigInt64Array || x instanceof BigUint64Array) {
    const out = new Int32Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      if (v < 0n || v > BigInt(INT32_MAX)) {
        throw new RangeError(
          `${what}[${i}] = ${v} is outside [0, 2^31 - 1] (the int32 limit of sparse indices)`,
        );
      }
      out[i] = Number(v);
    }
    return out;
  }
  if (
    typeof x !== "object" || x === null || typeof (x as ArrayLike<number>).length !== "number"
  ) {
    throw new TypeError(`${what} must be an array of integers, got ${describe(x)}`);
  }
  const a = x as ArrayLike<number>;
  if (a.length > INT32_MAX) {
    throw new RangeError(
      `${what} has ${a.length} entries, more than the int32 limit 2^31 - 1 = ${INT32_MAX}`,
    );
  }
  const out = new Int32Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (typeof v !== "number") {
      throw new TypeError(`${what}[${i}] is ${describe(v)}, expected an integer`);
    }
    if (!Number.isInteger(v)) throw new RangeError(`${what}[${i}] = ${v} is not an integer`);
    if (v < 0 || v > INT32_MAX) {
      throw new RangeError(
        `${what}[${i}] = ${v} is outside [0, 2^31 - 1] (the int32 limit of sparse indices)`,
      );
    }
    out[i] = v;
  }
  return out;
}

/** A short description of a value's kind for error messages. */
export function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "a JS array";
  if (ArrayBuffer.isView(x)) return `a ${x.constructor.name}`;
  if (isArrayObject(x)) return `a ${x.dtype} array of shape ${fmtShape(x.shape)}`;
  return typeof x === "object" ? `an object (${x.constructor?.name ?? "Object"})` : typeof x;
}

/** Checks that `dtype` is a real numeric dtype the namespace supports. */
export function checkDataDType(
  xp: ArrayNamespace<ArrayObject>,
  dtype: DType,
  label: string,
): void {
  if (dtype === "bool" || dtype === "complex64" || dtype === "complex128") {
    throw new TypeError(
      `${label}: sparse arrays hold real numeric data; dtype ${dtype} is not supported`,
    );
  }
  const supported = xp.__array_namespace_info__().dtypes();
  if (!Object.values(supported).includes(dtype)) {
    throw new TypeError(
      `${label}: namespace ${xp.name} does not support dtype ${dtype} (supported: ${
        Object.values(supported).join(", ")
      })`,
    );
  }
}

/** Resolves the namespace from an explicit option, the data array, or the default. */
export function resolveXp<A extends ArrayObject>(
  explicit: ArrayNamespace<A> | undefined,
  data: unknown,
  fallback: ArrayNamespace<A>,
  label: string,
): ArrayNamespace<A> {
  if (isArrayObject(data)) {
    const ns = data.__array_namespace__() as ArrayNamespace<A>;
    if (explicit && explicit !== ns) {
      throw new TypeError(
        `${label}: data belongs to namespace ${ns.name} but options.xp is ${explicit.name}`,
      );
    }
    return ns;
  }
  return explicit ?? fallback;
}

/** Converts data input to an array of `xp` with the requested dtype (numeric, real). */
export function toDataArray<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
  data: unknown,
  dtype: DType | undefined,
  label: string,
): A {
  let arr: A;
  if (isArrayObject(data)) {
    arr = data as A;
    if (dtype && arr.dtype !== dtype) {
      checkDataDType(xp, dtype, label);
      arr = xp.astype(arr, dtype);
    }
  } else if (Array.isArray(data) || ArrayBuffer.isView(data)) {
    if (dtype) checkDataDType(xp, dtype, label);
    if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
      throw new TypeError(`${label}: data as ${describe(data)} is not supported; use numbers`);
    }
    // deno-lint-ignore no-explicit-any
    arr = xp.asarray(data as any, dtype ? { dtype } : undefined);
  } else {
    throw new TypeError(`${label}: data must be an array, got ${describe(data)}`);
  }
  checkDataDType(xp, arr.dtype, label);
  return arr;
}

/** A dense matrix (or batch) read from nested JS arrays into a flat host array. */
export interface HostDense {
  /** Row-major values. */
  readonly values: Float64Array;
  /** Shape, at least 2-D. */
  readonly shape: number[];
}

/** Flattens nested JS arrays of numbers (rectangular, at least 2-D). */
export function parseNested(x: readonly unknown[], label: string): HostDense {
  const shape: number[] = [];
  let cur: unknown = x;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0];
  }
  if (shape.length < 2) {
    throw new RangeError(
      `${label}: a dense matrix must be nested arrays of at least 2 dimensions, got shape ${
        fmtShape(shape)
      }`,
    );
  }
  let size = 1;
  for (const d of shape) size *= d;
  const values = new Float64Array(size);
  let k = 0;
  const walk = (v: unknown, depth: number, path: number[]): void => {
    if (depth === shape.length) {
      if (typeof v === "number") values[k++] = v;
      else {
        throw new TypeError(`${label}: entry [${path.join("][")}] is ${describe(v)}, not a number`);
      }
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new RangeError(
        `${label}: ragged nested array at [${path.join("][")}] (expected length ${
          shape[depth]
        } at depth ${depth}, shape ${fmtShape(shape)})`,
      );
    }
    for (let i = 0; i < v.length; i++) walk(v[i], depth + 1, [...path, i]);
  };
  walk(x, 0, []);
  return { values, shape };
}

/** Host values of a dense namespace array, as float64 with its shape. */
export function hostDense(h: HostArray, shape: readonly number[]): HostDense {
  return { values: Float64Array.from(h), shape: [...shape] };
}

/** Pattern (union over the batch) and gathered values of a dense batch `[...batch, M, N]`. */
export function denseToCoo(d: HostDense): {
  row: Int32Array;
  col: Int32Array;
  data: Float64Array;
  batch: number[];
  M: number;
  N: number;
} {
  const shape = d.shape;
  const M = shape[shape.length - 2], N = shape[shape.length - 1];
  const batch = shape.slice(0, -2);
  let nb = 1;
  for (const b of batch) nb *= b;
  const MN = M * N;
  const mask = new Uint8Array(MN);
  const v = d.values;
  for (let b = 0; b < nb; b++) {
    const off = b * MN;
    for (let i = 0; i < MN; i++) if (v[off + i] !== 0) mask[i] = 1;
  }
  let nnz = 0;
  for (let i = 0; i < MN; i++) nnz += mask[i];
  const row = new Int32Array(nnz), col = new Int32Array(nnz), pos = new Int32Array(nnz);
  let k = 0;
  for (let i = 0; i < MN; i++) {
    if (mask[i]) {
      row[k] = Math.floor(i / N);
      col[k] = i % N;
      pos[k++] = i;
    }
  }
  const data = new Float64Array(nb * nnz);
  for (let b = 0; b < nb; b++) {
    for (let t = 0; t < nnz; t++) data[b * nnz + t] = v[b * MN + pos[t]];
  }
  return { row, col, data, batch, M, N };
}
