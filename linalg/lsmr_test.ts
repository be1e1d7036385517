// lsmr-specific tests (the cross-backend SciPy parity cases live in tests/least_squares_cases.ts):
// damping towards x0, the norm estimates, machine-precision stop codes, defaults.
import assert from "node:assert/strict";
import { cpu as xp, type CpuArray } from "../backends/cpu/mod.ts";
import { isolveFixture, norm2 } from "../tests/_fixtures.ts";
import { lsmr } from "./lsmr.ts";

const { A: R, b } = isolveFixture().leastSquares.rect; // 30 × 12, inconsistent b
const host = async (a: CpuArray) => Float64Array.from(await xp.toHost(a));
const m = 30, n = 12;
const mat = xp.asarray(R);

Deno.test("lsmr: damp regularises towards x0; normr, normar, normx describe x", async () => {
  const x0 = Array.from({ length: n }, (_, k) => Math.cos(k));
  const d = 0.8;
  const r = await lsmr(mat, xp.asarray(b), {
    damp: d,
    x0: xp.asarray(x0),
    atol: 1e-12,
    btol: 1e-12,
    maxiter: 50,
  });
  assert.equal(r.istop[0], 2);
  const rows = [
    ...R,
    ...Array.from({ length: n }, (_, i) => R[0].map((_, j) => (i === j ? d : 0))),
  ];
  const ref = await host(
    xp.linalg.lstsq(xp.asarray(rows), xp.asarray([...b, ...x0.map((v) => d * v)])).solution,
  );
  const x = await host(r.x);
  for (let k = 0; k < n; k++) assert.ok(Math.abs(x[k] - ref[k]) <= 1e-10, `x[${k}]`);
  const dx = norm2(x.map((v, k) => v - x0[k]));
  const res = r.residualNorm[0];
  const r2 = Math.sqrt(res * res + d * d * dx * dx);
  assert.ok(Math.abs(r.normr[0] - r2) <= 1e-10 * r2, `normr ${r.normr[0]} vs ${r2}`);
  assert.ok(Math.abs(r.normx[0] - norm2(x)) <= 1e-12 * norm2(x), "normx = ‖x‖");
  assert.ok(r.normar[0] <= 1e-10 * r.norma[0] * r.normr[0]);
});

Deno.test("lsmr: norma is ‖A‖_F once the bidiagonalization is complete", async () => {
  const r = await lsmr(mat, xp.asarray(b), { atol: 1e-12, btol: 1e-12, maxiter: 100 });
  assert.deepEqual([r.istop[0], r.itn[0]], [2, 12]); // SciPy 1.17: istop 2, itn 12
  const fro = Math.sqrt(R.flat().reduce((s, v) => s + v * v, 0));
  assert.ok(Math.abs(r.norma[0] - fro) <= 1e-12 * fro, `norma ${r.norma[0]} vs ${fro}`);
  assert.ok(Math.abs(r.conda[0] - 1.7898656644191369) <= 1e-8, `conda ${r.conda[0]}`); // SciPy
});

Deno.test("lsmr: zero tolerances stop on the machine-precision tests (SciPy istop 5 / 4)", async () => {
  const o = { atol: 0, btol: 0, conlim: 0 };
  const r = await lsmr(mat, xp.asarray(b), o);
  assert.deepEqual([r.istop[0], r.itn[0]], [5, 12]);
  const xt = Array.from({ length: n }, (_, k) => Math.sin(k + 1));
  const bc = R.map((row) => row.reduce((s, a, j) => s + a * xt[j], 0));
  const r2 = await lsmr(mat, xp.asarray(bc), o);
  assert.deepEqual([r2.istop[0], r2.itn[0]], [4, 12]);
});

Deno.test("lsmr: default maxiter is min(m, n); wide systems give the minimum-norm solution", async () => {
  const W = xp.matrix_transpose(mat); // 12 × 30
  const bw = Array.from({ length: n }, (_, k) => (k % 3) - 1);
  const lim = await lsmr(W, xp.asarray(bw), { atol: 0, btol: 0, conlim: 0 });
  assert.ok(lim.itn[0] <= 12, `itn ${lim.itn[0]} > min(m, n)`);
  const r = await lsmr(W, xp.asarray(bw));
  assert.equal(r.istop[0], 1); // SciPy 1.17: istop 1, itn 12
  assert.equal(r.itn[0], 12);
  const x = await host(r.x);
  const ref = await host(xp.linalg.lstsq(W, xp.asarray(bw)).solution);
  for (let k = 0; k < m; k++) assert.ok(Math.abs(x[k] - ref[k]) <= 1e-6 * norm2(ref));
});

Deno.test("lsmr: history (normr) is monotone; callback and onProgress are called", async () => {
  const its: number[] = [];
  let progress = 0;
  const r = await lsmr(mat, xp.asarray(b), {
    atol: 1e-12,
    btol: 1e-12,
    history: true,
    callback: (_x, it) => void its.push(it),
    onProgress: (p) => {
      progress++;
      assert.equal(p.solver, "lsmr");
      assert.equal(p.systems, 1);
    },
  });
  assert.equal(its.length, r.itn[0]);
  assert.ok(progress >= 1);
  const h = r.residualHistory![0];
  assert.equal(h.length, r.itn[0] + 1);
  for (let k = 1; k < h.length; k++) assert.ok(h[k] <= h[k - 1] * (1 + 1e-12));
  assert.ok(Math.abs(h[h.length - 1] - r.normr[0]) <= 1e-15 * r.normr[0]);
});
