/**
 * Interop with numjs and the `ndarray` package: {@linkcode fromNdarray} (strided view →
 * {@linkcode CpuArray}), {@linkcode toNumjs} and {@linkcode toNdarray} (CPU array → the user's
 * package). Neither package is imported: pass your own `NdArray` class or `ndarray` function.
 *
 * @module
 */
import type { AsarrayOptions, HostArray } from "../../array_api/types.ts";
import { isArrayObject } from "../../array_api/namespace_of.ts";
import { CpuArray } from "./cpu_array.ts";
import { fromNdarrayLike, isNdarrayLike } from "./_ndarray_interop.ts";
import { checkDevice, describe, optDType } from "./_util.ts";

/**
 * A numjs `NdArray` class (`import NdArray from "numjs/src/ndarray.js"`, or `nj.NdArray`):
 * constructed as `new NdArray(data, shape)`.
 *
 * @typeParam R the instance type.
 *
 * @example
 * ```ts
 * import type { NdArrayClass } from "./ndarray_interop.ts";
 * let C: NdArrayClass<{ shape: number[] }> | undefined;
 * ```
 */
export interface NdArrayClass<R> {
  /** `new NdArray(data, shape)` (numjs passes both to `ndarray(data, shape)`). */
  new (data: HostArray, shape: number[]): R;
}

/**
 * The `ndarray` package's factory: `ndarray(data, shape)`.
 *
 * @typeParam R the array type it returns.
 *
 * @example
 * ```ts
 * import type { NdarrayFactory } from "./ndarray_interop.ts";
 * const f: NdarrayFactory<{ data: unknown }> = (data, shape) => ({ data, shape });
 * ```
 */
export type NdarrayFactory<R> = (data: HostArray, shape: number[]) => R;

/** Options of {@linkcode toNumjs} and {@linkcode toNdarray}. */
export interface ToNdarrayOptions {
  /** Copy the values (default `false`: the result shares `x.data`, so writing into it — e.g.
   * numjs in-place ops — changes `x` too). */
  readonly copy?: boolean;
}

/**
 * Converts an `ndarray`-package array or a numjs `NdArray` to a {@linkcode CpuArray} (what
 * `cpu.asarray` does for them). Transposed, sliced, stepped, offset and broadcast views are
 * read through their strides; a row-major contiguous view of a typed array keeps its dtype
 * *without copying* (the result shares the storage), everything else is copied.
 * `Float64Array` storage gives float64, `Float32Array` float32, `Int32Array` int32, …; JS-array
 * storage (numjs's and ndarray's `"array"` dtype) gives float64 (bool for booleans).
 *
 * Errors: anything that is not ndarray-like is a `TypeError`; shapes, strides or offsets that
 * are not integers or reach outside the storage are a `RangeError`; `copy: false` when a copy
 * is needed is a `RangeError` (layout) or `TypeError` (dtype), as in `asarray`.
 *
 * @param obj an `ndarray` (`{ data, shape, stride, offset }`) or numjs `NdArray` (`.selection`).
 * @param options `dtype`, `copy` and `device` as for `asarray`.
 * @returns the CPU array.
 *
 * @example
 * ```ts
 * import { fromNdarray } from "./ndarray_interop.ts";
 * // what ndarray(new Float64Array([1, 2, 3, 4, 5, 6]), [2, 3]).transpose(1, 0) looks like:
 * const view = { data: new Float64Array([1, 2, 3, 4, 5, 6]), shape: [3, 2], stride: [1, 3], offset: 0 };
 * const x = fromNdarray(view);
 * console.log(x.shape, x.data); // [3, 2] Float64Array [1, 4, 2, 5, 3, 6]
 * ```
 */
export function fromNdarray(obj: unknown, options: AsarrayOptions = {}): CpuArray {
  const fn = "fromNdarray";
  checkDevice(options.device, fn);
  const dt = optDType(options.dtype, fn);
  const copy = options.copy;
  if (copy !== undefined && copy !== null && typeof copy !== "boolean") {
    throw new TypeError(`${fn}: copy must be a boolean or null, got ${describe(copy)}`);
  }
  const r = fromNdarrayLike(obj, dt, copy, fn);
  if (!r) {
    throw new TypeError(
      `${fn}: expected an ndarray ({ data, shape, stride, offset }) or a numjs NdArray ` +
        `(with .selection), got ${describe(obj)}`,
    );
  }
  return r;
}

function checkCpu(x: unknown, fn: string): CpuArray {
  if (x instanceof CpuArray) return x;
  if (isArrayObject(x)) {
    throw new TypeError(
      `${fn}: x belongs to namespace ${x.__array_namespace__().name}; copy it to the CPU ` +
        `first with cpu.asarray(await xp.toHost(x))`,
    );
  }
  throw new TypeError(`${fn}: x must be a cpu array, got ${describe(x)}`);
}

/**
 * Returns `x` as a numjs `NdArray`, built with the class you pass (numjs is not imported).
 * By default the result *shares* `x.data` (zero-copy); pass `{ copy: true }` for an
 * independent copy. numjs has no bool dtype: bool arrays arrive as uint8 (0/1).
 *
 * @param x a CPU array.
 * @param NdArray numjs's `NdArray` class (`import NdArray from "npm:numjs/src/ndarray.js"`).
 * @param options `copy`.
 * @returns `new NdArray(x.data, x.shape)`.
 *
 * @example
 * ```ts
 * import { toNumjs } from "./ndarray_interop.ts";
 * import { cpu } from "./mod.ts";
 * // A stand-in with numjs's constructor signature:
 * class NdArray { constructor(public data: unknown, public shape: number[]) {} }
 * const a = toNumjs(cpu.asarray([[1, 2], [3, 4]]), NdArray);
 * console.log(a.shape); // [2, 2]
 * ```
 */
export function toNumjs<R>(x: CpuArray, NdArray: NdArrayClass<R>, options?: ToNdarrayOptions): R {
  const fn = "toNumjs";
  const a = checkCpu(x, fn);
  const C = typeof NdArray === "function"
    ? NdArray
    : (NdArray as unknown as { NdArray?: NdArrayClass<R> })?.NdArray;
  if (typeof C !== "function") {
    throw new TypeError(
      `${fn}: pass numjs's NdArray class (or the numjs module), got ${describe(NdArray)}`,
    );
  }
  return new C(options?.copy ? a.data.slice() : a.data, Array.from(a.shape));
}

/**
 * Returns `x` as an `ndarray`-package array, made with the factory you pass (`ndarray` is not
 * imported). By default the result *shares* `x.data` (zero-copy, row-major strides); pass
 * `{ copy: true }` for an independent copy. bool arrays arrive as a `Uint8Array` of 0/1.
 *
 * @param x a CPU array.
 * @param ndarray the `ndarray` package's default export.
 * @param options `copy`.
 * @returns `ndarray(x.data, x.shape)`.
 *
 * @example
 * ```ts
 * import { toNdarray } from "./ndarray_interop.ts";
 * import { cpu } from "./mod.ts";
 * const fake = (data: unknown, shape: number[]) => ({ data, shape }); // stands in for ndarray
 * console.log(toNdarray(cpu.asarray([1, 2, 3]), fake).shape); // [3]
 * ```
 */
export function toNdarray<R>(
  x: CpuArray,
  ndarray: NdarrayFactory<R>,
  options?: ToNdarrayOptions,
): R {
  const fn = "toNdarray";
  const a = checkCpu(x, fn);
  if (typeof ndarray !== "function") {
    throw new TypeError(
      `${fn}: pass the ndarray package's factory function, got ${describe(ndarray)}`,
    );
  }
  return ndarray(options?.copy ? a.data.slice() : a.data, Array.from(a.shape));
}

/**
 * Whether `x` is an `ndarray`-package array (`{ data, shape, stride, offset }`) or a numjs
 * `NdArray` (whose `.selection` is one), by duck typing. Arrays of a namespace, JS arrays and
 * typed arrays are not.
 *
 * @param x any value.
 * @returns whether {@linkcode fromNdarray} (and `cpu.asarray`) read it as a strided view.
 *
 * @example
 * ```ts
 * import { isNdarray } from "./ndarray_interop.ts";
 * console.log(isNdarray({ data: [1], shape: [1], stride: [1], offset: 0 }), isNdarray([1])); // true false
 * ```
 */
export function isNdarray(x: unknown): boolean {
  return isNdarrayLike(x);
}
