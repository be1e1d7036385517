/**
 * Shape helpers shared by every backend: broadcasting, axis normalisation, sizes and the
 * wording of shape errors (`RangeError`s that name the offending shapes).
 *
 * @module
 */
import type { Shape } from "./types.ts";

/**
 * Formats a shape the way error messages print it: `(3, 4)`, `(5,)`, `()`.
 *
 * @example
 * ```ts
 * import { fmtShape } from "./shapes.ts";
 * console.log(fmtShape([5])); // (5,)
 * ```
 */
export function fmtShape(shape: Shape): string {
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(", ")})`;
}

/**
 * Product of the entries of `shape` (1 for `[]`).
 *
 * @example
 * ```ts
 * import { shapeSize } from "./shapes.ts";
 * console.log(shapeSize([2, 3, 4])); // 24
 * ```
 */
export function shapeSize(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Whether two shapes are equal.
 *
 * @example
 * ```ts
 * import { shapesEqual } from "./shapes.ts";
 * console.log(shapesEqual([2, 3], [2, 3])); // true
 * ```
 */
export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Validates a user-supplied shape (non-negative safe integers) and returns it as a fresh array.
 * A bare number is a 1-D shape. `what` names the argument in the error message.
 *
 * @example
 * ```ts
 * import { checkShape } from "./shapes.ts";
 * console.log(checkShape(3)); // [3]
 * ```
 */
export function checkShape(shape: number | Shape, what = "shape"): number[] {
  const s = typeof shape === "number" ? [shape] : Array.from(shape);
  for (const d of s) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new RangeError(`${what} ${JSON.stringify(s)} must hold non-negative integers`);
    }
  }
  return s;
}

/**
 * Broadcast shape of several shapes under the standard's rules. Incompatible shapes are a
 * `RangeError` naming all of them (and `what`, the operation, when given).
 *
 * @example
 * ```ts
 * import { broadcastShapes } from "./shapes.ts";
 * console.log(broadcastShapes([5], [3, 1])); // [3, 5]
 * ```
 */
export function broadcastShapes(shapes: readonly Shape[], what?: string): number[] {
  let nd = 0;
  for (const s of shapes) nd = Math.max(nd, s.length);
  const out = new Array<number>(nd).fill(1);
  for (const s of shapes) {
    const off = nd - s.length;
    for (let i = 0; i < s.length; i++) {
      const d = s[i], o = out[off + i];
      if (d === o || d === 1) continue;
      if (o === 1) out[off + i] = d;
      else {
        throw new RangeError(
          `${what ? what + ": " : ""}shapes ${
            shapes.map(fmtShape).join(", ")
          } cannot be broadcast together (axis ${i - s.length} has sizes ${o} and ${d})`,
        );
      }
    }
  }
  return out;
}

/**
 * Normalises a possibly negative axis for an array of `ndim` axes; out of range is a
 * `RangeError` naming the axis and the shape.
 *
 * @example
 * ```ts
 * import { normalizeAxis } from "./shapes.ts";
 * console.log(normalizeAxis(-1, 3)); // 2
 * ```
 */
export function normalizeAxis(axis: number, ndim: number, shape?: Shape): number {
  if (!Number.isInteger(axis) || axis < -ndim || axis >= ndim) {
    throw new RangeError(
      `axis ${axis} is out of range for an array of ${ndim} dimension(s)` +
        (shape ? ` with shape ${fmtShape(shape)}` : ""),
    );
  }
  return axis < 0 ? axis + ndim : axis;
}

/**
 * Normalises an `axis` option (number, list, or null/undefined meaning all axes) into a
 * sorted list of distinct non-negative axes. Repeated axes are a `RangeError`.
 *
 * @example
 * ```ts
 * import { normalizeAxes } from "./shapes.ts";
 * console.log(normalizeAxes([-1, 0], 3)); // [0, 2]
 * ```
 */
export function normalizeAxes(
  axis: number | readonly number[] | null | undefined,
  ndim: number,
  shape?: Shape,
): number[] {
  if (axis === null || axis === undefined) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axis === "number" ? [axis] : Array.from(axis);
  const out = list.map((a) => normalizeAxis(a, ndim, shape));
  const set = new Set(out);
  if (set.size !== out.length) throw new RangeError(`repeated axis in ${JSON.stringify(list)}`);
  return out.sort((a, b) => a - b);
}

/**
 * Row-major strides (in elements) of a contiguous array of `shape`.
 *
 * @example
 * ```ts
 * import { stridesOf } from "./shapes.ts";
 * console.log(stridesOf([2, 3, 4])); // [12, 4, 1]
 * ```
 */
export function stridesOf(shape: Shape): number[] {
  const st = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = s;
    s *= shape[i];
  }
  return st;
}

/**
 * Strides (in elements) with which a contiguous array of shape `from` is read when broadcast
 * to `to` (0 on broadcast axes). `from` must broadcast to `to`.
 *
 * @example
 * ```ts
 * import { broadcastStrides } from "./shapes.ts";
 * console.log(broadcastStrides([3, 1], [2, 3, 4])); // [0, 1, 0]
 * ```
 */
export function broadcastStrides(from: Shape, to: Shape): number[] {
  const st = stridesOf(from);
  const out = new Array<number>(to.length).fill(0);
  const off = to.length - from.length;
  for (let i = 0; i < from.length; i++) {
    if (from[i] === to[off + i]) out[off + i] = from[i] === 1 ? 0 : st[i];
    else if (from[i] !== 1) {
      throw new RangeError(`cannot broadcast shape ${fmtShape(from)} to ${fmtShape(to)}`);
    }
  }
  return out;
}

/**
 * Resolves a reshape target with at most one `-1` for `size` elements. Impossible targets are
 * a `RangeError` naming both shapes.
 *
 * @example
 * ```ts
 * import { resolveReshape } from "./shapes.ts";
 * console.log(resolveReshape([2, -1], 6, [6])); // [2, 3]
 * ```
 */
export function resolveReshape(shape: Shape, size: number, from: Shape): number[] {
  const out = Array.from(shape);
  let neg = -1, known = 1;
  for (let i = 0; i < out.length; i++) {
    const d = out[i];
    if (d === -1) {
      if (neg >= 0) throw new RangeError(`reshape: only one -1 allowed in ${fmtShape(shape)}`);
      neg = i;
    } else if (!Number.isSafeInteger(d) || d < 0) {
      throw new RangeError(`reshape: invalid target shape ${fmtShape(shape)}`);
    } else known *= d;
  }
  if (neg >= 0) {
    if (known === 0 || size % known !== 0) {
      throw new RangeError(
        `cannot reshape array of shape ${fmtShape(from)} into ${fmtShape(shape)}`,
      );
    }
    out[neg] = size / known;
  } else if (known !== size) {
    throw new RangeError(`cannot reshape array of shape ${fmtShape(from)} into ${fmtShape(shape)}`);
  }
  return out;
}
