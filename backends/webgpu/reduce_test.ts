import assert from "node:assert/strict";
import {
  assertClose,
  assertThrowsKind,
  host,
  openOrSkip,
  randn,
  rng,
  tabulate,
} from "./_test_util.ts";

const xp = await openOrSkip("reduce_test.ts");

/** Host reduction of `data` (shape) over `axes` with `f` (start value, combine). */
function hostReduce(
  data: number[],
  shape: number[],
  axes: number[],
  init: number,
  f: (a: number, v: number) => number,
): number[] {
  const keep = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const outShape = keep.map((i) => shape[i]);
  const out = new Array(outShape.reduce((p, d) => p * d, 1)).fill(init);
  const idx = new Array(shape.length).fill(0);
  for (let k = 0; k < data.length; k++) {
    let o = 0;
    for (const i of keep) o = o * shape[i] + idx[i];
    out[o] = f(out[o], data[k]);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

if (xp) {
  const r = rng(11);

  Deno.test("sum/prod/max/min/mean over every axis subset of a 3-D array", async () => {
    const shape = [3, 4, 5];
    const v = randn(r, 60, 0.5, 1.5);
    const x = xp.reshape(xp.asarray(v), shape);
    const subsets = [[], [0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2]];
    for (const axes of subsets) {
      const cases: [string, number, (a: number, b: number) => number][] = [
        ["sum", 0, (a, b) => a + b],
        ["prod", 1, (a, b) => a * b],
        ["max", -Infinity, Math.max],
        ["min", Infinity, Math.min],
      ];
      for (const [name, init, f] of cases) {
        const got = (xp[name as "sum"])(x, { axis: axes });
        assertClose(
          await host(xp, got),
          hostReduce(v, shape, axes, init, f),
          `${name}${JSON.stringify(axes)}`,
          1e-5,
        );
        xp.dispose(got);
      }
      const n = axes.reduce((p, a) => p * shape[a], 1);
      const mean = xp.mean(x, { axis: axes, keepdims: true });
      assert.deepEqual(mean.shape, shape.map((d, i) => (axes.includes(i) ? 1 : d)));
      assertClose(
        await host(xp, mean),
        hostReduce(v, shape, axes, 0, (a, b) => a + b).map((s) => s / n),
        "mean",
        1e-5,
      );
      xp.dispose(mean);
    }
  });

  Deno.test("long rows are split into chunks and combined; sums stay accurate", async () => {
    // 3 rows of 300000: the wg layout splits each row into chunks plus a combine pass
    const n = 300000;
    const x = xp.ones([3, n]);
    const s = xp.sum(xp.multiply(x, xp.asarray([[0.1], [1], [3]])), { axis: 1 });
    assertClose(await host(xp, s), [0.1 * n, n, 3 * n], "chunked sum", 2e-6);
    const big = xp.sum(xp.ones([1 << 21]));
    assert.deepEqual(await host(xp, big), [1 << 21]);
    const ramp = xp.arange(0, 100000, 1, { dtype: "float32" });
    assertClose(await host(xp, xp.max(ramp)), [99999], "max");
    assertClose(await host(xp, xp.sum(ramp)), [4999950000], "sum of a ramp", 1e-6);
  });

  Deno.test("column reductions (strided rows) and tiny rows use the thread layout", async () => {
    const shape = [2000, 7];
    const v = randn(r, 14000);
    const x = xp.reshape(xp.asarray(v), shape);
    assertClose(
      await host(xp, xp.sum(x, { axis: 0 })),
      hostReduce(v, shape, [0], 0, (a, b) => a + b),
      "axis 0",
      1e-4,
      1e-4,
    );
    assertClose(
      await host(xp, xp.sum(x, { axis: 1 })),
      hostReduce(v, shape, [1], 0, (a, b) => a + b),
      "axis 1",
      1e-5,
      1e-5,
    );
    const t = xp.matrix_transpose(x);
    assertClose(
      await host(xp, xp.max(t, { axis: -1 })),
      hostReduce(v, shape, [0], -Infinity, Math.max),
      "max of transposed",
      0,
    );
  });

  Deno.test("integer and bool reductions, NaN propagation, all/any, empty axes", async () => {
    const i = xp.asarray([[1, -2, 3], [4, 5, -6]], { dtype: "int32" });
    const s = xp.sum(i, { axis: 1 });
    assert.equal(s.dtype, "int32");
    assert.deepEqual(await host(xp, s), [2, 3]);
    assert.deepEqual(await host(xp, xp.prod(i)), [720]);
    assert.deepEqual(await host(xp, xp.max(i, { axis: 0 })), [4, 5, 3]);
    const b = xp.asarray([[true, false], [true, true]]);
    const bs = xp.sum(b);
    assert.equal(bs.dtype, "int32");
    assert.deepEqual(await host(xp, bs), [3]);
    assert.deepEqual(await host(xp, xp.all(b, { axis: 1 })), [0, 1]);
    assert.deepEqual(await host(xp, xp.any(b, { axis: 0 })), [1, 1]);
    const f = xp.asarray([1, NaN, 3]);
    assertClose(await host(xp, xp.max(f)), [NaN], "max NaN");
    assertClose(await host(xp, xp.min(f)), [NaN], "min NaN");
    assert.deepEqual(await host(xp, xp.all(f)), [1]);
    const e = xp.zeros([0, 3]);
    assert.deepEqual(await host(xp, xp.sum(e, { axis: 0 })), [0, 0, 0]);
    assert.deepEqual(await host(xp, xp.prod(e, { axis: 0 })), [1, 1, 1]);
    assert.deepEqual(await host(xp, xp.all(e)), [1]);
    assertClose(await host(xp, xp.mean(e, { axis: 0 })), [NaN, NaN, NaN], "mean of empty");
    assertThrowsKind(() => xp.max(e, { axis: 0 }), RangeError, ["(0, 3)"]);
    assertThrowsKind(() => xp.sum(i, { axis: 2 }), RangeError, ["axis 2"]);
    const sf = xp.sum(i, { dtype: "float32" });
    assert.equal(sf.dtype, "float32");
    assert.deepEqual(await host(xp, sf), [5]);
  });

  Deno.test("argmax/argmin: first occurrence, NaN wins, axes and keepdims", async () => {
    const x = xp.asarray([[1, 5, 5, 0], [NaN, 2, NaN, 9], [-1, -1, -3, -3]]);
    assert.deepEqual(await host(xp, xp.argmax(x, { axis: 1 })), [1, 0, 0]);
    assert.deepEqual(await host(xp, xp.argmin(x, { axis: 1 })), [3, 0, 2]);
    assert.deepEqual(await host(xp, xp.argmax(x, { axis: 0 })), [1, 0, 1, 1]);
    const flat = xp.argmax(xp.asarray([[3, 7], [7, 1]]));
    assert.deepEqual(flat.shape, []);
    assert.deepEqual(await host(xp, flat), [1]);
    const k = xp.argmin(x, { axis: 1, keepdims: true });
    assert.deepEqual(k.shape, [3, 1]);
    const big = xp.asarray(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 5003));
    const want = Array.from({ length: 5000 }, (_, i) => (i * 7919) % 5003);
    assert.deepEqual(await host(xp, xp.argmax(big)), [want.indexOf(Math.max(...want))]);
    assertThrowsKind(() => xp.argmax(xp.zeros([0])), RangeError, ["(0,)"]);
  });

  Deno.test("cumulative_sum along any axis, include_initial, dtype, long rows", async () => {
    const shape = [3, 4, 5];
    const v = randn(r, 60);
    const x = xp.reshape(xp.asarray(v), shape);
    for (const axis of [0, 1, 2, -1]) {
      const a = (axis + 3) % 3;
      const c = xp.cumulative_sum(x, { axis, include_initial: axis === 1 });
      const outShape = [...shape];
      if (axis === 1) outShape[1] += 1;
      assert.deepEqual(c.shape, outShape);
      const want = tabulate(outShape, (idx) => {
        let s = 0;
        const n = axis === 1 ? idx[1] : idx[a] + 1;
        for (let t = 0; t < n; t++) {
          const j = [...idx];
          j[a] = t;
          s += v[(j[0] * 4 + j[1]) * 5 + j[2]];
        }
        return s;
      });
      assertClose(await host(xp, c), want, `cumsum axis ${axis}`, 1e-5, 1e-5);
    }
    const n = 70000;
    const long = xp.cumulative_sum(xp.ones([n]));
    const h = await host(xp, long);
    assert.equal(h[0], 1);
    assert.equal(h[n - 1], n);
    assert.equal(h[12345], 12346);
    const ci = xp.cumulative_sum(xp.asarray([true, true, false, true]));
    assert.equal(ci.dtype, "int32");
    assert.deepEqual(await host(xp, ci), [1, 2, 2, 3]);
    assertThrowsKind(() => xp.cumulative_sum(x), RangeError, ["axis", "(3, 4, 5)"]);
  });
}
