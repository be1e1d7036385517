/**
 * Private elementwise functions of the CPU backend: dtype rules of the standard (promotion,
 * host scalars), broadcasting, and the operator table compiled by `_kernel.ts`.
 *
 * @module
 */
import type { DType, Scalar, Shape } from "../../array_api/types.ts";
import { promoteTypes, resultType, scalarDType } from "../../array_api/dtypes.ts";
import { broadcastShapes, fmtShape, shapesEqual, shapeSize } from "../../array_api/shapes.ts";
import { CpuArray } from "./cpu_array.ts";
import { alloc, type CpuDType, intRange, isCpuDType, isFloat, isInt } from "./_dtype.ts";
import { type ElementOp, planLoop, runElementwise } from "./_kernel.ts";
import { asArr, describe } from "./_util.ts";

function op(key: string, expr: (v: readonly string[]) => string, fn: ElementOp["fn"]): ElementOp {
  return { key, expr, fn };
}

// ------------------------------------------------------------------ operator table
const POW_EXPR = ([a, b]: readonly string[]) =>
  `((${a} === 1 || ${b} === 0 || ((${a} === -1) && (${b} === Infinity || ${b} === -Infinity))) ? 1 : Math.pow(${a}, ${b}))`;
function powFn(a: number, b: number): number {
  if (a === 1 || b === 0 || (a === -1 && (b === Infinity || b === -Infinity))) return 1;
  return Math.pow(a, b);
}

/** Operators by name. `_i32` variants wrap like 32-bit integers. */
export const OPS = {
  add: op("add", ([a, b]) => `${a} + ${b}`, (a, b) => a + b),
  subtract: op("sub", ([a, b]) => `${a} - ${b}`, (a, b) => a - b),
  multiply: op("mul", ([a, b]) => `${a} * ${b}`, (a, b) => a * b),
  multiply_i32: op("imul", ([a, b]) => `Math.imul(${a}, ${b})`, (a, b) => Math.imul(a, b)),
  divide: op("div", ([a, b]) => `${a} / ${b}`, (a, b) => a / b),
  pow: op("pow", POW_EXPR, powFn),
  maximum: op("max", ([a, b]) => `Math.max(${a}, ${b})`, (a, b) => Math.max(a, b)),
  minimum: op("min", ([a, b]) => `Math.min(${a}, ${b})`, (a, b) => Math.min(a, b)),
  hypot: op("hypot", ([a, b]) => `Math.hypot(${a}, ${b})`, (a, b) => Math.hypot(a, b)),
  less: op("lt", ([a, b]) => `(${a} < ${b} ? 1 : 0)`, (a, b) => (a < b ? 1 : 0)),
  less_equal: op("le", ([a, b]) => `(${a} <= ${b} ? 1 : 0)`, (a, b) => (a <= b ? 1 : 0)),
  greater: op("gt", ([a, b]) => `(${a} > ${b} ? 1 : 0)`, (a, b) => (a > b ? 1 : 0)),
  greater_equal: op("ge", ([a, b]) => `(${a} >= ${b} ? 1 : 0)`, (a, b) => (a >= b ? 1 : 0)),
  equal: op("eq", ([a, b]) => `(${a} === ${b} ? 1 : 0)`, (a, b) => (a === b ? 1 : 0)),
  not_equal: op("ne", ([a, b]) => `(${a} !== ${b} ? 1 : 0)`, (a, b) => (a !== b ? 1 : 0)),
  logical_and: op(
    "and",
    ([a, b]) => `(${a} !== 0 && ${b} !== 0 ? 1 : 0)`,
    (a, b) => (a !== 0 && b !== 0 ? 1 : 0),
  ),
  logical_or: op(
    "or",
    ([a, b]) => `(${a} !== 0 || ${b} !== 0 ? 1 : 0)`,
    (a, b) => (a !== 0 || b !== 0 ? 1 : 0),
  ),
  // unary
  abs: op("abs", ([a]) => `Math.abs(${a})`, (a) => Math.abs(a)),
  negative: op("neg", ([a]) => `-${a}`, (a) => -a),
  sign: op(
    "sign",
    ([a]) => `(${a} > 0 ? 1 : ${a} < 0 ? -1 : ${a})`,
    (a) => (a > 0 ? 1 : a < 0 ? -1 : a),
  ),
  sqrt: op("sqrt", ([a]) => `Math.sqrt(${a})`, (a) => Math.sqrt(a)),
  square: op("sq", ([a]) => `${a} * ${a}`, (a) => a * a),
  square_i32: op("isq", ([a]) => `Math.imul(${a}, ${a})`, (a) => Math.imul(a, a)),
  exp: op("exp", ([a]) => `Math.exp(${a})`, (a) => Math.exp(a)),
  log: op("log", ([a]) => `Math.log(${a})`, (a) => Math.log(a)),
  floor: op("floor", ([a]) => `Math.floor(${a})`, (a) => Math.floor(a)),
  isfinite: op(
    "isfinite",
    ([a]) => `(${a} - ${a} === 0 ? 1 : 0)`,
    (a) => (a - a === 0 ? 1 : 0),
  ),
  isinf: op(
    "isinf",
    ([a]) => `(${a} === Infinity || ${a} === -Infinity ? 1 : 0)`,
    (a) => (a === Infinity || a === -Infinity ? 1 : 0),
  ),
  isnan: op("isnan", ([a]) => `(${a} !== ${a} ? 1 : 0)`, (a) => (a !== a ? 1 : 0)),
  logical_not: op("not", ([a]) => `(${a} === 0 ? 1 : 0)`, (a) => (a === 0 ? 1 : 0)),
  identity: op("id", ([a]) => a, (a) => a),
  to_bool: op("tobool", ([a]) => `(${a} !== 0 ? 1 : 0)`, (a) => (a !== 0 ? 1 : 0)),
  where: op(
    "where",
    ([c, a, b]) => `(${c} !== 0 ? ${a} : ${b})`,
    (c, a, b) => (c !== 0 ? a : b),
  ),
  clip: op(
    "clip",
    ([a, lo, hi]) => `Math.max(Math.min(${a}, ${hi}), ${lo})`,
    (a, lo, hi) => Math.max(Math.min(a, hi), lo),
  ),
  clip_lo: op("cliplo", ([a, lo]) => `Math.max(${a}, ${lo})`, (a, lo) => Math.max(a, lo)),
  clip_hi: op("cliphi", ([a, hi]) => `Math.min(${a}, ${hi})`, (a, hi) => Math.min(a, hi)),
} as const;

// ------------------------------------------------------------------ core runner
/** A broadcast elementwise evaluation into a new array of `dtype` and the broadcast shape. */
export function elementwise(
  fn: string,
  o: ElementOp,
  dtype: CpuDType,
  operands: readonly (CpuArray | number)[],
): CpuArray {
  const shapes: Shape[] = [];
  for (const x of operands) if (typeof x !== "number") shapes.push(x.shape);
  const shape = shapes.length === 1 ? Array.from(shapes[0]) : broadcastShapes(shapes, fn);
  const out = alloc(dtype, shapeSize(shape));
  const plan = planLoop(shape, operands);
  runElementwise(o, out, plan, operands.map((x) => (typeof x === "number" ? x : x.data)));
  return new CpuArray(out, shape, dtype);
}

/** Converts (and broadcasts) `x` into a new array of `dtype` and `shape`. */
export function convert(x: CpuArray, dtype: CpuDType, shape: Shape = x.shape): CpuArray {
  const same = shapesEqual(shape, x.shape);
  if (same && dtype === x.dtype) return new CpuArray(x.data.slice(), shape, dtype);
  const o = dtype === "bool" && x.dtype !== "bool" ? OPS.to_bool : OPS.identity;
  const out = alloc(dtype, shapeSize(shape));
  runElementwise(o, out, planLoop(shape, [x]), [x.data]);
  return new CpuArray(out, Array.from(shape), dtype);
}

// ------------------------------------------------------------------ scalars
/**
 * Converts a host scalar to the value it has as an element of `dtype` (the standard's scalar
 * rule), or throws: booleans with numbers are a `TypeError` (via `scalarDType`); integers out
 * of range (or non-finite) for an integer dtype are a `RangeError`.
 */
export function scalarValue(v: Scalar, dtype: DType, fn: string): number {
  scalarDType(v, dtype);
  if (typeof v === "boolean") return v ? 1 : 0;
  if (dtype === "float32") return Math.fround(v);
  if (isInt(dtype) && isCpuDType(dtype)) {
    const [lo, hi] = intRange(dtype);
    if (!(Number.isInteger(v) && v >= lo && v <= hi)) {
      throw new RangeError(`${fn}: the number ${v} cannot be represented in ${dtype}`);
    }
  }
  return v;
}

function checkScalar(v: unknown, fn: string): Scalar {
  if (typeof v === "number" || typeof v === "boolean") return v;
  throw new TypeError(`${fn}: expected a cpu array or a number/boolean, got ${describe(v)}`);
}

// ------------------------------------------------------------------ unary
/** Names of the unary functions. */
export type UnaryName =
  | "abs"
  | "negative"
  | "sign"
  | "square"
  | "sqrt"
  | "exp"
  | "log"
  | "floor"
  | "isfinite"
  | "isinf"
  | "isnan"
  | "logical_not"
  | "conj";

/** Applies a unary function of the standard. */
export function unary(name: UnaryName, xIn: unknown): CpuArray {
  const x = asArr(xIn, name);
  const dt = x.dtype as CpuDType;
  switch (name) {
    case "logical_not":
      if (dt !== "bool") throw new TypeError(`logical_not needs a bool array, got ${dt}`);
      return elementwise(name, OPS.logical_not, "bool", [x]);
    case "conj":
      return new CpuArray(x.data.slice(), x.shape, dt);
  }
  if (dt === "bool") {
    throw new TypeError(`${name} needs a numeric array, got bool`);
  }
  switch (name) {
    case "abs":
      if (dt.startsWith("u")) return new CpuArray(x.data.slice(), x.shape, dt);
      return elementwise(name, OPS.abs, dt, [x]);
    case "negative":
      return elementwise(name, OPS.negative, dt, [x]);
    case "sign":
      return elementwise(name, OPS.sign, dt, [x]);
    case "square":
      return elementwise(
        name,
        dt === "int32" || dt === "uint32" ? OPS.square_i32 : OPS.square,
        dt,
        [x],
      );
    case "sqrt":
    case "exp":
    case "log":
      return elementwise(name, OPS[name], isFloat(dt) ? dt : "float64", [x]);
    case "floor":
      if (!isFloat(dt)) return new CpuArray(x.data.slice(), x.shape, dt);
      return elementwise(name, OPS.floor, dt, [x]);
    case "isfinite":
    case "isinf":
    case "isnan":
      if (!isFloat(dt)) {
        const out = new Uint8Array(x.size);
        if (name === "isfinite") out.fill(1);
        return new CpuArray(out, x.shape, "bool");
      }
      return elementwise(name, OPS[name], "bool", [x]);
  }
}

// ------------------------------------------------------------------ binary
/** Names of the binary functions. */
export type BinaryName =
  | "add"
  | "subtract"
  | "multiply"
  | "divide"
  | "pow"
  | "maximum"
  | "minimum"
  | "hypot"
  | "less"
  | "less_equal"
  | "greater"
  | "greater_equal"
  | "equal"
  | "not_equal"
  | "logical_and"
  | "logical_or";

type Kind = "arith" | "float" | "compare" | "equality" | "logical";

const KIND: Record<BinaryName, Kind> = {
  add: "arith",
  subtract: "arith",
  multiply: "arith",
  pow: "arith",
  maximum: "arith",
  minimum: "arith",
  divide: "float",
  hypot: "float",
  less: "compare",
  less_equal: "compare",
  greater: "compare",
  greater_equal: "compare",
  equal: "equality",
  not_equal: "equality",
  logical_and: "logical",
  logical_or: "logical",
};

function computeDType(name: string, a: DType, b: DType, kind: Kind): CpuDType {
  if (kind === "logical") {
    if (a !== "bool" || b !== "bool") {
      throw new TypeError(`${name} needs bool operands, got ${a} and ${b}`);
    }
    return "bool";
  }
  if (kind !== "equality" && (a === "bool" || b === "bool")) {
    throw new TypeError(`${name} needs numeric operands, got ${a} and ${b}`);
  }
  const r = promoteTypes(a, b);
  if (kind === "compare" || kind === "equality") return "bool";
  if (kind === "float" && !isFloat(r)) return "float64";
  if (!isCpuDType(r)) {
    throw new TypeError(`${name}: ${a} and ${b} promote to ${r}, which is not supported on cpu`);
  }
  return r;
}

/** Applies a binary function of the standard (arrays or host scalars, broadcasting). */
export function binary(name: BinaryName, x1: unknown, x2: unknown): CpuArray {
  const kind = KIND[name];
  const a1 = x1 instanceof CpuArray ? x1 : null;
  const a2 = x2 instanceof CpuArray ? x2 : null;
  let v1: CpuArray | number, v2: CpuArray | number, out: CpuDType;
  if (a1 && a2) {
    out = computeDType(name, a1.dtype, a2.dtype, kind);
    v1 = a1;
    v2 = a2;
  } else if (a1 || a2) {
    const arr = (a1 ?? a2)!;
    const other = a1 ? x2 : x1;
    if (typeof other === "object" && other !== null) asArr(other, name, a1 ? "x2" : "x1");
    const s = checkScalar(other, name);
    const dt = arr.dtype;
    out = computeDType(name, dt, dt, kind);
    let sv: number;
    if ((kind === "compare" || kind === "equality") && typeof s === "number" && isInt(dt)) {
      scalarDType(s, dt);
      sv = s; // compared exactly
    } else {
      sv = scalarValue(s, dt, name);
    }
    v1 = a1 ? arr : sv;
    v2 = a1 ? sv : arr;
  } else {
    if (typeof x1 === "object" && x1 !== null) asArr(x1, name, "x1");
    if (typeof x2 === "object" && x2 !== null) asArr(x2, name, "x2");
    throw new TypeError(`${name}: at least one operand must be a cpu array`);
  }
  let o: ElementOp;
  if (name === "multiply" && (out === "int32" || out === "uint32")) o = OPS.multiply_i32;
  else o = OPS[name];
  return elementwise(name, o, out, [v1, v2]);
}

// ------------------------------------------------------------------ where / clip
/** `condition ? x1 : x2`, broadcasting all three. */
export function where(condIn: unknown, x1: unknown, x2: unknown): CpuArray {
  const fn = "where";
  const c = asArr(condIn, fn, "condition");
  if (c.dtype !== "bool") throw new TypeError(`where: condition must be bool, got ${c.dtype}`);
  const a1 = x1 instanceof CpuArray ? x1 : null;
  const a2 = x2 instanceof CpuArray ? x2 : null;
  if (!a1 && typeof x1 === "object" && x1 !== null) asArr(x1, fn, "x1");
  if (!a2 && typeof x2 === "object" && x2 !== null) asArr(x2, fn, "x2");
  let out: DType;
  if (a1 && a2) out = promoteTypes(a1.dtype, a2.dtype);
  else if (a1) out = scalarDType(checkScalar(x2, fn), a1.dtype);
  else if (a2) out = scalarDType(checkScalar(x1, fn), a2.dtype);
  else out = resultType([checkScalar(x1, fn), checkScalar(x2, fn)], "float64", "int32");
  if (!isCpuDType(out)) {
    throw new TypeError(`where: the branches promote to ${out}, which is not supported on cpu`);
  }
  const v1 = a1 ?? scalarValue(x1 as Scalar, out, fn);
  const v2 = a2 ?? scalarValue(x2 as Scalar, out, fn);
  return elementwise(fn, OPS.where, out, [c, v1, v2]);
}

/**
 * Clamps `x` to `[min, max]` as `maximum(minimum(x, max), min)` (so `min` wins where
 * `min > max`); NaN propagates; `x` and both bounds broadcast; the result has `x`'s dtype.
 */
export function clip(
  xIn: unknown,
  options: { min?: number | CpuArray | null; max?: number | CpuArray | null } = {},
): CpuArray {
  const fn = "clip";
  const x = asArr(xIn, fn);
  const dt = x.dtype as CpuDType;
  if (dt === "bool") throw new TypeError("clip needs a numeric array, got bool");
  const bound = (b: unknown, what: string): CpuArray | number | null => {
    if (b === undefined || b === null) return null;
    if (typeof b === "number") {
      scalarDType(b, dt); // a non-integral bound for an integer array is a TypeError
      return dt === "float32" ? Math.fround(b) : b;
    }
    const a = asArr(b, fn, what);
    if (a.dtype === "bool") throw new TypeError(`clip: ${what} must be numeric, got bool`);
    return a;
  };
  const lo = bound(options.min, "min"), hi = bound(options.max, "max");
  if (lo === null && hi === null) return new CpuArray(x.data.slice(), x.shape, dt);
  if (lo !== null && hi !== null) return elementwise(fn, OPS.clip, dt, [x, lo, hi]);
  if (lo !== null) return elementwise(fn, OPS.clip_lo, dt, [x, lo]);
  return elementwise(fn, OPS.clip_hi, dt, [x, hi!]);
}

/** Broadcasts `x` to `shape` (a copy; `x` itself when the shape already matches). */
export function broadcastTo(x: CpuArray, shape: Shape, fn = "broadcast_to"): CpuArray {
  const target = Array.from(shape);
  if (shapesEqual(target, x.shape)) return x;
  const b = broadcastShapes([x.shape, target], fn);
  if (!shapesEqual(b, target)) {
    throw new RangeError(
      `${fn}: cannot broadcast shape ${fmtShape(x.shape)} to ${fmtShape(target)}`,
    );
  }
  return convert(x, x.dtype as CpuDType, target);
}
