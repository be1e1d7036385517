/**
 * SciPy parity suite for `cg` on the WebGPU namespace, float32: the generic cases of
 * tests/isolve_cases.ts (CSR cases go through the fused `xp.solvers.cg` fast path, dense ones
 * through the portable loop) and the 256-system batched case vs SciPy. Without a WebGPU adapter
 * the suite is registered as ignored and the reason is printed.
 *
 * @module
 */
import { webgpu, type WebGpuNamespace } from "../backends/webgpu/mod.ts";
import { csrArray } from "../sparse/csr_array.ts";
import { cg } from "../linalg/cg.ts";
import { batchedCgCase, isolveCases, type SolverEntry } from "./isolve_cases.ts";

let xp: WebGpuNamespace | null = null;
let reason = "";
try {
  xp = await webgpu();
} catch (e) {
  reason = (e as Error).message;
}

if (xp === null) {
  console.warn(`isolve/webgpu skipped: ${reason}`);
  Deno.test({ name: "isolve/webgpu (no adapter)", ignore: true, fn: () => {} });
} else {
  const solvers: SolverEntry[] = [{ name: "cg", solve: cg }];
  for (const c of isolveCases(xp, solvers, ["float32"])) {
    Deno.test(`isolve/webgpu/${c.name}`, c.fn);
  }
  const c = batchedCgCase(xp, cg, csrArray, "float32");
  Deno.test(`isolve/webgpu/${c.name}`, c.fn);
}
