/**
 * The synchronous solver twins (`cgSync`, `gmresSync`, …): on the CPU backend each gives exactly
 * what its async twin gives (float64 and float32, batched, with `history`, with `callback`),
 * refuses a namespace without `toHostSync` and a promise-returning callback with a TypeError
 * naming the async function, and throws the same typed input errors synchronously.
 *
 * @module
 */
import assert from "node:assert/strict";
import { cpu as xp, type CpuArray } from "../backends/cpu/mod.ts";
import type { ArrayNamespace, FloatDType } from "../array_api/types.ts";
import { convectionDiffusion, mulberry32, poisson1d } from "../sparse/gallery.ts";
import { bicg, bicgSync } from "./bicg.ts";
import { bicgstab, bicgstabSync } from "./bicgstab.ts";
import { cg, cgSync } from "./cg.ts";
import { cgs, cgsSync } from "./cgs.ts";
import { gcrotmk, gcrotmkSync } from "./gcrotmk.ts";
import { gmres, gmresSync } from "./gmres.ts";
import { lgmres, lgmresSync } from "./lgmres.ts";
import { lsmr, lsmrSync } from "./lsmr.ts";
import { lsqr, lsqrSync } from "./lsqr.ts";
import { minres, minresSync } from "./minres.ts";
import { qmr, qmrSync } from "./qmr.ts";
import { tfqmr, tfqmrSync } from "./tfqmr.ts";
import * as linalg from "./mod.ts";
import * as root from "../mod.ts";

// deno-lint-ignore no-explicit-any
type Any = any;
type Solve = (A: Any, b: Any, o?: Any) => Any;

interface Entry {
  name: string;
  async: Solve;
  sync: Solve;
  /** "spd": symmetric positive definite problems; "nonsym": general square; "ls": rectangular. */
  kind: "spd" | "nonsym" | "ls";
}

const SOLVERS: Entry[] = [
  { name: "cg", async: cg, sync: cgSync, kind: "spd" },
  { name: "minres", async: minres, sync: minresSync, kind: "spd" },
  { name: "bicg", async: bicg, sync: bicgSync, kind: "nonsym" },
  { name: "bicgstab", async: bicgstab, sync: bicgstabSync, kind: "nonsym" },
  { name: "cgs", async: cgs, sync: cgsSync, kind: "nonsym" },
  { name: "qmr", async: qmr, sync: qmrSync, kind: "nonsym" },
  { name: "tfqmr", async: tfqmr, sync: tfqmrSync, kind: "nonsym" },
  { name: "gmres", async: gmres, sync: gmresSync, kind: "nonsym" },
  { name: "lgmres", async: lgmres, sync: lgmresSync, kind: "nonsym" },
  { name: "gcrotmk", async: gcrotmk, sync: gcrotmkSync, kind: "nonsym" },
  { name: "lsqr", async: lsqr, sync: lsqrSync, kind: "ls" },
  { name: "lsmr", async: lsmr, sync: lsmrSync, kind: "ls" },
];

/** A batch of 3 systems of one kind in `dtype`. */
function problem(kind: Entry["kind"], dtype: FloatDType): { A: Any; b: CpuArray } {
  const rnd = mulberry32(7);
  if (kind === "ls") {
    const m = 14, n = 9;
    const A = Array.from(
      { length: 3 },
      () => Array.from({ length: m }, () => Array.from({ length: n }, () => rnd() - 0.5)),
    );
    const b = Array.from({ length: 3 }, () => Array.from({ length: m }, () => rnd()));
    return { A: xp.asarray(A, { dtype }), b: xp.asarray(b, { dtype }) };
  }
  const A = kind === "spd" ? poisson1d(24, { dtype }) : convectionDiffusion(5, 5, { dtype });
  const n = A.shape[1];
  const b = Array.from({ length: 3 }, (_, k) => Array.from({ length: n }, () => rnd() + k));
  return { A, b: xp.asarray(b, { dtype }) };
}

/** Every typed-array field of a result, and `x` on the host. */
function fields(r: Any): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(r)) {
    if (ArrayBuffer.isView(v)) out[k] = Array.from(v as Float64Array);
    else if (k === "residualHistory") {
      (v as Float64Array[]).forEach((h, i) => (out[`residualHistory[${i}]`] = Array.from(h)));
    } else if (k === "x" || k === "var") out[k] = Array.from(xp.toHostSync(v as CpuArray));
  }
  return out;
}

function assertSame(sync: Any, async: Any, what: string, xTol: number): void {
  const s = fields(sync), a = fields(async);
  assert.deepEqual(Object.keys(s).sort(), Object.keys(a).sort(), `${what}: result fields`);
  for (const k of Object.keys(a)) {
    if (k === "x" || k === "var") {
      const scale = Math.max(1, ...a[k].map(Math.abs));
      const d = Math.max(0, ...a[k].map((v, i) => Math.abs(v - s[k][i])));
      assert.ok(d <= xTol * scale, `${what}: ${k} differs by ${d}`);
    } else if (k.startsWith("residualHistory") || k === "residualNorm" || /norm|cond/.test(k)) {
      // host recurrences: same operations in the same order → same numbers
      a[k].forEach((v, i) =>
        assert.ok(
          Math.abs(v - s[k][i]) <= 1e-12 * Math.max(1, Math.abs(v)),
          `${what}: ${k}[${i}] ${s[k][i]} vs ${v}`,
        )
      );
    } else assert.deepEqual(s[k], a[k], `${what}: ${k}`);
  }
}

for (const e of SOLVERS) {
  Deno.test(`${e.name}Sync equals await ${e.name}: float64/float32, batched, history, callback`, async () => {
    for (const dtype of ["float64", "float32"] as const) {
      const { A, b } = problem(e.kind, dtype);
      const rtol = dtype === "float64" ? 1e-10 : 1e-5;
      const opts = e.kind === "ls" ? { atol: rtol, btol: rtol } : { rtol };
      // cg on a CSR matrix: the async call takes the CPU backend's fused loop (xp.solvers.cg),
      // cgSync its synchronous twin (xp.solvers.cgSync): the same loop
      const s = e.sync(A, b, opts);
      assert.ok(!(s instanceof Promise), `${e.name}Sync returned a promise`);
      const a = await e.async(A, b, opts);
      const info = s.info ?? s.istop;
      assert.equal(info.length, 3);
      if (e.kind !== "ls" && dtype === "float64") {
        assert.deepEqual(Array.from(info), [0, 0, 0], `${e.name} ${dtype}`);
      }
      assertSame(s, a, `${e.name} ${dtype}`, 1e-12);

      // history and a callback: the same per-iteration values, in the same order
      const seen = { sync: [] as number[][], async: [] as number[][] };
      const mk = (to: number[][]) => (x: CpuArray, it: number) => {
        to.push([it, ...xp.toHostSync(x).slice(0, 4)]);
      };
      const sh = e.sync(A, b, { ...opts, history: true, callback: mk(seen.sync) });
      const ah = await e.async(A, b, { ...opts, history: true, callback: mk(seen.async) });
      assert.ok(sh.residualHistory.length === 3 && sh.residualHistory[0].length > 1);
      assertSame(sh, ah, `${e.name} ${dtype} history+callback`, 1e-12);
      assert.ok(seen.sync.length > 0, `${e.name}: callback never ran`);
      assert.deepEqual(seen.sync, seen.async, `${e.name} ${dtype}: callback arguments`);
    }
  });
}

Deno.test("cgSync: the fused CPU loop (CSR) agrees with the portable loop (dense A)", () => {
  for (const [dtype, tol] of [["float64", 1e-12], ["float32", 1e-4]] as const) {
    const { A, b } = problem("spd", dtype);
    const rtol = dtype === "float64" ? 1e-10 : 1e-5;
    const s = cgSync(A.toDense(), b, { rtol });
    const a = cgSync(A, b, { rtol });
    assert.deepEqual(Array.from(s.info), Array.from(a.info));
    for (let k = 0; k < 3; k++) assert.ok(Math.abs(s.iterations[k] - a.iterations[k]) <= 1);
    const xs = xp.toHostSync(s.x), xa = xp.toHostSync(a.x);
    const scale = Math.max(...Array.from(xa, Math.abs));
    assert.ok(xs.every((v, i) => Math.abs(v - xa[i]) <= tol * scale), `cg ${dtype}`);
  }
});

Deno.test("every Sync twin is exported from linalg/mod.ts and the root mod.ts", () => {
  for (const e of SOLVERS) {
    assert.equal((linalg as Any)[e.name + "Sync"], e.sync, `linalg/mod.ts: ${e.name}Sync`);
    assert.equal((root as Any)[e.name + "Sync"], e.sync, `mod.ts: ${e.name}Sync`);
  }
});

/** cpu without toHostSync, reached through an operator's `xp` (arrays stay CpuArrays). */
function noSyncProblem(kind: Entry["kind"]): { A: Any; b: number[] } {
  const { toHostSync: _drop, ...rest } = xp;
  const ns = { ...rest, name: "cpu-async-only" } as unknown as ArrayNamespace<CpuArray>;
  const { A } = problem(kind, "float64");
  const dense: CpuArray = kind === "ls" ? A : A.toDense();
  const op = {
    shape: dense.shape,
    dtype: "float64",
    xp: ns,
    matvec: (v: CpuArray) => xp.matmul(dense, v.ndim === 1 ? v : xp.expand_dims(v, { axis: -1 })),
    rmatvec: (v: CpuArray) => xp.matmul(xp.matrix_transpose(dense), v),
  };
  return { A: op, b: new Array(dense.shape.at(-2)).fill(1) };
}

for (const e of SOLVERS) {
  Deno.test(`${e.name}Sync: TypeErrors for a namespace without toHostSync and a promise callback`, () => {
    const { A, b } = noSyncProblem(e.kind);
    let calls = 0;
    const counted = { ...A, matvec: (v: CpuArray) => (calls++, A.matvec(v)) };
    assert.throws(
      () => e.sync(counted, b),
      (err: unknown) =>
        err instanceof TypeError && err.message.includes(`${e.name}Sync`) &&
        err.message.includes("cpu-async-only") && err.message.includes(`async ${e.name}()`),
    );
    assert.equal(calls, 0, "work was done before the namespace was refused");

    const { A: A2, b: b2 } = problem(e.kind, "float64");
    assert.throws(
      () => e.sync(A2, b2, { callback: () => Promise.resolve() }),
      (err: unknown) =>
        err instanceof TypeError && /callback returned a promise/.test(err.message) &&
        err.message.includes(`${e.name}Sync`) && err.message.includes(`async ${e.name}()`),
    );
  });
}

for (const e of SOLVERS) {
  Deno.test(`${e.name}Sync: bad input throws the async twin's typed errors, synchronously`, async () => {
    const { A, b } = problem(e.kind, "float64");
    const m = A.shape.at(-2) as number;
    const lim = e.name === "lsqr" ? "iterLim" : "maxiter";
    const cases: [string, () => [Any, Any, Any], ErrorConstructor, RegExp][] = [
      [lim, () => [A, b, { [lim]: 2.5 }], RangeError, new RegExp(lim)],
      ["b shape", () => [A, xp.ones([3, m + 1]), {}], RangeError, new RegExp(`\\(3, ${m + 1}\\)`)],
      ["b dtype", () => [A, xp.ones([m], { dtype: "float32" }), {}], TypeError, /float32/],
      ["NaN in b", () => [A, xp.full([3, m], NaN), {}], RangeError, /b contains NaN or Inf/],
    ];
    if (e.kind !== "ls") cases.push(["rtol", () => [A, b, { rtol: NaN }], RangeError, /rtol/]);
    for (const [what, args, type, re] of cases) {
      const check = (err: unknown) => err instanceof type && re.test((err as Error).message);
      assert.throws(() => e.sync(...args()), check, `${e.name}Sync: ${what}`);
      await assert.rejects(() => e.async(...args()), check, `${e.name}: ${what}`);
    }
  });
}

Deno.test("cgSync with a mixed-namespace input reports the solver's TypeError", () => {
  const { A } = noSyncProblem("spd");
  assert.throws(() => cgSync(A, xp.ones([24])), (e: unknown) => e instanceof TypeError);
});
