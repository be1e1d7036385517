import assert from "node:assert/strict";
import { cpu as xp } from "./cpu.ts";
import type { CpuArray } from "./cpu_array.ts";
import { assertClose, denseMatmul, nested, randArray, rng } from "./_test_util.ts";

// Reference values computed with NumPy 2.4 (numpy.linalg) on the same matrices.
const A3 = [[4, -2, 1], [3, 6, -4], [2, 1, 8]];
const S4 = [[4, 1, -2, 2], [1, 2, 0, 1], [-2, 0, 3, -2], [2, 1, -2, -1]];
const R = [[1, 2, 3], [4, 5, 6], [7, 8, 10], [1, 0, 1]];
const W = [[1, 2, 0, -1], [3, -1, 2, 4]];
const DET_A3 = 262.99999999999983;
const SOLVE_A3_B3 = [0.34980988593155893, 0.3231939163498099, 0.24714828897338403];
const INV_A3 = [
  [0.19771863117870722, 0.06463878326996197, 0.007604562737642592],
  [-0.12167300380228137, 0.11406844106463877, 0.07224334600760458],
  [-0.034220532319391636, -0.030418250950570346, 0.1140684410646388],
];
const QR_R_Q = [
  [-0.12216944435630528, 0.564276492686879, 0.8122914203647438],
  [-0.48867777742522095, 0.2317564166392534, -0.15017152309264156],
  [-0.8551861104941366, -0.10076365940837118, -0.10921565315828488],
  [-0.12216944435630524, -0.7859565433852949, 0.552904244113818],
];
const QR_R_R = [
  [-8.18535277187245, -9.529216659791809, -11.972605546917912],
  [0.0, 1.481225793303057, 1.2897748404271514],
  [0.0, 0.0, 0.9965928350693488],
];
const QRC_R_Q_LAST = [
  0.08276058886023682,
  -0.827605888602368,
  0.49656353316142066,
  -0.24828176658070975,
];
const QR_W_Q = [[-0.316227766016838, -0.9486832980505138], [
  -0.9486832980505138,
  0.31622776601683805,
]];
const QR_W_R = [
  [-3.1622776601683795, 0.3162277660168378, -1.8973665961010275, -3.478505426185217],
  [0.0, -2.2135943621178655, 0.6324555320336761, 2.213594362117866],
];
const EIGH_S4 = [-2.197516977439427, 1.0843644637732177, 2.2685314064312423, 6.844621107234966];
const SVD_R = [17.45089558463664, 0.9869391657365876, 0.7015656613921288];
const SVD_W = [5.5108363137415886, 2.3729060502150134];
const LSTSQ_R_X = [-0.08219178082191943, -1.0684931506849313, 1.0239726027397273];
const LSTSQ_R_RES = 3.16609589041096;
const LSTSQ_D_X = [0.05714285714285713, 0.11428571428571427];
const LSTSQ_D_SV = [8.366600265340756, 0];
const LSTSQ_RB_X = [
  [-0.2602739726027427, -0.17808219178082424],
  [-2.383561643835617, -2.3150684931506844],
  [2.0342465753424688, 2.260273972602741],
];
const LSTSQ_RB_RES = [0.8287671232876687, 0.10958904109589133];
const LSTSQ_W_X = [0.473684210526316, 0.3333333333333335, 0.17543859649122814, 0.14035087719298248];
const MNORM_R: [number | "fro" | "nuc", number][] = [
  ["fro", 17.4928556845359],
  ["nuc", 19.139400411765354],
  [1, 20],
  [-1, 13],
  [2, 17.45089558463664],
  [-2, 0.7015656613921288],
  [Infinity, 25],
  [-Infinity, 2],
];
const VNORM: [number, number][] = [
  [2, 5.5901699437494745],
  [1, 10.5],
  [Infinity, 4],
  [-Infinity, 0],
  [0, 4],
  [3, 4.678047618676046],
  [0.5, 40.58975875315764],
  [-1, 0],
];
const SPD = [[26, 8, -18, 11], [8, 7, -4, 3], [-18, -4, 18, -8], [11, 3, -8, 11]];
const CHOL_SPD = [
  [5.0990195135927845, 0.0, 0.0, 0.0],
  [1.5689290811054724, 2.1303665267886505, 0.0, 0.0],
  [-3.530090432487313, 0.7221581446741193, 2.2398547168382077, 0.0],
  [2.1572774865200244, -0.1805395361685299, -0.11350615119112482, 2.510114673809879],
];

const T = (a: CpuArray) => xp.matrix_transpose(a);
const maxAbsDiff = (a: CpuArray, b: CpuArray): number => {
  assert.deepEqual(a.shape, b.shape);
  let m = 0;
  for (let i = 0; i < a.size; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]));
  return m;
};
function randMat(
  seed: number,
  shape: number[],
  dtype: "float64" | "float32" = "float64",
): CpuArray {
  const n = shape.reduce((p, q) => p * q, 1);
  return xp.reshape(xp.asarray(randArray(rng(seed), n), { dtype }), shape);
}
function eyeLike(n: number, batch: number[] = []): CpuArray {
  return xp.broadcast_to(xp.eye(n), [...batch, n, n]);
}

Deno.test("matmul: batched broadcasting and 1-D rules match a dense reference", () => {
  const r = rng(1);
  const a = randArray(r, 2 * 3 * 4), b = randArray(r, 4 * 5);
  const A = xp.reshape(xp.asarray(a), [2, 1, 3, 4]);
  const B = xp.reshape(xp.asarray(b), [4, 5]);
  const C = xp.matmul(A, B);
  assert.deepEqual(C.shape, [2, 1, 3, 5]);
  for (let s = 0; s < 2; s++) {
    const ref = denseMatmul(a.slice(s * 12, s * 12 + 12), b, 3, 4, 5);
    assertClose(
      xp.reshape(xp.take(C, xp.asarray([s], { dtype: "int32" }), { axis: 0 }), [15]),
      ref,
      1e-14,
    );
  }
  // batch broadcasting on both sides: (3,1,2,2) @ (4,2,2) -> (3,4,2,2)
  const P = randMat(2, [3, 1, 2, 2]), Q = randMat(3, [4, 2, 2]);
  const PQ = xp.matmul(P, Q);
  assert.deepEqual(PQ.shape, [3, 4, 2, 2]);
  const p = Array.from(P.data), q = Array.from(Q.data);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 4; j++) {
      const ref = denseMatmul(p.slice(i * 4, i * 4 + 4), q.slice(j * 4, j * 4 + 4), 2, 2, 2);
      for (let t = 0; t < 4; t++) {
        assert.ok(Math.abs(PQ.data[(i * 4 + j) * 4 + t] - ref[t]) < 1e-14);
      }
    }
  }
  // 1-D rules
  const M = xp.asarray([[1, 2], [3, 4], [5, 6]]);
  assertClose(xp.matmul(M, xp.asarray([1, -1])), [-1, -1, -1], 0, [3]);
  assertClose(xp.matmul(xp.asarray([1, 0, 2]), M), [11, 14], 0, [2]);
  assertClose(xp.matmul(xp.asarray([1, 2]), xp.asarray([3, 4])), [11], 0, []);
  // stack of vectors times a vector
  assertClose(
    xp.matmul(
      xp.reshape(xp.arange(6, undefined, undefined, { dtype: "float64" }), [2, 3]),
      xp.asarray([1, 1, 1]),
    ),
    [3, 12],
    0,
    [2],
  );
});

Deno.test("matmul: dtypes, integer wrap-around, errors", () => {
  const a = xp.asarray([[1, 2], [3, 4]], { dtype: "float32" });
  const c = xp.matmul(a, a);
  assert.equal(c.dtype, "float32");
  assertClose(c, [7, 10, 15, 22], 0);
  assert.equal(xp.matmul(a, xp.asarray([[1, 0], [0, 1]])).dtype, "float64");
  const big = xp.asarray([[65536, 65536]], { dtype: "int32" });
  const w = xp.matmul(big, xp.asarray([[65536], [1]], { dtype: "int32" }));
  assert.equal(w.dtype, "int32");
  assert.equal(w.data[0], (65536 * 65536 + 65536) | 0); // wraps like int32
  assert.equal(
    xp.matmul(xp.asarray([[100]], { dtype: "int8" }), xp.asarray([[2]], { dtype: "int8" })).data[0],
    -56,
  );
  assert.throws(
    () => xp.matmul(xp.ones([2, 3]), xp.ones([2, 3])),
    (e: Error) =>
      e instanceof RangeError && e.message.includes("(2, 3)") && e.message.includes("not aligned"),
  );
  assert.throws(() => xp.matmul(xp.asarray(1), xp.ones([2])), RangeError);
  assert.throws(() => xp.matmul(xp.ones([2, 2], { dtype: "bool" }), xp.ones([2, 2])), TypeError);
  assert.throws(
    () => xp.matmul(xp.ones([2, 2, 2]), xp.ones([3, 2, 2])),
    (e: Error) => e instanceof RangeError && e.message.includes("cannot be broadcast"),
  );
  assert.throws(
    () => xp.matmul(xp.ones([2, 2], { dtype: "int32" }), xp.ones([2, 2], { dtype: "uint32" })),
    (e: Error) => e instanceof TypeError && e.message.includes("int64"),
  );
});

Deno.test("vecdot: axes, broadcasting, float32 accumulation, errors", () => {
  const a = xp.asarray([[1, 2, 3], [4, 5, 6]]);
  assertClose(xp.vecdot(a, xp.asarray([1, 0, -1])), [-2, -2], 0, [2]);
  assertClose(xp.vecdot(a, a, { axis: 0 }), [17, 29, 45], 0, [3]);
  assertClose(xp.vecdot(a, a, { axis: -2 }), [17, 29, 45], 0, [3]);
  const long = xp.asarray(randArray(rng(5), 1001));
  let ref = 0;
  for (let i = 0; i < 1001; i++) ref += long.data[i] * long.data[i];
  assertClose(xp.vecdot(long, long), [ref], 1e-14, []);
  // float32: products accumulate in double then round once
  const f = xp.asarray(new Float32Array([1e8, 1, -1e8, 1]));
  const d = xp.vecdot(f, xp.ones([4], { dtype: "float32" }));
  assert.equal(d.dtype, "float32");
  assert.equal(d.data[0], 2);
  assert.throws(
    () => xp.vecdot(a, xp.ones([2])),
    (e: Error) => e instanceof RangeError && e.message.includes("(2, 3)"),
  );
  assert.throws(() => xp.vecdot(xp.asarray(1), a), RangeError);
  assert.throws(() => xp.vecdot(a, a, { axis: 2 }), RangeError);
});

Deno.test("solve / inv / det: NumPy values, residuals, batching, singular matrices", () => {
  const A = xp.asarray(A3);
  assertClose(xp.linalg.det(A), [DET_A3], 1e-14, []);
  assertClose(xp.linalg.solve(A, xp.asarray([1, 2, 3])), SOLVE_A3_B3, 1e-14, [3]);
  assertClose(xp.linalg.inv(A), INV_A3, 1e-14, [3, 3]);
  // batched with broadcasting: A (2,1,5,5), B (3,5,2) -> (2,3,5,2); residual check
  const As = xp.add(randMat(7, [2, 1, 5, 5]), xp.multiply(eyeLike(5, [2, 1]), 3));
  const Bs = randMat(8, [3, 5, 2]);
  const X = xp.linalg.solve(As, Bs);
  assert.deepEqual(X.shape, [2, 3, 5, 2]);
  const res = xp.subtract(xp.matmul(As, X), Bs);
  assert.ok(xp.max(xp.abs(res)).data[0] < 1e-13);
  // stack of vectors: x2 of shape x1.shape[:-1]
  const v = randMat(9, [2, 1, 5]);
  const xv = xp.linalg.solve(As, v);
  assert.deepEqual(xv.shape, [2, 1, 5]);
  const rv = xp.subtract(
    xp.matmul(As, xp.expand_dims(xv, { axis: -1 })),
    xp.expand_dims(v, { axis: -1 }),
  );
  assert.ok(xp.max(xp.abs(rv)).data[0] < 1e-13);
  // inverse identity and det of a batch
  const I = xp.matmul(As, xp.linalg.inv(As));
  assert.ok(maxAbsDiff(I, eyeLike(5, [2, 1])) < 1e-13);
  const dets = xp.linalg.det(xp.asarray([[[2, 0], [0, 3]], [[1, 2], [2, 4]], [[0, 1], [1, 0]]]));
  assertClose(dets, [6, 0, -1], 1e-15, [3]);
  assertClose(xp.linalg.det(xp.zeros([0, 0])), [1], 0, []);
  // float32 in, float32 out
  const f = xp.linalg.solve(
    xp.asarray(A3, { dtype: "float32" }),
    xp.asarray([1, 2, 3], { dtype: "float32" }),
  );
  assert.equal(f.dtype, "float32");
  assertClose(f, SOLVE_A3_B3, 1e-6);
  // integer input computes in float64
  assert.equal(xp.linalg.inv(xp.asarray([[2, 0], [0, 4]], { dtype: "int32" })).dtype, "float64");
  // errors
  const sing = xp.asarray([[[1, 0], [0, 1]], [[1, 2], [2, 4]]]);
  assert.throws(
    () => xp.linalg.solve(sing, xp.ones([2, 2])),
    (e: Error) =>
      e instanceof RangeError && e.message.includes("singular") && e.message.includes("[1]"),
  );
  assert.throws(
    () => xp.linalg.inv(xp.asarray([[1, 2], [2, 4]])),
    (e: Error) => e instanceof RangeError && e.message.includes("singular"),
  );
  assert.throws(
    () => xp.linalg.solve(xp.ones([2, 3]), xp.ones([2])),
    (e: Error) => e instanceof RangeError && e.message.includes("(2, 3)"),
  );
  assert.throws(
    () => xp.linalg.solve(xp.eye(3), xp.ones([4])),
    (e: Error) => e instanceof RangeError && e.message.includes("(4,)"),
  );
  assert.throws(() => xp.linalg.det(xp.ones([3])), RangeError);
  assert.throws(() => xp.linalg.det(xp.ones([2, 2], { dtype: "bool" })), TypeError);
});

Deno.test("cholesky: NumPy values, upper form, not positive definite", () => {
  const L = xp.linalg.cholesky(xp.asarray(SPD));
  assertClose(L, CHOL_SPD, 1e-14, [4, 4]);
  const U = xp.linalg.cholesky(xp.asarray(SPD), { upper: true });
  assertClose(U, nested(T(L)), 0);
  assert.ok(maxAbsDiff(xp.matmul(T(U), U), xp.asarray(SPD)) < 1e-13);
  // only the lower triangle is read
  const spoiled = xp.asarray(SPD.map((row, i) => row.map((v, j) => (j > i ? 1e6 : v))));
  assertClose(xp.linalg.cholesky(spoiled), CHOL_SPD, 1e-14);
  assert.throws(
    () => xp.linalg.cholesky(xp.asarray([[[4, 0], [0, 1]], [[1, 2], [2, 1]]])),
    (e: Error) =>
      e instanceof RangeError && e.message.includes("not positive definite") &&
      e.message.includes("[1]") &&
      e.message.includes("order 2"),
  );
  assert.throws(() => xp.linalg.cholesky(xp.asarray([[NaN, 0], [0, 1]])), RangeError);
});

Deno.test("qr: NumPy's factors (reduced/complete, tall/wide), orthonormality, batches", () => {
  const { Q, R: Rr } = xp.linalg.qr(xp.asarray(R));
  assertClose(Q, QR_R_Q, 1e-14, [4, 3]);
  assertClose(Rr, QR_R_R, 1e-14, [3, 3]);
  const c = xp.linalg.qr(xp.asarray(R), { mode: "complete" });
  assert.deepEqual(c.Q.shape, [4, 4]);
  assert.deepEqual(c.R.shape, [4, 3]);
  assertClose(xp.take(c.Q, xp.asarray([3], { dtype: "int32" }), { axis: 1 }), QRC_R_Q_LAST, 1e-14);
  assert.ok(maxAbsDiff(xp.matmul(T(c.Q), c.Q), xp.eye(4)) < 1e-15 * 10);
  assert.ok(maxAbsDiff(xp.matmul(c.Q, c.R), xp.asarray(R)) < 1e-14 * 20);
  const w = xp.linalg.qr(xp.asarray(W));
  assertClose(w.Q, QR_W_Q, 1e-14, [2, 2]);
  assertClose(w.R, QR_W_R, 1e-14, [2, 4]);
  // batched random: reconstruct and orthonormal columns
  const M = randMat(11, [3, 2, 7, 4]);
  const r = xp.linalg.qr(M);
  assert.deepEqual(r.Q.shape, [3, 2, 7, 4]);
  assert.ok(maxAbsDiff(xp.matmul(r.Q, r.R), M) < 1e-14);
  assert.ok(maxAbsDiff(xp.matmul(T(r.Q), r.Q), eyeLike(4, [3, 2])) < 1e-14);
  const up = xp.linalg.diagonal(r.R, { offset: -1 });
  assert.equal(xp.max(xp.abs(up)).data[0], 0);
  assert.throws(() => xp.linalg.qr(M, { mode: "raw" as "reduced" }), RangeError);
});

Deno.test("eigh / eigvalsh: NumPy eigenvalues, reconstruction, lower triangle, batches", () => {
  const { eigenvalues: w, eigenvectors: V } = xp.linalg.eigh(xp.asarray(S4));
  assertClose(w, EIGH_S4, 1e-14, [4]);
  const recon = xp.matmul(xp.multiply(V, xp.expand_dims(w, { axis: 0 })), T(V));
  assert.ok(maxAbsDiff(recon, xp.asarray(S4)) < 1e-13);
  assert.ok(maxAbsDiff(xp.matmul(T(V), V), xp.eye(4)) < 1e-14);
  assertClose(xp.linalg.eigvalsh(xp.asarray(S4)), EIGH_S4, 1e-14);
  // only the lower triangle is read
  const lower = xp.asarray(S4.map((row, i) => row.map((v, j) => (j > i ? -99 : v))));
  assertClose(xp.linalg.eigvalsh(lower), EIGH_S4, 1e-14);
  // batched random symmetric 20x20 with clustered eigenvalues
  const Q = xp.linalg.qr(randMat(12, [2, 20, 20])).Q;
  const lam = xp.asarray([[
    ...Array(10).fill(1),
    ...Array.from({ length: 10 }, (_, i) => 1 + 1e-9 * i),
  ], Array.from({ length: 20 }, (_, i) => i - 10)]);
  const S = xp.matmul(xp.multiply(Q, xp.expand_dims(lam, { axis: 1 })), T(Q));
  const e = xp.linalg.eigh(S);
  assert.ok(maxAbsDiff(e.eigenvalues, lam) < 1e-13);
  const rec = xp.matmul(
    xp.multiply(e.eigenvectors, xp.expand_dims(e.eigenvalues, { axis: 1 })),
    T(e.eigenvectors),
  );
  assert.ok(maxAbsDiff(rec, S) < 1e-13);
  assert.ok(maxAbsDiff(xp.matmul(T(e.eigenvectors), e.eigenvectors), eyeLike(20, [2])) < 1e-13);
  // float32 round trip, errors
  assert.equal(xp.linalg.eigvalsh(xp.asarray(S4, { dtype: "float32" })).dtype, "float32");
  assert.throws(
    () => xp.linalg.eigh(xp.asarray([[1, NaN], [NaN, 1]])),
    (e: Error) => e instanceof RangeError && e.message.includes("NaN"),
  );
  assert.throws(() => xp.linalg.eigh(xp.ones([2, 3])), RangeError);
});

Deno.test("svd / svdvals: NumPy values, reconstruction, rank deficiency, wide and batched", () => {
  assertClose(xp.linalg.svdvals(xp.asarray(R)), SVD_R, 1e-14, [3]);
  assertClose(xp.linalg.svdvals(xp.asarray(W)), SVD_W, 1e-14, [2]);
  for (const M of [xp.asarray(R), xp.asarray(W), randMat(13, [2, 3, 6, 4]), randMat(14, [5, 9])]) {
    const { U, S, Vh } = xp.linalg.svd(M);
    const k = Math.min(M.shape[M.ndim - 2], M.shape[M.ndim - 1]);
    assert.equal(S.shape[S.ndim - 1], k);
    const rec = xp.matmul(xp.multiply(U, xp.expand_dims(S, { axis: -2 })), Vh);
    assert.ok(maxAbsDiff(rec, M) < 1e-13, "reconstruction");
    const batch = M.shape.slice(0, -2);
    assert.ok(maxAbsDiff(xp.matmul(T(U), U), eyeLike(k, batch)) < 1e-13, "U orthonormal");
    assert.ok(maxAbsDiff(xp.matmul(Vh, T(Vh)), eyeLike(k, batch)) < 1e-13, "V orthonormal");
    const s = Array.from(S.data);
    for (let i = 1; i < s.length; i++) if (i % k !== 0) assert.ok(s[i - 1] >= s[i], "descending");
  }
  // rank-deficient: zero singular values still give an orthonormal U
  const D = xp.asarray([[1, 2, 0], [2, 4, 0], [0, 0, 0], [3, 6, 0]]);
  const d = xp.linalg.svd(D);
  assert.ok(maxAbsDiff(xp.matmul(T(d.U), d.U), xp.eye(3)) < 1e-14);
  assert.ok(d.S.data[1] < 1e-15 && d.S.data[2] === 0);
  assertClose(xp.linalg.svdvals(xp.zeros([3, 2])), [0, 0], 0);
  assert.throws(() => xp.linalg.svd(xp.eye(2), { full_matrices: true as false }), RangeError);
});

Deno.test("lstsq: NumPy solutions, residuals, rank, rcond, batches", () => {
  const r = xp.linalg.lstsq(xp.asarray(R), xp.asarray([1, -1, 2, 0.5]));
  assertClose(r.solution, LSTSQ_R_X, 1e-13, [3]);
  assertClose(r.residuals, [LSTSQ_R_RES], 1e-13, []);
  assert.equal(r.rank.dtype, "int32");
  assert.equal(r.rank.data[0], 3);
  assertClose(r.singular_values, SVD_R, 1e-14);
  // rank deficient: minimum-norm solution, rank 1, residuals zero
  const d = xp.linalg.lstsq(xp.asarray([[1, 2], [2, 4], [3, 6]]), xp.asarray([1, 0, 1]));
  assertClose(d.solution, LSTSQ_D_X, 1e-14);
  assert.equal(d.rank.data[0], 1);
  assertClose(d.residuals, [0], 0);
  assertClose(d.singular_values, LSTSQ_D_SV, 1e-14);
  // several right-hand sides
  const m = xp.linalg.lstsq(xp.asarray(R), xp.asarray([[1, 2], [0, 1], [-1, 3], [2, 2]]));
  assertClose(m.solution, LSTSQ_RB_X, 1e-13, [3, 2]);
  assertClose(m.residuals, LSTSQ_RB_RES, 1e-12, [2]);
  // wide (underdetermined): minimum-norm solution
  assertClose(xp.linalg.lstsq(xp.asarray(W), xp.asarray([1, 2])).solution, LSTSQ_W_X, 1e-14);
  // rcond large enough to drop the smallest singular value
  assert.equal(
    xp.linalg.lstsq(xp.asarray(R), xp.asarray([1, -1, 2, 0.5]), { rcond: 0.05 }).rank.data[0],
    2,
  );
  // batched: per-matrix ranks
  const As = xp.stack([xp.asarray(R), xp.asarray([[1, 2, 3], [2, 4, 6], [3, 6, 9], [0, 0, 0]])]);
  const rb = xp.linalg.lstsq(As, xp.asarray([1, -1, 2, 0.5]));
  assert.deepEqual(rb.solution.shape, [2, 3]);
  assert.deepEqual(Array.from(rb.rank.data), [3, 1]);
  assertClose(
    xp.take(rb.solution, xp.asarray([0], { dtype: "int32" }), { axis: 0 }),
    LSTSQ_R_X,
    1e-13,
  );
  assert.throws(() => xp.linalg.lstsq(xp.asarray(R), xp.ones([3])), RangeError);
});

Deno.test("matrix_norm / vector_norm: NumPy values, keepdims, axes, overflow safety", () => {
  for (const [ord, v] of MNORM_R) {
    assertClose(xp.linalg.matrix_norm(xp.asarray(R), { ord }), [v], 1e-14, []);
  }
  assert.deepEqual(xp.linalg.matrix_norm(randMat(1, [2, 3, 3]), { keepdims: true }).shape, [
    2,
    1,
    1,
  ]);
  const v = xp.asarray([3, -4, 0, 1.5, -2]);
  for (const [ord, e] of VNORM) assertClose(xp.linalg.vector_norm(v, { ord }), [e], 1e-14, []);
  const M = xp.asarray([[3, 4], [6, 8]]);
  assertClose(xp.linalg.vector_norm(M, { axis: 1 }), [5, 10], 0, [2]);
  assertClose(xp.linalg.vector_norm(M, { axis: 0 }), [Math.hypot(3, 6), Math.hypot(4, 8)], 1e-15, [
    2,
  ]);
  assertClose(
    xp.linalg.vector_norm(M, { axis: [0, 1], keepdims: true }),
    [Math.hypot(3, 4, 6, 8)],
    1e-15,
    [1, 1],
  );
  assertClose(xp.linalg.vector_norm(xp.asarray([1e200, 1e200])), [Math.SQRT2 * 1e200], 1e-15);
  assertClose(xp.linalg.vector_norm(xp.asarray([1e-200, 1e-200])), [Math.SQRT2 * 1e-200], 1e-15);
  assertClose(xp.linalg.vector_norm(xp.asarray([1, NaN])), [NaN]);
  assertClose(xp.linalg.vector_norm(xp.asarray([Infinity, 1])), [Infinity]);
  assertClose(xp.linalg.vector_norm(xp.zeros([0])), [0], 0);
  const f32 = xp.linalg.vector_norm(xp.asarray([3e30, 4e30], { dtype: "float32" }));
  assert.equal(f32.dtype, "float32");
  assertClose(f32, [5e30], 1e-7);
  assert.equal(xp.linalg.vector_norm(xp.asarray([3, 4], { dtype: "int16" })).dtype, "float64");
  assert.throws(() => xp.linalg.matrix_norm(xp.asarray(R), { ord: 3 }), RangeError);
  assert.throws(() => xp.linalg.vector_norm(v, { ord: "fro" as unknown as number }), RangeError);
});

Deno.test("diagonal and matrix_transpose", () => {
  const M = xp.reshape(xp.arange(12, undefined, undefined, { dtype: "float64" }), [3, 4]);
  assertClose(xp.linalg.diagonal(M), [0, 5, 10], 0, [3]);
  assertClose(xp.linalg.diagonal(M, { offset: 1 }), [1, 6, 11], 0, [3]);
  assertClose(xp.linalg.diagonal(M, { offset: 3 }), [3], 0, [1]);
  assertClose(xp.linalg.diagonal(M, { offset: -2 }), [8], 0, [1]);
  assertClose(xp.linalg.diagonal(M, { offset: 5 }), [], 0, [0]);
  assertClose(xp.matrix_transpose(M), [[0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7, 11]], 0, [4, 3]);
  assert.throws(() => xp.matrix_transpose(xp.ones([3])), RangeError);
});
