import assert from "node:assert/strict";
import { broadcastShapes } from "../../array_api/shapes.ts";
import { cpu as xp } from "./cpu.ts";
import type { CpuArray } from "./cpu_array.ts";
import { setCodegenForTesting } from "./_kernel.ts";
import { assertClose, randArray, rng } from "./_test_util.ts";

/** Reference broadcasting: the value of `a` at multi-index `idx` of the broadcast shape. */
function at(a: CpuArray, idx: number[]): number {
  const off = idx.length - a.ndim;
  let p = 0;
  for (let d = 0; d < a.ndim; d++) p = p * a.shape[d] + (a.shape[d] === 1 ? 0 : idx[off + d]);
  return a.data[p];
}
function* indices(shape: number[]): Generator<number[]> {
  const n = shape.reduce((p, q) => p * q, 1);
  for (let i = 0; i < n; i++) {
    const idx: number[] = [];
    let r = i;
    for (let d = shape.length - 1; d >= 0; d--) {
      idx.unshift(r % shape[d]);
      r = Math.floor(r / shape[d]);
    }
    yield idx;
  }
}

const SHAPE_PAIRS: [number[], number[]][] = [
  [[4, 5], [4, 5]],
  [[4, 5], [5]],
  [[4, 5], [4, 1]],
  [[3, 1, 5], [1, 4, 5]],
  [[2, 3, 4], [3, 1]],
  [[1], [6]],
  [[2, 1, 3, 1], [4, 1, 2]],
  [[0, 3], [3]],
  [[], [2, 2]],
  [[5, 1], [1, 1]],
];

Deno.test("binary ops broadcast like the reference for every operand pattern (compiled and interpreted)", () => {
  const r = rng(3);
  const ops: [string, (a: number, b: number) => number][] = [
    ["add", (a, b) => a + b],
    ["subtract", (a, b) => a - b],
    ["multiply", (a, b) => a * b],
    ["divide", (a, b) => a / b],
    ["maximum", (a, b) => Math.max(a, b)],
    ["hypot", (a, b) => Math.hypot(a, b)],
    ["less", (a, b) => (a < b ? 1 : 0)],
    ["equal", (a, b) => (a === b ? 1 : 0)],
  ];
  for (const codegen of [true, false]) {
    setCodegenForTesting(codegen);
    try {
      for (const [s1, s2] of SHAPE_PAIRS) {
        for (const [swap, pair] of [[false, [s1, s2]], [true, [s2, s1]]] as const) {
          const [sa, sb] = pair;
          const a = xp.reshape(
            xp.asarray(
              randArray(r, sa.reduce((p, q) => p * q, 1)).map((v) => Math.round(v * 4) / 4),
            ),
            sa,
          );
          const b = xp.reshape(
            xp.asarray(
              randArray(r, sb.reduce((p, q) => p * q, 1)).map((v) => Math.round(v * 4) / 4),
            ),
            sb,
          );
          const S = broadcastShapes([sa, sb]);
          for (const [name, f] of ops) {
            const c = (xp as unknown as Record<string, (x: CpuArray, y: CpuArray) => CpuArray>)
              [name](a, b);
            assert.deepEqual(c.shape, S, `${name} ${sa} ${sb}`);
            let i = 0;
            for (const idx of indices(S)) {
              const want = f(at(a, idx), at(b, idx));
              assert.ok(
                Object.is(c.data[i], want) || c.data[i] === want,
                `${name}${swap ? " (swapped)" : ""} ${sa} ${sb} @${idx}: ${c.data[i]} != ${want}`,
              );
              i++;
            }
          }
        }
      }
    } finally {
      setCodegenForTesting(undefined);
    }
  }
});

Deno.test("binary ops: type promotion and host scalar rules", () => {
  const i8 = xp.asarray([100, -100], { dtype: "int8" });
  const u8 = xp.asarray([200, 1], { dtype: "uint8" });
  const f32 = xp.asarray([1.5, 2], { dtype: "float32" });
  assert.equal(xp.add(i8, u8).dtype, "int16");
  assert.deepEqual(Array.from(xp.add(i8, u8).data), [300, -99]);
  assert.equal(xp.add(i8, f32).dtype, "float32"); // project rule: integer with float → the float
  assert.equal(xp.add(f32, xp.asarray([1])).dtype, "float64");
  assert.equal(
    xp.divide(xp.asarray([1, 2], { dtype: "int32" }), xp.asarray([2, 4], { dtype: "int32" })).dtype,
    "float64",
  );
  assert.equal(xp.divide(xp.asarray([1], { dtype: "int16" }), f32).dtype, "float32");
  // integer overflow wraps like the dtype
  assert.deepEqual(Array.from(xp.add(i8, i8).data), [-56, 56]);
  const big = xp.asarray([2 ** 30, 3], { dtype: "int32" });
  assert.deepEqual(Array.from(xp.multiply(big, big).data), [0, 9]);
  assert.deepEqual(
    Array.from(
      xp.multiply(
        xp.asarray([65535], { dtype: "uint32" }),
        xp.asarray([65537], { dtype: "uint32" }),
      ).data,
    ),
    [(65535 * 65537) >>> 0],
  );
  assert.deepEqual(Array.from(xp.square(xp.asarray([46341], { dtype: "int32" })).data), [
    Math.imul(46341, 46341),
  ]);
  assert.deepEqual(Array.from(xp.negative(xp.asarray([-128], { dtype: "int8" })).data), [-128]);
  // scalars take the array's dtype
  assert.equal(xp.add(f32, 0.1).dtype, "float32");
  assert.equal(xp.add(f32, 0.1).data[0], Math.fround(Math.fround(1.5) + Math.fround(0.1)));
  assert.equal(xp.multiply(2, i8).dtype, "int8");
  assert.deepEqual(Array.from(xp.subtract(10, xp.asarray([1, 2], { dtype: "int32" })).data), [
    9,
    8,
  ]);
  assert.throws(
    () => xp.add(i8, 1.5),
    (e: Error) => e instanceof TypeError && e.message.includes("1.5"),
  );
  assert.throws(
    () => xp.add(i8, 1000),
    (e: Error) => e instanceof RangeError && e.message.includes("int8"),
  );
  assert.throws(() => xp.add(f32, true), TypeError);
  assert.throws(() => xp.add(xp.asarray([true]), 1), TypeError);
  assert.throws(() => xp.add(xp.asarray([true]), xp.asarray([true])), TypeError);
  assert.throws(
    () => xp.add(xp.asarray([1], { dtype: "int32" }), xp.asarray([1], { dtype: "uint32" })),
    (e: Error) => e instanceof TypeError && e.message.includes("int64"),
  );
  assert.throws(
    () => xp.add(1, 2 as never),
    (e: Error) => e instanceof TypeError && e.message.includes("at least one"),
  );
  assert.throws(
    () => xp.add(xp.ones([2, 3]), xp.ones([3, 2])),
    (e: Error) =>
      e instanceof RangeError && e.message.includes("(2, 3)") && e.message.includes("(3, 2)"),
  );
  // comparisons with integer arrays compare exactly (no conversion of the scalar)
  assert.deepEqual(Array.from(xp.less(u8, 300).data), [1, 1]);
  assert.deepEqual(Array.from(xp.greater(xp.asarray([1], { dtype: "int32" }), -Infinity).data), [
    1,
  ]);
  assert.deepEqual(Array.from(xp.equal(xp.asarray([true, false]), true).data), [1, 0]);
  assert.throws(() => xp.equal(xp.asarray([true]), 1), TypeError);
});

Deno.test("unary ops: values, dtypes, special values", () => {
  const x = xp.asarray([-2.5, -0, 0, 1, NaN, Infinity]);
  assertClose(xp.abs(x), [2.5, 0, 0, 1, NaN, Infinity]);
  assertClose(xp.negative(x), [2.5, 0, -0, -1, NaN, -Infinity]);
  assertClose(xp.sign(x), [-1, -0, 0, 1, NaN, 1]);
  assert.ok(Object.is(xp.sign(x).data[1], -0));
  assertClose(xp.floor(x), [-3, -0, 0, 1, NaN, Infinity]);
  assertClose(xp.square(x), [6.25, 0, 0, 1, NaN, Infinity]);
  assertClose(xp.sqrt(xp.asarray([4, -1, 0])), [2, NaN, 0]);
  assertClose(xp.exp(xp.asarray([0, 1])), [1, Math.E], 1e-16);
  assertClose(xp.log(xp.asarray([1, 0, -1])), [0, -Infinity, NaN]);
  assert.deepEqual(Array.from(xp.isnan(x).data), [0, 0, 0, 0, 1, 0]);
  assert.deepEqual(Array.from(xp.isinf(x).data), [0, 0, 0, 0, 0, 1]);
  assert.deepEqual(Array.from(xp.isfinite(x).data), [1, 1, 1, 1, 0, 0]);
  assert.equal(xp.isfinite(xp.asarray([1], { dtype: "int8" })).dtype, "bool");
  const i = xp.asarray([-3, 4], { dtype: "int16" });
  assert.equal(xp.sqrt(i).dtype, "float64");
  assert.equal(xp.abs(i).dtype, "int16");
  assert.deepEqual(Array.from(xp.floor(i).data), [-3, 4]);
  assert.equal(xp.sqrt(xp.asarray([2], { dtype: "float32" })).data[0], Math.fround(Math.SQRT2));
  assert.throws(() => xp.abs(xp.asarray([true])), TypeError);
  assert.throws(() => xp.logical_not(xp.asarray([1])), TypeError);
  assert.deepEqual(Array.from(xp.logical_not(xp.asarray([true, false])).data), [0, 1]);
  const c = xp.conj(x);
  assert.notEqual(c.data, x.data);
});

Deno.test("pow, maximum/minimum NaN propagation, logical ops", () => {
  assertClose(xp.pow(xp.asarray([2, 1, NaN, -1, 4]), xp.asarray([10, NaN, 0, Infinity, 0.5])), [
    1024,
    1,
    1,
    1,
    2,
  ]);
  assert.deepEqual(Array.from(xp.pow(xp.asarray([3, -2], { dtype: "int32" }), 3).data), [27, -8]);
  assertClose(xp.maximum(xp.asarray([1, NaN, 3]), xp.asarray([NaN, 2, 1])), [NaN, NaN, 3]);
  assertClose(xp.minimum(xp.asarray([1, NaN, 3]), 2), [1, NaN, 2]);
  assert.ok(Object.is(xp.maximum(xp.asarray([-0]), xp.asarray([0])).data[0], 0));
  const t = xp.asarray([true, true, false, false]), f = xp.asarray([true, false, true, false]);
  assert.deepEqual(Array.from(xp.logical_and(t, f).data), [1, 0, 0, 0]);
  assert.deepEqual(Array.from(xp.logical_or(t, f).data), [1, 1, 1, 0]);
  assert.deepEqual(Array.from(xp.logical_and(t, false).data), [0, 0, 0, 0]);
  assert.throws(() => xp.logical_and(t, xp.asarray([1, 0, 1, 0])), TypeError);
});

Deno.test("where and clip: broadcasting, scalars, dtypes", () => {
  const c = xp.asarray([[true], [false]]);
  const w = xp.where(c, xp.asarray([1, 2, 3]), xp.asarray([[10], [20]]));
  assertClose(w, [[1, 2, 3], [20, 20, 20]], 0, [2, 3]);
  assert.equal(xp.where(c, xp.asarray([1], { dtype: "float32" }), 0).dtype, "float32");
  assert.equal(xp.where(c, 1, 0).dtype, "int32");
  assert.equal(xp.where(c, 1.5, 0).dtype, "float64");
  assert.equal(xp.where(c, true, false).dtype, "bool");
  assert.equal(
    xp.where(c, xp.asarray([1], { dtype: "int8" }), xp.asarray([1], { dtype: "uint8" })).dtype,
    "int16",
  );
  assert.throws(() => xp.where(xp.asarray([1]), 1, 0), TypeError);
  assert.throws(() => xp.where(c, xp.asarray([1]), true), TypeError);
  const x = xp.asarray([-2, 0.5, 3, NaN]);
  assertClose(xp.clip(x, { min: 0, max: 1 }), [0, 0.5, 1, NaN]);
  assertClose(xp.clip(x, { min: 0 }), [0, 0.5, 3, NaN]);
  assertClose(xp.clip(x, { max: xp.asarray([1, 1, 5, 1]) }), [-2, 0.5, 3, NaN]);
  assertClose(xp.clip(x, { min: 2, max: 1 }), [2, 2, 2, NaN]); // maximum(minimum(x, max), min)
  assertClose(xp.clip(x), [-2, 0.5, 3, NaN]);
  const i = xp.asarray([0, 100, 255], { dtype: "uint8" });
  const ci = xp.clip(i, { min: 10, max: 300 });
  assert.equal(ci.dtype, "uint8");
  assert.deepEqual(Array.from(ci.data), [10, 100, 255]);
  assert.throws(() => xp.clip(i, { min: 0.5 }), TypeError);
  assert.deepEqual(xp.clip(xp.asarray([1, 2]), { min: xp.asarray([[0], [5]]) }).shape, [2, 2]);
});

Deno.test("float32 results are correctly rounded; mixed kinds read exactly", () => {
  const a = xp.asarray([0.1, 1e-8, 16777217], { dtype: "float32" });
  const b = xp.asarray([0.2, 1, 1], { dtype: "float32" });
  const s = xp.add(a, b);
  for (let i = 0; i < 3; i++) assert.equal(s.data[i], Math.fround(a.data[i] + b.data[i]));
  const p = xp.multiply(a, b);
  for (let i = 0; i < 3; i++) assert.equal(p.data[i], Math.fround(a.data[i] * b.data[i]));
  const big = xp.asarray([2 ** 31 - 1], { dtype: "int32" });
  assert.equal(xp.add(big, xp.asarray([0.5])).data[0], 2 ** 31 - 0.5);
});
