/**
 * The `linalg` extension on the WebGPU namespace. Factorizations run the kernels of
 * `_linalg_wgsl.ts` (one workgroup per matrix, float32 arithmetic; float16 inputs are computed
 * in float32 and cast back, integer inputs give float32); composite functions (`lstsq`, norms)
 * are built from namespace functions. Nothing reads back: data-dependent failures (singular
 * matrix in `solve`/`inv`, non-positive-definite matrix in `cholesky`) produce inf/NaN results
 * and a `RangeError` from the next `toHost`.
 *
 * Size limits (a `RangeError` beyond them): `solve`/`inv`/`det`/`cholesky` n ≤ 2048; `qr`
 * min(M, N) ≤ 1024 and max(M, N) ≤ 8192; `svd`/`svdvals`/`lstsq`/`matrix_norm` with
 * `ord` 2, −2 or `"nuc"`: min(M, N) ≤ 512 and max(M, N) ≤ 8192; `eigh`/`eigvalsh` n ≤ 512.
 * These kernels are meant for the small dense problems inside Krylov methods (Hessenberg
 * least squares, Ritz values); large dense factorizations belong on the CPU backend.
 *
 * @module
 */
import type {
  DType,
  EighResult,
  LinalgNamespace,
  LstsqResult,
  QRResult,
  SVDResult,
} from "../../array_api/types.ts";
import { finfo } from "../../array_api/dtypes.ts";
import { broadcastShapes, fmtShape, normalizeAxes } from "../../array_api/shapes.ts";
import type { Ctx } from "./_ctx.ts";
import { bstrides, runExpr } from "./_expr.ts";
import {
  choleskyWgsl,
  JACOBI_MAX_N,
  jacobiWgsl,
  luWgsl,
  QR_MAX_K,
  qrWgsl,
} from "./_linalg_wgsl.ts";
import { copyOf } from "./_manip.ts";
import { conv, lit, valOf } from "./_wgsl.ts";
import type { WebGpuArray } from "./webgpu_array.ts";
import type { WebGpuNamespace } from "./webgpu.ts";

type A = WebGpuArray;

const SQUARE_MAX = 2048;
const LONG_MAX = 8192;

/** The linalg namespace. @internal */
export function linalgOps(ctx: Ctx, xp: WebGpuNamespace): LinalgNamespace<A> {
  const eng = ctx.engine;

  function resultDType(x: A, name: string): DType {
    ctx.live(x, name);
    if (x.dtype === "bool") {
      throw new TypeError(`linalg.${name}: expected a numeric array, got bool`);
    }
    return x.dtype === "float16" ? "float16" : "float32";
  }

  function matrixDims(
    x: A,
    name: string,
    square: boolean,
  ): { batch: number[]; m: number; n: number } {
    if (x.ndim < 2) {
      throw new RangeError(
        `linalg.${name}: needs at least 2 dimensions, got shape ${fmtShape(x.shape)}`,
      );
    }
    const m = x.shape[x.ndim - 2], n = x.shape[x.ndim - 1];
    if (square && m !== n) {
      throw new RangeError(`linalg.${name}: needs square matrices, got shape ${fmtShape(x.shape)}`);
    }
    return { batch: x.shape.slice(0, -2), m, n };
  }

  function batchOf(name: string, parts: readonly (readonly number[])[], a: A, b: A): number[] {
    try {
      return broadcastShapes(parts);
    } catch {
      throw new RangeError(
        `linalg.${name}: the batch dimensions of shapes ${fmtShape(a.shape)} and ${
          fmtShape(b.shape)
        } ` +
          `cannot be broadcast together`,
      );
    }
  }

  function limit(name: string, what: string, v: number, max: number, shape: readonly number[]) {
    if (v > max) {
      throw new RangeError(
        `linalg.${name}: ${what} = ${v} exceeds the webgpu limit of ${max} (shape ${
          fmtShape(shape)
        }); ` +
          `use the CPU backend for large dense factorizations`,
      );
    }
  }

  /** Contiguous float32 copy of `x` broadcast to `shape`. */
  function work(x: A, shape: readonly number[]): A {
    const st = bstrides(x, shape, "linalg");
    const v = ctx.view(x, shape, st, x._off);
    const c = copyOf(ctx, v, "float32", "linalg (copy)");
    ctx.dispose(v);
    return c;
  }

  /** Casts a float32 result to `dt` (disposing the input) when needed. */
  function finish(r: A, dt: DType): A {
    if (r.dtype === dt) return r;
    const c = copyOf(ctx, r, dt, "linalg (cast)");
    ctx.dispose(r);
    return c;
  }

  function slotFor(name: string, batch: readonly number[], what: string): number {
    return eng.statusSlot((v) => {
      const flat = 0xffffffff - v;
      let where = "";
      if (batch.length > 0) {
        const idx: number[] = [];
        let q = flat;
        for (let d = batch.length - 1; d >= 0; d--) {
          idx.unshift(q % batch[d]);
          q = Math.floor(q / batch[d]);
        }
        where = ` at batch index (${idx.join(", ")})`;
      }
      return new RangeError(
        `linalg.${name}: the matrix${where} is ${what} (detected on the GPU; that result holds inf/NaN)`,
      );
    });
  }

  const luKernel = (mode: "solve" | "det") =>
    eng.kernel(`lu:${mode}`, () => ({ code: luWgsl(mode), sig: "www", label: `linalg.${mode}` }));

  function solveWith(
    name: string,
    W: A,
    X: A,
    batch: readonly number[],
    n: number,
    k: number,
  ): void {
    const nb = W.size / Math.max(1, n * n);
    const slot = slotFor(name, batch, "singular");
    eng.run(luKernel("solve"), [W._s!, X._s!, eng.status], [nb, n, k, slot], nb);
  }

  function solve(x1: A, x2: A): A {
    const dt = resultDType(x1, "solve");
    resultDType(x2, "solve");
    const { batch: b1, n } = matrixDims(x1, "solve", true);
    limit("solve", "n", n, SQUARE_MAX, x1.shape);
    let vector: boolean;
    if (x2.ndim === 1) vector = true;
    else if (x2.ndim === x1.ndim - 1 && x2.shape[x2.ndim - 1] === n) vector = true;
    else vector = false;
    if (!vector && x2.ndim < 2) {
      throw new RangeError(
        `linalg.solve: x2 of shape ${fmtShape(x2.shape)} does not match ${fmtShape(x1.shape)}`,
      );
    }
    const rows = vector ? x2.shape[x2.ndim - 1] : x2.shape[x2.ndim - 2];
    if (rows !== n) {
      throw new RangeError(
        `linalg.solve: x1 of shape ${fmtShape(x1.shape)} and x2 of shape ${
          fmtShape(x2.shape)
        } are not aligned`,
      );
    }
    const k = vector ? 1 : x2.shape[x2.ndim - 1];
    const b2 = vector ? x2.shape.slice(0, -1) : x2.shape.slice(0, -2);
    const batch = batchOf("solve", [b1, b2], x1, x2);
    const W = work(x1, [...batch, n, n]);
    const x2v = vector ? ctx.view(x2, [...x2.shape, 1], [...x2._st, 0], x2._off) : x2;
    const X = work(x2v, [...batch, n, k]);
    if (x2v !== x2) ctx.dispose(x2v);
    if (W.size > 0 && X.size > 0) solveWith("solve", W, X, batch, n, k);
    ctx.dispose(W);
    const r = vector ? ctx.adopt(X, [...batch, n]) : X;
    return finish(r, dt);
  }

  function inv(x: A): A {
    const dt = resultDType(x, "inv");
    const { batch, n } = matrixDims(x, "inv", true);
    limit("inv", "n", n, SQUARE_MAX, x.shape);
    const W = work(x, x.shape);
    const I = xp.eye(n, n, { dtype: "float32" });
    const X = work(I, x.shape);
    ctx.dispose(I);
    if (W.size > 0) solveWith("inv", W, X, batch, n, n);
    ctx.dispose(W);
    return finish(X, dt);
  }

  function det(x: A): A {
    const dt = resultDType(x, "det");
    const { batch, n } = matrixDims(x, "det", true);
    limit("det", "n", n, SQUARE_MAX, x.shape);
    if (n === 0) return xp.ones(batch, { dtype: dt });
    const W = work(x, x.shape);
    const out = ctx.alloc(batch, "float32");
    const nb = out.size;
    if (nb > 0) eng.run(luKernel("det"), [W._s!, out._s!, eng.status], [nb, n, 0, 0], nb);
    ctx.dispose(W);
    return finish(out, dt);
  }

  function cholesky(x: A, options: { upper?: boolean } = {}): A {
    const dt = resultDType(x, "cholesky");
    const { batch, n } = matrixDims(x, "cholesky", true);
    limit("cholesky", "n", n, SQUARE_MAX, x.shape);
    const W = work(x, x.shape);
    const nb = W.size / Math.max(1, n * n);
    if (W.size > 0) {
      const k = eng.kernel(
        "cholesky",
        () => ({ code: choleskyWgsl(), sig: "ww", label: "linalg.cholesky" }),
      );
      eng.run(k, [W._s!, eng.status], [
        nb,
        n,
        slotFor("cholesky", batch, "not positive definite"),
        0,
      ], nb);
    }
    const L = finish(W, dt);
    if (!options.upper) return L;
    const t = xp.matrix_transpose(L);
    ctx.dispose(L);
    return t;
  }

  function qr(x: A, options: { mode?: "reduced" | "complete" } = {}): QRResult<A> {
    const dt = resultDType(x, "qr");
    const mode = options.mode ?? "reduced";
    if (mode !== "reduced" && mode !== "complete") {
      throw new RangeError(
        `linalg.qr: mode must be "reduced" or "complete", got ${JSON.stringify(mode)}`,
      );
    }
    const { batch, m, n } = matrixDims(x, "qr", false);
    const K = Math.min(m, n);
    limit("qr", "min(M, N)", K, QR_MAX_K, x.shape);
    limit("qr", "max(M, N)", Math.max(m, n), LONG_MAX, x.shape);
    const qc = mode === "complete" ? m : K;
    const rr = mode === "complete" ? m : K;
    const W = work(x, x.shape);
    const Q = ctx.alloc([...batch, m, qc], "float32");
    const R = ctx.alloc([...batch, rr, n], "float32");
    const nb = batch.reduce((p, d) => p * d, 1);
    if (nb > 0 && (Q.size > 0 || R.size > 0)) {
      const k = eng.kernel("qr", () => ({ code: qrWgsl(), sig: "www", label: "linalg.qr" }));
      eng.run(k, [W._s!, Q._s!, R._s!], [nb, m, n, qc, rr, 0, 0, 0], nb);
    }
    ctx.dispose(W);
    return { Q: finish(Q, dt), R: finish(R, dt) };
  }

  function jacobi(
    x: A,
    name: string,
    mode: "svd" | "svdvals",
  ): { S: A; U?: A; Vh?: A } {
    const { batch, m, n } = matrixDims(x, name, false);
    const k = Math.min(m, n);
    limit(name, "min(M, N)", k, JACOBI_MAX_N, x.shape);
    limit(name, "max(M, N)", Math.max(m, n), LONG_MAX, x.shape);
    const tall = m >= n;
    const mm = tall ? m : n; // rows of the Jacobi workspace
    const src = tall ? x : xp.matrix_transpose(x);
    const W = work(src, [...batch, mm, k]);
    if (!tall) ctx.dispose(src);
    const nb = batch.reduce((p, d) => p * d, 1);
    const S = ctx.alloc([...batch, k], "float32");
    if (mode === "svdvals") {
      if (nb > 0 && k > 0) {
        const kern = eng.kernel("jacobi:svdvals", () => ({
          code: jacobiWgsl("svdvals"),
          sig: "ww",
          label: `linalg.${name}`,
        }));
        eng.run(kern, [W._s!, S._s!], [nb, mm, k, 40], nb);
      }
      ctx.dispose(W);
      return { S };
    }
    const V = ctx.alloc([...batch, k, k], "float32");
    const U = ctx.alloc([...batch, mm, k], "float32");
    const Vt = ctx.alloc([...batch, k, k], "float32");
    if (nb > 0 && k > 0) {
      const kern = eng.kernel("jacobi:svd", () => ({
        code: jacobiWgsl("svd"),
        sig: "wwwww",
        label: `linalg.${name}`,
      }));
      eng.run(kern, [W._s!, V._s!, S._s!, U._s!, Vt._s!], [nb, mm, k, 40], nb);
    } else if (nb > 0 && mm > 0) {
      // k = 0: U is (mm, 0), nothing to compute
    }
    ctx.dispose(W);
    ctx.dispose(V);
    if (tall) return { S, U, Vh: Vt };
    // A = (Aᵀ)ᵀ = (U' S V'ᵀ)ᵀ = V' S U'ᵀ
    const U2 = xp.matrix_transpose(Vt);
    const Vh2 = xp.matrix_transpose(U);
    ctx.dispose(Vt);
    ctx.dispose(U);
    return { S, U: U2, Vh: Vh2 };
  }

  function svd(x: A, options: { full_matrices?: false } = {}): SVDResult<A> {
    const dt = resultDType(x, "svd");
    if ((options as { full_matrices?: boolean }).full_matrices === true) {
      throw new RangeError("linalg.svd: full_matrices=true is not supported (thin SVD only)");
    }
    const r = jacobi(x, "svd", "svd");
    return { U: finish(r.U!, dt), S: finish(r.S, dt), Vh: finish(r.Vh!, dt) };
  }

  function svdvals(x: A): A {
    const dt = resultDType(x, "svdvals");
    return finish(jacobi(x, "svdvals", "svdvals").S, dt);
  }

  function eighImpl(x: A, name: string): { vals: A; vecs: A } {
    const { batch, n } = matrixDims(x, name, true);
    limit(name, "n", n, JACOBI_MAX_N, x.shape);
    const Acopy = work(x, x.shape);
    const W = ctx.alloc(x.shape, "float32");
    const V = ctx.alloc(x.shape, "float32");
    const vals = ctx.alloc([...batch, n], "float32");
    const vecs = ctx.alloc(x.shape, "float32");
    const nb = batch.reduce((p, d) => p * d, 1);
    if (nb > 0 && n > 0) {
      const kern = eng.kernel("jacobi:eigh", () => ({
        code: jacobiWgsl("eigh"),
        sig: "rwwww",
        label: `linalg.${name}`,
      }));
      eng.run(kern, [Acopy._s!, W._s!, V._s!, vals._s!, vecs._s!], [nb, n, n, 40], nb);
    }
    ctx.dispose(Acopy);
    ctx.dispose(W);
    ctx.dispose(V);
    return { vals, vecs };
  }

  function eigh(x: A): EighResult<A> {
    const dt = resultDType(x, "eigh");
    const { vals, vecs } = eighImpl(x, "eigh");
    return { eigenvalues: finish(vals, dt), eigenvectors: finish(vecs, dt) };
  }

  function eigvalsh(x: A): A {
    const dt = resultDType(x, "eigvalsh");
    const { vals, vecs } = eighImpl(x, "eigvalsh");
    ctx.dispose(vecs);
    return finish(vals, dt);
  }

  function diagonal(x: A, options: { offset?: number } = {}): A {
    ctx.live(x, "linalg.diagonal");
    const { batch, m, n } = matrixDims(x, "diagonal", false);
    const k = options.offset ?? 0;
    if (!Number.isInteger(k)) {
      throw new RangeError(`linalg.diagonal: offset must be an integer, got ${k}`);
    }
    const len = Math.max(0, k >= 0 ? Math.min(m, n - k) : Math.min(m + k, n));
    const sr = x._st[x.ndim - 2], sc = x._st[x.ndim - 1];
    const off = x._off + (len > 0 ? (k >= 0 ? k * sc : -k * sr) : 0);
    return ctx.view(x, [...batch, len], [...x._st.slice(0, -2), sr + sc], off);
  }

  /**
   * Reduction of f(x[, e]) over `axes`, with keepdims; `extra` (shaped like a keepdims result)
   * is broadcast against `x` and passed to `f` as its second argument.
   */
  function reduceMapped(
    x: A,
    axes: readonly number[],
    keepdims: boolean,
    op: "sum" | "max" | "min",
    outDt: DType,
    f: (v: string, e: string) => string,
    key: string,
    helpers: string[] = [],
    extra?: A,
  ): A {
    const keep: number[] = [];
    for (let i = 0; i < x.ndim; i++) if (!axes.includes(i)) keep.push(i);
    const perm = [...keep, ...axes];
    const pshape = perm.map((a) => x.shape[a]);
    const v = ctx.view(x, pshape, perm.map((a) => x._st[a]), x._off);
    const inputs: A[] = [v];
    if (extra) {
      const st = bstrides(extra, x.shape, "linalg.norm");
      inputs.push(ctx.view(extra, pshape, perm.map((a) => st[a]), extra._off));
    }
    const vi = valOf(x.dtype);
    const [r] = runExpr(ctx, {
      label: "linalg.norm",
      key: `norm:${key}:${x.dtype}:${outDt}:${extra ? 1 : 0}`,
      shape: pshape,
      inputs,
      body: (xs) => `let r0 = ${f(conv(xs[0], vi, "f32"), xs[1] ?? "")};`,
      helpers,
      outputs: [],
      reduce: { inner: axes.length, ops: [{ op, dtype: outDt }], vals: ["f32"] },
    });
    ctx.dispose(...inputs);
    if (!keepdims) return r;
    return ctx.adopt(r, x.shape.map((d, i) => (axes.includes(i) ? 1 : d)));
  }

  function vector_norm(
    x: A,
    options: { axis?: number | readonly number[] | null; keepdims?: boolean; ord?: number } = {},
  ): A {
    const dt = resultDType(x, "vector_norm");
    const axes = normalizeAxes(options.axis, x.ndim, x.shape);
    const ord = options.ord ?? 2;
    const keepdims = options.keepdims ?? false;
    if (typeof ord !== "number" || Number.isNaN(ord)) {
      throw new RangeError(`linalg.vector_norm: invalid ord ${String(ord)}`);
    }
    let L = 1;
    for (const a of axes) L *= x.shape[a];
    if (L === 0 && ord === -Infinity) {
      throw new RangeError(
        `linalg.vector_norm: ord -inf of an empty axis of shape ${fmtShape(x.shape)}`,
      );
    }
    if (L === 0) {
      const shape = keepdims
        ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
        : x.shape.filter((_, i) => !axes.includes(i));
      return xp.zeros(shape, { dtype: dt });
    }
    if (ord === Infinity || ord === -Infinity) {
      return reduceMapped(
        x,
        axes,
        keepdims,
        ord > 0 ? "max" : "min",
        dt,
        (v) => `abs(${v})`,
        "abs",
      );
    }
    if (ord === 0) {
      return reduceMapped(
        x,
        axes,
        keepdims,
        "sum",
        dt,
        (v) => `select(0.0, 1.0, !(${v} == 0.0))`,
        "nz",
      );
    }
    if (ord === 1) return reduceMapped(x, axes, keepdims, "sum", dt, (v) => `abs(${v})`, "abs");
    if (ord === 2) {
      // scaled by max |x| so that huge (or tiny) entries neither overflow nor underflow
      const amax = reduceMapped(x, axes, true, "max", "float32", (v) => `abs(${v})`, "abs");
      const s = reduceMapped(
        x,
        axes,
        true,
        "sum",
        "float32",
        (v, a) => `select((${v} / ${a}) * (${v} / ${a}), 0.0, ${a} == 0.0 || isinf_f32(${a}))`,
        "scaledsq",
        ["isinf_f32"],
        amax,
      );
      const outShape = keepdims ? s.shape : s.shape.filter((_, i) => !axes.includes(i));
      const r = runExpr(ctx, {
        label: "linalg.vector_norm",
        key: `scaledroot:${dt}`,
        shape: s.shape,
        inputs: [s, amax],
        body: (xs) =>
          `let o0 = ${
            conv(
              `select(${xs[1]} * sqrt(${xs[0]}), ${xs[1]}, ${xs[1]} == 0.0 || isinf_f32(${xs[1]}))`,
              "f32",
              valOf(dt),
            )
          };`,
        helpers: ["isinf_f32"],
        outputs: [{ dtype: dt }],
      })[0];
      ctx.dispose(s, amax);
      return ctx.adopt(r, outShape);
    }
    const p = ord;
    const s = reduceMapped(
      x,
      axes,
      keepdims,
      "sum",
      "float32",
      (v) => `pow_f32(abs(${v}), ${lit(p, "f32")})`,
      `pow${p}`,
      ["pow_f32"],
    );
    const r = runExpr(ctx, {
      label: "linalg.vector_norm",
      key: `powroot:${dt}:${p}`,
      shape: s.shape,
      inputs: [s, { value: 1 / p, val: "f32" }],
      body: (xs) => `let o0 = ${conv(`pow_f32(${xs[0]}, ${xs[1]})`, "f32", valOf(dt))};`,
      helpers: ["pow_f32"],
      outputs: [{ dtype: dt }],
    })[0];
    ctx.dispose(s);
    return r;
  }

  function matrix_norm(
    x: A,
    options: { keepdims?: boolean; ord?: number | "fro" | "nuc" } = {},
  ): A {
    const dt = resultDType(x, "matrix_norm");
    matrixDims(x, "matrix_norm", false);
    const ord = options.ord ?? "fro";
    const keepdims = options.keepdims ?? false;
    const nd = x.ndim;
    const keepShape = (r: A) => keepdims ? ctx.adopt(r, [...x.shape.slice(0, -2), 1, 1]) : r;
    if (ord === "fro") return vector_norm(x, { axis: [nd - 2, nd - 1], keepdims, ord: 2 });
    if (ord === "nuc" || ord === 2 || ord === -2) {
      const s = svdvals(x);
      let r: A;
      if (ord === "nuc") r = xp.sum(s, { axis: -1 });
      else r = ord === 2 ? xp.max(s, { axis: -1 }) : xp.min(s, { axis: -1 });
      ctx.dispose(s);
      return keepShape(r);
    }
    if (ord === 1 || ord === -1 || ord === Infinity || ord === -Infinity) {
      const sumAxis = ord === 1 || ord === -1 ? nd - 2 : nd - 1;
      const col = reduceMapped(x, [sumAxis], false, "sum", dt, (v) => `abs(${v})`, "abs");
      const r = ord > 0 ? xp.max(col, { axis: -1 }) : xp.min(col, { axis: -1 });
      ctx.dispose(col);
      return keepShape(r);
    }
    throw new RangeError(`linalg.matrix_norm: invalid ord ${JSON.stringify(ord)}`);
  }

  function lstsq(a: A, b: A, options: { rcond?: number | null } = {}): LstsqResult<A> {
    const dt = resultDType(a, "lstsq");
    resultDType(b, "lstsq");
    const { batch: ba, m: M, n: N } = matrixDims(a, "lstsq", false);
    const vector = b.ndim === 1 || b.ndim === a.ndim - 1;
    const bm = vector ? ctx.view(b, [...b.shape, 1], [...b._st, 0], b._off) : b;
    if (bm.ndim < 2 || bm.shape[bm.ndim - 2] !== M) {
      if (bm !== b) ctx.dispose(bm);
      throw new RangeError(
        `linalg.lstsq: a of shape ${fmtShape(a.shape)} and b of shape ${
          fmtShape(b.shape)
        } are not aligned`,
      );
    }
    const K = bm.shape[bm.ndim - 1];
    const batch = batchOf("lstsq", [ba, bm.shape.slice(0, -2)], a, b);
    const a32 = work(a, [...batch, M, N]);
    const b32 = work(bm, [...batch, M, K]);
    if (bm !== b) ctx.dispose(bm);
    const rcond = options.rcond ?? finfo("float32").eps * Math.max(M, N);
    const { S, U, Vh } = jacobi(a32, "lstsq", "svd");
    const k = Math.min(M, N);
    const temps: A[] = [];
    const t = (v: A) => (temps.push(v), v);
    let x: A, rank: A;
    if (k === 0) {
      x = xp.zeros([...batch, N, K], { dtype: "float32" });
      rank = xp.zeros(batch, { dtype: "int32" });
    } else {
      const smax = t(xp.max(S, { axis: -1, keepdims: true }));
      const cutoff = t(xp.multiply(smax, rcond));
      const mask = t(xp.greater(S, cutoff));
      const sinv = t(xp.where(mask, t(xp.divide(1, S)), 0));
      rank = xp.sum(mask, { axis: -1, dtype: "int32" });
      const c = t(xp.matmul(t(xp.matrix_transpose(U!)), b32));
      const c2 = t(xp.multiply(c, t(xp.expand_dims(sinv, { axis: -1 }))));
      x = xp.matmul(t(xp.matrix_transpose(Vh!)), c2);
    }
    let residuals: A;
    if (M > N && k > 0) {
      const r = t(xp.subtract(b32, t(xp.matmul(a32, x))));
      const ss = t(xp.sum(t(xp.multiply(r, r)), { axis: -2 }));
      const full = t(xp.equal(rank, N));
      residuals = xp.where(t(xp.expand_dims(full, { axis: -1 })), ss, 0);
    } else {
      residuals = xp.zeros([...batch, K], { dtype: "float32" });
    }
    ctx.dispose(...temps, a32, b32, U!, Vh!);
    if (vector) {
      x = ctx.adopt(x, [...batch, N]);
      residuals = ctx.adopt(residuals, batch);
    }
    return {
      solution: finish(x, dt),
      residuals: finish(residuals, dt),
      rank,
      singular_values: finish(S, dt),
    };
  }

  return {
    cholesky,
    det,
    diagonal,
    eigh,
    eigvalsh,
    inv,
    lstsq,
    matmul: (a: A, b: A): A => xp.matmul(a, b),
    matrix_norm,
    matrix_transpose: (a: A): A => xp.matrix_transpose(a),
    qr,
    solve,
    svd,
    svdvals,
    vecdot: (a: A, b: A, o?: { axis?: number }): A => xp.vecdot(a, b, o),
    vector_norm,
  };
}
