// SciPy parity suite for the short-recurrence solvers (bicg, bicgstab, cgs, qmr, tfqmr) on the
// CPU backend (float64 and float32).
import { cpu } from "../backends/cpu/mod.ts";
import { bicg } from "../linalg/bicg.ts";
import { bicgstab } from "../linalg/bicgstab.ts";
import { cgs } from "../linalg/cgs.ts";
import { qmr } from "../linalg/qmr.ts";
import { tfqmr } from "../linalg/tfqmr.ts";
import { isolveCases, type SolverEntry } from "./isolve_cases.ts";

// The f32Relax lists name float32 checks that SciPy 1.17's own float32 solver fails the same way
// (see SolverEntry.f32Relax); every float64 check runs unrelaxed.
const solvers: SolverEntry[] = [
  // −10 at atol 1e-5 (6.6e-9·‖b‖) with M×1e-6, as SciPy's float32 bicg
  { name: "bicg", solve: bicg, f32Relax: ["atol-residual"] },
  // the 3rd iterate of the tiny dense float32 cases moves ~1e-2 under rounding (SciPy's float32
  // and float64 iterates differ by up to 1.2e-2)
  { name: "bicgstab", solve: bicgstab, f32Relax: ["iterates"] },
  { name: "cgs", solve: cgs, f32Relax: ["atol-residual", "atol-precond", "x0-working"] },
  // SciPy's test_atol passes M as the left preconditioner M1 (M2 = identity); in float32 the
  // absolute ε threshold (eps) trips on M×1e-6 (−14), as in SciPy
  {
    name: "qmr",
    solve: qmr,
    precond: (M) => ({ M1: M }),
    f32Relax: ["atol-residual", "atol-precond"],
  },
  // SciPy's tfqmr has no x0="Mb" test; with the scaled preconditioners float32 ends just above
  // the bound (SciPy skips tfqmr's atol test altogether)
  { name: "tfqmr", solve: tfqmr, mb: false, f32Relax: ["atol-precond", "x0-working"] },
];

for (const c of isolveCases(cpu, solvers, ["float64", "float32"])) {
  Deno.test(`isolve/cpu/${c.name}`, c.fn);
}
