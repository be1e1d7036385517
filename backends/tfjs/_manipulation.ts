/**
 * Manipulation functions of the tfjs namespace (shapes, joins, permutations, indexing).
 *
 * @module
 */
import {
  broadcastShapes,
  broadcastStrides,
  checkShape,
  fmtShape,
  normalizeAxes,
  normalizeAxis,
  resolveReshape,
  shapesEqual,
} from "../../array_api/shapes.ts";
import type { DType } from "../../array_api/types.ts";
import { type Arr, checkDType, type Ctx, type NS, prod, promoteAt } from "./_context.ts";
import type { TfDType, TfTensor } from "./tf_like.ts";

type ManipulationName =
  | "broadcast_arrays"
  | "broadcast_to"
  | "broadcast_shapes"
  | "concat"
  | "expand_dims"
  | "flip"
  | "moveaxis"
  | "permute_dims"
  | "reshape"
  | "squeeze"
  | "stack"
  | "take"
  | "tile";

/** Normalises a list of axes that must be distinct (`RangeError` otherwise). */
function distinctAxes(
  axes: number | readonly number[],
  ndim: number,
  shape: readonly number[],
  where: string,
): number[] {
  const list = typeof axes === "number" ? [axes] : Array.from(axes);
  const out = list.map((a) => {
    try {
      return normalizeAxis(a, ndim, shape);
    } catch (e) {
      throw new RangeError(`${where}: ${(e as Error).message}`);
    }
  });
  if (new Set(out).size !== out.length) {
    throw new RangeError(`${where}: repeated axis in ${JSON.stringify(list)}`);
  }
  return out;
}

/** Builds the manipulation functions over `ctx`. */
export function manipulationFunctions(ctx: Ctx): Pick<NS, ManipulationName> {
  const tf = ctx.tf;

  function commonDType(where: string, arrays: readonly Arr[]): TfDType {
    let dt: DType = arrays[0].dtype;
    for (let i = 1; i < arrays.length; i++) dt = promoteAt(where, dt, arrays[i].dtype);
    return checkDType(dt, where);
  }

  function broadcastTo(x: Arr, shape: readonly number[]): Arr {
    const where = "broadcast_to";
    const a = ctx.arr(x, where);
    const s = checkShape(shape, `${where}: shape`);
    if (a.ndim > s.length) {
      throw new RangeError(
        `${where}: cannot broadcast shape ${fmtShape(a.shape)} to ${fmtShape(s)} (fewer axes)`,
      );
    }
    try {
      broadcastStrides(a.shape, s);
    } catch {
      throw new RangeError(
        `${where}: cannot broadcast shape ${fmtShape(a.shape)} to ${fmtShape(s)}`,
      );
    }
    return ctx.run([a], () => ctx.broadcastTo(a.tensor, s));
  }

  return {
    broadcast_arrays(...arrays) {
      const as = arrays.map((x, i) => ctx.arr(x, "broadcast_arrays", `arrays[${i}]`));
      const s = broadcastShapes(as.map((a) => a.shape), "broadcast_arrays");
      return as.map((a) => broadcastTo(a, s));
    },
    broadcast_to: broadcastTo,
    broadcast_shapes(...shapes) {
      return broadcastShapes(shapes.map((s) => checkShape(s)), "broadcast_shapes");
    },

    concat(arrays, options = {}) {
      const where = "concat";
      if (!Array.isArray(arrays) || arrays.length === 0) {
        throw new RangeError(`${where}: needs at least one array`);
      }
      const as = arrays.map((x, i) => ctx.arr(x, where, `arrays[${i}]`));
      const dt = commonDType(where, as);
      const axisOpt = options.axis === undefined ? 0 : options.axis;
      if (axisOpt === null) {
        return ctx.run(as, () => {
          const flat = as.map((a) => tf.reshape(ctx.cast(a.tensor, dt), [a.size]));
          return flat.length === 1 ? flat[0] : tf.concat(flat, 0);
        }, dt);
      }
      const nd = as[0].ndim;
      if (nd === 0) throw new RangeError(`${where}: 0-d arrays cannot be concatenated`);
      const axis = normalizeAxis(axisOpt, nd, as[0].shape);
      for (const a of as) {
        if (a.ndim !== nd || a.shape.some((d, i) => i !== axis && d !== as[0].shape[i])) {
          throw new RangeError(
            `${where}: shapes ${as.map((b) => fmtShape(b.shape)).join(", ")} differ outside ` +
              `axis ${axis}`,
          );
        }
      }
      const outShape = as[0].shape.slice();
      outShape[axis] = as.reduce((s, a) => s + a.shape[axis], 0);
      return ctx.run(as, () => {
        const ts = as.filter((a) => a.size > 0).map((a) => ctx.cast(a.tensor, dt));
        if (ts.length === 0) return tf.zeros(outShape, dt);
        return ts.length === 1 ? ts[0] : tf.concat(ts, axis);
      }, dt);
    },

    expand_dims(x, options = {}) {
      const where = "expand_dims";
      const a = ctx.arr(x, where);
      const axisOpt = options.axis ?? 0;
      const k = typeof axisOpt === "number" ? 1 : axisOpt.length;
      const nd = a.ndim + k;
      const axes = distinctAxes(axisOpt, nd, a.shape, where);
      const out: number[] = new Array(nd).fill(1);
      let j = 0;
      for (let i = 0; i < nd; i++) if (!axes.includes(i)) out[i] = a.shape[j++];
      return ctx.run([a], () => tf.reshape(a.tensor, out));
    },

    flip(x, options = {}) {
      const a = ctx.arr(x, "flip");
      const axes = normalizeAxes(options.axis, a.ndim, a.shape);
      if (axes.length === 0 || a.size === 0) return ctx.run([a], () => a.tensor);
      return ctx.run([a], () => tf.reverse(a.tensor, axes));
    },

    moveaxis(x, source, destination) {
      const where = "moveaxis";
      const a = ctx.arr(x, where);
      const src = distinctAxes(source, a.ndim, a.shape, where);
      const dst = distinctAxes(destination, a.ndim, a.shape, where);
      if (src.length !== dst.length) {
        throw new RangeError(
          `${where}: source ${JSON.stringify(source)} and destination ` +
            `${JSON.stringify(destination)} must have the same number of axes`,
        );
      }
      const order = Array.from({ length: a.ndim }, (_, i) => i).filter((i) => !src.includes(i));
      const pairs = dst.map((d, i) => [d, src[i]]).sort((p, q) => p[0] - q[0]);
      for (const [d, s] of pairs) order.splice(d, 0, s);
      return ctx.run([a], () => tf.transpose(a.tensor, order));
    },

    permute_dims(x, axes) {
      const where = "permute_dims";
      const a = ctx.arr(x, where);
      const perm = distinctAxes(axes, a.ndim, a.shape, where);
      if (perm.length !== a.ndim) {
        throw new RangeError(
          `${where}: axes ${JSON.stringify(axes)} is not a permutation of the ${a.ndim} axes ` +
            `of shape ${fmtShape(a.shape)}`,
        );
      }
      return ctx.run([a], () => tf.transpose(a.tensor, perm));
    },

    reshape(x, shape, _options = {}) {
      const a = ctx.arr(x, "reshape");
      const s = resolveReshape(shape, a.size, a.shape);
      // tfjs reshapes never copy (the new tensor shares the buffer), so copy: false is fine
      return ctx.run([a], () => tf.reshape(a.tensor, s));
    },

    squeeze(x, axis) {
      const where = "squeeze";
      const a = ctx.arr(x, where);
      const axes = distinctAxes(axis, a.ndim, a.shape, where);
      for (const ax of axes) {
        if (a.shape[ax] !== 1) {
          throw new RangeError(
            `${where}: axis ${ax} of shape ${fmtShape(a.shape)} has length ${a.shape[ax]}, not 1`,
          );
        }
      }
      const out = a.shape.filter((_, i) => !axes.includes(i));
      return ctx.run([a], () => tf.reshape(a.tensor, out));
    },

    stack(arrays, options = {}) {
      const where = "stack";
      if (!Array.isArray(arrays) || arrays.length === 0) {
        throw new RangeError(`${where}: needs at least one array`);
      }
      const as = arrays.map((x, i) => ctx.arr(x, where, `arrays[${i}]`));
      const dt = commonDType(where, as);
      for (const a of as) {
        if (!shapesEqual(a.shape, as[0].shape)) {
          throw new RangeError(
            `${where}: all arrays need the same shape, got ${
              as.map((b) => fmtShape(b.shape)).join(", ")
            }`,
          );
        }
      }
      const nd = as[0].ndim + 1;
      const axis = normalizeAxis(options.axis ?? 0, nd);
      const out = as[0].shape.slice();
      out.splice(axis, 0, as.length);
      return ctx.run(as, () => {
        if (prod(out) === 0) return tf.zeros(out, dt);
        return tf.stack(as.map((a) => ctx.cast(a.tensor, dt)), axis);
      }, dt);
    },

    take(x, indices, options = {}) {
      const where = "take";
      const a = ctx.arr(x, where);
      const idx = ctx.arr(indices, where, "indices");
      if (idx.dtype !== "int32") {
        throw new TypeError(`${where}: indices must be int32, got ${idx.dtype}`);
      }
      let axis: number;
      if (options.axis === undefined || options.axis === null) {
        if (a.ndim !== 1) {
          throw new RangeError(
            `${where}: axis is required for arrays with ${a.ndim} axes (shape ${
              fmtShape(a.shape)
            })`,
          );
        }
        axis = 0;
      } else axis = normalizeAxis(options.axis, a.ndim, a.shape);
      const n = a.shape[axis];
      const out = [...a.shape.slice(0, axis), ...idx.shape, ...a.shape.slice(axis + 1)];
      try {
        return ctx.run([a, idx], () => {
          if (prod(out) === 0) return tf.zeros(out, a.dtype as TfDType);
          // negative indices count from the end
          const i = tf.where(
            tf.less(idx.tensor, tf.scalar(0, "int32")),
            tf.add(idx.tensor, tf.scalar(n, "int32")),
            idx.tensor,
          );
          return tf.gather(a.tensor, i, axis);
        });
      } catch (e) {
        throw new RangeError(`${where}: ${(e as Error).message} (axis ${axis} has length ${n})`);
      }
    },

    tile(x, repetitions) {
      const where = "tile";
      const a = ctx.arr(x, where);
      const reps = Array.from(repetitions);
      for (const r of reps) {
        if (!Number.isSafeInteger(r) || r < 0) {
          throw new RangeError(
            `${where}: repetitions ${JSON.stringify(reps)} must be >= 0 integers`,
          );
        }
      }
      const nd = Math.max(a.ndim, reps.length);
      const shape = [...new Array(nd - a.ndim).fill(1), ...a.shape];
      const r = [...new Array(nd - reps.length).fill(1), ...reps];
      const out = shape.map((d, i) => d * r[i]);
      return ctx.run([a], () => {
        if (prod(out) === 0) return tf.zeros(out, a.dtype as TfDType);
        const t: TfTensor = tf.reshape(a.tensor, shape);
        return nd === 0 ? t : tf.tile(t, r);
      });
    },
  };
}
