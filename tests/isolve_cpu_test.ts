// SciPy parity suite for every Krylov solver on the CPU backend (float64 and float32), plus
// cg on a batch of 256 systems against 256 separate SciPy solves.
import { cpu } from "../backends/cpu/mod.ts";
import { csrArray } from "../sparse/csr_array.ts";
import { cg } from "../linalg/cg.ts";
import { batchedCgCase, isolveCases } from "./isolve_cases.ts";
import { SOLVERS } from "./_solver_entries.ts";

for (const c of isolveCases(cpu, SOLVERS, ["float64", "float32"])) {
  Deno.test(`isolve/cpu/${c.name}`, c.fn);
}
for (const dtype of ["float64", "float32"] as const) {
  const c = batchedCgCase(cpu, cg, csrArray, dtype);
  Deno.test(`isolve/cpu/${c.name}`, c.fn);
}
