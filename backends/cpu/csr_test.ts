import assert from "node:assert/strict";
import type { CsrData } from "../../array_api/types.ts";
import { cpu as xp } from "./cpu.ts";
import type { CpuArray } from "./cpu_array.ts";
import { assertClose, denseMatmul, randArray, rng } from "./_test_util.ts";

type Rand = () => number;

/** A random sparse M×N matrix: dense values (zeros where absent) and its CSR arrays. */
function randomCsr(r: Rand, M: number, N: number, density: number) {
  const dense = new Array<number>(M * N).fill(0);
  const indptr = [0], indices: number[] = [], data: number[] = [];
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      if (r() < density) {
        const v = r() * 2 - 1;
        dense[i * N + j] = v;
        indices.push(j);
        data.push(v);
      }
    }
    indptr.push(indices.length);
  }
  return { dense, indptr, indices, data };
}

const i32 = (a: number[]) => xp.asarray(a, { dtype: "int32" });

for (const dtype of ["float64", "float32"] as const) {
  const tol = dtype === "float64" ? 1e-14 : 2e-6;

  Deno.test(`csrMatvec/csrMatmat (${dtype}): "shared" layout vs dense matmul, batches`, () => {
    const r = rng(dtype === "float64" ? 1 : 2);
    const M = 7, N = 5, B = 3, K = 4;
    const base = randomCsr(r, M, N, 0.4);
    const nnz = base.indices.length;
    // unbatched A, batched x
    const A: CsrData<CpuArray> = {
      shape: [M, N],
      layout: "shared",
      nnz,
      indptr: i32(base.indptr),
      indices: i32(base.indices),
      data: xp.asarray(base.data, { dtype }),
    };
    const xs = randArray(r, 2 * B * N);
    const X = xp.reshape(xp.asarray(xs, { dtype }), [2, B, N]);
    const y = xp.csrMatvec(A, X);
    assert.deepEqual(y.shape, [2, B, M]);
    assert.equal(y.dtype, dtype);
    for (let b = 0; b < 2 * B; b++) {
      const ref = denseMatmul(base.dense, Array.from(X.data.subarray(b * N, (b + 1) * N)), M, N, 1);
      assertClose(xp.asarray(y.data.subarray(b * M, (b + 1) * M)), ref, tol);
    }
    // batched A (same pattern, different values) with equal x batch
    const vals = Array.from({ length: B }, () => randArray(r, nnz));
    const Ab: CsrData<CpuArray> = { ...A, shape: [B, M, N], data: xp.asarray(vals, { dtype }) };
    const xb = xp.reshape(xp.asarray(randArray(r, B * N), { dtype }), [B, N]);
    const yb = xp.csrMatvec(Ab, xb);
    assert.deepEqual(yb.shape, [B, M]);
    for (let b = 0; b < B; b++) {
      const dense = new Array<number>(M * N).fill(0);
      for (let i = 0; i < M; i++) {
        for (let k = base.indptr[i]; k < base.indptr[i + 1]; k++) {
          dense[i * N + base.indices[k]] = vals[b][k];
        }
      }
      const ref = denseMatmul(dense, Array.from(xb.data.subarray(b * N, (b + 1) * N)), M, N, 1);
      assertClose(xp.asarray(yb.data.subarray(b * M, (b + 1) * M)), ref, tol);
      // matmat against the same dense matrix
      const Xm = xp.reshape(xp.asarray(randArray(r, N * K), { dtype }), [N, K]);
      const Ym = xp.csrMatmat({ ...A, data: xp.asarray(vals[b], { dtype }) }, Xm);
      assert.deepEqual(Ym.shape, [M, K]);
      assertClose(Ym, denseMatmul(dense, Array.from(Xm.data), M, N, K), tol);
    }
    // batched matmat
    const Xb = xp.reshape(xp.asarray(randArray(r, B * N * K), { dtype }), [B, N, K]);
    const Yb = xp.csrMatmat(Ab, Xb);
    assert.deepEqual(Yb.shape, [B, M, K]);
    const X1 = xp.reshape(xp.asarray(Xb.data.subarray(N * K, 2 * N * K)), [N, K]);
    const Y0 = xp.csrMatmat({ ...A, data: xp.asarray(vals[1], { dtype }) }, X1);
    assertClose(xp.asarray(Yb.data.subarray(M * K, 2 * M * K)), Array.from(Y0.data), tol);
  });

  Deno.test(`csrMatvec/csrMatmat (${dtype}): "stacked" block-diagonal layout`, () => {
    const r = rng(dtype === "float64" ? 3 : 4);
    const M = 6, N = 4, B = 3, K = 2;
    const mats = Array.from({ length: B }, () => randomCsr(r, M, N, 0.5));
    const indptr = [0], indices: number[] = [], data: number[] = [];
    for (const m of mats) {
      const off = indices.length;
      for (let i = 0; i < M; i++) indptr.push(off + m.indptr[i + 1]);
      indices.push(...m.indices);
      data.push(...m.data);
    }
    const A: CsrData<CpuArray> = {
      shape: [B, M, N],
      layout: "stacked",
      nnz: indices.length,
      indptr: i32(indptr),
      indices: i32(indices),
      data: xp.asarray(data, { dtype }),
    };
    const x = xp.reshape(xp.asarray(randArray(r, B * N), { dtype }), [B, N]);
    const y = xp.csrMatvec(A, x);
    const X = xp.reshape(xp.asarray(randArray(r, B * N * K), { dtype }), [B, N, K]);
    const Y = xp.csrMatmat(A, X);
    assert.deepEqual(y.shape, [B, M]);
    assert.deepEqual(Y.shape, [B, M, K]);
    for (let b = 0; b < B; b++) {
      const xv = Array.from(x.data.subarray(b * N, (b + 1) * N));
      assertClose(
        xp.asarray(y.data.subarray(b * M, (b + 1) * M)),
        denseMatmul(mats[b].dense, xv, M, N, 1),
        tol,
      );
      const Xv = Array.from(X.data.subarray(b * N * K, (b + 1) * N * K));
      assertClose(
        xp.asarray(Y.data.subarray(b * M * K, (b + 1) * M * K)),
        denseMatmul(mats[b].dense, Xv, M, N, K),
        tol,
      );
    }
    assert.throws(
      () => xp.csrMatvec(A, xp.ones([N], { dtype })),
      (e: Error) =>
        e instanceof RangeError && e.message.includes("(4,)") && e.message.includes("(3,)"),
    );
  });

  Deno.test(`csrMatvec (${dtype}): donated out is used when it fits, empty rows and batches`, () => {
    const A: CsrData<CpuArray> = {
      shape: [3, 3],
      layout: "shared",
      nnz: 3,
      indptr: i32([0, 2, 2, 3]),
      indices: i32([0, 2, 1]),
      data: xp.asarray([1, 2, 3], { dtype }),
    };
    const x = xp.asarray([1, 10, 100], { dtype });
    const out = xp.full([3], 7, { dtype });
    const y = xp.csrMatvec(A, x, out);
    assert.equal(y, out);
    assert.deepEqual(Array.from(y.data), [201, 0, 30]);
    // wrong dtype or shape: a fresh array; out aliasing x: not written
    const y2 = xp.csrMatvec(A, x, xp.zeros([4], { dtype }));
    assert.deepEqual(y2.shape, [3]);
    const y3 = xp.csrMatvec(A, x, x);
    assert.notEqual(y3, x);
    assert.deepEqual(Array.from(x.data), [1, 10, 100]);
    assert.deepEqual(Array.from(y3.data), [201, 0, 30]);
    // empty batch of vectors
    assert.deepEqual(xp.csrMatvec(A, xp.zeros([0, 3], { dtype })).shape, [0, 3]);
    // matmat donation
    const Yo = xp.full([3, 2], 5, { dtype });
    const Ym = xp.csrMatmat(A, xp.asarray([[1, 0], [0, 1], [1, 1]], { dtype }), Yo);
    assert.equal(Ym, Yo);
    assert.deepEqual(Array.from(Ym.data), [3, 2, 0, 0, 0, 3]);
  });
}

Deno.test("csr kernels: dtype and shape errors name what is wrong", () => {
  const A: CsrData<CpuArray> = {
    shape: [2, 3],
    layout: "shared",
    nnz: 2,
    indptr: i32([0, 1, 2]),
    indices: i32([0, 2]),
    data: xp.asarray([1, 2]),
  };
  assert.throws(
    () => xp.csrMatvec(A, xp.ones([3], { dtype: "float32" })),
    (e: Error) =>
      e instanceof TypeError && e.message.includes("float32") && e.message.includes("float64"),
  );
  assert.throws(
    () => xp.csrMatvec(A, xp.ones([2])),
    (e: Error) =>
      e instanceof RangeError && e.message.includes("(2,)") && e.message.includes("(2, 3)"),
  );
  assert.throws(() => xp.csrMatmat(A, xp.ones([3])), RangeError);
  assert.throws(
    () => xp.csrMatvec({ ...A, indices: xp.asarray([0, 2]) }, xp.ones([3])),
    (e: Error) => e instanceof TypeError && e.message.includes("int32"),
  );
  assert.throws(
    () => xp.csrMatvec({ ...A, indices: i32([0, 3]) }, xp.ones([3])),
    (e: Error) => e instanceof RangeError && e.message.includes("column index 3"),
  );
  assert.throws(() => xp.csrMatvec({ ...A, indptr: i32([0, 2, 1]) }, xp.ones([3])), RangeError);
  assert.throws(
    () => xp.csrMatvec({ ...A, nnz: 3 }, xp.ones([3])),
    (e: Error) => e instanceof RangeError && e.message.includes("nnz 3"),
  );
  assert.throws(() => xp.csrMatvec({ ...A, shape: [2, 2, 3] }, xp.ones([2, 3])), RangeError);
  const Ab = { ...A, shape: [2, 2, 3], data: xp.ones([2, 2]) };
  assert.equal(xp.csrMatvec(Ab, xp.ones([2, 3])).shape[0], 2);
  assert.throws(
    () => xp.csrMatvec(Ab, xp.ones([3, 3])),
    (e: Error) => e instanceof RangeError && e.message.includes("batch"),
  );
  assert.throws(() => xp.csrMatvec({ ...A, layout: "stacked" }, xp.ones([3])), RangeError);
});

Deno.test("csr kernels: integer data accumulate and wrap like the dtype", () => {
  const A: CsrData<CpuArray> = {
    shape: [1, 2],
    layout: "shared",
    nnz: 2,
    indptr: i32([0, 2]),
    indices: i32([0, 1]),
    data: xp.asarray([100, 100], { dtype: "int8" }),
  };
  const y = xp.csrMatvec(A, xp.asarray([1, 1], { dtype: "int8" }));
  assert.equal(y.dtype, "int8");
  assert.equal(y.data[0], -56);
});
