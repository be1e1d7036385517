import assert from "node:assert/strict";
import { cpu as xp } from "./cpu.ts";
import type { CpuArray } from "./cpu_array.ts";
import { assertClose, nested, randArray, rng } from "./_test_util.ts";

/** Reference reduction over `axes` of a (shape, values) pair with a fold function. */
function refReduce(
  a: CpuArray,
  axes: number[],
  init: (v: number) => number,
  fold: (acc: number, v: number) => number,
): { shape: number[]; vals: number[] } {
  const shape = a.shape.filter((_, i) => !axes.includes(i));
  const out = new Map<number, number>();
  const n = a.size;
  for (let i = 0; i < n; i++) {
    let r = i, key = 0, mul = 1;
    const idx: number[] = [];
    for (let d = a.ndim - 1; d >= 0; d--) {
      idx.unshift(r % a.shape[d]);
      r = Math.floor(r / a.shape[d]);
    }
    for (let d = a.ndim - 1; d >= 0; d--) {
      if (axes.includes(d)) continue;
      key += idx[d] * mul;
      mul *= a.shape[d];
    }
    const v = a.data[i];
    out.set(key, out.has(key) ? fold(out.get(key)!, v) : init(v));
  }
  const size = shape.reduce((p, q) => p * q, 1);
  return { shape, vals: Array.from({ length: size }, (_, k) => out.get(k)!) };
}

const AXES: (number[] | null)[] = [null, [0], [1], [2], [0, 1], [1, 2], [0, 2], [-1]];

Deno.test("sum/prod/max/min/mean over every axis combination match a reference", () => {
  const a = xp.reshape(xp.asarray(randArray(rng(1), 3 * 4 * 5)), [3, 4, 5]);
  for (const ax of AXES) {
    const axes = ax === null ? [0, 1, 2] : ax.map((d) => (d + 3) % 3);
    const opt = { axis: ax };
    const s = refReduce(a, axes, (v) => v, (p, v) => p + v);
    assertClose(xp.sum(a, opt), s.vals, 1e-14, s.shape);
    const p = refReduce(a, axes, (v) => v, (q, v) => q * v);
    assertClose(xp.prod(a, opt), p.vals, 1e-13, p.shape);
    const mx = refReduce(a, axes, (v) => v, Math.max);
    assertClose(xp.max(a, opt), mx.vals, 0, mx.shape);
    const mn = refReduce(a, axes, (v) => v, Math.min);
    assertClose(xp.min(a, opt), mn.vals, 0, mn.shape);
    const cnt = axes.reduce((q, d) => q * a.shape[d], 1);
    assertClose(xp.mean(a, opt), s.vals.map((v) => v / cnt), 1e-14, s.shape);
    const kd = xp.sum(a, { axis: ax, keepdims: true });
    assert.deepEqual(kd.shape, a.shape.map((d, i) => (axes.includes(i) ? 1 : d)));
  }
  // axis=[] is no reduction
  assertClose(xp.sum(a, { axis: [] }), Array.from(a.data), 0, [3, 4, 5]);
});

Deno.test("reductions: dtypes of results and accumulation precision", () => {
  const i8 = xp.asarray([100, 100, 100], { dtype: "int8" });
  assert.equal(xp.sum(i8).dtype, "int32");
  assert.equal(xp.sum(i8).data[0], 300);
  assert.equal(xp.sum(xp.asarray([200, 200], { dtype: "uint8" })).dtype, "uint32");
  assert.equal(xp.sum(xp.asarray([true, true, false])).data[0], 2);
  assert.equal(xp.sum(i8, { dtype: "int8" }).data[0], 44); // wraps in the requested dtype
  assert.equal(xp.prod(xp.asarray([65536, 65536], { dtype: "int32" })).data[0], 0);
  assert.equal(xp.mean(xp.asarray([1, 2], { dtype: "int32" })).dtype, "float64");
  // float32 sums accumulate in double: 2^24 + 1 + 1 … is exact in double
  const f = xp.asarray([16777216, 1, 1, 1, 1], { dtype: "float32" });
  assert.equal(xp.sum(f).dtype, "float32");
  assert.equal(xp.sum(f).data[0], 16777220);
  assert.equal(xp.sum(f, { dtype: "float64" }).data[0], 16777220);
  // pairwise summation of a long float64 vector (NumPy: 49950.0 exactly for 0.1*arange(1000))
  const v = xp.multiply(xp.arange(1000, undefined, undefined, { dtype: "float64" }), 0.1);
  assert.equal(xp.sum(v).data[0], 49950);
  assert.equal(xp.max(xp.asarray([3, 9, 2], { dtype: "uint16" })).dtype, "uint16");
  assert.throws(() => xp.max(xp.asarray([true])), TypeError);
  assert.throws(() => xp.sum(xp.ones([2]), { dtype: "bool" }), TypeError);
});

Deno.test("reductions: empty inputs, NaN propagation, any/all", () => {
  assertClose(xp.sum(xp.zeros([0])), [0], 0, []);
  assertClose(xp.prod(xp.zeros([0])), [1], 0, []);
  assertClose(xp.sum(xp.zeros([3, 0]), { axis: 1 }), [0, 0, 0], 0, [3]);
  assertClose(xp.mean(xp.zeros([0])), [NaN]);
  assert.throws(
    () => xp.max(xp.zeros([0])),
    (e: Error) => e instanceof RangeError && e.message.includes("(0,)"),
  );
  assert.throws(() => xp.min(xp.zeros([2, 0]), { axis: 1 }), RangeError);
  assert.deepEqual(xp.max(xp.zeros([0, 3]), { axis: 1 }).shape, [0]);
  assertClose(xp.max(xp.asarray([1, NaN, 3])), [NaN]);
  assertClose(xp.min(xp.asarray([[1, NaN], [0, 2]]), { axis: 0 }), [0, NaN]);
  assertClose(xp.sum(xp.asarray([1, NaN])), [NaN]);
  const b = xp.asarray([[true, false], [true, true]]);
  assert.deepEqual(nested(xp.all(b, { axis: 1 })), [false, true]);
  assert.deepEqual(nested(xp.any(b, { axis: 0 })), [true, true]);
  assert.deepEqual(nested(xp.all(b)), false);
  assert.deepEqual(nested(xp.any(xp.zeros([0]))), false);
  assert.deepEqual(nested(xp.all(xp.zeros([0]))), true);
  assert.deepEqual(nested(xp.any(xp.asarray([0, NaN]))), true);
  assert.deepEqual(xp.all(b, { axis: 0, keepdims: true }).shape, [1, 2]);
});

Deno.test("argmax/argmin: first occurrence, NaN, axes, keepdims", () => {
  const a = xp.asarray([[1, 5, 5], [7, 0, 7]]);
  assert.deepEqual(nested(xp.argmax(a)), 3);
  assert.equal(xp.argmax(a).dtype, "int32");
  assert.deepEqual(nested(xp.argmax(a, { axis: 1 })), [1, 0]);
  assert.deepEqual(nested(xp.argmin(a, { axis: 0 })), [0, 1, 0]);
  assert.deepEqual(xp.argmax(a, { axis: 1, keepdims: true }).shape, [2, 1]);
  assert.deepEqual(xp.argmax(a, { keepdims: true }).shape, [1, 1]);
  assert.deepEqual(nested(xp.argmax(xp.asarray([1, NaN, 3, NaN]))), 1);
  assert.deepEqual(nested(xp.argmin(xp.asarray([[1, 2], [NaN, 0]]), { axis: 0 })), [1, 1]);
  assert.throws(() => xp.argmax(xp.zeros([0])), RangeError);
});

Deno.test("cumulative_sum: axes, include_initial, dtypes", () => {
  const a = xp.asarray([[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(nested(xp.cumulative_sum(a, { axis: 1 })), [[1, 3, 6], [4, 9, 15]]);
  assert.deepEqual(nested(xp.cumulative_sum(a, { axis: 0 })), [[1, 2, 3], [5, 7, 9]]);
  assert.deepEqual(nested(xp.cumulative_sum(a, { axis: -1, include_initial: true })), [
    [0, 1, 3, 6],
    [0, 4, 9, 15],
  ]);
  assert.deepEqual(nested(xp.cumulative_sum(xp.asarray([1, 2, 3]))), [1, 3, 6]);
  const i8 = xp.cumulative_sum(xp.asarray([100, 100], { dtype: "int8" }));
  assert.equal(i8.dtype, "int32");
  assert.deepEqual(nested(i8), [100, 200]);
  assert.equal(xp.cumulative_sum(xp.asarray([1], { dtype: "float32" })).dtype, "float32");
  assert.throws(() => xp.cumulative_sum(a), RangeError);
  assert.throws(() => xp.cumulative_sum(xp.asarray(1)), RangeError);
});
