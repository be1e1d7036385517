/**
 * CSR SpMV (`A.matvec(x)`, a fresh result each call like SciPy's `A @ x`) on the CPU backend:
 * 2-D 5-point Poisson at 128², 512², 1024² and the 3-D 27-point stencil at 32³ and 64³, float64
 * and float32; at 512² also with the output donated (`A.matvec(x, out)`) and through the
 * portable gather-and-sum path (a namespace without `csrMatvec`).
 *
 *     deno bench -A bench/spmv_bench.ts
 *
 * SciPy's side of the same products: `deno run -A bench/compare_scipy.ts --only spmv64,spmv32`.
 *
 * @module
 */
import { cpu, type CpuArray } from "../backends/cpu/mod.ts";
import type { CsrArray } from "../sparse/csr_array.ts";
import { withoutKernels } from "../sparse/_helpers_test.ts";
import { type FloatDType, poisson27, poisson5, randomValues } from "./_problems.ts";

function spmvBench(
  group: string,
  label: string,
  A: CsrArray<CpuArray>,
  dtype: FloatDType,
  baseline: boolean,
): void {
  const x = randomValues(A.shape[1], 1, dtype);
  let y = A.matvec(x);
  Deno.bench({
    name: `${label} ${dtype} (nnz ${A.nnz})`,
    group,
    baseline,
    n: A.nnz > 2e6 ? 100 : undefined,
    fn() {
      cpu.dispose(y);
      y = A.matvec(x);
    },
  });
}

for (const dtype of ["float64", "float32"] as const) {
  const g5 = `CSR SpMV, 5-point Poisson, ${dtype}`;
  for (const k of [128, 512, 1024]) {
    spmvBench(g5, `${k}²`, poisson5(k, dtype), dtype, k === 512);
  }
  const g27 = `CSR SpMV, 27-point stencil, ${dtype}`;
  for (const k of [32, 64]) spmvBench(g27, `${k}³`, poisson27(k, dtype), dtype, k === 64);
}

// The 512² product three ways.
{
  const k = 512, N = k * k;
  const A = poisson5(k);
  const x = randomValues(N, 1);
  let out = A.matvec(x);
  const group = "CSR SpMV 512² float64: fresh vs donated vs portable";
  Deno.bench({
    name: "A.matvec(x) (fresh result)",
    group,
    baseline: true,
    fn() {
      cpu.dispose(out);
      out = A.matvec(x);
    },
  });
  Deno.bench({
    name: "A.matvec(x, out) (donated)",
    group,
    fn() {
      out = A.matvec(x, out);
    },
  });
  const plain = withoutKernels(cpu);
  const Ap = await A.to(plain);
  const xp = plain.asarray(await cpu.toHost(x), { dtype: "float64" });
  Ap.matvec(xp); // build the cached gather data outside the timing
  Deno.bench({
    name: "portable take+sum path (no csrMatvec)",
    group,
    n: 30,
    fn() {
      Ap.matvec(xp);
    },
  });
}
