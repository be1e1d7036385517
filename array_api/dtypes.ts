/**
 * Data-type rules shared by every backend: the standard's promotion lattice, `finfo`/`iinfo`
 * tables, `isdtype`, `can_cast`, and scalar handling.
 *
 * Promotion follows the array API standard. Where the standard leaves mixed kinds
 * implementation-defined, this project chooses:
 * - integer with floating → the floating dtype (as PyTorch does; keeps GPU work in float32);
 * - `float16` sits below `float32` in the floating chain.
 * `bool` with a numeric dtype, and `uint64` with a signed integer, are `TypeError`s.
 *
 * @module
 */
import type { DType, DTypeKind, FInfo, FloatDType, IInfo, Scalar } from "./types.ts";

/**
 * Every dtype name of the standard (plus float16), in a stable order.
 *
 * @example
 * ```ts
 * import { ALL_DTYPES } from "./dtypes.ts";
 * console.log(ALL_DTYPES.includes("float32")); // true
 * ```
 */
export const ALL_DTYPES: readonly DType[] = [
  "bool",
  "int8",
  "int16",
  "int32",
  "int64",
  "uint8",
  "uint16",
  "uint32",
  "uint64",
  "float16",
  "float32",
  "float64",
  "complex64",
  "complex128",
];

const SIGNED: readonly DType[] = ["int8", "int16", "int32", "int64"];
const UNSIGNED: readonly DType[] = ["uint8", "uint16", "uint32", "uint64"];
const FLOATS: readonly DType[] = ["float16", "float32", "float64"];
const COMPLEX: readonly DType[] = ["complex64", "complex128"];

/**
 * Whether `x` is a dtype name.
 *
 * @example
 * ```ts
 * import { isDTypeName } from "./dtypes.ts";
 * console.log(isDTypeName("float32"), isDTypeName("double")); // true false
 * ```
 */
export function isDTypeName(x: unknown): x is DType {
  return typeof x === "string" && (ALL_DTYPES as readonly string[]).includes(x);
}

/**
 * Whether `dtype` belongs to `kind` (the standard's `isdtype`). `kind` may also be a dtype
 * name (equality) or an array of kinds/names (any match).
 *
 * @example
 * ```ts
 * import { isdtype } from "./dtypes.ts";
 * console.log(isdtype("int32", "integral"), isdtype("float32", ["bool", "real floating"]));
 * ```
 */
export function isdtype(
  dtype: DType,
  kind: DTypeKind | DType | readonly (DTypeKind | DType)[],
): boolean {
  if (Array.isArray(kind)) return kind.some((k) => isdtype(dtype, k));
  switch (kind as DTypeKind | DType) {
    case "bool":
      return dtype === "bool";
    case "signed integer":
      return SIGNED.includes(dtype);
    case "unsigned integer":
      return UNSIGNED.includes(dtype);
    case "integral":
      return SIGNED.includes(dtype) || UNSIGNED.includes(dtype);
    case "real floating":
      return FLOATS.includes(dtype);
    case "complex floating":
      return COMPLEX.includes(dtype);
    case "numeric":
      return dtype !== "bool";
    default:
      if (isDTypeName(kind)) return dtype === kind;
      throw new TypeError(`isdtype: unknown kind ${JSON.stringify(kind)}`);
  }
}

/**
 * Whether `dtype` is a real floating dtype.
 *
 * @example
 * ```ts
 * import { isFloatDType } from "./dtypes.ts";
 * console.log(isFloatDType("float32")); // true
 * ```
 */
export function isFloatDType(dtype: DType): dtype is FloatDType {
  return FLOATS.includes(dtype);
}

/**
 * Whether `dtype` is a signed or unsigned integer dtype.
 *
 * @example
 * ```ts
 * import { isIntegerDType } from "./dtypes.ts";
 * console.log(isIntegerDType("uint8")); // true
 * ```
 */
export function isIntegerDType(dtype: DType): boolean {
  return SIGNED.includes(dtype) || UNSIGNED.includes(dtype);
}

function bits(dtype: DType): number {
  switch (dtype) {
    case "bool":
    case "int8":
    case "uint8":
      return 8;
    case "int16":
    case "uint16":
    case "float16":
      return 16;
    case "int32":
    case "uint32":
    case "float32":
      return 32;
    case "complex128":
      return 128;
    default:
      return 64;
  }
}

/**
 * Promotes two dtypes under the standard's rules (see the module notes for the mixed-kind
 * choices). Throws a `TypeError` naming both dtypes when no promotion exists.
 *
 * @example
 * ```ts
 * import { promoteTypes } from "./dtypes.ts";
 * console.log(promoteTypes("int8", "uint8"), promoteTypes("float32", "float64")); // int16 float64
 * ```
 */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === b) return a;
  const fail = (): never => {
    throw new TypeError(`no type promotion between ${a} and ${b}`);
  };
  if (a === "bool" || b === "bool") return fail();
  const ka = kindOf(a), kb = kindOf(b);
  if (ka === kb) {
    if (ka === "c") return bits(a) >= bits(b) ? a : b;
    return bits(a) >= bits(b) ? a : b;
  }
  // complex with anything numeric
  if (ka === "c" || kb === "c") {
    const c = ka === "c" ? a : b, o = ka === "c" ? b : a;
    if (o === "float64") return "complex128";
    return c;
  }
  // floating with integer: the floating dtype
  if (ka === "f") return a;
  if (kb === "f") return b;
  // signed with unsigned
  const s = ka === "i" ? a : b, u = ka === "i" ? b : a;
  if (u === "uint64") return fail();
  const need = Math.max(bits(s), 2 * bits(u));
  if (need > 64) return fail();
  return (`int${need}`) as DType;
}

function kindOf(d: DType): "b" | "i" | "u" | "f" | "c" {
  if (d === "bool") return "b";
  if (SIGNED.includes(d)) return "i";
  if (UNSIGNED.includes(d)) return "u";
  if (FLOATS.includes(d)) return "f";
  return "c";
}

/**
 * Whether a value of `from` can be cast to `to` under the promotion rules
 * (`promoteTypes(from, to) === to`).
 *
 * @example
 * ```ts
 * import { canCast } from "./dtypes.ts";
 * console.log(canCast("float32", "float64"), canCast("float64", "float32")); // true false
 * ```
 */
export function canCast(from: DType, to: DType): boolean {
  if (from === to) return true;
  try {
    return promoteTypes(from, to) === to;
  } catch {
    return false;
  }
}

/**
 * The dtype a host scalar takes when combined with an array of dtype `arrayDType`
 * (the standard's scalar rules). A boolean needs a bool array; a non-integral number with an
 * integer array, or a number with a bool array, is a `TypeError`.
 *
 * @example
 * ```ts
 * import { scalarDType } from "./dtypes.ts";
 * console.log(scalarDType(2, "float32"), scalarDType(3, "int32")); // float32 int32
 * ```
 */
export function scalarDType(value: Scalar, arrayDType: DType): DType {
  if (typeof value === "boolean") {
    if (arrayDType !== "bool") {
      throw new TypeError(`a boolean scalar cannot be combined with a ${arrayDType} array`);
    }
    return "bool";
  }
  if (arrayDType === "bool") {
    throw new TypeError(`the number ${value} cannot be combined with a bool array`);
  }
  if (isIntegerDType(arrayDType) && !Number.isInteger(value) && Number.isFinite(value)) {
    throw new TypeError(
      `the non-integral number ${value} cannot be combined with a ${arrayDType} array ` +
        `(cast the array to a floating dtype first)`,
    );
  }
  return arrayDType;
}

/**
 * The standard's `result_type` over dtypes and host scalars, given the namespace's default
 * dtypes for scalar-only calls.
 *
 * @example
 * ```ts
 * import { resultType } from "./dtypes.ts";
 * console.log(resultType(["float32", 2.5], "float64")); // float32
 * ```
 */
export function resultType(
  items: readonly (DType | Scalar)[],
  defaultFloat: DType,
  defaultInt: DType = "int32",
): DType {
  const dts = items.filter((x): x is DType => typeof x === "string");
  const scalars = items.filter((x): x is Scalar => typeof x !== "string");
  if (dts.length === 0 && scalars.length === 0) {
    throw new RangeError("result_type needs at least one array, dtype or scalar");
  }
  let dt: DType;
  if (dts.length > 0) {
    dt = dts[0];
    for (let i = 1; i < dts.length; i++) dt = promoteTypes(dt, dts[i]);
    for (const s of scalars) scalarDType(s, dt);
    return dt;
  }
  if (scalars.every((s) => typeof s === "boolean")) return "bool";
  if (scalars.some((s) => typeof s === "boolean")) {
    throw new TypeError("result_type: booleans cannot be combined with numbers");
  }
  return scalars.every((s) => Number.isInteger(s)) ? defaultInt : defaultFloat;
}

const FINFO: Record<string, FInfo> = {
  float16: {
    bits: 16,
    eps: 2 ** -10,
    max: 65504,
    min: -65504,
    smallest_normal: 2 ** -14,
    dtype: "float16",
  },
  float32: {
    bits: 32,
    eps: 2 ** -23,
    max: 3.4028234663852886e38,
    min: -3.4028234663852886e38,
    smallest_normal: 2 ** -126,
    dtype: "float32",
  },
  float64: {
    bits: 64,
    eps: Number.EPSILON,
    max: Number.MAX_VALUE,
    min: -Number.MAX_VALUE,
    smallest_normal: 2.2250738585072014e-308,
    dtype: "float64",
  },
  complex64: {
    bits: 32,
    eps: 2 ** -23,
    max: 3.4028234663852886e38,
    min: -3.4028234663852886e38,
    smallest_normal: 2 ** -126,
    dtype: "float32",
  },
  complex128: {
    bits: 64,
    eps: Number.EPSILON,
    max: Number.MAX_VALUE,
    min: -Number.MAX_VALUE,
    smallest_normal: 2.2250738585072014e-308,
    dtype: "float64",
  },
};

/**
 * `finfo` for a floating (or complex) dtype; other dtypes are a `TypeError`.
 *
 * @example
 * ```ts
 * import { finfo } from "./dtypes.ts";
 * console.log(finfo("float64").eps === Number.EPSILON); // true
 * ```
 */
export function finfo(dtype: DType): FInfo {
  const f = FINFO[dtype];
  if (!f) throw new TypeError(`finfo needs a floating dtype, got ${dtype}`);
  return f;
}

/**
 * `iinfo` for an integer dtype; other dtypes are a `TypeError`. 64-bit limits are rounded to
 * the nearest double.
 *
 * @example
 * ```ts
 * import { iinfo } from "./dtypes.ts";
 * console.log(iinfo("uint8").max); // 255
 * ```
 */
export function iinfo(dtype: DType): IInfo {
  if (!isIntegerDType(dtype)) throw new TypeError(`iinfo needs an integer dtype, got ${dtype}`);
  const b = bits(dtype);
  if (dtype.startsWith("u")) return { bits: b, min: 0, max: 2 ** b - 1, dtype };
  return { bits: b, min: -(2 ** (b - 1)), max: 2 ** (b - 1) - 1, dtype };
}

/**
 * Size in bytes of one element of `dtype` (bool counts as 1).
 *
 * @example
 * ```ts
 * import { itemSize } from "./dtypes.ts";
 * console.log(itemSize("float32")); // 4
 * ```
 */
export function itemSize(dtype: DType): number {
  return bits(dtype) / 8;
}
