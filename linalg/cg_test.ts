import assert from "node:assert/strict";
import { cg } from "./cg.ts";
import { jacobi } from "./jacobi.ts";
import { aslinearoperator } from "./aslinearoperator.ts";
import { cpu as xp } from "../backends/cpu/mod.ts";
import { poisson2d } from "../sparse/gallery.ts";

// A batch where one system needs far more iterations than the others: A_k = P + σ_k I with
// σ = 4 for the easy systems (well conditioned) and σ = 0 for one hard system.
function mixedBatch(m: number, B: number, hard: number) {
  const P = poisson2d(m);
  const n = m * m;
  const nnz = P.nnz;
  const base = P.data.data as Float64Array;
  const data = new Float64Array(B * nnz);
  for (let k = 0; k < B; k++) {
    const sigma = k === hard ? 0 : 4;
    for (let i = 0; i < n; i++) {
      for (let q = P.indptr[i]; q < P.indptr[i + 1]; q++) {
        data[k * nnz + q] = base[q] + (P.indices[q] === i ? sigma : 0);
      }
    }
  }
  const A = P.withData(xp.reshape(xp.asarray(data), [B, nnz]));
  // wrapped in a LinearOperator: the portable loop (the CSR fast path would take a CsrArray)
  return { A, op: aslinearoperator(A), n };
}

Deno.test("cg: compaction gives the same per-system results as the full batch", async () => {
  const { A, n } = mixedBatch(12, 40, 7);
  const b = xp.reshape(xp.asarray(Float64Array.from({ length: 40 * n }, (_, i) => Math.sin(i))), [
    40,
    n,
  ]);
  const full = await cg(A, b, { rtol: 1e-10, compact: false });
  const comp = await cg(A, b, { rtol: 1e-10 });
  assert.deepEqual(Array.from(comp.info), Array.from(full.info));
  assert.deepEqual(Array.from(comp.iterations), Array.from(full.iterations));
  assert.ok(
    full.iterations[7] > 2.5 * full.iterations[0],
    `hard system: ${full.iterations[7]} vs ${full.iterations[0]}`,
  );
  const xf = full.x.data as Float64Array, xc = comp.x.data as Float64Array;
  assert.deepEqual(comp.x.shape, [40, n]);
  for (let i = 0; i < xf.length; i++) {
    assert.ok(Math.abs(xf[i] - xc[i]) <= 1e-12 * (1 + Math.abs(xf[i])));
  }
  for (let k = 0; k < 40; k++) {
    assert.ok(
      Math.abs(comp.residualNorm[k] - full.residualNorm[k]) <= 1e-9 * (1 + full.residualNorm[k]),
    );
  }
});

Deno.test("cg: compaction with a batched jacobi preconditioner and a multi-axis batch", async () => {
  const { A, n } = mixedBatch(10, 32, 31);
  const A4 = A.withData(xp.reshape(A.data, [4, 8, A.nnz]));
  const b = xp.ones([4, 8, n]);
  const M = jacobi(A4);
  const op4 = aslinearoperator(A4);
  const full = await cg(op4, b, { rtol: 1e-9, M, compact: false });
  const comp = await cg(op4, b, { rtol: 1e-9, M });
  assert.deepEqual(comp.x.shape, [4, 8, n]);
  assert.deepEqual(Array.from(comp.iterations), Array.from(full.iterations));
  const xf = full.x.data as Float64Array, xc = comp.x.data as Float64Array;
  for (let i = 0; i < xf.length; i++) {
    assert.ok(Math.abs(xf[i] - xc[i]) <= 1e-12 * (1 + Math.abs(xf[i])));
  }
});

Deno.test("cg: history and callback see every iteration of every system", async () => {
  const A = poisson2d(6);
  const b = xp.ones([3, 36]);
  let calls = 0;
  const r = await cg(A, b, {
    rtol: 1e-8,
    history: true,
    callback: (x, it) => {
      calls++;
      assert.deepEqual(x.shape, [3, 36]);
      assert.equal(it, calls);
    },
  });
  assert.equal(r.residualHistory!.length, 3);
  assert.equal(r.residualHistory![0].length, r.iterations[0] + 1);
  const h = r.residualHistory![0];
  assert.ok(h[h.length - 1] < 1e-8 * h[0] * 1.0001);
  assert.equal(calls, r.iterations[0]);
});

Deno.test("cg: onProgress reports from the host checks", async () => {
  const A = poisson2d(8);
  const seen: number[] = [];
  const r = await cg(A, xp.ones([64]), { onProgress: (p) => seen.push(p.iteration) });
  assert.equal(r.info[0], 0);
  assert.ok(seen.length >= 2 && seen[0] === 0);
});

Deno.test("cg: the CPU fused loop (solvers.cg) agrees with the portable loop", async () => {
  for (const dtype of ["float64", "float32"] as const) {
    const { A, op, n } = mixedBatch(10, 12, 3);
    const Ad = dtype === "float64" ? A : A.astype(dtype);
    const opd = dtype === "float64" ? op : aslinearoperator(Ad);
    const b = xp.reshape(
      xp.asarray(Float64Array.from({ length: 12 * n }, (_, i) => Math.cos(i)), { dtype }),
      [12, n],
    );
    for (const M of [undefined, jacobi(Ad)]) {
      const rtol = dtype === "float64" ? 1e-10 : 1e-5;
      const fast = await cg(Ad, b, { rtol, M, history: true });
      const slow = await cg(opd, b, { rtol, M, history: true });
      assert.deepEqual(Array.from(fast.info), Array.from(slow.info));
      for (let k = 0; k < 12; k++) {
        assert.ok(
          Math.abs(fast.iterations[k] - slow.iterations[k]) <= (dtype === "float64" ? 0 : 2),
        );
        assert.equal(fast.residualHistory![k].length, fast.iterations[k] + 1);
        assert.equal(slow.residualHistory![k].length, slow.iterations[k] + 1);
      }
      const xf = fast.x.data, xs = slow.x.data;
      const tol = dtype === "float64" ? 1e-9 : 1e-3;
      for (let i = 0; i < xf.length; i++) {
        assert.ok(Math.abs(xf[i] - xs[i]) <= tol * (1 + Math.abs(xs[i])));
      }
    }
  }
});

Deno.test("cg: the CPU fused loop handles x0, b = 0 systems, maxiter and NaN", async () => {
  const A = poisson2d(6);
  const b = xp.asarray([Array(36).fill(1), Array(36).fill(0), Array(36).fill(2)]);
  const r = await cg(A, b, { rtol: 1e-10, x0: xp.full([36], 0.5) });
  assert.deepEqual(Array.from(r.info), [0, 0, 0]);
  assert.equal(r.iterations[1], 0);
  assert.ok((r.x.data as Float64Array).slice(36, 72).every((v) => v === 0));
  const r1 = await cg(A, b, { maxiter: 1 });
  assert.deepEqual(Array.from(r1.info), [1, 0, 1]);
  const bad = A.withData(
    xp.asarray([A.data, xp.multiply(A.data, NaN)].map((d) => Array.from(d.data))),
  );
  // NaN in the stored values is bad input: a RangeError naming A (not a silent info code)
  await assert.rejects(() => cg(bad, xp.ones([2, 36])), RangeError);
});
