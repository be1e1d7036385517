/**
 * Elementwise functions of the standard on the WebGPU namespace (unary, binary with
 * broadcasting and host scalars, `where`, `clip`, `astype`), all generated through the
 * expression-kernel engine.
 *
 * @module
 */
import type { DType, Scalar } from "../../array_api/types.ts";
import { isIntegerDType, promoteTypes, scalarDType } from "../../array_api/dtypes.ts";
import type { Ctx } from "./_ctx.ts";
import { type ExprIn, exprShape, runExpr } from "./_expr.ts";
import { conv, isFloatVal, type Val, valOf } from "./_wgsl.ts";
import { WebGpuArray } from "./webgpu_array.ts";

type A = WebGpuArray;

/** Calls a float helper `fn_f32` on a value of type `T` (f16 goes through f32). @internal */
export function fcall(fn: string, T: Val, ...args: string[]): string {
  if (T === "f16") return `f16(${fn}_f32(${args.map((a) => `f32(${a})`).join(", ")}))`;
  return `${fn}_f32(${args.join(", ")})`;
}

/** Runs a one-output elementwise kernel over broadcast inputs. @internal */
export function mapN(
  ctx: Ctx,
  label: string,
  key: string,
  inputs: readonly ExprIn[],
  outDtype: DType,
  body: (x: readonly string[]) => string,
  helpers: readonly string[] = [],
): A {
  const S = exprShape(inputs, label);
  return runExpr(ctx, {
    label,
    key,
    shape: S,
    inputs,
    body: (x) => `let o0 = ${body(x)};`,
    helpers,
    outputs: [{ dtype: outDtype }],
  })[0];
}

interface UnaryDef {
  /** Output dtype for input dtype (after checks); `null` → TypeError. */
  out: (dt: DType) => DType | null;
  /** Compute type for input dtype (the input is converted to it). */
  compute?: (dt: DType) => DType;
  /** Body expression. */
  body: (x: string, T: Val) => string;
  helpers?: (T: Val) => string[];
  what: string;
}

const numeric = (dt: DType) => (dt === "bool" ? null : dt);
const floaty = (dt: DType) => (dt === "bool" ? null : isIntegerDType(dt) ? "float32" : dt);

const UNARY: Record<string, UnaryDef> = {
  abs: {
    out: numeric,
    body: (x, T) => (T === "u32" ? x : `abs(${x})`),
    what: "a numeric",
  },
  negative: {
    out: numeric,
    body: (x, T) => (T === "u32" ? `(0u - ${x})` : `(-${x})`),
    what: "a numeric",
  },
  sign: {
    out: numeric,
    body: (x, T) =>
      isFloatVal(T)
        ? fcall("sign", T, x)
        : T === "i32"
        ? `sign(${x})`
        : `select(0u, 1u, ${x} > 0u)`,
    helpers: (T) => (isFloatVal(T) ? ["sign_f32"] : []),
    what: "a numeric",
  },
  sqrt: {
    out: floaty,
    compute: floaty as (dt: DType) => DType,
    body: (x, T) => fcall("sqrt", T, x),
    helpers: () => ["sqrt_f32"],
    what: "a numeric",
  },
  exp: {
    out: floaty,
    compute: floaty as (dt: DType) => DType,
    body: (x, T) => fcall("exp", T, x),
    helpers: () => ["exp_f32"],
    what: "a numeric",
  },
  log: {
    out: floaty,
    compute: floaty as (dt: DType) => DType,
    body: (x, T) => fcall("log", T, x),
    helpers: () => ["log_f32"],
    what: "a numeric",
  },
  floor: {
    out: numeric,
    body: (x, T) => (isFloatVal(T) ? `floor(${x})` : x),
    what: "a numeric",
  },
  square: {
    out: numeric,
    body: (x) => `(${x} * ${x})`,
    what: "a numeric",
  },
  isfinite: {
    out: () => "bool",
    body: (x, T) => (isFloatVal(T) ? `isfinite_f32(f32(${x}))` : "true"),
    helpers: (T) => (isFloatVal(T) ? ["isfinite_f32"] : []),
    what: "any",
  },
  isinf: {
    out: () => "bool",
    body: (x, T) => (isFloatVal(T) ? `isinf_f32(f32(${x}))` : "false"),
    helpers: (T) => (isFloatVal(T) ? ["isinf_f32"] : []),
    what: "any",
  },
  isnan: {
    out: () => "bool",
    body: (x, T) => (isFloatVal(T) ? `isnan_f32(f32(${x}))` : "false"),
    helpers: (T) => (isFloatVal(T) ? ["isnan_f32"] : []),
    what: "any",
  },
  logical_not: {
    out: () => "bool",
    compute: () => "bool",
    body: (x) => `(!${x})`,
    what: "any",
  },
};

type BinKind = "arith" | "float" | "compare" | "logical" | "minmax" | "pow";

interface BinaryDef {
  kind: BinKind;
  body: (a: string, b: string, T: Val) => string;
  helpers?: (T: Val) => string[];
}

const BINARY: Record<string, BinaryDef> = {
  add: { kind: "arith", body: (a, b) => `(${a} + ${b})` },
  subtract: { kind: "arith", body: (a, b) => `(${a} - ${b})` },
  multiply: { kind: "arith", body: (a, b) => `(${a} * ${b})` },
  divide: { kind: "float", body: (a, b) => `(${a} / ${b})` },
  hypot: {
    kind: "float",
    body: (a, b, T) => fcall("hypot", T, a, b),
    helpers: () => ["hypot_f32"],
  },
  pow: {
    kind: "pow",
    body: (a, b, T) => (isFloatVal(T) ? fcall("pow", T, a, b) : `pow_${T}(${a}, ${b})`),
    helpers: (T) => [isFloatVal(T) ? "pow_f32" : `pow_${T}`],
  },
  maximum: {
    kind: "minmax",
    body: (a, b, T) => (isFloatVal(T) ? fcall("fmax", T, a, b) : `max(${a}, ${b})`),
    helpers: (T) => (isFloatVal(T) ? ["fmax_f32"] : []),
  },
  minimum: {
    kind: "minmax",
    body: (a, b, T) => (isFloatVal(T) ? fcall("fmin", T, a, b) : `min(${a}, ${b})`),
    helpers: (T) => (isFloatVal(T) ? ["fmin_f32"] : []),
  },
  equal: { kind: "compare", body: (a, b) => `(${a} == ${b})` },
  not_equal: {
    kind: "compare",
    body: (a, b, T) => (isFloatVal(T) ? `(!(${a} == ${b}))` : `(${a} != ${b})`),
  },
  less: { kind: "compare", body: (a, b) => `(${a} < ${b})` },
  less_equal: { kind: "compare", body: (a, b) => `(${a} <= ${b})` },
  greater: { kind: "compare", body: (a, b) => `(${a} > ${b})` },
  greater_equal: { kind: "compare", body: (a, b) => `(${a} >= ${b})` },
  logical_and: { kind: "logical", body: (a, b) => `(${a} && ${b})` },
  logical_or: { kind: "logical", body: (a, b) => `(${a} || ${b})` },
};

/** Elementwise part of the namespace. @internal */
export function elementwiseOps(ctx: Ctx) {
  function unary(name: string, x: A): A {
    ctx.live(x, name);
    const def = UNARY[name];
    const out = def.out(x.dtype);
    if (out === null) throw new TypeError(`${name}: expected ${def.what} array, got ${x.dtype}`);
    const cdt = def.compute ? def.compute(x.dtype) : x.dtype;
    const T = valOf(cdt);
    const v = valOf(x.dtype);
    return mapN(
      ctx,
      name,
      `u:${name}:${x.dtype}:${cdt}`,
      [x],
      out,
      (xs) => def.body(conv(xs[0], v, T), T),
      def.helpers ? def.helpers(T) : [],
    );
  }

  /** Operands of a binary call with the promoted dtype. */
  function operands(name: string, x1: A | Scalar, x2: A | Scalar): [ExprIn, ExprIn, DType] {
    const a1 = x1 instanceof WebGpuArray || typeof x1 === "object";
    const a2 = x2 instanceof WebGpuArray || typeof x2 === "object";
    if (a1) ctx.live(x1, name);
    if (a2) ctx.live(x2, name);
    if (a1 && a2) {
      const d1 = (x1 as A).dtype, d2 = (x2 as A).dtype;
      let dt: DType;
      try {
        dt = promoteTypes(d1, d2);
      } catch {
        throw new TypeError(`${name}: no type promotion between ${d1} and ${d2}`);
      }
      ctx.checkDType(dt, `${name}(${d1}, ${d2})`);
      return [x1 as A, x2 as A, dt];
    }
    if (!a1 && !a2) {
      checkScalar(name, x1);
      checkScalar(name, x2);
      const dt: DType = typeof x1 === "boolean" && typeof x2 === "boolean"
        ? "bool"
        : typeof x1 === "boolean" || typeof x2 === "boolean"
        ? (() => {
          throw new TypeError(`${name}: a boolean cannot be combined with a number`);
        })()
        : Number.isInteger(x1) && Number.isInteger(x2)
        ? "int32"
        : "float32";
      return [{ value: x1 as Scalar, val: valOf(dt) }, { value: x2 as Scalar, val: valOf(dt) }, dt];
    }
    const arr = (a1 ? x1 : x2) as A;
    const s = (a1 ? x2 : x1) as Scalar;
    checkScalar(name, s);
    let dt: DType;
    try {
      dt = scalarDType(s, arr.dtype);
    } catch (e) {
      throw new TypeError(`${name}: ${(e as Error).message}`);
    }
    const sc = { value: s, val: valOf(dt) };
    return a1 ? [arr, sc, dt] : [sc, arr, dt];
  }

  function binary(name: string, x1: A | Scalar, x2: A | Scalar): A {
    const def = BINARY[name];
    const [i1, i2, dt] = operands(name, x1, x2);
    let cdt = dt;
    let out: DType = dt;
    switch (def.kind) {
      case "arith":
      case "minmax":
      case "pow":
        if (dt === "bool") throw new TypeError(`${name}: expected numeric arrays, got bool`);
        break;
      case "float":
        if (dt === "bool") throw new TypeError(`${name}: expected numeric arrays, got bool`);
        if (isIntegerDType(dt)) cdt = out = "float32";
        break;
      case "compare":
        out = "bool";
        if (dt === "bool" && name !== "equal" && name !== "not_equal") cdt = "uint32";
        break;
      case "logical":
        cdt = "bool";
        out = "bool";
        break;
    }
    const T = valOf(cdt);
    const v1 = valOf(i1 instanceof WebGpuArray ? i1.dtype : dt);
    const v2 = valOf(i2 instanceof WebGpuArray ? i2.dtype : dt);
    // host scalars are converted on the host side to the compute type
    const in1 = i1 instanceof WebGpuArray ? i1 : { value: (i1 as { value: Scalar }).value, val: T };
    const in2 = i2 instanceof WebGpuArray ? i2 : { value: (i2 as { value: Scalar }).value, val: T };
    const w1 = i1 instanceof WebGpuArray ? v1 : T;
    const w2 = i2 instanceof WebGpuArray ? v2 : T;
    const k1 = i1 instanceof WebGpuArray ? i1.dtype : "s";
    const k2 = i2 instanceof WebGpuArray ? i2.dtype : "s";
    return mapN(
      ctx,
      name,
      `b:${name}:${k1}:${k2}:${cdt}`,
      [in1, in2],
      out,
      (xs) => def.body(conv(xs[0], w1, T), conv(xs[1], w2, T), T),
      def.helpers ? def.helpers(T) : [],
    );
  }

  function where(cond: A, x1: A | Scalar, x2: A | Scalar): A {
    ctx.live(cond, "where");
    if (cond.dtype !== "bool") {
      throw new TypeError(`where: the condition must be a bool array, got ${cond.dtype}`);
    }
    const [i1, i2, dt] = operands("where", x1, x2);
    const T = valOf(dt);
    const in1 = i1 instanceof WebGpuArray ? i1 : { value: (i1 as { value: Scalar }).value, val: T };
    const in2 = i2 instanceof WebGpuArray ? i2 : { value: (i2 as { value: Scalar }).value, val: T };
    const w1 = i1 instanceof WebGpuArray ? valOf(i1.dtype) : T;
    const w2 = i2 instanceof WebGpuArray ? valOf(i2.dtype) : T;
    const k1 = i1 instanceof WebGpuArray ? i1.dtype : "s";
    const k2 = i2 instanceof WebGpuArray ? i2.dtype : "s";
    return mapN(
      ctx,
      "where",
      `where:${k1}:${k2}:${dt}`,
      [cond, in1, in2],
      dt,
      (xs) => `select(${conv(xs[2], w2, T)}, ${conv(xs[1], w1, T)}, ${xs[0]})`,
    );
  }

  function clip(
    x: A,
    options: { min?: number | A | null; max?: number | A | null } = {},
  ): A {
    ctx.live(x, "clip");
    if (x.dtype === "bool") throw new TypeError("clip: expected a numeric array, got bool");
    const T = valOf(x.dtype);
    const ins: ExprIn[] = [x];
    const parts: string[] = [];
    let key = `clip:${x.dtype}`;
    for (const [name, b] of [["min", options.min], ["max", options.max]] as const) {
      if (b === null || b === undefined) continue;
      let e: ExprIn;
      if (b instanceof WebGpuArray) {
        ctx.live(b, "clip");
        if (b.dtype === "bool") throw new TypeError(`clip: ${name} must be numeric, got bool`);
        e = b;
        key += `:${name}${b.dtype}`;
      } else {
        if (typeof b !== "number") {
          throw new TypeError(`clip: ${name} must be a number or an array`);
        }
        scalarDType(b, x.dtype);
        e = { value: b, val: T };
        key += `:${name}s`;
      }
      parts.push(name);
      ins.push(e);
    }
    if (parts.length === 0) return astype(x, x.dtype, { copy: true });
    const fl = isFloatVal(T);
    return mapN(ctx, "clip", key, ins, x.dtype, (xs) => {
      let e = xs[0];
      parts.forEach((p, k) => {
        const src = ins[k + 1];
        const b = conv(xs[k + 1], src instanceof WebGpuArray ? valOf(src.dtype) : T, T);
        const f = p === "min" ? "fmax" : "fmin";
        e = fl ? fcall(f, T, e, b) : `${p === "min" ? "max" : "min"}(${e}, ${b})`;
      });
      return e;
    }, fl ? ["fmax_f32", "fmin_f32"] : []);
  }

  function astype(x: A, dtype: DType, options: { copy?: boolean; device?: string } = {}): A {
    ctx.live(x, "astype");
    ctx.checkDType(dtype, `astype(${x.dtype} → ${dtype})`);
    if (options.device !== undefined && options.device !== ctx.device) {
      throw new RangeError(
        `astype: unknown device ${options.device} (this namespace has ${ctx.device})`,
      );
    }
    if (dtype === x.dtype && options.copy === false) return x;
    const vi = valOf(x.dtype), vo = valOf(dtype);
    return mapN(ctx, "astype", `cast:${x.dtype}:${dtype}`, [x], dtype, (xs) => conv(xs[0], vi, vo));
  }

  const ops = {
    abs: (x: A): A => unary("abs", x),
    negative: (x: A): A => unary("negative", x),
    sign: (x: A): A => unary("sign", x),
    sqrt: (x: A): A => unary("sqrt", x),
    exp: (x: A): A => unary("exp", x),
    log: (x: A): A => unary("log", x),
    floor: (x: A): A => unary("floor", x),
    square: (x: A): A => unary("square", x),
    isfinite: (x: A): A => unary("isfinite", x),
    isinf: (x: A): A => unary("isinf", x),
    isnan: (x: A): A => unary("isnan", x),
    logical_not: (x: A): A => unary("logical_not", x),
    conj: (x: A): A => {
      ctx.live(x, "conj");
      return ctx.view(x, x.shape, x._st, x._off);
    },
    add: (a: A | Scalar, b: A | Scalar): A => binary("add", a, b),
    subtract: (a: A | Scalar, b: A | Scalar): A => binary("subtract", a, b),
    multiply: (a: A | Scalar, b: A | Scalar): A => binary("multiply", a, b),
    divide: (a: A | Scalar, b: A | Scalar): A => binary("divide", a, b),
    hypot: (a: A | Scalar, b: A | Scalar): A => binary("hypot", a, b),
    pow: (a: A | Scalar, b: A | Scalar): A => binary("pow", a, b),
    maximum: (a: A | Scalar, b: A | Scalar): A => binary("maximum", a, b),
    minimum: (a: A | Scalar, b: A | Scalar): A => binary("minimum", a, b),
    equal: (a: A | Scalar, b: A | Scalar): A => binary("equal", a, b),
    not_equal: (a: A | Scalar, b: A | Scalar): A => binary("not_equal", a, b),
    less: (a: A | Scalar, b: A | Scalar): A => binary("less", a, b),
    less_equal: (a: A | Scalar, b: A | Scalar): A => binary("less_equal", a, b),
    greater: (a: A | Scalar, b: A | Scalar): A => binary("greater", a, b),
    greater_equal: (a: A | Scalar, b: A | Scalar): A => binary("greater_equal", a, b),
    logical_and: (a: A | Scalar, b: A | Scalar): A => binary("logical_and", a, b),
    logical_or: (a: A | Scalar, b: A | Scalar): A => binary("logical_or", a, b),
    where,
    clip,
    astype,
  };
  return ops;
}

function checkScalar(name: string, s: unknown): void {
  if (typeof s !== "number" && typeof s !== "boolean") {
    throw new TypeError(`${name}: expected an array or a host scalar, got ${typeof s}`);
  }
}
