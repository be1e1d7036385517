/**
 * CSR SpMV through `CsrArray.matvec` on the 512 × 512 2-D Poisson matrix (262 144 unknowns,
 * 1 308 672 stored entries), float64 and float32: the namespace's `csrMatvec` kernel (with and
 * without `out` donation) and the portable gather-and-sum path. Compare with
 * `OPENBLAS_NUM_THREADS=1 python3 bench/scipy_spmv.py`.
 *
 *     deno bench -A bench/spmv_bench.ts
 */
import { cpu } from "../backends/cpu/mod.ts";
import { poisson2d } from "../sparse/gallery.ts";
import { withoutKernels } from "../sparse/_helpers_test.ts";

const n = 512;
for (const dtype of ["float64", "float32"] as const) {
  const A = poisson2d(n, n, { dtype });
  const x = cpu.asarray(Float64Array.from({ length: n * n }, (_, i) => Math.sin(i)), { dtype });
  let out = A.matvec(x);
  Deno.bench({
    name: `matvec ${dtype} (csrMatvec kernel)`,
    group: `poisson2d ${n}x${n} ${dtype}`,
    baseline: true,
    fn: () => {
      A.matvec(x);
    },
  });
  Deno.bench({
    name: `matvec ${dtype} (kernel, out donated)`,
    group: `poisson2d ${n}x${n} ${dtype}`,
    fn: () => {
      out = A.matvec(x, out);
    },
  });
  const plain = withoutKernels(cpu);
  const Ap = await A.to(plain);
  const xp = plain.asarray(await cpu.toHost(x), { dtype });
  Ap.matvec(xp); // build the cached ELL data outside the timing
  Deno.bench({
    name: `matvec ${dtype} (portable take+sum path)`,
    group: `poisson2d ${n}x${n} ${dtype}`,
    fn: () => {
      Ap.matvec(xp);
    },
  });
}
