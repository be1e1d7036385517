/**
 * `aslinearoperator`: turns operators, sparse arrays, dense arrays and duck-typed objects into
 * a `LinearOperator`.
 *
 * @module
 */
import { ndarrayInto } from "../backends/cpu/_ndarray_interop.ts";
import type { ArrayNamespace, ArrayObject, DType, NestedSequence } from "../array_api/types.ts";
import { isArrayObject } from "../array_api/namespace_of.ts";
import { cpu, type CpuArray } from "../backends/cpu/mod.ts";
import type { OperatorLike } from "./types.ts";
import { LinearOperator, type OperatorFn } from "./linear_operator.ts";
import { MatrixOperator } from "./matrix_operator.ts";
import { describe, isOperatorLike, operatorLikeOptions } from "./_linear_operator_ops.ts";

/**
 * Options of {@linkcode aslinearoperator}.
 *
 * @example
 * ```ts
 * import type { AsLinearOperatorOptions } from "./aslinearoperator.ts";
 * const o: AsLinearOperatorOptions = { dtype: "float32" };
 * ```
 */
export interface AsLinearOperatorOptions<A extends ArrayObject = CpuArray> {
  /** Namespace for nested JS arrays and for duck-typed objects without `xp` (default `cpu`). */
  readonly xp?: ArrayNamespace<A>;
  /** dtype for nested JS arrays (default: the namespace's default float dtype). */
  readonly dtype?: DType;
}

/**
 * An object with `shape` and `matvec` (SciPy's duck typing); `dtype`, `xp`, `matmat`,
 * `rmatvec`, `rmatmat` and `diagonal` are used when present.
 *
 * @example
 * ```ts
 * import type { OperatorDuck } from "./aslinearoperator.ts";
 * import { cpu, type CpuArray } from "../backends/cpu/mod.ts";
 * const d: OperatorDuck<CpuArray> = { shape: [2, 2], matvec: (x) => cpu.multiply(x, 2) };
 * ```
 */
export interface OperatorDuck<A extends ArrayObject = CpuArray> {
  /** `[...batch, M, N]`. */
  readonly shape: readonly number[];
  /** `A x`. */
  matvec: OperatorFn<A>;
  /** Result dtype (inferred when absent). */
  readonly dtype?: DType;
  /** Namespace (the option `xp`, else `cpu`, when absent). */
  readonly xp?: ArrayNamespace<A>;
  /** `A X`. */
  matmat?: OperatorFn<A>;
  /** `Aᴴ x`. */
  rmatvec?: OperatorFn<A>;
  /** `Aᴴ X`. */
  rmatmat?: OperatorFn<A>;
  /** Main diagonal `[...batch, min(M, N)]`. */
  diagonal?: () => A;
}

/**
 * Returns `A` as a {@linkcode LinearOperator} (SciPy's `aslinearoperator`):
 *
 * - a `LinearOperator` is returned as is;
 * - an `OperatorLike` (e.g. a sparse array) or any object with `shape` and `matvec` is wrapped,
 *   keeping its `matmat`, `rmatvec`, `rmatmat` and `diagonal` (so `jacobi` works on it);
 * - a dense array `(..., M, N)` of any namespace becomes a {@linkcode MatrixOperator};
 * - nested JS arrays, `ndarray`-package arrays and numjs `NdArray`s (duck-typed strided views)
 *   are converted with `options.xp` (default `cpu`) first.
 *
 * Anything else is a `TypeError` naming what was received.
 *
 * @example
 * ```ts
 * import { aslinearoperator } from "./aslinearoperator.ts";
 * import { cpu } from "../backends/cpu/mod.ts";
 * const A = aslinearoperator([[4, 1], [1, 3]]);
 * const B = aslinearoperator({ shape: [2, 2], matvec: (x: ReturnType<typeof cpu.asarray>) => cpu.multiply(x, 2) });
 * console.log(await cpu.toHost(A.add(B).matvec(cpu.asarray([1, 1])))); // Float64Array [7, 6]
 * ```
 */
export function aslinearoperator<A extends ArrayObject = CpuArray>(
  A: NestedSequence,
  options?: AsLinearOperatorOptions<A>,
): LinearOperator<A>;
/** Wraps an operator, operator-like object or dense array (see above). */
export function aslinearoperator<A extends ArrayObject>(
  A: LinearOperator<A> | OperatorLike<A> | OperatorDuck<A> | A,
  options?: AsLinearOperatorOptions<A>,
): LinearOperator<A>;
/** Implementation of the overloads above. */
export function aslinearoperator<A extends ArrayObject>(
  A: LinearOperator<A> | OperatorLike<A> | OperatorDuck<A> | A | NestedSequence,
  options: AsLinearOperatorOptions<A> = {},
): LinearOperator<A> {
  if (A instanceof LinearOperator) return A as LinearOperator<A>;
  if (isArrayObject(A)) return new MatrixOperator(A as A, options);
  if (Array.isArray(A)) return new MatrixOperator(A as NestedSequence, options);
  // an `ndarray`-package array or a numjs NdArray: a dense matrix, read through its strides
  const nd = ndarrayInto(
    A,
    options.xp ?? (cpu as unknown as ArrayNamespace<A>),
    options.dtype,
    "aslinearoperator",
  );
  if (nd) return new MatrixOperator(nd, options);
  if (isOperatorLike(A)) {
    const xp = options.xp ?? (cpu as unknown as ArrayNamespace<A>);
    return new LinearOperator(operatorLikeOptions(A as OperatorLike<A>, xp));
  }
  let hint = "";
  if (typeof A === "object" && A !== null) {
    const o = A as { shape?: unknown; matvec?: unknown };
    if (o.shape !== undefined && typeof o.matvec !== "function") {
      hint = " (it has a shape but no matvec function)";
    } else if (typeof o.matvec === "function") hint = " (it has matvec but no shape array)";
  }
  throw new TypeError(
    `aslinearoperator: expected a LinearOperator, an OperatorLike (e.g. a sparse array), a ` +
      `dense array (..., M, N), nested JS arrays, or an object with shape and matvec; got ${
        describe(A)
      }${hint}`,
  );
}
