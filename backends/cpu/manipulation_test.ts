import assert from "node:assert/strict";
import { cpu as xp } from "./cpu.ts";
import { nested } from "./_test_util.ts";

const ar = (n: number, shape: number[], dtype: "float64" | "int32" | "uint8" = "float64") =>
  xp.reshape(xp.arange(n, undefined, undefined, { dtype }), shape);

Deno.test("reshape / expand_dims / squeeze are views; errors name the shapes", () => {
  const a = ar(6, [2, 3]);
  const r = xp.reshape(a, [3, -1]);
  assert.deepEqual(r.shape, [3, 2]);
  assert.equal(r.data, a.data);
  assert.notEqual(xp.reshape(a, [6], { copy: true }).data, a.data);
  assert.throws(
    () => xp.reshape(a, [4, 2]),
    (e: Error) =>
      e instanceof RangeError && e.message.includes("(2, 3)") && e.message.includes("(4, 2)"),
  );
  assert.throws(() => xp.reshape(a, [-1, -1]), RangeError);
  assert.deepEqual(xp.expand_dims(a).shape, [1, 2, 3]);
  assert.deepEqual(xp.expand_dims(a, { axis: -1 }).shape, [2, 3, 1]);
  assert.deepEqual(xp.expand_dims(a, { axis: [0, -1] }).shape, [1, 2, 3, 1]);
  assert.deepEqual(xp.expand_dims(a, { axis: [1, 2] }).shape, [2, 1, 1, 3]);
  assert.throws(() => xp.expand_dims(a, { axis: 3 }), RangeError);
  assert.throws(() => xp.expand_dims(a, { axis: [0, -4] }), RangeError);
  const s = xp.reshape(a, [1, 2, 1, 3]);
  assert.deepEqual(xp.squeeze(s, [0, 2]).shape, [2, 3]);
  assert.deepEqual(xp.squeeze(s, -2).shape, [1, 2, 3]);
  assert.throws(
    () => xp.squeeze(s, 1),
    (e: Error) =>
      e instanceof RangeError && e.message.includes("(1, 2, 1, 3)") && e.message.includes("axis 1"),
  );
});

Deno.test("permute_dims / moveaxis / matrix_transpose / flip", () => {
  const a = ar(24, [2, 3, 4]);
  const p = xp.permute_dims(a, [2, 0, 1]);
  assert.deepEqual(p.shape, [4, 2, 3]);
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 2; j++) {
      for (let k = 0; k < 3; k++) assert.equal(p.data[i * 6 + j * 3 + k], j * 12 + k * 4 + i);
    }
  }
  assert.deepEqual(xp.moveaxis(a, 0, -1).shape, [3, 4, 2]);
  assert.deepEqual(nested(xp.moveaxis(a, [0, 1], [2, 0])), nested(xp.permute_dims(a, [1, 2, 0])));
  assert.throws(() => xp.permute_dims(a, [0, 1]), RangeError);
  assert.throws(() => xp.permute_dims(a, [0, 1, 1]), RangeError);
  assert.deepEqual(nested(xp.flip(ar(6, [2, 3]))), [[5, 4, 3], [2, 1, 0]]);
  assert.deepEqual(nested(xp.flip(ar(6, [2, 3]), { axis: 1 })), [[2, 1, 0], [5, 4, 3]]);
  assert.deepEqual(nested(xp.flip(ar(6, [2, 3], "uint8"), { axis: -2 })), [[3, 4, 5], [0, 1, 2]]);
  assert.deepEqual(xp.flip(xp.zeros([0, 2])).shape, [0, 2]);
  const big = xp.reshape(xp.arange(300 * 200, undefined, undefined, { dtype: "float64" }), [
    300,
    200,
  ]);
  const t = xp.matrix_transpose(big);
  assert.equal(t.data[199 * 300 + 299], 299 * 200 + 199);
});

Deno.test("concat / stack with promotion and shape errors", () => {
  const a = ar(6, [2, 3]), b = xp.ones([1, 3], { dtype: "float32" });
  const c = xp.concat([a, b]);
  assert.deepEqual(c.shape, [3, 3]);
  assert.equal(c.dtype, "float64");
  assert.deepEqual(nested(xp.concat([a, xp.zeros([2, 1])], { axis: -1 })), [[0, 1, 2, 0], [
    3,
    4,
    5,
    0,
  ]]);
  assert.deepEqual(nested(xp.concat([a, b], { axis: null })), [0, 1, 2, 3, 4, 5, 1, 1, 1]);
  const wide = xp.concat([xp.zeros([2, 100]), xp.ones([2, 100])], { axis: 1 });
  assert.equal(wide.data[100], 1);
  assert.equal(wide.data[200], 0);
  assert.throws(
    () => xp.concat([a, xp.ones([2, 2])]),
    (e: Error) => e instanceof RangeError && e.message.includes("(2, 2)"),
  );
  assert.throws(() => xp.concat([]), RangeError);
  assert.throws(() => xp.concat([xp.asarray([true]), xp.asarray([1])]), TypeError);
  const s = xp.stack([xp.asarray([1, 2]), xp.asarray([3, 4])], { axis: 1 });
  assert.deepEqual(nested(s), [[1, 3], [2, 4]]);
  assert.deepEqual(xp.stack([xp.asarray(1), xp.asarray(2)]).shape, [2]);
  assert.throws(
    () => xp.stack([xp.ones([2]), xp.ones([3])]),
    (e: Error) => e instanceof RangeError && e.message.includes("(3,)"),
  );
});

Deno.test("take: axes, negative and multi-dimensional indices, bounds", () => {
  const a = ar(12, [3, 4]);
  assert.deepEqual(nested(xp.take(a, xp.asarray([2, 0], { dtype: "int32" }), { axis: 0 })), [[
    8,
    9,
    10,
    11,
  ], [0, 1, 2, 3]]);
  assert.deepEqual(nested(xp.take(a, xp.asarray([-1, 1], { dtype: "int8" }), { axis: 1 })), [
    [3, 1],
    [7, 5],
    [11, 9],
  ]);
  assert.deepEqual(
    xp.take(a, xp.asarray([[0, 1], [1, 2]], { dtype: "int32" }), { axis: 0 }).shape,
    [2, 2, 4],
  );
  assert.deepEqual(nested(xp.take(xp.asarray([5, 6, 7]), xp.asarray([2, 2], { dtype: "uint8" }))), [
    7,
    7,
  ]);
  assert.throws(
    () => xp.take(a, xp.asarray([3], { dtype: "int32" }), { axis: 0 }),
    (e: Error) => e instanceof RangeError && e.message.includes("index 3"),
  );
  assert.throws(() => xp.take(a, xp.asarray([0]), { axis: 0 }), TypeError);
  assert.throws(() => xp.take(a, xp.asarray([0], { dtype: "int32" })), RangeError);
});

Deno.test("tile / broadcast_to / broadcast_arrays / broadcast_shapes", () => {
  const a = xp.asarray([[1, 2], [3, 4]]);
  assert.deepEqual(nested(xp.tile(a, [1, 2])), [[1, 2, 1, 2], [3, 4, 3, 4]]);
  assert.deepEqual(nested(xp.tile(a, [2])), [[1, 2, 1, 2], [3, 4, 3, 4]]);
  assert.deepEqual(xp.tile(a, [2, 1, 1]).shape, [2, 2, 2]);
  assert.deepEqual(nested(xp.tile(xp.asarray([1, 2]), [2, 2])), [[1, 2, 1, 2], [1, 2, 1, 2]]);
  assert.deepEqual(xp.tile(a, [0, 1]).shape, [0, 2]);
  const b = xp.broadcast_to(xp.asarray([1, 2, 3]), [2, 3]);
  assert.deepEqual(nested(b), [[1, 2, 3], [1, 2, 3]]);
  assert.throws(
    () => xp.broadcast_to(xp.asarray([1, 2, 3]), [3, 2]),
    (e: Error) =>
      e instanceof RangeError && e.message.includes("(3,)") && e.message.includes("(3, 2)"),
  );
  assert.throws(() => xp.broadcast_to(xp.ones([3]), [1]), RangeError);
  const [p, q] = xp.broadcast_arrays(xp.ones([2, 1]), xp.zeros([3]));
  assert.deepEqual(p.shape, [2, 3]);
  assert.deepEqual(q.shape, [2, 3]);
  assert.deepEqual(xp.broadcast_shapes([5], [3, 1], []), [3, 5]);
  assert.throws(
    () => xp.broadcast_shapes([2], [3]),
    (e: Error) =>
      e instanceof RangeError && e.message.includes("(2,)") && e.message.includes("(3,)"),
  );
});
