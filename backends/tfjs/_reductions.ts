/**
 * Reductions and searches of the tfjs namespace.
 *
 * @module
 */
import { fmtShape, normalizeAxes, normalizeAxis } from "../../array_api/shapes.ts";
import type { ReductionOptions } from "../../array_api/types.ts";
import { type Arr, checkDType, type Ctx, type NS, prod } from "./_context.ts";
import { toBool } from "./_tensor_ops.ts";
import type { TfDType, TfTensor } from "./tf_like.ts";

type ReductionName =
  | "all"
  | "any"
  | "argmax"
  | "argmin"
  | "cumulative_sum"
  | "max"
  | "mean"
  | "min"
  | "prod"
  | "sum";

/** Shape after reducing `axes` of `shape`. */
export function reducedShape(
  shape: readonly number[],
  axes: readonly number[],
  keepdims: boolean,
): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

/** Builds the reductions over `ctx`. */
export function reductionFunctions(ctx: Ctx): Pick<NS, ReductionName> {
  const tf = ctx.tf;

  /**
   * Common frame: validates, normalises axes, and runs `fn(t, axes)` when at least one axis
   * is reduced; reshapes to `keepdims` form. `empty` handles reductions over zero elements.
   */
  function reduce(
    where: string,
    x: Arr,
    options: Omit<ReductionOptions, "dtype"> | undefined,
    outDType: TfDType,
    fn: (t: TfTensor, axes: number[]) => TfTensor,
    prepare: (t: TfTensor) => TfTensor = (t) => t,
    empty?: (shape: number[]) => TfTensor,
  ): Arr {
    const a = ctx.arr(x, where);
    const axes = normalizeAxes(options?.axis, a.ndim, a.shape);
    const keep = options?.keepdims ?? false;
    const out = reducedShape(a.shape, axes, keep);
    const reducedCount = prod(axes.map((i) => a.shape[i]));
    return ctx.run([a], () => {
      const t = prepare(a.tensor);
      if (axes.length === 0) return t;
      if (reducedCount === 0 && empty) return empty(out);
      if (prod(out) === 0) return tf.zeros(out, outDType);
      return tf.reshape(fn(t, axes), out);
    }, outDType);
  }

  function sumLike(
    where: "sum" | "prod",
    x: Arr,
    options: ReductionOptions = {},
  ): Arr {
    const a = ctx.arr(x, where);
    const dt: TfDType = options.dtype !== undefined && options.dtype !== null
      ? checkDType(options.dtype, where)
      : a.dtype === "float32"
      ? "float32"
      : "int32";
    if (dt === "bool") throw new TypeError(`${where}: dtype bool is not a valid accumulator`);
    const fill = where === "sum" ? 0 : 1;
    return reduce(
      where,
      a,
      options,
      dt,
      (t, axes) => where === "sum" ? tf.sum(t, axes) : tf.prod(t, axes),
      (t) => ctx.cast(t, dt),
      (shape) => tf.fill(shape, fill, dt),
    );
  }

  function extremum(where: "max" | "min", x: Arr, options: Omit<ReductionOptions, "dtype"> = {}) {
    const a = ctx.arr(x, where);
    if (a.dtype === "bool") throw new TypeError(`${where}: bool input is not supported`);
    const axes = normalizeAxes(options.axis, a.ndim, a.shape);
    if (axes.some((i) => a.shape[i] === 0)) {
      throw new RangeError(
        `${where}: zero-size reduction (shape ${fmtShape(a.shape)}, axes ${JSON.stringify(axes)})`,
      );
    }
    return reduce(where, a, options, a.dtype as TfDType, (t, ax) => {
      const r = where === "max" ? tf.max(t, ax) : tf.min(t, ax);
      if (t.dtype !== "float32") return r;
      // NaN propagates (tfjs backends differ)
      return tf.where(tf.any(tf.isNaN(t), ax), tf.scalar(NaN), r);
    });
  }

  function argExtremum(
    where: "argmax" | "argmin",
    x: Arr,
    options: { axis?: number; keepdims?: boolean } = {},
  ): Arr {
    const a = ctx.arr(x, where);
    if (a.dtype === "bool") throw new TypeError(`${where}: bool input is not supported`);
    const keep = options.keepdims ?? false;
    const flat = options.axis === undefined || options.axis === null;
    const axis = flat ? 0 : normalizeAxis(options.axis as number, a.ndim, a.shape);
    const n = flat ? a.size : a.shape[axis];
    if (n === 0) {
      throw new RangeError(`${where}: zero-size argument (shape ${fmtShape(a.shape)})`);
    }
    const out = flat ? (keep ? a.shape.map(() => 1) : []) : reducedShape(a.shape, [axis], keep);
    return ctx.run([a], () => {
      const t = flat ? tf.reshape(a.tensor, [a.size]) : a.tensor;
      if (prod(out) === 0) return tf.zeros(out, "int32");
      let r = where === "argmax" ? tf.argMax(t, axis) : tf.argMin(t, axis);
      if (t.dtype === "float32") {
        // NumPy semantics: the first NaN wins
        const nan = tf.isNaN(t);
        r = tf.where(tf.any(nan, axis), tf.argMax(tf.cast(nan, "int32"), axis), r);
      }
      return tf.reshape(r, out);
    }, "int32");
  }

  return {
    all(x, options) {
      // all = not any(not x): tfjs's all() of an empty reduction is false, not true
      return reduce(
        "all",
        x,
        options,
        "bool",
        (t, axes) => tf.logicalNot(tf.any(tf.logicalNot(t), axes)),
        (t) => toBool(tf, t),
        (shape) => tf.fill(shape, 1, "bool"),
      );
    },
    any(x, options) {
      return reduce(
        "any",
        x,
        options,
        "bool",
        (t, axes) => tf.any(t, axes),
        (t) => toBool(tf, t),
        (shape) => tf.fill(shape, 0, "bool"),
      );
    },
    argmax: (x, options) => argExtremum("argmax", x, options),
    argmin: (x, options) => argExtremum("argmin", x, options),

    cumulative_sum(x, options = {}) {
      const where = "cumulative_sum";
      const a = ctx.arr(x, where);
      if (a.ndim === 0) throw new RangeError(`${where}: needs an array with at least one axis`);
      if ((options.axis === undefined || options.axis === null) && a.ndim > 1) {
        throw new RangeError(
          `${where}: axis is required for arrays with ${a.ndim} axes (shape ${fmtShape(a.shape)})`,
        );
      }
      const axis = normalizeAxis(options.axis ?? 0, a.ndim, a.shape);
      const dt: TfDType = options.dtype !== undefined && options.dtype !== null
        ? checkDType(options.dtype, where)
        : a.dtype === "float32"
        ? "float32"
        : "int32";
      if (dt === "bool") throw new TypeError(`${where}: dtype bool is not a valid accumulator`);
      const init = options.include_initial ?? false;
      const out = a.shape.slice();
      if (init) out[axis] += 1;
      return ctx.run([a], () => {
        if (prod(out) === 0) return tf.zeros(out, dt);
        if (a.size === 0) return tf.zeros(out, dt); // only the initial zeros
        let r = tf.cumsum(ctx.cast(a.tensor, dt), axis);
        if (init) {
          const pads = a.shape.map((): [number, number] => [0, 0]);
          pads[axis] = [1, 0];
          r = tf.pad(r, pads, 0);
        }
        return r;
      }, dt);
    },

    max: (x, options) => extremum("max", x, options),
    min: (x, options) => extremum("min", x, options),

    mean(x, options) {
      const a = ctx.arr(x, "mean");
      if (a.dtype === "bool") throw new TypeError("mean: bool input is not supported");
      return reduce(
        "mean",
        a,
        options,
        "float32",
        (t, axes) => tf.mean(t, axes),
        (t) => ctx.cast(t, "float32"),
        (shape) => tf.fill(shape, NaN, "float32"),
      );
    },
    prod: (x, options) => sumLike("prod", x, options),
    sum: (x, options) => sumLike("sum", x, options),
  };
}
