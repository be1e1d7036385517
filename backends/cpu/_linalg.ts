/**
 * Private linear algebra of the CPU backend: `matmul`, `vecdot`, and the `linalg` extension
 * (batched over leading axes with broadcasting). Floating results of float32 inputs are
 * computed in double and rounded; integer inputs of decompositions give float64.
 *
 * @module
 */
import type { EighResult, LstsqResult, QRResult, Shape, SVDResult } from "../../array_api/types.ts";
import { promoteTypes } from "../../array_api/dtypes.ts";
import {
  broadcastShapes,
  broadcastStrides,
  fmtShape,
  normalizeAxis,
  shapeSize,
} from "../../array_api/shapes.ts";
import { CpuArray } from "./cpu_array.ts";
import { alloc, type CpuDType, isCpuDType, isFloat } from "./_dtype.ts";
import {
  cholesky as cholFactor,
  householderQR,
  luFactor,
  luSolve,
  svdJacobi,
  symEig,
} from "./_decomp.ts";
import { moveaxis, permuteDims } from "./_manipulation.ts";
import { asArr } from "./_util.ts";

type FArr = Float64Array | Float32Array;

// ------------------------------------------------------------------ helpers
/** Offsets (in units of `block` elements) of each output batch entry in an input batch. */
function batchOffsets(inBatch: Shape, outBatch: Shape): Int32Array {
  const n = shapeSize(outBatch);
  const t = new Int32Array(n);
  if (n === 0) return t;
  const st = broadcastStrides(inBatch, outBatch);
  const nd = outBatch.length;
  const idx = new Array<number>(nd).fill(0);
  let off = 0;
  for (let r = 0; r < n; r++) {
    t[r] = off;
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      off += st[d];
      if (idx[d] < outBatch[d]) break;
      off -= st[d] * outBatch[d];
      idx[d] = 0;
    }
  }
  return t;
}

function batchIndexText(batch: Shape, b: number): string {
  if (batch.length === 0) return "";
  const idx: number[] = [];
  for (let d = batch.length - 1; d >= 0; d--) {
    idx.unshift(b % batch[d]);
    b = Math.floor(b / batch[d]);
  }
  return ` at batch index [${idx.join(", ")}]`;
}

/** Result dtype of a decomposition: float dtypes stay, integers give float64. */
function floatOut(x: CpuArray, fn: string): CpuDType {
  if (x.dtype === "bool") throw new TypeError(`${fn} needs a numeric array, got bool`);
  return isFloat(x.dtype) ? (x.dtype as CpuDType) : "float64";
}

function floatOut2(a: CpuArray, b: CpuArray, fn: string): CpuDType {
  if (a.dtype === "bool" || b.dtype === "bool") {
    throw new TypeError(`${fn} needs numeric arrays, got ${a.dtype} and ${b.dtype}`);
  }
  const r = promoteTypes(a.dtype, b.dtype);
  return isFloat(r) ? r : "float64";
}

function matrixArg(
  xIn: unknown,
  fn: string,
  what = "x",
): { x: CpuArray; batch: number[]; m: number; n: number } {
  const x = asArr(xIn, fn, what);
  if (x.ndim < 2) {
    throw new RangeError(
      `${fn}: ${what} must have at least 2 dimensions, got shape ${fmtShape(x.shape)}`,
    );
  }
  return { x, batch: x.shape.slice(0, -2), m: x.shape[x.ndim - 2], n: x.shape[x.ndim - 1] };
}

function squareArg(
  xIn: unknown,
  fn: string,
  what = "x",
): { x: CpuArray; batch: number[]; n: number } {
  const r = matrixArg(xIn, fn, what);
  if (r.m !== r.n) {
    throw new RangeError(
      `${fn}: ${what} must be square in its last two axes, got shape ${fmtShape(r.x.shape)}`,
    );
  }
  return { x: r.x, batch: r.batch, n: r.n };
}

/** The array's values as doubles (the storage itself for float64). */
function f64(x: CpuArray): Float64Array {
  return x.data instanceof Float64Array ? x.data : new Float64Array(x.data);
}

/** Copies matrix `b` (size `len`) of `src` into a fresh Float64Array. */
function takeMatrix(src: Float64Array, b: number, len: number): Float64Array {
  return src.slice(b * len, (b + 1) * len);
}

function checkFinite(a: Float64Array, fn: string, batch: Shape, b: number): void {
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) {
      throw new RangeError(`${fn}: the matrix${batchIndexText(batch, b)} contains NaN or infinity`);
    }
  }
}

function make(data: Float64Array, shape: number[], dt: CpuDType): CpuArray {
  if (dt === "float64") return new CpuArray(data, shape, dt);
  const out = alloc(dt, data.length);
  out.set(data);
  return new CpuArray(out, shape, dt);
}

// ------------------------------------------------------------------ matmul
/** `matmul` of the standard (1-D promotion rules, batch broadcasting). */
export function matmul(x1In: unknown, x2In: unknown): CpuArray {
  const fn = "matmul";
  const x1 = asArr(x1In, fn, "x1"), x2 = asArr(x2In, fn, "x2");
  if (x1.ndim === 0 || x2.ndim === 0) {
    throw new RangeError(
      `matmul: 0-d operands are not allowed, got shapes ${fmtShape(x1.shape)} and ${
        fmtShape(x2.shape)
      }`,
    );
  }
  if (x1.dtype === "bool" || x2.dtype === "bool") {
    throw new TypeError(`matmul needs numeric arrays, got ${x1.dtype} and ${x2.dtype}`);
  }
  const dtR = promoteTypes(x1.dtype, x2.dtype);
  if (!isCpuDType(dtR)) {
    throw new TypeError(
      `matmul: ${x1.dtype} and ${x2.dtype} promote to ${dtR}, which is not supported on cpu`,
    );
  }
  const s1 = x1.ndim === 1 ? [1, x1.shape[0]] : x1.shape;
  const s2 = x2.ndim === 1 ? [x2.shape[0], 1] : x2.shape;
  const M = s1[s1.length - 2], K = s1[s1.length - 1];
  const K2 = s2[s2.length - 2], N = s2[s2.length - 1];
  if (K !== K2) {
    throw new RangeError(
      `matmul: shapes ${fmtShape(x1.shape)} and ${fmtShape(x2.shape)} are not aligned ` +
        `(${K} != ${K2})`,
    );
  }
  const b1 = s1.slice(0, -2), b2 = s2.slice(0, -2);
  let batch: number[];
  try {
    batch = broadcastShapes([b1, b2], fn);
  } catch {
    throw new RangeError(
      `matmul: batch dimensions of shapes ${fmtShape(x1.shape)} and ${fmtShape(x2.shape)} ` +
        `cannot be broadcast together`,
    );
  }
  const nb = shapeSize(batch);
  const o1 = batchOffsets(b1, batch), o2 = batchOffsets(b2, batch);
  const outShape = [...batch];
  if (x1.ndim > 1) outShape.push(M);
  if (x2.ndim > 1) outShape.push(N);
  const size = nb * M * N;
  if (dtR === "int32" || dtR === "uint32") {
    const out = alloc(dtR, size);
    const A = x1.data, B = x2.data;
    const C = new Int32Array(size);
    for (let b = 0; b < nb; b++) {
      const ao = o1[b] * M * K, bo = o2[b] * K * N, co = b * M * N;
      for (let i = 0; i < M; i++) {
        for (let k = 0; k < K; k++) {
          const a = A[ao + i * K + k];
          const br = bo + k * N, cr = co + i * N;
          for (let j = 0; j < N; j++) C[cr + j] = (C[cr + j] + Math.imul(a, B[br + j])) | 0;
        }
      }
    }
    out.set(dtR === "int32" ? C : new Uint32Array(C.buffer));
    return new CpuArray(out, outShape, dtR);
  }
  const A = f64(x1), B = f64(x2);
  const C = new Float64Array(size);
  for (let b = 0; b < nb; b++) {
    gemm(A, o1[b] * M * K, B, o2[b] * K * N, C, b * M * N, M, K, N);
  }
  return make(C, outShape, dtR);
}

/** C[co…] = A (M×K) · B (K×N), all row-major doubles. */
function gemm(
  A: Float64Array,
  ao: number,
  B: Float64Array,
  bo: number,
  C: Float64Array,
  co: number,
  M: number,
  K: number,
  N: number,
): void {
  if (N === 1) {
    for (let i = 0; i < M; i++) C[co + i] = dotOff(A, ao + i * K, B, bo, K);
    return;
  }
  for (let i = 0; i < M; i++) {
    const cr = co + i * N, ar = ao + i * K;
    for (let k = 0; k < K; k++) {
      const a = A[ar + k];
      const br = bo + k * N;
      for (let j = 0; j < N; j++) C[cr + j] += a * B[br + j];
    }
  }
}

// ------------------------------------------------------------------ dot kernels
// Two forms per storage type: whole (sub)arrays without offsets (the fastest loop, used for
// long rows through `subarray` views) and offset-based (for many short rows).

/** Σ a[i]·b[i], i < n (four accumulators). */
export function dotF64(a: Float64Array, b: Float64Array, n: number): number {
  if (n < 4) {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[i] * b[i];
    return s;
  }
  let s0 = a[0] * b[0], s1 = a[1] * b[1], s2 = a[2] * b[2], s3 = a[3] * b[3];
  let i = 4;
  for (; i + 3 < n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < n; i++) s0 += a[i] * b[i];
  return (s0 + s1) + (s2 + s3);
}

/** Float32 twin of {@linkcode dotF64}, accumulated in double. */
export function dotF32(a: Float32Array, b: Float32Array, n: number): number {
  if (n < 4) {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[i] * b[i];
    return s;
  }
  let s0 = a[0] * b[0], s1 = a[1] * b[1], s2 = a[2] * b[2], s3 = a[3] * b[3];
  let i = 4;
  for (; i + 3 < n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < n; i++) s0 += a[i] * b[i];
  return (s0 + s1) + (s2 + s3);
}

/** Σ a[ao+i]·b[bo+i], i < n, for short rows (any storage, read as doubles). */
function dotOff(a: FArr, ao: number, b: FArr, bo: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[ao + i] * b[bo + i];
  return s;
}

/** Row dot products `acc[r] = x1[r]·x2[r]` for rows of length n at row offsets o1/o2. */
function rowDots(
  a: FArr,
  o1: Int32Array | null,
  b: FArr,
  o2: Int32Array | null,
  n: number,
  acc: Float64Array,
): void {
  const rows = acc.length;
  const f32 = a instanceof Float32Array && b instanceof Float32Array;
  for (let r = 0; r < rows; r++) {
    const p = (o1 ? o1[r] : r) * n, q = (o2 ? o2[r] : r) * n;
    if (n < 32) {
      acc[r] = dotOff(a, p, b, q, n);
      continue;
    }
    const av = p === 0 && a.length === n ? a : a.subarray(p, p + n);
    const bv = q === 0 && b.length === n ? b : b.subarray(q, q + n);
    acc[r] = f32
      ? dotF32(av as Float32Array, bv as Float32Array, n)
      : dotF64(av as Float64Array, bv as Float64Array, n);
  }
}

// ------------------------------------------------------------------ vecdot
/** `vecdot` of the standard: Σ x1·x2 along `axis`, broadcasting the other axes. */
export function vecdot(x1In: unknown, x2In: unknown, options: { axis?: number } = {}): CpuArray {
  const fn = "vecdot";
  let x1 = asArr(x1In, fn, "x1"), x2 = asArr(x2In, fn, "x2");
  if (x1.ndim === 0 || x2.ndim === 0) {
    throw new RangeError(
      `vecdot: operands need at least one dimension, got shapes ${fmtShape(x1.shape)} and ${
        fmtShape(x2.shape)
      }`,
    );
  }
  if (x1.dtype === "bool" || x2.dtype === "bool") {
    throw new TypeError(`vecdot needs numeric arrays, got ${x1.dtype} and ${x2.dtype}`);
  }
  const dt = promoteTypes(x1.dtype, x2.dtype);
  if (!isCpuDType(dt)) {
    throw new TypeError(
      `vecdot: ${x1.dtype} and ${x2.dtype} promote to ${dt}, which is not supported on cpu`,
    );
  }
  const axisIn = options.axis ?? -1;
  const nd = Math.max(x1.ndim, x2.ndim);
  const axis = normalizeAxis(axisIn, nd) - nd; // negative, counted from the end
  if (-axis > x1.ndim || -axis > x2.ndim) {
    throw new RangeError(
      `vecdot: axis ${axisIn} is out of range for shapes ${fmtShape(x1.shape)} and ${
        fmtShape(x2.shape)
      }`,
    );
  }
  if (axis !== -1) {
    x1 = moveaxis(x1, axis, -1);
    x2 = moveaxis(x2, axis, -1);
  }
  const n = x1.shape[x1.ndim - 1];
  if (x2.shape[x2.ndim - 1] !== n) {
    throw new RangeError(
      `vecdot: the contracted axis ${axisIn} has sizes ${n} and ${x2.shape[x2.ndim - 1]} ` +
        `(shapes ${fmtShape(x1.shape)} and ${fmtShape(x2.shape)})`,
    );
  }
  const b1 = x1.shape.slice(0, -1), b2 = x2.shape.slice(0, -1);
  const batch = broadcastShapes([b1, b2], fn);
  const rows = shapeSize(batch);
  const same1 = b1.length === batch.length && shapeSize(b1) === rows;
  const same2 = b2.length === batch.length && shapeSize(b2) === rows;
  const o1 = same1 ? null : batchOffsets(b1, batch);
  const o2 = same2 ? null : batchOffsets(b2, batch);
  const acc = new Float64Array(rows);
  const d1 = x1.data, d2 = x2.data;
  if (dt === "int32" || dt === "uint32") {
    for (let r = 0; r < rows; r++) {
      const p = (o1 ? o1[r] : r) * n, q = (o2 ? o2[r] : r) * n;
      let s = 0;
      for (let i = 0; i < n; i++) s = (s + Math.imul(d1[p + i], d2[q + i])) | 0;
      acc[r] = s;
    }
  } else if (d1 instanceof Float32Array && d2 instanceof Float32Array) {
    rowDots(d1, o1, d2, o2, n, acc);
  } else {
    const a = d1 instanceof Float64Array ? d1 : new Float64Array(d1);
    const b = d2 instanceof Float64Array ? d2 : new Float64Array(d2);
    rowDots(a, o1, b, o2, n, acc);
  }
  return make(acc, batch, dt);
}

// ------------------------------------------------------------------ simple linalg functions
/** `linalg.diagonal`. */
export function diagonal(xIn: unknown, options: { offset?: number } = {}): CpuArray {
  const { x, batch, m, n } = matrixArg(xIn, "diagonal");
  const off = options.offset ?? 0;
  if (!Number.isInteger(off)) {
    throw new RangeError(`diagonal: offset must be an integer, got ${off}`);
  }
  const K = Math.max(0, off >= 0 ? Math.min(m, n - off) : Math.min(m + off, n));
  const nb = shapeSize(batch);
  const dt = x.dtype as CpuDType;
  const out = alloc(dt, nb * K);
  const r0 = off >= 0 ? 0 : -off, c0 = off >= 0 ? off : 0;
  for (let b = 0; b < nb; b++) {
    for (let i = 0; i < K; i++) out[b * K + i] = x.data[b * m * n + (r0 + i) * n + c0 + i];
  }
  return new CpuArray(out, [...batch, K], dt);
}

/** `linalg.det`. */
export function det(xIn: unknown): CpuArray {
  const { x, batch, n } = squareArg(xIn, "det");
  const dt = floatOut(x, "det");
  const src = f64(x);
  const nb = shapeSize(batch);
  const out = new Float64Array(nb);
  const piv = new Int32Array(n);
  for (let b = 0; b < nb; b++) {
    const a = takeMatrix(src, b, n * n);
    const { sign, zero } = luFactor(a, n, piv);
    if (zero >= 0) {
      // keep NaN propagation: a zero pivot with NaN elsewhere still gives NaN
      let nan = false;
      for (let i = 0; i < a.length; i++) if (a[i] !== a[i]) nan = true;
      out[b] = nan ? NaN : 0;
      continue;
    }
    let d = sign;
    for (let i = 0; i < n; i++) d *= a[i * n + i];
    out[b] = d;
  }
  return make(out, batch, dt);
}

/** Whether `x2` of `solve`/`lstsq` is a stack of vectors (see `LinalgNamespace.solve`). */
function isVectorRhs(aShape: Shape, b: CpuArray, m: number): boolean {
  if (b.ndim === 1) return true;
  if (b.ndim !== aShape.length - 1 || b.shape[b.ndim - 1] !== m) return false;
  try {
    broadcastShapes([b.shape.slice(0, -1), aShape.slice(0, -2)]);
    return true;
  } catch {
    return false;
  }
}

/** `linalg.solve`. */
export function solve(x1In: unknown, x2In: unknown): CpuArray {
  const fn = "solve";
  const { x: A, batch: ba, n } = squareArg(x1In, fn, "x1");
  const B0 = asArr(x2In, fn, "x2");
  const dt = floatOut2(A, B0, fn);
  const vec = isVectorRhs(A.shape, B0, n);
  if (!vec && B0.ndim < 2) {
    throw new RangeError(
      `solve: x2 of shape ${fmtShape(B0.shape)} does not match x1 of shape ${fmtShape(A.shape)}`,
    );
  }
  const bShape = vec ? [...B0.shape, 1] : B0.shape;
  if (bShape[bShape.length - 2] !== n) {
    throw new RangeError(
      `solve: x1 of shape ${fmtShape(A.shape)} and x2 of shape ${
        fmtShape(B0.shape)
      } are not aligned`,
    );
  }
  const k = bShape[bShape.length - 1];
  const bb = bShape.slice(0, -2);
  const batch = broadcastShapes([ba, bb], fn);
  const nb = shapeSize(batch);
  const oa = batchOffsets(ba, batch), ob = batchOffsets(bb, batch);
  const srcA = f64(A), srcB = f64(B0);
  const out = new Float64Array(nb * n * k);
  const piv = new Int32Array(n);
  for (let b = 0; b < nb; b++) {
    const lu = takeMatrix(srcA, oa[b], n * n);
    const { zero } = luFactor(lu, n, piv);
    if (zero >= 0) {
      throw new RangeError(
        `solve: the matrix${batchIndexText(batch, b)} is singular (zero pivot in column ${zero})`,
      );
    }
    const rhs = takeMatrix(srcB, ob[b], n * k);
    luSolve(lu, n, piv, rhs, k);
    out.set(rhs, b * n * k);
  }
  return make(out, vec ? [...batch, n] : [...batch, n, k], dt);
}

/** `linalg.inv`. */
export function inv(xIn: unknown): CpuArray {
  const { x, batch, n } = squareArg(xIn, "inv");
  const dt = floatOut(x, "inv");
  const src = f64(x);
  const nb = shapeSize(batch);
  const out = new Float64Array(nb * n * n);
  const piv = new Int32Array(n);
  for (let b = 0; b < nb; b++) {
    const lu = takeMatrix(src, b, n * n);
    const { zero } = luFactor(lu, n, piv);
    if (zero >= 0) {
      throw new RangeError(
        `inv: the matrix${batchIndexText(batch, b)} is singular (zero pivot in column ${zero})`,
      );
    }
    const e = new Float64Array(n * n);
    for (let i = 0; i < n; i++) e[i * n + i] = 1;
    luSolve(lu, n, piv, e, n);
    out.set(e, b * n * n);
  }
  return make(out, x.shape.slice(), dt);
}

/** `linalg.cholesky`. */
export function cholesky(xIn: unknown, options: { upper?: boolean } = {}): CpuArray {
  const { x, batch, n } = squareArg(xIn, "cholesky");
  const dt = floatOut(x, "cholesky");
  const src = f64(x);
  const nb = shapeSize(batch);
  const out = new Float64Array(nb * n * n);
  for (let b = 0; b < nb; b++) {
    const a = takeMatrix(src, b, n * n);
    const bad = cholFactor(a, n);
    if (bad >= 0) {
      throw new RangeError(
        `cholesky: the matrix${batchIndexText(batch, b)} is not positive definite ` +
          `(leading minor of order ${bad})`,
      );
    }
    if (options.upper) {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) out[b * n * n + i * n + j] = a[j * n + i];
      }
    } else out.set(a, b * n * n);
  }
  return make(out, x.shape.slice(), dt);
}

/** `linalg.qr`. */
export function qr(
  xIn: unknown,
  options: { mode?: "reduced" | "complete" } = {},
): QRResult<CpuArray> {
  const { x, batch, m, n } = matrixArg(xIn, "qr");
  const mode = options.mode ?? "reduced";
  if (mode !== "reduced" && mode !== "complete") {
    throw new RangeError(`qr: mode must be "reduced" or "complete", got ${JSON.stringify(mode)}`);
  }
  const dt = floatOut(x, "qr");
  const src = f64(x);
  const nb = shapeSize(batch);
  const kq = mode === "complete" ? m : Math.min(m, n);
  const Q = new Float64Array(nb * m * kq), R = new Float64Array(nb * kq * n);
  for (let b = 0; b < nb; b++) {
    const a = takeMatrix(src, b, m * n);
    const { q, r } = householderQR(a, m, n, mode === "complete");
    Q.set(q, b * m * kq);
    R.set(r, b * kq * n);
  }
  return { Q: make(Q, [...batch, m, kq], dt), R: make(R, [...batch, kq, n], dt) };
}

function eighImpl(xIn: unknown, fn: string, vectors: boolean): { w: CpuArray; v: CpuArray | null } {
  const { x, batch, n } = squareArg(xIn, fn);
  const dt = floatOut(x, fn);
  const src = f64(x);
  const nb = shapeSize(batch);
  const W = new Float64Array(nb * n);
  const V = vectors ? new Float64Array(nb * n * n) : null;
  const w = new Float64Array(n);
  for (let b = 0; b < nb; b++) {
    const a = takeMatrix(src, b, n * n);
    // only the lower triangle is read
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) a[i * n + j] = 0;
    checkFinite(a, fn, batch, b);
    if (!symEig(a, n, w, vectors)) {
      throw new RangeError(`${fn}: the QL iteration did not converge${batchIndexText(batch, b)}`);
    }
    W.set(w, b * n);
    if (V) V.set(a, b * n * n);
  }
  return {
    w: make(W, [...batch, n], dt),
    v: V ? make(V, x.shape.slice(), dt) : null,
  };
}

/** `linalg.eigh`. */
export function eigh(xIn: unknown): EighResult<CpuArray> {
  const { w, v } = eighImpl(xIn, "eigh", true);
  return { eigenvalues: w, eigenvectors: v! };
}

/** `linalg.eigvalsh`. */
export function eigvalsh(xIn: unknown): CpuArray {
  return eighImpl(xIn, "eigvalsh", false).w;
}

interface SvdParts {
  x: CpuArray;
  batch: number[];
  m: number;
  n: number;
  k: number;
  dt: CpuDType;
  U: Float64Array;
  S: Float64Array;
  Vt: Float64Array;
}

function svdImpl(xIn: unknown, fn: string, want: boolean): SvdParts {
  const { x, batch, m, n } = matrixArg(xIn, fn);
  const dt = floatOut(x, fn);
  const src = f64(x);
  const nb = shapeSize(batch);
  const k = Math.min(m, n);
  const U = new Float64Array(want ? nb * m * k : 0);
  const S = new Float64Array(nb * k);
  const Vt = new Float64Array(want ? nb * k * n : 0);
  for (let b = 0; b < nb; b++) {
    const a = src.subarray(b * m * n, (b + 1) * m * n);
    checkFinite(a, fn, batch, b);
    const r = svdJacobi(a, m, n, want);
    S.set(r.s, b * k);
    if (want) {
      U.set(r.u, b * m * k);
      Vt.set(r.vt, b * k * n);
    }
  }
  return { x, batch, m, n, k, dt, U, S, Vt };
}

/** `linalg.svd` (thin). */
export function svd(xIn: unknown, options: { full_matrices?: boolean } = {}): SVDResult<CpuArray> {
  if (options.full_matrices === true) {
    throw new RangeError("svd: full_matrices=true is not supported (the thin SVD is returned)");
  }
  const p = svdImpl(xIn, "svd", true);
  return {
    U: make(p.U, [...p.batch, p.m, p.k], p.dt),
    S: make(p.S, [...p.batch, p.k], p.dt),
    Vh: make(p.Vt, [...p.batch, p.k, p.n], p.dt),
  };
}

/** `linalg.svdvals`. */
export function svdvals(xIn: unknown): CpuArray {
  const p = svdImpl(xIn, "svdvals", false);
  return make(p.S, [...p.batch, p.k], p.dt);
}

/** `linalg.lstsq` (NumPy semantics, via SVD). */
export function lstsq(
  aIn: unknown,
  bIn: unknown,
  options: { rcond?: number | null } = {},
): LstsqResult<CpuArray> {
  const fn = "lstsq";
  const { x: A, batch: ba, m, n } = matrixArg(aIn, fn, "a");
  const B0 = asArr(bIn, fn, "b");
  const dt = floatOut2(A, B0, fn);
  const vec = isVectorRhs(A.shape, B0, m);
  if (!vec && B0.ndim < 2) {
    throw new RangeError(
      `lstsq: b of shape ${fmtShape(B0.shape)} does not match a of shape ${fmtShape(A.shape)}`,
    );
  }
  const bShape = vec ? [...B0.shape, 1] : B0.shape;
  if (bShape[bShape.length - 2] !== m) {
    throw new RangeError(
      `lstsq: a of shape ${fmtShape(A.shape)} and b of shape ${fmtShape(B0.shape)} are not aligned`,
    );
  }
  const rc = options.rcond;
  if (rc !== undefined && rc !== null && (typeof rc !== "number" || Number.isNaN(rc))) {
    throw new RangeError(`lstsq: rcond must be a number or null, got ${rc}`);
  }
  const rcond = rc === undefined || rc === null ? 2 ** -52 * Math.max(m, n) : rc;
  const kk = bShape[bShape.length - 1];
  const bb = bShape.slice(0, -2);
  const batch = broadcastShapes([ba, bb], fn);
  const nb = shapeSize(batch);
  const oa = batchOffsets(ba, batch), ob = batchOffsets(bb, batch);
  const srcA = f64(A), srcB = f64(B0);
  const k = Math.min(m, n);
  const X = new Float64Array(nb * n * kk);
  const RES = new Float64Array(nb * kk);
  const RANK = new Int32Array(nb);
  const SV = new Float64Array(nb * k);
  for (let b = 0; b < nb; b++) {
    const a = srcA.subarray(oa[b] * m * n, (oa[b] + 1) * m * n);
    const rhs = srcB.subarray(ob[b] * m * kk, (ob[b] + 1) * m * kk);
    checkFinite(a, fn, batch, b);
    const { u, s, vt } = svdJacobi(a, m, n, true);
    SV.set(s, b * k);
    const cut = rcond * (k > 0 ? s[0] : 0);
    let rank = 0;
    for (let i = 0; i < k; i++) if (s[i] > cut) rank++;
    RANK[b] = rank;
    // x = V diag(1/s) Uᵀ b over the first `rank` singular values
    const xo = b * n * kk;
    const t = new Float64Array(kk);
    for (let i = 0; i < rank; i++) {
      t.fill(0);
      for (let r = 0; r < m; r++) {
        const uri = u[r * k + i];
        for (let c = 0; c < kk; c++) t[c] += uri * rhs[r * kk + c];
      }
      const inv = 1 / s[i];
      for (let j = 0; j < n; j++) {
        const v = vt[i * n + j] * inv;
        for (let c = 0; c < kk; c++) X[xo + j * kk + c] += v * t[c];
      }
    }
    if (rank === n && m > n) {
      for (let c = 0; c < kk; c++) {
        let ss = 0;
        for (let r = 0; r < m; r++) {
          let ax = 0;
          for (let j = 0; j < n; j++) ax += a[r * n + j] * X[xo + j * kk + c];
          const d = rhs[r * kk + c] - ax;
          ss += d * d;
        }
        RES[b * kk + c] = ss;
      }
    }
  }
  return {
    solution: make(X, vec ? [...batch, n] : [...batch, n, kk], dt),
    residuals: make(RES, vec ? [...batch] : [...batch, kk], dt),
    rank: new CpuArray(RANK, [...batch], "int32"),
    singular_values: make(SV, [...batch, k], dt),
  };
}

// ------------------------------------------------------------------ norms
function normRow(a: FArr, o: number, n: number, ord: number): number {
  if (ord === 2) {
    let ss: number;
    if (n >= 32) {
      const v = o === 0 && a.length === n ? a : a.subarray(o, o + n);
      ss = v instanceof Float32Array
        ? dotF32(v, v, n)
        : dotF64(v as Float64Array, v as Float64Array, n);
    } else ss = dotOff(a, o, a, o, n);
    if (ss > 1e-280 && ss < Infinity) return Math.sqrt(ss);
    // scaled recomputation (overflow, underflow, zeros, NaN)
    let amax = 0;
    for (let i = 0; i < n; i++) {
      const v = Math.abs(a[o + i]);
      if (v > amax || v !== v) amax = v;
      if (amax !== amax) return NaN;
    }
    if (amax === 0 || amax === Infinity) return amax;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const v = a[o + i] / amax;
      s += v * v;
    }
    return amax * Math.sqrt(s);
  }
  if (ord === Infinity || ord === -Infinity) {
    let m = Math.abs(a[o]);
    if (ord > 0) { for (let i = 1; i < n; i++) m = Math.max(m, Math.abs(a[o + i])); }
    else for (let i = 1; i < n; i++) m = Math.min(m, Math.abs(a[o + i]));
    return m;
  }
  if (ord === 0) {
    let c = 0;
    for (let i = 0; i < n; i++) if (a[o + i] !== 0) c++;
    return c;
  }
  if (ord === 1) {
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.abs(a[o + i]);
    return s;
  }
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.pow(Math.abs(a[o + i]), ord);
  return Math.pow(s, 1 / ord);
}

/** `linalg.vector_norm`. */
export function vectorNorm(
  xIn: unknown,
  options: { axis?: number | readonly number[] | null; keepdims?: boolean; ord?: number } = {},
): CpuArray {
  const fn = "vector_norm";
  const x = asArr(xIn, fn);
  const dt = floatOut(x, fn);
  const ord = options.ord ?? 2;
  if (typeof ord !== "number" || Number.isNaN(ord)) {
    throw new RangeError(
      `vector_norm: ord must be a number, Infinity or -Infinity, got ${String(ord)}`,
    );
  }
  const nd = x.ndim;
  const axes = options.axis === undefined || options.axis === null
    ? Array.from({ length: nd }, (_, i) => i)
    : (typeof options.axis === "number" ? [options.axis] : Array.from(options.axis)).map((a) =>
      normalizeAxis(a, nd, x.shape)
    );
  if (new Set(axes).size !== axes.length) throw new RangeError(`${fn}: repeated axis`);
  const red = new Array<boolean>(nd).fill(false);
  for (const a of axes) red[a] = true;
  const order = [
    ...Array.from({ length: nd }, (_, i) => i).filter((i) => !red[i]),
    ...axes.slice().sort((p, q) => p - q),
  ];
  let needMove = false;
  for (let i = 0; i < nd; i++) if (order[i] !== i) needMove = true;
  const moved = needMove ? permuteDims(x, order, fn) : x;
  const n = axes.reduce((s, a) => s * x.shape[a], 1);
  const outShape: number[] = [];
  for (let i = 0; i < nd; i++) {
    if (!red[i]) outShape.push(x.shape[i]);
    else if (options.keepdims) outShape.push(1);
  }
  const rows = shapeSize(outShape);
  const src: FArr = moved.data instanceof Float64Array || moved.data instanceof Float32Array
    ? moved.data
    : new Float64Array(moved.data);
  if (n === 0 && (ord === Infinity || ord === -Infinity) && rows > 0) {
    throw new RangeError(`${fn}: ord=${ord} of an empty reduction (shape ${fmtShape(x.shape)})`);
  }
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) out[r] = n === 0 ? 0 : normRow(src, r * n, n, ord);
  return make(out, outShape, dt);
}

/** `linalg.matrix_norm`. */
export function matrixNorm(
  xIn: unknown,
  options: { keepdims?: boolean; ord?: number | "fro" | "nuc" } = {},
): CpuArray {
  const fn = "matrix_norm";
  const { x, batch, m, n } = matrixArg(xIn, fn);
  const dt = floatOut(x, fn);
  const ord = options.ord ?? "fro";
  const nb = shapeSize(batch);
  const out = new Float64Array(nb);
  const src = f64(x);
  const outShape = options.keepdims ? [...batch, 1, 1] : [...batch];
  if (ord === "fro") {
    for (let b = 0; b < nb; b++) out[b] = m * n === 0 ? 0 : normRow(src, b * m * n, m * n, 2);
    return make(out, outShape, dt);
  }
  if (ord === "nuc" || ord === 2 || ord === -2) {
    const sv = svdvals(x);
    const s = f64(sv);
    const k = Math.min(m, n);
    if (k === 0 && ord !== "nuc" && nb > 0) {
      throw new RangeError(`${fn}: ord=${ord} of an empty matrix (shape ${fmtShape(x.shape)})`);
    }
    for (let b = 0; b < nb; b++) {
      if (ord === "nuc") {
        let t = 0;
        for (let i = 0; i < k; i++) t += s[b * k + i];
        out[b] = t;
      } else out[b] = ord === 2 ? s[b * k] : s[b * k + k - 1];
    }
    return make(out, outShape, dt);
  }
  if (ord === 1 || ord === -1 || ord === Infinity || ord === -Infinity) {
    const byCols = ord === 1 || ord === -1;
    const outerLen = byCols ? n : m;
    if (outerLen === 0 && nb > 0) {
      throw new RangeError(`${fn}: ord=${ord} of an empty matrix (shape ${fmtShape(x.shape)})`);
    }
    const sums = new Float64Array(outerLen);
    for (let b = 0; b < nb; b++) {
      sums.fill(0);
      const o = b * m * n;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) sums[byCols ? j : i] += Math.abs(src[o + i * n + j]);
      }
      let best = sums[0];
      for (let i = 1; i < outerLen; i++) {
        best = ord > 0 ? Math.max(best, sums[i]) : Math.min(best, sums[i]);
      }
      out[b] = best;
    }
    return make(out, outShape, dt);
  }
  throw new RangeError(
    `${fn}: unsupported ord ${JSON.stringify(ord)} (use "fro", "nuc", ±1, ±2, ±Infinity)`,
  );
}
