/**
 * `@krylov/linalg`: SciPy's `scipy.sparse.linalg` for TypeScript — batched Krylov solvers,
 * batched `LinearOperator`, sparse arrays — written once against an array-API-standard
 * namespace, so the same solver runs on JS typed arrays (`cpu`, the default), on WebGPU
 * buffers (`await webgpu()`, from `@krylov/linalg/backends/webgpu`), on tfjs tensors
 * (`tfjsNamespace(tf)`, from `@krylov/linalg/backends/tfjs`), or on your own backend.
 *
 * @example
 * ```ts
 * import { cg, cpu, csrArray, jacobi } from "@krylov/linalg";
 * const A = csrArray({ data: [4, -1, -1, 4, -1, -1, 4], indices: [0, 1, 0, 1, 2, 1, 2],
 *   indptr: [0, 2, 5, 7] }, { shape: [3, 3] });
 * const b = cpu.asarray([[1, 2, 3], [3, 2, 1]]);            // two right-hand sides
 * const r = await cg(A, b, { rtol: 1e-10, M: jacobi(A) });
 * console.log(r.info, r.iterations, await cpu.toHost(r.x));
 * ```
 *
 * @module
 */
export * from "./linalg/mod.ts";
export * from "./sparse/mod.ts";
export { cpu, CpuArray, type CpuNamespace } from "./backends/cpu/mod.ts";
export {
  type ConformanceCase,
  conformanceCases,
  type ConformanceOptions,
  type ConformanceReport,
  namespaceOf,
  runConformance,
} from "./array_api/mod.ts";
