// SciPy parity suite for the GMRES family (gmres, lgmres, gcrotmk) on the CPU backend
// (float64 and float32).
import { cpu } from "../backends/cpu/mod.ts";
import { gmres } from "../linalg/gmres.ts";
import { lgmres } from "../linalg/lgmres.ts";
import { gcrotmk } from "../linalg/gcrotmk.ts";
import { isolveCases, type SolverEntry } from "./isolve_cases.ts";

// lgmres/gcrotmk count SciPy's callback calls, which include the convergence check at the top
// of the outer iteration; their float32 atol case hits tolerances below float32 accuracy at
// rtol = 0 (and gcrotmk's recurrence drifts with the 1e±6-scaled preconditioners): SciPy's
// float32 solvers fail those too (lgmres info 1000; gcrotmk info 1000 or NaN).
const solvers: SolverEntry[] = [
  { name: "gmres", solve: gmres },
  { name: "lgmres", solve: lgmres, x0ExactIterations: 1, f32Relax: ["atol-residual"] },
  { name: "gcrotmk", solve: gcrotmk, x0ExactIterations: 1, f32Relax: ["atol-residual"] },
];

for (const c of isolveCases(cpu, solvers, ["float64", "float32"])) {
  Deno.test(`isolve/cpu/${c.name}`, c.fn);
}
