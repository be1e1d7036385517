/**
 * The CPU backend: `cpu`, the embedded default namespace of `@krylov/linalg`. Arrays are
 * {@linkcode CpuArray}s — contiguous, row-major typed arrays (`Float64Array`, `Float32Array`,
 * `Int32Array`, …) with a shape — and every function of the array API standard is
 * implemented over them, plus `linalg` (LU, Cholesky, QR, eigh, SVD, lstsq), a compiling
 * `fuse` for fused elementwise programs, and CSR sparse kernels. numjs `NdArray`s and
 * `ndarray`-package arrays are accepted wherever an array is (duck-typed strided views);
 * {@linkcode toNumjs} / {@linkcode toNdarray} convert results back.
 *
 * Importing this module has no side effects; `cpu` is a plain value.
 *
 * @example
 * ```ts
 * import { cpu as xp } from "@krylov/linalg/backends/cpu";
 * const A = xp.asarray([[4, 1], [1, 3]]);
 * const b = xp.asarray([1, 2]);
 * const x = xp.linalg.solve(A, b);
 * console.log(x.data); // Float64Array(2) [0.0909…, 0.6363…] (zero-copy access)
 * ```
 *
 * @module
 */
export { cpu, type CpuNamespace } from "./cpu.ts";
export { CpuArray } from "./cpu_array.ts";
export {
  fromNdarray,
  isNdarray,
  type NdArrayClass,
  type NdarrayFactory,
  toNdarray,
  type ToNdarrayOptions,
  toNumjs,
} from "./ndarray_interop.ts";
// The interface types that the CPU API refers to (documentation completeness).
export type * from "../../array_api/types.ts";
