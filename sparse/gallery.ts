/**
 * Test-problem gallery: model PDE matrices and classic sparse test matrices, built on the host
 * in canonical CSR form (sorted, no duplicates) and returned as {@linkcode CsrArray}s on any
 * namespace. Grid unknowns are numbered with x fastest: `index = i + nx·(j + ny·k)`, which
 * matches SciPy's `kronsum(Tx, Ty)` ordering.
 *
 * @module
 */
import type { ArrayNamespace, ArrayObject, DType } from "../array_api/types.ts";
import { cpu, type CpuArray } from "../backends/cpu/mod.ts";
import { checkInt32, CsrStructure } from "./_structure.ts";
import { checkDataDType } from "./_input.ts";
import { CsrArray } from "./csr_array.ts";

/**
 * Options shared by every gallery function.
 *
 * @example
 * ```ts
 * import type { GalleryOptions } from "./gallery.ts";
 * const o: GalleryOptions<never> = { dtype: "float32" };
 * ```
 */
export interface GalleryOptions<A extends ArrayObject> {
  /** Namespace of the result (default `cpu`). */
  readonly xp?: ArrayNamespace<A>;
  /** Data type of the values (default: the namespace's default real floating dtype). */
  readonly dtype?: DType;
}

function checkSize(v: number, what: string, fn: string): void {
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new RangeError(`${fn}: ${what} must be a non-negative integer, got ${v}`);
  }
}

function finish<A extends ArrayObject>(
  n: number,
  indptr: Int32Array,
  indices: Int32Array,
  data: Float64Array,
  options: GalleryOptions<A>,
  fn: string,
  ncols = n,
): CsrArray<A> {
  const xp = options.xp ?? (cpu as unknown as ArrayNamespace<A>);
  const dtype = options.dtype ?? xp.__array_namespace_info__().default_dtypes()["real floating"];
  checkDataDType(xp as ArrayNamespace<ArrayObject>, dtype, fn);
  const s = new CsrStructure(n, ncols, 1, indptr, indices);
  s.mark(true, true);
  return new CsrArray(xp, s, xp.asarray(data, { dtype }));
}

/** One stencil entry: grid offset and weight. */
interface Tap {
  dx: number;
  dy: number;
  dz: number;
  w: number;
}

/** Assembles a constant-coefficient stencil on an `nx × ny × nz` grid (Dirichlet: taps that
 * leave the grid are dropped; zero weights are not stored). */
function stencil<A extends ArrayObject>(
  nx: number,
  ny: number,
  nz: number,
  taps: Tap[],
  options: GalleryOptions<A>,
  fn: string,
): CsrArray<A> {
  const n = nx * ny * nz;
  checkInt32(n, `${fn}: number of unknowns`);
  const live = taps.filter((t) => t.w !== 0).sort((a, b) =>
    a.dz - b.dz || a.dy - b.dy || a.dx - b.dx
  );
  checkInt32(n * live.length, `${fn}: stored entries (upper bound)`);
  const indptr = new Int32Array(n + 1);
  let cap = 0;
  const idx = new Int32Array(n * live.length);
  const val = new Float64Array(n * live.length);
  let r = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        for (const t of live) {
          const ii = i + t.dx, jj = j + t.dy, kk = k + t.dz;
          if (ii < 0 || ii >= nx || jj < 0 || jj >= ny || kk < 0 || kk >= nz) continue;
          idx[cap] = ii + nx * (jj + ny * kk);
          val[cap++] = t.w;
        }
        indptr[++r] = cap;
      }
    }
  }
  return finish(n, indptr, idx.slice(0, cap), val.slice(0, cap), options, fn);
}

/**
 * 1-D Poisson matrix: `n × n` tridiagonal `(−1, 2, −1)` (SciPy's `poisson1d` test case).
 *
 * @example
 * ```ts
 * import { poisson1d } from "./gallery.ts";
 * console.log(poisson1d(4).nnz); // 10
 * ```
 */
export function poisson1d<A extends ArrayObject = CpuArray>(
  n: number,
  options: GalleryOptions<A> = {},
): CsrArray<A> {
  checkSize(n, "n", "poisson1d");
  return stencil(
    n,
    1,
    1,
    [
      { dx: -1, dy: 0, dz: 0, w: -1 },
      { dx: 0, dy: 0, dz: 0, w: 2 },
      { dx: 1, dy: 0, dz: 0, w: -1 },
    ],
    options,
    "poisson1d",
  );
}

/**
 * 2-D Poisson matrix (5-point stencil, Dirichlet, `h = 1`): the Kronecker sum
 * `I_ny ⊗ T_nx + T_ny ⊗ I_nx` of 1-D Poisson matrices, `nx·ny` unknowns.
 *
 * @example
 * ```ts
 * import { poisson2d } from "./gallery.ts";
 * console.log(poisson2d(3).shape); // [9, 9]
 * ```
 */
export function poisson2d<A extends ArrayObject = CpuArray>(
  nx: number,
  ny: number = nx,
  options: GalleryOptions<A> = {},
): CsrArray<A> {
  checkSize(nx, "nx", "poisson2d");
  checkSize(ny, "ny", "poisson2d");
  return stencil(
    nx,
    ny,
    1,
    [
      { dx: 0, dy: -1, dz: 0, w: -1 },
      { dx: -1, dy: 0, dz: 0, w: -1 },
      { dx: 0, dy: 0, dz: 0, w: 4 },
      { dx: 1, dy: 0, dz: 0, w: -1 },
      { dx: 0, dy: 1, dz: 0, w: -1 },
    ],
    options,
    "poisson2d",
  );
}

/**
 * 3-D Poisson matrix (7-point stencil, Dirichlet, `h = 1`): the Kronecker sum of three 1-D
 * Poisson matrices, `nx·ny·nz` unknowns.
 *
 * @example
 * ```ts
 * import { poisson3d } from "./gallery.ts";
 * console.log(poisson3d(2, 2, 2).nnz); // 32
 * ```
 */
export function poisson3d<A extends ArrayObject = CpuArray>(
  nx: number,
  ny: number = nx,
  nz: number = ny,
  options: GalleryOptions<A> = {},
): CsrArray<A> {
  checkSize(nx, "nx", "poisson3d");
  checkSize(ny, "ny", "poisson3d");
  checkSize(nz, "nz", "poisson3d");
  const taps: Tap[] = [{ dx: 0, dy: 0, dz: 0, w: 6 }];
  for (const [dx, dy, dz] of [[1, 0, 0], [0, 1, 0], [0, 0, 1]]) {
    taps.push({ dx, dy, dz, w: -1 }, { dx: -dx, dy: -dy, dz: -dz, w: -1 });
  }
  return stencil(nx, ny, nz, taps, options, "poisson3d");
}

/**
 * 27-point 3-D stencil as in the HPCG benchmark: 26 on the diagonal, −1 for each of the 26
 * neighbours inside the grid (Dirichlet truncation). Symmetric positive definite.
 *
 * @example
 * ```ts
 * import { poisson3d27 } from "./gallery.ts";
 * console.log(poisson3d27(3, 3, 3).nnz); // 343
 * ```
 */
export function poisson3d27<A extends ArrayObject = CpuArray>(
  nx: number,
  ny: number = nx,
  nz: number = ny,
  options: GalleryOptions<A> = {},
): CsrArray<A> {
  checkSize(nx, "nx", "poisson3d27");
  checkSize(ny, "ny", "poisson3d27");
  checkSize(nz, "nz", "poisson3d27");
  const taps: Tap[] = [];
  for (let dz = -1; dz <= 1; dz++) {
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        taps.push({ dx, dy, dz, w: dx === 0 && dy === 0 && dz === 0 ? 26 : -1 });
      }
    }
  }
  return stencil(nx, ny, nz, taps, options, "poisson3d27");
}

/**
 * Options of {@linkcode anisotropicDiffusion}.
 *
 * @example
 * ```ts
 * import type { AnisotropicOptions } from "./gallery.ts";
 * const o: AnisotropicOptions<never> = { epsilon: 1e-3, theta: Math.PI / 6 };
 * ```
 */
export interface AnisotropicOptions<A extends ArrayObject> extends GalleryOptions<A> {
  /** Ratio of weak to strong diffusion, `> 0` (default `1e-3`). */
  readonly epsilon?: number;
  /** Angle of the strong direction in radians (default 0: along x). */
  readonly theta?: number;
}

/**
 * Rotated anisotropic diffusion `−∇·(K ∇u)` on an `nx × ny` grid (`h = 1`, Dirichlet),
 * `K = R(θ) diag(1, ε) R(θ)ᵀ`, second-order finite differences with the mixed derivative
 * centred (9-point stencil: centre `2(kxx + kyy)`, east/west `−kxx`, north/south `−kyy`,
 * NE/SW `−kxy/2`, NW/SE `+kxy/2`). Symmetric positive definite for `ε > 0`; `ε = 1` gives
 * `poisson2d`. Exactly zero coefficients (θ = 0) are not stored.
 *
 * @example
 * ```ts
 * import { anisotropicDiffusion } from "./gallery.ts";
 * const A = anisotropicDiffusion(8, 8, { epsilon: 0.01, theta: Math.PI / 4 });
 * console.log(A.shape); // [64, 64]
 * ```
 */
export function anisotropicDiffusion<A extends ArrayObject = CpuArray>(
  nx: number,
  ny: number = nx,
  options: AnisotropicOptions<A> = {},
): CsrArray<A> {
  const fn = "anisotropicDiffusion";
  checkSize(nx, "nx", fn);
  checkSize(ny, "ny", fn);
  const eps = options.epsilon ?? 1e-3;
  const theta = options.theta ?? 0;
  if (!(eps > 0) || !Number.isFinite(eps)) {
    throw new RangeError(`${fn}: epsilon must be a finite positive number, got ${eps}`);
  }
  if (!Number.isFinite(theta)) throw new RangeError(`${fn}: theta must be finite, got ${theta}`);
  const C = Math.cos(theta), S = Math.sin(theta);
  const kxx = C * C + eps * S * S, kyy = S * S + eps * C * C, kxy = (1 - eps) * C * S;
  return stencil(
    nx,
    ny,
    1,
    [
      { dx: 0, dy: 0, dz: 0, w: 2 * (kxx + kyy) },
      { dx: -1, dy: 0, dz: 0, w: -kxx },
      { dx: 1, dy: 0, dz: 0, w: -kxx },
      { dx: 0, dy: -1, dz: 0, w: -kyy },
      { dx: 0, dy: 1, dz: 0, w: -kyy },
      { dx: 1, dy: 1, dz: 0, w: -kxy / 2 },
      { dx: -1, dy: -1, dz: 0, w: -kxy / 2 },
      { dx: 1, dy: -1, dz: 0, w: kxy / 2 },
      { dx: -1, dy: 1, dz: 0, w: kxy / 2 },
    ],
    options,
    fn,
  );
}

/**
 * Options of {@linkcode convectionDiffusion}.
 *
 * @example
 * ```ts
 * import type { ConvectionDiffusionOptions } from "./gallery.ts";
 * const o: ConvectionDiffusionOptions<never> = { wind: [1, -0.5], nu: 0.01 };
 * ```
 */
export interface ConvectionDiffusionOptions<A extends ArrayObject> extends GalleryOptions<A> {
  /** Wind `[bx, by]` (default `[1, 1]`). */
  readonly wind?: readonly [number, number];
  /** Diffusion coefficient `ν > 0` (default `0.01`). */
  readonly nu?: number;
}

/**
 * Convection–diffusion `−ν Δu + b·∇u` on the unit square with `nx × ny` interior points
 * (`hx = 1/(nx+1)`, `hy = 1/(ny+1)`, Dirichlet): 5-point diffusion plus first-order upwind
 * convection, so the matrix is a nonsymmetric M-matrix for any wind. Cell Péclet number
 * `|b|·h/(2ν)`. With `b = 0`, `ν = 1` and `nx = ny` it is `(nx+1)²·poisson2d(nx)`.
 *
 * @example
 * ```ts
 * import { convectionDiffusion } from "./gallery.ts";
 * const A = convectionDiffusion(16, 16, { wind: [1, 0.5], nu: 0.01 });
 * console.log(A.shape); // [256, 256]
 * ```
 */
export function convectionDiffusion<A extends ArrayObject = CpuArray>(
  nx: number,
  ny: number = nx,
  options: ConvectionDiffusionOptions<A> = {},
): CsrArray<A> {
  const fn = "convectionDiffusion";
  checkSize(nx, "nx", fn);
  checkSize(ny, "ny", fn);
  const wind = options.wind ?? [1, 1];
  const nu = options.nu ?? 0.01;
  if (!Array.isArray(wind) || wind.length !== 2 || !wind.every(Number.isFinite)) {
    throw new RangeError(`${fn}: wind must be two finite numbers [bx, by], got ${String(wind)}`);
  }
  if (!(nu > 0) || !Number.isFinite(nu)) {
    throw new RangeError(`${fn}: nu must be a finite positive number, got ${nu}`);
  }
  const [bx, by] = wind;
  const hx = 1 / (nx + 1), hy = 1 / (ny + 1);
  const dxx = nu / (hx * hx), dyy = nu / (hy * hy);
  return stencil(
    nx,
    ny,
    1,
    [
      { dx: 0, dy: -1, dz: 0, w: -dyy - Math.max(by, 0) / hy },
      { dx: -1, dy: 0, dz: 0, w: -dxx - Math.max(bx, 0) / hx },
      { dx: 0, dy: 0, dz: 0, w: 2 * dxx + 2 * dyy + Math.abs(bx) / hx + Math.abs(by) / hy },
      { dx: 1, dy: 0, dz: 0, w: -dxx + Math.min(bx, 0) / hx },
      { dx: 0, dy: 1, dz: 0, w: -dyy + Math.min(by, 0) / hy },
    ],
    options,
    fn,
  );
}

/**
 * A small, fast, seedable PRNG (mulberry32): uniform floats in `[0, 1)`.
 *
 * @example
 * ```ts
 * import { mulberry32 } from "./gallery.ts";
 * const rand = mulberry32(42);
 * console.log(rand() < 1); // true
 * ```
 */
export function mulberry32(seed: number): () => number {
  let a = (seed >>> 0) ^ 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Options of {@linkcode randomSpd}.
 *
 * @example
 * ```ts
 * import type { RandomSpdOptions } from "./gallery.ts";
 * const o: RandomSpdOptions<never> = { density: 0.05, seed: 7 };
 * ```
 */
export interface RandomSpdOptions<A extends ArrayObject> extends GalleryOptions<A> {
  /** Fraction of off-diagonal positions that are nonzero, in `[0, 1]` (default `0.01`). */
  readonly density?: number;
  /** Seed of the generator (default 0); equal seeds give equal matrices. */
  readonly seed?: number;
}

/**
 * A random sparse symmetric positive definite `n × n` matrix: off-diagonal pairs
 * `a_ij = a_ji ~ U(−1, 1)` at `density · n(n−1)/2` random positions, and
 * `a_ii = 1 + Σ_j |a_ij|` (strictly diagonally dominant, hence SPD). Seeded and
 * deterministic.
 *
 * @example
 * ```ts
 * import { randomSpd } from "./gallery.ts";
 * const A = randomSpd(100, { density: 0.05, seed: 1 });
 * console.log(A.hasCanonicalFormat); // true
 * ```
 */
export function randomSpd<A extends ArrayObject = CpuArray>(
  n: number,
  options: RandomSpdOptions<A> = {},
): CsrArray<A> {
  const fn = "randomSpd";
  checkSize(n, "n", fn);
  checkInt32(n, `${fn}: n`);
  const density = options.density ?? 0.01;
  if (!(density >= 0 && density <= 1)) {
    throw new RangeError(`${fn}: density must be in [0, 1], got ${density}`);
  }
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new RangeError(`${fn}: seed must be an integer, got ${seed}`);
  const rand = mulberry32(seed);
  const pairs = n * (n - 1) / 2;
  const ri: number[] = [], rj: number[] = [];
  if (pairs <= 4_000_000) {
    for (let i = 1; i < n; i++) {
      for (let j = 0; j < i; j++) {
        if (rand() < density) {
          ri.push(i);
          rj.push(j);
        }
      }
    }
  } else {
    const m = Math.round(density * pairs);
    checkInt32(2 * m + n, `${fn}: stored entries`);
    const seen = new Set<number>();
    while (seen.size < m) {
      const i = Math.floor(rand() * n), j = Math.floor(rand() * n);
      if (i === j) continue;
      const key = i > j ? i * n + j : j * n + i;
      if (seen.has(key)) continue;
      seen.add(key);
      ri.push(Math.max(i, j));
      rj.push(Math.min(i, j));
    }
  }
  const m = ri.length;
  const vals = new Float64Array(m);
  for (let k = 0; k < m; k++) vals[k] = 2 * rand() - 1;
  const nnz = 2 * m + n;
  checkInt32(nnz, `${fn}: stored entries`);
  const cols: { c: number; v: number }[][] = Array.from({ length: n }, () => []);
  const diag = new Float64Array(n).fill(1);
  for (let k = 0; k < m; k++) {
    const i = ri[k], j = rj[k], v = vals[k];
    cols[i].push({ c: j, v });
    cols[j].push({ c: i, v });
    diag[i] += Math.abs(v);
    diag[j] += Math.abs(v);
  }
  const indptr = new Int32Array(n + 1);
  const indices = new Int32Array(nnz);
  const data = new Float64Array(nnz);
  let p = 0;
  for (let i = 0; i < n; i++) {
    cols[i].push({ c: i, v: diag[i] });
    cols[i].sort((a, b) => a.c - b.c);
    for (const e of cols[i]) {
      indices[p] = e.c;
      data[p++] = e.v;
    }
    indptr[i + 1] = p;
  }
  return finish(n, indptr, indices, data, options, fn);
}

/** The first `n` primes. */
function primes(n: number): Float64Array {
  const out = new Float64Array(n);
  if (n === 0) return out;
  const ln = Math.log(Math.max(n, 3));
  let bound = Math.max(16, Math.ceil(n * (ln + Math.log(ln))) + 10);
  for (;;) {
    const sieve = new Uint8Array(bound + 1);
    let k = 0;
    for (let i = 2; i <= bound && k < n; i++) {
      if (sieve[i]) continue;
      out[k++] = i;
      for (let j = i * i; j <= bound; j += i) sieve[j] = 1;
    }
    if (k === n) return out;
    bound *= 2;
  }
}

/**
 * Trefethen's matrix (the "hundred-dollar, hundred-digit" challenge): the primes
 * `2, 3, 5, 7, …` on the diagonal and ones at every offset `±1, ±2, ±4, ±8, …` (powers of two)
 * inside the matrix. Symmetric positive definite.
 *
 * @example
 * ```ts
 * import { trefethen } from "./gallery.ts";
 * import { cpu } from "../backends/cpu/mod.ts";
 * console.log(await cpu.toHost(trefethen(4).diagonal())); // Float64Array [2, 3, 5, 7]
 * ```
 */
export function trefethen<A extends ArrayObject = CpuArray>(
  n: number,
  options: GalleryOptions<A> = {},
): CsrArray<A> {
  const fn = "trefethen";
  checkSize(n, "n", fn);
  checkInt32(n, `${fn}: n`);
  const p = primes(n);
  const offs: number[] = [];
  for (let d = 1; d < n; d *= 2) offs.push(d);
  const rowMax = 1 + 2 * offs.length;
  checkInt32(n * rowMax, `${fn}: stored entries (upper bound)`);
  const indptr = new Int32Array(n + 1);
  const idx: number[] = [];
  const val: number[] = [];
  const rev = offs.slice().reverse();
  for (let i = 0; i < n; i++) {
    for (const d of rev) {
      if (i - d >= 0) {
        idx.push(i - d);
        val.push(1);
      }
    }
    idx.push(i);
    val.push(p[i]);
    for (const d of offs) {
      if (i + d < n) {
        idx.push(i + d);
        val.push(1);
      }
    }
    indptr[i + 1] = idx.length;
  }
  return finish(n, indptr, Int32Array.from(idx), Float64Array.from(val), options, fn);
}
