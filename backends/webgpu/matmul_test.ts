import assert from "node:assert/strict";
import { assertClose, assertThrowsKind, host, openOrSkip, randn, rng } from "./_test_util.ts";

const xp = await openOrSkip("matmul_test.ts");

/** Host batched matmul of row-major (b, m, k) @ (b, k, n). */
function hmm(
  a: number[],
  b: number[],
  nb: number,
  m: number,
  k: number,
  n: number,
  bBatch = true,
): number[] {
  const out = new Array(nb * m * n).fill(0);
  for (let q = 0; q < nb; q++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let t = 0; t < k; t++) {
          s += a[(q * m + i) * k + t] * b[((bBatch ? q : 0) * k + t) * n + j];
        }
        out[(q * m + i) * n + j] = s;
      }
    }
  }
  return out;
}

if (xp) {
  const r = rng(3);

  Deno.test("tiled matmul (ragged sizes, batch broadcast) matches a host reference", async () => {
    for (const [nb, m, k, n] of [[1, 70, 33, 65], [3, 64, 64, 64], [2, 100, 17, 129]]) {
      const a = randn(r, nb * m * k), b = randn(r, k * n);
      const A = xp.reshape(xp.asarray(a), [nb, m, k]);
      const B = xp.reshape(xp.asarray(b), [k, n]);
      const C = xp.matmul(A, B);
      assert.deepEqual(C.shape, [nb, m, n]);
      assertClose(
        await host(xp, C),
        hmm(a, b, nb, m, k, n, false),
        `(${nb},${m},${k})@(${k},${n})`,
        1e-4,
        1e-5,
      );
      xp.dispose(A, B, C);
    }
  });

  Deno.test("transposed operands are read in place by both kernels", async () => {
    for (const [m, k, n] of [[80, 40, 72], [5, 9, 3]]) {
      const a = randn(r, m * k), b = randn(r, n * k);
      const At = xp.matrix_transpose(xp.reshape(xp.asarray(a), [k, m])); // (m, k) view
      const Bt = xp.matrix_transpose(xp.reshape(xp.asarray(b), [n, k])); // (k, n) view
      const want: number[] = [];
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let t = 0; t < k; t++) s += a[t * m + i] * b[j * k + t];
          want.push(s);
        }
      }
      assertClose(await host(xp, xp.matmul(At, Bt)), want, `transposed ${m}x${k}x${n}`, 1e-4, 1e-5);
    }
  });

  Deno.test("matrix-vector, vector-matrix, vector-vector and small batched products", async () => {
    const a = randn(r, 300 * 200), x = randn(r, 200);
    const A = xp.reshape(xp.asarray(a), [300, 200]);
    const y = xp.matmul(A, xp.asarray(x));
    assert.deepEqual(y.shape, [300]);
    assertClose(await host(xp, y), hmm(a, x, 1, 300, 200, 1), "gemv", 1e-4, 1e-5);
    const z = randn(r, 300);
    const w = xp.matmul(xp.asarray(z), A);
    assert.deepEqual(w.shape, [200]);
    assertClose(await host(xp, w), hmm(z, a, 1, 1, 300, 200), "vector @ matrix", 1e-4, 1e-4);
    const d = xp.matmul(xp.asarray([1, 2, 3]), xp.asarray([4, 5, 6]));
    assert.deepEqual(d.shape, []);
    assert.deepEqual(await host(xp, d), [32]);
    const p = randn(r, 500 * 9), q = randn(r, 500 * 9);
    const P = xp.reshape(xp.asarray(p), [500, 3, 3]), Q = xp.reshape(xp.asarray(q), [500, 3, 3]);
    assertClose(
      await host(xp, xp.matmul(P, Q)),
      hmm(p, q, 500, 3, 3, 3),
      "500 3x3 products",
      1e-5,
      1e-6,
    );
    const I = xp.asarray([[1, 2], [3, 4]], { dtype: "int32" });
    const Ii = xp.matmul(I, I);
    assert.equal(Ii.dtype, "int32");
    assert.deepEqual(await host(xp, Ii), [7, 10, 15, 22]);
  });

  Deno.test("vecdot over an axis with broadcasting; errors name the shapes", async () => {
    const a = randn(r, 4 * 3), b = randn(r, 3);
    const A = xp.reshape(xp.asarray(a), [4, 3]);
    const v = xp.vecdot(A, xp.asarray(b));
    assertClose(
      await host(xp, v),
      [0, 1, 2, 3].map((i) => a[i * 3] * b[0] + a[i * 3 + 1] * b[1] + a[i * 3 + 2] * b[2]),
      "vecdot",
      1e-5,
    );
    const v0 = xp.vecdot(A, xp.ones([4, 1]), { axis: 0 });
    assertClose(
      await host(xp, v0),
      [0, 1, 2].map((j) => a[j] + a[3 + j] + a[6 + j] + a[9 + j]),
      "vecdot axis 0",
      1e-5,
    );
    assertThrowsKind(() => xp.vecdot(A, xp.ones([4])), RangeError, ["(4, 3)", "(4,)"]);
    assertThrowsKind(() => xp.matmul(A, A), RangeError, ["(4, 3)"]);
    assertThrowsKind(() => xp.matmul(xp.ones([2, 3, 3]), xp.ones([4, 3, 3])), RangeError, [
      "(2, 3, 3)",
      "(4, 3, 3)",
    ]);
    assertThrowsKind(() => xp.matmul(xp.asarray([true]), xp.asarray([true])), TypeError, ["bool"]);
  });
}
