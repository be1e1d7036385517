/**
 * Private CSR kernels of the CPU backend (`csrMatvec`, `csrMatmat`) for both layouts of
 * {@linkcode CsrData}, with separate monomorphic loops for float64 and float32 storage.
 *
 * @module
 */
import type { CsrData, HostArray, Shape } from "../../array_api/types.ts";
import { fmtShape, shapesEqual, shapeSize } from "../../array_api/shapes.ts";
import { CpuArray } from "./cpu_array.ts";
import { alloc, type CpuDType } from "./_dtype.ts";
import { asArr } from "./_util.ts";

// ------------------------------------------------------------------ kernels
/**
 * y[i] = Σ_k d[k]·x[ix[k]] for the M rows of `ip` (a view starting at the first row; float64).
 * The first product initialises the sum so that the loop's accumulator is a double from the
 * start, and no offsets are added inside the loops (views are passed instead).
 */
function spmvF64(
  ip: Int32Array,
  ix: Int32Array,
  d: Float64Array,
  x: Float64Array,
  y: Float64Array,
  M: number,
): void {
  let k = ip[0];
  for (let i = 0; i < M; i++) {
    const end = ip[i + 1];
    let s = 0;
    if (k < end) {
      s = d[k] * x[ix[k]];
      k++;
      for (; k < end; k++) s += d[k] * x[ix[k]];
    }
    y[i] = s;
  }
}

/** Float32 twin of {@linkcode spmvF64} (accumulates in double). */
function spmvF32(
  ip: Int32Array,
  ix: Int32Array,
  d: Float32Array,
  x: Float32Array,
  y: Float32Array,
  M: number,
): void {
  let k = ip[0];
  for (let i = 0; i < M; i++) {
    const end = ip[i + 1];
    let s = 0;
    if (k < end) {
      s = d[k] * x[ix[k]];
      k++;
      for (; k < end; k++) s += d[k] * x[ix[k]];
    }
    y[i] = s;
  }
}

/** Any other storage (integers): accumulated in double, stored with the dtype's wrapping. */
function spmvAny(
  ip: Int32Array,
  ix: Int32Array,
  d: HostArray,
  x: HostArray,
  y: HostArray,
  M: number,
): void {
  let k = ip[0];
  for (let i = 0; i < M; i++) {
    const end = ip[i + 1];
    let s = 0;
    for (; k < end; k++) s += d[k] * x[ix[k]];
    y[i] = s;
  }
}

/** Y (M×K) = A · X (N×K) over rows `r0 … r0+M` of `ip` (float64, Y zeroed here). */
function spmmF64(
  ip: Int32Array,
  r0: number,
  ix: Int32Array,
  d: Float64Array,
  X: Float64Array,
  Y: Float64Array,
  M: number,
  K: number,
): void {
  Y.fill(0);
  for (let i = 0; i < M; i++) {
    const yo = i * K;
    const end = ip[r0 + i + 1];
    for (let k = ip[r0 + i]; k < end; k++) {
      const a = d[k];
      const xo = ix[k] * K;
      for (let j = 0; j < K; j++) Y[yo + j] += a * X[xo + j];
    }
  }
}

/** Float32 twin of {@linkcode spmmF64}: rows accumulate in a double buffer. */
function spmmF32(
  ip: Int32Array,
  r0: number,
  ix: Int32Array,
  d: Float32Array,
  X: Float32Array,
  Y: Float32Array,
  M: number,
  K: number,
  acc: Float64Array,
): void {
  for (let i = 0; i < M; i++) {
    acc.fill(0);
    const end = ip[r0 + i + 1];
    for (let k = ip[r0 + i]; k < end; k++) {
      const a = d[k];
      const xo = ix[k] * K;
      for (let j = 0; j < K; j++) acc[j] += a * X[xo + j];
    }
    const yo = i * K;
    for (let j = 0; j < K; j++) Y[yo + j] = acc[j];
  }
}

/** Other storage: rows accumulate in a double buffer. */
function spmmAny(
  ip: Int32Array,
  r0: number,
  ix: Int32Array,
  d: HostArray,
  X: HostArray,
  Y: HostArray,
  M: number,
  K: number,
  acc: Float64Array,
): void {
  for (let i = 0; i < M; i++) {
    acc.fill(0);
    const end = ip[r0 + i + 1];
    for (let k = ip[r0 + i]; k < end; k++) {
      const a = d[k];
      const xo = ix[k] * K;
      for (let j = 0; j < K; j++) acc[j] += a * X[xo + j];
    }
    const yo = i * K;
    for (let j = 0; j < K; j++) Y[yo + j] = acc[j];
  }
}

// ------------------------------------------------------------------ validation
interface Checked {
  batch: number[];
  M: number;
  N: number;
  nnz: number;
  stacked: boolean;
  ip: Int32Array;
  ix: Int32Array;
  data: CpuArray;
}

/** Index arrays already validated (by identity of their storage). */
const validated = new WeakMap<Int32Array, { ix: Int32Array; N: number; rows: number }>();

function checkCsr(a: CsrData<CpuArray>, fn: string): Checked {
  if (typeof a !== "object" || a === null) throw new TypeError(`${fn}: a must be CsrData`);
  const shape = a.shape;
  if (!Array.isArray(shape) || shape.length < 2) {
    throw new RangeError(`${fn}: CSR shape must be [...batch, M, N], got ${JSON.stringify(shape)}`);
  }
  const batch = shape.slice(0, -2);
  const M = shape[shape.length - 2], N = shape[shape.length - 1];
  const indptr = asArr(a.indptr, fn, "indptr");
  const indices = asArr(a.indices, fn, "indices");
  const data = asArr(a.data, fn, "data");
  if (indptr.dtype !== "int32" || indices.dtype !== "int32") {
    throw new TypeError(
      `${fn}: indptr and indices must be int32, got ${indptr.dtype} and ${indices.dtype}`,
    );
  }
  if (data.dtype === "bool") throw new TypeError(`${fn}: CSR data must be numeric, got bool`);
  const nnz = a.nnz;
  const stacked = a.layout === "stacked";
  if (!stacked && a.layout !== "shared") {
    throw new TypeError(`${fn}: unknown CSR layout ${JSON.stringify(a.layout)}`);
  }
  const B = stacked ? batch[0] : 1;
  if (stacked && batch.length !== 1) {
    throw new RangeError(
      `${fn}: the "stacked" layout needs exactly one batch axis, got shape ${fmtShape(shape)}`,
    );
  }
  const rows = stacked ? B * M : M;
  const wantData = stacked ? [nnz] : [...batch, nnz];
  if (
    indptr.ndim !== 1 || indptr.size !== rows + 1 || indices.ndim !== 1 ||
    indices.size !== nnz || !shapesEqual(data.shape, wantData)
  ) {
    throw new RangeError(
      `${fn}: CSR arrays do not match shape ${fmtShape(shape)} (${a.layout}, nnz ${nnz}): ` +
        `indptr ${fmtShape(indptr.shape)} (expected (${rows + 1},)), indices ${
          fmtShape(indices.shape)
        } (expected (${nnz},)), data ${fmtShape(data.shape)} (expected ${fmtShape(wantData)})`,
    );
  }
  const ip = indptr.data as Int32Array, ix = indices.data as Int32Array;
  const v = validated.get(ip);
  if (v === undefined || v.ix !== ix || v.N !== N || v.rows !== rows) {
    if (ip[0] !== 0 || ip[rows] !== nnz) {
      throw new RangeError(
        `${fn}: indptr must start at 0 and end at nnz ${nnz}, got ${ip[0]} … ${ip[rows]}`,
      );
    }
    for (let r = 0; r < rows; r++) {
      if (ip[r + 1] < ip[r]) {
        throw new RangeError(`${fn}: indptr decreases at row ${r} (${ip[r]} > ${ip[r + 1]})`);
      }
    }
    for (let k = 0; k < nnz; k++) {
      const j = ix[k];
      if (j < 0 || j >= N) {
        throw new RangeError(
          `${fn}: column index ${j} at position ${k} is out of range for N = ${N}`,
        );
      }
    }
    validated.set(ip, { ix, N, rows });
  }
  return { batch, M, N, nnz, stacked, ip, ix, data };
}

function overlaps(a: HostArray, b: HostArray): boolean {
  if (a.buffer !== b.buffer) return false;
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

function outArray(
  out: unknown,
  shape: number[],
  dt: CpuDType,
  fn: string,
  avoid: readonly HostArray[],
): CpuArray {
  if (out !== undefined && out !== null) {
    const o = asArr(out, fn, "out");
    if (
      o.dtype === dt && shapesEqual(o.shape, shape) && !avoid.some((a) => overlaps(a, o.data))
    ) return o;
  }
  return new CpuArray(alloc(dt, shapeSize(shape)), shape, dt);
}

/** Batch of `x` (its leading axes after removing `core` trailing axes) against A's batch. */
function resolveBatch(
  c: Checked,
  x: CpuArray,
  core: number,
  fn: string,
  aShape: Shape,
): { xBatch: number[]; nb: number; shared: boolean } {
  const xBatch = x.shape.slice(0, x.ndim - core);
  if (c.batch.length === 0) return { xBatch, nb: shapeSize(xBatch), shared: true };
  if (!shapesEqual(xBatch, c.batch)) {
    throw new RangeError(
      `${fn}: x of shape ${fmtShape(x.shape)} has batch ${fmtShape(xBatch)}, but A of shape ` +
        `${fmtShape(aShape)} has batch ${
          fmtShape(c.batch)
        }; the batches must be equal or A unbatched`,
    );
  }
  return { xBatch, nb: shapeSize(xBatch), shared: false };
}

// ------------------------------------------------------------------ offset runs
// Stencil matrices (finite differences, finite volumes on grids, banded systems) have long runs
// of consecutive rows whose nonzeros sit at the same column offsets j − i. Inside such a run the
// product needs no column indices: y[i] = Σ_t d[k + t] · x[i + off_t], with the values still read
// in CSR order (so in-place edits of `data` stay valid and nothing is converted). That removes a
// third of the memory traffic and the gather's index loads, which bound the plain loop.

/** Runs of rows sharing one offset pattern: [r0, r1) with `len` entries at offsets `offs`. */
export interface Runs {
  /** Per run: first row, end row (exclusive), offset-table start, entries per row. */
  readonly r0: Int32Array;
  readonly r1: Int32Array;
  readonly o0: Int32Array;
  readonly len: Int32Array;
  /** Concatenated offset tables. */
  readonly offs: Int32Array;
  /** Fraction of rows covered by runs (rows outside runs use the plain loop). */
  readonly coverage: number;
  /** Kernels per run, made on first use per storage type. */
  k64?: RunKernel[];
  k32?: RunKernel[];
}

/** Internal switch (benchmarks compare both paths). */
export const csrTuning: { runs: boolean } = { runs: true };

const MIN_RUN = 4;
const MAX_LEN = 16;
const runCache = new WeakMap<Int32Array, Runs | null>();

/** Finds the offset runs of a structure (once per indptr storage), or null when too few rows
 * are covered for the run kernels to pay off. */
export function offsetRuns(ip: Int32Array, ix: Int32Array, M: number): Runs | null {
  const hit = runCache.get(ip);
  if (hit !== undefined) return hit;
  const r0: number[] = [], r1: number[] = [], o0: number[] = [], len: number[] = [];
  const offs: number[] = [];
  let covered = 0;
  let i = 0;
  while (i < M) {
    const L = ip[i + 1] - ip[i];
    if (L === 0 || L > MAX_LEN) {
      i++;
      continue;
    }
    let j = i + 1;
    const base = ip[i];
    for (; j < M; j++) {
      const bj = ip[j];
      if (ip[j + 1] - bj !== L) break;
      let same = true;
      for (let t = 0; t < L; t++) {
        if (ix[bj + t] - j !== ix[base + t] - i) {
          same = false;
          break;
        }
      }
      if (!same) break;
    }
    if (j - i >= MIN_RUN) {
      r0.push(i);
      r1.push(j);
      o0.push(offs.length);
      len.push(L);
      for (let t = 0; t < L; t++) offs.push(ix[base + t] - i);
      covered += j - i;
    }
    i = j;
  }
  const res = covered >= 0.5 * M && r0.length > 0
    ? {
      r0: Int32Array.from(r0),
      r1: Int32Array.from(r1),
      o0: Int32Array.from(o0),
      len: Int32Array.from(len),
      offs: Int32Array.from(offs),
      coverage: covered / M,
    }
    : null;
  runCache.set(ip, res);
  return res;
}

// ------------------------------------------------------------------ diagonal patterns
// When every row's nonzeros sit at a few column offsets j − i shared by all rows (stencils on
// grids, banded matrices), a solver that runs many products on one structure can copy the values
// once into a dense `M × L` table (DIA with one row per matrix row, zeros where a row lacks an
// offset) and run a branch-free, index-free loop. With the columns of every row strictly
// increasing the table keeps each row's CSR order, and the inserted terms are `0 · x`, so the
// sums are the CSR sums exactly (for finite x).

/** A structure whose rows use at most `offs.length` distinct column offsets. */
export interface Diagonals {
  /** The distinct offsets j − i, increasing. */
  readonly offs: Int32Array;
  /** Per stored entry k (row i): its position `i·L + t` in the `M × L` table. */
  readonly slot: Int32Array;
  /** Largest |offset| (the zero halo a vector needs on both sides). */
  readonly halo: number;
}

/** Most offsets a diagonal table may have (the kernels unroll them). */
export const MAX_DIAGONALS = 32;
const diagCache = new WeakMap<Int32Array, { ix: Int32Array; M: number; d: Diagonals | null }>();

/**
 * The diagonal pattern of a square `M × M` structure (cached per indptr storage), or null when
 * it has more than {@linkcode MAX_DIAGONALS} offsets, fills less than 60% of its table, or some
 * row's columns are not strictly increasing (then the table would change the summation order).
 */
export function diagonalPattern(ip: Int32Array, ix: Int32Array, M: number): Diagonals | null {
  const hit = diagCache.get(ip);
  if (hit !== undefined && hit.ix === ix && hit.M === M) return hit.d;
  const d = findDiagonals(ip, ix, M);
  diagCache.set(ip, { ix, M, d });
  return d;
}

function findDiagonals(ip: Int32Array, ix: Int32Array, M: number): Diagonals | null {
  const nnz = ip[M];
  if (M === 0 || nnz === 0 || M * MAX_DIAGONALS > 0x7fffffff) return null;
  const seen = new Map<number, number>();
  for (let i = 0; i < M; i++) {
    let prev = -1;
    for (let k = ip[i], e = ip[i + 1]; k < e; k++) {
      const j = ix[k];
      if (j <= prev) return null;
      prev = j;
      const o = j - i;
      if (!seen.has(o)) {
        if (seen.size === MAX_DIAGONALS) return null;
        seen.set(o, 0);
      }
    }
  }
  const offs = Int32Array.from([...seen.keys()].sort((a, b) => a - b));
  const L = offs.length;
  if (nnz < 0.6 * M * L) return null;
  offs.forEach((o, t) => seen.set(o, t));
  const slot = new Int32Array(nnz);
  for (let i = 0; i < M; i++) {
    for (let k = ip[i], e = ip[i + 1]; k < e; k++) slot[k] = i * L + seen.get(ix[k] - i)!;
  }
  const halo = Math.max(-offs[0], offs[L - 1], 0);
  return { offs, slot, halo };
}

type RunKernel = (
  d: Float64Array | Float32Array,
  x: Float64Array | Float32Array,
  y: Float64Array | Float32Array,
  i0: number,
  i1: number,
  k0: number,
  offs: Int32Array,
  o0: number,
) => void;

const runKernels = new Map<string, RunKernel>();

/** An unrolled kernel for runs of `L` entries per row (generated once per L; a loop over the
 * offset table when code generation is unavailable). */
function runKernel(L: number, f32: boolean): RunKernel {
  const key = `${L}:${f32}`;
  let k = runKernels.get(key);
  if (k) return k;
  try {
    const terms: string[] = [];
    const decl: string[] = [];
    for (let t = 0; t < L; t++) {
      decl.push(`const f${t} = offs[o0 + ${t}];`);
      terms.push(`d[k + ${t}] * x[i + f${t}]`);
    }
    k = new Function(
      "d",
      "x",
      "y",
      "i0",
      "i1",
      "k0",
      "offs",
      "o0",
      `"use strict"; /* ${f32 ? "float32" : "float64"} */ ${decl.join(" ")} let k = k0;
       for (let i = i0; i < i1; i++, k += ${L}) { y[i] = ${terms.join(" + ")}; }
       //# sourceURL=krylov-cpu/csr-run-${L}-${f32 ? "f32" : "f64"}`,
    ) as RunKernel;
  } catch {
    k = (d, x, y, i0, i1, k0, offs, o0) => {
      let kk = k0;
      for (let i = i0; i < i1; i++, kk += L) {
        let s = 0;
        for (let t = 0; t < L; t++) s += d[kk + t] * x[i + offs[o0 + t]];
        y[i] = s;
      }
    };
  }
  runKernels.set(key, k);
  return k;
}

/** SpMV using offset runs for covered rows and the plain loop between them (float storage). */
function spmvRuns(
  runs: Runs,
  ip: Int32Array,
  ix: Int32Array,
  d: Float64Array | Float32Array,
  x: Float64Array | Float32Array,
  y: Float64Array | Float32Array,
  M: number,
): void {
  const f32 = d instanceof Float32Array;
  const kernels = f32
    ? (runs.k32 ??= kernelsFor(runs, true))
    : (runs.k64 ??= kernelsFor(runs, false));
  const { r0, r1, o0, offs } = runs;
  let row = 0;
  const nr = r0.length;
  for (let q = 0; q <= nr; q++) {
    const start = q < nr ? r0[q] : M;
    // rows between runs: plain CSR
    for (let i = row; i < start; i++) {
      let s = 0;
      for (let k = ip[i], e = ip[i + 1]; k < e; k++) s += d[k] * x[ix[k]];
      y[i] = s;
    }
    if (q === nr) break;
    const end = r1[q];
    kernels[q](d, x, y, start, end, ip[start], offs, o0[q]);
    row = end;
  }
}

function kernelsFor(runs: Runs, f32: boolean): RunKernel[] {
  return Array.from(runs.len, (L) => runKernel(L, f32));
}

// ------------------------------------------------------------------ entry points
/** `csrMatvec`: `A @ x` for `x` of shape `[...batchX, N]`. */
export function csrMatvec(a: CsrData<CpuArray>, xIn: unknown, out?: unknown): CpuArray {
  const fn = "csrMatvec";
  const c = checkCsr(a, fn);
  const x = asArr(xIn, fn, "x");
  if (x.dtype !== c.data.dtype) {
    throw new TypeError(`${fn}: x is ${x.dtype} but the matrix data is ${c.data.dtype}`);
  }
  if (x.ndim < 1 || x.shape[x.ndim - 1] !== c.N) {
    throw new RangeError(
      `${fn}: x of shape ${fmtShape(x.shape)} does not match A of shape ${fmtShape(a.shape)} ` +
        `(expected (..., ${c.N}))`,
    );
  }
  const { xBatch, nb, shared } = resolveBatch(c, x, 1, fn, a.shape);
  const { M, N, nnz, ip, ix } = c;
  const dt = c.data.dtype as CpuDType;
  const y = outArray(out, [...xBatch, M], dt, fn, [x.data, c.data.data]);
  const D = c.data.data, X = x.data, Y = y.data;
  const runs = csrTuning.runs && !c.stacked &&
      (D instanceof Float64Array || D instanceof Float32Array)
    ? offsetRuns(ip, ix, M)
    : null;
  for (let b = 0; b < nb; b++) {
    const xv = nb === 1 ? X : X.subarray(b * N, (b + 1) * N);
    const yv = nb === 1 ? Y : Y.subarray(b * M, (b + 1) * M);
    let dv = D, ipv = ip;
    if (!shared) {
      if (c.stacked) ipv = ip.subarray(b * M, (b + 1) * M + 1);
      else dv = D.subarray(b * nnz, (b + 1) * nnz);
    }
    if (runs) {
      spmvRuns(
        runs,
        ipv,
        ix,
        dv as Float64Array | Float32Array,
        xv as Float64Array | Float32Array,
        yv as Float64Array | Float32Array,
        M,
      );
    } else if (dv instanceof Float64Array) {
      spmvF64(ipv, ix, dv, xv as Float64Array, yv as Float64Array, M);
    } else if (dv instanceof Float32Array) {
      spmvF32(ipv, ix, dv, xv as Float32Array, yv as Float32Array, M);
    } else spmvAny(ipv, ix, dv, xv, yv, M);
  }
  return y;
}

/** `csrMatmat`: `A @ X` for `X` of shape `[...batchX, N, K]`. */
export function csrMatmat(a: CsrData<CpuArray>, xIn: unknown, out?: unknown): CpuArray {
  const fn = "csrMatmat";
  const c = checkCsr(a, fn);
  const x = asArr(xIn, fn, "x");
  if (x.dtype !== c.data.dtype) {
    throw new TypeError(`${fn}: X is ${x.dtype} but the matrix data is ${c.data.dtype}`);
  }
  if (x.ndim < 2 || x.shape[x.ndim - 2] !== c.N) {
    throw new RangeError(
      `${fn}: X of shape ${fmtShape(x.shape)} does not match A of shape ${fmtShape(a.shape)} ` +
        `(expected (..., ${c.N}, K))`,
    );
  }
  const K = x.shape[x.ndim - 1];
  const { xBatch, nb, shared } = resolveBatch(c, x, 2, fn, a.shape);
  const { M, N, nnz, ip, ix } = c;
  const dt = c.data.dtype as CpuDType;
  const y = outArray(out, [...xBatch, M, K], dt, fn, [x.data, c.data.data]);
  const D = c.data.data, X = x.data, Y = y.data;
  const acc = new Float64Array(K);
  for (let b = 0; b < nb; b++) {
    const xv = X.subarray(b * N * K, (b + 1) * N * K);
    const yv = Y.subarray(b * M * K, (b + 1) * M * K);
    let dv = D, r0 = 0;
    if (!shared) {
      if (c.stacked) r0 = b * M;
      else dv = D.subarray(b * nnz, (b + 1) * nnz);
    }
    if (dv instanceof Float64Array) {
      spmmF64(ip, r0, ix, dv, xv as Float64Array, yv as Float64Array, M, K);
    } else if (dv instanceof Float32Array) {
      spmmF32(ip, r0, ix, dv, xv as Float32Array, yv as Float32Array, M, K, acc);
    } else spmmAny(ip, r0, ix, dv, xv, yv, M, K, acc);
  }
  return y;
}
