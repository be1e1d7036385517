// gcrotmk-specific tests: SciPy's TestGCROTMK (test_gcrotmk.py) ported, truncation schemes,
// recycling (CU), SciPy iterates, batches with very different iteration counts, history.
import assert from "node:assert/strict";
import { cpu as xp, type CpuArray } from "../backends/cpu/mod.ts";
import { gcrotmk, type GcrotmkCU } from "./gcrotmk.ts";
import { gmres } from "./gmres.ts";
import { INFO_NONFINITE } from "./types.ts";
import { REFS } from "./_arnoldi_refs_test_data.ts";
import { isolveFixture } from "../tests/_fixtures.ts";
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

/** SciPy's do_solve: x0 = 0, rtol = 1e-14; returns x and the matvec count. */
async function doSolve(
  o: Record<string, unknown> = {},
): Promise<{ x: Float64Array; count: number; its: number }> {
  const counter = { n: 0 };
  const r = await gcrotmk(counting(Am, counter), xp.asarray(bm), {
    x0: xp.zeros([6]),
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

Deno.test("gcrotmk: SciPy test_preconditioner (exact M: 3 matvecs)", async () => {
  const M = xp.asarray(inverse(Am));
  const s0 = await doSolve();
  let calls = 0;
  const s1 = await doSolve({ M, callback: () => void calls++ });
  assert.equal(s1.count, 3);
  assert.ok(s1.count < s0.count / 2, `${s1.count} vs ${s0.count}`);
  allclose(s1.x, s0.x, 1e-14);
  assert.ok(calls < 3 && s1.its === calls);
});

Deno.test("gcrotmk: SciPy test_arnoldi (k = 0: first cycle equals gmres's)", async () => {
  const Ad = formulaMatrix(60, 0.3);
  const A = xp.asarray(Ad), b = xp.asarray(formulaVector(60));
  const r0 = await gcrotmk(A, b, { x0: xp.zeros([60]), m: 10, k: 0, maxiter: 1 });
  const r1 = await gmres(A, b, { x0: xp.zeros([60]), restart: 10, maxiter: 1 });
  assert.equal(r0.info[0], 1);
  assert.equal(r1.info[0], 1);
  assert.ok(r0.residualNorm[0] > 1e-4);
  allclose(await host(r0.x), await host(r1.x), 1e-7, 0);
});

Deno.test("gcrotmk: SciPy test_cornercase (rtol = 0 gives no exception)", async () => {
  let seed = 1234;
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  for (const n of [3, 5, 10, 100]) {
    const A = xp.multiply(xp.eye(n), 2);
    for (const bv of [Array(n).fill(1), Array.from({ length: n }, rnd)]) {
      const b = xp.asarray(bv);
      let r = await gcrotmk(A, b, { maxiter: 10 });
      assert.equal(r.info[0], 0);
      (await host(r.x)).forEach((v, i) => assert.ok(Math.abs(2 * v - bv[i]) <= 1e-14));
      r = await gcrotmk(A, b, { rtol: 0, maxiter: 10 });
      if (r.info[0] === 0) {
        (await host(r.x)).forEach((v, i) => assert.ok(Math.abs(2 * v - bv[i]) <= 1e-14));
      } else assert.ok(r.info[0] === 10 || r.info[0] === INFO_NONFINITE, `info ${r.info[0]}`);
      assert.ok((await host(r.x)).every(Number.isFinite));
    }
  }
});

Deno.test("gcrotmk: NaN in A is rejected (SciPy's test_nans returns info 1)", async () => {
  await rejects(
    () => gcrotmk(xp.asarray([[1, 0, 0], [0, NaN, 0], [0, 0, 1]]), xp.ones([3]), { rtol: 0 }),
    RangeError,
    /A contains NaN or Inf/,
  );
});

Deno.test("gcrotmk: SciPy test_truncate (oldest and smallest converge)", async () => {
  const Ad = formulaMatrix(30, 0.8), bd = formulaVector(30);
  for (const truncate of ["oldest", "smallest"] as const) {
    const r = await gcrotmk(xp.asarray(Ad), xp.asarray(bd), {
      m: 10,
      k: 10,
      truncate,
      rtol: 1e-4,
      maxiter: 200,
    });
    assert.equal(r.info[0], 0, truncate);
    assert.ok(residual(Ad, bd, await host(r.x)) <= 1e-3);
  }
});

Deno.test("gcrotmk: SciPy test_CU (recycling with and without C)", async () => {
  for (const discardC of [true, false]) {
    const CU: GcrotmkCU<CpuArray>[] = [];
    const s0 = await doSolve({ CU, discardC });
    assert.ok(CU.length > 0 && CU.length <= 6, `${CU.length} pairs`);
    assert.equal(CU[CU.length - 1].c, null); // SciPy appends (None, x)
    allclose(await host(CU[CU.length - 1].u), s0.x, 0, 1e-15);
    if (discardC) assert.ok(CU.every((p) => p.c === null));
    const s1 = await doSolve({ CU, discardC });
    assert.equal(s1.count, discardC ? 2 + CU.length : 3, `discardC ${discardC}`);
    assert.ok(s1.count <= s0.count / 2);
    allclose(s1.x, s0.x, 0, 1e-14);
  }
});

Deno.test("gcrotmk: SciPy test_denormals", async () => {
  const s = 100 * Number.MIN_VALUE;
  const A = [[1 * s, 2 * s], [3 * s, 4 * s]];
  const r = await gcrotmk(xp.asarray(A), xp.asarray([1, 1]));
  const x = await host(r.x);
  if (r.info[0] === 0) allclose(matvecHost(A, x), [1, 1], 1e-7);
  else assert.ok(x.every(Number.isFinite));
});

Deno.test("gcrotmk: iterates match SciPy (m, k, truncate, M)", async () => {
  const Ad = formulaMatrix(40, 0.8);
  const A = xp.asarray(Ad), b = xp.asarray(formulaVector(40));
  const M = xp.asarray(Ad.map((row, i) => row.map((_, j) => (i === j ? 1 / Ad[i][i] : 0))));
  const base = { rtol: 1e-12, atol: 0, maxiter: 5 };
  const runs: [string, Record<string, unknown>][] = [
    ["gc_oldest", { m: 5, k: 3 }],
    ["gc_smallest", { m: 5, k: 3, truncate: "smallest" }],
    ["gc_M", { m: 6, k: 2, M }],
    ["gc_k0", { m: 4, k: 0 }],
    ["gc_small_k1", { m: 4, k: 1, truncate: "smallest" }],
  ];
  for (const [name, o] of runs) {
    const r = await gcrotmk(A, b, { ...base, ...o });
    const ref = REFS[name];
    assert.equal(r.info[0], ref.info, name);
    assert.equal(r.iterations[0], ref.its, name);
    assert.ok(rel(await host(r.x), ref.x) <= 1e-10, `${name}: x differs from SciPy`);
  }
  for (const [name, truncate] of [["cv_gcrotmk", "oldest"], ["cv_gcrotmk_s", "smallest"]]) {
    const rc = await gcrotmk(A, b, {
      rtol: 1e-10,
      atol: 0,
      m: 10,
      k: 5,
      truncate: truncate as "oldest",
    });
    assert.equal(rc.iterations[0], REFS[name].its);
    assert.ok(rel(await host(rc.x), REFS[name].x) <= 1e-8);
  }
});

Deno.test("gcrotmk: batch where one system needs far more iterations (+ CU, history)", async () => {
  const n = 40;
  const mats = [formulaMatrix(n, 4), formulaMatrix(n, 0.8)];
  const bd = formulaVector(n);
  const bs = [bd, bd.map((v, i) => v - i / n)];
  for (const truncate of ["oldest", "smallest"] as const) {
    const o = { rtol: 1e-10, atol: 0, m: 5, k: 3, truncate };
    const CU: GcrotmkCU<CpuArray>[] = [];
    const r = await gcrotmk(xp.asarray(mats), xp.asarray(bs), { ...o, CU, history: true });
    const x = await host(r.x);
    for (let k = 0; k < 2; k++) {
      const r1 = await gcrotmk(xp.asarray(mats[k]), xp.asarray(bs[k]), o);
      assert.equal(r.info[k], 0);
      assert.equal(r.iterations[k], r1.iterations[0], `${truncate}: system ${k}`);
      const xk = x.subarray(k * n, (k + 1) * n);
      assert.ok(rel(xk, await host(r1.x)) <= 1e-12, `${truncate}: system ${k}`);
      assert.ok(Math.abs(r.residualNorm[k] - residual(mats[k], bs[k], xk)) <= 1e-12);
      const h = r.residualHistory![k];
      assert.equal(h.length, r.iterations[k]);
      assert.ok(Math.abs(h[0] - Math.hypot(...bs[k])) <= 1e-12);
    }
    assert.ok(r.iterations[1] > 3 * r.iterations[0], `${r.iterations}`);
    // the easy system keeps its own pairs: recycling them solves it again at once
    assert.ok(CU.length === 4 && CU.every((p) => p.u.shape.join() === `2,${n}`));
    const again = await gcrotmk(xp.asarray(mats), xp.asarray(bs), { ...o, CU });
    assert.deepEqual(Array.from(again.iterations), [1, 1]);
  }
});

Deno.test("gcrotmk: float32 below float32 accuracy returns its best iterate", async () => {
  // SciPy 1.17's float32 gcrotmk returns NaN here (the residual recurrence drifts and blows up)
  const { A, b, M0 } = isolveFixture().atol;
  const dtype = "float32";
  const M = xp.asarray(M0.map((row) => row.map((v) => v * 1e6)), { dtype });
  const r = await gcrotmk(xp.asarray(A, { dtype }), xp.asarray(b, { dtype }), {
    rtol: 1e-5,
    atol: 0,
    M,
  });
  const x = await host(r.x);
  assert.ok(x.every(Number.isFinite));
  const res = residual(A, b, x);
  assert.ok(r.info[0] !== 0 || res <= 1e-5 * Math.hypot(...b) * 1.001);
  assert.ok(res <= 1e-3 * Math.hypot(...b), `residual ${res}`);
  // the reported residual was computed in float32 (the suite's float32 tolerance)
  assert.ok(Math.abs(r.residualNorm[0] - res) <= 1e-3 * res + 1e-5 * Math.hypot(...b));
});

Deno.test("gcrotmk: a zero preconditioner stops at maxiter without NaN", async () => {
  const r = await gcrotmk(xp.eye(3), xp.ones([3]), { M: xp.zeros([3, 3]), maxiter: 5 });
  assert.equal(r.info[0], 5);
  assert.ok((await host(r.x)).every(Number.isFinite));
});

Deno.test("gcrotmk: empty batch and option errors", async () => {
  const r = await gcrotmk(xp.eye(3), xp.zeros([0, 3]));
  assert.deepEqual(r.x.shape, [0, 3]);
  const A = xp.eye(3), b = xp.ones([3]);
  await rejects(() => gcrotmk(A, b, { m: 0 }), RangeError, /\bm\b/);
  await rejects(() => gcrotmk(A, b, { k: -1 }), RangeError, /\bk\b/);
  // deno-lint-ignore no-explicit-any
  await rejects(() => gcrotmk(A, b, { truncate: "newest" as any }), RangeError, /truncate/);
  // deno-lint-ignore no-explicit-any
  await rejects(() => gcrotmk(A, b, { CU: {} as any }), TypeError, /CU/);
  await rejects(
    () => gcrotmk(A, b, { CU: [{ c: null, u: xp.ones([2]) }] }),
    RangeError,
    /CU\[0\]\.u/,
  );
});

Deno.test("gcrotmk: pipelined checks (GPU-like readback latency) give identical results", async () => {
  await checkPipelined(gcrotmk, { rtol: 1e-10, atol: 0, m: 5, k: 3, truncate: "smallest" });
});
