/**
 * The array type of the tfjs namespace: a thin wrapper around one `tf.Tensor`.
 *
 * @module
 */
import type { ArrayNamespace, ArrayObject, Device, DType, Shape } from "../../array_api/types.ts";
import { fmtShape } from "../../array_api/shapes.ts";
import type { TfTensor } from "./tf_like.ts";

const API_VERSIONS: readonly string[] = ["2023.12", "2024.12", "2025.12"];

/**
 * An array of a tfjs namespace: wraps one tfjs tensor (`float32`, `int32` or `bool`) without
 * patching `tf.Tensor`. The wrapper *owns* its tensor: `xp.dispose(x)` disposes it, and every
 * namespace function returns a wrapper around a fresh tensor (never an input's tensor), so
 * each wrapper can be disposed independently.
 *
 * Create them with the namespace functions, or from existing tensors with `fromTfjs`; get a
 * tensor you own back with `toTfjs`. `x.tensor` borrows the wrapped tensor (do not dispose it;
 * dispose the wrapper instead).
 *
 * @typeParam T the tfjs tensor type (`tf.Tensor`).
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * import { tfjsNamespace } from "./mod.ts";
 * const xp = tfjsNamespace(tf);
 * const x = xp.asarray([[1, 2], [3, 4]]);
 * console.log(x.shape, x.dtype, x.tensor.shape); // [2, 2] float32 [2, 2]
 * xp.dispose(x);
 * ```
 */
export class TfjsArray<T extends TfTensor = TfTensor> implements ArrayObject {
  /** The wrapped tfjs tensor (borrowed: dispose the wrapper, not the tensor). */
  readonly tensor: T;
  /** Shape of the array, one entry per axis. */
  readonly shape: Shape;
  /** Data type (`float32`, `int32` or `bool`). */
  readonly dtype: DType;
  /** Device (`"tfjs:<backend>"`, the tfjs backend active when the array was made). */
  readonly device: Device;
  /** Number of axes. */
  readonly ndim: number;
  /** Number of elements. */
  readonly size: number;
  readonly #ns: ArrayNamespace<TfjsArray<T>>;

  /**
   * Wraps `tensor` (internal: use the namespace functions or `fromTfjs`). Takes ownership.
   *
   * @param ns the namespace the array belongs to.
   * @param tensor a float32, int32 or bool tfjs tensor.
   * @param device the device string.
   */
  constructor(ns: ArrayNamespace<TfjsArray<T>>, tensor: T, device: Device) {
    const dt = tensor.dtype;
    if (dt !== "float32" && dt !== "int32" && dt !== "bool") {
      throw new TypeError(`tfjs tensors of dtype ${dt} are not supported (float32, int32, bool)`);
    }
    this.tensor = tensor;
    this.shape = Object.freeze(tensor.shape.slice());
    this.dtype = dt;
    this.device = device;
    this.ndim = this.shape.length;
    this.size = tensor.size;
    this.#ns = ns;
  }

  /** Whether the wrapped tensor has been disposed. */
  get isDisposed(): boolean {
    return this.tensor.isDisposed;
  }

  /**
   * Returns the namespace that created this array (array API standard).
   *
   * @param options `api_version`: a supported standard revision (`"2023.12"` … `"2025.12"`).
   */
  __array_namespace__(options?: { api_version?: string }): ArrayNamespace<TfjsArray<T>> {
    const v = options?.api_version;
    if (v !== undefined && v !== null && !API_VERSIONS.includes(v)) {
      throw new RangeError(
        `unsupported array API version ${JSON.stringify(v)} (supported: ${
          API_VERSIONS.join(", ")
        })`,
      );
    }
    return this.#ns;
  }

  /** A short description such as `TfjsArray(float32, (2, 3), tfjs:cpu)`. */
  toString(): string {
    return `TfjsArray(${this.dtype}, ${fmtShape(this.shape)}, ${this.device}` +
      (this.tensor.isDisposed ? ", disposed)" : ")");
  }
}
