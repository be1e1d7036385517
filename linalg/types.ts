/**
 * The operator protocol shared by sparse arrays, `LinearOperator` and the solvers.
 *
 * @module
 */
import type { ArrayNamespace, ArrayObject, DType, Shape } from "../array_api/types.ts";
import type { CpuArray } from "../backends/cpu/mod.ts";

/**
 * Anything that acts as a (batched) linear map `(..., N) → (..., M)` on arrays of one
 * namespace: `LinearOperator`, `CsrArray`, `CooArray`, and user objects.
 *
 * Batch semantics (SciPy 1.18): `shape = [...batch, M, N]`; `matvec(x)` takes `x` of shape
 * `[...batchX, N]` and returns `[...broadcast(batch, batchX), M]`; `matmat(X)` takes
 * `[...batchX, N, K]` and returns `[..., M, K]`. `rmatvec`/`rmatmat` apply the adjoint
 * (`(..., M) → (..., N)`).
 *
 * `out` arguments are *donated*: an implementation may write the result into `out` and return
 * it, or ignore it (then it disposes it); callers must use the returned array and never touch
 * `out` again. User-supplied functions that ignore `out` are fine.
 *
 * @example
 * ```ts
 * import type { OperatorLike } from "./types.ts";
 * import { cpu, type CpuArray } from "../backends/cpu/mod.ts";
 * const twice: OperatorLike<CpuArray> = {
 *   shape: [3, 3], dtype: "float64", xp: cpu,
 *   matvec: (x) => cpu.multiply(x, 2),
 * };
 * ```
 */
export interface OperatorLike<A extends ArrayObject = ArrayObject> {
  /** `[...batch, M, N]`. */
  readonly shape: Shape;
  /** Data type of the operator's results for inputs of the same dtype. */
  readonly dtype: DType;
  /** Namespace of the arrays it consumes and produces. */
  readonly xp: ArrayNamespace<A>;
  /** `A x` for `x` of shape `[...batchX, N]`. */
  matvec(x: A, out?: A): A;
  /** `A X` for `X` of shape `[...batchX, N, K]`. */
  matmat?(x: A, out?: A): A;
  /** `Aᴴ x` for `x` of shape `[...batchX, M]`. */
  rmatvec?(x: A, out?: A): A;
  /** `Aᴴ X` for `X` of shape `[...batchX, M, K]`. */
  rmatmat?(x: A, out?: A): A;
  /** Main diagonal `[...batch, min(M, N)]`, when cheaply known (used by `jacobi`); a new array
   * the caller owns. */
  diagonal?(): A;
  /** `false` when the operator is known to have no adjoint (its `rmatvec` would throw). */
  readonly hasAdjoint?: boolean;
  /** The operator restricted to some members of its batch: `index` holds positions in the
   * row-major flattened batch; the result has batch shape `[index.length]`. Present only where
   * it is cheap (dense, diagonal and shared-pattern sparse operators); solvers use it to compact
   * a batch when few systems are still iterating. */
  selectBatch?(index: Int32Array): OperatorLike<A>;
}

/**
 * Operator inputs the solvers accept: an `OperatorLike` (LinearOperator, sparse array, or any
 * `{ shape, matvec }` object), a dense namespace array `(..., n, n)`, or nested JS arrays.
 *
 * @example
 * ```ts
 * import type { OperatorInput } from "./types.ts";
 * const A: OperatorInput = [[4, 1], [1, 3]];
 * ```
 */
export type OperatorInput<A extends ArrayObject = ArrayObject> =
  | OperatorLike<A>
  | A
  | { readonly shape: Shape; matvec(x: A): A }
  | readonly (readonly number[])[];

/**
 * Any operator input, whatever its array type (the constraint of the solvers' type parameter).
 *
 * @example
 * ```ts
 * import type { AnyOperatorInput } from "./types.ts";
 * const A: AnyOperatorInput = [[2, 0], [0, 2]];
 * ```
 */
// deno-lint-ignore no-explicit-any
export type AnyOperatorInput = OperatorInput<any>;

/**
 * The array type a solver works with for an operator input of type `T`: the array type of its
 * namespace (`T["xp"]`), the type of a dense namespace array, or `CpuArray` for plain JS input.
 * Solvers are generic over `T` so that `cg(csr, b)` returns `SolveResult<CpuArray>`.
 *
 * @example
 * ```ts
 * import type { ArrayOfOperator } from "./types.ts";
 * import type { CsrArray } from "../sparse/csr_array.ts";
 * import type { CpuArray } from "../backends/cpu/mod.ts";
 * const ok: ArrayOfOperator<CsrArray<CpuArray>> extends CpuArray ? true : false = true;
 * ```
 */
export type ArrayOfOperator<T> = T extends { readonly xp: ArrayNamespace<infer A> } ? A
  : T extends ArrayObject ? T
  : CpuArray;

/**
 * Vector inputs the solvers accept: a namespace array, nested JS arrays, or a typed array.
 *
 * @example
 * ```ts
 * import type { VectorInput } from "./types.ts";
 * const b: VectorInput = [1, 2, 3];
 * ```
 */
export type VectorInput<A extends ArrayObject = ArrayObject> =
  | A
  | readonly number[]
  | readonly (readonly number[])[]
  | Float64Array
  | Float32Array;

/**
 * What a solver reports at each host convergence check (`onProgress`). No extra readback is
 * made for it: it carries what the check read anyway.
 *
 * @example
 * ```ts
 * import type { ProgressInfo } from "./types.ts";
 * const log = (p: ProgressInfo) => console.error(p.iteration, p.active, p.residualNorm[0]);
 * ```
 */
export interface ProgressInfo {
  /** Solver name. */
  readonly solver: string;
  /** Iterations done so far (the batch's maximum). */
  readonly iteration: number;
  /** Iteration limit. */
  readonly maxiter: number;
  /** Systems still iterating. */
  readonly active: number;
  /** Number of systems in the batch. */
  readonly systems: number;
  /** Latest residual norm of each system as the solver tracks it (row-major over the batch). */
  readonly residualNorm: Float64Array;
  /** Convergence threshold `max(atol, rtol·‖b‖)` of each system. */
  readonly threshold: Float64Array;
}

/**
 * Options shared by the Krylov solvers of the `cg` family (SciPy's names in camelCase).
 *
 * @example
 * ```ts
 * import type { KrylovOptions } from "./types.ts";
 * const o: KrylovOptions = { rtol: 1e-8, atol: 0, maxiter: 500 };
 * ```
 */
export interface KrylovOptions<A extends ArrayObject = ArrayObject> {
  /** Relative tolerance (default 1e-5): stop when `‖r‖ ≤ max(atol, rtol·‖b‖)`. */
  rtol?: number;
  /** Absolute tolerance (default 0). */
  atol?: number;
  /** Iteration limit (default: the solver's SciPy default, e.g. `10·n` for cg). */
  maxiter?: number;
  /** Initial guess `(..., n)` (broadcast over the batch), or `"Mb"` for `M·b`. Not modified. */
  x0?: VectorInput<A> | "Mb" | null;
  /** Preconditioner approximating `A⁻¹` (an operator input, e.g. `jacobi(A)`). */
  M?: OperatorInput<A> | null;
  /** Called after every iteration with the current iterate (a namespace array valid only during
   * the call) and the iteration number. Returning a promise makes the solver await it. */
  callback?: (x: A, iteration: number) => void | Promise<void>;
  /** Called at each host convergence check (see {@linkcode ProgressInfo}). */
  onProgress?: (info: ProgressInfo) => void;
  /** Record the residual norm of every system at every iteration (`residualHistory`). */
  history?: boolean;
}

/**
 * Result of the `cg`-family solvers. `info`, `iterations`, `residualNorm` hold one entry per
 * system, row-major over the batch shape.
 *
 * `info`: 0 converged; `> 0` not converged (the iteration limit); `< 0` breakdown:
 * {@linkcode INFO_BREAKDOWN_RHO} (−10), {@linkcode INFO_BREAKDOWN_OMEGA} (−11),
 * {@linkcode INFO_NONFINITE} (−12), or a solver-specific code listed in its documentation.
 *
 * @example
 * ```ts
 * import type { SolveResult } from "./types.ts";
 * const report = (r: SolveResult) => console.log(r.info, r.iterations, r.residualNorm);
 * ```
 */
export interface SolveResult<A extends ArrayObject = ArrayObject> {
  /** Solution `[...batch, n]` (a namespace array). */
  readonly x: A;
  /** Status per system (see above). */
  readonly info: Int32Array;
  /** Iterations per system (gmres: inner iterations). */
  readonly iterations: Int32Array;
  /** True residual norm `‖b − A x‖` per system, recomputed at the end. */
  readonly residualNorm: Float64Array;
  /** With `history: true`: for each system, its residual norm at iteration 0, 1, 2, … (the
   * quantity the solver tests: recurrence residual, or preconditioned residual for gmres). */
  readonly residualHistory?: Float64Array[];
}

/**
 * `info` code: breakdown of the ρ recurrence (bicg, bicgstab, cgs, qmr, as SciPy).
 *
 * @example
 * ```ts
 * import { INFO_BREAKDOWN_RHO } from "./types.ts";
 * console.log(INFO_BREAKDOWN_RHO); // -10
 * ```
 */
export const INFO_BREAKDOWN_RHO: number = -10;

/**
 * `info` code: breakdown of ω or of a dot product (bicgstab, cgs, bicg, as SciPy).
 *
 * @example
 * ```ts
 * import { INFO_BREAKDOWN_OMEGA } from "./types.ts";
 * console.log(INFO_BREAKDOWN_OMEGA); // -11
 * ```
 */
export const INFO_BREAKDOWN_OMEGA: number = -11;

/**
 * `info` code: a non-finite value (NaN/Inf) appeared during the iteration, e.g. from an
 * operator or preconditioner producing NaN, or a zero diagonal in `jacobi`.
 *
 * @example
 * ```ts
 * import { INFO_NONFINITE } from "./types.ts";
 * console.log(INFO_NONFINITE); // -12
 * ```
 */
export const INFO_NONFINITE: number = -12;
