import assert from "node:assert/strict";
import { assertThrowsKind, host, openOrSkip, tabulate } from "./_test_util.ts";

const xp = await openOrSkip("manip_test.ts");

if (xp) {
  const iota = (shape: number[]) => {
    const n = shape.reduce((p, d) => p * d, 1);
    return xp.reshape(xp.arange(0, n, 1, { dtype: "float32" }), shape);
  };

  Deno.test("views share storage: reshape, permute, flip, expand/squeeze, diagonal", async () => {
    const x = iota([2, 3, 4]);
    const before = xp.stats().liveBytes;
    const p = xp.permute_dims(x, [2, 0, 1]);
    const f = xp.flip(p, { axis: [0, 2] });
    const e = xp.squeeze(xp.expand_dims(f, { axis: [0, -1] }), [0, 4]);
    assert.equal(xp.stats().liveBytes, before, "views allocated memory");
    assert.deepEqual(e.shape, [4, 2, 3]);
    const want = tabulate([4, 2, 3], ([i, j, k]) => (j * 3 + (2 - k)) * 4 + (3 - i));
    assert.deepEqual(await host(xp, e), want);
    const m = xp.moveaxis(x, 0, -1);
    assert.deepEqual(m.shape, [3, 4, 2]);
    assert.deepEqual(await host(xp, m), tabulate([3, 4, 2], ([i, j, k]) => (k * 3 + i) * 4 + j));
    const d = xp.linalg.diagonal(iota([3, 4]), { offset: -1 });
    assert.deepEqual(await host(xp, d), [4, 9]);
    // a non-contiguous view copies on reshape; copy: false refuses
    assert.deepEqual(
      await host(xp, xp.reshape(p, [24])),
      tabulate([4, 2, 3], ([i, j, k]) => (j * 3 + k) * 4 + i),
    );
    assertThrowsKind(() => xp.reshape(p, [24], { copy: false }), RangeError, ["(4, 2, 3)", "copy"]);
    // disposing the base keeps views alive
    const base = iota([4]);
    const v = xp.flip(base);
    xp.dispose(base);
    assert.deepEqual(await host(xp, v), [3, 2, 1, 0]);
  });

  Deno.test("concat/stack over axes and dtypes, flattening with axis null", async () => {
    const a = iota([2, 3]), b = xp.add(iota([2, 1]), 100);
    const c = xp.concat([a, b], { axis: 1 });
    assert.deepEqual(c.shape, [2, 4]);
    assert.deepEqual(await host(xp, c), [0, 1, 2, 100, 3, 4, 5, 101]);
    const t = xp.concat([xp.matrix_transpose(a), xp.asarray([[7, 8]], { dtype: "float32" })]);
    assert.deepEqual(await host(xp, t), [0, 3, 1, 4, 2, 5, 7, 8]);
    const n = xp.concat([a, xp.asarray([1, 2], { dtype: "int32" })], { axis: null });
    assert.equal(n.dtype, "float32");
    assert.deepEqual(await host(xp, n), [0, 1, 2, 3, 4, 5, 1, 2]);
    const s = xp.stack([a, xp.add(a, 10)], { axis: 1 });
    assert.deepEqual(s.shape, [2, 2, 3]);
    assert.deepEqual(await host(xp, s), [0, 1, 2, 10, 11, 12, 3, 4, 5, 13, 14, 15]);
    assertThrowsKind(() => xp.concat([a, iota([3, 3])], { axis: 1 }), RangeError, [
      "(2, 3)",
      "(3, 3)",
    ]);
    assertThrowsKind(() => xp.stack([a, b]), RangeError, ["(2, 3)", "(2, 1)"]);
  });

  Deno.test("tile, broadcast_to, broadcast_arrays", async () => {
    const x = xp.asarray([[1, 2]]);
    const t = xp.tile(x, [2, 3]);
    assert.deepEqual(t.shape, [2, 6]);
    assert.deepEqual(await host(xp, t), [1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2]);
    assert.deepEqual((xp.tile(xp.asarray([5]), [2, 1, 2])).shape, [2, 1, 2]);
    const [p, q] = xp.broadcast_arrays(xp.asarray([1, 2, 3]), xp.asarray([[1], [2]]));
    assert.deepEqual(p.shape, [2, 3]);
    assert.deepEqual(await host(xp, q), [1, 1, 1, 2, 2, 2]);
    assertThrowsKind(() => xp.broadcast_to(xp.zeros([3]), [2, 4]), RangeError, ["(3,)", "(2, 4)"]);
    assert.deepEqual(xp.broadcast_shapes([5], [3, 1]), [3, 5]);
  });

  Deno.test("take gathers along an axis; negative indices wrap; out of range rejects the next toHost", async () => {
    const x = iota([3, 4]);
    const idx = xp.asarray([3, -1, 0], { dtype: "int32" });
    const t1 = xp.take(x, idx, { axis: 1 });
    assert.deepEqual(await host(xp, t1), [3, 3, 0, 7, 7, 4, 11, 11, 8]);
    const t0 = xp.take(xp.matrix_transpose(x), xp.asarray([1], { dtype: "int32" }), { axis: 0 });
    assert.deepEqual(await host(xp, t0), [1, 5, 9]);
    const bad = xp.take(x, xp.asarray([0, 4], { dtype: "int32" }), { axis: 1 });
    await assert.rejects(() => xp.toHost(bad), (e: unknown) => {
      assert.ok(e instanceof RangeError);
      assert.match(
        (e as Error).message,
        /take: an index is out of range for axis 1 of shape \(3, 4\)/,
      );
      return true;
    });
    // the error was reported once; later reads are clean
    assert.deepEqual(await host(xp, t1), [3, 3, 0, 7, 7, 4, 11, 11, 8]);
    assertThrowsKind(() => xp.take(x, xp.asarray([0.5]), { axis: 0 }), TypeError, ["float32"]);
    assertThrowsKind(() => xp.take(x, idx), RangeError, ["axis", "(3, 4)"]);
  });
}
