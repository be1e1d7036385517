import assert from "node:assert/strict";
import { cpu as xp } from "../backends/cpu/mod.ts";
import { bicg } from "./bicg.ts";
import { convection, host, registerShortTests, rel } from "./_short_testing.ts";

registerShortTests({
  name: "bicg",
  solve: bicg,
  adjoint: true,
  precond: (M) => ({ M }),
  convergedAtLast: false,
  tolFromR0: false,
  defaultMaxiter: (n) => 10 * n,
});

Deno.test("bicg: SciPy's docstring example", async () => {
  const r = await bicg(xp.asarray([[3, 2, 0], [1, -1, 0], [0, 5, 1]]), xp.asarray([2, 4, -1]), {
    atol: 1e-5,
  });
  assert.equal(r.info[0], 0);
  assert.ok(rel(await host(r.x), [2, -2, 9]) <= 1e-6);
});

Deno.test("bicg: uses Aᴴ (rmatvec), not A, in the shadow recurrence", async () => {
  // the same nonsymmetric matrix as a matrix-free operator: rmatvec must be the transpose
  const rows = convection(12);
  const At = rows.map((_, i) => rows.map((r) => r[i]));
  const D = xp.asarray(rows), Dt = xp.asarray(At);
  let mv = 0, rmv = 0;
  const { LinearOperator } = await import("./linear_operator.ts");
  const op = new LinearOperator({
    shape: [12, 12],
    dtype: "float64",
    xp,
    matvec: (v) => (mv++, xp.matmul(D, v)),
    rmatvec: (v) => (rmv++, xp.matmul(Dt, v)),
  });
  const b = xp.asarray(rows.map((_, i) => Math.cos(i)));
  const ref = await bicg(D, b, { rtol: 1e-12 });
  const r = await bicg(op, b, { rtol: 1e-12 });
  assert.equal(r.iterations[0], ref.iterations[0]);
  assert.equal(rmv, r.iterations[0]);
  assert.ok(mv >= r.iterations[0]);
  assert.ok(rel(await host(r.x), await host(ref.x)) <= 1e-12);
});
