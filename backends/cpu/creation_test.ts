import assert from "node:assert/strict";
import type { ArrayNamespace, ArrayObject } from "../../array_api/types.ts";
import { cpu as xp } from "./cpu.ts";
import { CpuArray } from "./cpu_array.ts";
import { assertClose, nested } from "./_test_util.ts";

Deno.test("asarray: nested sequences, dtype inference, explicit dtypes", () => {
  const a = xp.asarray([[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(a.shape, [2, 3]);
  assert.equal(a.dtype, "float64");
  assert.ok(a.data instanceof Float64Array);
  assert.deepEqual(nested(a), [[1, 2, 3], [4, 5, 6]]);
  const b = xp.asarray([[true, false]]);
  assert.equal(b.dtype, "bool");
  assert.ok(b.data instanceof Uint8Array);
  assert.deepEqual(Array.from(b.data), [1, 0]);
  assert.equal(xp.asarray(3).dtype, "float64");
  assert.deepEqual(xp.asarray(3).shape, []);
  assert.equal(xp.asarray(true).dtype, "bool");
  assert.deepEqual(xp.asarray([]).shape, [0]);
  assert.deepEqual(xp.asarray([[], []]).shape, [2, 0]);
  const i8 = xp.asarray([1, -129, 2.9], { dtype: "int8" });
  assert.equal(i8.dtype, "int8");
  assert.deepEqual(Array.from(i8.data), [1, 127, 2]); // stores wrap/truncate like the typed array
  assert.deepEqual(Array.from(xp.asarray([0, 2, NaN], { dtype: "bool" }).data), [0, 1, 1]);
  assert.deepEqual(Array.from(xp.asarray([true, false], { dtype: "float32" }).data), [1, 0]);
  // nested typed arrays and array-likes
  const c = xp.asarray([new Float64Array([1, 2]), new Float64Array([3, 4])] as never);
  assert.deepEqual(c.shape, [2, 2]);
  assert.deepEqual(xp.asarray({ length: 2, 0: 5, 1: 6 } as ArrayLike<number>).shape, [2]);
});

Deno.test("asarray: ragged nesting is a RangeError naming the depth, bad leaves a TypeError", () => {
  assert.throws(
    () => xp.asarray([[1, 2], [3]]),
    (e: Error) =>
      e instanceof RangeError && e.message.includes("depth 1") && e.message.includes("x[1]"),
  );
  assert.throws(
    () => xp.asarray([[[1], [2]], [[3], 4]] as never),
    (e: Error) => e instanceof RangeError && e.message.includes("depth 2"),
  );
  assert.throws(
    () => xp.asarray([1, [2]] as never),
    (e: Error) => e instanceof RangeError && e.message.includes("depth 1"),
  );
  assert.throws(
    () => xp.asarray([1, "2"] as never),
    (e: Error) => e instanceof TypeError && e.message.includes("string"),
  );
  assert.throws(() => xp.asarray([1, null] as never), TypeError);
  assert.throws(
    () => xp.asarray([true, 1] as never),
    (e: Error) => e instanceof TypeError && e.message.includes("mix"),
  );
  assert.throws(() => xp.asarray("abc" as never), TypeError);
  assert.throws(() => xp.asarray(new ArrayBuffer(8) as never), TypeError);
});

Deno.test("asarray: typed arrays keep their dtype; copy semantics; zero-copy wrapping", () => {
  const cases: [ArrayBufferView, string][] = [
    [new Float64Array(2), "float64"],
    [new Float32Array(2), "float32"],
    [new Int32Array(2), "int32"],
    [new Int16Array(2), "int16"],
    [new Int8Array(2), "int8"],
    [new Uint32Array(2), "uint32"],
    [new Uint16Array(2), "uint16"],
    [new Uint8Array(2), "uint8"],
    [new Uint8ClampedArray(2), "uint8"],
  ];
  for (const [v, dt] of cases) assert.equal(xp.asarray(v).dtype, dt);
  const f = new Float64Array([1, 2, 3]);
  const wrapped = xp.asarray(f, { copy: false });
  assert.equal(wrapped.data, f);
  assert.equal(xp.asarray(f).data, f); // copy only when needed
  const copied = xp.asarray(f, { copy: true });
  assert.notEqual(copied.data, f);
  f[0] = 9;
  assert.equal(copied.data[0], 1);
  assert.equal(wrapped.data[0], 9);
  // a subarray keeps its offset (zero-copy)
  const sub = xp.asarray(f.subarray(1), { copy: false });
  assert.deepEqual(Array.from(sub.data), [2, 3]);
  // conversions need a copy
  assert.equal(xp.asarray(f, { dtype: "float32" }).dtype, "float32");
  assert.throws(
    () => xp.asarray(f, { dtype: "float32", copy: false }),
    (e: Error) => e instanceof TypeError && e.message.includes("copy=false"),
  );
  assert.throws(() => xp.asarray([1, 2], { copy: false }), RangeError);
  // arrays of this namespace
  assert.equal(xp.asarray(wrapped), wrapped);
  assert.notEqual(xp.asarray(wrapped, { copy: true }), wrapped);
  assert.equal(xp.asarray(wrapped, { dtype: "int32" }).dtype, "int32");
  // unsupported element types
  assert.throws(
    () => xp.asarray(new BigInt64Array(2) as never),
    (e: Error) => e instanceof TypeError && e.message.includes("int64"),
  );
  assert.throws(() => xp.asarray(new DataView(new ArrayBuffer(8)) as never), TypeError);
});

Deno.test("unsupported dtypes, devices, and arrays of other namespaces", () => {
  for (const dt of ["int64", "uint64", "float16", "complex64", "complex128"] as const) {
    assert.throws(
      () => xp.zeros([2], { dtype: dt }),
      (e: Error) =>
        e instanceof TypeError && e.message.includes(dt) &&
        e.message.includes("not supported on cpu"),
    );
  }
  assert.throws(
    () => xp.zeros([2], { dtype: "double" as never }),
    (e: Error) => e instanceof TypeError && e.message.includes("unknown dtype"),
  );
  assert.throws(() => xp.ones([2], { device: "webgpu:0" }), RangeError);
  const foreign: ArrayObject = {
    shape: [2],
    dtype: "float64",
    device: "other",
    ndim: 1,
    size: 2,
    __array_namespace__: () => ({ name: "other" }) as unknown as ArrayNamespace,
  };
  for (
    const f of [
      () => xp.add(foreign as never, 1),
      () => xp.asarray(foreign as never),
      () => xp.sum(foreign as never),
    ]
  ) {
    assert.throws(
      f,
      (e: Error) => e instanceof TypeError && e.message.includes("different namespaces"),
    );
  }
  assert.throws(
    () => xp.add([1, 2] as never, 1),
    (e: Error) => e instanceof TypeError && e.message.includes("asarray"),
  );
});

Deno.test("CpuArray: constructor checks, namespace, display", () => {
  const a = new CpuArray(new Float32Array(6), [2, 3]);
  assert.equal(a.dtype, "float32");
  assert.equal(a.ndim, 2);
  assert.equal(a.size, 6);
  assert.equal(a.device, "cpu");
  assert.equal(a.__array_namespace__(), xp);
  assert.throws(() => a.__array_namespace__({ api_version: "2019.01" }), RangeError);
  assert.ok(Object.isFrozen(a.shape));
  assert.throws(
    () => new CpuArray(new Float64Array(5), [2, 3]),
    (e: Error) => e instanceof RangeError && e.message.includes("(2, 3)"),
  );
  assert.throws(() => new CpuArray(new Float64Array(2), [2], "int32"), TypeError);
  assert.equal(new CpuArray(new Uint8Array([1, 0]), [2], "bool").dtype, "bool");
  assert.match(String(xp.asarray([true, false])), /CpuArray\(bool, \(2,\)\) \[true, false\]/);
});

Deno.test("zeros/ones/full/eye/arange/linspace and *_like", () => {
  assertClose(xp.zeros([2, 2]), [0, 0, 0, 0], 0, [2, 2]);
  assert.equal(xp.ones(3).dtype, "float64");
  assert.deepEqual(xp.ones(3).shape, [3]);
  assert.equal(xp.full([2], 3).dtype, "int32"); // integer fill → default integer dtype
  assert.equal(xp.full([2], 3.5).dtype, "float64");
  assert.equal(xp.full([2], true).dtype, "bool");
  assert.deepEqual(Array.from(xp.full([2], 7, { dtype: "float32" }).data), [7, 7]);
  assert.throws(() => xp.zeros([2, -1]), RangeError);
  assert.throws(() => xp.zeros([1.5]), RangeError);
  assertClose(xp.eye(3, 4, { k: 1 }), [[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], 0, [3, 4]);
  assertClose(xp.eye(3, null, { k: -2 }), [[0, 0, 0], [0, 0, 0], [1, 0, 0]], 0);
  const r = xp.arange(5);
  assert.equal(r.dtype, "int32");
  assert.deepEqual(Array.from(r.data), [0, 1, 2, 3, 4]);
  assertClose(xp.arange(1, 2, 0.25), [1, 1.25, 1.5, 1.75], 0, [4]);
  assertClose(xp.arange(5, 0, -2), [5, 3, 1], 0);
  assert.deepEqual(xp.arange(3, 1).shape, [0]);
  assert.throws(() => xp.arange(0, 5, 0), RangeError);
  assertClose(xp.linspace(0, 1, 5), [0, 0.25, 0.5, 0.75, 1], 0);
  assertClose(xp.linspace(0, 1, 4, { endpoint: false }), [0, 0.25, 0.5, 0.75], 0);
  assert.equal(xp.linspace(0, 1, 3).data[2], 1);
  assert.throws(() => xp.linspace(0, 1, 3, { dtype: "int32" }), TypeError);
  const t = xp.asarray([[1, 2]], { dtype: "int16" });
  assert.equal(xp.zeros_like(t).dtype, "int16");
  assert.deepEqual(xp.ones_like(t, { dtype: "float32" }).shape, [1, 2]);
  assert.deepEqual(Array.from(xp.full_like(t, 4).data), [4, 4]);
  assert.equal(xp.empty_like(t).size, 2);
});

Deno.test("astype, dtype functions, namespace info", () => {
  const f = xp.asarray([-1.7, 2.5, NaN, 3e9]);
  assert.deepEqual(Array.from(xp.astype(f, "int32").data), [-1, 2, 0, 3e9 | 0]);
  assert.deepEqual(Array.from(xp.astype(f, "bool").data), [1, 1, 1, 1]);
  assert.deepEqual(Array.from(xp.astype(xp.asarray([0, 1.5]), "bool").data), [0, 1]);
  assert.equal(xp.astype(f, "float64", { copy: false }), f);
  assert.notEqual(xp.astype(f, "float64"), f);
  assert.equal(xp.astype(xp.asarray([0.1]), "float32").data[0], Math.fround(0.1));
  assert.equal(xp.can_cast("int8", "int16"), true);
  assert.equal(xp.can_cast(f, "float32"), false);
  assert.equal(xp.finfo("float32").eps, 2 ** -23);
  assert.equal(xp.finfo(f).max, Number.MAX_VALUE);
  assert.equal(xp.iinfo("uint16").max, 65535);
  assert.throws(() => xp.iinfo("float32"), TypeError);
  assert.equal(xp.isdtype("uint8", "integral"), true);
  assert.equal(xp.result_type(xp.asarray([1], { dtype: "int8" }), "uint8"), "int16");
  assert.equal(xp.result_type(xp.asarray([1], { dtype: "float32" }), 2.5), "float32");
  assert.equal(xp.result_type(1, 2), "int32");
  const info = xp.__array_namespace_info__();
  assert.deepEqual(info.devices(), ["cpu"]);
  assert.equal(info.default_device(), "cpu");
  assert.equal(info.default_dtypes()["real floating"], "float64");
  assert.equal(info.default_dtypes().indexing, "int32");
  assert.deepEqual(Object.keys(info.dtypes({ kind: "real floating" })), ["float32", "float64"]);
  assert.deepEqual(Object.keys(info.dtypes({ kind: ["bool", "unsigned integer"] })), [
    "bool",
    "uint8",
    "uint16",
    "uint32",
  ]);
  assert.equal(Object.keys(info.dtypes()).length, 9);
  assert.equal(info.capabilities().float64, true);
  assert.equal(xp.__array_api_version__, "2025.12");
  assert.equal(xp.newaxis, null);
});

Deno.test("toHost copies at call time; dispose is a no-op", async () => {
  const a = xp.asarray([1, 2, 3]);
  const p = xp.toHost(a);
  (a.data as Float64Array)[0] = 42;
  const h = await p;
  assert.ok(h instanceof Float64Array);
  assert.deepEqual(Array.from(h), [1, 2, 3]);
  assert.notEqual(h, a.data);
  xp.dispose(a, a);
  assert.equal(a.data[0], 42);
  await assert.rejects(() => xp.toHost([1] as never), TypeError);
  const b = await xp.toHost(xp.asarray([true, false]));
  assert.ok(b instanceof Uint8Array);
});
