// gmres-specific tests: SciPy's TestGMRES (test_iterative.py) ported, callback kinds, restart,
// breakdowns, batches whose systems need very different iteration counts, history.
import assert from "node:assert/strict";
import { cpu as xp } from "../backends/cpu/mod.ts";
import { gmres } from "./gmres.ts";
import { LinearOperator } from "./linear_operator.ts";
import { INFO_NONFINITE } from "./types.ts";
import { REFS } from "./_arnoldi_refs_test_data.ts";
import {
  checkPipelined,
  formulaMatrix,
  formulaVector,
  host,
  matvecHost,
  rejects,
  rel,
  residual,
} from "./_arnoldi_testing.ts";

Deno.test("gmres: SciPy test_basic (Vandermonde, restart=5, maxiter=1)", async () => {
  const A: number[][] = [];
  for (let i = 0; i < 10; i++) A.push(Array.from({ length: 10 }, (_, j) => (i + 1) ** j));
  const b = Array.from({ length: 10 }, (_, i) => (i === 0 ? 1 : 0));
  const r = await gmres(xp.asarray(A), xp.asarray(b), { restart: 5, maxiter: 1 });
  const x = await host(r.x);
  assert.ok(Math.abs(x[0] - 0.359) <= 0.359e-2, `x[0] = ${x[0]}`);
  assert.ok(rel(x, REFS.basic.x) <= 1e-8, `x differs from SciPy by ${rel(x, REFS.basic.x)}`);
  assert.equal(r.info[0], 1);
  assert.equal(r.iterations[0], 5);
});

Deno.test("gmres: SciPy test_callback (legacy pr_norm values, with and without M)", async () => {
  const T = [[-2, 1, 0, 0, 0, 0], [1, -2, 1, 0, 0, 0], [0, 1, -2, 1, 0, 0]];
  const A = [...T, [0, 0, 1, -2, 1, 0], [0, 0, 0, 1, -2, 1], [0, 0, 0, 0, 1, -2]];
  for (const scale of [1, 1e-3]) {
    const rvec: number[] = [];
    const M = scale === 1 ? undefined : xp.multiply(xp.eye(6), scale);
    const r = await gmres(xp.asarray(A), xp.ones([6]), {
      x0: xp.zeros([6]),
      rtol: 1e-16,
      maxiter: 1,
      M,
      callbackType: "legacy",
      callback: async (pr, it) => {
        assert.deepEqual(pr.shape, []);
        assert.equal(it, rvec.length + 1);
        rvec.push((await host(pr))[0]);
      },
    });
    assert.equal(rvec.length, 1);
    assert.ok(Math.abs(rvec[0] - scale * 0.81649658092772603) <= 1e-10 * scale, `${rvec}`);
    assert.equal(r.info[0], 1);
    assert.equal(r.iterations[0], 1);
  }
});

Deno.test("gmres: SciPy test_callback_type (legacy counts inner iterations)", async () => {
  const A = xp.asarray(formulaMatrix(20, 0.8)), b = xp.asarray(formulaVector(20));
  const o = { rtol: 1e-6, atol: 0, maxiter: 2, restart: 50 };
  let count = 0;
  const cb = () => {
    count++;
  };
  let r = await gmres(A, b, { ...o, callback: cb, callbackType: "legacy" });
  assert.deepEqual([r.info[0], count], [2, 2]);
  count = 0;
  r = await gmres(A, b, { ...o, callback: cb, callbackType: "pr_norm" });
  assert.deepEqual([r.info[0], count], [0, 20]); // SciPy: info 0, 20 calls
  count = 0;
  r = await gmres(A, b, { ...o, callback: cb }); // our default is pr_norm
  assert.deepEqual([r.info[0], count], [0, 20]);
  count = 0;
  r = await gmres(A, b, {
    ...o,
    callbackType: "x",
    callback: (x, it) => {
      assert.deepEqual(x.shape, [20]);
      assert.equal(it, ++count);
    },
  });
  assert.deepEqual([r.info[0], count], [0, 1]);
});

Deno.test("gmres: SciPy test_callback_x_monotonic (one call per cycle)", async () => {
  const Ad = formulaMatrix(20, 0.2), bd = formulaVector(20);
  let prev = Infinity, count = 0;
  const r = await gmres(xp.asarray(Ad), xp.asarray(bd), {
    rtol: 1e-6,
    atol: 0,
    maxiter: 20,
    restart: 10,
    callbackType: "x",
    callback: async (x) => {
      const res = residual(Ad, bd, await host(x));
      assert.ok(res <= prev * (1 + 1e-12), `residual grew: ${res} > ${prev}`);
      prev = res;
      count++;
    },
  });
  assert.equal(r.info[0], 20);
  assert.equal(count, 20);
  assert.equal(r.iterations[0], 200);
});

Deno.test("gmres: SciPy test_defective_precond_breakdown", async () => {
  const M = xp.asarray([[1, 0, 0], [0, 1, 0], [0, 0, 0]]);
  const A = [[2, 0, 0], [0, 3, 0], [0, 0, 4]];
  const b = [0, 1, 1];
  const r = await gmres(xp.asarray(A), xp.asarray(b), {
    x0: xp.asarray([1, 0, 0]),
    M,
    rtol: 1e-15,
    atol: 0,
  });
  const x = await host(r.x);
  assert.ok(x.every(Number.isFinite), `x ${x}`);
  // SciPy 1.17: info 30 (= maxiter) after 5 inner iterations, x = [0, 1/3, 0]; the second
  // cycle starts from a round-off-level residual, so its length is round-off dependent (4 here)
  assert.equal(r.info[0], 30);
  assert.ok(r.iterations[0] >= 3 && r.iterations[0] <= 6, `${r.iterations[0]} iterations`);
  const Ax = matvecHost(A, x);
  assert.ok(Math.abs(Ax[0] - b[0]) <= 1e-12 && Math.abs(Ax[1] - b[1]) <= 1e-12, `M A x ${Ax}`);
  assert.ok(rel(x, [0, 1 / 3, 0]) <= 1e-12);
  assert.ok(Math.abs(r.residualNorm[0] - residual(A, b, x)) <= 1e-12);
});

Deno.test("gmres: SciPy test_defective_matrix_breakdown", async () => {
  const A = [[0, 1, 0], [1, 0, 0], [0, 0, 0]];
  const b = [1, 0, 1];
  const r = await gmres(xp.asarray(A), xp.asarray(b), { rtol: 1e-8, atol: 0 });
  const x = await host(r.x);
  assert.ok(x.every(Number.isFinite));
  assert.equal(r.info[0], 30); // SciPy: not converged after a breakdown, info = maxiter
  assert.equal(r.iterations[0], 3);
  const AAx = matvecHost(A, matvecHost(A, x)), Ab = matvecHost(A, b);
  assert.ok(rel(AAx, Ab) <= 1e-12, `A A x ${AAx} vs A b ${Ab}`);
});

Deno.test("gmres: SciPy test_atol_legacy", async () => {
  let r = await gmres(xp.eye(2), xp.ones([2]), { rtol: 1e-5 });
  let x = await host(r.x);
  assert.ok(rel(x, [1, 1]) <= 1e-8 && r.info[0] === 0);
  r = await gmres(xp.eye(2), xp.multiply(xp.ones([2]), 1e-10), { rtol: 1e-8, atol: 0 });
  x = await host(r.x);
  assert.ok(residual([[1, 0], [0, 1]], [1e-10, 1e-10], x) <= 1e-8 * Math.SQRT2 * 1e-10);
});

Deno.test("gmres: iterates and preconditioned residuals match SciPy (restart 7, M)", async () => {
  const Ad = formulaMatrix(40, 0.8);
  const A = xp.asarray(Ad), b = xp.asarray(formulaVector(40));
  const M = xp.asarray(Ad.map((row, i) => row.map((_, j) => (i === j ? 1 / Ad[i][i] : 0))));
  const prs: number[] = [];
  const r = await gmres(A, b, {
    restart: 7,
    maxiter: 3,
    rtol: 1e-12,
    atol: 0,
    M,
    callback: async (pr) => void prs.push((await host(pr))[0]),
  });
  assert.equal(r.info[0], REFS.g30.info);
  assert.equal(r.iterations[0], 21);
  assert.ok(rel(await host(r.x), REFS.g30.x) <= 1e-10);
  assert.equal(prs.length, REFS.g30.pr!.length);
  prs.forEach((p, i) => assert.ok(Math.abs(p - REFS.g30.pr![i]) <= 1e-10 * REFS.g30.pr![i]));
  const rl = await gmres(A, b, {
    restart: 7,
    maxiter: 10,
    rtol: 1e-12,
    atol: 0,
    callbackType: "legacy",
    callback: () => {},
  });
  assert.equal(rl.info[0], 10);
  assert.equal(rl.iterations[0], 10);
  assert.ok(rel(await host(rl.x), REFS.g30legacy.x) <= 1e-10);
  const rc = await gmres(A, b, { restart: 10, rtol: 1e-10, atol: 0 });
  assert.equal(rc.iterations[0], REFS.cv_gmres.its);
  assert.ok(rel(await host(rc.x), REFS.cv_gmres.x) <= 1e-8);
});

Deno.test("gmres: restart is clipped to n and maxiter counts cycles", async () => {
  const A = xp.asarray(formulaMatrix(12, 0.2)), b = xp.asarray(formulaVector(12));
  const r = await gmres(A, b, { restart: 5, maxiter: 2, rtol: 1e-14, atol: 0 });
  assert.deepEqual([r.info[0], r.iterations[0]], [2, 10]);
  const big = await gmres(A, b, { restart: 500, maxiter: 1, rtol: 1e-10, atol: 0 });
  assert.ok(big.iterations[0] <= 12, `${big.iterations[0]} inner iterations with n = 12`);
});

Deno.test("gmres: batch where one system needs far more iterations", async () => {
  const n = 40;
  const mats = [formulaMatrix(n, 4), formulaMatrix(n, 2), formulaMatrix(n, 0.8)];
  const A = xp.asarray(mats);
  const bd = formulaVector(n);
  const bs = [bd, bd.map((v) => 2 * v), bd.map((v, i) => v + i / n)];
  const o = { rtol: 1e-10, atol: 0, restart: 10 };
  const r = await gmres(A, xp.asarray(bs), o);
  const x = await host(r.x);
  const its: number[] = [];
  for (let k = 0; k < 3; k++) {
    const r1 = await gmres(xp.asarray(mats[k]), xp.asarray(bs[k]), o);
    assert.equal(r.info[k], 0);
    assert.equal(r.iterations[k], r1.iterations[0], `system ${k}`);
    its.push(r1.iterations[0]);
    const xk = x.subarray(k * n, (k + 1) * n);
    assert.ok(rel(xk, await host(r1.x)) <= 1e-12, `system ${k} differs from its own solve`);
    assert.ok(Math.abs(r.residualNorm[k] - residual(mats[k], bs[k], xk)) <= 1e-12);
  }
  assert.ok(its[2] > 4 * its[0], `iteration counts ${its}`);
});

Deno.test("gmres: empty batch and n = 0", async () => {
  const r = await gmres(xp.eye(4), xp.zeros([0, 4]), { history: true });
  assert.deepEqual(r.x.shape, [0, 4]);
  assert.equal(r.info.length, 0);
  assert.deepEqual(r.residualHistory, []);
  const r0 = await gmres(xp.zeros([0, 0]), xp.zeros([0]));
  assert.deepEqual(r0.x.shape, [0]);
  assert.deepEqual(Array.from(r0.info), [0]);
});

Deno.test("gmres: history holds each system's own preconditioned residuals", async () => {
  const n = 30;
  const mats = [formulaMatrix(n, 3), formulaMatrix(n, 0.8)];
  const bd = formulaVector(n);
  const prs: Float64Array[] = [];
  const r = await gmres(xp.asarray(mats), xp.asarray([bd, bd]), {
    rtol: 1e-8,
    restart: 6,
    history: true,
    callback: async (pr) => void prs.push(await host(pr)),
  });
  const h = r.residualHistory!;
  const bn = Math.hypot(...bd);
  for (let k = 0; k < 2; k++) {
    assert.equal(h[k].length, r.iterations[k] + 1, `system ${k}`);
    assert.ok(Math.abs(h[k][0] - bn) <= 1e-12 * bn); // x0 = 0, no M: ‖M r₀‖ = ‖b‖
    // entries after iteration 0 are the pr_norm values times ‖b‖, while the system iterated
    const own = prs.map((p) => p[k] * bn).slice(0, r.iterations[k]);
    for (let i = 0; i < r.iterations[k]; i++) {
      assert.ok(Math.abs(h[k][i + 1] - own[i]) <= 1e-12 * bn || r.iterations[0] < i);
    }
  }
  assert.ok(r.iterations[1] > r.iterations[0]);
});

Deno.test("gmres: NaN from the operator stops only that system", async () => {
  const n = 8;
  const D = xp.asarray(formulaMatrix(n, 2));
  let calls = 0;
  const op = new LinearOperator({
    shape: [2, n, n],
    dtype: "float64",
    xp,
    matvec: (v) => {
      calls++;
      const y = xp.squeeze(xp.matmul(D, xp.expand_dims(v, { axis: -1 })), -1);
      const poison = xp.asarray([[0], [calls >= 4 ? NaN : 0]]);
      return xp.add(y, poison);
    },
  });
  const r = await gmres(op, xp.ones([2, n]), { rtol: 1e-10, restart: 3 });
  assert.equal(r.info[1], INFO_NONFINITE);
  assert.equal(r.info[0], 0);
  const x = await host(r.x);
  assert.ok(x.subarray(n).every(Number.isFinite), "the failed system keeps a finite iterate");
});

Deno.test("gmres: a zero preconditioner stops with info = maxiter, not NaN", async () => {
  const r = await gmres(xp.eye(3), xp.ones([3]), { M: xp.zeros([3, 3]), maxiter: 4 });
  assert.equal(r.info[0], 4);
  assert.ok((await host(r.x)).every((v) => v === 0));
});

Deno.test("gmres: option errors", async () => {
  const A = xp.eye(3), b = xp.ones([3]);
  await rejects(() => gmres(A, b, { restart: 0 }), RangeError, /restart/);
  await rejects(() => gmres(A, b, { restart: 2.5 }), RangeError, /restart/);
  // deno-lint-ignore no-explicit-any
  await rejects(() => gmres(A, b, { callbackType: "y" as any }), RangeError, /callbackType/);
  // deno-lint-ignore no-explicit-any
  await rejects(() => gmres(A, b, { callback: 3 as any }), TypeError, /callback/);
  await rejects(() => gmres(A, b, { maxiter: -1 }), RangeError, /maxiter/);
});

Deno.test("gmres: onProgress reports per-system state", async () => {
  const seen: number[] = [];
  const r = await gmres(xp.asarray(formulaMatrix(10, 1)), xp.asarray(formulaVector(10)), {
    onProgress: (p) => {
      assert.equal(p.solver, "gmres");
      assert.equal(p.systems, 1);
      seen.push(p.iteration);
    },
  });
  assert.equal(r.info[0], 0);
  assert.ok(seen.length > 0 && seen[seen.length - 1] === r.iterations[0]);
});

Deno.test("gmres: pipelined checks (GPU-like readback latency) give identical results", async () => {
  await checkPipelined(gmres, { rtol: 1e-10, atol: 0, restart: 10 });
});
