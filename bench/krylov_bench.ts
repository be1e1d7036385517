/**
 * gmres(20) on convection–diffusion and lsqr on a sparse least-squares problem, CPU backend,
 * float64, a fixed amount of work per call (tolerances 0 / tiny, so the iteration limit stops
 * them; divide by the iteration count for the per-iteration time):
 *
 * - gmres: `convectionDiffusion(k, k, wind (1, 0.5), ν 0.01)` at 128² and 256², `restart` 20,
 *   5 cycles = 100 inner iterations; and a batch of 16 right-hand sides at 128² in one call.
 * - lsqr: `m × n = 4n × n`, 6 random entries per row (bench/_problems.ts `leastSquares`), n =
 *   16384 and 65536, 100 iterations.
 *
 *     deno bench -A bench/krylov_bench.ts
 *
 * SciPy's side: `deno run -A bench/compare_scipy.ts --only gmres,lsqr`.
 *
 * @module
 */
import { gmres } from "../linalg/gmres.ts";
import { lsqr } from "../linalg/lsqr.ts";
import { convDiff, leastSquares, randomArray, randomValues } from "./_problems.ts";

const restart = 20, cycles = 5;
for (const k of [128, 256]) {
  const A = convDiff(k);
  const b = randomValues(k * k, 4);
  const r = await gmres(A, b, { rtol: 1e-30, restart, maxiter: cycles });
  if (r.iterations[0] !== restart * cycles) throw new Error(`gmres ${k}²: ${r.iterations[0]} its`);
  Deno.bench({
    name: `gmres(20) ${k}², 100 inner iterations`,
    group: "gmres(20), convection–diffusion",
    baseline: k === 128,
    n: k >= 256 ? 10 : 30,
    async fn() {
      await gmres(A, b, { rtol: 1e-30, restart, maxiter: cycles });
    },
  });
}
{
  const k = 128;
  const A = convDiff(k);
  const B = randomArray([16, k * k], 7);
  Deno.bench({
    name: `gmres(20) 16 × ${k}² in one call, 100 inner iterations each`,
    group: "gmres(20), convection–diffusion",
    n: 5,
    async fn() {
      await gmres(A, B, { rtol: 1e-30, restart, maxiter: cycles });
    },
  });
}

const K = 100;
for (const n of [16384, 65536]) {
  const A = leastSquares(n);
  const b = randomValues(A.shape[0], 6);
  const opts = { atol: 0, btol: 0, conlim: 0, iterLim: K };
  const r = await lsqr(A, b, opts);
  if (r.itn[0] !== K) throw new Error(`lsqr n=${n}: stopped at ${r.itn[0]} (istop ${r.istop[0]})`);
  Deno.bench({
    name: `lsqr ${4 * n}×${n} (nnz ${A.nnz}), ${K} iterations`,
    group: "lsqr, sparse least squares",
    baseline: n === 16384,
    n: n >= 65536 ? 5 : 15,
    async fn() {
      await lsqr(A, b, opts);
    },
  });
}
