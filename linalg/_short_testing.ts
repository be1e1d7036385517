// Shared solver-level tests of the short-recurrence solvers (bicg, bicgstab, cgs, qmr, tfqmr),
// registered by linalg/<solver>_test.ts: what the cross-backend parity suite does not cover
// (callbacks, history, heterogeneous batches, SciPy's maxiter/breakdown semantics on
// purpose-built systems, preconditioned parity, option errors). SciPy values were computed with
// SciPy 1.17.1 (the Python that produced each block is quoted above it).
import assert from "node:assert/strict";
import { cpu as xp, type CpuArray } from "../backends/cpu/mod.ts";
import { poisson1d, poisson2d } from "../sparse/gallery.ts";
import { csrArray } from "../sparse/csr_array.ts";
import { LinearOperator } from "./linear_operator.ts";
import { jacobi } from "./jacobi.ts";
import type { ProgressInfo, SolveResult } from "./types.ts";

/** A solver as the tests call it. */
export type ShortSolver = (
  // deno-lint-ignore no-explicit-any
  A: any,
  // deno-lint-ignore no-explicit-any
  b: any,
  // deno-lint-ignore no-explicit-any
  options?: any,
) => Promise<SolveResult<CpuArray>>;

/** How the shared tests treat a solver. */
export interface ShortSpec {
  /** SciPy's name. */
  readonly name: "bicg" | "bicgstab" | "cgs" | "qmr" | "tfqmr";
  readonly solve: ShortSolver;
  /** Needs `rmatvec` of A (bicg, qmr). */
  readonly adjoint: boolean;
  /** Preconditioner options for `M` (qmr: `{ M1: M }`). */
  readonly precond: (M: unknown) => Record<string, unknown>;
  /** Converged-at-the-last-iteration semantics (tfqmr tests after the update: info 0). */
  readonly convergedAtLast: boolean;
  /** `rtol` multiplies `‖r0‖` (tfqmr) instead of `‖b‖`. */
  readonly tolFromR0: boolean;
  /** SciPy's default maxiter for n unknowns. */
  readonly defaultMaxiter: (n: number) => number;
}

/** Host copy of an array. */
export async function host(a: CpuArray): Promise<Float64Array> {
  return Float64Array.from(await xp.toHost(a) as ArrayLike<number>);
}

/** Max-abs difference relative to max(1, max-abs of ref). */
export function rel(a: ArrayLike<number>, ref: ArrayLike<number>): number {
  let d = 0, m = 0;
  for (let i = 0; i < ref.length; i++) {
    d = Math.max(d, Math.abs(a[i] - ref[i]));
    m = Math.max(m, Math.abs(ref[i]));
  }
  return d / Math.max(m, 1);
}

function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

/** `‖b − A x‖` for a dense row-major A. */
export function residual(A: number[][], b: ArrayLike<number>, x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < A.length; i++) {
    let t = b[i];
    for (let j = 0; j < A[i].length; j++) t -= A[i][j] * x[j];
    s += t * t;
  }
  return Math.sqrt(s);
}

/** Dense rows of the tridiagonal nonsymmetric test matrix (diag 3 + i mod 5, −1.2, −0.6). */
export function convection(n: number): number[][] {
  const A = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    A[i][i] = 3 + (i % 5);
    if (i > 0) A[i][i - 1] = -1.2;
    if (i + 1 < n) A[i][i + 1] = -0.6;
  }
  return A;
}

const sinRhs = (n: number) => Array.from({ length: n }, (_, i) => Math.sin(i + 1));
const poissonDense = (n: number) =>
  Array.from(
    { length: n },
    (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 2 : Math.abs(i - j) === 1 ? -1 : 0)),
  );

/**
 * Purpose-built breakdowns (small integer systems found by searching SciPy's outcomes over
 * random integer matrices, kept where our arithmetic reproduces them), with SciPy's info,
 * callback count and x. Python:
 * `x, info = solver(A, b, rtol=1e-10, atol=0, callback=count)` (float64).
 */
export const BREAKDOWNS: readonly {
  solver: string;
  A: number[][];
  b: number[];
  info: number;
  iterations: number;
  x: number[];
}[] = [
  {
    solver: "bicg",
    A: [[-1, 1, -1], [0, 0, -1], [0, -1, -1]],
    b: [0, 2, 1],
    info: -10,
    iterations: 2,
    x: [1, 1, -2],
  },
  {
    solver: "bicg",
    A: [[0, 0, 0, -2], [2, -2, -1, -2], [-1, -2, 0, 0], [-1, -1, 0, 1]],
    b: [-1, 0, -1, 0],
    info: -11,
    iterations: 1,
    x: [2, 0, 2, 0],
  },
  { solver: "bicgstab", A: [[0, 2], [2, -2]], b: [0, 1], info: -10, iterations: 1, x: [0, -0.5] },
  {
    solver: "bicgstab",
    A: [[0, 0, 0, -2], [2, -2, -1, -2], [-1, -2, 0, 0], [-1, -1, 0, 1]],
    b: [-1, 0, -1, 0],
    info: -11,
    iterations: 1,
    x: [1.6666666666666667, -0.6666666666666666, 2.3333333333333335, 0.6666666666666666],
  },
  {
    solver: "cgs",
    A: [[-1, 1, -1], [0, 0, -1], [0, -1, -1]],
    b: [0, 2, 1],
    info: -10,
    iterations: 2,
    x: [1, 1, -2],
  },
  {
    solver: "cgs",
    A: [[-2, 0, 2], [2, -1, 1], [-2, -1, 0]],
    b: [2, 1, 0],
    info: -11,
    iterations: 2,
    x: [0.5600000000000002, -1.12, 1],
  },
  // qmr: SciPy's found small-system breakdowns (−14, −15, −12 above) trip on rounding noise
  // (ξ, ε ≈ 4e-16 vs the threshold eps) and are not reproducible; qmr_test.ts builds exact ones
  // with singular preconditioners, and the parity suite covers −14 on sym-nonpd.
  {
    solver: "qmr",
    A: [[2, 1, 2], [-2, 1, 2], [1, -1, 1]],
    b: [0, 0, -2],
    info: -13,
    iterations: 1,
    x: [0, 0, -0.22222222222222213],
  },
  {
    solver: "tfqmr",
    A: [[-2, 0, 2], [2, -1, 1], [-2, -1, 0]],
    b: [2, 1, 0],
    info: -1,
    iterations: 8,
    x: [-0.04374539103422677, -0.006243440232450631, 0.8674641693977914],
  },
];

/**
 * Jacobi-preconditioned nonsymmetric tridiagonal systems: SciPy's info and callback count for
 * n = 64 (rtol 1e-10), and the iterate after 3 iterations for n = 12 (rtol 1e-14). Python:
 * `A = sp.diags([-1.2*ones(n-1), 3+(i%5), -0.6*ones(n-1)], [-1,0,1]); b = sin(i+1);
 * M = diags(1/A.diagonal())`; `solver(A, b, M=M, ...)` (qmr: `M1=M, M2=eye`).
 */
export const PRECONDITIONED: Readonly<
  Record<string, { info: number; iterations: number; x3: number[] }>
> = {
  bicg: {
    info: 0,
    iterations: 18,
    x3: [
      0.34750396746537854,
      0.3379048085157184,
      0.08584340600360169,
      -0.13276098255652383,
      -0.1725408270497261,
      -0.1271051676312897,
      0.17007967887505324,
      0.25373384388287734,
      0.108891641096137,
      -0.09587797932170145,
      -0.42177950643267503,
      -0.25248388681662615,
    ],
  },
  bicgstab: {
    info: 0,
    iterations: 9,
    x3: [
      0.3498445831307437,
      0.34665989633069366,
      0.09659181483092505,
      -0.12379809606260425,
      -0.1692133721077166,
      -0.128257471258073,
      0.1632847286899615,
      0.25010070116062694,
      0.10920290708352137,
      -0.09526441450077347,
      -0.42376806600335554,
      -0.2611241413216833,
    ],
  },
  cgs: {
    info: 0,
    iterations: 9,
    x3: [
      0.3496929620953758,
      0.3465707307073683,
      0.09637718217670581,
      -0.12389953679945585,
      -0.16928290891142492,
      -0.1282772983727771,
      0.16323048091826745,
      0.2501894159800543,
      0.10924718718958568,
      -0.0952665790133655,
      -0.4235443163338216,
      -0.26120414823317645,
    ],
  },
  qmr: {
    info: 0,
    iterations: 18,
    x3: [
      0.34785527883563055,
      0.3364130829414737,
      0.08423535926297473,
      -0.13369007142767403,
      -0.17263854211734975,
      -0.12683970787990773,
      0.17135820323409864,
      0.25373502380676904,
      0.10822289224982998,
      -0.09600265509516097,
      -0.4219055629647484,
      -0.2499251679038827,
    ],
  },
  // tfqmr with right preconditioning (see tfqmr.ts): SciPy's tfqmr on the operator A·M, then
  // x = M y (SciPy's own tfqmr(A, b, M=M) returns a wrong x here: ‖b − A x‖ = 0.157‖b‖, info 0)
  tfqmr: {
    info: 0,
    iterations: 18,
    x3: [
      0.34985484026554375,
      0.3414055007189742,
      0.09660591367041914,
      -0.1260854040516383,
      -0.17004492065953772,
      -0.13121727889369444,
      0.16609174181694727,
      0.24966373591924215,
      0.11101049262168008,
      -0.09298264102164616,
      -0.42805829112854865,
      -0.2566532451283128,
    ],
  },
};

/** A sparse tridiagonal CSR array from dense rows. */
function csrOf(rows: number[][]): unknown {
  const data: number[] = [], indices: number[] = [], indptr = [0];
  rows.forEach((row) => {
    row.forEach((v, j) => {
      if (v !== 0) {
        data.push(v);
        indices.push(j);
      }
    });
    indptr.push(data.length);
  });
  return csrArray({ data: xp.asarray(data), indices, indptr }, {
    shape: [rows.length, rows.length],
  });
}

async function rejects(
  f: () => Promise<unknown>,
  cls: typeof TypeError | typeof RangeError,
  re: RegExp,
): Promise<void> {
  await assert.rejects(f, (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${String(e)}`);
    assert.match((e as Error).message, re);
    return true;
  });
}

/**
 * A shared-pattern batch of nonsymmetric 2-D convection–diffusion matrices
 * `A_k = P + 0.3 (E_east − E_west) + σ_k I` (σ = 4: easy; σ = 0 for the `hard` systems), and
 * a counter of `selectBatch` calls (batch compaction).
 */
export function mixedBatch(m: number, B: number, hard: readonly number[]) {
  const P = poisson2d(m);
  const n = m * m, nnz = P.nnz;
  const base = P.data.data as Float64Array;
  const data = new Float64Array(B * nnz);
  for (let k = 0; k < B; k++) {
    const sigma = hard.includes(k) ? 0 : 4;
    for (let i = 0; i < n; i++) {
      for (let q = P.indptr[i]; q < P.indptr[i + 1]; q++) {
        const j = P.indices[q];
        data[k * nnz + q] = base[q] +
          (j === i ? sigma : j === i + 1 ? 0.3 : j === i - 1 ? -0.3 : 0);
      }
    }
  }
  const A = P.withData(xp.reshape(xp.asarray(data), [B, nnz]));
  const counter = { selects: 0 };
  const select = A.selectBatch.bind(A);
  A.selectBatch = (index: Int32Array) => {
    counter.selects++;
    return select(index);
  };
  return { A, n, counter };
}

/** Registers the shared tests for one solver. */
export function registerShortTests(spec: ShortSpec): void {
  const { name, solve } = spec;

  Deno.test(`${name}: callback runs once per iteration with the batch iterate (sync, async)`, async () => {
    const b = xp.asarray([Array.from({ length: 40 }, (_, i) => i), sinRhs(40)]);
    const seen: number[] = [];
    const r = await solve(poisson1d(40), b, {
      rtol: 1e-8,
      callback: (x: CpuArray, it: number) => {
        assert.deepEqual(x.shape, [2, 40]);
        seen.push(it);
      },
    });
    assert.deepEqual(Array.from(r.info), [0, 0]);
    assert.deepEqual(seen, Array.from({ length: seen.length }, (_, i) => i + 1));
    const most = Math.max(...r.iterations);
    // one call per batched iteration (bicgstab: also the final half step SciPy does not report)
    assert.ok(seen.length === most || (name === "bicgstab" && seen.length === most + 1));
    let inside = false, calls = 0;
    const r2 = await solve(poisson1d(40), b, {
      rtol: 1e-8,
      callback: async () => {
        assert.equal(inside, false, "callbacks overlap: the solver did not await");
        inside = true;
        await new Promise((res) => setTimeout(res, 0));
        inside = false;
        calls++;
      },
    });
    assert.equal(calls, seen.length);
    assert.deepEqual(Array.from(r2.iterations), Array.from(r.iterations));
  });

  Deno.test(`${name}: history starts at the initial residual and ends below the threshold`, async () => {
    const n = 40;
    const bh = Array.from({ length: n }, (_, i) => i);
    const b = xp.asarray([bh, bh.map((v) => 2 * v)]);
    const rtol = 1e-8;
    const r = await solve(poisson1d(n), b, { rtol, history: true });
    assert.ok(r.residualHistory && r.residualHistory.length === 2);
    for (let k = 0; k < 2; k++) {
      const h = r.residualHistory[k];
      const bn = norm(bh) * (k + 1);
      assert.ok(Math.abs(h[0] - bn) <= 1e-12 * bn, `history starts at ${h[0]}, ‖b‖ = ${bn}`);
      assert.ok(h.length >= r.iterations[k] + 1);
      assert.ok(h[h.length - 1] < rtol * bn, `last history value ${h[h.length - 1]}`);
      assert.ok(r.residualNorm[k] <= 10 * rtol * bn);
    }
    // b₂ = 2 b₁: same iterations, history scaled by 2 (up to rounding)
    assert.equal(r.iterations[0], r.iterations[1]);
    const none = await solve(poisson1d(n), b, { rtol });
    assert.equal(none.residualHistory, undefined);
  });

  Deno.test(`${name}: heterogeneous batch equals separate solves, per-system counts`, async () => {
    const n = 20;
    const mats = [
      Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 2 : 0))),
      poissonDense(n),
      convection(n),
    ];
    const rhs = [new Array(n).fill(1), Array.from({ length: n }, (_, i) => i), sinRhs(n)];
    const A = xp.asarray(mats);
    const r = await solve(A, xp.asarray(rhs), { rtol: 1e-10 });
    const x = await host(r.x);
    assert.deepEqual(r.x.shape, [3, n]);
    for (let k = 0; k < 3; k++) {
      const one = await solve(xp.asarray(mats[k]), xp.asarray(rhs[k]), { rtol: 1e-10 });
      assert.equal(r.info[k], one.info[0], `system ${k} info`);
      assert.equal(r.iterations[k], one.iterations[0], `system ${k} iterations`);
      const d = rel(x.subarray(k * n, (k + 1) * n), await host(one.x));
      assert.ok(d <= 1e-12, `system ${k}: batched x differs from the separate solve by ${d}`);
      assert.ok(r.residualNorm[k] <= 1e-9 * norm(rhs[k]));
    }
    // the scaled identity converges in one or two iterations, the Poisson system in ~n
    assert.ok(r.iterations[0] <= 2 && r.iterations[1] >= n / 2, `${r.iterations}`);
  });

  Deno.test(`${name}: empty batches and n = 0`, async () => {
    const r = await solve(xp.eye(3), xp.ones([0, 3]));
    assert.deepEqual(r.x.shape, [0, 3]);
    assert.equal(r.info.length, 0);
    const r2 = await solve(xp.zeros([0, 3, 3]), xp.ones([3]), { history: true });
    assert.deepEqual(r2.x.shape, [0, 3]);
    assert.deepEqual(r2.residualHistory, []);
    const r3 = await solve(xp.zeros([0, 0]), xp.zeros([0]));
    assert.deepEqual(r3.x.shape, [0]);
    assert.deepEqual(Array.from(r3.info), [0]);
  });

  Deno.test(`${name}: b = 0 in one system of a batch returns x = 0 there`, async () => {
    const b = xp.asarray([new Array(10).fill(0), sinRhs(10)]);
    const r = await solve(xp.asarray(convection(10)), b, { rtol: 1e-10, x0: xp.ones([10]) });
    assert.deepEqual(Array.from(r.info), [0, 0]);
    assert.equal(r.iterations[0], 0);
    const x = await host(r.x);
    assert.ok(x.subarray(0, 10).every((v) => v === 0));
    assert.ok(r.residualNorm[1] <= 1e-9 * norm(sinRhs(10)) * 10);
  });

  Deno.test(`${name}: maxiter equal to the convergence count gives SciPy's info`, async () => {
    // SciPy tests convergence at the top of the next iteration (bicg, bicgstab, cgs, qmr): a
    // system that converges in exactly maxiter iterations still reports info = maxiter;
    // tfqmr tests right after the update and reports 0. (Checked with SciPy 1.17 on
    // poisson1d(40), b = arange(40), rtol 1e-8: bicg 40→40, bicgstab 43→43, cgs 40→40,
    // qmr 40→40, tfqmr 79→0.)
    const b = xp.asarray(Array.from({ length: 40 }, (_, i) => i));
    const r = await solve(poisson1d(40), b, { rtol: 1e-8 });
    assert.equal(r.info[0], 0);
    const k = r.iterations[0];
    const r2 = await solve(poisson1d(40), b, { rtol: 1e-8, maxiter: k });
    assert.equal(r2.iterations[0], k);
    assert.equal(r2.info[0], spec.convergedAtLast ? 0 : k);
    // (bicgstab may have converged at the half step of iteration k + 1, which is not counted)
    if (name !== "bicgstab") assert.deepEqual(await host(r2.x), await host(r.x));
    const r3 = await solve(poisson1d(40), b, { rtol: 1e-8, maxiter: 5 });
    assert.equal(r3.info[0], 5);
    assert.equal(r3.iterations[0], 5);
  });

  Deno.test(`${name}: breakdown codes as SciPy, alone and next to a healthy system`, async () => {
    const cases = BREAKDOWNS.filter((c) => c.solver === name);
    assert.ok(cases.length > 0);
    for (const c of cases) {
      const n = c.b.length;
      const r = await solve(xp.asarray(c.A), xp.asarray(c.b), { rtol: 1e-10, atol: 0 });
      const tag = `${JSON.stringify(c.A)}`;
      assert.equal(r.info[0], c.info, `${tag}: info`);
      assert.equal(r.iterations[0], c.iterations, `${tag}: iterations`);
      const d = rel(await host(r.x), c.x);
      assert.ok(d <= 1e-10, `${tag}: x differs from SciPy's by ${d}`);
      assert.ok(Math.abs(r.residualNorm[0] - residual(c.A, c.b, c.x)) <= 1e-10 * norm(c.b));
      // batched with a healthy diagonally dominant system: only the first breaks down
      const healthy = Array.from(
        { length: n },
        (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 5 : 1)),
      );
      const hb = Array.from({ length: n }, (_, i) => i + 1);
      const rb = await solve(xp.asarray([c.A, healthy]), xp.asarray([c.b, hb]), {
        rtol: 1e-10,
        atol: 0,
      });
      const alone = await solve(xp.asarray(healthy), xp.asarray(hb), { rtol: 1e-10, atol: 0 });
      assert.deepEqual(Array.from(rb.info), [c.info, 0], `${tag}: batched info`);
      assert.deepEqual(Array.from(rb.iterations), [c.iterations, alone.iterations[0]]);
      const xb = await host(rb.x);
      assert.ok(rel(xb.subarray(0, n), c.x) <= 1e-10);
      assert.ok(rel(xb.subarray(n), await host(alone.x)) <= 1e-12);
    }
  });

  Deno.test(`${name}: Jacobi-preconditioned nonsymmetric system matches SciPy`, async () => {
    const ref = PRECONDITIONED[name];
    const A = csrOf(convection(64));
    const r = await solve(A, xp.asarray(sinRhs(64)), {
      rtol: 1e-10,
      atol: 0,
      ...spec.precond(jacobi(A as never)),
    });
    assert.equal(r.info[0], ref.info);
    assert.ok(
      Math.abs(r.iterations[0] - ref.iterations) <= 1,
      `iterations ${r.iterations[0]} vs SciPy ${ref.iterations}`,
    );
    assert.ok(r.residualNorm[0] <= 1e-10 * norm(sinRhs(64)));
    const A12 = csrOf(convection(12));
    const r3 = await solve(A12, xp.asarray(sinRhs(12)), {
      rtol: 1e-14,
      atol: 0,
      maxiter: 3,
      ...spec.precond(jacobi(A12 as never)),
    });
    assert.equal(r3.info[0], 3);
    const d = rel(await host(r3.x), ref.x3);
    assert.ok(d <= 1e-12, `3rd iterate differs from SciPy's by ${d}`);
  });

  Deno.test(`${name}: batch compaction gives the same per-system results`, async () => {
    const B = 40, hard = [7, 31];
    const { A, n, counter } = mixedBatch(10, B, hard);
    const b = xp.reshape(xp.asarray(Float64Array.from({ length: B * n }, (_, i) => Math.sin(i))), [
      B,
      n,
    ]);
    for (const M of [undefined, jacobi(A)]) {
      const pre = M ? spec.precond(M) : {};
      const full = await solve(A, b, { rtol: 1e-10, compact: false, ...pre });
      assert.equal(counter.selects, 0);
      const comp = await solve(A, b, { rtol: 1e-10, ...pre });
      assert.ok(counter.selects >= 1, "the batch was never compacted");
      counter.selects = 0;
      assert.deepEqual(Array.from(comp.info), Array.from(full.info));
      assert.deepEqual(Array.from(comp.iterations), Array.from(full.iterations));
      for (const k of hard) {
        assert.ok(full.iterations[k] > 2 * full.iterations[0], `${full.iterations}`);
      }
      assert.deepEqual(comp.x.shape, [B, n]);
      const d = rel(await host(comp.x), await host(full.x));
      assert.ok(d <= 1e-12, `compacted x differs by ${d}`);
      for (let k = 0; k < B; k++) {
        assert.ok(Math.abs(comp.residualNorm[k] - full.residualNorm[k]) <= 1e-12);
      }
      // with a callback (defined on the full batch) nothing is compacted
      await solve(A, b, { rtol: 1e-10, callback: () => {}, ...pre });
      assert.equal(counter.selects, 0);
    }
    // a two-axis batch (4, 10) compacts over the flattened batch and comes back in shape
    const A2 = A.withData(xp.reshape(A.data, [4, 10, A.nnz]));
    const b2 = xp.reshape(b, [4, 10, n]);
    const full2 = await solve(A2, b2, { rtol: 1e-10, compact: false });
    const comp2 = await solve(A2, b2, { rtol: 1e-10 });
    assert.deepEqual(comp2.x.shape, [4, 10, n]);
    assert.deepEqual(Array.from(comp2.iterations), Array.from(full2.iterations));
    assert.deepEqual(Array.from(comp2.info), Array.from(full2.info));
    assert.ok(rel(await host(comp2.x), await host(full2.x)) <= 1e-12);
  });

  Deno.test(`${name}: onProgress reports the solver, thresholds and SciPy's default maxiter`, async () => {
    const reports: ProgressInfo[] = [];
    const n = 30;
    const b = xp.asarray(sinRhs(n));
    const r = await solve(xp.asarray(convection(n)), b, {
      rtol: 1e-6,
      onProgress: (p: ProgressInfo) => reports.push(p),
    });
    assert.equal(r.info[0], 0);
    assert.ok(reports.length >= 1);
    const p = reports[reports.length - 1];
    assert.equal(p.solver, name);
    assert.equal(p.maxiter, spec.defaultMaxiter(n));
    assert.equal(p.systems, 1);
    assert.equal(p.active, 0);
    assert.ok(Math.abs(p.threshold[0] - 1e-6 * norm(sinRhs(n))) <= 1e-18);
    const big = await solve(xp.eye(2000), xp.ones([2000]), {
      onProgress: (q: ProgressInfo) => reports.push(q),
    });
    assert.equal(big.info[0], 0);
    assert.equal(reports[reports.length - 1].maxiter, spec.defaultMaxiter(2000));
  });

  Deno.test(`${name}: x0 = "Mb" with the exact inverse as preconditioner needs no iteration`, async () => {
    if (name === "qmr") {
      // SciPy's qmr has no M: "Mb" starts from b (so A = I solves at once)
      const r = await solve(xp.eye(4), xp.asarray([1, 2, 3, 4]), { x0: "Mb" });
      assert.equal(r.iterations[0], 0);
      assert.deepEqual(Array.from(await host(r.x)), [1, 2, 3, 4]);
      return;
    }
    const D = xp.asarray([[2, 0, 0], [0, 4, 0], [0, 0, 8]]);
    const r = await solve(D, xp.asarray([2, 4, 8]), { x0: "Mb", M: jacobi(D) });
    assert.equal(r.info[0], 0);
    assert.equal(r.iterations[0], 0);
    assert.deepEqual(Array.from(await host(r.x)), [1, 1, 1]);
  });

  Deno.test(`${name}: bad options and operators give errors naming them`, async () => {
    const A = xp.eye(3), b = xp.ones([3]);
    await rejects(() => solve(A, b, { maxiter: 2.5 }), RangeError, /maxiter/);
    await rejects(() => solve(A, b, { rtol: NaN }), RangeError, /rtol/);
    await rejects(() => solve(A, b, { atol: -2 }), RangeError, /atol/);
    await rejects(() => solve(A, b, { callback: 5 }), TypeError, /callback/);
    await rejects(() => solve(A, b, { x0: "bad" }), TypeError, /x0/);
    await rejects(
      () => solve(A, b, spec.precond(xp.eye(4))),
      RangeError,
      /\(4, 4\)/,
    );
    const noAdjoint = new LinearOperator({
      shape: [3, 3],
      dtype: "float64",
      xp,
      matvec: (v: CpuArray) => v,
    });
    if (spec.adjoint) {
      await rejects(() => solve(noAdjoint, b), TypeError, /adjoint of A/);
    } else {
      const r = await solve(noAdjoint, b);
      assert.equal(r.info[0], 0);
    }
    if (name === "bicg") {
      await rejects(() => solve(A, b, { M: noAdjoint }), TypeError, /adjoint of the precond/);
    }
  });
}
