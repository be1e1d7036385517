// minres-specific tests (the cross-backend SciPy parity cases live in tests/isolve_cases.ts and
// tests/least_squares_cases.ts): SciPy's test_minres.py, shift, the preconditioner breakdown
// code, istop values, batches whose systems need very different iteration counts, options.
import assert from "node:assert/strict";
import { cpu as xp, type CpuArray } from "../backends/cpu/mod.ts";
import { poisson2d } from "../sparse/gallery.ts";
import { LinearOperator } from "./linear_operator.ts";
import { INFO_INDEFINITE_PRECONDITIONER, minres } from "./minres.ts";
import { INFO_NONFINITE } from "./types.ts";

interface Sample {
  A: number[][];
  b: number[];
  x0: number[];
  singular: { info: number; residual: number };
  nonDefaultX0: { a: number[][]; b: number[]; c: number[] };
  precondNonDefaultX0: { a: number[][]; b: number[]; c: number[]; m: number[][] };
  precondExactX0: { m: number[][] };
  shift: { x: number[] };
}
const sample = (JSON.parse(
  Deno.readTextFileSync(new URL("../tests/fixtures/least_squares.json", import.meta.url)),
) as { minresSample: Sample }).minresSample;

const host = async (a: CpuArray) => Float64Array.from(await xp.toHost(a));
const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, t) => s + t * t, 0));
function residual(A: number[][], b: number[], x: ArrayLike<number>, shift = 0): number {
  return norm(b.map((bi, i) => bi - A[i].reduce((s, a, j) => s + a * x[j], 0) + shift * x[i]));
}

Deno.test("minres: SciPy test_singular (row 0 zeroed)", async () => {
  const A = sample.A.map((r, i) => (i === 0 ? r.map(() => 0) : r));
  const b = sample.b.map((v, i) => (i === 0 ? 0 : v));
  const r = await minres(xp.asarray(A), xp.asarray(b));
  assert.equal(r.info[0], sample.singular.info);
  assert.ok(residual(A, b, await host(r.x)) <= 1e-5 * norm(b));
});

Deno.test("minres: SciPy test_x0_is_used_by", async () => {
  const first: Float64Array[] = [];
  const cb = async (x: CpuArray, it: number) => {
    if (it === 1) first.push(await host(x));
  };
  await minres(xp.asarray(sample.A), xp.asarray(sample.b), {
    x0: xp.asarray(sample.x0),
    callback: cb,
  });
  await minres(xp.asarray(sample.A), xp.asarray(sample.b), { callback: cb });
  assert.equal(first.length, 2);
  assert.ok(first[0].some((v, k) => v !== first[1][k]));
});

Deno.test("minres: SciPy test_shift, and shift with x0 solves the shifted system", async () => {
  const A = sample.A, b = sample.b;
  const shifted = A.map((r, i) => r.map((v, j) => (i === j ? v - 0.5 : v)));
  const r1 = await minres(xp.asarray(A), xp.asarray(b), { shift: 0.5 });
  const r2 = await minres(xp.asarray(shifted), xp.asarray(b));
  assert.equal(r1.info[0], 0);
  const x1 = await host(r1.x), x2 = await host(r2.x);
  for (let k = 0; k < 10; k++) assert.ok(Math.abs(x1[k] - x2[k]) <= 1e-5 * Math.abs(x2[k]) + 1e-12);
  // SciPy's own shifted iterate: same iteration count; the last (10th = n) step amplifies
  // rounding, so x agrees to ~1e-8 absolute, not to the last digit
  assert.equal(r1.iterations[0], 10);
  const xm = Math.max(...sample.shift.x.map(Math.abs));
  for (let k = 0; k < 10; k++) assert.ok(Math.abs(x1[k] - sample.shift.x[k]) <= 1e-6 * xm);
  // with x0, SciPy would solve (A − σI)x = b − σ·x0; we solve the stated system
  const r3 = await minres(xp.asarray(A), xp.asarray(b), {
    shift: 0.5,
    x0: xp.asarray(sample.x0),
    rtol: 1e-10,
  });
  assert.equal(r3.info[0], 0);
  const res = residual(A, b, await host(r3.x), 0.5);
  assert.ok(res <= 1e-8 * norm(b), `‖b − (A − σI)x‖ = ${res}`);
  assert.ok(Math.abs(r3.residualNorm[0] - res) <= 1e-12 * norm(b), "residualNorm uses the shift");
});

Deno.test("minres: SciPy test_asymmetric_fail (check: true) and symmetric checks", async () => {
  const A = sample.A.map((r) => r.slice());
  A[1][2] = 1;
  A[2][1] = 2;
  await assert.rejects(
    () => minres(xp.asarray(A), xp.asarray(sample.b), { check: true }),
    (e: Error) => e instanceof RangeError && /A does not look symmetric/.test(e.message),
  );
  // symmetric A and SPD M pass the check
  const m = sample.precondNonDefaultX0.m;
  const ok = await minres(xp.asarray(sample.A), xp.asarray(sample.b), { check: true });
  assert.equal(ok.info[0], 0);
  const a5 = sample.precondNonDefaultX0.a;
  const r = await minres(xp.asarray(a5), xp.asarray(sample.precondNonDefaultX0.b), {
    M: xp.asarray(m),
    check: true,
  });
  assert.equal(r.info[0], 0);
  // an asymmetric M is named, with the failing system of a batch
  const mBad = m.map((row) => row.slice());
  mBad[0][1] += 1;
  await assert.rejects(
    () =>
      minres(
        xp.asarray(a5),
        xp.asarray([sample.precondNonDefaultX0.b, sample.precondNonDefaultX0.c]),
        {
          M: xp.asarray(mBad),
          check: true,
        },
      ),
    (e: Error) =>
      e instanceof RangeError &&
      /preconditioner M does not look symmetric \(system 0\)/.test(e.message),
  );
});

Deno.test("minres: SciPy non-default x0 tests (with and without M, exact x0)", async () => {
  const rtol = 1e-6;
  const { a, b, c } = sample.nonDefaultX0;
  const r = await minres(xp.asarray(a), xp.asarray(b), { x0: xp.asarray(c), rtol });
  assert.ok(residual(a, b, await host(r.x)) <= rtol * norm(b));
  const p = sample.precondNonDefaultX0;
  const r2 = await minres(xp.asarray(p.a), xp.asarray(p.b), {
    M: xp.asarray(p.m),
    x0: xp.asarray(p.c),
    rtol,
  });
  assert.ok(residual(p.a, p.b, await host(r2.x)) <= rtol * norm(p.b));
  // exact x0: returned after 0 iterations
  const ones = new Array(10).fill(1);
  const r3 = await minres(xp.eye(10), xp.asarray(ones), {
    M: xp.asarray(sample.precondExactX0.m),
    x0: xp.asarray(ones),
    rtol,
  });
  assert.equal(r3.iterations[0], 0);
  assert.equal(r3.istop[0], 0);
  assert.deepEqual(Array.from(await host(r3.x)), ones);
});

Deno.test("minres: istop −1 with the exact inverse as preconditioner (one step)", async () => {
  const S = [[7, 1, 0], [1, 5, 2], [0, 2, 6]];
  const inv = xp.linalg.inv(xp.asarray(S));
  const r = await minres(xp.asarray(S), xp.asarray([1, 2, 3]), { M: inv, rtol: 1e-12 });
  assert.equal(r.istop[0], -1);
  assert.equal(r.info[0], 0);
  assert.equal(r.iterations[0], 1);
  assert.ok(r.residualNorm[0] <= 1e-13 * Math.sqrt(14));
});

Deno.test("minres: indefinite preconditioner → INFO_INDEFINITE_PRECONDITIONER per system", async () => {
  const n = 6;
  const A = Array.from(
    { length: n },
    (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 4 : Math.abs(i - j) === 1 ? -1 : 0)),
  );
  const b = Array.from({ length: n }, (_, i) => i + 1);
  // system 0: M = I; system 1: M = −I (rᵀM r < 0 at the start: SciPy raises)
  const M = xp.asarray([
    A.map((_, i) => A.map((_, j) => (i === j ? 1 : 0))),
    A.map((_, i) => A.map((_, j) => (i === j ? -1 : 0))),
  ]);
  const r = await minres(xp.asarray(A), xp.asarray(b), { M, rtol: 1e-10 });
  assert.equal(r.info[0], 0);
  assert.equal(r.info[1], INFO_INDEFINITE_PRECONDITIONER);
  assert.equal(r.iterations[1], 0);
  // indefinite M with r0ᵀM r0 > 0: the breakdown comes mid-iteration; x stays finite
  const D = xp.asarray([
    [1, 0, 0, 0, 0, 0],
    [0, -1, 0, 0, 0, 0],
    [0, 0, 1, 0, 0, 0],
    [0, 0, 0, 1, 0, 0],
    [0, 0, 0, 0, 1, 0],
    [0, 0, 0, 0, 0, 1],
  ]);
  const r2 = await minres(xp.asarray(A), xp.asarray([[1, 0, 0, 0, 0, 0], b]), {
    M: xp.stack([xp.eye(n), D]),
    rtol: 1e-10,
  });
  assert.equal(r2.info[0], 0);
  assert.equal(r2.info[1], INFO_INDEFINITE_PRECONDITIONER);
  assert.ok(r2.iterations[1] >= 1);
  assert.ok((await host(r2.x)).every(Number.isFinite));
});

Deno.test("minres: NaN from the operator → INFO_NONFINITE for that system only", async () => {
  const D = xp.asarray([[4, 1, 0], [1, 4, 1], [0, 1, 4]]);
  let calls = 0;
  const op = new LinearOperator({
    shape: [2, 3, 3],
    dtype: "float64",
    xp,
    matvec: (v: CpuArray) => {
      calls++;
      const y = xp.matmul(v, D);
      return calls >= 2 ? xp.add(y, xp.asarray([[0], [NaN]])) : y;
    },
  });
  const r = await minres(op, xp.asarray([[1, 2, 3], [1, 2, 3]]), { rtol: 1e-12 });
  assert.equal(r.info[1], INFO_NONFINITE);
  assert.equal(r.info[0], 0);
  const x = await host(r.x);
  assert.ok(x.every(Number.isFinite), "the broken system keeps its last finite iterate");
});

Deno.test("minres: batch where one system needs many more iterations", async () => {
  // system 0: 2-D Poisson (slow); system 1: the same operator times 0 plus 3·I (one step)
  const P = poisson2d(12); // 144 × 144
  const n = 144;
  const b = xp.reshape(xp.asarray(Array.from({ length: 2 * n }, (_, i) => Math.sin(i))), [2, n]);
  const shiftOp = new LinearOperator({
    shape: [2, n, n],
    dtype: "float64",
    xp,
    matvec: (v: CpuArray) => {
      const pv = P.matvec(v);
      return xp.where(xp.asarray([[true], [false]]), pv, xp.multiply(v, 3));
    },
  });
  const r = await minres(shiftOp, b, { rtol: 1e-10 });
  assert.deepEqual(Array.from(r.info), [0, 0]);
  assert.ok(r.iterations[0] > 20, `slow system: ${r.iterations[0]}`);
  assert.ok(r.iterations[1] <= 2, `fast system: ${r.iterations[1]}`);
  const one = await minres(P, xp.asarray(Array.from({ length: n }, (_, i) => Math.sin(i))), {
    rtol: 1e-10,
  });
  assert.equal(one.iterations[0], r.iterations[0]);
  const x = await host(r.x), x1 = await host(one.x);
  for (let k = 0; k < n; k++) assert.ok(Math.abs(x[k] - x1[k]) <= 1e-12 * norm(x1));
  const b1 = Array.from({ length: n }, (_, i) => Math.sin(n + i) / 3);
  for (let k = 0; k < n; k++) assert.ok(Math.abs(x[n + k] - b1[k]) <= 1e-12);
});

Deno.test("minres: maxiter → info = maxiter, istop 6; history, callback, onProgress", async () => {
  const P = poisson2d(8);
  const b = xp.ones([64]);
  const its: number[] = [];
  let progress = 0;
  const r = await minres(P, b, {
    rtol: 1e-12,
    maxiter: 7,
    history: true,
    callback: (_x, it) => void its.push(it),
    onProgress: (p) => {
      progress++;
      assert.equal(p.solver, "minres");
    },
  });
  assert.equal(r.info[0], 7);
  assert.equal(r.istop[0], 6);
  assert.equal(r.iterations[0], 7);
  assert.deepEqual(its, [1, 2, 3, 4, 5, 6, 7]);
  assert.ok(progress >= 1);
  const h = r.residualHistory![0];
  assert.equal(h.length, 8);
  assert.ok(Math.abs(h[0] - 8) <= 1e-12, `history[0] = ‖b‖ = 8, got ${h[0]}`);
  for (let k = 1; k < h.length; k++) {
    assert.ok(h[k] <= h[k - 1] * (1 + 1e-12), "MINRES is monotone");
  }
  // without M, phibar is the true residual norm in exact arithmetic
  const full = await minres(P, b, { rtol: 1e-10, history: true });
  const hf = full.residualHistory![0];
  assert.ok(Math.abs(hf[hf.length - 1] - full.residualNorm[0]) <= 1e-9 * 8);
  // the stopping test it reports: ‖r‖ ≤ rtol·‖A‖·‖x‖
  const xn = norm(await host(full.x));
  assert.equal(full.istop[0], 1);
  assert.ok(hf[hf.length - 1] <= 1e-10 * full.anorm[0] * xn);
  assert.ok(full.acond[0] >= 1);
});

Deno.test("minres: empty batch, b = 0, option errors", async () => {
  const A = xp.asarray([[2, 1], [1, 3]]);
  const e = await minres(A, xp.zeros([0, 2]));
  assert.deepEqual(e.x.shape, [0, 2]);
  assert.equal(e.info.length, 0);
  const z = await minres(A, xp.zeros([2]), { x0: xp.ones([2]) });
  assert.equal(z.info[0], 0);
  assert.equal(z.iterations[0], 0);
  assert.deepEqual(Array.from(await host(z.x)), [0, 0]);
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    () => minres(A, xp.ones([2]), { atol: 1e-3 } as any),
    (err: Error) => err instanceof TypeError && /atol/.test(err.message),
  );
  await assert.rejects(
    () => minres(A, xp.ones([2]), { shift: NaN }),
    (err: Error) => err instanceof RangeError && /shift/.test(err.message),
  );
  await assert.rejects(
    () => minres(xp.ones([2, 3]), xp.ones([2])),
    (err: Error) => err instanceof RangeError && /\(2, 3\)/.test(err.message),
  );
});
