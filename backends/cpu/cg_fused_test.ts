// The fused CPU CG (`solvers.cg`, backends/cpu/_cg.ts): the diagonal-table path must give the
// same iterates, iteration counts and codes as the offset-run path (and the run path as the
// dense reference), with and without code generation, for every shape of problem it accepts.
import assert from "node:assert/strict";
import { cpu } from "./mod.ts";
import type { CpuArray } from "./cpu_array.ts";
import { cgTuning } from "./_cg.ts";
import { diagonalPattern, MAX_DIAGONALS, offsetRuns } from "./_csr.ts";
import { setCodegenForTesting } from "./_kernel.ts";
import { cg } from "../../linalg/cg.ts";
import { jacobi } from "../../linalg/jacobi.ts";
import { csrArray } from "../../sparse/csr_array.ts";
import { poisson2d } from "../../sparse/gallery.ts";
import type { SolveResult } from "../../linalg/types.ts";

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

type Dt = "float64" | "float32";

function vec(len: number, seed: number, dtype: Dt, shape: number[] = [len]): CpuArray {
  const r = rng(seed);
  const a = Float64Array.from({ length: len }, () => r() - 0.5);
  return cpu.reshape(cpu.asarray(a, { dtype }), shape);
}

/** Solves with every path of the fused CG — lockstep offset runs (the reference), the
 * system-by-system order, the diagonal table (plain and lagged direction) — checks that they
 * agree bitwise, and returns [reference, diagonal table]. */
async function both(
  run: () => Promise<SolveResult<CpuArray>>,
): Promise<[SolveResult<CpuArray>, SolveResult<CpuArray>]> {
  cgTuning.diagonals = false;
  cgTuning.systemMajor = false;
  try {
    const ref = await run();
    cgTuning.systemMajor = true;
    const major = await run();
    assertSame(ref, major, "system by system");
    cgTuning.diagonals = true;
    cgTuning.lag = true; // the fused-direction variant must agree as well
    const lagged = await run();
    cgTuning.lag = false;
    const res = await run();
    assertSame(ref, lagged, "lagged direction");
    return [ref, res];
  } finally {
    cgTuning.diagonals = false;
    cgTuning.lag = false;
    cgTuning.systemMajor = true;
  }
}

function assertSame(a: SolveResult<CpuArray>, b: SolveResult<CpuArray>, what: string): void {
  assert.deepEqual(b.iterations, a.iterations, `${what}: iterations`);
  assert.deepEqual(b.info, a.info, `${what}: info`);
  assert.deepEqual(b.x.data, a.x.data, `${what}: x (bitwise)`);
  assert.deepEqual(b.residualNorm, a.residualNorm, `${what}: residual norms`);
  assert.deepEqual(b.residualHistory, a.residualHistory, `${what}: history`);
}

Deno.test("diagonalPattern: offsets, slots, halo; null where a table would not pay or reorder", () => {
  // tridiagonal 4×4
  const ip = Int32Array.from([0, 2, 5, 8, 10]);
  const ix = Int32Array.from([0, 1, 0, 1, 2, 1, 2, 3, 2, 3]);
  const d = diagonalPattern(ip, ix, 4)!;
  assert.deepEqual([...d.offs], [-1, 0, 1]);
  assert.deepEqual([...d.slot], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(d.halo, 1);
  // unsorted / duplicate columns in a row: the table would change the summation order
  const ip2 = Int32Array.from([0, 2, 4, 6, 8]);
  assert.equal(diagonalPattern(ip2, Int32Array.from([1, 0, 0, 1, 1, 2, 2, 3]), 4), null);
  assert.equal(diagonalPattern(ip2, Int32Array.from([0, 0, 0, 1, 1, 2, 2, 3]), 4), null);
  // a random pattern: too many offsets
  const M = 200, r = rng(5), ipr = [0], ixr: number[] = [];
  for (let i = 0; i < M; i++) {
    const cols = [...new Set([i, ...Array.from({ length: 3 }, () => Math.floor(r() * M))])];
    ixr.push(...cols.sort((a, b) => a - b));
    ipr.push(ixr.length);
  }
  assert.equal(diagonalPattern(Int32Array.from(ipr), Int32Array.from(ixr), M), null);
  assert.ok(MAX_DIAGONALS >= 27); // 27-point stencils fit
  // sparse fill: offsets {0, 50} on 100 rows but only one row uses 50
  const ip3 = Int32Array.from({ length: 101 }, (_, i) => i + (i > 0 ? 1 : 0));
  const ix3 = Int32Array.from([0, 50, ...Array.from({ length: 99 }, (_, i) => i + 1)]);
  assert.equal(diagonalPattern(ip3, ix3, 100), null);
});

Deno.test("fused cg: a random pattern with no offset runs solves correctly (dense reference)", async () => {
  // SPD: random symmetric off-diagonal pattern + dominant diagonal; no row shares its offsets
  // with its neighbours, so offsetRuns finds nothing (the run kernel's body is empty).
  const n = 60, r = rng(11);
  const A: number[][] = Array.from({ length: n }, () => new Array(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < 3; t++) {
      const j = Math.floor(r() * n);
      if (j === i) continue;
      const v = r() - 0.5;
      A[i][j] += v;
      A[j][i] += v;
    }
  }
  for (let i = 0; i < n; i++) A[i][i] = 4 + A[i].reduce((s, v) => s + Math.abs(v), 0);
  const S = csrArray(A);
  assert.equal(offsetRuns(S.indptr, S.indices, n), null);
  assert.equal(diagonalPattern(S.indptr, S.indices, n), null);
  const xs = Array.from({ length: n }, (_, i) => Math.sin(i + 1));
  const b = cpu.asarray(A.map((row) => row.reduce((s, v, j) => s + v * xs[j], 0)));
  for (const codegen of [true, false]) {
    setCodegenForTesting(codegen);
    try {
      const res = await cg(S, b, { rtol: 1e-12 });
      assert.equal(res.info[0], 0);
      const x = res.x.data;
      for (let i = 0; i < n; i++) assert.ok(Math.abs(x[i] - xs[i]) < 1e-9, `x[${i}] = ${x[i]}`);
      assert.ok(res.residualNorm[0] < 1e-10);
    } finally {
      setCodegenForTesting(undefined);
    }
  }
});

for (const dtype of ["float64", "float32"] as const) {
  for (const codegen of [true, false]) {
    const tag = `${dtype}${codegen ? "" : ", no codegen"}`;

    Deno.test(`fused cg: diagonal table = offset runs, batch of Poisson (${tag})`, async () => {
      setCodegenForTesting(codegen);
      try {
        const A = poisson2d(9, 7, { dtype });
        const n = 63;
        const B = vec(5 * n, 1, dtype, [5, n]);
        // one zero right-hand side (x = 0, 0 iterations)
        B.data.fill(0, 2 * n, 3 * n);
        const [a, b] = await both(() => cg(A, B, { rtol: 1e-6, history: true }));
        assertSame(a, b, "poisson batch");
        assert.equal(b.iterations[2], 0);
        assert.ok(b.iterations[0] > 5);
        // iteration limit and x0
        const x0 = vec(5 * n, 2, dtype, [5, n]);
        const [c, d] = await both(() => cg(A, B, { rtol: 1e-10, maxiter: 7, x0 }));
        assertSame(c, d, "maxiter + x0");
        assert.equal(d.info[0], 7);
      } finally {
        setCodegenForTesting(undefined);
      }
    });

    Deno.test(`fused cg: diagonal table = offset runs, Jacobi and batched values (${tag})`, async () => {
      setCodegenForTesting(codegen);
      try {
        // per-system values on one pattern (a 1-D operator: halo 1 and 3-wide band)
        const n = 40, nb = 3, r = rng(3);
        const ip = [0], ix: number[] = [];
        for (let i = 0; i < n; i++) {
          for (const j of [i - 3, i - 1, i, i + 1, i + 3]) if (j >= 0 && j < n) ix.push(j);
          ip.push(ix.length);
        }
        const nnz = ix.length;
        const vals = new Float64Array(nb * nnz);
        for (let s = 0; s < nb; s++) {
          for (let i = 0; i < n; i++) {
            for (let k = ip[i]; k < ip[i + 1]; k++) {
              vals[s * nnz + k] = ix[k] === i ? 5 + s + r() : -0.5 - 0.3 * Math.abs(ix[k] - i) / 3;
            }
          }
          // symmetrise
          for (let i = 0; i < n; i++) {
            for (let k = ip[i]; k < ip[i + 1]; k++) {
              const j = ix[k];
              if (j <= i) continue;
              for (let k2 = ip[j]; k2 < ip[j + 1]; k2++) {
                if (ix[k2] === i) vals[s * nnz + k2] = vals[s * nnz + k];
              }
            }
          }
        }
        const A = csrArray({
          data: cpu.reshape(cpu.asarray(vals, { dtype }), [nb, nnz]),
          indices: ix,
          indptr: ip,
        }, { shape: [nb, n, n] });
        assert.deepEqual(A.shape, [nb, n, n]);
        const B = vec(nb * n, 4, dtype, [nb, n]);
        const M = jacobi(A);
        const [a, b] = await both(() => cg(A, B, { rtol: 1e-7, M, history: true }));
        assertSame(a, b, "batched values + batched Jacobi");
        assert.ok(b.info.every((v) => v === 0));
        // shared diagonal (one system's Jacobi for an unbatched A)
        const A1 = poisson2d(6, 5, { dtype });
        const M1 = jacobi(A1);
        const [c, d] = await both(() =>
          cg(A1, vec(3 * 30, 5, dtype, [3, 30]), { rtol: 1e-7, M: M1 })
        );
        assertSame(c, d, "shared Jacobi");
      } finally {
        setCodegenForTesting(undefined);
      }
    });
  }
}

Deno.test("fused cg: non-finite values are reported per system (diagonal path)", async () => {
  const A = poisson2d(5, 5);
  const B = vec(2 * 25, 7, "float64", [2, 25]);
  await assert.rejects(
    () => {
      B.data[30] = NaN;
      return cg(A, B);
    },
    (e: unknown) => e instanceof RangeError && /NaN or Inf.*system: 1/.test(e.message),
  );
});
