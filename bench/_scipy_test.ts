/**
 * Tests of the benchmark plumbing: the problem recipes (bench/_problems.ts) against dense
 * references, and the SciPy worker (bench/_scipy.ts + scipy_worker.py): identical checksums
 * on both sides, identical products and CG results, and its failure paths.
 */
import assert from "node:assert/strict";
import { cpu } from "../backends/cpu/mod.ts";
import { cg } from "../linalg/cg.ts";
import {
  convDiff,
  csrChecksum,
  hostCsr,
  leastSquares,
  poisson5,
  randomArray,
  randomValues,
  shiftedSweep,
  vectorChecksum,
} from "./_problems.ts";
import { ScipyWorker } from "./_scipy.ts";

const scipyMissing = (() => {
  try {
    const o = new Deno.Command("python3", {
      args: ["-c", "import scipy.sparse.linalg"],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    return o.success ? "" : "python3 cannot import scipy";
  } catch {
    return "python3 not found";
  }
})();
if (scipyMissing) console.warn(`bench/_scipy_test.ts: SciPy tests skipped: ${scipyMissing}`);

async function dense(A: ReturnType<typeof poisson5>): Promise<Float64Array> {
  return Float64Array.from(await cpu.toHost(A.toDense()));
}

Deno.test("csrChecksum equals the weighted sum over the dense matrix", async () => {
  const A = convDiff(5);
  const D = await dense(A);
  const n = 25;
  let s = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) s += D[i * n + j] * (((i * 31 + j * 17) % 1009) + 1);
  }
  assert.ok(Math.abs(csrChecksum(hostCsr(A)) - s) <= 1e-12 * Math.abs(s));
  // position-dependent: the transpose (convection–diffusion is nonsymmetric) differs
  let t = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) t += D[j * n + i] * (((i * 31 + j * 17) % 1009) + 1);
  }
  assert.ok(Math.abs(t - s) > 1e-6 * Math.abs(s));
  assert.equal(vectorChecksum([1, 2]), 1 * 1 + 2 * 2);
});

Deno.test("leastSquares: 4n × n, distinct sorted columns per row, column scaling", () => {
  const n = 50, A = leastSquares(n, 6, 3);
  assert.deepEqual(A.shape, [200, 50]);
  assert.equal(A.nnz, 200 * 6);
  const v = A.data.data as Float64Array;
  for (let i = 0; i < 200; i++) {
    for (let q = A.indptr[i]; q < A.indptr[i + 1]; q++) {
      if (q > A.indptr[i]) assert.ok(A.indices[q] > A.indices[q - 1], `row ${i} not sorted`);
      const scale = 10 ** (-2 * A.indices[q] / (n - 1));
      assert.ok(Math.abs(v[q]) <= scale, `entry (${i}, ${A.indices[q]}) exceeds its scale`);
    }
  }
});

Deno.test("shiftedSweep: poisson2d + σ_k I with σ = 0 only for the last system", async () => {
  const k = 4, N = 16, { A, b } = shiftedSweep(k, 3);
  assert.deepEqual(A.shape, [3, N, N]);
  assert.deepEqual(b.shape, [3, N]);
  const P = await dense(poisson5(k));
  const D = Float64Array.from(await cpu.toHost(A.toDense()));
  for (let s = 0; s < 3; s++) {
    const sigma = s === 2 ? 0 : 1;
    for (let i = 0; i < N * N; i++) {
      const want = P[i] + (i % (N + 1) === 0 ? sigma : 0);
      assert.equal(D[s * N * N + i], want, `system ${s} entry ${i}`);
    }
  }
});

Deno.test({
  name: "SciPy worker: same matrices, same A@x, same CG and iteration counts",
  ignore: scipyMissing !== "",
  async fn() {
    const w = await ScipyWorker.start();
    try {
      const v = await w.call({ op: "versions" });
      assert.equal(v.OPENBLAS_NUM_THREADS, "1");
      for (const dtype of ["float64", "float32"] as const) {
        const A = poisson5(12, dtype), x = randomValues(144, 1, dtype);
        await w.loadCsr("A", A, dtype);
        await w.loadVec("x", x);
        const ans = await w.call({ op: "spmv", A: "A", x: "x", reps: 2 });
        assert.ok(typeof ans.t === "number" && ans.t > 0);
        const ours = vectorChecksum((A.matvec(x) as typeof x).data as Float64Array);
        const tol = dtype === "float64" ? 1e-13 : 1e-5;
        assert.ok(Math.abs(ours - (ans.checksum as number)) <= tol * Math.abs(ours));
        await w.drop("A", "x");
      }
      // CG with a fixed iteration count: same true residual
      const A = poisson5(16), b = randomValues(256, 2);
      await w.loadCsr("A", A, "float64");
      await w.loadVec("b", b);
      const sc = await w.call({ op: "cg", A: "A", b: "b", rtol: 1e-30, maxiter: 10 });
      const r = await cg(A, b, { rtol: 1e-30, maxiter: 10 });
      assert.equal(sc.info, 10);
      assert.equal(r.iterations[0], 10);
      assert.ok(Math.abs(r.residualNorm[0] - (sc.res as number)) <= 1e-10 * (sc.res as number));
      // a loop of cg calls vs one batched call: iteration counts within ±1
      const B = randomArray([4, 256], 3);
      await w.loadVec("B", B);
      const loop = await w.call({ op: "cg_loop", A: "A", B: "B", rtol: 1e-8, count_iters: true });
      const rb = await cg(A, B, { rtol: 1e-8 });
      assert.deepEqual(loop.info, [0, 0, 0, 0]);
      (loop.iters as number[]).forEach((it, s) =>
        assert.ok(Math.abs(it - rb.iterations[s]) <= 1, `system ${s}: ${it} vs ${rb.iterations[s]}`)
      );
      // failure paths: a worker-side error names the op; a matrix that does not match fails
      await assert.rejects(w.call({ op: "nope" }), /scipy worker \(nope\).*unknown op/);
      await assert.rejects(w.call({ op: "spmv", A: "missing", x: "x", reps: 1 }), /KeyError/);
      await assert.rejects(w.loadCsr("A", A, "float32"), /checksum|nnz|ValueError/);
    } finally {
      await w.close();
    }
    await assert.rejects(w.call({ op: "versions" }), /after close/);
  },
});
