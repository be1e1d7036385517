import assert from "node:assert/strict";
import { cpuBackend, probeWebGpu, webgpuBackend } from "./_backend.ts";
import { main } from "../cli.ts";

/** Runs `f` with `navigator` replaced by `nav` (restored afterwards). */
async function withNavigator<T>(nav: unknown, f: () => Promise<T>): Promise<T> {
  const desc = Object.getOwnPropertyDescriptor(globalThis, "navigator");
  Object.defineProperty(globalThis, "navigator", { value: nav, configurable: true });
  try {
    return await f();
  } finally {
    if (desc) Object.defineProperty(globalThis, "navigator", desc);
  }
}

Deno.test("probeWebGpu: says why there is no adapter, never throws", async () => {
  const none = await withNavigator({}, probeWebGpu);
  assert.deepEqual(none, { ok: false, reason: "navigator.gpu is not available in this runtime" });
  const nul = await withNavigator(
    { gpu: { requestAdapter: () => Promise.resolve(null) } },
    probeWebGpu,
  );
  assert.equal(nul.ok, false);
  assert.match((nul as { reason: string }).reason, /requestAdapter\(\) returned no adapter/);
  const bad = await withNavigator(
    { gpu: { requestAdapter: () => Promise.reject(new Error("driver exploded\nmore")) } },
    probeWebGpu,
  );
  assert.deepEqual(bad, { ok: false, reason: "requestAdapter() failed: driver exploded" });
  await assert.rejects(
    () => webgpuBackend({ ok: false, reason: "because" }),
    /^Error: --backend webgpu: no WebGPU adapter: because$/,
  );
  assert.equal(cpuBackend().device, "cpu");
});

Deno.test("cli --backend webgpu without an adapter: one error line, exit 2", async () => {
  let out = "", err = "";
  const status = await withNavigator(
    { gpu: { requestAdapter: () => Promise.resolve(null) } },
    () =>
      main([
        "solve",
        new URL("./testdata/poisson2d_8.mtx", import.meta.url).pathname,
        "--backend",
        "webgpu",
      ], {
        stdout: (s) => out += s,
        stderr: (s) => err += s,
        stderrIsTerminal: false,
        columns: 80,
      }),
  );
  assert.equal(status, 2);
  assert.equal(out, "");
  assert.match(
    err,
    /^error: --backend webgpu: no WebGPU adapter: navigator\.gpu\.requestAdapter\(\) returned no adapter .*\n$/,
  );
});

Deno.test("probeWebGpu: names the real adapter when there is one", async () => {
  const p = await probeWebGpu();
  if (!p.ok) {
    console.log(`skipped: no WebGPU adapter (${p.reason})`);
    return;
  }
  assert.ok(p.description.length > 0);
  const be = await webgpuBackend(p);
  try {
    assert.equal(be.name, "webgpu");
    const x = be.xp.ones([3], { dtype: "float32" });
    assert.deepEqual(Array.from(await be.xp.toHost(x)), [1, 1, 1]);
    be.xp.dispose(x);
  } finally {
    be.close();
  }
});
