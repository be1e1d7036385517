// lgmres-specific tests: SciPy's TestLGMRES (test_lgmres.py) ported, augmentation vectors,
// SciPy iterates, batches with very different iteration counts, history.
import assert from "node:assert/strict";
import { cpu as xp, type CpuArray } from "../backends/cpu/mod.ts";
import { csrArray } from "../sparse/csr_array.ts";
import { gmres } from "./gmres.ts";
import { INFO_PRECONDITIONER_ZERO, lgmres, type LgmresOuterVector } from "./lgmres.ts";
import { REFS } from "./_arnoldi_refs_test_data.ts";
import {
  checkPipelined,
  counting,
  formulaMatrix,
  formulaVector,
  host,
  inverse,
  matvecHost,
  rejects,
  rel,
  residual,
} from "./_arnoldi_testing.ts";

const Am = [
  [-2, 1, 0, 0, 0, 9],
  [1, -2, 1, 0, 5, 0],
  [0, 1, -2, 1, 0, 0],
  [0, 0, 1, -2, 1, 0],
  [0, 3, 0, 1, -2, 1],
  [1, 0, 0, 0, 1, -2],
];
const bm = [1, 2, 3, 4, 5, 6];

/** SciPy's do_solve: x0 = 0, inner_m = 6, rtol = 1e-14; returns x and the matvec count. */
async function doSolve(
  o: Record<string, unknown> = {},
): Promise<{ x: Float64Array; count: number; its: number }> {
  const counter = { n: 0 };
  const r = await lgmres(counting(Am, counter), xp.asarray(bm), {
    x0: xp.zeros([6]),
    innerM: 6,
    rtol: 1e-14,
    ...o,
  });
  const x = await host(r.x);
  const Ax = matvecHost(Am, x);
  assert.ok(Ax.every((v, i) => Math.abs(v - bm[i]) <= 1e-12 + 1e-12 * Math.abs(bm[i])));
  return { x, count: counter.n, its: r.iterations[0] };
}

function allclose(a: ArrayLike<number>, b: ArrayLike<number>, rtol: number, atol = 1e-8) {
  for (let i = 0; i < b.length; i++) {
    assert.ok(Math.abs(a[i] - b[i]) <= atol + rtol * Math.abs(b[i]), `${a[i]} vs ${b[i]}`);
  }
}

Deno.test("lgmres: SciPy test_preconditioner (exact M: 3 matvecs)", async () => {
  const M = xp.asarray(inverse(Am));
  const s0 = await doSolve();
  let calls = 0;
  const s1 = await doSolve({ M, callback: () => void calls++ });
  assert.equal(s1.count, 3);
  assert.ok(s1.count < s0.count / 2, `${s1.count} vs ${s0.count}`);
  allclose(s1.x, s0.x, 1e-14);
  assert.ok(calls < 3 && s1.its === calls, `${calls} callbacks, ${s1.its} iterations`);
});

Deno.test("lgmres: SciPy test_outer_v (augmentation vectors in and out)", async () => {
  const outerV: LgmresOuterVector<CpuArray>[] = [];
  const s0 = await doSolve({ outerK: 6, outerV });
  assert.ok(outerV.length > 0 && outerV.length <= 6);
  assert.ok(outerV.every((e) => e.av !== null && e.v.shape[0] === 6));
  const s1 = await doSolve({ outerK: 6, outerV, prependOuterV: true });
  assert.equal(s1.count, 2);
  assert.ok(s1.count < s0.count / 2);
  allclose(s1.x, s0.x, 1e-14);

  const outer2: LgmresOuterVector<CpuArray>[] = [];
  const s2 = await doSolve({ outerK: 6, outerV: outer2, storeOuterAv: false });
  assert.ok(outer2.length > 0 && outer2.length <= 6 && outer2.every((e) => e.av === null));
  const s3 = await doSolve({ outerK: 6, outerV: outer2, prependOuterV: true });
  assert.equal(s3.count, 3);
  assert.ok(s3.count < s2.count / 2);
  allclose(s3.x, s2.x, 1e-14);
});

Deno.test("lgmres: SciPy test_arnoldi (first cycle equals gmres's)", async () => {
  // eye(2000) + a random sparse matrix of density 5e-4 (own generator)
  const n = 2000;
  let seed = 123;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const rows = new Map<number, Map<number, number>>();
  for (let i = 0; i < n; i++) rows.set(i, new Map([[i, 1]]));
  for (let t = 0; t < 2000; t++) {
    const i = Math.floor(rnd() * n), j = Math.floor(rnd() * n);
    const row = rows.get(i)!;
    row.set(j, (row.get(j) ?? 0) + rnd());
  }
  const indptr = [0], indices: number[] = [], data: number[] = [];
  for (let i = 0; i < n; i++) {
    const cols = [...rows.get(i)!.keys()].sort((a, b) => a - b);
    for (const j of cols) {
      indices.push(j);
      data.push(rows.get(i)!.get(j)!);
    }
    indptr.push(indices.length);
  }
  const A = csrArray({ data: xp.asarray(data), indices, indptr }, { shape: [n, n], xp });
  const b = xp.asarray(Array.from({ length: n }, () => rnd()));
  const r0 = await lgmres(A, b, { x0: xp.zeros([n]), innerM: 10, maxiter: 1 });
  const r1 = await gmres(A, b, { x0: xp.zeros([n]), restart: 10, maxiter: 1 });
  assert.equal(r0.info[0], 1);
  assert.equal(r1.info[0], 1);
  assert.ok(r0.residualNorm[0] > 1e-4);
  allclose(await host(r0.x), await host(r1.x), 1e-7, 0);
});

Deno.test("lgmres: SciPy test_cornercase (rtol = 0 gives no exception)", async () => {
  let seed = 1234;
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  for (const n of [3, 5, 10, 100]) {
    const A = xp.multiply(xp.eye(n), 2);
    for (const bv of [Array(n).fill(1), Array.from({ length: n }, rnd)]) {
      const b = xp.asarray(bv);
      let r = await lgmres(A, b, { maxiter: 10 });
      assert.equal(r.info[0], 0);
      (await host(r.x)).forEach((v, i) => assert.ok(Math.abs(2 * v - bv[i]) <= 1e-14));
      r = await lgmres(A, b, { rtol: 0, maxiter: 10 });
      if (r.info[0] === 0) {
        (await host(r.x)).forEach((v, i) => assert.ok(Math.abs(2 * v - bv[i]) <= 1e-14));
      } else assert.ok(r.info[0] === 10, `info ${r.info[0]}`);
    }
  }
});

Deno.test("lgmres: NaN in A is rejected (SciPy's test_nans returns info 1)", async () => {
  await rejects(
    () => lgmres(xp.asarray([[1, 0, 0], [0, NaN, 0], [0, 0, 1]]), xp.ones([3]), { rtol: 0 }),
    RangeError,
    /A contains NaN or Inf/,
  );
});

Deno.test("lgmres: SciPy test_breakdown_with_outer_v", async () => {
  const A = [[1, 2], [3, 4]], b = [1, 2];
  const x = matvecHost(inverse(A), b);
  const outerV = [{ v: xp.asarray([1, 0]), av: null }, { v: xp.asarray(x), av: null }];
  const r = await lgmres(xp.asarray(A), xp.asarray(b), { outerV, maxiter: 1 });
  allclose(await host(r.x), x, 0, 1e-12);
});

Deno.test("lgmres: SciPy test_breakdown_underdetermined (nilpotent A)", async () => {
  const A = [[0, 1, 1, 1], [0, 0, 1, 1], [0, 0, 0, 1], [0, 0, 0, 0]];
  const bs = [[1, 1, 1, 1], [1, 1, 1, 0], [1, 1, 0, 0], [1, 0, 0, 0]];
  // ‖A x − b‖ of the least-squares solution over the Krylov space (NumPy's lstsq of A·K
  // against b, K = [b, Ab, A²b, A³b]) is 1 for each b; SciPy's lgmres reaches it in one cycle
  const want = [1, 1, 1, 1];
  for (let k = 0; k < bs.length; k++) {
    const r = await lgmres(xp.asarray(A), xp.asarray(bs[k]), { maxiter: 1 });
    const res = residual(A, bs[k], await host(r.x));
    assert.ok(Math.abs(res - want[k]) <= 1e-7, `b = ${bs[k]}: residual ${res}`);
    assert.equal(r.info[0], 1);
  }
});

Deno.test("lgmres: SciPy test_denormals", async () => {
  const s = 100 * Number.MIN_VALUE;
  const A = [[1 * s, 2 * s], [3 * s, 4 * s]];
  const r = await lgmres(xp.asarray(A), xp.asarray([1, 1]));
  const x = await host(r.x);
  if (r.info[0] === 0) allclose(matvecHost(A, x), [1, 1], 1e-7);
  else assert.ok(x.every(Number.isFinite));
});

Deno.test("lgmres: iterates match SciPy (inner_m, outer_k, prepend, store_outer_Av, M)", async () => {
  const Ad = formulaMatrix(40, 0.8);
  const A = xp.asarray(Ad), b = xp.asarray(formulaVector(40));
  const M = xp.asarray(Ad.map((row, i) => row.map((_, j) => (i === j ? 1 / Ad[i][i] : 0))));
  const base = { rtol: 1e-12, atol: 0, maxiter: 4 };
  const runs: [string, Record<string, unknown>][] = [
    ["lg_default", {}],
    ["lg_prepend", { prependOuterV: true, outerK: 2, innerM: 5 }],
    ["lg_noAv", { storeOuterAv: false, innerM: 5 }],
    ["lg_M", { innerM: 6, M }],
  ];
  for (const [name, o] of runs) {
    const r = await lgmres(A, b, { ...base, ...o });
    const ref = REFS[name];
    assert.equal(r.info[0], ref.info, name);
    assert.equal(r.iterations[0], ref.its, name);
    assert.ok(rel(await host(r.x), ref.x) <= 1e-10, `${name}: x differs from SciPy`);
  }
  const rc = await lgmres(A, b, { rtol: 1e-10, atol: 0, innerM: 10 });
  assert.equal(rc.iterations[0], REFS.cv_lgmres.its);
  assert.ok(rel(await host(rc.x), REFS.cv_lgmres.x) <= 1e-8);
});

Deno.test("lgmres: batch where one system needs far more iterations", async () => {
  const n = 40;
  const mats = [formulaMatrix(n, 4), formulaMatrix(n, 0.8)];
  const bd = formulaVector(n);
  const bs = [bd, bd.map((v, i) => v - i / n)];
  const o = { rtol: 1e-10, atol: 0, innerM: 5, outerK: 2 };
  const outerV: LgmresOuterVector<CpuArray>[] = [];
  const r = await lgmres(xp.asarray(mats), xp.asarray(bs), { ...o, outerV, history: true });
  const x = await host(r.x);
  for (let k = 0; k < 2; k++) {
    const r1 = await lgmres(xp.asarray(mats[k]), xp.asarray(bs[k]), o);
    assert.equal(r.info[k], 0);
    assert.equal(r.iterations[k], r1.iterations[0], `system ${k}`);
    const xk = x.subarray(k * n, (k + 1) * n);
    assert.ok(rel(xk, await host(r1.x)) <= 1e-12, `system ${k} differs from its own solve`);
    assert.ok(Math.abs(r.residualNorm[k] - residual(mats[k], bs[k], xk)) <= 1e-12);
    const h = r.residualHistory![k];
    assert.equal(h.length, r.iterations[k]);
    assert.ok(Math.abs(h[0] - Math.hypot(...bs[k])) <= 1e-12);
    assert.ok(h[h.length - 1] <= 1e-10 * Math.hypot(...bs[k]));
  }
  assert.ok(r.iterations[1] > 3 * r.iterations[0], `${r.iterations}`);
  assert.ok(outerV.length === 2 && outerV.every((e) => e.v.shape.join() === `2,${n}`));
});

Deno.test("lgmres: a zero preconditioner gives INFO_PRECONDITIONER_ZERO", async () => {
  const r = await lgmres(xp.asarray([[[2, 0], [0, 3]], [[2, 0], [0, 3]]]), xp.ones([2, 2]), {
    M: xp.asarray([[[0, 0], [0, 0]], [[1, 0], [0, 1]]]),
  });
  assert.deepEqual(Array.from(r.info), [INFO_PRECONDITIONER_ZERO, 0]);
  assert.ok((await host(r.x)).every(Number.isFinite));
});

Deno.test("lgmres: empty batch and option errors", async () => {
  const r = await lgmres(xp.eye(3), xp.zeros([0, 3]));
  assert.deepEqual(r.x.shape, [0, 3]);
  const A = xp.eye(3), b = xp.ones([3]);
  await rejects(() => lgmres(A, b, { innerM: 0 }), RangeError, /innerM/);
  await rejects(() => lgmres(A, b, { outerK: -1 }), RangeError, /outerK/);
  // deno-lint-ignore no-explicit-any
  await rejects(() => lgmres(A, b, { outerV: 3 as any }), TypeError, /outerV/);
  await rejects(
    () => lgmres(A, b, { outerV: [{ v: xp.ones([4]), av: null }] }),
    RangeError,
    /outerV\[0\]\.v/,
  );
});

Deno.test("lgmres: pipelined checks (GPU-like readback latency) give identical results", async () => {
  await checkPipelined(lgmres, { rtol: 1e-10, atol: 0, innerM: 5 });
});
