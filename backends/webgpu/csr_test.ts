import assert from "node:assert/strict";
import type { CsrData } from "../../array_api/types.ts";
import { assertClose, assertThrowsKind, host, openOrSkip, randn, rng } from "./_test_util.ts";
import type { WebGpuArray } from "./webgpu_array.ts";

const xp = await openOrSkip("csr_test.ts");

/** A random CSR pattern with about `perRow` entries per row. */
function pattern(r: (a?: number, b?: number) => number, m: number, n: number, perRow: number) {
  const indptr = [0], indices: number[] = [];
  for (let i = 0; i < m; i++) {
    const cols = new Set<number>();
    const k = Math.max(0, Math.round(perRow + r(-perRow / 2, perRow / 2)));
    while (cols.size < Math.min(k, n)) cols.add(Math.floor(r(0, n)));
    indices.push(...[...cols].sort((a, b) => a - b));
    indptr.push(indices.length);
  }
  return { indptr, indices };
}

/** Host y = A x for one CSR matrix. */
function spmv(ip: number[], ix: number[], d: number[], x: number[], m: number): number[] {
  const y: number[] = [];
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let k = ip[i]; k < ip[i + 1]; k++) s += d[k] * x[ix[k]];
    y.push(s);
  }
  return y;
}

if (xp) {
  const r = rng(9);
  const i32 = (v: number[]) => xp.asarray(v, { dtype: "int32" });

  Deno.test("shared pattern: one matrix times many vectors, batched values times batched vectors", async () => {
    for (const perRow of [3, 40]) { // scalar kernel, then the 32-lane kernel
      const m = 50, n = 60, B = 4;
      const { indptr, indices } = pattern(r, m, n, perRow);
      const nnz = indices.length;
      const d = randn(r, B * nnz), x = randn(r, B * n);
      const one: CsrData<WebGpuArray> = {
        shape: [m, n],
        layout: "shared",
        nnz,
        indptr: i32(indptr),
        indices: i32(indices),
        data: xp.asarray(d.slice(0, nnz)),
      };
      const X = xp.reshape(xp.asarray(x), [2, 2, n]);
      const y1 = xp.csrMatvec(one, X);
      assert.deepEqual(y1.shape, [2, 2, m]);
      const want1 = [0, 1, 2, 3].flatMap((b) =>
        spmv(indptr, indices, d, x.slice(b * n, (b + 1) * n), m)
      );
      assertClose(await host(xp, y1), want1, `one matrix, perRow ${perRow}`, 1e-5, 1e-5);
      const batched: CsrData<WebGpuArray> = {
        ...one,
        shape: [B, m, n],
        data: xp.reshape(xp.asarray(d), [B, nnz]),
      };
      const y2 = xp.csrMatvec(batched, xp.reshape(xp.asarray(x), [B, n]));
      const want2 = [0, 1, 2, 3].flatMap((b) =>
        spmv(indptr, indices, d.slice(b * nnz, (b + 1) * nnz), x.slice(b * n, (b + 1) * n), m)
      );
      assertClose(await host(xp, y2), want2, `batched values, perRow ${perRow}`, 1e-5, 1e-5);
    }
  });

  Deno.test("stacked layout: different patterns per matrix, block-diagonal storage", async () => {
    const B = 3, m = 20, n = 15;
    const ips: number[] = [0], ixs: number[] = [], ds: number[] = [], xs = randn(r, B * n);
    const want: number[] = [];
    for (let b = 0; b < B; b++) {
      const { indptr, indices } = pattern(r, m, n, 2 + 3 * b);
      const d = randn(r, indices.length);
      want.push(...spmv(indptr, indices, d, xs.slice(b * n, (b + 1) * n), m));
      const base = ixs.length;
      ips.push(...indptr.slice(1).map((p) => p + base));
      ixs.push(...indices);
      ds.push(...d);
    }
    const A: CsrData<WebGpuArray> = {
      shape: [B, m, n],
      layout: "stacked",
      nnz: ixs.length,
      indptr: i32(ips),
      indices: i32(ixs),
      data: xp.asarray(ds),
    };
    assertClose(
      await host(xp, xp.csrMatvec(A, xp.reshape(xp.asarray(xs), [B, n]))),
      want,
      "stacked",
      1e-5,
      1e-5,
    );
  });

  Deno.test("csrMatmat equals column-by-column csrMatvec; donation writes in place", async () => {
    const m = 30, n = 25, K = 5;
    const { indptr, indices } = pattern(r, m, n, 4);
    const d = randn(r, indices.length), X = randn(r, n * K);
    const A: CsrData<WebGpuArray> = {
      shape: [m, n],
      layout: "shared",
      nnz: indices.length,
      indptr: i32(indptr),
      indices: i32(indices),
      data: xp.asarray(d),
    };
    const Y = await host(xp, xp.csrMatmat(A, xp.reshape(xp.asarray(X), [n, K])));
    for (let c = 0; c < K; c++) {
      const col = Array.from({ length: n }, (_, i) => X[i * K + c]);
      const want = spmv(indptr, indices, d, col, m);
      assertClose(
        Array.from({ length: m }, (_, i) => Y[i * K + c]),
        want,
        `column ${c}`,
        1e-5,
        1e-5,
      );
    }
    const out = xp.zeros([m]);
    const x = xp.asarray(randn(r, n));
    const y = xp.csrMatvec(A, x, out);
    assert.equal(y, out, "the donated output was used");
    const bad = xp.zeros([m + 1]);
    const y2 = xp.csrMatvec(A, x, bad);
    assert.notEqual(y2, bad);
    assert.ok(bad.disposed, "an unusable donation is released");
    assert.deepEqual(await host(xp, y2), await host(xp, y));
  });

  Deno.test("csr validation errors", () => {
    const A: CsrData<WebGpuArray> = {
      shape: [2, 3],
      layout: "shared",
      nnz: 2,
      indptr: i32([0, 1, 2]),
      indices: i32([0, 2]),
      data: xp.asarray([1, 2]),
    };
    assertThrowsKind(() => xp.csrMatvec(A, xp.ones([4])), RangeError, ["(4,)", "(2, 3)"]);
    assertThrowsKind(() => xp.csrMatvec(A, xp.ones([3], { dtype: "int32" })), TypeError, ["int32"]);
    assertThrowsKind(() => xp.csrMatvec({ ...A, indptr: i32([0, 2]) }, xp.ones([3])), RangeError, [
      "row pointers",
    ]);
    assertThrowsKind(
      () => xp.csrMatvec({ ...A, shape: [2, 2, 3], data: xp.ones([2, 2]) }, xp.ones([3, 3])),
      RangeError,
      ["(3, 3)", "(2,)"],
    );
    assertThrowsKind(
      () => xp.csrMatvec({ ...A, indices: xp.asarray([0, 2]) }, xp.ones([3])),
      TypeError,
      ["int32"],
    );
  });
}
