/**
 * Krylov solvers and linear operators: SciPy's `scipy.sparse.linalg` iterative solvers,
 * batched, written against the array-API namespace interface so they run on every backend.
 *
 * - Solvers (SciPy's `scipy.sparse.linalg` isolve family, batched): {@linkcode cg},
 *   {@linkcode gmres}, {@linkcode bicgstab}, {@linkcode bicg}, {@linkcode cgs}, {@linkcode qmr},
 *   {@linkcode tfqmr}, {@linkcode lgmres}, {@linkcode gcrotmk}, {@linkcode minres}, and the
 *   least-squares solvers {@linkcode lsqr}, {@linkcode lsmr}.
 * - Each solver has a synchronous twin with the same arguments and result, for namespaces that
 *   can read arrays back at once (CPU, tfjs; e.g. inside `tf.customGrad`): {@linkcode cgSync},
 *   {@linkcode gmresSync}, {@linkcode bicgstabSync}, {@linkcode bicgSync}, {@linkcode cgsSync},
 *   {@linkcode qmrSync}, {@linkcode tfqmrSync}, {@linkcode lgmresSync}, {@linkcode gcrotmkSync},
 *   {@linkcode minresSync}, {@linkcode lsqrSync}, {@linkcode lsmrSync}.
 * - Operators: {@linkcode LinearOperator} (batched, composable), {@linkcode aslinearoperator},
 *   {@linkcode MatrixOperator}, {@linkcode DiagonalOperator}, {@linkcode IdentityOperator},
 *   and the {@linkcode jacobi} preconditioner.
 *
 * @example
 * ```ts
 * import { cg, jacobi } from "@krylov/linalg/linalg";
 * import { poisson2d } from "@krylov/linalg/sparse";
 * import { cpu as xp } from "@krylov/linalg/backends/cpu";
 * const A = poisson2d(32);
 * const r = await cg(A, xp.ones([4, 1024]), { rtol: 1e-8, M: jacobi(A) });
 * console.log(r.info, r.iterations, r.residualNorm);
 * ```
 *
 * @module
 */
export * from "./types.ts";
export { cg, type CgOptions, cgSync } from "./cg.ts";
export { bicg, type BicgOptions, bicgSync } from "./bicg.ts";
export { bicgstab, type BicgstabOptions, bicgstabSync } from "./bicgstab.ts";
export { cgs, type CgsOptions, cgsSync } from "./cgs.ts";
export {
  INFO_QMR_DELTA,
  INFO_QMR_EPSILON,
  INFO_QMR_GAMMA,
  INFO_QMR_XI,
  qmr,
  type QmrOptions,
  qmrSync,
} from "./qmr.ts";
export { INFO_TFQMR_BREAKDOWN, tfqmr, type TfqmrOptions, tfqmrSync } from "./tfqmr.ts";
export { gmres, type GmresCallbackType, type GmresOptions, gmresSync } from "./gmres.ts";
export {
  INFO_PRECONDITIONER_ZERO,
  lgmres,
  type LgmresOptions,
  type LgmresOuterVector,
  lgmresSync,
} from "./lgmres.ts";
export { gcrotmk, type GcrotmkCU, type GcrotmkOptions, gcrotmkSync } from "./gcrotmk.ts";
export {
  INFO_INDEFINITE_PRECONDITIONER,
  minres,
  type MinresOptions,
  type MinresResult,
  minresSync,
} from "./minres.ts";
export { lsqr, type LsqrOptions, type LsqrResult, lsqrSync } from "./lsqr.ts";
export { lsmr, type LsmrOptions, type LsmrResult, lsmrSync } from "./lsmr.ts";
export { LinearOperator, type LinearOperatorOptions, type OperatorFn } from "./linear_operator.ts";
export {
  aslinearoperator,
  type AsLinearOperatorOptions,
  type OperatorDuck,
} from "./aslinearoperator.ts";
export { MatrixOperator, type MatrixOperatorOptions } from "./matrix_operator.ts";
export { DiagonalOperator, type DiagonalOperatorOptions } from "./diagonal_operator.ts";
export {
  IdentityOperator,
  identityOperator,
  type IdentityOperatorOptions,
} from "./identity_operator.ts";
export { jacobi, type JacobiOptions } from "./jacobi.ts";
export { solveVjp, type SolveVjpOptions, type SolveVjpResult, solveVjpSync } from "./solve_vjp.ts";
