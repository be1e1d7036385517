/**
 * The fused CG fast path (`xp.solvers.cg`) against the portable `cg` loop on the same
 * namespace (the operator wrapped by `aslinearoperator`, which hides the CSR structure from
 * the hook), float32: iterates, iteration counts, info codes, residuals, history, batches,
 * Jacobi, initial guesses, b = 0 systems, breakdowns, bad input, storage-format selection and
 * GPU memory hygiene.
 *
 * @module
 */
import assert from "node:assert/strict";
import { assertClose, openOrSkip, rng } from "./_test_util.ts";
import type { WebGpuArray } from "./webgpu_array.ts";
import { diagonalOffsets, preferDia } from "./_dia.ts";
import { cg } from "../../linalg/cg.ts";
import { jacobi } from "../../linalg/jacobi.ts";
import { aslinearoperator } from "../../linalg/aslinearoperator.ts";
import { poisson1d, poisson2d } from "../../sparse/gallery.ts";
import { csrArray } from "../../sparse/csr_array.ts";
import type { CsrArray } from "../../sparse/csr_array.ts";
import type { SolveResult } from "../../linalg/types.ts";

const xp = await openOrSkip("backends/webgpu/cg_test.ts");

type A = WebGpuArray;
const f32 = { dtype: "float32" } as const;

async function hostOf(a: A): Promise<Float64Array> {
  return Float64Array.from(await xp!.toHost(a));
}

/** Host CSR of a 2-D grid operator with a spatially varying diagonal (Jacobi matters). */
function variableDiag(nx: number, ny: number, seed: number) {
  const r = rng(seed);
  const n = nx * ny;
  const indptr = [0], indices: number[] = [], data: number[] = [];
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const row = i + nx * j;
      const w = 1 + 9 * r(0, 1);
      for (const [di, dj, v] of [[0, -1, -1], [-1, 0, -1], [0, 0, 4 + w], [1, 0, -1], [0, 1, -1]]) {
        const ii = i + di, jj = j + dj;
        if (ii < 0 || ii >= nx || jj < 0 || jj >= ny) continue;
        indices.push(ii + nx * jj);
        data.push(v === 4 + w ? 4 * w : v);
      }
      indptr.push(indices.length);
      void row;
    }
  }
  return { n, indptr, indices, data };
}

function csrOf(h: { n: number; indptr: number[]; indices: number[]; data: number[] }) {
  return csrArray(
    { data: xp!.asarray(h.data, f32), indices: h.indices, indptr: h.indptr },
    { shape: [h.n, h.n], xp: xp! },
  );
}

/** Runs the hook (CsrArray) and the portable loop (wrapped operator) with the same options. */
async function both(
  Aop: CsrArray<A>,
  b: A,
  o: Record<string, unknown> = {},
) {
  const fast = await cg(Aop, b, o);
  const stats = xp!.solvers.lastCgStats;
  const before = stats;
  const slow = await cg(aslinearoperator(Aop), b, o);
  assert.equal(xp!.solvers.lastCgStats, before, "the portable run must not use the hook");
  return { fast, slow, stats: stats! };
}

if (xp) {
  Deno.test("webgpu cg hook: Poisson 2-D matches the portable loop (counts, x, residual)", async () => {
    const A = poisson2d(24, 20, { xp, ...f32 });
    const r = rng(7);
    const b = xp.asarray(Array.from({ length: 480 }, () => r()), f32);
    const { fast, slow, stats } = await both(A, b, { rtol: 1e-5 });
    assert.equal(stats.format, "dia");
    assert.equal(stats.diagonals, 5);
    assert.equal(fast.info[0], 0);
    assert.equal(fast.info[0], slow.info[0]);
    assert.ok(
      Math.abs(fast.iterations[0] - slow.iterations[0]) <= 1,
      `iterations ${fast.iterations[0]} vs portable ${slow.iterations[0]}`,
    );
    assertClose(await hostOf(fast.x as A), await hostOf(slow.x as A), "x", 2e-3, 2e-4);
    // residualNorm is the true residual ‖b − A x‖ of the returned x
    const ax = A.matvec(fast.x as A) as A;
    const res = Math.hypot(...(await hostOf(xp.subtract(b, ax))));
    assert.ok(
      Math.abs(fast.residualNorm[0] - res) <= 1e-3 * res + 1e-6,
      `residualNorm ${fast.residualNorm[0]} vs recomputed ${res}`,
    );
  });

  Deno.test("webgpu cg hook: DIA vs CSR selection, and both formats agree", async () => {
    // a stencil: few diagonals, well filled → DIA
    const p2 = poisson2d(9, 7, { xp, ...f32 });
    const plan = diagonalOffsets(p2.indptr, p2.indices, 63)!;
    assert.deepEqual(plan.offsets, [-9, -1, 0, 1, 9]);
    assert.ok(preferDia(plan));
    // a random symmetric pattern on many diagonals → CSR
    const n = 120, r = rng(3);
    const dense = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      dense[i * n + i] = 60;
      for (let t = 0; t < 3; t++) {
        const j = Math.floor(r(0, n));
        if (j !== i) dense[i * n + j] = dense[j * n + i] = -1;
      }
    }
    const rows = Array.from({ length: n }, (_, i) => Array.from(dense.subarray(i * n, i * n + n)));
    const R = csrArray(rows, { xp, ...f32 });
    const rplan = diagonalOffsets(R.indptr, R.indices, n, 32);
    assert.ok(rplan === null || !preferDia(rplan), "random pattern must not be DIA");
    const b = xp.ones([n], f32);
    const rr = await cg(R, b, { rtol: 1e-6 });
    assert.equal(xp.solvers.lastCgStats!.format, "csr");
    assert.equal(rr.info[0], 0);
    // forced formats on the stencil give the same answer
    const b2 = xp.ones([63], f32);
    xp.solvers.tuning = { format: "csr" };
    const c = await cg(p2, b2, { rtol: 1e-6 });
    assert.equal(xp.solvers.lastCgStats!.format, "csr");
    xp.solvers.tuning = { format: "dia" };
    const d = await cg(p2, b2, { rtol: 1e-6 });
    assert.equal(xp.solvers.lastCgStats!.format, "dia");
    xp.solvers.tuning = {};
    assert.equal(c.iterations[0], d.iterations[0]);
    assertClose(await hostOf(c.x as A), await hostOf(d.x as A), "csr vs dia", 1e-4, 1e-5);
  });

  Deno.test("webgpu cg hook: Jacobi on a variable diagonal matches the portable loop", async () => {
    const h = variableDiag(16, 12, 11);
    const A = csrOf(h);
    const b = xp.asarray(Array.from({ length: h.n }, (_, i) => Math.cos(i)), f32);
    const M = jacobi(A);
    const { fast, slow } = await both(A, b, { rtol: 1e-6, M });
    const plain = await cg(A, b, { rtol: 1e-6 });
    assert.equal(fast.info[0], 0);
    assert.ok(
      Math.abs(fast.iterations[0] - slow.iterations[0]) <= 1,
      `iterations ${fast.iterations[0]} vs portable ${slow.iterations[0]}`,
    );
    assert.ok(fast.iterations[0] < plain.iterations[0], "Jacobi must help on this matrix");
    assertClose(await hostOf(fast.x as A), await hostOf(slow.x as A), "x", 1e-3, 1e-5);
  });

  Deno.test("webgpu cg hook: batches with a shared A, b = 0 members, shared and batched M", async () => {
    const A = poisson2d(10, 10, { xp, ...f32 });
    const n = 100, B = 5;
    const bh = new Float32Array(B * n);
    for (let k = 0; k < B; k++) {
      for (let i = 0; i < n; i++) bh[k * n + i] = k === 2 ? 0 : Math.sin(i * (k + 1));
    }
    const b = xp.reshape(xp.asarray(bh), [B, n]);
    const M = jacobi(A); // shared [n] diagonal against a batch of 5
    const { fast, slow } = await both(A, b, { rtol: 1e-6, M });
    assert.deepEqual(Array.from(fast.info), Array.from(slow.info));
    for (let k = 0; k < B; k++) {
      assert.ok(
        Math.abs(fast.iterations[k] - slow.iterations[k]) <= 1,
        `system ${k}: ${fast.iterations[k]} vs ${slow.iterations[k]}`,
      );
    }
    assert.equal(fast.iterations[2], 0);
    assert.equal(fast.residualNorm[2], 0);
    const x = await hostOf(fast.x as A);
    assert.ok(x.subarray(2 * n, 3 * n).every((v) => v === 0), "x_k = 0 where b_k = 0");
    assertClose(x, await hostOf(slow.x as A), "x", 1e-3, 1e-5);
    // a batched diagonal [B, n] gives the same result
    const dB = xp.broadcast_to(xp.reshape(xp.full([n], 0.25, f32), [1, n]), [B, n]);
    const r2 = await cg(A, b, { rtol: 1e-6, M: jacobi(A, { diagonal: xp.divide(1, dB) }) });
    assert.deepEqual(Array.from(r2.iterations), Array.from(fast.iterations));
  });

  Deno.test("webgpu cg hook: batched A (different values, one pattern) vs per-system solves", async () => {
    const base = poisson1d(30, { xp, ...f32 });
    const nnz = base.nnz, n = 30, B = 4;
    const vals = await hostOf(base.data as A);
    const scale = [1, 2.5, 0.3, 7];
    const data = new Float32Array(B * nnz);
    for (let k = 0; k < B; k++) {
      for (let i = 0; i < nnz; i++) {
        // different conditioning per system: scale and shift the diagonal
        const isDiag = base.indices[i] === rowOf(base.indptr, i);
        data[k * nnz + i] = scale[k] * vals[i] + (isDiag ? 0.1 * k : 0);
      }
    }
    const A = csrArray(
      { data: xp.reshape(xp.asarray(data), [B, nnz]), indices: base.indices, indptr: base.indptr },
      { shape: [B, n, n], xp },
    );
    const b = xp.ones([B, n], f32);
    const r = await cg(A, b, { rtol: 1e-6 });
    assert.equal(xp.solvers.lastCgStats!.systems, B);
    for (let k = 0; k < B; k++) {
      const Ak: CsrArray<A> = csrArray(
        {
          data: xp.asarray(data.subarray(k * nnz, (k + 1) * nnz)),
          indices: base.indices,
          indptr: base.indptr,
        },
        { shape: [n, n], xp },
      );
      const rk: SolveResult<A> = await cg(aslinearoperator(Ak), xp.ones([n], f32), {
        rtol: 1e-6,
      });
      assert.equal(r.info[k], rk.info[0], `system ${k} info`);
      assert.ok(Math.abs(r.iterations[k] - rk.iterations[0]) <= 1, `system ${k} iterations`);
      const xk = (await hostOf(r.x as A)).subarray(k * n, (k + 1) * n);
      assertClose(xk, await hostOf(rk.x as A), `system ${k} x`, 1e-3, 1e-5);
    }
  });

  Deno.test("webgpu cg hook: x0 is used and not modified; exact x0 takes 0 iterations", async () => {
    const A = poisson2d(8, 8, { xp, ...f32 });
    const b = xp.ones([64], f32);
    const x0h = Array.from({ length: 64 }, (_, i) => (i % 7) / 7);
    const x0 = xp.asarray(x0h, f32);
    const { fast, slow } = await both(A, b, { rtol: 1e-6, x0 });
    assert.deepEqual(Array.from(await hostOf(x0)), x0h.map((v) => Math.fround(v)), "x0 intact");
    assert.equal(fast.info[0], 0);
    assert.ok(Math.abs(fast.iterations[0] - slow.iterations[0]) <= 1);
    assertClose(await hostOf(fast.x as A), await hostOf(slow.x as A), "x", 1e-3, 1e-5);
    const again = await cg(A, b, { rtol: 1e-3, x0: fast.x as A });
    assert.equal(again.iterations[0], 0);
    assert.equal(again.info[0], 0);
  });

  Deno.test("webgpu cg hook: maxiter = 1 gives info 1 and the first iterate", async () => {
    const A = poisson2d(6, 6, { xp, ...f32 });
    const b = xp.asarray(Array.from({ length: 36 }, (_, i) => 1 + (i % 3)), f32);
    const { fast, slow } = await both(A, b, { rtol: 1e-12, maxiter: 1 });
    assert.equal(fast.info[0], 1);
    assert.equal(fast.iterations[0], 1);
    assertClose(await hostOf(fast.x as A), await hostOf(slow.x as A), "x1", 1e-5, 1e-6);
    const three = await cg(A, b, { rtol: 1e-12, maxiter: 3 });
    assert.equal(three.info[0], 3);
  });

  Deno.test("webgpu cg hook: a breakdown (Inf/NaN mid-solve) is -12 for that system only", async () => {
    // system 0 SPD, system 1 indefinite with pᴴAp = 0 at the first step → α = ∞ → NaN
    const A = csrArray(
      {
        data: xp.reshape(xp.asarray([1, 2, 3, 4, 1, -1, 1, -1], f32), [2, 4]),
        indices: [0, 1, 2, 3],
        indptr: [0, 1, 2, 3, 4],
      },
      { shape: [2, 4, 4], xp },
    );
    const b = xp.ones([2, 4], f32);
    const r = await cg(A, b, { rtol: 1e-6, maxiter: 20 });
    assert.ok(xp.solvers.lastCgStats !== null);
    assert.equal(r.info[0], 0);
    assert.ok(r.iterations[0] <= 5);
    assert.equal(r.info[1], -12);
    assert.equal(r.iterations[1], 1);
    const x = await hostOf(r.x as A);
    assertClose(x.subarray(0, 4), [1, 0.5, 1 / 3, 0.25], "healthy system", 1e-5, 1e-6);
  });

  Deno.test("webgpu cg hook: NaN/Inf in A or b is a RangeError naming the input", async () => {
    const A = poisson1d(12, { xp, ...f32 });
    const bad = csrArray(
      {
        data: xp.asarray([NaN, ...Array.from(await hostOf(A.data as A)).slice(1)], f32),
        indices: A.indices,
        indptr: A.indptr,
      },
      { shape: [12, 12], xp },
    );
    await assert.rejects(() => cg(bad, xp.ones([12], f32), {}), (e: unknown) => {
      assert.ok(e instanceof RangeError, String(e));
      assert.match((e as Error).message, /A contains NaN or Inf/);
      return true;
    });
    const bb = xp.asarray([1, 1, Infinity, 1, 1, 1, 1, 1, 1, 1, 1, 1], f32);
    await assert.rejects(() => cg(A, bb, {}), /b contains NaN or Inf/);
  });

  Deno.test("webgpu cg hook: history and onProgress", async () => {
    const A = poisson2d(7, 9, { xp, ...f32 });
    const b = xp.reshape(xp.asarray(Array.from({ length: 126 }, (_, i) => (i % 5) - 2), f32), [
      2,
      63,
    ]);
    const seen: { iteration: number; active: number; res: number }[] = [];
    const fast = await cg(A, b, {
      rtol: 1e-6,
      history: true,
      onProgress: (p) =>
        seen.push({ iteration: p.iteration, active: p.active, res: p.residualNorm[0] }),
    });
    const slow = await cg(aslinearoperator(A), b, { rtol: 1e-6, history: true });
    const hf = fast.residualHistory!, hs = slow.residualHistory!;
    assert.equal(hf.length, 2);
    const maxIts = Math.max(...fast.iterations);
    assert.equal(hf[0].length, maxIts + 1, "one row per iteration up to the last active one");
    for (let k = 0; k < 2; k++) {
      const m = Math.min(hf[k].length, hs[k].length);
      assertClose(hf[k].subarray(0, m), hs[k].subarray(0, m), `history ${k}`, 2e-3, 1e-5);
      // frozen after its own convergence
      const its = fast.iterations[k];
      for (let t = its; t < hf[k].length; t++) assert.equal(hf[k][t], hf[k][its]);
    }
    assert.ok(seen.length >= 1);
    assert.equal(seen[seen.length - 1].active, 0);
    assert.ok(seen.every((s, i) => i === 0 || s.iteration > seen[i - 1].iteration));
  });

  Deno.test("webgpu cg hook: unsupported problems return null; memory is released", async () => {
    const A = poisson1d(16, { xp, ...f32 });
    const d = A.toCsrData();
    const problem = {
      a: { ...d, layout: "stacked" as const },
      indptrHost: A.indptr,
      indicesHost: A.indices,
      b: xp.ones([16], f32),
      x0: null,
      minv: null,
      batch: [],
      rtol: 1e-5,
      atol: 0,
      maxiter: 10,
      history: false,
      finite: [],
    };
    assert.equal(xp.solvers.cg(problem), null);
    // float16 values are left to the portable loop
    if (xp.__array_namespace_info__().dtypes()["float16"]) {
      const h = { ...d, data: xp.astype(d.data, "float16") };
      assert.equal(
        xp.solvers.cg({ ...problem, a: h, b: xp.ones([16], { dtype: "float16" }) }),
        null,
      );
    }
    // the hook itself leaves no GPU memory behind besides its result x (CSR storage: no cached
    // DIA copy; called directly, so cg's own preparation is not measured)
    xp.solvers.tuning = { format: "csr" };
    await xp.sync();
    const before = xp.stats().liveBytes;
    const bx = xp.asarray(Array.from({ length: 16 }, (_, i) => i % 3), f32);
    const res = await xp.solvers.cg({ ...problem, a: d, b: bx, maxiter: 100 })!;
    assert.equal(res.info[0], 0);
    assert.ok(res.iterations[0] > 0);
    xp.dispose(res.x, bx);
    assert.equal(xp.stats().liveBytes, before, "GPU bytes leaked by the fused cg");
    xp.solvers.tuning = {};
  });
}

function rowOf(indptr: Int32Array, k: number): number {
  let lo = 0, hi = indptr.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (indptr[mid] <= k) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
