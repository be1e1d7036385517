/**
 * The cross-backend conformance suite on the tfjs namespace (float32, tfjs CPU backend), with
 * a leak check around every case: each case disposes the arrays it creates, so the number of
 * live tfjs tensors must be the same before and after it.
 *
 * @module
 */
import * as tf from "npm:@tensorflow/tfjs@4.22.0";
import assert from "node:assert/strict";
import { conformanceCases, runConformance } from "../array_api/conformance.ts";
import { tfjsNamespace } from "../backends/tfjs/mod.ts";

await tf.setBackend("cpu");
const xp = tfjsNamespace(tf);

for (const c of conformanceCases(xp, { dtypes: ["float32"] })) {
  Deno.test({
    name: `tfjs/${c.name}`,
    ignore: c.skip !== undefined,
    fn: async () => {
      const before = tf.memory().numTensors;
      await c.fn();
      const after = tf.memory().numTensors;
      assert.equal(after, before, `${c.name} leaked ${after - before} tensor(s)`);
    },
  });
}

Deno.test("tfjs: the suite at medium sizes passes without leaking", async () => {
  const before = tf.memory().numTensors;
  const r = await runConformance(xp, { sizes: "medium" });
  const failed = r.failed.map((f) => `${f.name}: ${f.error}`);
  assert.deepEqual(failed, []);
  assert.equal(tf.memory().numTensors, before);
});
