/**
 * `matmul` and `vecdot` of the WebGPU namespace. Large products use the tiled kernel of
 * `_matmul_wgsl.ts`; matrix–vector products, thin or small batched products use the expression
 * engine as a dot-product reduction over K (one workgroup per output row of a GEMV, one thread
 * per output for short K), which reads transposed/broadcast operands in place.
 *
 * @module
 */
import type { DType } from "../../array_api/types.ts";
import { promoteTypes } from "../../array_api/dtypes.ts";
import { broadcastShapes, fmtShape } from "../../array_api/shapes.ts";
import type { Ctx } from "./_ctx.ts";
import { bstrides, collapse, runExpr } from "./_expr.ts";
import { matmulWgsl, matmulWords } from "./_matmul_wgsl.ts";
import { conv, elemOf, isFloatVal, valOf } from "./_wgsl.ts";
import type { WebGpuArray } from "./webgpu_array.ts";

type A = WebGpuArray;

function promote(ctx: Ctx, name: string, a: A, b: A): DType {
  ctx.live(a, name);
  ctx.live(b, name);
  let dt: DType;
  try {
    dt = promoteTypes(a.dtype, b.dtype);
  } catch {
    throw new TypeError(`${name}: no type promotion between ${a.dtype} and ${b.dtype}`);
  }
  if (dt === "bool") throw new TypeError(`${name}: expected numeric arrays, got bool`);
  ctx.checkDType(dt, name);
  return dt;
}

/** Linear-algebra products. @internal */
export function matmulOps(ctx: Ctx) {
  function matmul(x1in: A, x2in: A): A {
    const dt = promote(ctx, "matmul", x1in, x2in);
    if (x1in.ndim === 0 || x2in.ndim === 0) {
      throw new RangeError(
        `matmul: operands must have at least one dimension, got shapes ${
          fmtShape(x1in.shape)
        } and ${fmtShape(x2in.shape)}`,
      );
    }
    const x1 = x1in.dtype === dt ? x1in : castView(ctx, x1in, dt);
    const x2 = x2in.dtype === dt ? x2in : castView(ctx, x2in, dt);
    try {
      return matmulSame(x1, x2, dt, x1in.shape, x2in.shape);
    } finally {
      if (x1 !== x1in) ctx.dispose(x1);
      if (x2 !== x2in) ctx.dispose(x2);
    }
  }

  function matmulSame(x1: A, x2: A, dt: DType, s1: readonly number[], s2: readonly number[]): A {
    // 1-D promotion
    const aShape = x1.ndim === 1 ? [1, x1.shape[0]] : [...x1.shape];
    const aSt = x1.ndim === 1 ? [0, x1._st[0]] : [...x1._st];
    const bShape = x2.ndim === 1 ? [x2.shape[0], 1] : [...x2.shape];
    const bSt = x2.ndim === 1 ? [x2._st[0], 0] : [...x2._st];
    const M = aShape[aShape.length - 2], K = aShape[aShape.length - 1];
    const K2 = bShape[bShape.length - 2], N = bShape[bShape.length - 1];
    if (K !== K2) {
      throw new RangeError(
        `matmul: shapes ${fmtShape(s1)} and ${fmtShape(s2)} are not aligned ` +
          `(${K} != ${K2} in the contracted dimension)`,
      );
    }
    const aBatch = aShape.slice(0, -2), bBatch = bShape.slice(0, -2);
    let batch: number[];
    try {
      batch = broadcastShapes([aBatch, bBatch]);
    } catch {
      throw new RangeError(
        `matmul: the batch dimensions of shapes ${fmtShape(s1)} and ${
          fmtShape(s2)
        } cannot be broadcast together`,
      );
    }
    const finalShape = [...batch];
    if (x1.ndim > 1) finalShape.push(M);
    if (x2.ndim > 1) finalShape.push(N);
    const aView = ctx.view(x1, [...aBatch, M, K], aSt, x1._off);
    const bView = ctx.view(x2, [...bBatch, K, N], bSt, x2._off);
    const aB = bstrides(aView, [...batch, M, K], "matmul").slice(0, batch.length);
    const bB = bstrides(bView, [...batch, K, N], "matmul").slice(0, batch.length);
    ctx.dispose(aView);
    ctx.dispose(bView);
    const aR = aSt[aSt.length - 2], aC = aSt[aSt.length - 1];
    const bR = bSt[bSt.length - 2], bC = bSt[bSt.length - 1];
    let out: A;
    const T = valOf(dt);
    const nb = batch.reduce((p, d) => p * d, 1);
    if (M >= 16 && N >= 16 && K >= 16 && M * N >= 4096) {
      out = ctx.alloc([...batch, M, N], dt);
      const c = collapse(batch, [aB, bB]);
      const rb = c.dims.length;
      const elem = elemOf(dt);
      const acc = isFloatVal(T) ? "f32" : T === "i32" ? "i32" : "u32";
      const eng = ctx.engine;
      const k = eng.kernel(
        `matmul:${elem}:${rb}`,
        () => ({ code: matmulWgsl(elem, acc, rb), sig: "rrw", label: "matmul" }),
      );
      const gx = Math.ceil(N / 64), gy = Math.ceil(M / 64);
      if (gx > eng.maxGroups || gy > eng.maxGroups) {
        throw new RangeError(`matmul: output ${M}×${N} is too large for one dispatch`);
      }
      for (let base = 0; base < nb; base += eng.maxGroups) {
        const nz = Math.min(eng.maxGroups, nb - base);
        const words = [M, N, K, base, x1._off, aR, aC, x2._off, bR, bC, 0, 0];
        words.push(...c.dims, ...c.lists[0], ...c.lists[1]);
        while (words.length < matmulWords(rb)) words.push(0);
        eng.run(k, [x1._s!, x2._s!, out._s!], words, gx, nz, gy);
      }
    } else {
      // dot-product reduction over K
      const S = [...batch, M, N, K];
      const av = ctx.view(x1, S, [...aB, aR, 0, aC], x1._off);
      const bv = ctx.view(x2, S, [...bB, 0, bC, bR], x2._off);
      const acc = isFloatVal(T) ? "f32" : T;
      [out] = runExpr(ctx, {
        label: "matmul",
        key: `dot:${dt}:${dt}:${dt}`,
        shape: S,
        inputs: [av, bv],
        body: (x) => `let r0 = ${conv(x[0], T, acc)} * ${conv(x[1], T, acc)};`,
        outputs: [],
        reduce: { inner: 1, ops: [{ op: "sum", dtype: dt }], vals: [acc] },
      });
      ctx.dispose(av);
      ctx.dispose(bv);
    }
    if (finalShape.length !== out.ndim) return ctx.adopt(out, finalShape);
    return out;
  }

  function vecdot(x1: A, x2: A, options: { axis?: number } = {}): A {
    const dt = promote(ctx, "vecdot", x1, x2);
    const axis = options.axis ?? -1;
    const S = broadcastShapes([x1.shape, x2.shape], "vecdot");
    const nd = S.length;
    if (!Number.isInteger(axis) || axis < -nd || axis >= nd || nd === 0) {
      throw new RangeError(
        `vecdot: axis ${axis} is out of range for shapes ${fmtShape(x1.shape)} and ${
          fmtShape(x2.shape)
        }`,
      );
    }
    const ax = axis < 0 ? axis + nd : axis;
    const neg = ax - nd;
    const k1 = x1.shape[x1.ndim + neg], k2 = x2.shape[x2.ndim + neg];
    if (k1 === undefined || k2 === undefined || k1 !== k2) {
      throw new RangeError(
        `vecdot: shapes ${fmtShape(x1.shape)} and ${
          fmtShape(x2.shape)
        } differ along axis ${axis} (${k1} vs ${k2})`,
      );
    }
    const perm = [...Array(nd).keys()].filter((a) => a !== ax).concat([ax]);
    const Sp = perm.map((a) => S[a]);
    const s1 = bstrides(x1, S, "vecdot"), s2 = bstrides(x2, S, "vecdot");
    const v1 = ctx.view(x1, Sp, perm.map((a) => s1[a]), x1._off);
    const v2 = ctx.view(x2, Sp, perm.map((a) => s2[a]), x2._off);
    const T = valOf(dt);
    const acc = isFloatVal(T) ? "f32" : T;
    const w1 = valOf(x1.dtype), w2 = valOf(x2.dtype);
    const [r] = runExpr(ctx, {
      label: "vecdot",
      key: `dot:${x1.dtype}:${x2.dtype}:${dt}`,
      shape: Sp,
      inputs: [v1, v2],
      body: (x) => `let r0 = ${conv(x[0], w1, acc)} * ${conv(x[1], w2, acc)};`,
      outputs: [],
      reduce: { inner: 1, ops: [{ op: "sum", dtype: dt }], vals: [acc] },
    });
    ctx.dispose(v1);
    ctx.dispose(v2);
    return r;
  }

  return { matmul, vecdot };
}

function castView(ctx: Ctx, x: A, dt: DType): A {
  const vi = valOf(x.dtype), vo = valOf(dt);
  return runExpr(ctx, {
    label: "matmul (cast)",
    key: `cast:${x.dtype}:${dt}`,
    shape: x.shape,
    inputs: [x],
    body: (v) => `let o0 = ${conv(v[0], vi, vo)};`,
    outputs: [{ dtype: dt }],
  })[0];
}
