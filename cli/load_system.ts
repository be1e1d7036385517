/**
 * Reading a linear system `A x = b` from Matrix Market files for the CLI.
 *
 * @module
 */
import type { FloatDType } from "../array_api/types.ts";
import { fmtShape } from "../array_api/shapes.ts";
import { cpu, type CpuArray } from "../backends/cpu/mod.ts";
import { type CsrArray, csrArray } from "../sparse/csr_array.ts";
import { type MatrixMarketSymmetry, readMatrixMarket } from "../sparse/matrix_market.ts";
import { UsageError } from "./usage_error.ts";

/**
 * A system read by {@linkcode loadSystem}, on the CPU backend.
 *
 * @example
 * ```ts
 * import type { LoadedSystem } from "./load_system.ts";
 * const rows = (s: LoadedSystem) => s.A.shape[0];
 * ```
 */
export interface LoadedSystem {
  /** The matrix `[M, N]` (canonical CSR, values in the requested dtype). */
  readonly A: CsrArray<CpuArray>;
  /** The right-hand sides: one `Float64Array` of length `M` per system. */
  readonly b: readonly Float64Array[];
  /** Whether `b` is the default `A·1` (then the exact solution is `x = 1`). */
  readonly defaultRhs: boolean;
  /** Symmetry declared by A's file header. */
  readonly symmetry: MatrixMarketSymmetry;
  /** Whether A is numerically symmetric (checked on the host; square A only). */
  readonly symmetric: boolean;
}

/**
 * Reads `A` (coordinate or array Matrix Market file) and `b` (an `M × k` array or coordinate
 * file: `k` right-hand sides, one system each; a `1 × M` row is accepted too). Without a `b`
 * file, `b = A·1` (row sums of A, computed in float64 from the values in `dtype`), so the
 * exact solution is the vector of ones. File errors name the path; a missing file is a
 * `UsageError`.
 *
 * @example
 * ```ts
 * import { loadSystem } from "./load_system.ts";
 * const path = await Deno.makeTempFile({ suffix: ".mtx" });
 * await Deno.writeTextFile(path, "%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 2\n2 2 4\n");
 * const s = await loadSystem(path, undefined, "float64");
 * console.log(s.b[0]); // Float64Array [2, 4]
 * ```
 */
export async function loadSystem(
  aPath: string,
  bPath: string | undefined,
  dtype: FloatDType,
): Promise<LoadedSystem> {
  const bytes = await readBytes(aPath, "A");
  const a = await named(aPath, () => readMatrixMarket(bytes, { dtype, xp: cpu }));
  const A = await named(
    aPath,
    async () => a.format === "coordinate" ? a.matrix.toCsr() : await csrArray(a.matrix),
  );
  const [M, N] = A.shape;
  const vals = (await cpu.toHost(A.data)) as Float64Array | Float32Array;
  let b: Float64Array[];
  if (bPath === undefined) {
    const r = new Float64Array(M);
    const ip = A.indptr;
    for (let i = 0; i < M; i++) {
      let s = 0;
      for (let j = ip[i]; j < ip[i + 1]; j++) s += vals[j];
      r[i] = s;
    }
    b = [r];
  } else {
    b = await readRhs(bPath, M, A.shape);
  }
  return {
    A,
    b,
    defaultRhs: bPath === undefined,
    symmetry: a.symmetry,
    symmetric: M === N && isSymmetric(A, vals),
  };
}

async function readBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new UsageError(`cannot read ${what} from ${path}: no such file`);
    }
    if (e instanceof Deno.errors.IsADirectory) {
      throw new UsageError(`cannot read ${what} from ${path}: it is a directory`);
    }
    if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable) {
      throw new UsageError(`cannot read ${what} from ${path}: permission denied (${firstLine(e)})`);
    }
    throw e;
  }
}

/** Runs `f`, prefixing the message of a TypeError/RangeError it throws with the path. */
async function named<T>(path: string, f: () => T | Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof RangeError) throw new RangeError(`${path}: ${e.message}`);
    if (e instanceof TypeError) throw new TypeError(`${path}: ${e.message}`);
    throw e;
  }
}

async function readRhs(
  path: string,
  M: number,
  aShape: readonly number[],
): Promise<Float64Array[]> {
  const bytes = await readBytes(path, "b");
  return await named(path, async () => {
    const r = readMatrixMarket(bytes, { dtype: "float64", xp: cpu });
    const dense = r.format === "coordinate" ? r.matrix.toDense() : r.matrix;
    const h = (await cpu.toHost(dense)) as Float64Array;
    let [rows, cols] = r.shape;
    let get = (i: number, k: number) => h[i * cols + k];
    if (rows !== M && cols === M && rows === 1) {
      // a 1 × M row vector: one right-hand side
      [rows, cols] = [M, 1];
      get = (i) => h[i];
    }
    if (rows !== M) {
      throw new RangeError(
        `b has shape ${fmtShape(r.shape)} but A has shape ${fmtShape(aShape)}: b needs ${M} ` +
          `rows (one column per right-hand side)`,
      );
    }
    const out: Float64Array[] = [];
    for (let k = 0; k < cols; k++) out.push(Float64Array.from({ length: M }, (_, i) => get(i, k)));
    return out;
  });
}

/** Exact symmetry of a canonical CSR matrix (same pattern and values as its transpose). */
function isSymmetric(A: CsrArray<CpuArray>, vals: ArrayLike<number>): boolean {
  const ip = A.indptr, ix = A.indices;
  const M = A.shape[0];
  for (let i = 0; i < M; i++) {
    for (let p = ip[i]; p < ip[i + 1]; p++) {
      const j = ix[p];
      if (j === i) continue;
      let lo = ip[j], hi = ip[j + 1] - 1, q = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (ix[mid] === i) {
          q = mid;
          break;
        }
        if (ix[mid] < i) lo = mid + 1;
        else hi = mid - 1;
      }
      if (q < 0 || vals[q] !== vals[p]) return false;
    }
  }
  return true;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}
