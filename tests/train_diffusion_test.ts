/**
 * The training example (examples/train_diffusion.ts), short: 15 Adam steps on a 6 × 6 grid
 * must lower the loss by a clear factor and the error of κ, and leave no tensor behind.
 */
import * as tf from "npm:@tensorflow/tfjs@4.22.0";
import assert from "node:assert/strict";
import { trainDiffusion } from "../examples/train_diffusion.ts";

await tf.setBackend("cpu");

Deno.test("train_diffusion: the loss falls through sparseSolve gradients, no tensor leaks", () => {
  const before = tf.memory().numTensors;
  const steps: number[] = [];
  const r = trainDiffusion({ grid: 6, steps: 15, lr: 0.1, onStep: (s) => steps.push(s) });
  assert.equal(tf.memory().numTensors, before, "tensors leaked");
  assert.equal(r.losses.length, 15);
  assert.deepEqual(steps, [...Array(15).keys()]);
  assert.ok(r.losses.every(Number.isFinite));
  const first = r.losses[0], last = r.losses[r.losses.length - 1];
  // measured: 3.2e-2 → 8.7e-4 (×37)
  assert.ok(last < first / 10, `loss ${first} → ${last}`);
  // κ moves towards the field that generated the observations (measured 0.30 → 0.10)
  assert.ok(r.kappaError[14] < 0.6 * r.kappaError[0], `κ error ${r.kappaError}`);
  assert.equal(r.kappa.length, 36);
  assert.ok(r.kappa.every((k) => k > 0 && Number.isFinite(k)));
});
