// Helpers of lsqr/lsmr: SciPy's _sym_ortho as fused expressions, the machine-precision test,
// and SciPy's column / scalar right-hand sides.
import assert from "node:assert/strict";
import { cpu as xp } from "../backends/cpu/mod.ts";
import { defineFused, runFused } from "../array_api/fuse.ts";
import { HALF_ULP_ONE, machineSmall, squeezeColumnRhs, symOrtho } from "./_golub_kahan.ts";

// scipy.sparse.linalg._isolve.lsqr._sym_ortho(a, b) → (c, s, r), SciPy 1.17
const SCIPY: [number, number, number, number, number][] = [
  [0, 0, 0, 0, 0],
  [3, 0, 1, 0, 3],
  [-3, 0, -1, 0, 3],
  [0, 4, 0, 1, 4],
  [0, -4, 0, -1, 4],
  [3, 4, 0.6000000000000001, 0.8, 5],
  [-3, 4, -0.6000000000000001, 0.8, 5],
  [4, 3, 0.8, 0.6000000000000001, 5],
  [4, -3, 0.8, -0.6000000000000001, 5],
  [-2.5, -7.25, -0.3259906833194042, -0.945372981626272, 7.668930825088985],
  [1e-300, 3e-300, 0.3162277660168379, 0.9486832980505138, 3.16227766016838e-300],
  [1e200, 1e200, 0.7071067811865475, 0.7071067811865475, 1.4142135623730952e200],
];

const prog = defineFused("test.symOrtho", { a: "float", b: "float" }, (v, f) => {
  const { c, s, r } = symOrtho(f, v.a, v.b);
  return { c, s, r, small: machineSmall(v.a) };
});

Deno.test("symOrtho equals SciPy's _sym_ortho bit for bit (float64)", async () => {
  const a = xp.asarray(SCIPY.map((t) => t[0]));
  const b = xp.asarray(SCIPY.map((t) => t[1]));
  const { c, s, r } = runFused(xp, prog, { a, b });
  const [hc, hs, hr] = [await xp.toHost(c), await xp.toHost(s), await xp.toHost(r)];
  SCIPY.forEach(([av, bv, cv, sv, rv], k) => {
    assert.equal(hc[k], cv, `c(${av}, ${bv})`);
    assert.equal(hs[k], sv, `s(${av}, ${bv})`);
    assert.equal(hr[k], rv, `r(${av}, ${bv})`);
  });
  // a host-number b (lsmr's damping rotation)
  const p2 = defineFused("test.symOrtho.num", { a: "float" }, (v, f) => symOrtho(f, v.a, 0));
  const o = runFused(xp, p2, { a: xp.asarray([-2, 0, 5]) });
  assert.deepEqual(Array.from(await xp.toHost(o.c)), [-1, 0, 1]);
  assert.deepEqual(Array.from(await xp.toHost(o.r)), [2, 0, 5]);
});

Deno.test("machineSmall(t) is SciPy's `1 + t <= 1` in float64, also in float32 programs", async () => {
  const ts = [0, HALF_ULP_ONE, HALF_ULP_ONE * 1.0000001, 2 ** -52, 1e-20, NaN, Infinity];
  const want = ts.map((t) => 1 + t <= 1);
  for (const dtype of ["float64", "float32"] as const) {
    const { small } = runFused(xp, prog, {
      a: xp.asarray(ts, { dtype }),
      b: xp.zeros([7], { dtype }),
    });
    const got = Array.from(await xp.toHost(small)).map((v) => v !== 0);
    if (dtype === "float64") assert.deepEqual(got, want);
    // float32 rounds 2^-53·(1 + 1e-7) to 2^-53: only that entry may differ
    else assert.deepEqual(got.filter((_, k) => k !== 2), want.filter((_, k) => k !== 2));
  }
});

Deno.test("squeezeColumnRhs: SciPy's (m, 1) and scalar b, only where unambiguous", () => {
  const A = xp.ones([3, 2]);
  const col = squeezeColumnRhs(A, xp.ones([3, 1])) as ReturnType<typeof xp.ones>;
  assert.deepEqual(col.shape, [3]);
  assert.deepEqual(squeezeColumnRhs([[1, 2, 3]], 4), [4]);
  assert.equal(squeezeColumnRhs(A, 4), 4); // m = 3: a scalar stays (prepareSystem rejects it)
  assert.deepEqual(squeezeColumnRhs([[1], [2], [3]], [[1], [2], [3]]), [1, 2, 3]);
  const batched = xp.ones([2, 3, 2]);
  const b = xp.ones([3, 1]);
  assert.equal(squeezeColumnRhs(batched, b), b); // batched A: (3, 1) is a batch of 3 vectors
  const one = xp.ones([1, 2]);
  const b1 = xp.ones([1, 1]);
  assert.equal(squeezeColumnRhs(one, b1), b1); // m = 1: (1, 1) is already (..., m)
});
