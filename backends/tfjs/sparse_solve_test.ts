/**
 * Tests of sparseSolve (tfjs CPU backend, float32): gradients through `tf.grads` against
 * central finite differences of the same tfjs forward, for cg (SPD matrices assembled
 * symmetrically from parameters by tf ops) and gmres (nonsymmetric), unbatched and batched (with
 * broadcasting); no tensor leaks; non-convergence and bad input are typed errors.
 */
import * as tf from "npm:@tensorflow/tfjs@4.22.0";
import assert from "node:assert/strict";
import { gmresSync } from "../../linalg/gmres.ts";
import { csrArray } from "../../sparse/csr_array.ts";
import { cpu } from "../cpu/mod.ts";
import { sparseSolve } from "./sparse_solve.ts";

await tf.setBackend("cpu");

/** Deterministic uniform numbers in [lo, hi). */
function rand(n: number, seed: number, lo = -1, hi = 1): number[] {
  let s = (seed * 2654435761) >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + (hi - lo) * (s / 2 ** 32);
  });
}

const N = 9;
/** Tridiagonal plus the symmetric pair (i, i ± 3); `sym[k]` numbers the unordered pair. */
function pattern() {
  const indptr = [0], indices: number[] = [], pairs: [number, number][] = [];
  for (let i = 0; i < N; i++) {
    for (const j of [i - 3, i - 1, i, i + 1, i + 3]) {
      if (j < 0 || j >= N) continue;
      pairs.push([i, j]);
      indices.push(j);
    }
    indptr.push(indices.length);
  }
  const keys = new Map<string, number>();
  const sym = pairs.map(([i, j]) => {
    const key = i < j ? `${i},${j}` : `${j},${i}`;
    if (!keys.has(key)) keys.set(key, keys.size);
    return keys.get(key)!;
  });
  const diag = [...keys.keys()].map((k) => k.split(",")[0] === k.split(",")[1]);
  return { indptr, indices, pairs, sym, nSym: keys.size, diag };
}
const P = pattern();
const NNZ = P.indices.length;
const PATTERN = { indptr: P.indptr, indices: P.indices, shape: [N, N] };

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

/** Central differences of `f` at `p` (float64 host values, evaluated by `f` in float32). */
function fd(f: (p: number[]) => number, p: number[], h: number): number[] {
  return p.map((_, k) => {
    const a = p.slice(), b = p.slice();
    a[k] += h;
    b[k] -= h;
    return (f(a) - f(b)) / (2 * h);
  });
}

interface Case {
  name: string;
  /** Batch shape of the parameters (hence of data). */
  pBatch: number[];
  bShape: number[];
}
const CASES: Case[] = [
  { name: "unbatched", pBatch: [], bShape: [N] },
  { name: "batched", pBatch: [2], bShape: [2, N] },
  { name: "b broadcast against data", pBatch: [2], bShape: [N] },
  { name: "data broadcast against b", pBatch: [], bShape: [3, N] },
];
const size = (s: number[]) => s.reduce((p, d) => p * d, 1);

function runCase(method: "cg" | "gmres", c: Case): void {
  const opts = { method, rtol: 1e-6, maxiter: 200 } as const;
  const solve = sparseSolve(tf, PATTERN, opts);
  // parameters: cg: one value per unordered pair (A symmetric, diagonally dominant);
  // gmres: one value per stored entry (nonsymmetric)
  const perMat = method === "cg" ? P.nSym : NNZ;
  const params: number[] = [];
  for (let m = 0; m < size(c.pBatch); m++) {
    const r = rand(perMat, 10 + m, -1, 1);
    for (let k = 0; k < perMat; k++) {
      const isDiag = method === "cg" ? P.diag[k] : P.pairs[k][0] === P.pairs[k][1];
      params.push(isDiag ? 5 + 0.5 * r[k] : method === "cg" ? -0.5 - 0.4 * r[k] : r[k]);
    }
  }
  const bVals = rand(size(c.bShape), 77);
  const outShape = c.pBatch.length >= c.bShape.length - 1 && c.pBatch.length > 0
    ? [...c.pBatch, N]
    : c.bShape;
  const w = tf.tensor(rand(size(outShape), 5), outShape);
  const symIdx = tf.tensor1d(P.sym, "int32");
  const toData = (p: tf.Tensor) => method === "cg" ? tf.gather(p, symIdx, p.rank - 1) : p;
  const loss = (p: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(w, solve(toData(p), b)));

  const p = tf.tensor(params, [...c.pBatch, perMat]);
  const b = tf.tensor(bVals, c.bShape);
  const [gp, gb] = tf.grads(loss)([p, b]);
  assert.deepEqual(gp.shape, p.shape);
  assert.deepEqual(gb.shape, b.shape);
  const evalAt = (pv: number[], bv: number[]) =>
    tf.tidy(() =>
      loss(tf.tensor(pv, [...c.pBatch, perMat]), tf.tensor(bv, c.bShape)).dataSync()[0]
    );
  const fdP = fd((pv) => evalAt(pv, bVals), params, 1e-2);
  const fdB = fd((bv) => evalAt(params, bv), bVals, 1e-2);
  const eP = relErr(gp.dataSync(), fdP), eB = relErr(gb.dataSync(), fdB);
  assert.ok(eP < 1e-2, `${method} ${c.name}: ∂L/∂params relative error ${eP}`);
  assert.ok(eB < 1e-2, `${method} ${c.name}: ∂L/∂b relative error ${eB}`);
  tf.dispose([gp, gb, p, b, w, symIdx]);
  solve.dispose();
}

for (const method of ["cg", "gmres"] as const) {
  for (const c of CASES) {
    Deno.test(`sparseSolve ${method}: ${c.name}, tf.grads matches central differences`, () => {
      runCase(method, c);
    });
  }
}

Deno.test("sparseSolve: the forward solution matches a float64 CPU solve", () => {
  const data = rand(NNZ, 3).map((v, k) => (P.pairs[k][0] === P.pairs[k][1] ? 5 + v : v));
  const bv = rand(N, 4);
  const solve = sparseSolve(tf, PATTERN, { rtol: 1e-6 });
  const x = tf.tidy(() => solve(tf.tensor1d(data), tf.tensor1d(bv)));
  const A = csrArray({ indptr: P.indptr, indices: P.indices, data }, { shape: [N, N] });
  const ref = cpu.toHostSync(gmresSync(A, cpu.asarray(bv), { rtol: 1e-13, atol: 0 }).x);
  assert.ok(relErr(x.dataSync(), ref) < 1e-5);
  assert.ok(solve.stats.forwardIterations![0] > 0);
  x.dispose();
  solve.dispose();
});

Deno.test("sparseSolve: no tensor leaks (valueAndGrad step; dispose releases the caches)", () => {
  const before = tf.memory().numTensors;
  for (const method of ["cg", "gmres"] as const) {
    const solve = sparseSolve(tf, PATTERN, { method, rtol: 1e-6 });
    const init = tf.tensor1d([...Array(P.nSym)].map((_, k) => (P.diag[k] ? 5 : -0.5)));
    const p = tf.variable(init);
    init.dispose();
    const symIdx = tf.tensor1d(P.sym, "int32");
    const b = tf.ones([2, N]);
    const step = () => {
      const { value, grads } = tf.variableGrads(() =>
        tf.sum(tf.square(solve(tf.gather(p, symIdx), b))) as tf.Scalar
      );
      value.dispose();
      tf.dispose(grads);
    };
    step(); // builds the cached index tensors of the pattern
    const mid = tf.memory().numTensors;
    step();
    step();
    assert.equal(tf.memory().numTensors, mid, `${method}: tensors leaked per step`);
    // forward only, inside and outside tidy
    tf.tidy(() => {
      solve(tf.gather(p, symIdx), b);
    });
    assert.equal(tf.memory().numTensors, mid);
    solve.dispose();
    tf.dispose([p, symIdx, b]);
  }
  assert.equal(tf.memory().numTensors, before, "dispose() released everything");
});

Deno.test("sparseSolve: one tape node however many iterations (customGrad)", () => {
  // the number of tensors alive while the tape is recorded does not grow with the iteration
  // count: run one solve needing few iterations and one needing many, under tf.grad
  const solve = sparseSolve(tf, PATTERN, { method: "cg", rtol: 1e-6 });
  const symIdx = tf.tensor1d(P.sym, "int32");
  const count = (offDiag: number) => {
    const p = tf.tensor1d([...Array(P.nSym)].map((_, k) => (P.diag[k] ? 5 : offDiag)));
    let during = 0;
    const g = tf.grad((q: tf.Tensor) => {
      const y = tf.sum(solve(tf.gather(q, symIdx), tf.ones([N])));
      during = tf.memory().numTensors;
      return y;
    })(p);
    const its = solve.stats.forwardIterations![0];
    tf.dispose([p, g]);
    return { during, its };
  };
  count(-0.1); // warm the caches
  const easy = count(-0.1), hard = count(-1.6);
  assert.ok(hard.its > easy.its + 3, `iterations ${easy.its} vs ${hard.its}`);
  assert.equal(hard.during, easy.during);
  symIdx.dispose();
  solve.dispose();
});

Deno.test("sparseSolve: non-convergence is a RangeError, with nothing leaked", () => {
  const solve = sparseSolve(tf, PATTERN, { method: "cg", rtol: 1e-7, maxiter: 2 });
  const data = tf.tensor1d(P.pairs.map(([i, j]) => (i === j ? 4 : -1)));
  const b = tf.tensor1d(rand(N, 1));
  solve.dispose();
  const before = tf.memory().numTensors;
  assert.throws(
    () => tf.grad((d: tf.Tensor) => tf.sum(solve(d, b)))(data),
    (e: unknown) => e instanceof RangeError && /did not converge.*info 2/.test(e.message),
  );
  solve.dispose();
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([data, b]);
});

Deno.test("sparseSolve: bad input is a typed error naming shapes and dtypes", () => {
  assert.throws(
    () => sparseSolve(tf, { ...PATTERN, shape: [N, N + 1] }),
    (e: unknown) => e instanceof RangeError && /\(9, 10\)/.test(e.message),
  );
  assert.throws(
    () => sparseSolve(tf, { indptr: [0, 1, 1], indices: [5], shape: [2, 2] }),
    RangeError,
  );
  assert.throws(
    () => sparseSolve({ ...tf, customGrad: undefined } as unknown as typeof tf, PATTERN),
    (e: unknown) => e instanceof TypeError && /customGrad/.test(e.message),
  );
  assert.throws(
    () => sparseSolve(tf, PATTERN, { method: "bicg" as "cg" }),
    (e: unknown) => e instanceof RangeError && /bicg/.test(e.message),
  );
  const d = tf.ones([NNZ]), b = tf.ones([N]);
  const before = tf.memory().numTensors;
  const solve = sparseSolve(tf, PATTERN);
  tf.tidy(() => {
    assert.throws(
      () => solve(tf.ones([NNZ - 1]), b),
      (e: unknown) => e instanceof RangeError && new RegExp(`\\(${NNZ - 1},\\)`).test(e.message),
    );
    assert.throws(
      () => solve(d, tf.ones([2, N + 1])),
      (e: unknown) => e instanceof RangeError && /\(2, 10\)/.test(e.message),
    );
    assert.throws(
      () => solve(tf.ones([NNZ], "int32"), b),
      (e: unknown) => e instanceof TypeError && /int32/.test(e.message),
    );
    assert.throws(
      () => solve(tf.ones([3, NNZ]), tf.ones([2, N])),
      (e: unknown) => e instanceof RangeError && /\(3\b|\(2\b/.test(e.message),
    );
  });
  solve.dispose(); // the pattern's cached index tensors
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([d, b]);
});

// a dense-reference check of ∂L/∂data = −λ xᵀ on the pattern (float64 CPU adjoint)
Deno.test("sparseSolve: gradients match the float64 adjoint formula", () => {
  const data = rand(NNZ, 6).map((v, k) => (P.pairs[k][0] === P.pairs[k][1] ? 6 + v : v));
  const bv = rand(N, 7);
  const solve = sparseSolve(tf, PATTERN, { rtol: 1e-7 });
  const [gd, gb] = tf.grads((d: tf.Tensor, b: tf.Tensor) => tf.sum(solve(d, b)))([
    tf.tensor1d(data),
    tf.tensor1d(bv),
  ]);
  const A = csrArray({ indptr: P.indptr, indices: P.indices, data }, { shape: [N, N] });
  const ref64 = (M: typeof A, rhs: ReturnType<typeof cpu.ones>) =>
    cpu.toHostSync(gmresSync(M, rhs, { rtol: 1e-13, atol: 0 }).x);
  const x = ref64(A, cpu.asarray(bv));
  const lam = ref64(A.T, cpu.ones([N]));
  const ref = P.pairs.map(([i, j]) => -lam[i] * x[j]);
  assert.ok(relErr(gd.dataSync(), ref) < 1e-4);
  assert.ok(relErr(gb.dataSync(), lam) < 1e-4);
  tf.dispose([gd, gb]);
  solve.dispose();
});
