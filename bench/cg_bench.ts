/**
 * Conjugate gradient on the CPU backend.
 *
 * - Per iteration: 2-D Poisson at 128², 512², 1024², a fixed number of iterations (`rtol` 1e-30,
 *   `maxiter` K, so every call runs exactly K iterations; divide the time by K), float64 and
 *   (512²) float32. This is the fused whole-loop path (`cpu.solvers.cg`).
 * - Batched small systems, one call each: 256 × 16² and 4096 × 32² Poisson (one shared A, random
 *   right-hand sides, `rtol` 1e-8), and for scale the same 256 systems as 256 separate calls.
 * - Batch compaction: 64 systems `poisson2d(64) + σ_k I` (one pattern, σ = 1 except one system
 *   with σ = 0, which needs ~10× the iterations), through the portable solver loop (the operator
 *   is wrapped so that the fused path does not take it) with `compact: true` and `false`, and
 *   through the fused path (where converged systems drop out of the loops).
 *
 *     deno bench -A bench/cg_bench.ts
 *
 * @module
 */
import type { CpuArray } from "../backends/cpu/mod.ts";
import { cpu } from "../backends/cpu/mod.ts";
import { cg } from "../linalg/cg.ts";
import type { OperatorLike } from "../linalg/types.ts";
import type { CsrArray } from "../sparse/csr_array.ts";
import { poisson5, randomArray, randomValues, shiftedSweep } from "./_problems.ts";

// ---- per iteration ------------------------------------------------------------------------------

for (
  const [k, K, dtype] of [
    [128, 200, "float64"],
    [512, 50, "float64"],
    [512, 50, "float32"],
    [1024, 20, "float64"],
  ] as const
) {
  const A = poisson5(k, dtype);
  const b = randomValues(k * k, 2, dtype);
  const check = await cg(A, b, { rtol: 1e-30, maxiter: K });
  if (check.iterations[0] !== K) throw new Error(`cg ${k}²: ran ${check.iterations[0]} ≠ ${K}`);
  Deno.bench({
    name: `cg ${k}² ${dtype}, ${K} iterations`,
    group: "cg per iteration (divide by the iteration count)",
    baseline: k === 512 && dtype === "float64",
    n: k >= 1024 ? 5 : k >= 512 ? 15 : undefined,
    warmup: k >= 512 ? 2 : undefined,
    async fn() {
      await cg(A, b, { rtol: 1e-30, maxiter: K });
    },
  });
}

// ---- batched small systems ------------------------------------------------------------------------

{
  const A16 = poisson5(16);
  const B256 = randomArray([256, 256], 3);
  const rows = Array.from(
    { length: 256 },
    (_, s) => cpu.asarray(B256.data.subarray(s * 256, (s + 1) * 256)),
  );
  const group = "cg batched small systems, rtol 1e-8";
  Deno.bench({
    name: "256 × 16² Poisson, one call",
    group,
    baseline: true,
    async fn() {
      await cg(A16, B256, { rtol: 1e-8 });
    },
  });
  Deno.bench({
    name: "256 × 16² Poisson, 256 calls",
    group,
    n: 50,
    async fn() {
      for (const b of rows) await cg(A16, b, { rtol: 1e-8 });
    },
  });
  const A32 = poisson5(32);
  const B4096 = randomArray([4096, 1024], 4);
  Deno.bench({
    name: "4096 × 32² Poisson, one call",
    group,
    n: 3,
    warmup: 1,
    async fn() {
      await cg(A32, B4096, { rtol: 1e-8 });
    },
  });
}

// ---- batch compaction -------------------------------------------------------------------------

{
  const { A, b } = shiftedSweep(64, 64);
  // Same operator without `toCsrData`: the fused CPU path declines it and the portable loop
  // (with its compaction) runs.
  const wrapped = (M: CsrArray<CpuArray>): OperatorLike<CpuArray> => ({
    shape: M.shape,
    dtype: M.dtype,
    xp: cpu,
    matvec: (x, out) => M.matvec(x, out),
    selectBatch: (index) => wrapped(M.selectBatch(index)),
  });
  const op = wrapped(A);
  const r = await cg(op, b, { rtol: 1e-8 });
  const its = Array.from(r.iterations);
  const slow = its[its.length - 1], fast = Math.max(...its.slice(0, -1));
  if (slow < 5 * fast) throw new Error(`compaction case: iterations ${fast} vs ${slow}`);
  const group = `cg compaction: 64 × 64² (63 systems ≤ ${fast} its, one ${slow} its), rtol 1e-8`;
  Deno.bench({
    name: "portable loop, compact: true",
    group,
    baseline: true,
    n: 10,
    warmup: 1,
    async fn() {
      await cg(op, b, { rtol: 1e-8, compact: true });
    },
  });
  Deno.bench({
    name: "portable loop, compact: false",
    group,
    n: 4,
    warmup: 1,
    async fn() {
      await cg(op, b, { rtol: 1e-8, compact: false });
    },
  });
  Deno.bench({
    name: "fused CPU path (converged systems drop out)",
    group,
    n: 10,
    warmup: 1,
    async fn() {
      await cg(A, b, { rtol: 1e-8 });
    },
  });
}
