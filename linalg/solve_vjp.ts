/**
 * Vector–Jacobian products of sparse solves (the adjoint method): {@linkcode solveVjp} and
 * {@linkcode solveVjpSync}.
 *
 * @module
 */
import type { ArrayNamespace, ArrayObject, Shape } from "../array_api/types.ts";
import { broadcastShapes, fmtShape, shapesEqual } from "../array_api/shapes.ts";
import { isArrayObject } from "../array_api/namespace_of.ts";
import { isFloatDType } from "../array_api/dtypes.ts";
import { CsrArray } from "../sparse/csr_array.ts";
import { cg, cgSync } from "./cg.ts";
import { gmres, gmresSync } from "./gmres.ts";
import type { OperatorInput, SolveResult, VectorInput } from "./types.ts";

/**
 * Options of {@linkcode solveVjp} / {@linkcode solveVjpSync}: which solver runs the adjoint
 * system `Aᴴ λ = gx`, its options (SciPy's names in camelCase), and the shape of `b`.
 *
 * @example
 * ```ts
 * import type { SolveVjpOptions } from "./solve_vjp.ts";
 * const o: SolveVjpOptions = { method: "cg", rtol: 1e-10 };
 * ```
 */
export interface SolveVjpOptions<A extends ArrayObject = ArrayObject> {
  /** `"cg"`: `A` is symmetric positive definite, so `Aᴴ = A` and the adjoint system is solved
   * with `cg` on `A` itself. `"gmres"` (the default): general `A`; `gmres` runs on the
   * transpose (built once per call by permuting `data`). */
  readonly method?: "cg" | "gmres";
  /** Relative tolerance of the adjoint solve (default 1e-5, as the solvers). The gradient is
   * as accurate as `x` and `λ`: use the forward solve's tolerance or tighter. */
  readonly rtol?: number;
  /** Absolute tolerance of the adjoint solve (default 0). */
  readonly atol?: number;
  /** Iteration limit of the adjoint solve (the solver's default when absent; gmres: restart
   * cycles). */
  readonly maxiter?: number;
  /** gmres only: inner iterations between restarts (default `min(20, n)`). */
  readonly restart?: number;
  /** Preconditioner of the *adjoint* system `Aᴴ λ = gx` (an operator input). `jacobi(A)` and
   * any symmetric preconditioner of `A` serve both systems. */
  readonly M?: OperatorInput<A> | null;
  /** Initial guess for `λ`, `(..., n)` (e.g. the previous step's `gb` when `A` changes
   * slowly). */
  readonly x0?: VectorInput<A> | null;
  /** Shape of `b` in the forward solve, when it was broadcast against `A`'s batch: `gb` is
   * summed over the broadcast axes to this shape. Default: `x.shape`. */
  readonly bShape?: Shape;
}

/**
 * Result of {@linkcode solveVjp}: the gradients and the adjoint solve's statistics.
 *
 * @example
 * ```ts
 * import type { SolveVjpResult } from "./solve_vjp.ts";
 * const show = (r: SolveVjpResult) => console.log(r.gb.shape, r.gdata.shape, r.info);
 * ```
 */
export interface SolveVjpResult<A extends ArrayObject = ArrayObject> {
  /** `∂L/∂b = λ = A⁻ᴴ gx`, shape `bShape` (default `x.shape`). */
  readonly gb: A;
  /** `∂L/∂data`: `−λ_i x_j` for every stored entry `(i, j)`, summed over the batch axes along
   * which `A` was broadcast; shape `A.data.shape`. */
  readonly gdata: A;
  /** `info` of the adjoint solve, per system (0: converged; see `SolveResult`). */
  readonly info: Int32Array;
  /** Iterations of the adjoint solve, per system. */
  readonly iterations: Int32Array;
  /** True residual norm `‖gx − Aᴴ λ‖` of the adjoint solve, per system. */
  readonly residualNorm: Float64Array;
}

/** Everything that happens before and after the adjoint solve (shared by both variants). */
interface Prepared<A extends ArrayObject> {
  readonly method: "cg" | "gmres";
  /** The operator of the adjoint system (A itself for cg, its transpose for gmres). */
  readonly op: CsrArray<A>;
  readonly solverOptions: Record<string, unknown>;
  /** Computes the gradients from the adjoint solve's result and releases temporaries. */
  finish(r: SolveResult<A>): SolveVjpResult<A>;
  /** Releases temporaries when the solve failed. */
  abort(): void;
}

function prepare<A extends ArrayObject>(
  label: string,
  A: CsrArray<A>,
  x: A,
  gx: A,
  options: SolveVjpOptions<A>,
): Prepared<A> {
  if (!(A instanceof CsrArray)) {
    throw new TypeError(`${label}: A must be a CsrArray, got ${describe(A)}`);
  }
  const xp = A.xp;
  const shape = A.shape;
  const n = shape[shape.length - 1], m = shape[shape.length - 2];
  if (m !== n) throw new RangeError(`${label}: A must be square, got shape ${fmtShape(shape)}`);
  if (!isFloatDType(A.dtype)) {
    throw new TypeError(`${label}: A must have a real floating dtype, got ${A.dtype}`);
  }
  for (const [name, v] of [["x", x], ["gx", gx]] as const) {
    if (!isArrayObject(v)) {
      throw new TypeError(`${label}: ${name} must be an array, got ${describe(v)}`);
    }
    if (v.__array_namespace__() !== xp) {
      throw new TypeError(
        `${label}: ${name} belongs to namespace ${v.__array_namespace__().name} but A to ${xp.name}`,
      );
    }
    if (v.dtype !== A.dtype) {
      throw new TypeError(`${label}: ${name} has dtype ${v.dtype} but A has dtype ${A.dtype}`);
    }
  }
  if (!shapesEqual(x.shape, gx.shape)) {
    throw new RangeError(
      `${label}: gx has shape ${fmtShape(gx.shape)} but x has shape ${fmtShape(x.shape)}`,
    );
  }
  if (x.ndim < 1 || x.shape[x.ndim - 1] !== n) {
    throw new RangeError(
      `${label}: x has shape ${fmtShape(x.shape)} but A has shape ${fmtShape(shape)}: ` +
        `expected (..., ${n})`,
    );
  }
  const batchA = A.batchShape;
  const batchX = x.shape.slice(0, -1);
  let full: number[];
  try {
    full = broadcastShapes([batchA, batchX]);
  } catch {
    full = [];
  }
  if (!shapesEqual(full, batchX)) {
    throw new RangeError(
      `${label}: x has shape ${fmtShape(x.shape)}, whose batch ${fmtShape(batchX)} does not ` +
        `hold A's batch ${fmtShape(batchA)} (A has shape ${fmtShape(shape)}); x must be the ` +
        `solution of the forward solve`,
    );
  }
  const bShape = options.bShape ?? x.shape;
  if (!Array.isArray(bShape)) {
    throw new TypeError(`${label}: bShape must be an array of integers, got ${describe(bShape)}`);
  }
  let bOk = bShape.length >= 1 && bShape[bShape.length - 1] === n;
  try {
    bOk = bOk && shapesEqual(broadcastShapes([bShape, x.shape]), x.shape);
  } catch {
    bOk = false;
  }
  if (!bOk) {
    throw new RangeError(
      `${label}: bShape ${fmtShape(bShape)} does not broadcast to x's shape ${fmtShape(x.shape)}`,
    );
  }
  const method = options.method ?? "gmres";
  if (method !== "cg" && method !== "gmres") {
    throw new RangeError(`${label}: method must be "cg" or "gmres", got ${JSON.stringify(method)}`);
  }

  // The adjoint operator: A itself (cg: symmetric), else the transpose built from A's cached
  // transposed structure and a permutation of data (the permuted data is ours to release).
  let op: CsrArray<A> = A;
  let ownData: A | null = null;
  if (method === "gmres") {
    const tr = A._s.transpose();
    const data = tr.plan.apply(xp, A.data, 0);
    if (data !== A.data) ownData = data;
    op = new CsrArray(xp, tr.structure, data);
  }
  const solverOptions: Record<string, unknown> = {};
  for (const k of ["rtol", "atol", "maxiter", "M", "x0"] as const) {
    if (options[k] !== undefined) solverOptions[k] = options[k];
  }
  if (method === "gmres" && options.restart !== undefined) solverOptions.restart = options.restart;

  const release = () => {
    if (ownData) xp.dispose(ownData);
    ownData = null;
  };
  return {
    method,
    op,
    solverOptions,
    abort: release,
    finish(r: SolveResult<A>): SolveVjpResult<A> {
      release();
      const lambda = r.x;
      let gdata: A;
      try {
        gdata = dataGradient(xp, A, lambda, x);
      } catch (e) {
        xp.dispose(lambda);
        throw e;
      }
      const gb = sumTo(xp, lambda, bShape);
      if (gb !== lambda) xp.dispose(lambda);
      return {
        gb,
        gdata,
        info: r.info,
        iterations: r.iterations,
        residualNorm: r.residualNorm,
      };
    },
  };
}

/** `−λ_i x_j` for every stored entry, summed to `A.data.shape`. */
function dataGradient<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
  A: CsrArray<A>,
  lambda: A,
  x: A,
): A {
  const s = A._s;
  const temps: A[] = [];
  try {
    let lam = lambda, xx = x, rowIdx: A, colIdx: A;
    if (A.layout === "stacked") {
      // one block-diagonal matrix: rows are global, columns block-local
      const { M, N } = s;
      const lead = x.shape.slice(0, -2);
      lam = xp.reshape(lambda, [...lead, s.B * M]);
      xx = xp.reshape(x, [...lead, s.B * N]);
      temps.push(lam, xx);
      const rows = s.rows, cols = new Int32Array(s.nnz);
      for (let k = 0; k < s.nnz; k++) cols[k] = Math.floor(rows[k] / M) * N + s.indices[k];
      rowIdx = xp.asarray(rows, { dtype: "int32" });
      colIdx = xp.asarray(cols, { dtype: "int32" });
      temps.push(rowIdx, colIdx);
    } else {
      rowIdx = xp.asarray(s.rows, { dtype: "int32" });
      temps.push(rowIdx);
      colIdx = s.device(xp, "indices");
    }
    const lr = xp.take(lam, rowIdx, { axis: -1 });
    temps.push(lr);
    const xc = xp.take(xx, colIdx, { axis: -1 });
    temps.push(xc);
    const p = xp.multiply(lr, xc);
    temps.push(p);
    const g = xp.negative(p);
    const out = sumTo(xp, g, A.data.shape);
    if (out !== g) temps.push(g);
    return out;
  } finally {
    xp.dispose(...temps.filter((t) => t !== lambda && t !== x));
  }
}

/** Sums `g` over the axes along which an array of shape `target` was broadcast to `g.shape`. */
function sumTo<A extends ArrayObject>(xp: ArrayNamespace<A>, g: A, target: Shape): A {
  if (shapesEqual(g.shape, target)) return g;
  const lead = g.ndim - target.length;
  const axes: number[] = [];
  for (let i = 0; i < lead; i++) axes.push(i);
  for (let i = 0; i < target.length; i++) {
    if (target[i] === 1 && g.shape[lead + i] !== 1) axes.push(lead + i);
  }
  if (axes.length === 0) return xp.reshape(g, target, { copy: true });
  const s = xp.sum(g, { axis: axes, keepdims: true, dtype: g.dtype });
  const r = xp.reshape(s, target);
  if (r !== s) xp.dispose(s);
  return r;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a JS array";
  if (typeof v === "object") return (v as object).constructor?.name ?? "an object";
  return typeof v;
}

/**
 * Vector–Jacobian product of the sparse solve `x = A⁻¹ b` by the adjoint method: given the
 * forward solution `x` and the cotangent `gx = ∂L/∂x`, solves **one** adjoint system
 * `Aᴴ λ = gx` and returns
 *
 * - `gb = ∂L/∂b = λ` (summed to `options.bShape` when `b` was broadcast), and
 * - `gdata = ∂L/∂A.data`: `−λ_i x_j` for each stored entry `(i, j)` — the gradient on the
 *   sparsity pattern only, with `A.data`'s shape (summed over batch axes along which `A`
 *   was broadcast against `b`). Each stored entry is an independent parameter: if your `data`
 *   is built from parameters (e.g. a symmetric assembly), chain through that map.
 *
 * `A` is a {@linkcode CsrArray}, batched or not (shared or stacked patterns), on any namespace;
 * everything runs with namespace functions (no host readback besides the solver's own
 * convergence checks). `method: "cg"` assumes `A` symmetric positive definite (`Aᴴ = A`) and
 * solves with `cg` on `A`; `"gmres"` (default) runs `gmres` on the transpose. The adjoint
 * solve's `info` is returned, not thrown: check it (a non-converged λ gives wrong gradients).
 * Real dtypes only.
 *
 * @param A the operator of the forward solve, `[...batchA, n, n]`.
 * @param x the forward solution, `[...batch, n]` (its batch holds `batchA`).
 * @param gx the cotangent `∂L/∂x`, shaped like `x`.
 * @param options the adjoint solver and its options (see {@linkcode SolveVjpOptions}).
 * @returns the gradients and the adjoint solve's statistics; the arrays are new (the caller
 * disposes them).
 *
 * @example
 * ```ts
 * import { cg } from "./cg.ts";
 * import { solveVjp } from "./solve_vjp.ts";
 * import { poisson1d } from "../sparse/gallery.ts";
 * import { cpu as xp } from "../backends/cpu/mod.ts";
 * const A = poisson1d(8);
 * const b = xp.ones([8]);
 * const { x } = await cg(A, b, { rtol: 1e-12 });
 * // L = sum(x): gx = 1
 * const { gb, gdata, info } = await solveVjp(A, x, xp.ones([8]), { method: "cg", rtol: 1e-12 });
 * console.log(info, gb.shape, gdata.shape); // Int32Array [0] [8] [22]
 * ```
 */
export async function solveVjp<A extends ArrayObject>(
  A: CsrArray<A>,
  x: A,
  gx: A,
  options: SolveVjpOptions<A> = {},
): Promise<SolveVjpResult<A>> {
  const p = prepare("solveVjp", A, x, gx, options);
  let r: SolveResult<A>;
  try {
    r = p.method === "cg"
      ? await cg(p.op, gx, p.solverOptions) as SolveResult<A>
      : await gmres(p.op, gx, p.solverOptions) as SolveResult<A>;
  } catch (e) {
    p.abort();
    throw e;
  }
  return p.finish(r);
}

/**
 * {@linkcode solveVjp}, synchronously: the same arguments, options, checks and result, with
 * the adjoint system solved by `cgSync` / `gmresSync` (readbacks through `xp.toHostSync`). For
 * the CPU backend, and for `tf.customGrad`, whose gradient function must be synchronous. A
 * namespace without `toHostSync` (WebGPU) is a `TypeError` pointing to {@linkcode solveVjp}.
 *
 * @param A the operator of the forward solve, `[...batchA, n, n]`.
 * @param x the forward solution, `[...batch, n]` (its batch holds `batchA`).
 * @param gx the cotangent `∂L/∂x`, shaped like `x`.
 * @param options the adjoint solver and its options (see {@linkcode SolveVjpOptions}).
 * @returns the gradients and the adjoint solve's statistics; the arrays are new (the caller
 * disposes them).
 *
 * @example
 * ```ts
 * import { cgSync } from "./cg.ts";
 * import { solveVjpSync } from "./solve_vjp.ts";
 * import { poisson1d } from "../sparse/gallery.ts";
 * import { cpu as xp } from "../backends/cpu/mod.ts";
 * const A = poisson1d(8);
 * const { x } = cgSync(A, xp.ones([8]), { rtol: 1e-12 });
 * const { gb, gdata, info } = solveVjpSync(A, x, xp.ones([8]), { method: "cg", rtol: 1e-12 });
 * console.log(info, gb.shape, gdata.shape); // Int32Array [0] [8] [22]
 * ```
 */
export function solveVjpSync<A extends ArrayObject>(
  A: CsrArray<A>,
  x: A,
  gx: A,
  options: SolveVjpOptions<A> = {},
): SolveVjpResult<A> {
  const p = prepare("solveVjpSync", A, x, gx, options);
  let r: SolveResult<A>;
  try {
    r = p.method === "cg"
      ? cgSync(p.op, gx, p.solverOptions) as SolveResult<A>
      : gmresSync(p.op, gx, p.solverOptions) as SolveResult<A>;
  } catch (e) {
    p.abort();
    throw e;
  }
  return p.finish(r);
}
