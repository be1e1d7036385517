/**
 * Problem recipes shared by the `deno bench` suites and `compare_scipy.ts`: the matrices and
 * right-hand sides every benchmark uses, built once here so that a suite and the SciPy
 * comparison time exactly the same problem. SciPy gets them through raw binary files
 * (`writeCsr`/`writeVector`), checked on arrival by nnz and a checksum that both languages
 * compute the same way (`csrChecksum`/`vectorChecksum`).
 *
 * @module
 */
import { cpu, type CpuArray } from "../backends/cpu/mod.ts";
import { csrArray } from "../sparse/csr_array.ts";
import type { CsrArray } from "../sparse/csr_array.ts";
import { convectionDiffusion, mulberry32, poisson2d, poisson3d27 } from "../sparse/gallery.ts";

/** Floating dtypes the benchmarks use. */
export type FloatDType = "float64" | "float32";

/** Host values of a CSR matrix (what goes to SciPy). */
export interface HostCsr {
  /** Rows. */
  m: number;
  /** Columns. */
  n: number;
  /** Row pointers. */
  indptr: Int32Array;
  /** Column indices. */
  indices: Int32Array;
  /** Stored values (float64 or float32 as the matrix). */
  data: Float64Array | Float32Array;
}

/** The host arrays of an unbatched `CsrArray` on the CPU namespace. */
export function hostCsr(A: CsrArray<CpuArray>): HostCsr {
  const [m, n] = A.shape.slice(-2);
  return { m, n, indptr: A.indptr, indices: A.indices, data: A.data.data as Float64Array };
}

/** Uniform values in `[-1, 1)` from mulberry32 (seeded), `len` of them. */
export function randomValues(len: number, seed: number, dtype: FloatDType = "float64"): CpuArray {
  const rand = mulberry32(seed);
  const a = dtype === "float64" ? new Float64Array(len) : new Float32Array(len);
  for (let i = 0; i < len; i++) a[i] = 2 * rand() - 1;
  return cpu.asarray(a);
}

/** Random values of shape `shape` (row-major), see {@linkcode randomValues}. */
export function randomArray(
  shape: readonly number[],
  seed: number,
  dtype: FloatDType = "float64",
): CpuArray {
  const len = shape.reduce((a, b) => a * b, 1);
  return cpu.reshape(randomValues(len, seed, dtype), [...shape]);
}

/** 2-D Poisson (5-point) on an `k × k` grid. */
export function poisson5(k: number, dtype: FloatDType = "float64"): CsrArray<CpuArray> {
  return poisson2d(k, k, { dtype });
}

/** 27-point 3-D stencil on a `k × k × k` grid. */
export function poisson27(k: number, dtype: FloatDType = "float64"): CsrArray<CpuArray> {
  return poisson3d27(k, k, k, { dtype });
}

/** Convection–diffusion on a `k × k` grid, wind (1, 0.5), ν = 0.01: nonsymmetric, cell Péclet
 * number `|b|·h/(2ν) ≈ 56/(k+1)` (0.43 at k = 128). */
export function convDiff(k: number, dtype: FloatDType = "float64"): CsrArray<CpuArray> {
  return convectionDiffusion(k, k, { wind: [1, 0.5], nu: 0.01, dtype });
}

/**
 * A sparse least-squares matrix: `m = 4n` rows, each with `perRow` distinct random columns
 * (sorted) and values uniform in `[-1, 1)` times a column scale `10^(−2j/(n−1))` (so cond(A)
 * is a few hundred and lsqr needs a few hundred iterations, not ~70), seeded. Full column rank
 * with overwhelming probability; `A x ≈ b` with random `b` is inconsistent (a true
 * least-squares problem).
 */
export function leastSquares(n: number, perRow = 6, seed = 11): CsrArray<CpuArray> {
  const m = 4 * n;
  const rand = mulberry32(seed);
  const indptr = new Int32Array(m + 1);
  const indices = new Int32Array(m * perRow);
  const data = new Float64Array(m * perRow);
  const row = new Int32Array(perRow);
  let k = 0;
  for (let i = 0; i < m; i++) {
    let c = 0;
    while (c < perRow) {
      const j = Math.floor(rand() * n);
      let dup = false;
      for (let t = 0; t < c; t++) dup ||= row[t] === j;
      if (!dup) row[c++] = j;
    }
    row.sort();
    for (let t = 0; t < perRow; t++) {
      indices[k] = row[t];
      data[k++] = (2 * rand() - 1) * 10 ** (-2 * row[t] / Math.max(n - 1, 1));
    }
    indptr[i + 1] = k;
  }
  return csrArray({ indptr, indices, data }, { shape: [m, n] });
}

/**
 * The batch-compaction case: `A_k = poisson2d(k) + σ_k I` for `nSys` systems sharing one
 * pattern (a parameter sweep), `σ = 1` for all but the last system, `σ = 0` for the last, so
 * that one system needs ~10× the iterations of the others. Returns the batched CSR array
 * (`[nSys, k², k²]`, shared pattern) and random right-hand sides `[nSys, k²]`.
 */
export function shiftedSweep(
  k: number,
  nSys: number,
): { A: CsrArray<CpuArray>; b: CpuArray } {
  const P = poisson5(k);
  const nnz = P.nnz, N = k * k;
  const base = P.data.data as Float64Array;
  const diag = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    for (let q = P.indptr[i]; q < P.indptr[i + 1]; q++) if (P.indices[q] === i) diag[i] = q;
  }
  const data = new Float64Array(nSys * nnz);
  for (let s = 0; s < nSys; s++) {
    data.set(base, s * nnz);
    const sigma = s === nSys - 1 ? 0 : 1;
    for (let i = 0; i < N; i++) data[s * nnz + diag[i]] += sigma;
  }
  const A = csrArray(
    { indptr: P.indptr, indices: P.indices, data: cpu.reshape(cpu.asarray(data), [nSys, nnz]) },
    { shape: [nSys, N, N] },
  );
  return { A, b: randomArray([nSys, N], 5) };
}

/** Weight of entry `(i, j)` in {@linkcode csrChecksum}: small integers, position-dependent. */
function weight(i: number, j: number): number {
  return ((i * 31 + j * 17) % 1009) + 1;
}

/**
 * A checksum of a CSR matrix that `scipy_worker.py` computes identically:
 * `Σ data[k] · w(row(k), indices[k])` in float64, with `w(i, j) = (31 i + 17 j) mod 1009 + 1`.
 */
export function csrChecksum(A: HostCsr): number {
  let s = 0;
  for (let i = 0; i < A.m; i++) {
    for (let k = A.indptr[i]; k < A.indptr[i + 1]; k++) s += A.data[k] * weight(i, A.indices[k]);
  }
  return s;
}

/** `Σ v[i] · ((i mod 1009) + 1)` in float64 (the same in `scipy_worker.py`). */
export function vectorChecksum(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * ((i % 1009) + 1);
  return s;
}

/** Relative difference of two checksums (0 when equal). */
export function checksumDiff(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-300);
}

/** Writes `indptr.bin`, `indices.bin` (int32) and `data.bin` (the data dtype, little-endian)
 * into `dir`. */
export async function writeCsr(dir: string, A: HostCsr): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeFile(`${dir}/indptr.bin`, bytes(A.indptr));
  await Deno.writeFile(`${dir}/indices.bin`, bytes(A.indices));
  await Deno.writeFile(`${dir}/data.bin`, bytes(A.data));
}

/** Writes a typed array's raw bytes to `path`. */
export async function writeVector(
  path: string,
  v: Float64Array | Float32Array,
): Promise<void> {
  await Deno.writeFile(path, bytes(v));
}

function bytes(a: Int32Array | Float64Array | Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
