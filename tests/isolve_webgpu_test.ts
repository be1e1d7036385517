/**
 * SciPy parity suite on the WebGPU namespace, float32: every solver on the generic cases of
 * tests/isolve_cases.ts (for cg, CSR cases go through the fused `xp.solvers.cg` fast path,
 * dense ones through the portable loop; the other solvers run their portable loops on the GPU;
 * the 1600-unknown poisson2d cases are left to cg to keep lavapipe runs short) and the
 * 256-system batched cg case vs SciPy. The GPU's float32 sums round unlike NumPy's, so float32
 * outcomes that rounding decides (an ill-conditioned run stagnating or not, a 1e-12 test met
 * or not, a chaotic 3rd iterate) go through the suite's rounding-aware rules, each printing
 * its reason (`numpyRounding: false`, see tests/isolve_cases.ts). Without a WebGPU adapter
 * the suite is registered as ignored and the reason is printed.
 *
 * @module
 */
import { webgpu, type WebGpuNamespace } from "../backends/webgpu/mod.ts";
import { csrArray } from "../sparse/csr_array.ts";
import { cg } from "../linalg/cg.ts";
import { batchedCgCase, isolveCases } from "./isolve_cases.ts";
import { SOLVERS } from "./_solver_entries.ts";

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
  const cgEntry = SOLVERS.filter((s) => s.name === "cg");
  const others = SOLVERS.filter((s) => s.name !== "cg");
  const cases = [
    ...isolveCases(xp, cgEntry, ["float32"], { numpyRounding: false }),
    // tolerances below 1e-3 of the atol grid run some solvers to maxiter (1000 outer
    // iterations of lgmres ≈ 100 s on lavapipe); they are covered on the CPU backend
    ...isolveCases(xp, others, ["float32"], {
      small: true,
      atolMinTol: 1e-3,
      numpyRounding: false,
    }),
  ];
  for (const c of cases) Deno.test(`isolve/webgpu/${c.name}`, c.fn);
  const c = batchedCgCase(xp, cg, csrArray, "float32");
  Deno.test(`isolve/webgpu/${c.name}`, c.fn);
}
