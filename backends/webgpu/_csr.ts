/**
 * `csrMatvec` / `csrMatmat` on the WebGPU namespace: validation of {@linkcode CsrData}
 * (layouts, batch cases, dtypes) and dispatch of the kernels in `_csr_wgsl.ts`. Values and
 * vectors are float32 (or float16, accumulated in float32); indices int32. Column indices are
 * trusted (an index outside `0 ≤ j < N` reads an unspecified element, never out of the buffer).
 *
 * @module
 */
import type { CsrData } from "../../array_api/types.ts";
import { fmtShape } from "../../array_api/shapes.ts";
import type { Ctx } from "./_ctx.ts";
import { csrMatmatWgsl, csrScalarWgsl, csrVectorWgsl } from "./_csr_wgsl.ts";
import { contiguous } from "./_manip.ts";
import { elemOf } from "./_wgsl.ts";
import type { WebGpuArray } from "./webgpu_array.ts";

type A = WebGpuArray;

const same = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/** The CSR kernels. @internal */
export function csrOps(ctx: Ctx) {
  function run(kind: "matvec" | "matmat", a: CsrData<A>, x: A, out?: A): A {
    const label = kind === "matvec" ? "csrMatvec" : "csrMatmat";
    ctx.engine.check();
    for (
      const [n, v] of [["indptr", a.indptr], ["indices", a.indices], ["data", a.data], [
        "x",
        x,
      ]] as const
    ) {
      ctx.live(v, `${label} (${n})`);
    }
    if (a.indptr.dtype !== "int32" || a.indices.dtype !== "int32") {
      throw new TypeError(
        `${label}: indptr and indices must be int32, got ${a.indptr.dtype} and ${a.indices.dtype}`,
      );
    }
    const dt = a.data.dtype;
    if (dt !== "float32" && dt !== "float16") {
      throw new TypeError(`${label}: values must be float32 or float16 on webgpu, got ${dt}`);
    }
    if (x.dtype !== dt) {
      throw new TypeError(`${label}: x is ${x.dtype} but the matrix values are ${dt}`);
    }
    const shape = a.shape;
    if (shape.length < 2) {
      throw new RangeError(`${label}: matrix shape ${fmtShape(shape)} needs 2+ dims`);
    }
    const M = shape[shape.length - 2], N = shape[shape.length - 1];
    const batch = shape.slice(0, -2);
    const nb = batch.reduce((p, d) => p * d, 1);
    const nnz = a.nnz;
    let ipStride: number, dStride: number;
    if (a.layout === "shared") {
      if (a.indptr.size !== M + 1) {
        throw new RangeError(
          `${label}: shared layout needs ${M + 1} row pointers, got ${a.indptr.size}`,
        );
      }
      if (a.indices.size < nnz) {
        throw new RangeError(
          `${label}: ${nnz} stored entries but ${a.indices.size} column indices`,
        );
      }
      if (!same(a.data.shape, [...batch, nnz])) {
        throw new RangeError(
          `${label}: shared layout values must have shape ${fmtShape([...batch, nnz])}, got ${
            fmtShape(a.data.shape)
          }`,
        );
      }
      ipStride = 0;
      dStride = nnz;
    } else if (a.layout === "stacked") {
      if (batch.length !== 1) {
        throw new RangeError(
          `${label}: stacked layout needs shape (B, M, N), got ${fmtShape(shape)}`,
        );
      }
      if (a.indptr.size !== nb * M + 1) {
        throw new RangeError(
          `${label}: stacked layout needs ${nb * M + 1} row pointers, got ${a.indptr.size}`,
        );
      }
      if (a.data.ndim !== 1 || a.indices.size !== a.data.size) {
        throw new RangeError(
          `${label}: stacked layout needs 1-D values and indices of equal length, got ${
            fmtShape(a.data.shape)
          } and ${fmtShape(a.indices.shape)}`,
        );
      }
      ipStride = M;
      dStride = 0;
    } else {
      throw new TypeError(`${label}: unknown CSR layout ${JSON.stringify(a.layout)}`);
    }
    const vecAxes = kind === "matvec" ? 1 : 2;
    if (x.ndim < vecAxes || x.shape[x.ndim - vecAxes] !== N) {
      throw new RangeError(
        `${label}: x of shape ${fmtShape(x.shape)} does not match the matrix shape ${
          fmtShape(shape)
        }`,
      );
    }
    const K = kind === "matmat" ? x.shape[x.ndim - 1] : 1;
    const batchX = x.shape.slice(0, x.ndim - vecAxes);
    let nBatch: number, outBatch: readonly number[];
    if (batch.length === 0) {
      nBatch = batchX.reduce((p, d) => p * d, 1);
      outBatch = batchX;
      dStride = 0;
    } else if (same(batchX, batch)) {
      nBatch = nb;
      outBatch = batch;
    } else {
      throw new RangeError(
        `${label}: x of shape ${
          fmtShape(x.shape)
        } must have no batch dimensions or the matrix batch ` +
          `shape ${fmtShape(batch)} (the sparse layer broadcasts other cases)`,
      );
    }
    const outShape = kind === "matvec" ? [...outBatch, M] : [...outBatch, M, K];
    // donated output
    let y: A | null = null;
    if (out !== undefined) {
      ctx.live(out, label);
      const s = out._s!;
      const clash = [a.indptr, a.indices, a.data, x].some((v) => v._s === s);
      if (
        same(out.shape, outShape) && out.dtype === dt && out._contig && s.refs === 1 && !clash &&
        !s.external
      ) {
        y = out;
      }
    }
    const yy = y ?? ctx.alloc(outShape, dt);
    const total = nBatch * M * K;
    if (total > 0) {
      const ip = contiguous(ctx, a.indptr), ix = contiguous(ctx, a.indices);
      const dv = contiguous(ctx, a.data), xv = contiguous(ctx, x);
      const elem = elemOf(dt);
      const eng = ctx.engine;
      const words = [
        M,
        nBatch,
        ipStride,
        dStride,
        N * K,
        ip._off,
        ix._off,
        dv._off,
        xv._off,
        K,
        yy._off,
        0,
      ];
      const bufs = [ip._s!, ix._s!, dv._s!, xv._s!, yy._s!];
      if (kind === "matmat") {
        const k = eng.kernel(
          `csrmm:${elem}`,
          () => ({ code: csrMatmatWgsl(elem), sig: "rrrrw", label }),
        );
        eng.run(k, bufs, words, Math.ceil(total / 256));
      } else {
        const perRow = (a.layout === "shared" ? nnz : a.data.size / Math.max(1, nb)) /
          Math.max(1, M);
        if (perRow >= 16) {
          const k = eng.kernel(
            `csrv:${elem}`,
            () => ({ code: csrVectorWgsl(elem), sig: "rrrrw", label }),
          );
          eng.run(k, bufs, words, Math.ceil(total / 8));
        } else {
          const k = eng.kernel(
            `csrs:${elem}`,
            () => ({ code: csrScalarWgsl(elem), sig: "rrrrw", label }),
          );
          eng.run(k, bufs, words, Math.ceil(total / 256));
        }
      }
      for (const [c, o] of [[ip, a.indptr], [ix, a.indices], [dv, a.data], [xv, x]] as const) {
        if (c !== o) ctx.dispose(c);
      }
    }
    if (out !== undefined && y === null) ctx.dispose(out);
    return yy;
  }

  return {
    csrMatvec: (a: CsrData<A>, x: A, out?: A): A => run("matvec", a, x, out),
    csrMatmat: (a: CsrData<A>, x: A, out?: A): A => run("matmat", a, x, out),
  };
}
