// lsqr-specific tests (the cross-backend SciPy parity cases live in tests/least_squares_cases.ts):
// calcVar, damping towards x0, the norm estimates, machine-precision stop codes, input forms.
import assert from "node:assert/strict";
import { cpu as xp, type CpuArray } from "../backends/cpu/mod.ts";
import { csrArray } from "../sparse/csr_array.ts";
import { isolveFixture, norm2 } from "../tests/_fixtures.ts";
import { LinearOperator } from "./linear_operator.ts";
import { lsqr } from "./lsqr.ts";

const { A: R, b } = isolveFixture().leastSquares.rect; // 30 × 12, inconsistent b
const host = async (a: CpuArray) => Float64Array.from(await xp.toHost(a));
const m = 30, n = 12;
const mat = xp.asarray(R);

/** Dense reference: solution of min ‖A x − b‖² + d²‖x − x0‖² and diag((AᵀA + d²I)⁻¹). */
function dense(d: number, x0: number[]) {
  const rows = [
    ...R,
    ...Array.from({ length: n }, (_, i) => R[0].map((_, j) => (i === j ? d : 0))),
  ];
  const rhs = [...b, ...x0.map((v) => d * v)];
  const sol = xp.linalg.lstsq(xp.asarray(rows), xp.asarray(rhs)).solution;
  const AtA = xp.add(xp.matmul(xp.matrix_transpose(mat), mat), xp.multiply(xp.eye(n), d * d));
  return { x: sol, diagInv: xp.linalg.diagonal(xp.linalg.inv(AtA)) };
}

Deno.test("lsqr: calcVar estimates diag((AᵀA + damp²I)⁻¹)", async () => {
  for (const damp of [0, 0.5]) {
    const r = await lsqr(mat, xp.asarray(b), { damp, atol: 1e-12, btol: 1e-12, calcVar: true });
    assert.deepEqual(r.var!.shape, [n]);
    const v = await host(r.var!);
    const ref = await host(dense(damp, new Array(n).fill(0)).diagInv);
    for (let k = 0; k < n; k++) {
      // SciPy 1.17 on this problem: 4.3e-12 relative
      assert.ok(Math.abs(v[k] - ref[k]) <= 1e-10 * ref[k], `damp ${damp}: var[${k}]`);
    }
  }
});

Deno.test("lsqr: damp regularises towards x0; r1norm, r2norm, xnorm describe x", async () => {
  const x0 = Array.from({ length: n }, (_, k) => Math.cos(k));
  const d = 0.8;
  const r = await lsqr(mat, xp.asarray(b), {
    damp: d,
    x0: xp.asarray(x0),
    atol: 1e-12,
    btol: 1e-12,
  });
  assert.equal(r.istop[0], 2);
  const x = await host(r.x);
  const ref = await host(dense(d, x0).x);
  for (let k = 0; k < n; k++) assert.ok(Math.abs(x[k] - ref[k]) <= 1e-10, `x[${k}]`);
  const dx = norm2(x.map((v, k) => v - x0[k]));
  const res = r.residualNorm[0];
  assert.ok(Math.abs(r.xnorm[0] - dx) <= 1e-10 * dx, `xnorm ${r.xnorm[0]} vs ‖x − x0‖ ${dx}`);
  assert.ok(Math.abs(r.r1norm[0] - res) <= 1e-9 * res, `r1norm ${r.r1norm[0]} vs ${res}`);
  const r2 = Math.sqrt(res * res + d * d * dx * dx);
  assert.ok(Math.abs(r.r2norm[0] - r2) <= 1e-10 * r2, `r2norm ${r.r2norm[0]} vs ${r2}`);
  // ‖Aᵀr − d²(x − x0)‖ ≈ 0 at the solution
  assert.ok(r.arnorm[0] <= 1e-10 * r.anorm[0] * r.r2norm[0]);
  // after n steps the estimates are exact: anorm = ‖[A; dI]‖_F
  const fro = Math.sqrt(R.flat().reduce((s, v) => s + v * v, 0) + n * d * d);
  assert.ok(Math.abs(r.anorm[0] - fro) <= 1e-10 * fro, `anorm ${r.anorm[0]} vs ${fro}`);
});

Deno.test("lsqr: zero tolerances stop on the machine-precision tests (SciPy istop 5 / 4)", async () => {
  const o = { atol: 0, btol: 0, conlim: 0 };
  const r = await lsqr(mat, xp.asarray(b), o);
  assert.deepEqual([r.istop[0], r.itn[0]], [5, 12]); // SciPy 1.17: istop 5, itn 12
  const xt = Array.from({ length: n }, (_, k) => Math.sin(k + 1));
  const bc = R.map((row) => row.reduce((s, a, j) => s + a * xt[j], 0));
  const r2 = await lsqr(mat, xp.asarray(bc), o);
  assert.deepEqual([r2.istop[0], r2.itn[0]], [4, 12]); // SciPy 1.17: istop 4, itn 12
});

Deno.test("lsqr: under-determined system gives the minimum-norm solution", async () => {
  const W = xp.matrix_transpose(mat); // 12 × 30
  const bw = Array.from({ length: n }, (_, k) => (k % 3) - 1);
  const r = await lsqr(W, xp.asarray(bw));
  assert.equal(r.istop[0], 1);
  const x = await host(r.x);
  const ref = await host(xp.linalg.lstsq(W, xp.asarray(bw)).solution);
  for (let k = 0; k < m; k++) assert.ok(Math.abs(x[k] - ref[k]) <= 1e-6 * norm2(ref));
});

Deno.test("lsqr: nested JS arrays, CSR arrays and LinearOperators give the same result", async () => {
  const ref = await lsqr(R, b, { atol: 1e-10, btol: 1e-10 });
  const data: number[] = [], indices: number[] = [], indptr = [0];
  for (const row of R) {
    row.forEach((v, j) => {
      data.push(v);
      indices.push(j);
    });
    indptr.push(data.length);
  }
  const S = csrArray({ data: xp.asarray(data), indices, indptr }, { shape: [m, n] });
  const op = new LinearOperator({
    shape: [m, n],
    dtype: "float64",
    xp,
    matvec: (v: CpuArray) => xp.matmul(mat, v),
    rmatvec: (u: CpuArray) => xp.matmul(xp.matrix_transpose(mat), u),
  });
  for (const A of [S, op]) {
    const r = await lsqr(A, xp.asarray(b), { atol: 1e-10, btol: 1e-10 });
    assert.equal(r.itn[0], ref.itn[0]);
    const x = await host(r.x), xr = await host(ref.x);
    for (let k = 0; k < n; k++) assert.ok(Math.abs(x[k] - xr[k]) <= 1e-12 * norm2(xr));
  }
  // a batch of right-hand sides of shape (2, 3, m) keeps its batch shape
  const B = xp.reshape(xp.tile(xp.asarray(b), [6]), [2, 3, m]);
  const rb = await lsqr(mat, B, { atol: 1e-10, btol: 1e-10 });
  assert.deepEqual(rb.x.shape, [2, 3, n]);
  assert.equal(rb.istop.length, 6);
  assert.ok(rb.itn.every((v) => v === ref.itn[0]));
});

Deno.test("lsqr: float32 solve meets float32 accuracy", async () => {
  const r = await lsqr(xp.asarray(R, { dtype: "float32" }), xp.asarray(b, { dtype: "float32" }));
  assert.equal(r.x.dtype, "float32");
  assert.ok(r.istop[0] === 2 || r.istop[0] === 5, `istop ${r.istop[0]}`);
  const x = await host(r.x);
  const ref = await host((await lsqr(mat, xp.asarray(b), { atol: 1e-12, btol: 1e-12 })).x);
  for (let k = 0; k < n; k++) assert.ok(Math.abs(x[k] - ref[k]) <= 1e-5 * norm2(ref));
});
