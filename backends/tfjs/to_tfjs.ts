/**
 * `toTfjs`: a tfjs tensor you own, from an array of a tfjs namespace.
 *
 * @module
 */
import { TfjsArray } from "./tfjs_array.ts";
import type { TfjsNamespace } from "./tfjs_namespace.ts";
import type { TfTensor } from "./tf_like.ts";

/**
 * Returns a tfjs tensor with the values of `x` for use with tfjs APIs.
 *
 * Ownership: the tensor is a new handle (a `tf.clone`, which shares the buffer without
 * copying it) that *you* own: dispose it when done. `x` stays valid and is still disposed
 * with `xp.dispose(x)`; the two can be disposed in either order. The tensor is `tf.keep`-ed
 * (it survives an enclosing `tf.tidy`). To borrow the wrapped tensor
 * without a new handle, read `x.tensor` (and never dispose it).
 *
 * @param x an array of a tfjs namespace.
 * @returns a tensor the caller owns.
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * import { tfjsNamespace, toTfjs } from "./mod.ts";
 * const xp = tfjsNamespace(tf);
 * const x = xp.linspace(0, 1, 5);
 * const t = toTfjs(x);
 * xp.dispose(x);
 * t.print();
 * t.dispose();
 * ```
 */
export function toTfjs<T extends TfTensor>(x: TfjsArray<T>): T {
  if (!(x instanceof TfjsArray)) {
    throw new TypeError("toTfjs: x must be an array of a tfjs namespace");
  }
  if (x.tensor.isDisposed) throw new TypeError("toTfjs: the array was disposed");
  const xp = x.__array_namespace__() as TfjsNamespace<T>;
  return xp.tf.keep(xp.tf.clone(x.tensor));
}
