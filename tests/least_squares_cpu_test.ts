// SciPy parity suite for lsqr and lsmr (and minres's mid-size fixture runs) on the CPU backend,
// float64 and float32.
import { cpu } from "../backends/cpu/mod.ts";
import { lsqr } from "../linalg/lsqr.ts";
import { lsmr } from "../linalg/lsmr.ts";
import { minres } from "../linalg/minres.ts";
import { leastSquaresCases, minresFixtureCases } from "./least_squares_cases.ts";

const dtypes = ["float64", "float32"] as const;
const solvers = [{ name: "lsqr", solve: lsqr }, { name: "lsmr", solve: lsmr }] as const;
for (const c of leastSquaresCases(cpu, solvers, dtypes)) {
  Deno.test(`least-squares/cpu/${c.name}`, c.fn);
}
for (const c of minresFixtureCases(cpu, { solve: minres }, dtypes)) {
  Deno.test(`least-squares/cpu/${c.name}`, c.fn);
}
