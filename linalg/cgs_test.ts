import assert from "node:assert/strict";
import { cpu as xp, type CpuArray } from "../backends/cpu/mod.ts";
import { poisson1d } from "../sparse/gallery.ts";
import { cgs } from "./cgs.ts";
import { LinearOperator } from "./linear_operator.ts";
import { host, registerShortTests, rel } from "./_short_testing.ts";

registerShortTests({
  name: "cgs",
  solve: cgs,
  adjoint: false,
  precond: (M) => ({ M }),
  convergedAtLast: false,
  tolFromR0: false,
  defaultMaxiter: (n) => 10 * n,
});

Deno.test("cgs: SciPy's docstring example", async () => {
  const A = xp.asarray([[4, 2, 0, 1], [3, 0, 0, 2], [0, 1, 1, 1], [0, 2, 1, 0]]);
  const b = [-1, -0.5, -1, 2];
  const r = await cgs(A, xp.asarray(b));
  assert.equal(r.info[0], 0);
  assert.ok(r.residualNorm[0] <= 1e-5 * Math.hypot(...b));
});

Deno.test("cgs: tests the true residual b − A x, two products with A per iteration", async () => {
  // SciPy's cgs recomputes r = b − A x every iteration (instead of the recurrence)
  const P = poisson1d(40);
  let calls = 0;
  const op = new LinearOperator({
    shape: [40, 40],
    dtype: "float64",
    xp,
    matvec: (v: CpuArray) => (calls++, P.matvec(v)),
  });
  const b = xp.arange(40);
  const r = await cgs(op, b, { rtol: 1e-8, history: true });
  assert.equal(r.info[0], 0);
  // 2 per iteration + 1 for the reported residual (no x0: r0 = b without a product)
  assert.equal(calls, 2 * r.iterations[0] + 1);
  const h = r.residualHistory![0];
  // the tested residual is the true one: the final report matches it to rounding
  assert.ok(Math.abs(h[h.length - 1] - r.residualNorm[0]) <= 1e-14 * 143.3);
  const ref = await cgs(P, b, { rtol: 1e-8 });
  assert.ok(rel(await host(r.x), await host(ref.x)) <= 1e-14);
});
