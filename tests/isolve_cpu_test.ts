// SciPy parity suite for the Krylov solvers on the CPU backend (float64 and float32).
import { cpu } from "../backends/cpu/mod.ts";
import { csrArray } from "../sparse/csr_array.ts";
import { cg } from "../linalg/cg.ts";
import { batchedCgCase, isolveCases, type SolverEntry } from "./isolve_cases.ts";

const solvers: SolverEntry[] = [
  { name: "cg", solve: cg },
];

for (const c of isolveCases(cpu, solvers, ["float64", "float32"])) {
  Deno.test(`isolve/cpu/${c.name}`, c.fn);
}
for (const dtype of ["float64", "float32"] as const) {
  const c = batchedCgCase(cpu, cg, csrArray, dtype);
  Deno.test(`isolve/cpu/${c.name}`, c.fn);
}
