import assert from "node:assert/strict";
import { cpu as xp, type CpuArray } from "../backends/cpu/mod.ts";
import { qmr } from "./qmr.ts";
import { LinearOperator } from "./linear_operator.ts";
import { identityOperator } from "./identity_operator.ts";
import { host, registerShortTests, rel } from "./_short_testing.ts";

registerShortTests({
  name: "qmr",
  solve: qmr,
  adjoint: true,
  precond: (M) => ({ M1: M }),
  convergedAtLast: false,
  tolFromR0: false,
  defaultMaxiter: (n) => 10 * n,
});

// SciPy's TestQMR.test_leftright_precond: A = tridiag(−2, 4, −1), M1 = L⁻¹, M2 = U⁻¹ with
// L = bidiag(−1/2, 1), U = bidiag(4, −1) (SciPy uses splu; dense inverses here).
function leftRight(n: number) {
  const A = [], L = [], U = [];
  for (let i = 0; i < n; i++) {
    const a = new Array(n).fill(0), l = new Array(n).fill(0), u = new Array(n).fill(0);
    a[i] = 4;
    l[i] = 1;
    u[i] = 4;
    if (i > 0) {
      a[i - 1] = -2;
      l[i - 1] = -0.5;
    }
    if (i + 1 < n) {
      a[i + 1] = -1;
      u[i + 1] = -1;
    }
    A.push(a);
    L.push(l);
    U.push(u);
  }
  const op = (Minv: CpuArray) =>
    new LinearOperator({
      shape: [n, n],
      dtype: "float64",
      xp,
      matvec: (v: CpuArray) => xp.matmul(Minv, v),
      rmatvec: (v: CpuArray) => xp.matmul(xp.matrix_transpose(Minv), v),
    });
  return {
    A: xp.asarray(A),
    M1: op(xp.linalg.inv(xp.asarray(L))),
    M2: op(xp.linalg.inv(xp.asarray(U))),
  };
}

Deno.test("qmr: left and right preconditioners (SciPy's TestQMR)", async () => {
  const n = 100;
  const { A, M1, M2 } = leftRight(n);
  const b = xp.arange(n);
  // SciPy: info 0 after 7 iterations (maxiter 15), ‖r‖/‖b‖ = 7.6e-9
  const r = await qmr(A, b, { rtol: 1e-8, maxiter: 15, M1, M2 });
  assert.equal(r.info[0], 0);
  assert.equal(r.iterations[0], 7);
  assert.ok(r.residualNorm[0] <= 1e-8 * Math.sqrt(328350));
  // the iterate after 3 iterations (SciPy, first 6 entries)
  const r3 = await qmr(A, b, { rtol: 1e-8, maxiter: 3, M1, M2 });
  const x3 = [
    0.1717948293877022,
    0.6871793175508089,
    1.4039521335468361,
    2.238869916901921,
    3.143056675786769,
    4.087711713426082,
  ];
  assert.ok(rel((await host(r3.x)).subarray(0, 6), x3) <= 1e-10);
  // M1 alone = M1 with an identity M2 (SciPy needs both: 22 iterations)
  const a = await qmr(A, b, { rtol: 1e-8, M1 });
  const c = await qmr(A, b, { rtol: 1e-8, M1, M2: identityOperator(n) });
  assert.ok(Math.abs(a.iterations[0] - 22) <= 1, `iterations ${a.iterations[0]} vs SciPy 22`);
  assert.equal(c.iterations[0], a.iterations[0]);
  assert.deepEqual(await host(a.x), await host(c.x));
});

Deno.test("qmr: exact ρ (−10), ξ (−15), δ (−13) breakdowns from singular preconditioners", async () => {
  // SciPy (A = I): qmr(I, e2, M1=diag(1,0,1), M2=I) → −10; qmr(I, e2, M1=I, M2=diag(1,0,1))
  // → −15; qmr(I, (1,1,0), M1=diag(1,0,0), M2=diag(0,1,0)) → −13; all with x = 0.
  const diag = (d: number[]) => d.map((v, i) => d.map((_, j) => (i === j ? v : 0)));
  const I = diag([1, 1, 1]);
  const M1 = xp.asarray([diag([1, 0, 1]), I, diag([1, 0, 0]), I]);
  const M2 = xp.asarray([I, diag([1, 0, 1]), diag([0, 1, 0]), I]);
  const b = xp.asarray([[0, 1, 0], [0, 1, 0], [1, 1, 0], [1, 2, 3]]);
  const r = await qmr(xp.eye(3), b, { M1, M2 });
  assert.deepEqual(Array.from(r.info), [-10, -15, -13, 0]);
  assert.deepEqual(Array.from(r.iterations), [0, 0, 0, 1]);
  const x = await host(r.x);
  assert.deepEqual(Array.from(x.subarray(0, 9)), [0, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.ok(rel(x.subarray(9), [1, 2, 3]) <= 1e-15);
});

Deno.test("qmr: M is rejected, M1/M2 are validated", async () => {
  const A = xp.eye(3), b = xp.ones([3]);
  await assert.rejects(() => qmr(A, b, { M: A } as never), TypeError);
  await assert.rejects(
    () => qmr(A, b, { M2: xp.ones([2, 3, 3]) }),
    (e: unknown) => e instanceof RangeError && /M2 with shape \(2, 3, 3\)/.test(e.message),
  );
  const noAdj = new LinearOperator({
    shape: [3, 3],
    dtype: "float64",
    xp,
    matvec: (v: CpuArray) => v,
  });
  await assert.rejects(
    () => qmr(A, b, { M1: noAdj }),
    (e: unknown) => e instanceof TypeError && /adjoint of M1/.test(e.message),
  );
  await assert.rejects(
    () => qmr(A, b, { M1: xp.eye(3, 3, { dtype: "float32" }) }),
    (e: unknown) => e instanceof TypeError && /float32/.test(e.message),
  );
  // a batched M1 matching a batched system is fine
  const r = await qmr(xp.stack([A, xp.multiply(A, 2)]), xp.ones([2, 3]), {
    M1: xp.stack([A, xp.multiply(A, 0.5)]),
  });
  assert.deepEqual(Array.from(r.info), [0, 0]);
});
