/**
 * Elementwise functions of the tfjs namespace.
 *
 * @module
 */
import type { Scalar } from "../../array_api/types.ts";
import { broadcastShapes, fmtShape, shapesEqual } from "../../array_api/shapes.ts";
import { type Arr, checkDType, type Ctx, type NS, promoteAt, scalarDTypeAt } from "./_context.ts";
import { hypot, nanMaximum, nanMinimum, signNaN } from "./_tensor_ops.ts";
import type { TfDType, TfTensor } from "./tf_like.ts";

type ElementwiseName =
  | "abs"
  | "add"
  | "clip"
  | "conj"
  | "divide"
  | "equal"
  | "exp"
  | "floor"
  | "greater"
  | "greater_equal"
  | "hypot"
  | "isfinite"
  | "isinf"
  | "isnan"
  | "less"
  | "less_equal"
  | "log"
  | "logical_and"
  | "logical_not"
  | "logical_or"
  | "maximum"
  | "minimum"
  | "multiply"
  | "negative"
  | "not_equal"
  | "pow"
  | "sign"
  | "sqrt"
  | "square"
  | "subtract"
  | "where";

/** Builds the elementwise functions over `ctx`. */
export function elementwiseFunctions(ctx: Ctx): Pick<NS, ElementwiseName> {
  const tf = ctx.tf;
  type Bin = (a: TfTensor, b: TfTensor) => TfTensor;

  /** Numeric binary op whose result keeps the promoted dtype (bool refused). */
  function numeric(where: string, x1: Arr | Scalar, x2: Arr | Scalar, op: Bin): Arr {
    const o = ctx.binaryOperands(where, x1, x2);
    if (o.dtype === "bool") throw new TypeError(`${where}: bool operands are not supported`);
    return ctx.run(o.arrays, () => op(o.a(), o.b()), o.dtype);
  }

  /** Binary op computed in float32 (integer operands are converted; bool refused). */
  function floating(where: string, x1: Arr | Scalar, x2: Arr | Scalar, op: Bin): Arr {
    const o = ctx.binaryOperands(where, x1, x2);
    if (o.dtype === "bool") throw new TypeError(`${where}: bool operands are not supported`);
    return ctx.run(o.arrays, () => {
      const a = ctx.cast(o.a(), "float32"), b = ctx.cast(o.b(), "float32");
      return op(a, b);
    }, "float32");
  }

  /** Comparison; `ordered` comparisons refuse bool. */
  function compare(
    where: string,
    x1: Arr | Scalar,
    x2: Arr | Scalar,
    op: Bin,
    ordered: boolean,
  ): Arr {
    const o = ctx.binaryOperands(where, x1, x2);
    if (ordered && o.dtype === "bool") {
      throw new TypeError(`${where}: bool operands cannot be ordered`);
    }
    return ctx.run(o.arrays, () => op(o.a(), o.b()), "bool");
  }

  /** Logical binary op: both operands bool. */
  function logical(where: string, x1: Arr | Scalar, x2: Arr | Scalar, op: Bin): Arr {
    const o = ctx.binaryOperands(where, x1, x2);
    if (o.dtype !== "bool") {
      throw new TypeError(`${where}: needs bool operands, got ${o.dtype}`);
    }
    return ctx.run(o.arrays, () => op(o.a(), o.b()), "bool");
  }

  /** Unary op keeping the dtype; bool refused. */
  function unaryNumeric(where: string, x: Arr, op: (t: TfTensor) => TfTensor): Arr {
    const a = ctx.arr(x, where);
    if (a.dtype === "bool") throw new TypeError(`${where}: bool input is not supported`);
    return ctx.run([a], () => op(a.tensor), a.dtype as TfDType);
  }

  /** Unary op with a float32 result (integers converted; bool refused). */
  function unaryFloat(where: string, x: Arr, op: (t: TfTensor) => TfTensor): Arr {
    const a = ctx.arr(x, where);
    if (a.dtype === "bool") throw new TypeError(`${where}: bool input is not supported`);
    return ctx.run([a], () => op(ctx.cast(a.tensor, "float32")), "float32");
  }

  /** Classification (isnan & co.): non-float inputs give a constant. */
  function classify(where: string, x: Arr, op: (t: TfTensor) => TfTensor, other: boolean): Arr {
    const a = ctx.arr(x, where);
    if (a.dtype !== "float32") {
      return ctx.run([a], () => tf.fill(a.shape.slice(), other ? 1 : 0, "bool"), "bool");
    }
    return ctx.run([a], () => op(a.tensor), "bool");
  }

  function clipBound(x: Arr, bound: unknown, which: string): (() => TfTensor) | undefined {
    if (bound === undefined || bound === null) return undefined;
    const dt = x.dtype as TfDType;
    if (typeof bound === "number") {
      scalarDTypeAt("clip", bound, dt);
      return () => ctx.scalar(bound, dt);
    }
    const b = ctx.arr(bound, "clip", which);
    if (b.dtype === "bool") throw new TypeError(`clip: ${which} must be numeric, got bool`);
    promoteAt("clip", x.dtype, b.dtype);
    const s = broadcastShapes([x.shape, b.shape], "clip");
    if (!shapesEqual(s, x.shape)) {
      throw new RangeError(
        `clip: ${which} of shape ${fmtShape(b.shape)} does not broadcast to x's shape ` +
          fmtShape(x.shape),
      );
    }
    return () => ctx.cast(b.tensor, dt);
  }

  return {
    abs: (x) => unaryNumeric("abs", x, (t) => tf.abs(t)),
    add: (x1, x2) => numeric("add", x1, x2, (a, b) => tf.add(a, b)),
    clip(x, options = {}) {
      const a = ctx.arr(x, "clip");
      if (a.dtype === "bool") throw new TypeError("clip: bool input is not supported");
      const lo = clipBound(a, options.min, "min"), hi = clipBound(a, options.max, "max");
      const inputs = [a, options.min, options.max].filter((v): v is Arr => ctx.isOwn(v));
      return ctx.run(inputs, () => {
        let r = a.tensor;
        if (lo) r = nanMaximum(tf, r, lo());
        if (hi) r = nanMinimum(tf, r, hi());
        return ctx.broadcastTo(r, a.shape);
      }, a.dtype as TfDType);
    },
    conj: (x) => {
      const a = ctx.arr(x, "conj");
      return ctx.run([a], () => a.tensor);
    },
    divide: (x1, x2) => floating("divide", x1, x2, (a, b) => tf.div(a, b)),
    equal: (x1, x2) => compare("equal", x1, x2, (a, b) => tf.equal(a, b), false),
    exp: (x) => unaryFloat("exp", x, (t) => tf.exp(t)),
    floor: (x) => {
      const a = ctx.arr(x, "floor");
      if (a.dtype === "bool") throw new TypeError("floor: bool input is not supported");
      return ctx.run([a], () => a.dtype === "float32" ? tf.floor(a.tensor) : a.tensor);
    },
    greater: (x1, x2) => compare("greater", x1, x2, (a, b) => tf.greater(a, b), true),
    greater_equal: (x1, x2) =>
      compare("greater_equal", x1, x2, (a, b) => tf.greaterEqual(a, b), true),
    hypot: (x1, x2) => floating("hypot", x1, x2, (a, b) => hypot(tf, a, b)),
    isfinite: (x) => classify("isfinite", x, (t) => tf.isFinite(t), true),
    isinf: (x) => classify("isinf", x, (t) => tf.isInf(t), false),
    isnan: (x) => classify("isnan", x, (t) => tf.isNaN(t), false),
    less: (x1, x2) => compare("less", x1, x2, (a, b) => tf.less(a, b), true),
    less_equal: (x1, x2) => compare("less_equal", x1, x2, (a, b) => tf.lessEqual(a, b), true),
    log: (x) => unaryFloat("log", x, (t) => tf.log(t)),
    logical_and: (x1, x2) => logical("logical_and", x1, x2, (a, b) => tf.logicalAnd(a, b)),
    logical_not: (x) => {
      const a = ctx.arr(x, "logical_not");
      if (a.dtype !== "bool") {
        throw new TypeError(`logical_not: needs a bool array, got ${a.dtype}`);
      }
      return ctx.run([a], () => tf.logicalNot(a.tensor), "bool");
    },
    logical_or: (x1, x2) => logical("logical_or", x1, x2, (a, b) => tf.logicalOr(a, b)),
    maximum: (x1, x2) => numeric("maximum", x1, x2, (a, b) => nanMaximum(tf, a, b)),
    minimum: (x1, x2) => numeric("minimum", x1, x2, (a, b) => nanMinimum(tf, a, b)),
    multiply: (x1, x2) => numeric("multiply", x1, x2, (a, b) => tf.mul(a, b)),
    negative: (x) => unaryNumeric("negative", x, (t) => tf.neg(t)),
    not_equal: (x1, x2) => compare("not_equal", x1, x2, (a, b) => tf.notEqual(a, b), false),
    pow: (x1, x2) => numeric("pow", x1, x2, (a, b) => tf.pow(a, b)),
    sign: (x) => unaryNumeric("sign", x, (t) => signNaN(tf, t)),
    sqrt: (x) => unaryFloat("sqrt", x, (t) => tf.sqrt(t)),
    square: (x) => unaryNumeric("square", x, (t) => tf.square(t)),
    subtract: (x1, x2) => numeric("subtract", x1, x2, (a, b) => tf.sub(a, b)),
    where(condition, x1, x2) {
      const c = ctx.arr(condition, "where", "condition");
      if (c.dtype !== "bool") {
        throw new TypeError(`where: condition must be a bool array, got ${c.dtype}`);
      }
      const o = ctx.binaryOperands("where", x1, x2);
      const shape = broadcastShapes([c.shape, ...o.arrays.map((a) => a.shape)], "where");
      checkDType(o.dtype, "where");
      return ctx.run([c, ...o.arrays], () => {
        const b = (t: TfTensor) => ctx.broadcastTo(t, shape);
        return tf.where(b(c.tensor), b(o.a()), b(o.b()));
      }, o.dtype);
    },
  };
}
