/**
 * Sparse arrays for `@krylov/linalg`: batched CSR and COO arrays on any array namespace,
 * Matrix Market I/O, and a gallery of test problems.
 *
 * - {@linkcode csrArray} / {@linkcode cooArray} build sparse arrays of shape `[...batch, M, N]`
 *   from CSR or COO index arrays, dense nested arrays, or dense namespace arrays. Batch axes
 *   share one sparsity pattern (`data` is `[...batch, nnz]`): the fast path for many systems
 *   on one mesh. {@linkcode stackSparse} makes a batch of matrices with different patterns
 *   (one block-diagonal CSR).
 * - The structure lives on the host (`Int32Array`); values live on the namespace. Products
 *   (`matvec`, `matmat`, `rmatvec`, `rmatmat`) broadcast batch axes like SciPy 1.18, use the
 *   namespace's `csrMatvec`/`csrMatmat` kernels when present and a portable gather-and-sum
 *   built from standard functions otherwise. Sparse arrays implement `OperatorLike`, so
 *   solvers and `aslinearoperator` accept them.
 * - {@linkcode readMatrixMarket} / {@linkcode writeMatrixMarket} read and write `.mtx` files.
 * - {@linkcode poisson1d}, {@linkcode poisson2d}, {@linkcode poisson3d},
 *   {@linkcode poisson3d27}, {@linkcode anisotropicDiffusion}, {@linkcode convectionDiffusion},
 *   {@linkcode randomSpd}, {@linkcode trefethen}: canonical CSR test problems.
 *
 * @example
 * ```ts
 * import { poisson2d } from "@krylov/linalg/sparse";
 * import { cpu } from "@krylov/linalg/backends/cpu";
 * const A = poisson2d(32);                                   // 1024 × 1024, 5-point
 * const many = A.withData(cpu.stack([A.data, cpu.multiply(A.data, 2)])); // batch of 2
 * const y = many.matvec(cpu.ones([1024]));                   // shape [2, 1024]
 * console.log(y.shape);
 * ```
 *
 * @module
 */
export {
  type CooInput,
  CsrArray,
  csrArray,
  type CsrInput,
  type DataInput,
  type ProductInput,
  type SparseLayout,
  type SparseOptions,
} from "./csr_array.ts";
export { CooArray, cooArray } from "./coo_array.ts";
export { stackSparse, type StackSparseOptions } from "./stack_sparse.ts";
export type { IndexInput } from "./_input.ts";
export {
  type MatrixMarketField,
  type MatrixMarketInfo,
  type MatrixMarketResult,
  type MatrixMarketSymmetry,
  readMatrixMarket,
  type ReadMatrixMarketOptions,
  writeMatrixMarket,
  type WriteMatrixMarketOptions,
} from "./matrix_market.ts";
export {
  anisotropicDiffusion,
  type AnisotropicOptions,
  convectionDiffusion,
  type ConvectionDiffusionOptions,
  type GalleryOptions,
  mulberry32,
  poisson1d,
  poisson2d,
  poisson3d,
  poisson3d27,
  randomSpd,
  type RandomSpdOptions,
  trefethen,
} from "./gallery.ts";
// The interface types that the sparse API refers to (documentation completeness).
export type * from "../array_api/types.ts";
export type { OperatorLike } from "../linalg/types.ts";
export type { CpuArray, CpuNamespace } from "../backends/cpu/mod.ts";
