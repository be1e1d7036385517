/**
 * Interop with numjs (`npm:numjs@0.16.1/src/ndarray.js`, which loads without numjs's native
 * parts) and the `ndarray` package: strided views (transposes, slices, steps, negative and zero
 * strides, offsets) against element-by-element reads with `.get`, zero-copy where promised,
 * dtype handling, `copy` semantics, error paths, and the round trip back.
 */
import assert from "node:assert/strict";
import ndarrayUntyped from "npm:ndarray@1.0.19";
import NdArray from "npm:numjs@0.16.1/src/ndarray.js";
import { cpu, type CpuArray } from "./mod.ts";
import { fromNdarray, isNdarray, toNdarray, toNumjs } from "./ndarray_interop.ts";
import { cg } from "../../linalg/cg.ts";
import { csrArray } from "../../sparse/csr_array.ts";

// deno-lint-ignore no-explicit-any
type Nd = any;
// deno-lint-ignore no-explicit-any
const ndarray = ndarrayUntyped as (...args: any[]) => Nd;

/** Reads every element of an ndarray/NdArray view with its own `get`, row-major. */
function readAll(v: Nd): number[] {
  const shape: number[] = v.shape;
  const out: number[] = [];
  const idx = new Array(shape.length).fill(0);
  const size = shape.reduce((p, q) => p * q, 1);
  for (let k = 0; k < size; k++) {
    out.push(Number(v.get(...idx)));
    for (let a = shape.length - 1; a >= 0; a--) {
      if (++idx[a] < shape[a]) break;
      idx[a] = 0;
    }
  }
  return out;
}

function check(x: CpuArray, v: Nd, dtype: string): void {
  assert.deepEqual(x.shape, Array.from(v.shape));
  assert.equal(x.dtype, dtype);
  assert.deepEqual(Array.from(x.data as ArrayLike<number>), readAll(v));
}

const base = () => Float64Array.from({ length: 24 }, (_, i) => i * 1.5 - 7);

Deno.test("numjs: a contiguous float64 NdArray is wrapped without copying", () => {
  const a: Nd = new NdArray(base(), [4, 6]);
  assert.ok(isNdarray(a));
  const x = fromNdarray(a);
  check(x, a, "float64");
  assert.equal(x.data.buffer, a.selection.data.buffer, "shares storage");
  // copy: true detaches
  const c = fromNdarray(a, { copy: true });
  assert.notEqual(c.data.buffer, a.selection.data.buffer);
  check(c, a, "float64");
});

Deno.test("numjs: transposed, sliced, stepped and picked views are read through strides", () => {
  const a: Nd = new NdArray(base(), [4, 6]);
  const views: [string, Nd][] = [
    ["T", a.T],
    ["slice rows 1:3", a.slice([1, 3])],
    ["slice cols 2:5", a.slice(null, [2, 5])],
    ["step 2 / -1", a.step(2, -1)],
    ["lo/hi", a.lo(1, 2).hi(2, 3)],
    ["pick row 2", a.pick(2)],
    ["pick col 4", a.pick(null, 4)],
  ];
  for (const [what, v] of views) {
    const x = fromNdarray(v);
    assert.deepEqual(x.shape, Array.from(v.shape), what);
    assert.deepEqual(Array.from(x.data), readAll(v), what);
  }
  // a 3-D transpose
  const b: Nd = new NdArray(base(), [2, 3, 4]).transpose(2, 0, 1);
  check(fromNdarray(b), b, "float64");
});

Deno.test("numjs: JS-array storage (dtype 'array') becomes float64; float32 storage stays float32", () => {
  const a: Nd = new NdArray([1, 2, 3, 4, 5, 6], [2, 3]);
  assert.equal(a.dtype, "array");
  check(fromNdarray(a), a, "float64");
  const f: Nd = new NdArray(new Float32Array([1.5, 2.5, 3.5, 4.5]), [2, 2]).T;
  check(fromNdarray(f), f, "float32");
  const i: Nd = new NdArray(new Int32Array([1, -2, 3, -4]), [4]);
  check(fromNdarray(i), i, "int32");
});

Deno.test("ndarray: offsets, negative and zero strides, and Uint8ClampedArray", () => {
  const a: Nd = ndarray(base(), [4, 6]);
  const views: [string, Nd][] = [
    ["transpose", a.transpose(1, 0)],
    ["negative step", a.step(-1, -2)],
    ["offset (lo)", a.lo(2, 1)],
    ["pick", a.pick(null, 3)],
    ["hi + step", a.hi(3, 5).step(1, 2)],
  ];
  for (const [what, v] of views) {
    const x = fromNdarray(v);
    assert.equal(x.dtype, "float64", what);
    assert.deepEqual(x.shape, Array.from(v.shape), what);
    assert.deepEqual(Array.from(x.data), readAll(v), what);
  }
  // a broadcast view (stride 0) built by hand
  const bc: Nd = ndarray(new Float64Array([1, 2, 3]), [4, 3], [0, 1], 0);
  check(fromNdarray(bc), bc, "float64");
  // contiguous with an offset: zero-copy subarray
  const off: Nd = a.lo(1, 0);
  const x = fromNdarray(off);
  assert.equal(x.data.buffer, a.data.buffer);
  assert.equal(x.data.byteOffset, 6 * 8);
  check(x, off, "float64");
  const u: Nd = ndarray(new Uint8ClampedArray([0, 255, 7, 9]), [2, 2]).transpose(1, 0);
  check(fromNdarray(u), u, "uint8");
  // 0-d and empty views
  const z: Nd = ndarray(new Float64Array([4, 5, 6]), [], [], 2);
  const x0 = fromNdarray(z);
  assert.deepEqual(x0.shape, []);
  assert.deepEqual(Array.from(x0.data), [6]);
  const e = fromNdarray(ndarray(new Float64Array(0), [0, 3]));
  assert.deepEqual(e.shape, [0, 3]);
});

Deno.test("ndarray: dtype requests, bool, generic stores", () => {
  const a: Nd = ndarray(new Float64Array([1.25, -2.5, 3, 4]), [2, 2]);
  const f = fromNdarray(a.transpose(1, 0), { dtype: "float32" });
  assert.equal(f.dtype, "float32");
  assert.deepEqual(Array.from(f.data), [1.25, 3, -2.5, 4]);
  const b = fromNdarray(ndarray([true, false, true], [3]));
  assert.equal(b.dtype, "bool");
  assert.deepEqual(Array.from(b.data), [1, 0, 1]);
  const u8 = fromNdarray(ndarray(new Uint8Array([1, 0, 1]), [3]), { dtype: "bool", copy: false });
  assert.equal(u8.dtype, "bool");
  const store = { length: 4, get: (i: number) => 10 + i, set: () => {} };
  const g = fromNdarray(ndarray(store, [2, 2]).transpose(1, 0));
  assert.deepEqual(Array.from(g.data), [10, 12, 11, 13]);
});

Deno.test("ndarray/numjs: copy=false and bad views are clear errors", () => {
  const a: Nd = ndarray(base(), [4, 6]);
  assert.throws(
    () => fromNdarray(a.transpose(1, 0), { copy: false }),
    (e: Error) =>
      e instanceof RangeError && e.message.includes("(6, 4)") && /contiguous/.test(e.message),
  );
  assert.throws(
    () => fromNdarray(a, { copy: false, dtype: "float32" }),
    (e: Error) => e instanceof TypeError && e.message.includes("float64 to float32"),
  );
  assert.throws(
    () => fromNdarray(new NdArray([1, 2], [2]), { copy: false }),
    (e: Error) => e instanceof RangeError && e.message.includes("JS array"),
  );
  // a view reaching past its storage
  assert.throws(
    () => fromNdarray({ data: new Float64Array(6), shape: [3, 3], stride: [3, 1], offset: 0 }),
    (e: Error) =>
      e instanceof RangeError && e.message.includes("(3, 3)") && e.message.includes("6"),
  );
  assert.throws(
    () => fromNdarray({ data: new Float64Array(6), shape: [2, 3], stride: [-3, 1], offset: 0 }),
    RangeError,
  );
  assert.throws(
    () => fromNdarray({ data: new Float64Array(6), shape: [2.5], stride: [1], offset: 0 }),
    RangeError,
  );
  assert.throws(
    () => fromNdarray({ data: new BigInt64Array(2), shape: [2], stride: [1], offset: 0 }),
    (e: Error) => e instanceof TypeError && e.message.includes("int64"),
  );
  assert.throws(
    () => fromNdarray(ndarray(["a", "b"], [2])),
    (e: Error) => e instanceof TypeError && e.message.includes("string"),
  );
  assert.throws(() => fromNdarray([1, 2, 3]), TypeError);
  assert.throws(() => fromNdarray(cpu.zeros([2])), TypeError);
  assert.equal(isNdarray(cpu.zeros([2])), false);
  assert.equal(isNdarray(new Float64Array(2)), false);
});

Deno.test("toNumjs / toNdarray: shared by default, copy on request, numjs ops work", () => {
  const x = cpu.reshape(cpu.arange(0, 6, 1, { dtype: "float64" }), [2, 3]);
  const n: Nd = toNumjs(x, NdArray);
  assert.deepEqual(n.shape, [2, 3]);
  assert.equal(n.dtype, "float64");
  assert.equal(n.selection.data, x.data, "zero-copy");
  assert.equal(n.sum(), 15);
  assert.deepEqual(n.T.tolist(), [[0, 3], [1, 4], [2, 5]]);
  const c: Nd = toNumjs(x, NdArray, { copy: true });
  assert.notEqual(c.selection.data, x.data);
  // round trip through a numjs transpose
  const back = fromNdarray(n.T);
  assert.deepEqual(Array.from(back.data), [0, 3, 1, 4, 2, 5]);
  const d: Nd = toNdarray(x, ndarray);
  assert.deepEqual(Array.from(d.stride), [3, 1]);
  assert.equal(d.get(1, 2), 5);
  assert.equal(d.data, x.data);
  assert.notEqual(toNdarray(x, ndarray, { copy: true }).data, x.data);
  const bools = toNdarray(cpu.asarray([true, false]), ndarray);
  assert.deepEqual(Array.from(bools.data as Uint8Array), [1, 0]);
  assert.throws(() => toNumjs(x, 3 as never), TypeError);
  assert.throws(() => toNdarray([1, 2] as never, ndarray), TypeError);
});

Deno.test("a numjs system solves with cg (operands converted with fromNdarray)", async () => {
  // 1-D Poisson, A built densely in numjs, b a strided numjs view
  const n = 8;
  const A: Nd = new NdArray(new Float64Array(n * n), [n, n]);
  for (let i = 0; i < n; i++) {
    A.set(i, i, 2);
    if (i > 0) A.set(i, i - 1, -1);
    if (i < n - 1) A.set(i, i + 1, -1);
  }
  const bAll: Nd = new NdArray(Float64Array.from({ length: 2 * n }, (_, i) => i), [n, 2]);
  const b = bAll.pick(null, 1); // stride 2
  const S = await csrArray(fromNdarray(A));
  const r = await cg(S, fromNdarray(b), { rtol: 1e-12 });
  assert.equal(r.info[0], 0);
  const res = cpu.subtract(cpu.matmul(fromNdarray(A), r.x), fromNdarray(b));
  assert.ok(Math.max(...Array.from(res.data, Math.abs)) < 1e-9);
  const out: Nd = toNumjs(r.x as CpuArray, NdArray);
  assert.deepEqual(out.shape, [n]);
});

Deno.test("cpu.asarray accepts ndarray and numjs arrays", () => {
  const a: Nd = new NdArray(base(), [4, 6]);
  check(cpu.asarray(a as never), a, "float64");
  check(cpu.asarray(a.T as never), a.T, "float64");
  check(
    cpu.asarray(ndarray(base(), [4, 6]).step(-1) as never),
    ndarray(base(), [4, 6]).step(-1),
    "float64",
  );
  assert.throws(() => cpu.asarray(a.T as never, { copy: false }), RangeError);
});

Deno.test("solvers take numjs arrays directly (A dense NdArray, b strided NdArray)", async () => {
  const n = 6;
  const A: Nd = new NdArray(new Float64Array(n * n), [n, n]);
  for (let i = 0; i < n; i++) {
    A.set(i, i, 4);
    if (i > 0) A.set(i, i - 1, -1);
    if (i < n - 1) A.set(i, i + 1, -1);
  }
  const bAll: Nd = new NdArray(Float64Array.from({ length: 2 * n }, (_, i) => i + 1), [n, 2]);
  const b = bAll.pick(null, 0);
  const r = await cg(A as never, b as never, { rtol: 1e-12 });
  assert.equal(r.info[0], 0);
  const res = cpu.subtract(cpu.matmul(fromNdarray(A), r.x as CpuArray), fromNdarray(b));
  assert.ok(Math.max(...Array.from(res.data, Math.abs)) < 1e-9);
});
