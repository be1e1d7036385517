/**
 * Linear algebra of the tfjs namespace. `matmul`, `matrix_transpose`, `vecdot`, `diagonal`,
 * `vector_norm` and the `fro`/`1`/`∞` matrix norms run as tf ops; the factorizations
 * (`cholesky`, `det`, `eigh`, `eigvalsh`, `inv`, `lstsq`, `qr`, `solve`, `svd`, `svdvals`, and
 * the `2`/`-2`/`nuc` matrix norms) round-trip through the host (see `_host_linalg.ts`).
 *
 * @module
 */
import { broadcastShapes, fmtShape, normalizeAxes, normalizeAxis } from "../../array_api/shapes.ts";
import type { LinalgNamespace } from "../../array_api/types.ts";
import { type Arr, checkDType, type Ctx, type NS, prod, promoteAt } from "./_context.ts";
import type { HostLinalg } from "./_host_linalg.ts";
import { reducedShape } from "./_reductions.ts";
import type { TfDType, TfTensor } from "./tf_like.ts";

/** Builds `matmul`, `matrix_transpose`, `vecdot` and the `linalg` extension over `ctx`. */
export function linalgFunctions(
  ctx: Ctx,
  host: HostLinalg,
): Pick<NS, "matmul" | "matrix_transpose" | "vecdot" | "linalg"> {
  const tf = ctx.tf;

  function matmul(x1: Arr, x2: Arr): Arr {
    const where = "matmul";
    const a = ctx.arr(x1, where, "x1"), b = ctx.arr(x2, where, "x2");
    const dt = checkDType(promoteAt(where, a.dtype, b.dtype), where);
    if (dt === "bool") throw new TypeError(`${where}: bool operands are not supported`);
    const names = `${fmtShape(a.shape)} and ${fmtShape(b.shape)}`;
    if (a.ndim === 0 || b.ndim === 0) {
      throw new RangeError(`${where}: 0-d operands are not allowed (shapes ${names})`);
    }
    const as = a.ndim === 1 ? [1, a.shape[0]] : a.shape.slice();
    const bs = b.ndim === 1 ? [b.shape[0], 1] : b.shape.slice();
    const [M, K] = as.slice(-2), [K2, N] = bs.slice(-2);
    if (K !== K2) {
      throw new RangeError(`${where}: shapes ${names} are not aligned (${K} != ${K2})`);
    }
    let batch: number[];
    try {
      batch = broadcastShapes([as.slice(0, -2), bs.slice(0, -2)]);
    } catch {
      throw new RangeError(`${where}: batch dimensions of shapes ${names} do not broadcast`);
    }
    const out = [...batch];
    if (a.ndim > 1) out.push(M);
    if (b.ndim > 1) out.push(N);
    return ctx.run([a, b], () => {
      if (prod(out) === 0 || K === 0) return tf.zeros(out, dt);
      // integers are multiplied in float32 (exact while |values| stay below 2^24)
      const A = tf.reshape(ctx.cast(a.tensor, "float32"), as);
      const B = tf.reshape(ctx.cast(b.tensor, "float32"), bs);
      if (as.length === 2 && bs.length === 2) return tf.reshape(tf.matMul(A, B), out);
      const nb = batch.length;
      const pad = (s: number[]) => [...new Array(nb + 2 - s.length).fill(1), ...s];
      const A3 = tf.reshape(ctx.broadcastTo(tf.reshape(A, pad(as)), [...batch, M, K]), [
        prod(batch),
        M,
        K,
      ]);
      const B3 = tf.reshape(ctx.broadcastTo(tf.reshape(B, pad(bs)), [...batch, K, N]), [
        prod(batch),
        K,
        N,
      ]);
      return tf.reshape(tf.matMul(A3, B3), out);
    }, dt);
  }

  function matrixTranspose(x: Arr): Arr {
    const a = ctx.arr(x, "matrix_transpose");
    if (a.ndim < 2) {
      throw new RangeError(
        `matrix_transpose: needs at least 2 axes, got shape ${fmtShape(a.shape)}`,
      );
    }
    const perm = Array.from({ length: a.ndim }, (_, i) => i);
    [perm[a.ndim - 2], perm[a.ndim - 1]] = [perm[a.ndim - 1], perm[a.ndim - 2]];
    return ctx.run([a], () => tf.transpose(a.tensor, perm));
  }

  function vecdot(x1: Arr, x2: Arr, options: { axis?: number } = {}): Arr {
    const where = "vecdot";
    const a = ctx.arr(x1, where, "x1"), b = ctx.arr(x2, where, "x2");
    const dt = checkDType(promoteAt(where, a.dtype, b.dtype), where);
    if (dt === "bool") throw new TypeError(`${where}: bool operands are not supported`);
    const S = broadcastShapes([a.shape, b.shape], where);
    if (S.length === 0) {
      throw new RangeError(`${where}: needs at least one axis (shapes ${fmtShape(a.shape)}, ()`);
    }
    const ax = normalizeAxis(options.axis ?? -1, S.length, S);
    const back = ax - S.length; // negative position
    for (const [n, v] of [["x1", a], ["x2", b]] as const) {
      if (v.ndim < -back || v.shape[v.ndim + back] !== S[ax]) {
        throw new RangeError(
          `${where}: ${n} of shape ${fmtShape(v.shape)} lacks the contracted axis ${back} of ` +
            `length ${S[ax]} (shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)})`,
        );
      }
    }
    const out = S.filter((_, i) => i !== ax);
    return ctx.run([a, b], () => {
      if (prod(out) === 0 || S[ax] === 0) return tf.zeros(out, dt);
      return tf.sum(tf.mul(ctx.cast(a.tensor, dt), ctx.cast(b.tensor, dt)), ax);
    }, dt);
  }

  /** Float32 view of a numeric array (bool refused). */
  function floatInput(where: string, x: Arr): Arr {
    const a = ctx.arr(x, where);
    if (a.dtype === "bool") throw new TypeError(`${where}: bool input is not supported`);
    return a;
  }

  /** Overflow-safe 2-norm over `axes` with keepdims (call inside a tidy). */
  function norm2(t: TfTensor, axes: number[]): TfTensor {
    const ab = tf.abs(t);
    let amax = tf.max(ab, axes, true);
    amax = tf.where(tf.any(tf.isNaN(ab), axes, true), tf.scalar(NaN), amax);
    const ok = tf.logicalAnd(tf.greater(amax, tf.scalar(0)), tf.isFinite(amax));
    const s = tf.where(ok, amax, tf.scalar(1));
    const q = tf.div(ab, s);
    const r = tf.mul(s, tf.sqrt(tf.sum(tf.mul(q, q), axes, true)));
    return tf.where(tf.isFinite(amax), r, amax);
  }

  function vectorNorm(
    x: Arr,
    options: { axis?: number | readonly number[] | null; keepdims?: boolean; ord?: number } = {},
  ): Arr {
    const where = "vector_norm";
    const a = floatInput(where, x);
    const ord = options.ord ?? 2;
    if (typeof ord !== "number" || Number.isNaN(ord)) {
      throw new RangeError(`${where}: invalid ord ${String(ord)}`);
    }
    const axes = normalizeAxes(options.axis, a.ndim, a.shape);
    const keep = options.keepdims ?? false;
    const out = reducedShape(a.shape, axes, keep);
    const count = prod(axes.map((i) => a.shape[i]));
    if (count === 0 && (ord === -Infinity || ord < 0)) {
      throw new RangeError(
        `${where}: ord ${ord} of a zero-size array (shape ${fmtShape(a.shape)})`,
      );
    }
    return ctx.run([a], () => {
      const t = ctx.cast(a.tensor, "float32");
      if (prod(out) === 0) return tf.zeros(out, "float32");
      if (count === 0) return tf.zeros(out, "float32");
      if (axes.length === 0) return tf.abs(t);
      const ab = tf.abs(t);
      const nanAny = () => tf.any(tf.isNaN(ab), axes, true);
      let r: TfTensor;
      if (ord === 2) r = norm2(t, axes);
      else if (ord === 1) r = tf.sum(ab, axes, true);
      else if (ord === Infinity) {
        r = tf.where(nanAny(), tf.scalar(NaN), tf.max(ab, axes, true));
      } else if (ord === -Infinity) {
        r = tf.where(nanAny(), tf.scalar(NaN), tf.min(ab, axes, true));
      } else if (ord === 0) {
        r = tf.sum(tf.cast(tf.notEqual(t, tf.scalar(0)), "float32"), axes, true);
      } else {
        const p = tf.scalar(ord);
        r = tf.pow(tf.sum(tf.pow(ab, p), axes, true), tf.scalar(1 / ord));
      }
      return tf.reshape(r, out);
    }, "float32");
  }

  function matrixNorm(
    x: Arr,
    options: { keepdims?: boolean; ord?: number | "fro" | "nuc" } = {},
  ): Arr {
    const where = "matrix_norm";
    const a = floatInput(where, x);
    if (a.ndim < 2) {
      throw new RangeError(`${where}: needs at least 2 axes, got shape ${fmtShape(a.shape)}`);
    }
    const ord = options.ord ?? "fro";
    const keep = options.keepdims ?? false;
    const nd = a.ndim;
    const out = keep ? [...a.shape.slice(0, -2), 1, 1] : a.shape.slice(0, -2);
    if (ord === 2 || ord === -2 || ord === "nuc") {
      const s = host.svdvals(a); // (..., K)
      try {
        const K = s.shape[s.ndim - 1];
        return ctx.run([s], () => {
          if (prod(out) === 0) return tf.zeros(out, "float32");
          if (K === 0) return tf.zeros(out, "float32");
          const t = s.tensor;
          const r = ord === "nuc" ? tf.sum(t, -1) : ord === 2 ? tf.max(t, -1) : tf.min(t, -1);
          return tf.reshape(r, out);
        }, "float32");
      } finally {
        ctx.ns.dispose(s);
      }
    }
    if (ord !== "fro" && ord !== 1 && ord !== -1 && ord !== Infinity && ord !== -Infinity) {
      throw new RangeError(`${where}: invalid ord ${JSON.stringify(ord)}`);
    }
    const [M, N] = a.shape.slice(-2);
    return ctx.run([a], () => {
      if (prod(out) === 0 || M * N === 0) return tf.zeros(out, "float32");
      const t = ctx.cast(a.tensor, "float32");
      let r: TfTensor;
      if (ord === "fro") r = norm2(t, [nd - 2, nd - 1]);
      else {
        // 1: max over columns of the column sums; ∞: max over rows of the row sums
        const sumAxis = ord === 1 || ord === -1 ? nd - 2 : nd - 1;
        const sums = tf.sum(tf.abs(t), sumAxis);
        const anyNaN = tf.any(tf.isNaN(sums), -1);
        const e = ord === 1 || ord === Infinity ? tf.max(sums, -1) : tf.min(sums, -1);
        r = tf.where(anyNaN, tf.scalar(NaN), e);
      }
      return tf.reshape(r, out);
    }, "float32");
  }

  function diagonal(x: Arr, options: { offset?: number } = {}): Arr {
    const where = "diagonal";
    const a = ctx.arr(x, where);
    if (a.ndim < 2) {
      throw new RangeError(`${where}: needs at least 2 axes, got shape ${fmtShape(a.shape)}`);
    }
    const k = options.offset ?? 0;
    if (!Number.isSafeInteger(k)) throw new RangeError(`${where}: offset must be an integer`);
    const [M, N] = a.shape.slice(-2);
    const L = Math.max(0, k >= 0 ? Math.min(M, N - k) : Math.min(M + k, N));
    const batch = a.shape.slice(0, -2);
    const out = [...batch, L];
    const start = k >= 0 ? k : -k * N;
    const idx = Int32Array.from({ length: L }, (_, i) => start + i * (N + 1));
    return ctx.run([a], () => {
      if (prod(out) === 0) return tf.zeros(out, a.dtype as TfDType);
      const flat = tf.reshape(a.tensor, [...batch, M * N]);
      return tf.gather(flat, tf.tensor(idx, [L], "int32"), batch.length);
    });
  }

  const linalg: LinalgNamespace<Arr> = {
    cholesky: (x, options) => host.cholesky(x, options),
    det: (x) => host.det(x),
    diagonal,
    eigh: (x) => host.eigh(x),
    eigvalsh: (x) => host.eigvalsh(x),
    inv: (x) => host.inv(x),
    lstsq: (a, b, options) => host.lstsq(a, b, options),
    matmul,
    matrix_norm: matrixNorm,
    matrix_transpose: matrixTranspose,
    qr: (x, options) => host.qr(x, options),
    solve: (x1, x2) => host.solve(x1, x2),
    svd: (x, options) => host.svd(x, options),
    svdvals: (x) => host.svdvals(x),
    vecdot,
    vector_norm: vectorNorm,
  };
  return { matmul, matrix_transpose: matrixTranspose, vecdot, linalg };
}
