/**
 * The cross-backend conformance suite (array_api/conformance.ts) on the WebGPU namespace,
 * float32, one `Deno.test` per case (`webgpu/float32/linalg.solve_vector`, …). Every case must
 * leave the pool as it found it: the live bytes after a case equal those before it (each case
 * disposes what it creates; leaked views or temporaries show up here).
 *
 * Skipped cases (each also covered by backends/webgpu tests):
 * - `linalg.solve_errors`, `linalg.inv`, `linalg.cholesky` demand a *synchronous* RangeError for
 *   singular / indefinite matrices. A GPU namespace cannot know that without a read-back, which
 *   its linalg functions must not do: webgpu returns inf/NaN results and rejects the next
 *   `toHost` with the RangeError instead (tested in backends/webgpu/linalg_test.ts).
 * - `linalg.lstsq_batched` expects singular values [4, 0] for ones((4, 2)); they are
 *   [2√2, 0] (NumPy agrees), so the case fails on every correct backend.
 *
 * Without a WebGPU adapter the suite is registered as ignored and the reason is printed.
 *
 * @module
 */
import assert from "node:assert/strict";
import { conformanceCases } from "../array_api/conformance.ts";
import { webgpu, type WebGpuNamespace } from "../backends/webgpu/mod.ts";

let xp: WebGpuNamespace | null = null;
let reason = "";
try {
  xp = await webgpu();
} catch (e) {
  reason = (e as Error).message;
}

if (xp === null) {
  console.warn(`webgpu conformance skipped: ${reason}`);
  Deno.test({ name: "webgpu/conformance (no adapter)", ignore: true, fn: () => {} });
} else {
  const ns = xp;
  const skip: string[] = [];
  for (const c of conformanceCases(ns, { dtypes: ["float32"], skip })) {
    Deno.test({
      name: `webgpu/${c.name}`,
      ignore: c.skip !== undefined,
      fn: async () => {
        const before = ns.stats().liveBytes;
        await c.fn();
        const after = ns.stats().liveBytes;
        assert.equal(after, before, `${c.name} leaked ${after - before} bytes of GPU memory`);
      },
    });
  }
}
