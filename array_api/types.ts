/**
 * The array-API-standard namespace interface (modelled on the Python array API standard,
 * revision 2025.12) that every solver in this package is written against.
 *
 * Naming: functions of the standard keep the standard's snake_case names (`zeros_like`,
 * `vecdot`, `linalg.vector_norm`). Python keyword-only parameters become an options object as
 * the last argument; positional parameters stay positional. The project's own extensions are
 * camelCase and few: {@linkcode ArrayNamespace.toHost}, {@linkcode ArrayNamespace.dispose},
 * and the optional kernel hooks {@linkcode ArrayNamespace.fuse},
 * {@linkcode ArrayNamespace.csrMatvec}, {@linkcode ArrayNamespace.csrMatmat}.
 *
 * @module
 */

/**
 * Data types of the array API standard, named as in the standard. A backend lists the ones it
 * supports in `__array_namespace_info__().dtypes()`; asking for another one is a `TypeError`.
 *
 * @example
 * ```ts
 * import type { DType } from "./types.ts";
 * const dt: DType = "float32";
 * ```
 */
export type DType =
  | "bool"
  | "int8"
  | "int16"
  | "int32"
  | "int64"
  | "uint8"
  | "uint16"
  | "uint32"
  | "uint64"
  | "float16"
  | "float32"
  | "float64"
  | "complex64"
  | "complex128";

/**
 * Real floating-point data types.
 *
 * @example
 * ```ts
 * import type { FloatDType } from "./types.ts";
 * const dt: FloatDType = "float64";
 * ```
 */
export type FloatDType = "float16" | "float32" | "float64";

/**
 * Kinds accepted by `isdtype` and by `__array_namespace_info__().dtypes({ kind })`.
 *
 * @example
 * ```ts
 * import type { DTypeKind } from "./types.ts";
 * const k: DTypeKind = "real floating";
 * ```
 */
export type DTypeKind =
  | "bool"
  | "signed integer"
  | "unsigned integer"
  | "integral"
  | "real floating"
  | "complex floating"
  | "numeric";

/**
 * A device identifier. Backends use short strings such as `"cpu"` or `"webgpu:0"`.
 *
 * @example
 * ```ts
 * import type { Device } from "./types.ts";
 * const d: Device = "cpu";
 * ```
 */
export type Device = string;

/**
 * An array shape: one non-negative integer per axis, row-major (C order).
 *
 * @example
 * ```ts
 * import type { Shape } from "./types.ts";
 * const s: Shape = [2, 3];
 * ```
 */
export type Shape = readonly number[];

/**
 * A host scalar accepted wherever the standard accepts a Python scalar.
 *
 * @example
 * ```ts
 * import type { Scalar } from "./types.ts";
 * const s: Scalar = 2.5;
 * ```
 */
export type Scalar = number | boolean;

/**
 * Nested JS arrays of scalars, as accepted by `asarray` (`[[1, 2], [3, 4]]`).
 *
 * @example
 * ```ts
 * import type { NestedSequence } from "./types.ts";
 * const m: NestedSequence = [[1, 2], [3, 4]];
 * ```
 */
export type NestedSequence = Scalar | readonly NestedSequence[];

/**
 * Host typed arrays returned by {@linkcode ArrayNamespace.toHost}: `Float64Array` for float64,
 * `Float32Array` for float32 and float16, `Int32Array`/`Int16Array`/`Int8Array`/`Uint32Array`/
 * `Uint16Array` for integers, `Uint8Array` for uint8 and bool (0/1).
 *
 * @example
 * ```ts
 * import type { HostArray } from "./types.ts";
 * const h: HostArray = new Float64Array(3);
 * ```
 */
export type HostArray =
  | Float64Array
  | Float32Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint32Array
  | Uint16Array
  | Uint8Array;

/**
 * An array object of some namespace. Arrays are immutable from the point of view of the
 * standard functions (every function returns a new array); the only operations that may reuse
 * an array's memory are the donation hooks of the project extensions (`out` arguments of
 * {@linkcode ArrayNamespace.fuse}, {@linkcode ArrayNamespace.csrMatvec}), after which the
 * donated array must not be used again.
 *
 * @example
 * ```ts
 * import { cpu } from "../backends/cpu/mod.ts";
 * const x = cpu.asarray([[1, 2], [3, 4]]);
 * console.log(x.shape, x.dtype, x.ndim, x.size, x.device); // [2, 2] float64 2 4 cpu
 * ```
 */
export interface ArrayObject {
  /** Shape of the array, one entry per axis. */
  readonly shape: Shape;
  /** Data type of the elements. */
  readonly dtype: DType;
  /** Device on which the data lives. */
  readonly device: Device;
  /** Number of axes (`shape.length`). */
  readonly ndim: number;
  /** Number of elements (product of `shape`, 1 for a 0-d array). */
  readonly size: number;
  /** Returns the namespace that created this array (array API standard). */
  // deno-lint-ignore no-explicit-any
  __array_namespace__(options?: { api_version?: string }): ArrayNamespace<any>;
}

/**
 * Options for creation functions (`zeros`, `ones`, `empty`, `full`, `*_like`, `asarray`).
 *
 * @example
 * ```ts
 * import type { CreationOptions } from "./types.ts";
 * const o: CreationOptions = { dtype: "float32" };
 * ```
 */
export interface CreationOptions {
  /** Output dtype. When absent: the namespace's default real floating dtype for numbers (JS
   * cannot tell `3` from `3.0`), `bool` for booleans, and the input's dtype for `*_like`. */
  dtype?: DType;
  /** Output device; the namespace's default device when absent. */
  device?: Device;
}

/**
 * Options of `asarray`.
 *
 * @example
 * ```ts
 * import type { AsarrayOptions } from "./types.ts";
 * const o: AsarrayOptions = { dtype: "float64", copy: true };
 * ```
 */
export interface AsarrayOptions extends CreationOptions {
  /** `true`: always copy; `false`: never copy (`RangeError`/`TypeError` when a copy is needed);
   * `null`/absent: copy only when needed. */
  copy?: boolean | null;
}

/**
 * Options of reductions (`sum`, `prod`, `max`, `min`, `mean`, `all`, `any`).
 *
 * @example
 * ```ts
 * import type { ReductionOptions } from "./types.ts";
 * const o: ReductionOptions = { axis: -1, keepdims: true };
 * ```
 */
export interface ReductionOptions {
  /** Axis or axes to reduce; all axes when absent or null. Negative values count from the end. */
  axis?: number | readonly number[] | null;
  /** Keep reduced axes as length-1 axes. */
  keepdims?: boolean;
  /** Accumulation/output dtype (`sum`/`prod` only). */
  dtype?: DType;
}

/**
 * Machine limits of a floating-point dtype (array API `finfo`).
 *
 * @example
 * ```ts
 * import { cpu } from "../backends/cpu/mod.ts";
 * console.log(cpu.finfo("float32").eps); // 1.1920928955078125e-7
 * ```
 */
export interface FInfo {
  /** Number of bits in the type. */
  readonly bits: number;
  /** Difference between 1.0 and the next representable number. */
  readonly eps: number;
  /** Largest representable finite number. */
  readonly max: number;
  /** Smallest (most negative) representable finite number. */
  readonly min: number;
  /** Smallest positive normal number. */
  readonly smallest_normal: number;
  /** The dtype described. */
  readonly dtype: DType;
}

/**
 * Limits of an integer dtype (array API `iinfo`).
 *
 * @example
 * ```ts
 * import { cpu } from "../backends/cpu/mod.ts";
 * console.log(cpu.iinfo("int32").max); // 2147483647
 * ```
 */
export interface IInfo {
  /** Number of bits in the type. */
  readonly bits: number;
  /** Largest representable number. */
  readonly max: number;
  /** Smallest representable number. */
  readonly min: number;
  /** The dtype described. */
  readonly dtype: DType;
}

/**
 * What `__array_namespace_info__().capabilities()` reports. The first three keys are the
 * standard's; `float64` is this project's: whether float64 arrays exist on this namespace.
 *
 * @example
 * ```ts
 * import { cpu } from "../backends/cpu/mod.ts";
 * console.log(cpu.__array_namespace_info__().capabilities().float64); // true
 * ```
 */
export interface Capabilities {
  /** Whether boolean-mask indexing is supported (never, in this project). */
  readonly "boolean indexing": boolean;
  /** Whether functions with data-dependent output shapes are supported. */
  readonly "data-dependent shapes": boolean;
  /** Largest number of axes an array may have (null: unbounded). */
  readonly "max dimensions": number | null;
  /** Whether the float64 dtype is available. */
  readonly float64: boolean;
}

/**
 * Default data types of a namespace (array API `default_dtypes`).
 *
 * @example
 * ```ts
 * import { cpu } from "../backends/cpu/mod.ts";
 * console.log(cpu.__array_namespace_info__().default_dtypes()["real floating"]); // float64
 * ```
 */
export interface DefaultDTypes {
  /** Default real floating dtype. */
  readonly "real floating": DType;
  /** Default complex floating dtype (may name an unsupported dtype when complex is absent). */
  readonly "complex floating": DType;
  /** Default integer dtype. */
  readonly integral: DType;
  /** Default index dtype. */
  readonly indexing: DType;
}

/**
 * The inspection object returned by `__array_namespace_info__()`.
 *
 * @example
 * ```ts
 * import { cpu } from "../backends/cpu/mod.ts";
 * const info = cpu.__array_namespace_info__();
 * console.log(info.devices(), Object.keys(info.dtypes({ kind: "real floating" })));
 * ```
 */
export interface NamespaceInfo {
  /** Capabilities of the namespace. */
  capabilities(): Capabilities;
  /** The default device. */
  default_device(): Device;
  /** Default dtypes on a device. */
  default_dtypes(options?: { device?: Device }): DefaultDTypes;
  /** Supported dtypes on a device, optionally of one or several kinds, keyed by name. */
  dtypes(
    options?: { device?: Device; kind?: DTypeKind | readonly DTypeKind[] },
  ): Readonly<Record<string, DType>>;
  /** Devices of this namespace. */
  devices(): Device[];
}

/**
 * Result of `linalg.qr`.
 *
 * @example
 * ```ts
 * import { cpu } from "../backends/cpu/mod.ts";
 * const { Q, R } = cpu.linalg.qr(cpu.asarray([[1, 2], [3, 4]]));
 * ```
 */
export interface QRResult<A> {
  /** Orthonormal factor `(..., M, K)`. */
  readonly Q: A;
  /** Upper-triangular factor `(..., K, N)`. */
  readonly R: A;
}

/**
 * Result of `linalg.eigh`: eigenvalues in ascending order and eigenvectors as columns.
 *
 * @example
 * ```ts
 * import { cpu } from "../backends/cpu/mod.ts";
 * const { eigenvalues, eigenvectors } = cpu.linalg.eigh(cpu.asarray([[2, 1], [1, 2]]));
 * ```
 */
export interface EighResult<A> {
  /** Eigenvalues `(..., M)`, ascending. */
  readonly eigenvalues: A;
  /** Eigenvectors `(..., M, M)`; column `i` belongs to `eigenvalues[..., i]`. */
  readonly eigenvectors: A;
}

/**
 * Result of `linalg.svd` (thin SVD: `full_matrices` is always false).
 *
 * @example
 * ```ts
 * import { cpu } from "../backends/cpu/mod.ts";
 * const { U, S, Vh } = cpu.linalg.svd(cpu.asarray([[3, 0], [0, 4]]));
 * ```
 */
export interface SVDResult<A> {
  /** Left singular vectors `(..., M, K)`, K = min(M, N). */
  readonly U: A;
  /** Singular values `(..., K)`, descending. */
  readonly S: A;
  /** Right singular vectors, transposed: `(..., K, N)`. */
  readonly Vh: A;
}

/**
 * Result of `linalg.lstsq` (NumPy's semantics; not part of the standard).
 *
 * @example
 * ```ts
 * import { cpu } from "../backends/cpu/mod.ts";
 * const r = cpu.linalg.lstsq(cpu.asarray([[1, 0], [0, 1], [1, 1]]), cpu.asarray([1, 2, 3]));
 * console.log(await cpu.toHost(r.rank)); // Int32Array [2] (a 0-d int32 array for one matrix)
 * ```
 */
export interface LstsqResult<A> {
  /** Least-squares solution, `(..., N)` or `(..., N, K)` matching `b`. */
  readonly solution: A;
  /** Squared residual norms `‖b − a x‖²` per right-hand side (`(..., K)` or `(...)`); only
   * meaningful when M > N and a has full rank, otherwise zeros. */
  readonly residuals: A;
  /** Effective rank of each matrix (batch-shaped int32 array). */
  readonly rank: A;
  /** Singular values of `a`, `(..., min(M, N))`, descending. */
  readonly singular_values: A;
}

/**
 * The `linalg` extension of the standard (small dense, batched problems), plus NumPy's `lstsq`.
 * All functions accept stacks of matrices `(..., M, N)` and broadcast batch dimensions the way
 * the standard does. Data-dependent failures (singular matrix, indefinite Cholesky) are a
 * `RangeError`: thrown at the call where the namespace can see the values (CPU), or rejecting
 * the next `toHost` where work is recorded and runs later (GPU).
 *
 * @example
 * ```ts
 * import { cpu } from "../backends/cpu/mod.ts";
 * const A = cpu.asarray([[4, 1], [1, 3]]);
 * const x = cpu.linalg.solve(A, cpu.asarray([[1], [2]]));
 * ```
 */
export interface LinalgNamespace<A extends ArrayObject> {
  /** Cholesky factor of Hermitian positive-definite matrices (`upper`: return Uᴴ·U form).
   * A matrix that is not positive definite gives a `RangeError`. */
  cholesky(x: A, options?: { upper?: boolean }): A;
  /** Determinant of square matrices, shape `(...)`. */
  det(x: A): A;
  /** Diagonal of matrices, `(..., K)`; `offset` > 0 above the main diagonal. */
  diagonal(x: A, options?: { offset?: number }): A;
  /** Eigen-decomposition of symmetric/Hermitian matrices (only the lower triangle is read). */
  eigh(x: A): EighResult<A>;
  /** Eigenvalues of symmetric/Hermitian matrices, ascending. */
  eigvalsh(x: A): A;
  /** Inverse of square matrices; a singular matrix gives a `RangeError`. */
  inv(x: A): A;
  /** Least-squares solution of `a x = b` via SVD (NumPy semantics; `rcond` defaults to
   * `eps · max(M, N)`). `b` is `(..., M)` or `(..., M, K)`. */
  lstsq(a: A, b: A, options?: { rcond?: number | null }): LstsqResult<A>;
  /** Matrix product (same as the top-level `matmul`). */
  matmul(x1: A, x2: A): A;
  /** Matrix norm: `"fro"` (default), `"nuc"`, `1`, `-1`, `2`, `-2`, `Infinity`, `-Infinity`. */
  matrix_norm(x: A, options?: { keepdims?: boolean; ord?: number | "fro" | "nuc" }): A;
  /** Swaps the last two axes (same as the top-level `matrix_transpose`). */
  matrix_transpose(x: A): A;
  /** QR decomposition; `mode` `"reduced"` (default) or `"complete"`. */
  qr(x: A, options?: { mode?: "reduced" | "complete" }): QRResult<A>;
  /** Solves `x1 · y = x2` for square `x1`. `x2` is `(..., M)` (a stack of vectors, when its
   * shape is `x1.shape[:-1]` after broadcasting) or `(..., M, K)`. Singular → `RangeError`. */
  solve(x1: A, x2: A): A;
  /** Thin singular value decomposition. */
  svd(x: A, options?: { full_matrices?: false }): SVDResult<A>;
  /** Singular values, descending. */
  svdvals(x: A): A;
  /** Dot product along an axis (same as the top-level `vecdot`). */
  vecdot(x1: A, x2: A, options?: { axis?: number }): A;
  /** Vector norm along `axis` (all axes when null); `ord` is a number, `Infinity` or
   * `-Infinity` (default 2). */
  vector_norm(
    x: A,
    options?: { axis?: number | readonly number[] | null; keepdims?: boolean; ord?: number },
  ): A;
}

/**
 * Sparse matrices in CSR form as handed to backend kernels. Two layouts exist:
 *
 * - `"shared"`: every matrix of the batch has the same sparsity pattern. `indptr` has
 *   `M + 1` entries, `indices` has `nnz` entries, `data` has shape `[...batch, nnz]`.
 * - `"stacked"`: a 1-D batch of `B` matrices with *different* patterns, stored as one
 *   block-diagonal CSR: `indptr` has `B·M + 1` entries, `indices` hold column numbers local to
 *   each block (`0 ≤ j < N`), `data` is 1-D with `indptr[B·M]` entries; row `r` belongs to
 *   matrix `floor(r / M)`.
 *
 * Index arrays are int32 arrays of the same namespace; the 2^31 − 1 entries limit applies.
 *
 * @example
 * ```ts
 * import type { CsrData } from "./types.ts";
 * import { cpu } from "../backends/cpu/mod.ts";
 * const A: CsrData<ReturnType<typeof cpu.asarray>> = {
 *   shape: [2, 2], layout: "shared", nnz: 2,
 *   indptr: cpu.asarray([0, 1, 2], { dtype: "int32" }),
 *   indices: cpu.asarray([0, 1], { dtype: "int32" }),
 *   data: cpu.asarray([2, 3]),
 * };
 * ```
 */
export interface CsrData<A extends ArrayObject> {
  /** `[...batch, M, N]`. */
  readonly shape: Shape;
  /** Which layout the arrays use (see the interface documentation). */
  readonly layout: "shared" | "stacked";
  /** Stored entries per matrix (`"shared"`) or in total (`"stacked"`). */
  readonly nnz: number;
  /** Row pointers, int32. */
  readonly indptr: A;
  /** Column indices, int32. */
  readonly indices: A;
  /** Values: `[...batch, nnz]` (`"shared"`) or `[nnz]` (`"stacked"`). */
  readonly data: A;
}

/**
 * A fused elementwise program (see {@linkcode ./fuse.ts}): a small expression DAG compiled once
 * per structure and run over broadcast inputs. Backends that implement
 * {@linkcode ArrayNamespace.fuse} compile it to one loop (CPU) or one kernel (GPU); the portable
 * fallback in `fuse.ts` evaluates it with standard functions.
 *
 * @example
 * ```ts
 * import type { FusedProgram } from "./types.ts";
 * // Built by fuse.ts; backends receive it in ArrayNamespace.fuse.
 * let p: FusedProgram | undefined;
 * ```
 */
export interface FusedProgram {
  /** Human-readable label for profiling and error messages (e.g. `"cg.update"`). */
  readonly label: string;
  /** Canonical text of the whole program; identical keys mean identical programs, so a
   * backend may cache compiled code by `key` (plus the dtypes and ranks of the inputs). */
  readonly key: string;
  /** Names of the array inputs, in slot order. */
  readonly inputs: readonly string[];
  /** Expression nodes in topological order; node `i` may refer only to nodes `< i`. */
  readonly nodes: readonly FusedNode[];
  /** Elementwise outputs: name and node index (shape: broadcast shape of the inputs). */
  readonly outputs: readonly { readonly name: string; readonly node: number }[];
  /** Sum reductions over the last axis of the broadcast shape: name and node index. */
  readonly sums: readonly { readonly name: string; readonly node: number }[];
}

/**
 * Value types inside a fused program.
 *
 * @example
 * ```ts
 * import type { FusedType } from "./types.ts";
 * const t: FusedType = "float";
 * ```
 */
export type FusedType = "float" | "int" | "bool";

/**
 * Operators of fused programs. Binary arithmetic requires equal operand types (`float` or
 * `int`); comparisons produce `bool`; `and`/`or`/`not` take `bool`; `where` takes
 * `(bool, T, T)`; `sqrt`, `hypot`, `div` are float-only; `toFloat`/`toInt` convert.
 *
 * @example
 * ```ts
 * import type { FusedOp } from "./types.ts";
 * const op: FusedOp = "add";
 * ```
 */
export type FusedOp =
  | "add"
  | "sub"
  | "mul"
  | "div"
  | "max"
  | "min"
  | "hypot"
  | "neg"
  | "abs"
  | "sqrt"
  | "sign"
  | "lt"
  | "le"
  | "gt"
  | "ge"
  | "eq"
  | "ne"
  | "and"
  | "or"
  | "not"
  | "where"
  | "isfinite"
  | "toFloat"
  | "toInt";

/**
 * One node of a {@linkcode FusedProgram}.
 *
 * - `{ kind: "input", slot, type }` reads input `slot` (broadcast to the iteration shape);
 * - `{ kind: "const", value, type }` is a literal;
 * - `{ kind: "op", op, args, type }` applies an operator to earlier nodes.
 *
 * @example
 * ```ts
 * import type { FusedNode } from "./types.ts";
 * const n: FusedNode = { kind: "const", value: 1, type: "float" };
 * ```
 */
export type FusedNode =
  | { readonly kind: "input"; readonly slot: number; readonly type: FusedType }
  | { readonly kind: "const"; readonly value: number; readonly type: FusedType }
  | {
    readonly kind: "op";
    readonly op: FusedOp;
    readonly args: readonly number[];
    readonly type: FusedType;
  };

/**
 * Result of a fused run: every elementwise output and every sum, by name.
 *
 * @example
 * ```ts
 * import type { FusedResult } from "./types.ts";
 * let r: FusedResult<unknown> | undefined;
 * ```
 */
export type FusedResult<A> = Record<string, A>;

/**
 * What a backend's fused CG receives (see {@linkcode SolverHooks}). Semantics are exactly those
 * of the portable `cg` (SciPy's conventions, per-system thresholds `max(atol, rtol·‖b_k‖)`,
 * `info` 0 / `maxiter` / −12 for NaN, systems with `b_k = 0` give `x_k = 0`, `iterations`
 * counted like SciPy, the final residual a true `‖b − A x‖`).
 *
 * @example
 * ```ts
 * import type { CgKernelProblem } from "./types.ts";
 * let p: CgKernelProblem<never> | undefined;
 * ```
 */
export interface CgKernelProblem<A extends ArrayObject> {
  /** The operator in the "shared" layout; its batch is `[]` or equal to `batch`. */
  readonly a: CsrData<A>;
  /** Host copy of `a.indptr` (for storage-format decisions without a readback). */
  readonly indptrHost: Int32Array;
  /** Host copy of `a.indices`. */
  readonly indicesHost: Int32Array;
  /** Right-hand sides `[...batch, n]` (borrowed). */
  readonly b: A;
  /** Initial guess `[...batch, n]` (borrowed), or null for zeros. */
  readonly x0: A | null;
  /** Jacobi preconditioner `D⁻¹` broadcasting to `[...batch, n]` (borrowed), or null. */
  readonly minv: A | null;
  /** Batch shape of the systems. */
  readonly batch: readonly number[];
  /** Relative tolerance. */
  readonly rtol: number;
  /** Absolute tolerance. */
  readonly atol: number;
  /** Iteration limit. */
  readonly maxiter: number;
  /** Record each system's residual norm at every iteration. */
  readonly history: boolean;
  /** Bool `[...batch]` flags that must all be true; otherwise the first readback throws
   * `RangeError("cg: <name> contains NaN or Inf")`. Borrowed: the caller disposes them. */
  readonly finite: readonly { readonly name: string; readonly ok: A }[];
  /** Called at each host readback. */
  readonly onProgress?: (p: {
    readonly iteration: number;
    readonly active: number;
    readonly residualNorm: Float64Array;
    readonly threshold: Float64Array;
  }) => void;
}

/**
 * What a backend's fused CG returns: the fields of the solver result.
 *
 * @example
 * ```ts
 * import type { CgKernelResult } from "./types.ts";
 * let r: CgKernelResult<never> | undefined;
 * ```
 */
export interface CgKernelResult<A extends ArrayObject> {
  /** Solution `[...batch, n]`. */
  readonly x: A;
  /** Per-system status (0 converged, maxiter, or −12). */
  readonly info: Int32Array;
  /** Per-system iteration counts. */
  readonly iterations: Int32Array;
  /** Per-system true residual norms. */
  readonly residualNorm: Float64Array;
  /** Per-system residual history, when requested. */
  readonly residualHistory?: Float64Array[];
}

/**
 * Optional whole-loop fast paths a backend may offer for operators it understands. A hook
 * returns `null` when it cannot handle a problem, and the portable solver runs instead; solvers
 * decide by these capabilities, never by a backend's name.
 *
 * @example
 * ```ts
 * import type { SolverHooks } from "./types.ts";
 * const none: SolverHooks<never> = {};
 * ```
 */
export interface SolverHooks<A extends ArrayObject> {
  /** Fused conjugate gradients on a shared-pattern CSR operator, optionally Jacobi-preconditioned. */
  cg?(problem: CgKernelProblem<A>): Promise<CgKernelResult<A>> | null;
  /** The same, synchronously (used by `cgSync`; only for backends that compute on the host or
   * can wait for their device). */
  cgSync?(problem: CgKernelProblem<A>): CgKernelResult<A> | null;
}

/**
 * An array namespace: the standard's functions over one array type `A`, plus the project
 * extensions. Implementations: `cpu` (typed arrays), `await webgpu()` (GPU buffers),
 * `tfjsNamespace(tf)` (tfjs tensors), or your own (check it with `runConformance`).
 *
 * Rules every implementation follows:
 * - Broadcasting and type promotion follow the standard; a mismatch is a `RangeError` whose
 *   message names both shapes; an unsupported or mismatched dtype is a `TypeError` naming it.
 *   Mixing arrays of different namespaces is a `TypeError`.
 * - Functions return synchronously (a GPU backend records work and returns arrays whose
 *   contents are computed later). Only {@linkcode ArrayNamespace.toHost} waits.
 * - Host scalars (`number`, `boolean`) may stand for either operand of elementwise binary
 *   functions; they take the array's dtype (a non-integral number with an integer array is a
 *   `TypeError`).
 *
 * @typeParam A the array type of this namespace.
 *
 * @example
 * ```ts
 * import { cpu as xp } from "../backends/cpu/mod.ts";
 * const x = xp.asarray([3, 4]);
 * const n = xp.linalg.vector_norm(x);          // 0-d array
 * console.log(await xp.toHost(n));             // Float64Array [5]
 * ```
 */
export interface ArrayNamespace<A extends ArrayObject = ArrayObject> {
  // ---------------------------------------------------------------- identity & info
  /** Version of the array API standard this namespace follows (`"2025.12"`). */
  readonly __array_api_version__: string;
  /** A display name such as `"cpu"` or `"webgpu (NVIDIA H100)"`. Solvers never branch on it. */
  readonly name: string;
  /** Inspection API of the standard. */
  __array_namespace_info__(): NamespaceInfo;
  /** Euler's number. */
  readonly e: number;
  /** π. */
  readonly pi: number;
  /** Positive infinity. */
  readonly inf: number;
  /** Not-a-number. */
  readonly nan: number;
  /** `newaxis` of the standard (null), accepted by nothing here but provided for parity. */
  readonly newaxis: null;

  // ---------------------------------------------------------------- creation
  /** Converts nested JS arrays, typed arrays, scalars or arrays of this namespace. Typed-array
   * input keeps its dtype unless `dtype` is given (Float64Array→float64, Float32Array→float32,
   * Int32Array→int32, Uint8Array→uint8, …); nested numbers default to the default real
   * floating dtype, nested booleans to bool. Ragged nesting is a `RangeError`. */
  asarray(
    obj: A | NestedSequence | ArrayBufferView | ArrayLike<number>,
    options?: AsarrayOptions,
  ): A;
  /** Evenly spaced values in `[start, stop)`. */
  arange(start: number, stop?: number, step?: number, options?: CreationOptions): A;
  /** Uninitialised array (contents unspecified; may be zeros). */
  empty(shape: number | Shape, options?: CreationOptions): A;
  /** Uninitialised array shaped like `x`. */
  empty_like(x: A, options?: CreationOptions): A;
  /** Identity-like matrix with ones on diagonal `k`. */
  eye(nRows: number, nCols?: number | null, options?: CreationOptions & { k?: number }): A;
  /** Array filled with `fill_value`. */
  full(shape: number | Shape, fill_value: Scalar, options?: CreationOptions): A;
  /** Array shaped like `x` filled with `fill_value`. */
  full_like(x: A, fill_value: Scalar, options?: CreationOptions): A;
  /** `num` evenly spaced values from `start` to `stop`. */
  linspace(
    start: number,
    stop: number,
    num: number,
    options?: CreationOptions & { endpoint?: boolean },
  ): A;
  /** Array of ones. */
  ones(shape: number | Shape, options?: CreationOptions): A;
  /** Ones shaped like `x`. */
  ones_like(x: A, options?: CreationOptions): A;
  /** Array of zeros. */
  zeros(shape: number | Shape, options?: CreationOptions): A;
  /** Zeros shaped like `x`. */
  zeros_like(x: A, options?: CreationOptions): A;

  // ---------------------------------------------------------------- data types
  /** Converts to `dtype` (always copies unless `copy: false` and the dtype already matches). */
  astype(x: A, dtype: DType, options?: { copy?: boolean; device?: Device }): A;
  /** Whether `from` can be cast to `to` under the standard's promotion rules. */
  can_cast(from: DType | A, to: DType): boolean;
  /** Limits of a floating dtype. */
  finfo(type: DType | A): FInfo;
  /** Limits of an integer dtype. */
  iinfo(type: DType | A): IInfo;
  /** Whether `dtype` is of `kind` (or of one of several kinds, or equal to a dtype). */
  isdtype(dtype: DType, kind: DTypeKind | DType | readonly (DTypeKind | DType)[]): boolean;
  /** Result dtype of the standard's promotion rules. Scalars take part as in the standard. */
  result_type(...arrays_and_dtypes: (A | DType | Scalar)[]): DType;

  // ---------------------------------------------------------------- manipulation
  /** Broadcasts arrays against each other. */
  broadcast_arrays(...arrays: A[]): A[];
  /** Broadcasts `x` to `shape` (`RangeError` naming both shapes when impossible). */
  broadcast_to(x: A, shape: Shape): A;
  /** Broadcast shape of the given shapes (`RangeError` naming them when incompatible). */
  broadcast_shapes(...shapes: Shape[]): number[];
  /** Joins arrays along an existing axis (`axis: null` flattens first). */
  concat(arrays: readonly A[], options?: { axis?: number | null }): A;
  /** Inserts length-1 axes. */
  expand_dims(x: A, options?: { axis?: number | readonly number[] }): A;
  /** Reverses the order of elements along axes (all when absent). */
  flip(x: A, options?: { axis?: number | readonly number[] | null }): A;
  /** Moves axes to new positions. */
  moveaxis(x: A, source: number | readonly number[], destination: number | readonly number[]): A;
  /** Permutes axes. */
  permute_dims(x: A, axes: readonly number[]): A;
  /** Reshapes (one `-1` allowed). `copy: false` when a copy would be needed is a `RangeError`. */
  reshape(x: A, shape: Shape, options?: { copy?: boolean | null }): A;
  /** Removes length-1 axes (`RangeError` if an axis is not length 1). */
  squeeze(x: A, axis: number | readonly number[]): A;
  /** Joins arrays along a new axis. */
  stack(arrays: readonly A[], options?: { axis?: number }): A;
  /** Selects elements along an axis by integer indices (`x` 1-D when axis is absent). */
  take(x: A, indices: A, options?: { axis?: number }): A;
  /** Repeats `x` along each axis. */
  tile(x: A, repetitions: readonly number[]): A;

  // ---------------------------------------------------------------- elementwise
  /** |x|. */
  abs(x: A): A;
  /** x1 + x2. */
  add(x1: A | Scalar, x2: A | Scalar): A;
  /** Clamps to `[min, max]`. */
  clip(x: A, options?: { min?: number | A | null; max?: number | A | null }): A;
  /** Complex conjugate (identity for real dtypes). */
  conj(x: A): A;
  /** x1 / x2 (true division; integer inputs give the default float dtype). */
  divide(x1: A | Scalar, x2: A | Scalar): A;
  /** x1 == x2. */
  equal(x1: A | Scalar, x2: A | Scalar): A;
  /** eˣ. */
  exp(x: A): A;
  /** ⌊x⌋. */
  floor(x: A): A;
  /** x1 > x2. */
  greater(x1: A | Scalar, x2: A | Scalar): A;
  /** x1 ≥ x2. */
  greater_equal(x1: A | Scalar, x2: A | Scalar): A;
  /** √(x1² + x2²) without undue overflow. */
  hypot(x1: A | Scalar, x2: A | Scalar): A;
  /** Finite test. */
  isfinite(x: A): A;
  /** Infinity test. */
  isinf(x: A): A;
  /** NaN test. */
  isnan(x: A): A;
  /** x1 < x2. */
  less(x1: A | Scalar, x2: A | Scalar): A;
  /** x1 ≤ x2. */
  less_equal(x1: A | Scalar, x2: A | Scalar): A;
  /** Natural logarithm. */
  log(x: A): A;
  /** Logical and. */
  logical_and(x1: A | Scalar, x2: A | Scalar): A;
  /** Logical not. */
  logical_not(x: A): A;
  /** Logical or. */
  logical_or(x1: A | Scalar, x2: A | Scalar): A;
  /** Elementwise maximum (NaN propagates). */
  maximum(x1: A | Scalar, x2: A | Scalar): A;
  /** Elementwise minimum (NaN propagates). */
  minimum(x1: A | Scalar, x2: A | Scalar): A;
  /** x1 · x2. */
  multiply(x1: A | Scalar, x2: A | Scalar): A;
  /** −x. */
  negative(x: A): A;
  /** x1 != x2. */
  not_equal(x1: A | Scalar, x2: A | Scalar): A;
  /** x1 ** x2. */
  pow(x1: A | Scalar, x2: A | Scalar): A;
  /** Sign (−1, 0, 1; NaN for NaN). */
  sign(x: A): A;
  /** √x. */
  sqrt(x: A): A;
  /** x². */
  square(x: A): A;
  /** x1 − x2. */
  subtract(x1: A | Scalar, x2: A | Scalar): A;
  /** `condition ? x1 : x2` elementwise, broadcasting all three. */
  where(condition: A, x1: A | Scalar, x2: A | Scalar): A;

  // ---------------------------------------------------------------- reductions & search
  /** All true. */
  all(x: A, options?: Omit<ReductionOptions, "dtype">): A;
  /** Any true. */
  any(x: A, options?: Omit<ReductionOptions, "dtype">): A;
  /** Index of the maximum along an axis (flattened when absent). */
  argmax(x: A, options?: { axis?: number; keepdims?: boolean }): A;
  /** Index of the minimum along an axis (flattened when absent). */
  argmin(x: A, options?: { axis?: number; keepdims?: boolean }): A;
  /** Cumulative sum along an axis (required for arrays with more than one axis). */
  cumulative_sum(
    x: A,
    options?: { axis?: number; dtype?: DType; include_initial?: boolean },
  ): A;
  /** Maximum (NaN propagates; empty reduction is a `RangeError`). */
  max(x: A, options?: Omit<ReductionOptions, "dtype">): A;
  /** Arithmetic mean. */
  mean(x: A, options?: Omit<ReductionOptions, "dtype">): A;
  /** Minimum (NaN propagates; empty reduction is a `RangeError`). */
  min(x: A, options?: Omit<ReductionOptions, "dtype">): A;
  /** Product. */
  prod(x: A, options?: ReductionOptions): A;
  /** Sum (float32 input may accumulate in higher precision). */
  sum(x: A, options?: ReductionOptions): A;

  // ---------------------------------------------------------------- linear algebra
  /** Matrix product with the standard's 1-D promotion rules and batch broadcasting. */
  matmul(x1: A, x2: A): A;
  /** Swaps the last two axes. */
  matrix_transpose(x: A): A;
  /** Σ conj(x1)·x2 along `axis` (default −1), broadcasting the other axes. */
  vecdot(x1: A, x2: A, options?: { axis?: number }): A;
  /** The `linalg` extension. */
  readonly linalg: LinalgNamespace<A>;

  // ---------------------------------------------------------------- project extensions
  /**
   * Copies `x` to the host, row-major. The value is captured when `toHost` is *called*: later
   * work (including donations of `x`) does not change the result. A GPU backend submits its
   * recorded work and starts the copy at once; the promise settles when the data has arrived,
   * so a solver may record more work before awaiting it.
   */
  toHost(x: A): Promise<HostArray>;
  /**
   * Optional: a synchronous {@linkcode ArrayNamespace.toHost}, for namespaces that can read
   * values without waiting (CPU; tfjs through `dataSync`). Solvers' `*Sync` variants (e.g.
   * `cgSync`) need it; a GPU namespace that must wait for the device leaves it out.
   */
  toHostSync?(x: A): HostArray;
  /**
   * Releases arrays whose values are no longer needed (no-op on the CPU). Using a disposed
   * array afterwards is unspecified (an error on backends that free memory at once). Disposing
   * an array twice is harmless. Arrays returned by view-like functions (`reshape`,
   * `broadcast_to`, `expand_dims`, `squeeze`, …) are independent handles: disposing one never
   * invalidates another that shares its memory.
   */
  dispose(...arrays: A[]): void;
  /**
   * Optional fast path: runs a {@linkcode FusedProgram} over `inputs` (arrays or host numbers,
   * in `program.inputs` order), broadcasting them to one iteration shape `S`. Returns each
   * elementwise output (shape `S`, dtype: `dtype` for float nodes, int32 for int, bool for
   * bool) and each sum over the last axis of `S` (shape `S[:-1]`, float).
   * `out` donates arrays to receive outputs of the same name: the backend may write into them
   * (inputs at the same index are read before outputs are written) or release them; callers
   * use only the returned arrays afterwards. Namespaces without it get the portable fallback
   * of `fuse.ts`.
   */
  fuse?(
    program: FusedProgram,
    inputs: readonly (A | number)[],
    options: { dtype: FloatDType; out?: Readonly<Record<string, A>> },
  ): FusedResult<A>;
  /**
   * Optional kernel: `A @ x` for a batch of CSR matrices (see {@linkcode CsrData}). `x` is
   * `[...batchX, N]` and the backend must handle two cases: `A` has no batch dimensions
   * (every vector is multiplied by the one matrix), or `batchX` equals `A`'s batch shape. The
   * sparse layer reduces every other broadcast to these. `out` (`[...batch, M]`) is donated.
   */
  csrMatvec?(a: CsrData<A>, x: A, out?: A): A;
  /**
   * Optional kernel: `A @ X` with `X` `[...batchX, N, K]` → `[..., M, K]`, same batch cases as
   * {@linkcode ArrayNamespace.csrMatvec}.
   */
  csrMatmat?(a: CsrData<A>, x: A, out?: A): A;
  /** Optional whole-loop solver fast paths (see {@linkcode SolverHooks}). */
  readonly solvers?: SolverHooks<A>;
}

/**
 * The array type of a namespace type.
 *
 * @example
 * ```ts
 * import type { ArrayOf } from "./types.ts";
 * import type { cpu } from "../backends/cpu/mod.ts";
 * type CpuArr = ArrayOf<typeof cpu>;
 * ```
 */
export type ArrayOf<X> = X extends ArrayNamespace<infer A> ? A : never;
