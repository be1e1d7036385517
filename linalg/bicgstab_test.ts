import assert from "node:assert/strict";
import { cpu as xp } from "../backends/cpu/mod.ts";
import { poisson1d } from "../sparse/gallery.ts";
import { bicgstab } from "./bicgstab.ts";
import { host, registerShortTests, rel } from "./_short_testing.ts";

registerShortTests({
  name: "bicgstab",
  solve: bicgstab,
  adjoint: false,
  precond: (M) => ({ M }),
  convergedAtLast: false,
  tolFromR0: false,
  defaultMaxiter: (n) => 10 * n,
});

Deno.test("bicgstab: SciPy's docstring example", async () => {
  const A = xp.asarray([[4, 2, 0, 1], [3, 0, 0, 2], [0, 1, 1, 1], [0, 2, 1, 0]]);
  const b = [-1, -0.5, -1, 2];
  const r = await bicgstab(A, xp.asarray(b), { atol: 1e-5 });
  assert.equal(r.info[0], 0);
  assert.ok(r.residualNorm[0] <= 1e-5 * Math.hypot(...b));
});

Deno.test("bicgstab: convergence at the half step is not counted (SciPy skips the callback)", async () => {
  // SciPy: bicgstab(2·I, ones) → x = 0.5, info 0, no callback call (‖s‖ = 0 after α = 1/2)
  const r = await bicgstab(xp.multiply(xp.eye(3), 2), xp.ones([3]));
  assert.equal(r.info[0], 0);
  assert.equal(r.iterations[0], 0);
  assert.deepEqual(Array.from(await host(r.x)), [0.5, 0.5, 0.5]);
  // inside a batch: that system stops at its half step, the other one keeps going
  const A = xp.stack([xp.multiply(xp.eye(40), 2), denseP(40)]);
  const b = xp.stack([xp.ones([40]), xp.arange(40)]);
  const rb = await bicgstab(A, b, { rtol: 1e-8, history: true });
  const alone = await bicgstab(poisson1d(40), xp.arange(40), { rtol: 1e-8 });
  assert.deepEqual(Array.from(rb.info), [0, 0]);
  assert.deepEqual(Array.from(rb.iterations), [0, alone.iterations[0]]);
  const x = await host(rb.x);
  assert.ok(x.subarray(0, 40).every((v) => v === 0.5));
  assert.ok(rel(x.subarray(40), await host(alone.x)) <= 1e-12);
  // the half-step system's history: ‖b‖, then ‖s‖ = 0, then frozen
  const h = rb.residualHistory![0];
  assert.equal(h[0], Math.sqrt(40));
  assert.ok(h.subarray(1).every((v) => v === 0));
});

function denseP(n: number) {
  return xp.asarray(
    Array.from(
      { length: n },
      (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 2 : Math.abs(i - j) === 1 ? -1 : 0)),
    ),
  );
}
