/**
 * The slice of the TensorFlow.js API that the tfjs namespace uses, typed structurally so that
 * this package never imports tfjs: users pass their own `tf` module (any version 4.x, any
 * backend: `cpu`, `wasm`, `webgl`, `webgpu`), and TypeScript checks it against
 * {@linkcode TfModule}.
 *
 * @module
 */

/**
 * The tfjs data types this package uses (tfjs also has `complex64` and `string`, which the
 * namespace refuses).
 *
 * @example
 * ```ts
 * import type { TfDType } from "./tf_like.ts";
 * const dt: TfDType = "float32";
 * ```
 */
export type TfDType = "float32" | "int32" | "bool";

/**
 * The members of a `tf.Tensor` that this package reads. Every real `tf.Tensor` satisfies it.
 *
 * @example
 * ```ts
 * import type { TfTensor } from "./tf_like.ts";
 * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * const t: TfTensor = tf.zeros([2]);
 * t.dispose();
 * ```
 */
export interface TfTensor {
  /** Shape of the tensor. */
  readonly shape: number[];
  /** tfjs dtype name (`"float32"`, `"int32"`, `"bool"`, …). */
  readonly dtype: string;
  /** Number of elements. */
  readonly size: number;
  /** Number of axes. */
  readonly rank: number;
  /** Whether `dispose()` has released it. */
  readonly isDisposed: boolean;
  /** Asynchronous download of the values (a backend-owned typed array; copy before mutating). */
  data(): Promise<unknown>;
  /** Synchronous download of the values (blocks on GPU backends). */
  dataSync(): unknown;
  /** Releases the tensor (its buffer when no other tensor shares it). */
  dispose(): void;
}

/**
 * The functions of the `tf` module that the namespace calls, over tensors of type `T`
 * (`tf.Tensor` for the real module). Passing `import * as tf from "@tensorflow/tfjs"`
 * satisfies it; so does `@tensorflow/tfjs-core` with a backend registered (gradients of later
 * features need the full package).
 *
 * @typeParam T the module's tensor type.
 *
 * @example
 * ```ts
 * import type { TfModule, TfTensor } from "./tf_like.ts";
 * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * const m: TfModule<tf.Tensor> = tf;
 * ```
 */
export interface TfModule<T extends TfTensor = TfTensor> {
  /** The tensor class (used only to infer `T`). */
  readonly Tensor: { readonly prototype: T };
  /** Creates a tensor from host values. */
  tensor(
    values: Float32Array | Int32Array | Uint8Array | number[] | boolean[],
    shape?: number[],
    dtype?: TfDType,
  ): T;
  /** Creates a 0-d tensor. */
  scalar(value: number | boolean, dtype?: TfDType): T;
  /** Tensor of zeros. */
  zeros(shape: number[], dtype?: TfDType): T;
  /** Tensor of ones. */
  ones(shape: number[], dtype?: TfDType): T;
  /** Tensor filled with a value. */
  fill(shape: number[], value: number, dtype?: TfDType): T;
  /** New tensor handle sharing the buffer. */
  clone(x: T): T;
  /** Converts the dtype. */
  cast(x: T, dtype: TfDType): T;
  /** Reshapes (shares the buffer). */
  reshape(x: T, shape: number[]): T;
  /** Broadcasts to a shape. */
  broadcastTo(x: T, shape: number[]): T;
  /** Concatenates along an axis. */
  concat(tensors: T[], axis?: number): T;
  /** Stacks along a new axis. */
  stack(tensors: T[], axis?: number): T;
  /** Reverses along axes. */
  reverse(x: T, axis?: number | number[]): T;
  /** Permutes axes. */
  transpose(x: T, perm?: number[]): T;
  /** Gathers slices along an axis. */
  gather(x: T, indices: T, axis?: number): T;
  /** Repeats along axes. */
  tile(x: T, reps: number[]): T;
  /** Pads with a constant. */
  pad(x: T, paddings: Array<[number, number]>, constantValue?: number): T;
  /** Elementwise |x|. */
  abs(x: T): T;
  /** Elementwise −x. */
  neg(x: T): T;
  /** Elementwise √x. */
  sqrt(x: T): T;
  /** Elementwise x². */
  square(x: T): T;
  /** Elementwise eˣ. */
  exp(x: T): T;
  /** Elementwise ln x. */
  log(x: T): T;
  /** Elementwise ⌊x⌋. */
  floor(x: T): T;
  /** Elementwise sign. */
  sign(x: T): T;
  /** NaN test. */
  isNaN(x: T): T;
  /** Infinity test. */
  isInf(x: T): T;
  /** Finite test. */
  isFinite(x: T): T;
  /** Logical not. */
  logicalNot(x: T): T;
  /** a + b. */
  add(a: T, b: T): T;
  /** a − b. */
  sub(a: T, b: T): T;
  /** a · b. */
  mul(a: T, b: T): T;
  /** a / b. */
  div(a: T, b: T): T;
  /** a ** b. */
  pow(a: T, b: T): T;
  /** Elementwise maximum. */
  maximum(a: T, b: T): T;
  /** Elementwise minimum. */
  minimum(a: T, b: T): T;
  /** a == b. */
  equal(a: T, b: T): T;
  /** a != b. */
  notEqual(a: T, b: T): T;
  /** a > b. */
  greater(a: T, b: T): T;
  /** a ≥ b. */
  greaterEqual(a: T, b: T): T;
  /** a < b. */
  less(a: T, b: T): T;
  /** a ≤ b. */
  lessEqual(a: T, b: T): T;
  /** Logical and. */
  logicalAnd(a: T, b: T): T;
  /** Logical or. */
  logicalOr(a: T, b: T): T;
  /** `condition ? a : b`, broadcasting. */
  where(condition: T, a: T, b: T): T;
  /** Sum over axes. */
  sum(x: T, axis?: number | number[], keepDims?: boolean): T;
  /** Product over axes. */
  prod(x: T, axis?: number | number[], keepDims?: boolean): T;
  /** Maximum over axes. */
  max(x: T, axis?: number | number[], keepDims?: boolean): T;
  /** Minimum over axes. */
  min(x: T, axis?: number | number[], keepDims?: boolean): T;
  /** Mean over axes. */
  mean(x: T, axis?: number | number[], keepDims?: boolean): T;
  /** Logical or over axes. */
  any(x: T, axis?: number | number[], keepDims?: boolean): T;
  /** Index of the maximum along an axis. */
  argMax(x: T, axis?: number): T;
  /** Index of the minimum along an axis. */
  argMin(x: T, axis?: number): T;
  /** Cumulative sum along an axis. */
  cumsum(x: T, axis?: number, exclusive?: boolean, reverse?: boolean): T;
  /** Batched matrix product. */
  matMul(a: T, b: T, transposeA?: boolean, transposeB?: boolean): T;
  /** Runs `fn`, disposing every tensor it creates except the returned ones. */
  tidy<R extends T | T[] | { [key: string]: T }>(fn: () => R): R;
  /** Marks a tensor as surviving the enclosing `tidy`. */
  keep(x: T): T;
  /** Memory bookkeeping (`numTensors` counts live tensor handles). */
  memory(): { numTensors: number; numBytes: number };
  /** Name of the active backend (`"cpu"`, `"webgl"`, …). */
  getBackend(): string;
}
