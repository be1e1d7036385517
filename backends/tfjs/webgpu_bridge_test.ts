/**
 * Tests of the WebGPU bridge between our WebGPU namespace and tfjs's WebGPU backend on one
 * GPUDevice (lavapipe in CI): zero-copy tfjs tensors over our buffers, copies for views,
 * tfjs → WebGPU arrays, leaks, and the errors when tfjs runs elsewhere. Ignored (with the
 * reason printed) when there is no WebGPU adapter or tfjs's backend cannot start.
 */
import * as tf from "npm:@tensorflow/tfjs@4.22.0";
import { WebGPUBackend } from "npm:@tensorflow/tfjs-backend-webgpu@4.22.0";
import assert from "node:assert/strict";
import { webgpu, type WebGpuNamespace } from "../webgpu/mod.ts";
import { registerTfjsWebgpu, tfjsToWebgpu, webgpuToTfjs } from "./webgpu_bridge.ts";

let xp: WebGpuNamespace | null = null;
let why = "";
try {
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) why = "no WebGPU adapter (set XDG_RUNTIME_DIR=/tmp for lavapipe?)";
  else {
    xp = await webgpu({ adapter });
    if (!(await registerTfjsWebgpu(tf, WebGPUBackend, xp, { adapterInfo: adapter.info }))) {
      why = "tfjs's WebGPU backend did not initialise on our device";
      xp = null;
    }
  }
} catch (e) {
  why = `WebGPU/tfjs setup failed: ${(e as Error).message}`;
  xp = null;
}
if (!xp) console.log(`webgpu_bridge_test: ignored: ${why}`);
const ignore = xp === null;
// small ops would otherwise run on tfjs's CPU path (tensors then live on the host)
if (xp) tf.env().set("WEBGPU_CPU_FORWARD", false);

Deno.test({ name: "webgpu bridge: registerTfjsWebgpu shares our GPUDevice", ignore }, () => {
  assert.equal(tf.getBackend(), "webgpu");
  assert.equal((tf.backend() as unknown as { device: GPUDevice }).device, xp!.gpuDevice);
});

Deno.test({ name: "webgpuToTfjs: zero-copy over our buffer", ignore }, async () => {
  // 64 float32 = 256 B: a pool size class, so the buffer holds exactly x
  const vals = Array.from({ length: 64 }, (_, i) => i + 1);
  const x = xp!.reshape(xp!.asarray(vals, { dtype: "float32" }), [2, 32]);
  assert.equal(x.buffer.size, 256);
  const before = tf.memory().numTensors;
  const t = webgpuToTfjs(x, tf);
  assert.deepEqual(t.shape, [2, 32]);
  const y = tf.mul(t, 2);
  assert.deepEqual(Array.from(await y.data()), vals.map((v) => 2 * v));
  // zero copy: tfjs reads our buffer itself — a change we make to it shows through
  xp!.gpuDevice.queue.writeBuffer(x.buffer, 0, new Float32Array([-7]));
  assert.deepEqual(Array.from(await t.data()), [-7, ...vals.slice(1)]);
  tf.dispose([t, y]);
  assert.equal(tf.memory().numTensors, before);
  // disposing the tensor did not free our buffer
  assert.deepEqual(Array.from(await xp!.toHost(x)), [-7, ...vals.slice(1)]);
  xp!.dispose(x);
});

Deno.test(
  { name: "webgpuToTfjs: an array smaller than its buffer is copied", ignore },
  async () => {
    const x = xp!.asarray([[1, 2, 3], [4, 5, 6]], { dtype: "float32" }); // 24 B in a 256 B buffer
    const t = webgpuToTfjs(x, tf);
    xp!.gpuDevice.queue.writeBuffer(x.buffer, 0, new Float32Array([-7]));
    assert.deepEqual(Array.from(await t.data()), [1, 2, 3, 4, 5, 6]); // exact length, own copy
    xp!.dispose(x);
    assert.deepEqual(Array.from(await tf.add(t, 1).data()), [2, 3, 4, 5, 6, 7]);
    tf.dispose(t);
  },
);

Deno.test({ name: "webgpuToTfjs: views and copy: true give owned copies", ignore }, async () => {
  const x = xp!.asarray([[1, 2, 3], [4, 5, 6]], { dtype: "float32" });
  const v = xp!.permute_dims(x, [1, 0]); // a strided view
  const t = webgpuToTfjs(v, tf);
  const c = webgpuToTfjs(x, tf, { copy: true });
  xp!.dispose(v, x);
  assert.deepEqual(Array.from(await t.data()), [1, 4, 2, 5, 3, 6]);
  assert.deepEqual(Array.from(await c.data()), [1, 2, 3, 4, 5, 6]);
  tf.dispose([t, c]);
});

Deno.test({ name: "tfjsToWebgpu: device copy, owned by our namespace", ignore }, async () => {
  const before = tf.memory().numTensors;
  const a = tf.tensor2d([[1, 2], [3, 4]]);
  const t = tf.square(a);
  const probe = t.dataToGPU(); // t lives on the GPU: the dataToGPU path is the one taken
  assert.ok(probe.buffer);
  probe.tensorRef.dispose();
  const x = tfjsToWebgpu(t, xp!, tf);
  tf.dispose([a, t]);
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(x.shape, [2, 2]);
  assert.equal(x.dtype, "float32");
  assert.deepEqual(Array.from(await xp!.toHost(x)), [1, 4, 9, 16]);
  // int32, and a tensor whose values are still on the host
  const i = tf.tensor1d([3, 1, 2], "int32");
  const xi = tfjsToWebgpu(i, xp!, tf);
  assert.equal(xi.dtype, "int32");
  assert.deepEqual(Array.from(await xp!.toHost(xi)), [3, 1, 2]);
  i.dispose();
  xp!.dispose(x, xi);
});

Deno.test(
  { name: "webgpu bridge: wrong inputs and foreign backends are TypeErrors", ignore },
  async () => {
    const x = xp!.asarray([1, 2], { dtype: "int32" });
    assert.throws(
      () => webgpuToTfjs(x, tf),
      (e: unknown) => e instanceof TypeError && /int32/.test(e.message),
    );
    xp!.dispose(x);
    assert.throws(() => webgpuToTfjs([1] as never, tf), TypeError);
    await tf.setBackend("cpu");
    try {
      const y = xp!.asarray([1, 2], { dtype: "float32" });
      assert.throws(
        () => webgpuToTfjs(y, tf),
        (e: unknown) => e instanceof TypeError && /"cpu".*registerTfjsWebgpu/.test(e.message),
      );
      const t = tf.ones([2]);
      assert.throws(() => tfjsToWebgpu(t, xp!, tf), TypeError);
      t.dispose();
      xp!.dispose(y);
    } finally {
      await tf.setBackend("webgpu");
    }
  },
);
