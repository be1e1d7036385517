import assert from "node:assert/strict";
import type { WebGpuArray } from "./webgpu_array.ts";
import {
  assertClose,
  assertThrowsKind,
  at,
  host,
  openOrSkip,
  randn,
  rng,
  tabulate,
} from "./_test_util.ts";

const xp = await openOrSkip("elementwise_test.ts");

if (xp) {
  const r = rng(7);

  Deno.test("binary ops broadcast N-d views (transposed, flipped, broadcast) against a host reference", async () => {
    const a = randn(r, 4 * 3 * 5), b = randn(r, 5 * 3), c = randn(r, 4);
    const A = xp.asarray(a, { dtype: "float32" });
    const A3 = xp.reshape(A, [4, 3, 5]);
    const B = xp.matrix_transpose(xp.reshape(xp.asarray(b), [5, 3])); // (3, 5) transposed view
    const C = xp.flip(xp.reshape(xp.asarray(c), [4, 1, 1]), { axis: 0 });
    const S = [4, 3, 5];
    const ops: [string, (x: number, y: number) => number][] = [
      ["add", (x, y) => x + y],
      ["subtract", (x, y) => x - y],
      ["multiply", (x, y) => x * y],
      ["divide", (x, y) => x / y],
      ["maximum", Math.max],
      ["minimum", Math.min],
      ["hypot", Math.hypot],
    ];
    for (const [name, f] of ops) {
      const fn = xp[name as "add"] as (x: unknown, y: unknown) => WebGpuArray;
      const y = fn(fn(A3, B), C);
      assert.deepEqual(y.shape, S);
      const want = tabulate(
        S,
        ([i, j, k]) =>
          Math.fround(f(Math.fround(f(a[(i * 3 + j) * 5 + k], b[k * 3 + j])), c[3 - i])),
      );
      assertClose(await host(xp, y), want, name, 2e-6, 1e-7);
      xp.dispose(y);
    }
    xp.dispose(A, A3, B, C);
  });

  Deno.test("unary ops match Math on float32 data including special values", async () => {
    const v = [...randn(r, 20, -5, 5), 0, -0, Infinity, -Infinity, NaN, 1e-30, 88, 89, -104];
    const x = xp.asarray(v);
    const cases: [keyof typeof xp, (t: number) => number, number][] = [
      ["abs", Math.abs, 0],
      ["negative", (t) => -t, 0],
      ["sqrt", Math.sqrt, 1e-6],
      ["exp", Math.exp, 1e-5],
      ["log", Math.log, 1e-5],
      ["floor", Math.floor, 0],
      ["square", (t) => t * t, 1e-6],
      ["sign", (t) => (Number.isNaN(t) ? NaN : Math.sign(t) || 0), 0],
    ];
    for (const [name, f, tol] of cases) {
      const y = (xp[name] as (a: unknown) => WebGpuArray)(x);
      const want = v.map((t) => Math.fround(f(Math.fround(t))));
      assertClose(await host(xp, y), want, name, tol, 1e-30);
      xp.dispose(y);
    }
    for (
      const [name, f] of [["isnan", Number.isNaN], [
        "isinf",
        (t: number) => Math.abs(t) === Infinity,
      ], [
        "isfinite",
        Number.isFinite,
      ]] as const
    ) {
      const y: WebGpuArray = xp[name](x);
      assert.equal(y.dtype, "bool");
      assert.deepEqual(Array.from(await xp.toHost(y)), v.map((t) => (f(t) ? 1 : 0)), name);
      xp.dispose(y);
    }
    xp.dispose(x);
  });

  Deno.test("NaN semantics: max/min propagate, != and bool casts treat NaN as true", async () => {
    const x = xp.asarray([NaN, 1, 2, NaN]), y = xp.asarray([0, NaN, 1, NaN]);
    assertClose(await host(xp, xp.maximum(x, y)), [NaN, NaN, 2, NaN], "maximum");
    assertClose(await host(xp, xp.minimum(x, y)), [NaN, NaN, 1, NaN], "minimum");
    assert.deepEqual(await host(xp, xp.not_equal(x, y)), [1, 1, 1, 1]);
    assert.deepEqual(await host(xp, xp.equal(x, x)), [0, 1, 1, 0]);
    assert.deepEqual(await host(xp, xp.astype(x, "bool")), [1, 1, 1, 1]);
    assert.deepEqual(await host(xp, xp.less(x, 1.5)), [0, 1, 0, 0]);
    assertClose(await host(xp, xp.clip(x, { min: 0, max: 1.5 })), [NaN, 1, 1.5, NaN], "clip");
  });

  Deno.test("pow follows IEEE/NumPy on signs, zeros and infinities", async () => {
    const b = [-2, -2, -8, 0, -0, 0, 2, 1, NaN, -1, 0.5, 4, -Infinity, Infinity];
    const e = [3, 2, 1 / 3, -1, -1, 0, 0.5, NaN, 0, Infinity, -Infinity, -0.5, 3, -2];
    const got = await host(xp, xp.pow(xp.asarray(b), xp.asarray(e)));
    // C99/NumPy pow: pow(1, y) = 1 and pow(-1, ±inf) = 1 (JS gives NaN there)
    const ieee = (
      x: number,
      y: number,
    ) => (x === 1 || (x === -1 && !Number.isFinite(y) && !Number.isNaN(y)) ? 1 : x ** y);
    const want = b.map((x, i) => Math.fround(ieee(Math.fround(x), Math.fround(e[i]))));
    assertClose(got, want, "pow", 1e-6, 0);
    const ip = await host(xp, xp.pow(xp.asarray([2, -3, 5, 1, -1], { dtype: "int32" }), 3));
    assert.deepEqual(ip, [8, -27, 125, 1, -1]);
  });

  Deno.test("integer, unsigned and bool arithmetic and promotion", async () => {
    const i = xp.asarray([7, -3, 0, 2147483647], { dtype: "int32" });
    const u = xp.asarray([7, 3, 0, 4294967295], { dtype: "uint32" });
    const add = xp.add(i, 1);
    assert.equal(add.dtype, "int32");
    assert.deepEqual(await host(xp, add), [8, -2, 1, -2147483648]);
    assert.deepEqual(await host(xp, xp.negative(u)), [4294967289, 4294967293, 0, 1]);
    const d = xp.divide(i, 2);
    assert.equal(d.dtype, "float32");
    assert.deepEqual(await host(xp, d), [3.5, -1.5, 0, 1073741824]);
    assert.deepEqual(await host(xp, xp.abs(i)), [7, 3, 0, 2147483647]);
    assert.deepEqual(await host(xp, xp.sign(i)), [1, -1, 0, 1]);
    assert.deepEqual(await host(xp, xp.maximum(i, xp.asarray([0], { dtype: "int32" }))), [
      7,
      0,
      0,
      2147483647,
    ]);
    const bt = xp.asarray([true, false, true]), bf = xp.asarray([false, false, true]);
    assert.deepEqual(await host(xp, xp.logical_and(bt, bf)), [0, 0, 1]);
    assert.deepEqual(await host(xp, xp.logical_or(bt, bf)), [1, 0, 1]);
    assert.deepEqual(await host(xp, xp.logical_not(bt)), [0, 1, 0]);
    assert.deepEqual(await host(xp, xp.less(bf, bt)), [1, 0, 0]);
    assert.deepEqual(await host(xp, xp.where(bt, 1, xp.asarray([5, 6, 7]))), [1, 6, 1]);
    const f = xp.add(xp.asarray([1.5], { dtype: "float32" }), xp.asarray([2], { dtype: "int32" }));
    assert.equal(f.dtype, "float32");
    assert.deepEqual(await host(xp, f), [3.5]);
    // int32 + uint32 promotes to int64, which webgpu does not have
    assertThrowsKind(() => xp.add(i, u), TypeError, ["int64"]);
    assertThrowsKind(() => xp.add(i, 0.5), TypeError, ["0.5", "int32"]);
    assertThrowsKind(() => xp.add(bt, bt), TypeError, ["bool"]);
    assertThrowsKind(() => xp.where(i, 1, 2), TypeError, ["bool", "int32"]);
    assertThrowsKind(() => xp.sqrt(bt), TypeError, ["bool"]);
  });

  Deno.test("shape mismatch is a RangeError naming both shapes; foreign arrays a TypeError", () => {
    const a = xp.zeros([3, 4]), b = xp.zeros([2, 4]);
    assertThrowsKind(() => xp.add(a, b), RangeError, ["(3, 4)", "(2, 4)"]);
    assertThrowsKind(() => xp.multiply(a, [1, 2] as never), TypeError, ["webgpu"]);
    const fake = { __array_namespace__: () => ({ name: "cpu" }), shape: [3, 4], dtype: "float64" };
    assertThrowsKind(() => xp.add(a, fake as never), TypeError, ["cpu", "webgpu"]);
    xp.dispose(a, b);
    assertThrowsKind(() => xp.add(a, 1), TypeError, ["disposed", "(3, 4)"]);
  });

  Deno.test("astype covers every dtype pair and float16 rounds like Float16Array", async () => {
    const v = [0, 1.5, -2.25, 3, 70000, 1e-9];
    const f = xp.asarray(v);
    assert.deepEqual(await host(xp, xp.astype(f, "int32")), [0, 1, -2, 3, 70000, 0]);
    assert.deepEqual(await host(xp, xp.astype(f, "bool")), [0, 1, 1, 1, 1, 1]);
    assert.deepEqual(await host(xp, xp.astype(xp.astype(f, "int32"), "float32")), [
      0,
      1,
      -2,
      3,
      70000,
      0,
    ]);
    if (xp.__array_namespace_info__().dtypes()["float16"]) {
      const h = xp.astype(f, "float16");
      assert.equal(h.dtype, "float16");
      assert.deepEqual(await host(xp, h), Array.from(Float16Array.from(v), Number));
      const s = xp.add(h, h);
      assert.equal(s.dtype, "float16");
      assert.deepEqual(
        await host(xp, s),
        Array.from(Float16Array.from(v.map((t) => 2 * Math.fround(t))), Number),
      );
      const up = xp.add(h, xp.asarray([1], { dtype: "float32" }));
      assert.equal(up.dtype, "float32");
    }
    assert.equal(xp.astype(f, "float32", { copy: false }), f);
  });

  Deno.test("scalar operands on either side, 0-d results, both-scalar calls", async () => {
    const x = xp.asarray([[1, 2], [3, 4]]);
    assert.deepEqual(await host(xp, xp.subtract(10, x)), [9, 8, 7, 6]);
    assert.deepEqual(await host(xp, xp.divide(x, 4)), [0.25, 0.5, 0.75, 1]);
    assert.deepEqual(await host(xp, xp.greater_equal(x, 2.5)), [0, 0, 1, 1]);
    const s = xp.add(2, 3);
    assert.deepEqual(s.shape, []);
    assert.equal(s.dtype, "int32");
    assert.deepEqual(await host(xp, s), [5]);
    const bx = xp.broadcast_to(xp.asarray([1, 2]), [3, 2]);
    const want = tabulate([3, 2], (i) => at([1, 2], [2], i) * 3);
    assert.deepEqual(await host(xp, xp.multiply(bx, 3)), want);
  });
}
