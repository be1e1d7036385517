/**
 * Tests of solveVjp / solveVjpSync: gradients against central finite differences of
 * `L(data, b) = Σ w ⊙ x(data, b)` on the CPU backend in float64 (cg on SPD matrices, gmres on
 * nonsymmetric ones; unbatched, shared-pattern batches, b broadcast against A and A against b),
 * and the failure paths.
 */
import assert from "node:assert/strict";
import { cpu, type CpuArray } from "../backends/cpu/mod.ts";
import { type CsrArray, csrArray } from "../sparse/csr_array.ts";
import { cgSync } from "./cg.ts";
import { gmresSync } from "./gmres.ts";
import { solveVjp, solveVjpSync } from "./solve_vjp.ts";

const xp = cpu;

/** Deterministic uniform numbers in [lo, hi). */
function rand(n: number, seed: number, lo = -1, hi = 1): number[] {
  let s = (seed * 2654435761) >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + (hi - lo) * (s / 2 ** 32);
  });
}

const N = 9;

/** A fixed pattern on `N` rows: tridiagonal plus the symmetric pair (i, i+3). */
function pattern(): { indptr: number[]; indices: number[]; pairs: [number, number][] } {
  const indptr = [0], indices: number[] = [], pairs: [number, number][] = [];
  for (let i = 0; i < N; i++) {
    const cols = [i - 3, i - 1, i, i + 1, i + 3].filter((j) => j >= 0 && j < N);
    for (const j of cols) {
      pairs.push([i, j]);
      indices.push(j);
    }
    indptr.push(indices.length);
  }
  return { indptr, indices, pairs };
}
const P = pattern();
const NNZ = P.indices.length;

/** Values on the pattern: SPD (symmetric, diagonally dominant) or nonsymmetric. */
function values(kind: "spd" | "nonsym", seed: number): number[] {
  const r = rand(NNZ, seed, -1, 1);
  return P.pairs.map(([i, j], k) => {
    if (i === j) return 5 + 0.5 * r[k];
    if (kind === "spd") {
      // symmetric: the value depends on the unordered pair only
      const [a, b] = i < j ? [i, j] : [j, i];
      return -0.5 - 0.4 * rand(1, 1000 + 31 * a + b)[0];
    }
    return r[k];
  });
}

function arr(v: number[], shape: number[]): CpuArray {
  return xp.reshape(xp.asarray(v), shape);
}

function host(a: CpuArray): number[] {
  return Array.from(xp.toHostSync(a) as Float64Array);
}

function matrix(data: number[], batch: number[]): CsrArray<CpuArray> {
  return csrArray({
    indptr: P.indptr,
    indices: P.indices,
    data: arr(data, [...batch, NNZ]),
  }, { shape: [...batch, N, N] });
}

type Method = "cg" | "gmres";

/** L = Σ w ⊙ x for x = A(data)⁻¹ b, solved to near machine precision. */
function loss(
  method: Method,
  data: number[],
  dBatch: number[],
  b: number[],
  bShape: number[],
  w: number[],
): number {
  const A = matrix(data, dBatch);
  const bb = arr(b, bShape);
  const solve = method === "cg" ? cgSync : gmresSync;
  const r = solve(A, bb, { rtol: 1e-14, atol: 0, maxiter: 200 });
  assert.ok(r.info.every((i) => i === 0), `forward solve converged: ${r.info}`);
  const x = host(r.x);
  return x.reduce((s, v, i) => s + v * w[i], 0);
}

function relErr(a: number[], b: number[]): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

/** Central difference of `f` along `dir` at `p`. */
function fdDir(f: (p: number[]) => number, p: number[], dir: number[], h = 1e-5): number {
  return (f(p.map((v, i) => v + h * dir[i])) - f(p.map((v, i) => v - h * dir[i]))) / (2 * h);
}

/** Central differences of `f` along every coordinate. */
function fdAll(f: (p: number[]) => number, p: number[], h = 1e-5): number[] {
  return p.map((_, k) => fdDir(f, p, p.map((_, i) => (i === k ? 1 : 0)), h));
}

/** A random direction on the pattern that keeps A symmetric (cg perturbations). */
function symmetricDirection(seed: number): number[] {
  return P.pairs.map(([i, j]) => {
    const [a, b] = i < j ? [i, j] : [j, i];
    return rand(1, seed * 7919 + 131 * a + b)[0];
  });
}

interface Case {
  name: string;
  dBatch: number[];
  bShape: number[];
}

const CASES: Case[] = [
  { name: "unbatched", dBatch: [], bShape: [N] },
  { name: "shared-pattern batch", dBatch: [2], bShape: [2, N] },
  { name: "b broadcast against A's batch", dBatch: [2], bShape: [N] },
  { name: "A broadcast against b's batch", dBatch: [], bShape: [3, N] },
  { name: "broadcast both ways", dBatch: [2, 1], bShape: [3, N] },
];

function batchSize(s: number[]): number {
  return s.reduce((p, d) => p * d, 1);
}

function check(method: Method, c: Case, sync: boolean): Promise<void> | void {
  const nd = batchSize(c.dBatch);
  const data: number[] = [];
  for (let k = 0; k < nd; k++) data.push(...values(method === "cg" ? "spd" : "nonsym", 10 + k));
  const b = rand(batchSize(c.bShape), 77, -1, 1);
  const A = matrix(data, c.dBatch);
  const bb = arr(b, c.bShape);
  const solve = method === "cg" ? cgSync : gmresSync;
  const fwd = solve(A, bb, { rtol: 1e-14, atol: 0, maxiter: 200 });
  assert.ok(fwd.info.every((i) => i === 0));
  const w = rand(fwd.x.size, 5, -1, 1);
  const gx = arr(w, fwd.x.shape.slice());
  const opts = { method, rtol: 1e-14, atol: 0, maxiter: 200, bShape: c.bShape };
  const finish = (r: ReturnType<typeof solveVjpSync<CpuArray>>) => {
    assert.deepEqual(r.gb.shape, c.bShape);
    assert.deepEqual(r.gdata.shape, [...c.dBatch, NNZ]);
    assert.ok(r.info.every((i) => i === 0), `adjoint converged: ${r.info}`);
    const gb = host(r.gb), gdata = host(r.gdata);
    const Lb = (p: number[]) => loss(method, data, c.dBatch, p, c.bShape, w);
    const Ld = (p: number[]) => loss(method, p, c.dBatch, b, c.bShape, w);
    const eb = relErr(gb, fdAll(Lb, b));
    assert.ok(eb < 1e-6, `${method} ${c.name}: gb relative error ${eb}`);
    if (method === "gmres") {
      const ed = relErr(gdata, fdAll(Ld, data));
      assert.ok(ed < 1e-6, `${method} ${c.name}: gdata relative error ${ed}`);
    } else {
      // single entries of an SPD matrix cannot move alone (cg needs symmetry): directional
      // derivatives along symmetric perturbations of every batch member
      for (let s = 0; s < 3; s++) {
        const dir: number[] = [];
        for (let k = 0; k < nd; k++) dir.push(...symmetricDirection(s + 3 * k));
        const fd = fdDir(Ld, data, dir);
        const an = gdata.reduce((acc, g, i) => acc + g * dir[i], 0);
        const e = Math.abs(an - fd) / Math.abs(fd);
        assert.ok(e < 1e-6, `cg ${c.name}: directional derivative ${an} vs ${fd} (rel ${e})`);
      }
    }
    xp.dispose(r.gb, r.gdata);
  };
  if (sync) return finish(solveVjpSync(A, fwd.x, gx, opts));
  return solveVjp(A, fwd.x, gx, opts).then(finish);
}

for (const method of ["cg", "gmres"] as const) {
  for (const c of CASES) {
    Deno.test(`solveVjpSync ${method}: ${c.name} matches central differences`, () => {
      check(method, c, true);
    });
  }
  Deno.test(`solveVjp (async) ${method}: batched, matches central differences`, async () => {
    await check(method, CASES[2], false);
  });
}

Deno.test("solveVjpSync: gdata is −λ_i x_j on the pattern, gb = A⁻ᵀ gx (dense reference)", () => {
  const data = values("nonsym", 3);
  const A = matrix(data, []);
  const x = arr(rand(N, 8), [N]);
  const gx = arr(rand(N, 9), [N]);
  const r = solveVjpSync(A, x, gx, { rtol: 1e-14, atol: 0 });
  // dense Aᵀ λ = gx check
  const lam = host(r.gb), xs = host(x), g = host(gx), gd = host(r.gdata);
  const dense = Array.from({ length: N }, () => new Array(N).fill(0));
  P.pairs.forEach(([i, j], k) => (dense[i][j] = data[k]));
  for (let j = 0; j < N; j++) {
    let s = 0;
    for (let i = 0; i < N; i++) s += dense[i][j] * lam[i];
    assert.ok(Math.abs(s - g[j]) < 1e-12, `(Aᵀλ)[${j}] = ${s}, gx = ${g[j]}`);
  }
  P.pairs.forEach(([i, j], k) => assert.ok(Math.abs(gd[k] + lam[i] * xs[j]) < 1e-14));
});

Deno.test("solveVjpSync: failure paths are typed errors naming shapes and dtypes", () => {
  const A = matrix(values("spd", 1), []);
  const x = arr(rand(N, 2), [N]);
  assert.throws(
    () => solveVjpSync(A, x, arr(rand(N - 1, 2), [N - 1])),
    (e: unknown) => e instanceof RangeError && /\(8,\).*\(9,\)/.test(e.message),
  );
  assert.throws(
    () => solveVjpSync(A, arr(rand(N - 1, 2), [N - 1]), arr(rand(N - 1, 2), [N - 1])),
    (e: unknown) => e instanceof RangeError && /\(8,\)/.test(e.message),
  );
  // x's batch must hold A's batch
  const A2 = matrix([...values("spd", 1), ...values("spd", 2)], [2]);
  assert.throws(
    () => solveVjpSync(A2, x, x),
    (e: unknown) => e instanceof RangeError && /\(2,\)/.test(e.message),
  );
  assert.throws(
    () => solveVjpSync(A, x, x, { bShape: [4, N] }),
    (e: unknown) => e instanceof RangeError && /bShape \(4, 9\)/.test(e.message),
  );
  assert.throws(
    () => solveVjpSync(A, x, x, { method: "bicg" as "cg" }),
    (e: unknown) => e instanceof RangeError && /bicg/.test(e.message),
  );
  const dense = xp.eye(N);
  assert.throws(
    () => solveVjpSync(dense as unknown as CsrArray<CpuArray>, x, x),
    (e: unknown) => e instanceof TypeError && /CsrArray/.test(e.message),
  );
  const Ai = csrArray({ indptr: P.indptr, indices: P.indices, data: P.indices.map(() => 1) }, {
    shape: [N, N],
    dtype: "int32",
  });
  assert.throws(
    () => solveVjpSync(Ai, x, x),
    (e: unknown) => e instanceof TypeError && /int32/.test(e.message),
  );
  // a complex CsrArray (the CPU backend cannot build one: simulate its dtype)
  const Ac = Object.create(A, { dtype: { value: "complex128" } }) as CsrArray<CpuArray>;
  assert.throws(
    () => solveVjpSync(Ac, x, x),
    (e: unknown) => e instanceof TypeError && /complex128/.test(e.message),
  );
  const x32 = xp.astype(x, "float32");
  assert.throws(
    () => solveVjpSync(A, x32, x32),
    (e: unknown) => e instanceof TypeError && /float32.*float64/.test(e.message),
  );
  assert.throws(
    () => solveVjpSync(A, [1, 2] as unknown as CpuArray, x),
    (e: unknown) => e instanceof TypeError && /x must be an array/.test(e.message),
  );
  const rect = csrArray({ indptr: [0, 1, 1], indices: [0], data: [1] }, { shape: [2, 3] });
  assert.throws(
    () => solveVjpSync(rect, x, x),
    (e: unknown) => e instanceof RangeError && /\(2, 3\)/.test(e.message),
  );
});

Deno.test("solveVjpSync: a non-converged adjoint solve is reported in info", () => {
  const A = matrix(values("nonsym", 4), []);
  const x = arr(rand(N, 2), [N]);
  const r = solveVjpSync(A, x, x, { rtol: 1e-14, maxiter: 1, restart: 2 });
  assert.ok(r.info[0] > 0, `info ${r.info}`);
  assert.ok(r.residualNorm[0] > 1e-10);
});

Deno.test("solveVjpSync: stacked layout (different patterns) matches the shared layout", async () => {
  const { stackSparse } = await import("../sparse/stack_sparse.ts");
  const d0 = values("nonsym", 21), d1 = values("nonsym", 22);
  const S = stackSparse([matrix(d0, []), matrix(d1, [])]) as CsrArray<CpuArray>;
  const B = matrix([...d0, ...d1], [2]);
  const x = arr(rand(2 * N, 3), [2, N]);
  const gx = arr(rand(2 * N, 4), [2, N]);
  const rs = solveVjpSync(S, x, gx, { rtol: 1e-14, atol: 0 });
  const rb = solveVjpSync(B, x, gx, { rtol: 1e-14, atol: 0 });
  assert.ok(relErr(host(rs.gb), host(rb.gb)) < 1e-12);
  assert.ok(relErr(host(rs.gdata), host(rb.gdata)) < 1e-12);
});
