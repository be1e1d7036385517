/**
 * `fromTfjs`: wraps an existing tfjs tensor as an array of a tfjs namespace.
 *
 * @module
 */
import { TfjsArray } from "./tfjs_array.ts";
import type { TfjsNamespace } from "./tfjs_namespace.ts";
import type { TfTensor } from "./tf_like.ts";

/**
 * Wraps a tfjs tensor (float32, int32 or bool) as an array of `xp`.
 *
 * Ownership: the array holds its *own* handle on the tensor's data (a `tf.clone`, which
 * shares the buffer without copying it), so you keep ownership of `t`: dispose `t` when you
 * no longer need it, and dispose the array with `xp.dispose` — in either order. The array's
 * handle is `tf.keep`-ed, so it also survives an enclosing `tf.tidy`. Other tfjs dtypes
 * (`complex64`, `string`) and disposed tensors are `TypeError`s.
 *
 * @param xp a namespace made by `tfjsNamespace(tf)` with the same `tf` module as `t`.
 * @param t the tensor to wrap.
 * @returns an array of `xp` with `t`'s shape, dtype and values.
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * import { fromTfjs, tfjsNamespace } from "./mod.ts";
 * const xp = tfjsNamespace(tf);
 * const t = tf.tensor2d([[1, 2], [3, 4]]);
 * const x = fromTfjs(xp, t);
 * t.dispose(); // x stays valid
 * console.log(await xp.toHost(xp.sum(x))); // Float32Array [10]
 * ```
 */
export function fromTfjs<T extends TfTensor>(xp: TfjsNamespace<T>, t: T): TfjsArray<T> {
  const tf = xp?.tf;
  if (!tf || typeof tf.clone !== "function") {
    throw new TypeError("fromTfjs: xp must be a namespace made by tfjsNamespace(tf)");
  }
  if (t === null || typeof t !== "object" || !Array.isArray(t.shape)) {
    throw new TypeError(`fromTfjs: expected a tf.Tensor, got ${String(t)}`);
  }
  if (t.isDisposed) throw new TypeError("fromTfjs: the tensor was disposed");
  if (t.dtype !== "float32" && t.dtype !== "int32" && t.dtype !== "bool") {
    throw new TypeError(
      `fromTfjs: tfjs tensors of dtype ${t.dtype} are not supported (float32, int32, bool)`,
    );
  }
  const c = tf.keep(tf.clone(t));
  return new TfjsArray(xp, c, xp.__array_namespace_info__().default_device());
}
