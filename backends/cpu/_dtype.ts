/**
 * Private dtype helpers of the CPU backend: which dtypes exist here, their typed-array
 * storage, and the checks every entry point uses.
 *
 * @module
 */
import type { DType, HostArray } from "../../array_api/types.ts";
import { isDTypeName } from "../../array_api/dtypes.ts";

/** Dtypes the CPU backend stores. */
export type CpuDType =
  | "bool"
  | "int8"
  | "int16"
  | "int32"
  | "uint8"
  | "uint16"
  | "uint32"
  | "float32"
  | "float64";

/** Every supported dtype, in the order `__array_namespace_info__().dtypes()` lists them. */
export const CPU_DTYPES: readonly CpuDType[] = [
  "bool",
  "int8",
  "int16",
  "int32",
  "uint8",
  "uint16",
  "uint32",
  "float32",
  "float64",
];

/** A typed-array constructor of one of the storage types. */
export type TypedCtor = new (n: number | ArrayLike<number> | ArrayBufferLike) => HostArray;

const CTORS: Record<CpuDType, TypedCtor> = {
  bool: Uint8Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  float32: Float32Array,
  float64: Float64Array,
};

/** Whether `d` is a dtype the CPU backend stores. */
export function isCpuDType(d: unknown): d is CpuDType {
  return typeof d === "string" && Object.hasOwn(CTORS, d);
}

/**
 * Validates a dtype argument: unknown names and dtypes of the standard that the CPU backend
 * does not store (int64, uint64, float16, complex) are a `TypeError` naming them.
 */
export function checkDType(d: unknown, fn: string): CpuDType {
  if (isCpuDType(d)) return d;
  if (isDTypeName(d)) {
    throw new TypeError(
      `${fn}: dtype ${d} is not supported on cpu (supported: ${CPU_DTYPES.join(", ")})`,
    );
  }
  throw new TypeError(`${fn}: unknown dtype ${JSON.stringify(d)}`);
}

/** Storage constructor of `d`. */
export function ctorOf(d: CpuDType): TypedCtor {
  return CTORS[d];
}

/** A zero-filled typed array of `n` elements of dtype `d`. */
export function alloc(d: CpuDType, n: number): HostArray {
  switch (d) {
    case "float64":
      return new Float64Array(n);
    case "float32":
      return new Float32Array(n);
    case "int32":
      return new Int32Array(n);
    case "bool":
    case "uint8":
      return new Uint8Array(n);
    case "int16":
      return new Int16Array(n);
    case "int8":
      return new Int8Array(n);
    case "uint32":
      return new Uint32Array(n);
    case "uint16":
      return new Uint16Array(n);
  }
}

/**
 * The dtype a typed array holds (`Uint8Array` reads as uint8, `Uint8ClampedArray` too),
 * or a `TypeError` for views the CPU backend cannot store.
 */
export function dtypeOfView(v: ArrayBufferView, fn: string): CpuDType {
  if (v instanceof Float64Array) return "float64";
  if (v instanceof Float32Array) return "float32";
  if (v instanceof Int32Array) return "int32";
  if (v instanceof Uint8Array || v instanceof Uint8ClampedArray) return "uint8";
  if (v instanceof Int16Array) return "int16";
  if (v instanceof Int8Array) return "int8";
  if (v instanceof Uint32Array) return "uint32";
  if (v instanceof Uint16Array) return "uint16";
  if (v instanceof BigInt64Array) {
    throw new TypeError(`${fn}: BigInt64Array (int64) is not supported on cpu`);
  }
  if (v instanceof BigUint64Array) {
    throw new TypeError(`${fn}: BigUint64Array (uint64) is not supported on cpu`);
  }
  const name = (v as { constructor?: { name?: string } }).constructor?.name ?? "view";
  if (name === "Float16Array") {
    throw new TypeError(`${fn}: Float16Array (float16) is not supported on cpu`);
  }
  throw new TypeError(`${fn}: ${name} is not supported; pass a typed array`);
}

/** Whether `data` is the storage type of `d`. */
export function storageMatches(data: unknown, d: CpuDType): boolean {
  switch (d) {
    case "float64":
      return data instanceof Float64Array;
    case "float32":
      return data instanceof Float32Array;
    case "int32":
      return data instanceof Int32Array;
    case "bool":
    case "uint8":
      return data instanceof Uint8Array;
    case "int16":
      return data instanceof Int16Array;
    case "int8":
      return data instanceof Int8Array;
    case "uint32":
      return data instanceof Uint32Array;
    case "uint16":
      return data instanceof Uint16Array;
  }
}

/** Whether `d` is float32 or float64. */
export function isFloat(d: DType): d is "float32" | "float64" {
  return d === "float64" || d === "float32";
}

/** Whether `d` is an integer dtype stored here. */
export function isInt(d: DType): boolean {
  return d === "int32" || d === "int8" || d === "int16" || d === "uint8" || d === "uint16" ||
    d === "uint32";
}

/** Range of an integer dtype (for checking host scalars). */
export function intRange(d: CpuDType): [number, number] {
  switch (d) {
    case "int8":
      return [-128, 127];
    case "int16":
      return [-32768, 32767];
    case "int32":
      return [-2147483648, 2147483647];
    case "uint8":
      return [0, 255];
    case "uint16":
      return [0, 65535];
    case "uint32":
      return [0, 4294967295];
    default:
      return [-Infinity, Infinity];
  }
}

/**
 * A view of the same bytes whose element type has the same width (bit-exact copies with at
 * most four typed-array kinds in copy loops): 8 bytes → Float64Array, 4 → Int32Array,
 * 2 → Uint16Array, 1 → Uint8Array.
 */
export function rawView(a: HostArray): Float64Array | Int32Array | Uint16Array | Uint8Array {
  switch (a.BYTES_PER_ELEMENT) {
    case 8:
      return a as Float64Array;
    case 4:
      return a instanceof Int32Array ? a : new Int32Array(a.buffer, a.byteOffset, a.length);
    case 2:
      return a instanceof Uint16Array ? a : new Uint16Array(a.buffer, a.byteOffset, a.length);
    default:
      return a instanceof Uint8Array ? a : new Uint8Array(a.buffer, a.byteOffset, a.length);
  }
}
