/**
 * Tensor-level helpers with the standard's semantics where raw tfjs ops differ (NaN
 * propagation, `sign(NaN)`, overflow-safe `hypot`). Call them inside a `tf.tidy`.
 *
 * @module
 */
import type { Tf } from "./_context.ts";
import type { TfTensor } from "./tf_like.ts";

/** Elementwise maximum; NaN in either operand gives NaN (float tensors). */
export function nanMaximum(tf: Tf, a: TfTensor, b: TfTensor): TfTensor {
  const m = tf.maximum(a, b);
  if (a.dtype !== "float32") return m;
  return tf.where(tf.logicalOr(tf.isNaN(a), tf.isNaN(b)), tf.scalar(NaN), m);
}

/** Elementwise minimum; NaN in either operand gives NaN (float tensors). */
export function nanMinimum(tf: Tf, a: TfTensor, b: TfTensor): TfTensor {
  const m = tf.minimum(a, b);
  if (a.dtype !== "float32") return m;
  return tf.where(tf.logicalOr(tf.isNaN(a), tf.isNaN(b)), tf.scalar(NaN), m);
}

/** Sign: −1, 0, 1, and NaN for NaN (tfjs gives 0). */
export function signNaN(tf: Tf, x: TfTensor): TfTensor {
  const s = tf.sign(x);
  if (x.dtype !== "float32") return s;
  return tf.where(tf.isNaN(x), x, s);
}

/**
 * `√(a² + b²)` without undue overflow or underflow (float32): `m·√(1 + (n/m)²)` with
 * `m = max(|a|, |b|)`, `n = min(|a|, |b|)`; infinite if either operand is infinite (even when
 * the other is NaN), as in C's `hypot`.
 */
export function hypot(tf: Tf, a: TfTensor, b: TfTensor): TfTensor {
  const ax = tf.abs(a), ay = tf.abs(b);
  const m = nanMaximum(tf, ax, ay), n = nanMinimum(tf, ax, ay);
  const safe = tf.where(tf.equal(m, tf.scalar(0)), tf.scalar(1), m);
  const r = tf.div(n, safe);
  const h = tf.mul(m, tf.sqrt(tf.add(tf.scalar(1), tf.mul(r, r))));
  return tf.where(tf.logicalOr(tf.isInf(ax), tf.isInf(ay)), tf.scalar(Infinity), h);
}

/** Casts a tensor of any dtype to bool (`x != 0`; NaN is true). */
export function toBool(tf: Tf, x: TfTensor): TfTensor {
  return x.dtype === "bool" ? x : tf.cast(x, "bool");
}
