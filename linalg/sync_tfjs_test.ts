/**
 * `cgSync` and `gmresSync` on the tfjs namespace (float32, tfjs CPU backend, `toHostSync` through
 * `dataSync`): same result as the async solvers, and no tensor left behind once the result's
 * `x` is disposed.
 *
 * @module
 */
import * as tf from "npm:@tensorflow/tfjs@4.22.0";
import assert from "node:assert/strict";
import { tfjsNamespace } from "../backends/tfjs/mod.ts";
import { poisson2d } from "../sparse/gallery.ts";
import { cg, cgSync } from "./cg.ts";
import { gmres, gmresSync } from "./gmres.ts";

await tf.setBackend("cpu");
const xp = tfjsNamespace(tf);

const solvers = [
  { name: "cg", sync: cgSync, async: cg },
  { name: "gmres", sync: gmresSync, async: gmres },
] as const;

for (const s of solvers) {
  Deno.test(`tfjs: ${s.name}Sync on poisson 8×8 (dense) matches ${s.name}, no tensor leaks`, async () => {
    const csr = poisson2d(8, 8, { xp, dtype: "float32" });
    const A = csr.toDense();
    const b = xp.asarray(
      Array.from(
        { length: 2 },
        (_, k) => Array.from({ length: 64 }, (_, i) => 1 + ((i * (k + 3)) % 5)),
      ),
      { dtype: "float32" },
    );
    const before = tf.memory().numTensors;
    const r = s.sync(A, b, { rtol: 1e-5, history: true });
    const x = Float32Array.from(xp.toHostSync!(r.x));
    xp.dispose(r.x);
    assert.equal(tf.memory().numTensors, before, `${s.name}Sync leaked tensors`);
    assert.deepEqual(Array.from(r.info), [0, 0]);
    assert.ok(r.residualHistory!.every((h) => h.length > 1));

    const a = await s.async(A, b, { rtol: 1e-5, history: true });
    const xa = Float32Array.from(await xp.toHost(a.x));
    xp.dispose(a.x);
    assert.equal(tf.memory().numTensors, before, `${s.name} leaked tensors`);
    assert.deepEqual(Array.from(r.iterations), Array.from(a.iterations));
    assert.deepEqual(
      r.residualHistory!.map((h) => Array.from(h)),
      a.residualHistory!.map((h) => Array.from(h)),
    );
    assert.deepEqual(Array.from(x), Array.from(xa));
    // a true solution: ‖b − A x‖ ≤ rtol‖b‖ (float32 rounding allowed)
    for (let k = 0; k < 2; k++) assert.ok(r.residualNorm[k] <= 2e-5 * Math.sqrt(64 * 9 * 3));
    xp.dispose(A, b, csr.data);
  });

  Deno.test({
    name: `tfjs: ${s.name}Sync on a CSR poisson 8×8, no tensor leaks`,
    fn: () => {
      const A = poisson2d(8, 8, { xp, dtype: "float32" });
      const b = xp.ones([2, 64], { dtype: "float32" });
      // the pattern's device index arrays are cached on A by its first product: not a leak
      xp.dispose(A.matvec(b));
      const before = tf.memory().numTensors;
      const r = s.sync(A, b, { rtol: 1e-5 });
      xp.dispose(r.x);
      assert.equal(tf.memory().numTensors, before);
    },
  });
}
