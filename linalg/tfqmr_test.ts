import assert from "node:assert/strict";
import { cpu as xp, type CpuArray } from "../backends/cpu/mod.ts";
import { poisson1d } from "../sparse/gallery.ts";
import { isolveFixture } from "../tests/_fixtures.ts";
import { tfqmr } from "./tfqmr.ts";
import { host, registerShortTests, residual } from "./_short_testing.ts";

registerShortTests({
  name: "tfqmr",
  solve: tfqmr,
  adjoint: false,
  precond: (M) => ({ M }),
  convergedAtLast: true,
  tolFromR0: true,
  defaultMaxiter: (n) => Math.min(10000, 10 * n),
});

Deno.test("tfqmr: rtol is relative to the initial residual, as SciPy", async () => {
  // SciPy (poisson1d(40), b = arange(40), rtol 1e-8): x0 = 0 → 79 iterations, ‖r0‖ = 143.32;
  // x0 = 100·ones → 79 iterations, ‖r0‖ = 180.94, and the threshold is 1e-8·‖r0‖.
  const P = poisson1d(40), b = xp.arange(40);
  const thresholds: number[] = [];
  const r = await tfqmr(P, b, {
    rtol: 1e-8,
    x0: xp.full([40], 100),
    onProgress: (p) => thresholds.push(p.threshold[0]),
  });
  assert.equal(r.info[0], 0);
  assert.equal(r.iterations[0], 79);
  assert.ok(Math.abs(thresholds[0] - 1e-8 * 180.94197965093673) <= 1e-20);
  // x0 that solves the system exactly: returned at once (r0 = 0)
  const exact = await tfqmr(xp.eye(2), xp.asarray([-1, -1]), { x0: xp.asarray([-1, -1]) });
  assert.deepEqual([exact.info[0], exact.iterations[0]], [0, 0]);
});

Deno.test("tfqmr: the history is the quasi-residual bound τ√(k+1) ≥ ‖b − A x_k‖", async () => {
  const P = poisson1d(40), b = xp.arange(40);
  const rows = Array.from(
    { length: 40 },
    (_, i) => Array.from({ length: 40 }, (_, j) => (i === j ? 2 : Math.abs(i - j) === 1 ? -1 : 0)),
  );
  const bh = Array.from({ length: 40 }, (_, i) => i);
  const trueRes: number[] = [Math.hypot(...bh)];
  const r = await tfqmr(P, b, {
    rtol: 1e-8,
    history: true,
    callback: async (x: CpuArray) => {
      trueRes.push(residual(rows, bh, await host(x)));
    },
  });
  const h = r.residualHistory![0];
  assert.equal(h.length, trueRes.length);
  for (let k = 0; k < h.length; k++) {
    // (exact-arithmetic bound; rounding adds ~1e-13·‖b‖ near convergence)
    const ok = trueRes[k] <= h[k] * (1 + 1e-8) + 1e-12 * trueRes[0];
    assert.ok(ok, `k=${k}: ‖r‖ ${trueRes[k]} > bound ${h[k]}`);
  }
});

Deno.test("tfqmr: M is applied on the right, so the bound holds for b − A x", async () => {
  // SciPy 1.17: tfqmr(A, b, M=1e-6·M0, rtol=1e-5) on test_atol's problem → info 0 with
  // ‖b − A x‖ = 727971.9 ≫ 1e-5·‖b‖ = 0.0152 (it iterates with M·A but updates x with M·d; why
  // SciPy skips tfqmr in test_atol). Right preconditioning converges to the requested residual.
  const { A, b, M0 } = isolveFixture().atol;
  const bn = Math.hypot(...b);
  for (const scale of [1e-6, 1, 1e6]) {
    const M = xp.multiply(xp.asarray(M0), scale);
    const r = await tfqmr(xp.asarray(A), xp.asarray(b), { M, rtol: 1e-5 });
    assert.equal(r.info[0], 0);
    assert.ok(r.residualNorm[0] <= 1e-5 * bn, `M×${scale}: ‖r‖ = ${r.residualNorm[0]}`);
  }
});
