/**
 * The array-API namespace interface and the helpers shared by every backend: dtype promotion,
 * broadcasting, namespace discovery, fused elementwise programs, and the conformance suite
 * that any namespace (ours or yours) can run.
 *
 * @example
 * ```ts
 * import { namespaceOf } from "@krylov/linalg/array-api";
 * import { cpu } from "@krylov/linalg/backends/cpu";
 * const xp = namespaceOf(cpu.ones([2, 2]))!;
 * console.log(xp.name); // cpu
 * ```
 *
 * @module
 */
export type * from "./types.ts";
export * from "./dtypes.ts";
export * from "./shapes.ts";
export * from "./namespace_of.ts";
export * from "./fuse.ts";
export * from "./conformance.ts";
