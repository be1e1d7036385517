/**
 * Reductions of the WebGPU namespace over any set of axes (the reduced axes are permuted last
 * as a view and reduced by the expression engine: workgroup tree reductions, split into
 * chunks when a few long rows would leave the GPU idle), `argmax`/`argmin`, and
 * `cumulative_sum`.
 *
 * @module
 */
import type { DType, ReductionOptions } from "../../array_api/types.ts";
import { isFloatDType } from "../../array_api/dtypes.ts";
import { fmtShape, normalizeAxes, normalizeAxis, stridesOf } from "../../array_api/shapes.ts";
import type { Ctx } from "./_ctx.ts";
import { type RedOp, runExpr } from "./_expr.ts";
import { contiguous } from "./_manip.ts";
import { argWgsl, cumsumWgsl } from "./_reduce_wgsl.ts";
import { conv, elemOf, valOf } from "./_wgsl.ts";
import type { WebGpuArray } from "./webgpu_array.ts";

type A = WebGpuArray;

/** Reduction part of the namespace. @internal */
export function reduceOps(ctx: Ctx, full: (shape: number[], v: number, o: { dtype: DType }) => A) {
  function sumDType(dt: DType): DType {
    return dt === "bool" ? "int32" : dt;
  }

  function keepDims(r: A, shape: readonly number[], axes: readonly number[]): A {
    const ks = shape.map((d, i) => (axes.includes(i) ? 1 : d));
    return ctx.adopt(r, ks);
  }

  function reduce(
    name: string,
    op: RedOp,
    x: A,
    options: ReductionOptions,
    outDt: DType,
    opDt: DType,
    mean = false,
  ): A {
    const axes = normalizeAxes(options.axis, x.ndim, x.shape);
    const keep: number[] = [];
    for (let i = 0; i < x.ndim; i++) if (!axes.includes(i)) keep.push(i);
    const perm = [...keep, ...axes];
    const S = perm.map((a) => x.shape[a]);
    let L = 1;
    for (const a of axes) L *= x.shape[a];
    if (L === 0 && (op === "max" || op === "min")) {
      throw new RangeError(
        `${name}: zero-size reduction over axes ${JSON.stringify(axes)} of shape ${
          fmtShape(x.shape)
        } has no identity`,
      );
    }
    let r: A;
    if (mean && L === 0) {
      r = full(keep.map((a) => x.shape[a]), NaN, { dtype: outDt });
    } else {
      const v = ctx.view(x, S, perm.map((a) => x._st[a]), x._off);
      const vi = valOf(x.dtype), vo = valOf(opDt);
      [r] = runExpr(ctx, {
        label: name,
        key: `red:${x.dtype}:${opDt}`,
        shape: S,
        inputs: [v],
        body: (xs) => `let r0 = ${conv(xs[0], vi, vo)};`,
        outputs: [],
        reduce: {
          inner: axes.length,
          ops: [{ op, dtype: outDt, scale: mean ? 1 / L : undefined }],
          vals: [vo],
        },
      });
      ctx.dispose(v);
    }
    return options.keepdims ? keepDims(r, x.shape, axes) : r;
  }

  function sumLike(name: string, op: RedOp, x: A, options: ReductionOptions = {}): A {
    ctx.live(x, name);
    const dt = options.dtype ?? sumDType(x.dtype);
    ctx.checkDType(dt, name);
    if (dt === "bool") throw new TypeError(`${name}: dtype bool is not a valid accumulation dtype`);
    return reduce(name, op, x, options, dt, dt);
  }

  function arg(
    name: string,
    isMax: boolean,
    x: A,
    options: { axis?: number; keepdims?: boolean },
  ): A {
    ctx.live(x, name);
    let rowsView: A, outShape: number[];
    let axis = -1;
    if (options.axis === undefined || options.axis === null) {
      rowsView = ctx.view(x, x.shape, x._st, x._off);
      outShape = [];
    } else {
      axis = normalizeAxis(options.axis, x.ndim, x.shape);
      const perm = [...Array(x.ndim).keys()].filter((a) => a !== axis).concat([axis]);
      rowsView = ctx.view(x, perm.map((a) => x.shape[a]), perm.map((a) => x._st[a]), x._off);
      outShape = perm.slice(0, -1).map((a) => x.shape[a]);
    }
    const L = axis < 0 ? x.size : x.shape[axis];
    if (L === 0) {
      throw new RangeError(
        `${name}: attempt to get ${name} of an empty sequence (shape ${fmtShape(x.shape)})`,
      );
    }
    const c = contiguous(ctx, rowsView);
    const out = ctx.alloc(outShape, "int32");
    const rows = out.size;
    const elem = elemOf(x.dtype);
    const eng = ctx.engine;
    if (rows > 0) {
      const k = eng.kernel(
        `arg:${elem}:${isMax}`,
        () => ({ code: argWgsl(elem, isMax), sig: "rw", label: name }),
      );
      const words = [rows, L, c._off, 0];
      const off = eng.params(4);
      eng.ringU32.set(words, off);
      eng.dispatch(k, [c._s!, out._s!], off, 4, rows);
    }
    if (c !== rowsView) ctx.dispose(c);
    ctx.dispose(rowsView);
    if (options.keepdims) {
      const ks = x.shape.map((d, i) => (axis < 0 || i === axis ? 1 : d));
      return ctx.adopt(out, ks);
    }
    return out;
  }

  function cumulative_sum(
    x: A,
    options: { axis?: number; dtype?: DType; include_initial?: boolean } = {},
  ): A {
    ctx.live(x, "cumulative_sum");
    if (x.ndim === 0) throw new RangeError("cumulative_sum: needs an array with at least one axis");
    if (options.axis === undefined && x.ndim > 1) {
      throw new RangeError(
        `cumulative_sum: axis is required for an array of shape ${fmtShape(x.shape)}`,
      );
    }
    const axis = normalizeAxis(options.axis ?? 0, x.ndim, x.shape);
    const dt = options.dtype ?? sumDType(x.dtype);
    ctx.checkDType(dt, "cumulative_sum");
    if (dt === "bool") {
      throw new TypeError("cumulative_sum: dtype bool is not a valid accumulation dtype");
    }
    const init = options.include_initial ? 1 : 0;
    const perm = [...Array(x.ndim).keys()].filter((a) => a !== axis).concat([axis]);
    const v = ctx.view(x, perm.map((a) => x.shape[a]), perm.map((a) => x._st[a]), x._off);
    const c = contiguous(ctx, v);
    const L = x.shape[axis];
    const pShape = perm.map((a) => x.shape[a]);
    pShape[pShape.length - 1] = L + init;
    const out = ctx.alloc(pShape, dt);
    const rows = L + init === 0 ? 0 : out.size / (L + init);
    const acc = isFloatDType(dt) ? "f32" : dt === "uint32" ? "u32" : "i32";
    const inElem = elemOf(x.dtype), outElem = elemOf(dt);
    const eng = ctx.engine;
    if (rows > 0) {
      const k = eng.kernel(
        `cumsum:${inElem}:${acc}:${outElem}`,
        () => ({ code: cumsumWgsl(inElem, acc, outElem), sig: "rw", label: "cumulative_sum" }),
      );
      const words = [rows, L, init, c._off];
      const off = eng.params(4);
      eng.ringU32.set(words, off);
      eng.dispatch(k, [c._s!, out._s!], off, 4, rows);
    }
    if (c !== v) ctx.dispose(c);
    ctx.dispose(v);
    // move the scanned axis back (a view)
    const inv = new Array<number>(x.ndim);
    perm.forEach((p, i) => (inv[p] = i));
    const st = stridesOf(pShape);
    const r = ctx.view(out, inv.map((i) => pShape[i]), inv.map((i) => st[i]), 0);
    ctx.dispose(out);
    return r;
  }

  return {
    sum: (x: A, o: ReductionOptions = {}): A => sumLike("sum", "sum", x, o),
    prod: (x: A, o: ReductionOptions = {}): A => sumLike("prod", "prod", x, o),
    max: (x: A, o: Omit<ReductionOptions, "dtype"> = {}): A => {
      ctx.live(x, "max");
      return reduce("max", "max", x, o, x.dtype, x.dtype);
    },
    min: (x: A, o: Omit<ReductionOptions, "dtype"> = {}): A => {
      ctx.live(x, "min");
      return reduce("min", "min", x, o, x.dtype, x.dtype);
    },
    mean: (x: A, o: Omit<ReductionOptions, "dtype"> = {}): A => {
      ctx.live(x, "mean");
      const dt = isFloatDType(x.dtype) ? x.dtype : "float32";
      return reduce("mean", "sum", x, o, dt, dt, true);
    },
    all: (x: A, o: Omit<ReductionOptions, "dtype"> = {}): A => {
      ctx.live(x, "all");
      return reduce("all", "all", x, o, "bool", x.dtype);
    },
    any: (x: A, o: Omit<ReductionOptions, "dtype"> = {}): A => {
      ctx.live(x, "any");
      return reduce("any", "any", x, o, "bool", x.dtype);
    },
    argmax: (x: A, o: { axis?: number; keepdims?: boolean } = {}): A => arg("argmax", true, x, o),
    argmin: (x: A, o: { axis?: number; keepdims?: boolean } = {}): A => arg("argmin", false, x, o),
    cumulative_sum,
  };
}
