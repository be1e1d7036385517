import assert from "node:assert/strict";
import { cpu } from "../backends/cpu/mod.ts";
import { cg } from "../linalg/cg.ts";
import { jacobi } from "../linalg/jacobi.ts";
import { poisson2d } from "../sparse/gallery.ts";
import { METHOD_NAMES, methods } from "./methods.ts";
import { krylovMethod, leastSquaresMethod } from "./_method_adapters.ts";

Deno.test("methods: registry keys are known names; the 12 SciPy solvers are listed", () => {
  assert.deepEqual(
    [...METHOD_NAMES].sort(),
    [
      "bicg",
      "bicgstab",
      "cg",
      "cgs",
      "gcrotmk",
      "gmres",
      "lgmres",
      "lsmr",
      "lsqr",
      "minres",
      "qmr",
      "tfqmr",
    ],
  );
  for (const [name, spec] of Object.entries(methods)) {
    assert.ok((METHOD_NAMES as readonly string[]).includes(name));
    assert.equal(spec!.name, name);
    assert.ok(spec!.options.includes("rtol"));
  }
  assert.ok(methods.cg, "cg is always available");
  // the stopping test each method documents: max(atol, rtol·‖b‖) or its own
  const own = Object.values(methods).filter((s) => !s!.residualTest).map((s) => s!.name).sort();
  assert.deepEqual(own, ["lsmr", "lsqr", "minres"].filter((n) => n in methods));
  const rect = Object.values(methods).filter((s) => !s!.square).map((s) => s!.name).sort();
  assert.deepEqual(rect, ["lsmr", "lsqr"].filter((n) => n in methods));
});

Deno.test("methods.cg: same numbers as calling cg, and as a dense solve", async () => {
  const A = poisson2d(6);
  const b = cpu.asarray([Array.from({ length: 36 }, (_, i) => Math.sin(i)), new Array(36).fill(1)]);
  const o = await methods.cg!.solve(A, b, { rtol: 1e-12, M: jacobi(A), history: true });
  const r = await cg(A, b, { rtol: 1e-12, M: jacobi(A), history: true });
  assert.deepEqual(o.iterations, r.iterations);
  assert.deepEqual(o.info, r.info);
  assert.deepEqual(o.residualNorm, r.residualNorm);
  assert.deepEqual(await cpu.toHost(o.x as typeof r.x), await cpu.toHost(r.x));
  assert.deepEqual(o.converged, [true, true]);
  assert.deepEqual(o.status, ["converged", "converged"]);
  assert.equal(o.residualHistory?.length, 2);
  const xd = cpu.linalg.solve(
    cpu.expand_dims(A.toDense(), { axis: 0 }),
    cpu.expand_dims(b, { axis: -1 }),
  );
  const dense = await cpu.toHost(xd), got = await cpu.toHost(o.x as typeof r.x);
  for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - dense[i]) < 1e-10);
});

Deno.test("methods: every registered solver solves a small SPD batch (dense reference)", async () => {
  const A = poisson2d(5);
  const rows = [Array.from({ length: 25 }, (_, i) => Math.cos(i)), new Array(25).fill(1)];
  const b = cpu.asarray(rows);
  const dense = await cpu.toHost(cpu.linalg.solve(A.toDense(), cpu.matrix_transpose(b)));
  for (const spec of Object.values(methods)) {
    const o = await spec!.solve(A, b, { rtol: 1e-10, atol: 0, btol: 1e-10 });
    assert.deepEqual(o.converged, [true, true], `${spec!.name}: ${o.status}`);
    const x = await cpu.toHost(o.x as ReturnType<typeof cpu.zeros>);
    for (let k = 0; k < 2; k++) {
      for (let i = 0; i < 25; i++) {
        const err = Math.abs(x[k * 25 + i] - dense[i * 2 + k]);
        assert.ok(err < 1e-7, `${spec!.name}: x[${k}, ${i}] off by ${err}`);
      }
    }
  }
});

Deno.test("methods.cg: iteration limit is reported as not converged", async () => {
  const A = poisson2d(6);
  const o = await methods.cg!.solve(A, cpu.ones([36]), { maxiter: 2, rtol: 1e-12 });
  assert.deepEqual(o.info, Int32Array.of(2));
  assert.deepEqual(o.converged, [false]);
  assert.match(o.status[0], /iteration limit/);
});

Deno.test("krylovMethod: passes only the options a method takes; maps info codes", async () => {
  const seen: Record<string, unknown>[] = [];
  const fake = (_A: unknown, _b: unknown, opts: Record<string, unknown>) => {
    seen.push(opts);
    return Promise.resolve({
      x: cpu.zeros([4, 3]),
      info: Int32Array.of(0, 7, -10, -12),
      iterations: Int32Array.of(1, 7, 3, 2),
      residualNorm: Float64Array.of(0, 1, 2, NaN),
    });
  };
  const spec = krylovMethod("gmres", "test", fake, { options: ["rtol", "restart"] });
  const o = await spec.solve(poisson2d(1), cpu.zeros([3]), {
    rtol: 1e-3,
    atol: 5,
    restart: 9,
    maxiter: 4,
    history: true,
  });
  assert.deepEqual(seen[0], { rtol: 1e-3, restart: 9, maxiter: 4, history: true });
  assert.deepEqual(o.converged, [true, false, false, false]);
  assert.deepEqual(o.status, [
    "converged",
    "not converged (iteration limit reached)",
    "breakdown (ρ recurrence)",
    "non-finite value (NaN/Inf) in the iteration",
  ]);
  const cgLike = krylovMethod("cg", "t", fake);
  await cgLike.solve(poisson2d(1), cpu.zeros([3]), { atol: 5, restart: 9 });
  assert.deepEqual(seen[1], { atol: 5 }, "restart is dropped for methods without it");
});

Deno.test("leastSquaresMethod: istop codes, tolerances and norms (lsqr and lsmr shapes)", async () => {
  const seen: Record<string, unknown>[] = [];
  const lsqr = (_A: unknown, _b: unknown, opts: Record<string, unknown>) => {
    seen.push(opts);
    return Promise.resolve({
      x: cpu.zeros([9, 2]),
      istop: Int32Array.of(0, 1, 2, 3, 4, 5, 6, 7, -12),
      itn: Int32Array.of(0, 1, 2, 3, 4, 5, 6, 7, 8),
      r1norm: Float64Array.of(0, 1, 2, 3, 4, 5, 6, 7, 8),
      r2norm: new Float64Array(9),
      anorm: new Float64Array(9).fill(2),
      acond: new Float64Array(9),
      arnorm: new Float64Array(9),
      xnorm: new Float64Array(9),
      residualNorm: new Float64Array(9).fill(0.5),
    });
  };
  const spec = leastSquaresMethod("lsqr", "t", lsqr);
  assert.equal(spec.square, false);
  assert.equal(spec.preconditioner, false);
  const o = await spec.solve(poisson2d(1), cpu.zeros([2]), { rtol: 1e-9, atol: 1e-4, maxiter: 50 });
  assert.deepEqual(seen[0], { atol: 1e-4, btol: 1e-9, iterLim: 50 });
  assert.deepEqual(o.converged, [true, true, true, false, true, true, false, false, false]);
  assert.match(o.status[3], /conlim/);
  assert.match(o.status[7], /iteration limit/);
  assert.match(o.status[8], /non-finite/);
  assert.deepEqual(o.residualNorm, new Float64Array(9).fill(0.5), "the true residual");
  assert.deepEqual(Object.keys(o.extra!), [
    "r1norm",
    "r2norm",
    "anorm",
    "acond",
    "arnorm",
    "xnorm",
  ]);
  // lsmr: maxiter keeps its name; without a true residual the estimate normr is used
  const lsmr = leastSquaresMethod("lsmr", "t", (_A, _b, opts) => {
    seen.push(opts);
    return Promise.resolve({
      x: cpu.zeros([2]),
      istop: Int32Array.of(1),
      itn: Int32Array.of(3),
      normr: Float64Array.of(0.25),
      normar: Float64Array.of(1e-9),
    });
  });
  const o2 = await lsmr.solve(poisson2d(1), cpu.zeros([2]), { maxiter: 5 });
  assert.deepEqual(seen[1], { maxiter: 5 });
  assert.deepEqual(o2.residualNorm, Float64Array.of(0.25));
  assert.deepEqual(Object.keys(o2.extra!), ["normr", "normar"]);
});

Deno.test("krylovMethod: solver-specific option names and info codes", async () => {
  const seen: Record<string, unknown>[] = [];
  const fake = (_A: unknown, _b: unknown, opts: Record<string, unknown>) => {
    seen.push(opts);
    return Promise.resolve({
      x: cpu.zeros([2, 1]),
      info: Int32Array.of(-12, -13),
      iterations: Int32Array.of(1, 1),
      residualNorm: Float64Array.of(1, 1),
    });
  };
  const M = jacobi(poisson2d(1));
  const spec = krylovMethod("qmr", "t", fake, {
    options: ["rtol", "restart"],
    restartKey: "innerM",
    preconditionerKey: "M1",
    codes: { [-12]: "γ" },
  });
  const o = await spec.solve(poisson2d(1), cpu.zeros([1]), { restart: 7, M });
  assert.deepEqual(seen[0], { innerM: 7, M1: M });
  assert.deepEqual(o.status, ["γ", "breakdown (info -13)"]);
});
