import assert from "node:assert/strict";
import { assertClose, assertThrowsKind, host, openOrSkip, randn, rng } from "./_test_util.ts";

const xp = await openOrSkip("linalg_test.ts");

// host helpers on row-major batches
function mm(a: number[], b: number[], m: number, k: number, n: number): number[] {
  const o = new Array(m * n).fill(0);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += a[i * k + t] * b[t * n + j];
      o[i * n + j] = s;
    }
  }
  return o;
}
function tr(a: number[], m: number, n: number): number[] {
  const o = new Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) o[j * m + i] = a[i * n + j];
  return o;
}
const eye = (n: number) => Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0));
const slice = (a: number[], q: number, size: number) => a.slice(q * size, (q + 1) * size);
/** Host Gaussian elimination (float64) for a reference solve. */
function hsolve(a: number[], b: number[], n: number, k: number): number[] {
  const A = [...a], B = [...b];
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r * n + c]) > Math.abs(A[p * n + c])) p = r;
    for (let j = 0; j < n; j++) [A[c * n + j], A[p * n + j]] = [A[p * n + j], A[c * n + j]];
    for (let j = 0; j < k; j++) [B[c * k + j], B[p * k + j]] = [B[p * k + j], B[c * k + j]];
    for (let r = c + 1; r < n; r++) {
      const l = A[r * n + c] / A[c * n + c];
      for (let j = c; j < n; j++) A[r * n + j] -= l * A[c * n + j];
      for (let j = 0; j < k; j++) B[r * k + j] -= l * B[c * k + j];
    }
  }
  for (let c = n - 1; c >= 0; c--) {
    for (let j = 0; j < k; j++) {
      let s = B[c * k + j];
      for (let t = c + 1; t < n; t++) s -= A[c * n + t] * B[t * k + j];
      B[c * k + j] = s / A[c * n + c];
    }
  }
  return B;
}

const A54 = [2, -1, 0, 1, 1, 3, 2, 0, 0, 1, 4, -2, 1, 0, 1, 5, 3, 1, 0, 1];
const S3 = [4, 1, 0.5, 1, 3, -1, 0.5, -1, 2];

if (xp) {
  const r = rng(5);
  const f = (v: number[], shape: number[]) => xp.reshape(xp.asarray(v), shape);

  Deno.test("solve / inv / det on random batches match float64 host elimination", async () => {
    const nb = 4, n = 7, k = 3;
    const a = randn(r, nb * n * n).map((v, i) => v + ((i % (n * n)) % (n + 1) === 0 ? 4 : 0));
    const b = randn(r, nb * n * k);
    const X = await host(xp, xp.linalg.solve(f(a, [nb, n, n]), f(b, [nb, n, k])));
    const Xv = await host(xp, xp.linalg.solve(f(a, [nb, n, n]), f(b.slice(0, n), [n])));
    const Ai = await host(xp, xp.linalg.inv(f(a, [nb, n, n])));
    for (let q = 0; q < nb; q++) {
      const aq = slice(a, q, n * n);
      assertClose(
        slice(X, q, n * k),
        hsolve(aq, slice(b, q, n * k), n, k),
        `solve[${q}]`,
        1e-4,
        1e-5,
      );
      assertClose(
        slice(Xv, q, n),
        hsolve(aq, b.slice(0, n), n, 1),
        `solve vector[${q}]`,
        1e-4,
        1e-5,
      );
      assertClose(mm(aq, slice(Ai, q, n * n), n, n, n), eye(n), `A·inv(A) [${q}]`, 0, 2e-5);
    }
    assertClose(await host(xp, xp.linalg.det(f(S3, [3, 3]))), [16.25], "det", 1e-5);
    assertClose(await host(xp, xp.linalg.det(f(A54.slice(0, 16), [4, 4]))), [119], "det 4x4", 1e-5);
    assertClose(await host(xp, xp.linalg.det(xp.asarray([[0, 1], [1, 0]]))), [-1], "det of a swap");
    assertClose(await host(xp, xp.linalg.det(xp.asarray([[1, 2], [2, 4]]))), [0], "det singular");
  });

  Deno.test("singular and indefinite matrices: inf/NaN now, RangeError from the next toHost", async () => {
    const A = xp.asarray([[[2, 0], [0, 2]], [[1, 2], [2, 4]], [[1, 2], [2, 4]]]);
    const x = xp.linalg.solve(A, xp.asarray([[1, 1], [1, 1], [1, 1]]));
    await assert.rejects(() => xp.toHost(x), (e: unknown) => {
      assert.ok(e instanceof RangeError);
      assert.match(
        (e as Error).message,
        /linalg\.solve: the matrix at batch index \(1\) is singular/,
      );
      return true;
    });
    const h = await host(xp, x); // the error is reported once
    assert.deepEqual(h.slice(0, 2), [0.5, 0.5]);
    assert.ok(h.slice(2).some((v) => !Number.isFinite(v)));
    const L = xp.linalg.cholesky(xp.asarray([[1, 2], [2, 1]]));
    await assert.rejects(() => xp.toHost(L), /not positive definite/);
    const I = xp.linalg.inv(xp.zeros([3, 3]));
    await assert.rejects(() => xp.toHost(I), /linalg\.inv: the matrix is singular/);
  });

  Deno.test("cholesky reads the lower triangle; L·Lᵀ = A; upper = Lᵀ", async () => {
    const n = 6, nb = 3;
    const g = randn(r, nb * n * n);
    const spd: number[] = [];
    for (let q = 0; q < nb; q++) {
      const G = slice(g, q, n * n);
      const a = mm(G, tr(G, n, n), n, n, n).map((v, i) => v + (i % (n + 1) === 0 ? n : 0));
      spd.push(...a.map((v, i) => (i % n > Math.floor(i / n) ? 1e6 : v))); // garbage above
    }
    const L = await host(xp, xp.linalg.cholesky(f(spd, [nb, n, n])));
    const U = await host(xp, xp.linalg.cholesky(f(spd, [nb, n, n]), { upper: true }));
    for (let q = 0; q < nb; q++) {
      const Lq = slice(L, q, n * n);
      const want = slice(spd, q, n * n).map((v, i) => {
        const row = Math.floor(i / n), col = i % n;
        return col > row ? spd[q * n * n + col * n + row] : v;
      });
      assertClose(mm(Lq, tr(Lq, n, n), n, n, n), want, `L·Lᵀ [${q}]`, 1e-5, 1e-4);
      assert.ok(Lq.every((v, i) => i % n <= Math.floor(i / n) || v === 0), "L is lower triangular");
      assertClose(slice(U, q, n * n), tr(Lq, n, n), `upper [${q}]`, 0, 0);
    }
  });

  Deno.test("qr: Q·R = A, QᵀQ = I, R upper with LAPACK signs; reduced and complete, tall and wide", async () => {
    const { R } = xp.linalg.qr(f(A54, [5, 4]));
    const Rref = [
      -3.8729833462074166,
      -1.0327955589886448,
      -0.7745966692414835,
      -2.5819888974716116,
      0,
      -3.306559138036598,
      -2.7823485429820156,
      1.4113362174546462,
      0,
      0,
      -3.5578837228563063,
      0.3016317607045811,
      0,
      0,
      0,
      -4.7170416253800855,
    ];
    assertClose(await host(xp, R), Rref, "R vs NumPy", 1e-5, 1e-5);
    for (
      const [m, n, mode] of [[9, 4, "reduced"], [9, 4, "complete"], [4, 7, "reduced"], [
        5,
        5,
        "complete",
      ]] as const
    ) {
      const a = randn(r, 2 * m * n);
      const { Q, R } = xp.linalg.qr(f(a, [2, m, n]), { mode });
      const K = Math.min(m, n), qc = mode === "complete" ? m : K, rr = qc;
      assert.deepEqual(Q.shape, [2, m, qc]);
      assert.deepEqual(R.shape, [2, rr, n]);
      const q = await host(xp, Q), rv = await host(xp, R);
      for (let b = 0; b < 2; b++) {
        const Qb = slice(q, b, m * qc), Rb = slice(rv, b, rr * n);
        assertClose(mm(Qb, Rb, m, qc, n), slice(a, b, m * n), `QR=A ${m}x${n} ${mode}`, 1e-4, 1e-5);
        assertClose(mm(tr(Qb, m, qc), Qb, qc, m, qc), eye(qc), `QᵀQ ${m}x${n} ${mode}`, 0, 1e-5);
        assert.ok(
          Rb.every((v, i) => i % n >= Math.floor(i / n) || v === 0),
          "R is upper triangular",
        );
      }
    }
  });

  Deno.test("svd / svdvals: reconstruction, orthonormal factors, NumPy singular values, rank deficiency", async () => {
    const sv = [6.0019991594605075, 5.389010455769798, 3.0104183857685163, 2.2072502214443337];
    assertClose(await host(xp, xp.linalg.svdvals(f(A54, [5, 4]))), sv, "svdvals vs NumPy", 1e-5);
    assertClose(
      await host(xp, xp.linalg.svdvals(xp.matrix_transpose(f(A54, [5, 4])))),
      sv,
      "wide",
      1e-5,
    );
    const rank2 = mm(randn(r, 6 * 2), randn(r, 2 * 5), 6, 2, 5);
    for (const [m, n, a] of [[7, 4, randn(r, 28)], [3, 8, randn(r, 24)], [6, 5, rank2]] as const) {
      const { U, S, Vh } = xp.linalg.svd(f([...a], [m, n]));
      const k = Math.min(m, n);
      assert.deepEqual([U.shape, S.shape, Vh.shape], [[m, k], [k], [k, n]]);
      const u = await host(xp, U), s = await host(xp, S), vh = await host(xp, Vh);
      for (let i = 1; i < k; i++) assert.ok(s[i] <= s[i - 1], `S descending: ${s}`);
      const us = u.map((v, i) => v * s[i % k]);
      assertClose(mm(us, vh, m, k, n), [...a], `U·S·Vh = A (${m}x${n})`, 1e-4, 2e-5);
      assertClose(mm(tr(u, m, k), u, k, m, k), eye(k), `UᵀU (${m}x${n})`, 0, 2e-5);
      assertClose(mm(vh, tr(vh, k, n), k, n, k), eye(k), `Vh·Vhᵀ (${m}x${n})`, 0, 2e-5);
    }
  });

  Deno.test("eigh / eigvalsh: NumPy eigenvalues, A·V = V·Λ, lower triangle only, batches", async () => {
    const lowerOnly = S3.map((v, i) => (i % 3 > Math.floor(i / 3) ? 99 : v));
    const ev = [1.0595504397993136, 3.317544438556552, 4.622905121644135];
    assertClose(
      await host(xp, xp.linalg.eigvalsh(f(lowerOnly, [3, 3]))),
      ev,
      "eigvalsh vs NumPy",
      1e-5,
    );
    const n = 8, nb = 3;
    const g = randn(r, nb * n * n);
    const sym: number[] = [];
    for (let q = 0; q < nb; q++) {
      const G = slice(g, q, n * n);
      sym.push(...G.map((v, i) => v + G[(i % n) * n + Math.floor(i / n)]));
    }
    const { eigenvalues, eigenvectors } = xp.linalg.eigh(f(sym, [nb, n, n]));
    const w = await host(xp, eigenvalues), V = await host(xp, eigenvectors);
    for (let q = 0; q < nb; q++) {
      const wq = slice(w, q, n), Vq = slice(V, q, n * n), Aq = slice(sym, q, n * n);
      for (let i = 1; i < n; i++) assert.ok(wq[i] >= wq[i - 1], "ascending");
      const VL = Vq.map((v, i) => v * wq[i % n]);
      assertClose(mm(Aq, Vq, n, n, n), VL, `A·V = V·Λ [${q}]`, 0, 5e-5);
      assertClose(mm(tr(Vq, n, n), Vq, n, n, n), eye(n), `VᵀV [${q}]`, 0, 2e-5);
    }
  });

  Deno.test("lstsq and norms match NumPy", async () => {
    const res = xp.linalg.lstsq(f(A54, [5, 4]), xp.asarray([1, 2, 3, 4, 5]));
    assertClose(
      await host(xp, res.solution),
      [1.090058884655352, 0.12285677173536602, 0.7921718046414962, 0.3781174229303778],
      "lstsq x",
      1e-4,
      1e-5,
    );
    assertClose(await host(xp, res.residuals), [4.925723068929679], "residuals", 1e-4);
    assert.deepEqual(await host(xp, res.rank), [4]);
    const cut = xp.linalg.lstsq(xp.asarray([[1, 0], [0, 1e-9]]), xp.asarray([2, 1]));
    assertClose(await host(xp, cut.solution), [2, 0], "rcond drops the tiny singular value");
    assert.deepEqual(await host(xp, cut.rank), [1]);
    const M = xp.asarray([[1, -2, 3], [4, 5, -6]]);
    const want: [number | "fro" | "nuc", number][] = [
      ["fro", 9.539392014169456],
      ["nuc", 11.653785350898485],
      [1, 9],
      [-1, 5],
      [2, 9.225027715260927],
      [-2, 2.4287576356375586],
      [Infinity, 15],
      [-Infinity, 6],
    ];
    for (const [ord, v] of want) {
      assertClose(
        await host(xp, xp.linalg.matrix_norm(M, { ord })),
        [v],
        `matrix_norm ${ord}`,
        1e-5,
      );
    }
    const kd = xp.linalg.matrix_norm(xp.stack([M, M]), { keepdims: true });
    assert.deepEqual(kd.shape, [2, 1, 1]);
    const v = xp.asarray([3e30, -4e30, 0]);
    assertClose(await host(xp, xp.linalg.vector_norm(v)), [5e30], "no overflow", 1e-6);
    assertClose(await host(xp, xp.linalg.vector_norm(v, { ord: 0 })), [2], "ord 0");
    assertClose(
      await host(xp, xp.linalg.vector_norm(xp.asarray([1, -2, 2]), { ord: 3 })),
      [Math.cbrt(17)],
      "ord 3",
      1e-6,
    );
    assertThrowsKind(() => xp.linalg.matrix_norm(M, { ord: 3 }), RangeError, ["3"]);
  });

  Deno.test("linalg input checks and size limits are RangeErrors naming the shape", () => {
    assertThrowsKind(() => xp.linalg.solve(xp.ones([2, 3]), xp.ones([2])), RangeError, ["(2, 3)"]);
    assertThrowsKind(() => xp.linalg.solve(xp.ones([3, 3]), xp.ones([4])), RangeError, [
      "(3, 3)",
      "(4,)",
    ]);
    assertThrowsKind(() => xp.linalg.inv(xp.ones([3])), RangeError, ["(3,)"]);
    assertThrowsKind(() => xp.linalg.eigh(xp.zeros([513, 513])), RangeError, ["512", "(513, 513)"]);
    assertThrowsKind(() => xp.linalg.svd(xp.zeros([600, 600])), RangeError, ["512"]);
    assertThrowsKind(() => xp.linalg.cholesky(xp.asarray([true])), TypeError, ["bool"]);
  });
}
