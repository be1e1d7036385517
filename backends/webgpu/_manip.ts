/**
 * Manipulation functions of the WebGPU namespace. Pure re-indexings are views sharing the
 * buffer (`reshape` of contiguous arrays, `expand_dims`, `squeeze`, `permute_dims`,
 * `moveaxis`, `matrix_transpose`, `broadcast_to`, `flip`); the rest copy with strided kernels
 * (`concat`, `stack`, `tile`) or gather (`take`).
 *
 * @module
 */
import type { DType, Shape } from "../../array_api/types.ts";
import { promoteTypes } from "../../array_api/dtypes.ts";
import {
  broadcastShapes,
  fmtShape,
  normalizeAxes,
  normalizeAxis,
  resolveReshape,
  stridesOf,
} from "../../array_api/shapes.ts";
import type { Ctx } from "./_ctx.ts";
import { bstrides, runExpr } from "./_expr.ts";
import { takeWgsl } from "./_manip_wgsl.ts";
import { conv, elemOf, valOf } from "./_wgsl.ts";
import type { WebGpuArray } from "./webgpu_array.ts";

type A = WebGpuArray;

/** Copies `x` (any strides) into a fresh contiguous array of `dtype`. @internal */
export function copyOf(ctx: Ctx, x: A, dtype: DType = x.dtype, label = "copy"): A {
  const vi = valOf(x.dtype), vo = valOf(dtype);
  return runExpr(ctx, {
    label,
    key: `cast:${x.dtype}:${dtype}`,
    shape: x.shape,
    inputs: [x],
    body: (v) => `let o0 = ${conv(v[0], vi, vo)};`,
    outputs: [{ dtype }],
  })[0];
}

/** `x` itself when contiguous, else a contiguous copy (the caller disposes it when `!== x`). @internal */
export function contiguous(ctx: Ctx, x: A): A {
  ctx.live(x);
  return x._contig ? x : copyOf(ctx, x);
}

/** Manipulation part of the namespace. @internal */
export function manipOps(ctx: Ctx) {
  function reshape(x: A, shape: Shape, options: { copy?: boolean | null } = {}): A {
    ctx.live(x, "reshape");
    const s = resolveReshape(shape, x.size, x.shape);
    if (options.copy === true || !x._contig) {
      if (options.copy === false) {
        throw new RangeError(
          `reshape: the ${fmtShape(x.shape)} view is not contiguous, so reshaping it to ` +
            `${fmtShape(s)} needs a copy (copy: false)`,
        );
      }
      const c = copyOf(ctx, x);
      return ctx.adopt(c, s);
    }
    return ctx.view(x, s, stridesOf(s), x._off);
  }

  function expand_dims(x: A, options: { axis?: number | readonly number[] } = {}): A {
    ctx.live(x, "expand_dims");
    const axes = options.axis ?? 0;
    const list = typeof axes === "number" ? [axes] : Array.from(axes);
    const nd = x.ndim + list.length;
    const norm = normalizeAxes(list, nd);
    const shape: number[] = [], st: number[] = [];
    let src = 0;
    for (let i = 0; i < nd; i++) {
      if (norm.includes(i)) {
        shape.push(1);
        st.push(0);
      } else {
        shape.push(x.shape[src]);
        st.push(x._st[src]);
        src++;
      }
    }
    return ctx.view(x, shape, st, x._off);
  }

  function squeeze(x: A, axis: number | readonly number[]): A {
    ctx.live(x, "squeeze");
    const axes = normalizeAxes(axis, x.ndim, x.shape);
    for (const a of axes) {
      if (x.shape[a] !== 1) {
        throw new RangeError(
          `squeeze: axis ${a} of shape ${fmtShape(x.shape)} has length ${x.shape[a]}, not 1`,
        );
      }
    }
    const shape: number[] = [], st: number[] = [];
    for (let i = 0; i < x.ndim; i++) {
      if (!axes.includes(i)) {
        shape.push(x.shape[i]);
        st.push(x._st[i]);
      }
    }
    return ctx.view(x, shape, st, x._off);
  }

  function permute_dims(x: A, axes: readonly number[]): A {
    ctx.live(x, "permute_dims");
    if (axes.length !== x.ndim) {
      throw new RangeError(
        `permute_dims: axes ${JSON.stringify(axes)} do not match an array of shape ${
          fmtShape(x.shape)
        }`,
      );
    }
    const norm = axes.map((a) => normalizeAxis(a, x.ndim, x.shape));
    if (new Set(norm).size !== norm.length) {
      throw new RangeError(`permute_dims: axes ${JSON.stringify(axes)} repeat an axis`);
    }
    return ctx.view(x, norm.map((a) => x.shape[a]), norm.map((a) => x._st[a]), x._off);
  }

  function moveaxis(
    x: A,
    source: number | readonly number[],
    destination: number | readonly number[],
  ): A {
    ctx.live(x, "moveaxis");
    const src = (typeof source === "number" ? [source] : Array.from(source))
      .map((a) => normalizeAxis(a, x.ndim, x.shape));
    const dst = (typeof destination === "number" ? [destination] : Array.from(destination))
      .map((a) => normalizeAxis(a, x.ndim, x.shape));
    if (src.length !== dst.length) {
      throw new RangeError(`moveaxis: source and destination must have the same length`);
    }
    if (new Set(src).size !== src.length || new Set(dst).size !== dst.length) {
      throw new RangeError(`moveaxis: repeated axis`);
    }
    const order: number[] = [];
    for (let i = 0; i < x.ndim; i++) if (!src.includes(i)) order.push(i);
    const pairs = dst.map((d, i) => [d, src[i]]).sort((a, b) => a[0] - b[0]);
    for (const [d, s] of pairs) order.splice(d, 0, s);
    return permute_dims(x, order);
  }

  function matrix_transpose(x: A): A {
    ctx.live(x, "matrix_transpose");
    if (x.ndim < 2) {
      throw new RangeError(
        `matrix_transpose: needs at least 2 dimensions, got shape ${fmtShape(x.shape)}`,
      );
    }
    const axes = Array.from({ length: x.ndim }, (_, i) => i);
    axes[x.ndim - 2] = x.ndim - 1;
    axes[x.ndim - 1] = x.ndim - 2;
    return permute_dims(x, axes);
  }

  function broadcast_to(x: A, shape: Shape): A {
    ctx.live(x, "broadcast_to");
    const S = Array.from(shape);
    const st = bstrides(x, S, "broadcast_to");
    return ctx.view(x, S, st, x._off);
  }

  function broadcast_arrays(...arrays: A[]): A[] {
    for (const a of arrays) ctx.live(a, "broadcast_arrays");
    const S = broadcastShapes(arrays.map((a) => a.shape), "broadcast_arrays");
    return arrays.map((a) => broadcast_to(a, S));
  }

  function flip(x: A, options: { axis?: number | readonly number[] | null } = {}): A {
    ctx.live(x, "flip");
    const axes = normalizeAxes(options.axis, x.ndim, x.shape);
    const st = [...x._st];
    let off = x._off;
    for (const a of axes) {
      if (x.shape[a] > 1) {
        off += (x.shape[a] - 1) * st[a];
        st[a] = -st[a];
      }
    }
    return ctx.view(x, x.shape, st, off);
  }

  function concat(arrays: readonly A[], options: { axis?: number | null } = {}): A {
    if (arrays.length === 0) throw new RangeError("concat: needs at least one array");
    for (const a of arrays) ctx.live(a, "concat");
    let dt = arrays[0].dtype;
    for (const a of arrays) {
      try {
        dt = promoteTypes(dt, a.dtype);
      } catch {
        throw new TypeError(`concat: no type promotion between ${dt} and ${a.dtype}`);
      }
    }
    ctx.checkDType(dt, "concat");
    const axisOpt = options.axis === undefined ? 0 : options.axis;
    let outShape: number[];
    let axis: number;
    if (axisOpt === null) {
      outShape = [arrays.reduce((s, a) => s + a.size, 0)];
      axis = 0;
    } else {
      const nd = arrays[0].ndim;
      if (nd === 0) throw new RangeError("concat: zero-dimensional arrays cannot be concatenated");
      axis = normalizeAxis(axisOpt, nd, arrays[0].shape);
      outShape = [...arrays[0].shape];
      outShape[axis] = 0;
      for (const a of arrays) {
        const bad = a.ndim !== nd || a.shape.some((d, i) => i !== axis && d !== arrays[0].shape[i]);
        if (bad) {
          throw new RangeError(
            `concat: shapes ${
              arrays.map((b) => fmtShape(b.shape)).join(", ")
            } differ outside axis ${axis}`,
          );
        }
        outShape[axis] += a.shape[axis];
      }
    }
    const out = ctx.alloc(outShape, dt);
    const ost = stridesOf(outShape);
    let pos = 0;
    for (const a of arrays) {
      if (a.size === 0) continue;
      let region: A;
      if (axisOpt === null) {
        region = ctx.view(out, a.shape, stridesOf(a.shape), pos);
        pos += a.size;
      } else {
        region = ctx.view(out, a.shape, ost, pos * ost[axis]);
        pos += a.shape[axis];
      }
      const vi = valOf(a.dtype), vo = valOf(dt);
      runExpr(ctx, {
        label: "concat",
        key: `cast:${a.dtype}:${dt}`,
        shape: a.shape,
        inputs: [a],
        body: (v) => `let o0 = ${conv(v[0], vi, vo)};`,
        outputs: [{ dtype: dt, into: region }],
      });
      ctx.dispose(region);
    }
    return out;
  }

  function stack(arrays: readonly A[], options: { axis?: number } = {}): A {
    if (arrays.length === 0) throw new RangeError("stack: needs at least one array");
    for (const a of arrays) ctx.live(a, "stack");
    const s0 = arrays[0].shape;
    for (const a of arrays) {
      if (a.ndim !== s0.length || a.shape.some((d, i) => d !== s0[i])) {
        throw new RangeError(
          `stack: shapes ${arrays.map((b) => fmtShape(b.shape)).join(", ")} differ`,
        );
      }
    }
    const axis = normalizeAxis(options.axis ?? 0, s0.length + 1);
    const views = arrays.map((a) => expand_dims(a, { axis }));
    const r = concat(views, { axis });
    for (const v of views) ctx.dispose(v);
    return r;
  }

  function tile(x: A, repetitions: readonly number[]): A {
    ctx.live(x, "tile");
    for (const r of repetitions) {
      if (!Number.isSafeInteger(r) || r < 0) {
        throw new RangeError(
          `tile: repetitions ${JSON.stringify(repetitions)} must be non-negative integers`,
        );
      }
    }
    const nd = Math.max(x.ndim, repetitions.length);
    const shape = [...Array(nd - x.ndim).fill(1), ...x.shape];
    const st = [...Array(nd - x.ndim).fill(0), ...x._st];
    const reps = [...Array(nd - repetitions.length).fill(1), ...repetitions];
    const vShape: number[] = [], vSt: number[] = [], outShape: number[] = [];
    for (let i = 0; i < nd; i++) {
      vShape.push(reps[i], shape[i]);
      vSt.push(0, st[i]);
      outShape.push(reps[i] * shape[i]);
    }
    const v = ctx.view(x, vShape, vSt, x._off);
    const c = copyOf(ctx, v, x.dtype, "tile");
    ctx.dispose(v);
    return ctx.adopt(c, outShape);
  }

  function take(x: A, indices: A, options: { axis?: number } = {}): A {
    ctx.live(x, "take");
    ctx.live(indices, "take");
    if (indices.dtype !== "int32" && indices.dtype !== "uint32") {
      throw new TypeError(`take: indices must be an integer array, got ${indices.dtype}`);
    }
    if (options.axis === undefined && x.ndim !== 1) {
      throw new RangeError(`take: axis is required for an array of shape ${fmtShape(x.shape)}`);
    }
    const axis = normalizeAxis(options.axis ?? 0, x.ndim, x.shape);
    const A = x.shape[axis];
    const pre = x.shape.slice(0, axis).reduce((p, d) => p * d, 1);
    const post = x.shape.slice(axis + 1).reduce((p, d) => p * d, 1);
    const nIdx = indices.size;
    const outShape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
    const out = ctx.alloc(outShape, x.dtype);
    const total = pre * nIdx * post;
    if (total === 0) return out;
    if (A === 0) {
      throw new RangeError(
        `take: cannot take from the empty axis ${axis} of shape ${fmtShape(x.shape)}`,
      );
    }
    const xc = contiguous(ctx, x);
    const ic = indices.dtype === "int32" ? contiguous(ctx, indices) : copyOf(ctx, indices, "int32");
    const eng = ctx.engine;
    const elem = elemOf(x.dtype);
    const slot = eng.statusSlot(() =>
      new RangeError(
        `take: an index is out of range for axis ${axis} of shape ${fmtShape(x.shape)} ` +
          `(valid: ${-A} … ${A - 1}; detected on the GPU; the result holds 0 there)`,
      )
    );
    const k = eng.kernel(
      `take:${elem}`,
      () => ({ code: takeWgsl(elem), sig: "rrww", label: "take" }),
    );
    const words = [total, post, nIdx, A, slot, xc._off, ic._off, 0];
    const off = eng.params(words.length);
    eng.ringU32.set(words, off);
    eng.dispatch(
      k,
      [xc._s!, ic._s!, out._s!, eng.status],
      off,
      words.length,
      Math.ceil(total / 256),
    );
    if (xc !== x) ctx.dispose(xc);
    if (ic !== indices) ctx.dispose(ic);
    return out;
  }

  return {
    reshape,
    expand_dims,
    squeeze,
    permute_dims,
    moveaxis,
    matrix_transpose,
    broadcast_to,
    broadcast_arrays,
    broadcast_shapes: (...shapes: Shape[]): number[] => broadcastShapes(shapes),
    flip,
    concat,
    stack,
    tile,
    take,
  };
}
