/**
 * The Jacobi (diagonal) preconditioner `M = D⁻¹`, batched.
 *
 * @module
 */
import type { ArrayObject, NestedSequence } from "../array_api/types.ts";
import { broadcastShapes, fmtShape, shapesEqual } from "../array_api/shapes.ts";
import { isArrayObject } from "../array_api/namespace_of.ts";
import type { CpuArray } from "../backends/cpu/mod.ts";
import type { OperatorLike } from "./types.ts";
import type { LinearOperator } from "./linear_operator.ts";
import { aslinearoperator, type OperatorDuck } from "./aslinearoperator.ts";
import { DiagonalOperator } from "./diagonal_operator.ts";
import { describe } from "./_linear_operator_ops.ts";

/**
 * Options of {@linkcode jacobi}.
 *
 * @example
 * ```ts
 * import type { JacobiOptions } from "./jacobi.ts";
 * import { cpu, type CpuArray } from "../backends/cpu/mod.ts";
 * const o: JacobiOptions<CpuArray> = { diagonal: cpu.asarray([4, 4, 4]) };
 * ```
 */
export interface JacobiOptions<A extends ArrayObject = CpuArray> {
  /** The diagonal of `A`, `(...batch, n)` (or broadcasting to it), for operators whose diagonal
   * is not known (matrix-free ones). Overrides `A.diagonal()`. */
  readonly diagonal?: A;
}

/** A `DiagonalOperator` that owns its (inverted) diagonal. */
class JacobiPreconditioner<A extends ArrayObject> extends DiagonalOperator<A> {
  constructor(inverse: A) {
    super(inverse);
    this._own(inverse);
  }
}

/**
 * The Jacobi preconditioner of a square (batched) operator: a {@linkcode DiagonalOperator}
 * applying `D⁻¹ x = x / diag(A)` to each system of the batch (its `matvec` writes into a donated
 * `out` when dtypes match). `A` is anything {@linkcode aslinearoperator} accepts whose diagonal
 * is cheaply known (identity, diagonal, dense, sparse arrays, and sums/scalings of those), or
 * any square operator together with `options.diagonal`.
 *
 * The reciprocal `1 / diag(A)` is computed once, on the operator's namespace; the call is
 * synchronous and reads nothing back to the host.
 *
 * Zero diagonal entries are not checked (that would need a host readback): they give infinite
 * reciprocals, so applying the preconditioner yields `±Infinity` (or `NaN` where the vector
 * entry is 0) in that system only. A Krylov solver then sees a non-finite inner product and
 * reports a breakdown for that system instead of returning a silently wrong answer; the other
 * systems of the batch are unaffected. Call `dispose()` on the result to release the reciprocal
 * on GPU namespaces.
 *
 * @example
 * ```ts
 * import { jacobi } from "./jacobi.ts";
 * import { cpu } from "../backends/cpu/mod.ts";
 * const A = cpu.asarray([[[4, 1], [1, 2]], [[8, 0], [0, 5]]]); // two 2×2 systems
 * const M = jacobi(A);
 * console.log(await cpu.toHost(M.matvec(cpu.asarray([1, 1])))); // Float64Array [0.25, 0.5, 0.125, 0.2]
 * ```
 */
export function jacobi<A extends ArrayObject = CpuArray>(
  A: NestedSequence,
  options?: JacobiOptions<A>,
): DiagonalOperator<A>;
/** The Jacobi preconditioner of an operator, operator-like object or dense array. */
export function jacobi<A extends ArrayObject>(
  A: LinearOperator<A> | OperatorLike<A> | OperatorDuck<A> | A,
  options?: JacobiOptions<A>,
): DiagonalOperator<A>;
/** Implementation of the overloads above. */
export function jacobi<A extends ArrayObject>(
  A: LinearOperator<A> | OperatorLike<A> | OperatorDuck<A> | A | NestedSequence,
  options: JacobiOptions<A> = {},
): DiagonalOperator<A> {
  const op = aslinearoperator(A as A);
  const xp = op.xp;
  const [M, N] = op.shape.slice(-2);
  if (M !== N) {
    throw new RangeError(
      `jacobi: the operator of shape ${fmtShape(op.shape)} is not square (${M}×${N})`,
    );
  }
  const given = options.diagonal;
  let d: A;
  let owned: boolean;
  if (given !== undefined && given !== null) {
    if (!isArrayObject(given)) {
      throw new TypeError(`jacobi: options.diagonal must be an array, got ${describe(given)}`);
    }
    if (given.__array_namespace__() !== xp) {
      throw new TypeError(
        `jacobi: options.diagonal belongs to namespace ${given.__array_namespace__().name} ` +
          `but the operator works on ${xp.name}`,
      );
    }
    const want = [...op.batchShape, N];
    let ok = given.ndim >= 1 && given.shape[given.ndim - 1] === N;
    if (ok) {
      try {
        broadcastShapes([given.shape, want]);
      } catch {
        ok = false;
      }
    }
    if (!ok) {
      throw new RangeError(
        `jacobi: options.diagonal has shape ${fmtShape(given.shape)}, which does not fit the ` +
          `operator of shape ${fmtShape(op.shape)} (expected ${fmtShape(want)} or a shape ` +
          `broadcasting to it)`,
      );
    }
    d = given;
    owned = false;
  } else if (op.diagonal) {
    d = op.diagonal();
    owned = true;
  } else {
    throw new TypeError(
      `jacobi: the diagonal of ${op} is not known (matrix-free operator). Pass it as ` +
        `jacobi(A, { diagonal: d }) with d of shape ${fmtShape([...op.batchShape, N])}, or ` +
        `construct the operator with new LinearOperator({ ..., diagonal: d })`,
    );
  }
  const inv = xp.divide(1, d);
  if (owned) xp.dispose(d);
  // keep the operator's batch shape even when the diagonal broadcasts against it
  const want = [...broadcastShapes([op.batchShape, inv.shape.slice(0, -1)]), N];
  if (!shapesEqual(inv.shape, want)) {
    const b = xp.broadcast_to(inv, want);
    const full = xp.astype(b, inv.dtype, { copy: true });
    xp.dispose(b, inv);
    return new JacobiPreconditioner(full);
  }
  return new JacobiPreconditioner(inv);
}
