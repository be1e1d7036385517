import assert from "node:assert/strict";
import { defineFused } from "../../array_api/fuse.ts";
import { Engine } from "./_engine.ts";
import { assertThrowsKind, host, openOrSkip } from "./_test_util.ts";
import { webgpu } from "./webgpu.ts";
import { WebGpuArray } from "./webgpu_array.ts";

const xp = await openOrSkip("webgpu_test.ts");

if (xp) {
  Deno.test("namespace info: dtypes, defaults, capabilities (no float64)", () => {
    const info = xp.__array_namespace_info__();
    assert.equal(info.capabilities().float64, false);
    assert.equal(info.default_dtypes()["real floating"], "float32");
    assert.deepEqual(info.devices(), ["webgpu:0"]);
    const dts = Object.keys(info.dtypes());
    for (const d of ["bool", "int32", "uint32", "float32"]) assert.ok(dts.includes(d), d);
    assert.ok(!dts.includes("float64"));
    assert.deepEqual(Object.keys(info.dtypes({ kind: "integral" })), ["int32", "uint32"]);
    assert.match(xp.name, /^webgpu \(/);
    assert.equal(xp.asarray([1]).__array_namespace__(), xp);
    assert.equal(xp.result_type("float32", 2), "float32");
  });

  Deno.test("every float64 request is a TypeError pointing to the CPU backend or refinement", async () => {
    const hint = ["float64", "cpu", "mixed-precision"];
    assertThrowsKind(() => xp.asarray(new Float64Array([1, 2])), TypeError, hint);
    assertThrowsKind(() => xp.asarray([1, 2], { dtype: "float64" }), TypeError, hint);
    assertThrowsKind(() => xp.zeros([2], { dtype: "float64" }), TypeError, hint);
    assertThrowsKind(() => xp.full([2], 1.5, { dtype: "float64" }), TypeError, hint);
    assertThrowsKind(() => xp.arange(3, undefined, 1, { dtype: "float64" }), TypeError, hint);
    assertThrowsKind(() => xp.linspace(0, 1, 3, { dtype: "float64" }), TypeError, hint);
    assertThrowsKind(() => xp.eye(2, 2, { dtype: "float64" }), TypeError, hint);
    assertThrowsKind(() => xp.astype(xp.ones([2]), "float64"), TypeError, hint);
    assertThrowsKind(() => xp.zeros_like(xp.ones([2]), { dtype: "float64" }), TypeError, hint);
    const p = defineFused("p", { a: "float" }, (v) => ({ b: v.a.neg() }));
    assertThrowsKind(
      () => xp.fuse(p.program, [xp.ones([2])], { dtype: "float64" }),
      TypeError,
      hint,
    );
    // an explicit conversion is fine
    const ok = xp.asarray(new Float64Array([0.1, 1e300]), { dtype: "float32" });
    assert.deepEqual(await host(xp, ok), [Math.fround(0.1), Infinity]);
    assertThrowsKind(() => xp.asarray(new Int8Array([1])), TypeError, ["int8", "int32"]);
    assertThrowsKind(() => xp.asarray([[1, 2], [3]]), RangeError, ["ragged"]);
  });

  Deno.test("creation functions and host conversion of every dtype", async () => {
    assert.deepEqual(await host(xp, xp.full([2, 2], 7)), [7, 7, 7, 7]);
    assert.equal(xp.full([1], 7).dtype, "int32");
    assert.equal(xp.full([1], true).dtype, "bool");
    assert.deepEqual(await host(xp, xp.arange(1, 2, 0.25)), [1, 1.25, 1.5, 1.75]);
    assert.deepEqual(await host(xp, xp.arange(10, 0, -3)), [10, 7, 4, 1]);
    assert.deepEqual(await host(xp, xp.linspace(0, 1, 4, { endpoint: false })), [
      0,
      0.25,
      0.5,
      0.75,
    ]);
    assert.deepEqual(await host(xp, xp.eye(2, 3, { k: 1 })), [0, 1, 0, 0, 0, 1]);
    const b = await xp.toHost(xp.asarray([true, false]));
    assert.ok(b instanceof Uint8Array);
    assert.ok((await xp.toHost(xp.asarray([1], { dtype: "uint32" }))) instanceof Uint32Array);
    assert.ok((await xp.toHost(xp.asarray([1], { dtype: "int32" }))) instanceof Int32Array);
    assert.equal((await xp.toHost(xp.zeros([0, 3]))).length, 0);
    const s = xp.asarray(2.5);
    assert.deepEqual(s.shape, []);
    assert.deepEqual(await host(xp, s), [2.5]);
    assertThrowsKind(() => xp.zeros([-1]), RangeError, ["-1"]);
    assertThrowsKind(() => xp.arange(0, 1, 0), RangeError, ["step"]);
    assertThrowsKind(() => xp.full([2], 1.5, { dtype: "int32" }), TypeError, ["1.5", "int32"]);
    assertThrowsKind(() => xp.zeros([2], { device: "cpu" }), RangeError, ["cpu"]);
  });

  Deno.test("toHost captures the value at call time; later donation does not change it", async () => {
    const inc = defineFused("inc", { x: "float" }, (v) => ({ x: v.x.add(1) }));
    const x = xp.ones([4]);
    const p = xp.toHost(x);
    const y = xp.fuse(inc.program, [x], { dtype: "float32", out: { x } }).x;
    assert.equal(y, x, "donated in place");
    assert.deepEqual(Array.from(await p), [1, 1, 1, 1]);
    assert.deepEqual(await host(xp, y), [2, 2, 2, 2]);
  });

  Deno.test("pool: dispose returns storage for reuse; views keep storage alive; double dispose is harmless", async () => {
    const s0 = xp.stats();
    const a = xp.zeros([1000]);
    const live = xp.stats().liveBytes;
    assert.ok(live - s0.liveBytes >= 4000);
    const v = xp.reshape(a, [10, 100]);
    xp.dispose(a);
    assert.equal(xp.stats().liveBytes, live, "a view keeps the storage");
    xp.dispose(v, v);
    assert.equal(xp.stats().liveBytes, s0.liveBytes);
    const created = xp.stats().buffersCreated;
    const b = xp.ones([1000]);
    assert.equal(xp.stats().buffersCreated, created, "reused a pooled buffer");
    assert.deepEqual((await host(xp, b)).slice(0, 3), [1, 1, 1]);
    await assert.rejects(
      () => xp.toHost(v),
      (e: unknown) => e instanceof TypeError && /disposed/.test(String(e)),
    );
    assertThrowsKind(() => xp.dispose([1] as never), TypeError, ["dispose"]);
  });

  Deno.test("each dispatch sees its own parameters (uniform ring); automatic submits", async () => {
    let y = xp.zeros([3]);
    const submits = xp.stats().submits;
    for (let i = 1; i <= 1500; i++) {
      const z = xp.add(y, i);
      xp.dispose(y);
      y = z;
    }
    assert.ok(xp.stats().submits > submits, "long chains are submitted without a read-back");
    assert.deepEqual(await host(xp, y), [1125750, 1125750, 1125750]);
  });

  Deno.test("arrays too large for one storage binding are RangeErrors naming the limit", () => {
    const lim = xp.gpuDevice.limits.maxStorageBufferBindingSize;
    const n = Math.floor(lim / 4) + 1;
    assertThrowsKind(() => xp.empty([n]), RangeError, [
      `(${n},)`,
      "maxStorageBufferBindingSize",
      String(lim),
    ]);
  });

  Deno.test("fromBuffer wraps a user buffer without copying or pooling it", async () => {
    const buf = xp.gpuDevice.createBuffer({
      size: 16,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    xp.gpuDevice.queue.writeBuffer(buf, 0, new Float32Array([1, 2, 3, 4]));
    const a = xp.fromBuffer(buf, [2, 2]);
    assert.ok(a instanceof WebGpuArray);
    assert.equal(a.buffer, buf);
    assert.deepEqual(await host(xp, xp.matmul(a, a)), [7, 10, 15, 22]);
    xp.dispose(a);
    assert.equal(buf.size, 16); // still usable by its owner
    assertThrowsKind(() => xp.fromBuffer(buf, [5]), RangeError, ["(5,)"]);
  });

  Deno.test("GPU errors reject the next read-back with the label of the op that caused them", async () => {
    const eng = new Engine(xp.gpuDevice, {
      maxPendingDispatches: 100,
      maxPoolBytes: 1 << 20,
      ownsDevice: false,
    });
    const bad = eng.kernel(
      "bad",
      () => ({ code: "this is not WGSL", sig: "w", label: "my.broken.op" }),
    );
    const s = eng.pool.acquire(64);
    eng.run(bad, [s], [0], 1);
    await assert.rejects(() => eng.read(s, 0, 4), /my\.broken\.op/);
    // a destroyed buffer used by a dispatch fails at submit: the error names the op
    const good = eng.kernel("fill", () => ({
      code: `struct P { p: array<vec4<u32>, 1>, }
@group(0) @binding(0) var<uniform> U: P;
@group(0) @binding(1) var<storage, read_write> b1: array<u32>;
@compute @workgroup_size(1) fn main() { b1[0] = U.p[0].x; }`,
      sig: "w",
      label: "my.fill",
    }));
    const t = eng.pool.acquire(64);
    t.buffer.destroy();
    eng.run(good, [t], [7], 1);
    await assert.rejects(() => eng.read(s, 0, 4), /my\.fill/);
    // and the engine keeps working afterwards
    const u = eng.pool.acquire(64);
    eng.run(good, [u], [42], 1);
    assert.deepEqual(Array.from(new Uint32Array(await eng.read(u, 0, 4))), [42]);
    eng.destroy();
  });

  Deno.test("device loss: later calls throw and read-backs reject", async () => {
    const own = await webgpu();
    const x = own.ones([3]);
    own.destroy();
    await new Promise((r) => setTimeout(r, 50));
    assertThrowsKind(() => own.add(x, 1), Error, ["device lost"]);
    await assert.rejects(() => own.toHost(x), /device lost/);
  });

  Deno.test("no adapter: webgpu() rejects with a clear Error", async () => {
    const desc = Object.getOwnPropertyDescriptor(navigator, "gpu");
    Object.defineProperty(navigator, "gpu", {
      value: { requestAdapter: () => Promise.resolve(null) },
      configurable: true,
    });
    try {
      await assert.rejects(() => webgpu(), /no WebGPU adapter/);
    } finally {
      if (desc) Object.defineProperty(navigator, "gpu", desc);
      else delete (navigator as { gpu?: unknown }).gpu;
    }
    assert.ok(navigator.gpu, "navigator.gpu restored");
  });

  Deno.test("arrays dropped without dispose are returned to the pool (FinalizationRegistry)", async () => {
    const script = new URL("./_gc_probe.ts", import.meta.url);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--v8-flags=--expose-gc", script.pathname],
      env: { XDG_RUNTIME_DIR: Deno.env.get("XDG_RUNTIME_DIR") ?? "/tmp" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout).trim();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    if (text.startsWith("skip")) {
      console.warn(`finalization test: ${text}`);
      return;
    }
    const { before, held, after } = JSON.parse(text);
    assert.ok(held > before, "arrays were live");
    assert.equal(after, before, "dropped arrays were returned to the pool");
  });
}
