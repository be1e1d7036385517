/**
 * The array-API namespace over TensorFlow.js tensors. This package never imports tfjs: pass
 * your own `tf` module (any backend) to {@linkcode tfjsNamespace}, and move tensors in and out
 * with {@linkcode fromTfjs} / {@linkcode toTfjs}. {@linkcode sparseSolve} makes a sparse solve
 * differentiable by `tf.grad` (adjoint method); {@linkcode registerTfjsWebgpu},
 * {@linkcode webgpuToTfjs} and {@linkcode tfjsToWebgpu} exchange data with the WebGPU backend on
 * one device.
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * import { fromTfjs, tfjsNamespace, toTfjs } from "@krylov/linalg/backends/tfjs";
 * const xp = tfjsNamespace(tf);
 * const x = fromTfjs(xp, tf.tensor1d([3, 4]));
 * const n = xp.linalg.vector_norm(x);
 * console.log(await xp.toHost(n)); // Float32Array [5]
 * const t = toTfjs(n); // a tensor you own
 * xp.dispose(x, n);
 * t.dispose();
 * ```
 *
 * @module
 */
export { type TfjsNamespace, tfjsNamespace } from "./tfjs_namespace.ts";
export { TfjsArray } from "./tfjs_array.ts";
export { fromTfjs } from "./from_tfjs.ts";
export { toTfjs } from "./to_tfjs.ts";
export type { TfDType, TfModule, TfTensor } from "./tf_like.ts";
export {
  type SparsePattern,
  sparseSolve,
  type SparseSolveFn,
  type SparseSolveOptions,
  type SparseSolveStats,
  type TfGradModule,
} from "./sparse_solve.ts";
export {
  registerTfjsWebgpu,
  type TfGpuTensor,
  tfjsToWebgpu,
  type TfWebgpuBackendClass,
  type TfWebgpuModule,
  webgpuToTfjs,
} from "./webgpu_bridge.ts";
// The WebGPU types that the bridge refers to (documentation completeness; types only).
export type {
  WebGpuArray,
  WebGpuCgChunk,
  WebGpuCgStats,
  WebGpuCgTuning,
  WebGpuNamespace,
  WebGpuSolvers,
  WebGpuStats,
} from "../webgpu/mod.ts";
// The interface types that the tfjs API refers to (documentation completeness).
export type * from "../../array_api/types.ts";
