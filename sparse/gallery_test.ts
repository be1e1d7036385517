import assert from "node:assert/strict";
import { cpu } from "../backends/cpu/mod.ts";
import type { CsrArray } from "./csr_array.ts";
import type { ArrayObject } from "../array_api/types.ts";
import {
  anisotropicDiffusion,
  convectionDiffusion,
  mulberry32,
  poisson1d,
  poisson2d,
  poisson3d,
  poisson3d27,
  randomSpd,
  trefethen,
} from "./gallery.ts";
import { withoutKernels } from "./_helpers_test.ts";

interface Ref {
  shape: number[];
  indptr: number[];
  indices: number[];
  data: number[];
}

const fixtures: Record<string, Ref> = JSON.parse(
  await Deno.readTextFile(new URL("./testdata/gallery.json", import.meta.url)),
);

async function assertMatches(A: CsrArray<ArrayObject>, ref: Ref, name: string): Promise<void> {
  assert.deepEqual([...A.shape], ref.shape, `${name} shape`);
  assert.equal(A.hasCanonicalFormat, true, `${name} canonical`);
  assert.deepEqual([...A.indptr], ref.indptr, `${name} indptr`);
  assert.deepEqual([...A.indices], ref.indices, `${name} indices`);
  const d = await A.xp.toHost(A.data);
  assert.equal(d.length, ref.data.length);
  for (let i = 0; i < d.length; i++) {
    assert.ok(
      Math.abs(d[i] - ref.data[i]) <= 1e-12 * Math.max(1, Math.abs(ref.data[i])),
      `${name} data[${i}]: ${d[i]} vs ${ref.data[i]}`,
    );
  }
}

Deno.test("gallery matches matrices built with scipy.sparse (testdata/gallery.json)", async () => {
  await assertMatches(poisson1d(5), fixtures["poisson1d_5"], "poisson1d");
  await assertMatches(poisson2d(3, 4), fixtures["poisson2d_3_4"], "poisson2d");
  await assertMatches(poisson3d(2, 3, 4), fixtures["poisson3d_2_3_4"], "poisson3d");
  await assertMatches(poisson3d27(3, 3, 2), fixtures["poisson3d27_3_3_2"], "poisson3d27");
  await assertMatches(
    anisotropicDiffusion(4, 3, { epsilon: 0.1, theta: 0.7 }),
    fixtures["aniso_4_3_0.1_0.7"],
    "anisotropicDiffusion",
  );
  await assertMatches(
    convectionDiffusion(4, 3, { wind: [1, -2], nu: 0.05 }),
    fixtures["convdiff_4_3_1_-2_0.05"],
    "convectionDiffusion",
  );
  await assertMatches(trefethen(20), fixtures["trefethen_20"], "trefethen");
});

Deno.test("gallery: identities (ε = 1 is Poisson, wind 0 is scaled Poisson, square defaults)", async () => {
  const P = await cpu.toHost(poisson2d(5).toDense());
  const E = await cpu.toHost(anisotropicDiffusion(5, 5, { epsilon: 1, theta: 0.3 }).toDense());
  for (let i = 0; i < P.length; i++) assert.ok(Math.abs(P[i] - E[i]) < 1e-14);
  const C = await cpu.toHost(convectionDiffusion(5, 5, { wind: [0, 0], nu: 1 }).toDense());
  for (let i = 0; i < P.length; i++) assert.ok(Math.abs(36 * P[i] - C[i]) < 1e-10);
  assert.equal(anisotropicDiffusion(4, 4, { theta: 0 }).nnz, poisson2d(4).nnz);
  assert.deepEqual(poisson3d(3).shape, [27, 27]);
  assert.deepEqual(poisson3d27(2).shape, [8, 8]);
  assert.equal(poisson3d27(2).nnz, 64);
  const p = poisson1d(0);
  assert.deepEqual(p.shape, [0, 0]);
});

Deno.test("gallery: dtype and namespace options", async () => {
  const A = poisson2d(4, 4, { dtype: "float32" });
  assert.equal(A.dtype, "float32");
  const plain = withoutKernels(cpu);
  const B = trefethen(8, { xp: plain });
  assert.equal(B.xp, plain);
  assert.deepEqual([...(await plain.toHost(B.diagonal()))], [2, 3, 5, 7, 11, 13, 17, 19]);
  assert.throws(() => poisson1d(3, { dtype: "bool" }), TypeError);
});

Deno.test("randomSpd: symmetric, diagonally dominant, seeded, density respected", async () => {
  const n = 200;
  const A = randomSpd(n, { density: 0.05, seed: 3 });
  assert.equal(A.hasCanonicalFormat, true);
  const D = await cpu.toHost(A.toDense());
  let off = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) {
      assert.equal(D[i * n + j], D[j * n + i]);
      if (i !== j) {
        s += Math.abs(D[i * n + j]);
        if (D[i * n + j] !== 0) off++;
      }
    }
    assert.ok(D[i * n + i] > s, `row ${i} not strictly dominant`);
  }
  const expected = 0.05 * n * (n - 1);
  assert.ok(Math.abs(off - expected) < 0.15 * expected, `off-diagonal count ${off} vs ${expected}`);
  const again = await cpu.toHost(randomSpd(n, { density: 0.05, seed: 3 }).data);
  assert.deepEqual([...again], [...(await cpu.toHost(A.data))]);
  const other = randomSpd(n, { density: 0.05, seed: 4 });
  assert.notDeepEqual([...other.indices], [...A.indices]);
  // Cholesky succeeds only for positive definite matrices.
  cpu.linalg.cholesky(A.toDense());
  assert.equal(randomSpd(10, { density: 0 }).nnz, 10);
  assert.equal(randomSpd(10, { density: 1 }).nnz, 100);
  // Large n takes the sampling path.
  const L = randomSpd(5000, { density: 1e-4, seed: 1 });
  assert.equal(L.nnz, 5000 + 2 * Math.round(1e-4 * 5000 * 4999 / 2));
});

Deno.test("trefethen: primes on the diagonal, ones at power-of-two offsets", async () => {
  const A = trefethen(100);
  const D = await cpu.toHost(A.toDense());
  const isPrime = (p: number) => {
    for (let d = 2; d * d <= p; d++) if (p % d === 0) return false;
    return p > 1;
  };
  let prev = 1;
  for (let i = 0; i < 100; i++) {
    const p = D[i * 100 + i];
    assert.ok(isPrime(p) && p > prev);
    prev = p;
    for (let j = 0; j < 100; j++) {
      if (i === j) continue;
      const d = Math.abs(i - j);
      assert.equal(D[i * 100 + j], (d & (d - 1)) === 0 ? 1 : 0);
    }
  }
  assert.equal(D[99 * 100 + 99], 541);
});

Deno.test("gallery: argument errors", () => {
  assert.throws(() => poisson1d(-1), RangeError);
  assert.throws(() => poisson2d(2.5), RangeError);
  assert.throws(() => poisson3d(70000, 70000, 1), /int32 limit/);
  assert.throws(
    () => anisotropicDiffusion(3, 3, { epsilon: 0 }),
    /epsilon must be a finite positive/,
  );
  assert.throws(() => anisotropicDiffusion(3, 3, { theta: NaN }), RangeError);
  assert.throws(() => convectionDiffusion(3, 3, { nu: -1 }), /nu must be/);
  // deno-lint-ignore no-explicit-any
  assert.throws(() => convectionDiffusion(3, 3, { wind: [1] as any }), /wind must be two finite/);
  assert.throws(() => randomSpd(5, { density: 2 }), /density must be in \[0, 1\]/);
  assert.throws(() => randomSpd(5, { seed: 0.5 }), RangeError);
  assert.throws(() => trefethen(-3), RangeError);
});

Deno.test("mulberry32 is deterministic and uniform-ish", () => {
  const a = mulberry32(9), b = mulberry32(9);
  let s = 0;
  for (let i = 0; i < 10000; i++) {
    const v = a();
    assert.equal(v, b());
    assert.ok(v >= 0 && v < 1);
    s += v;
  }
  assert.ok(Math.abs(s / 10000 - 0.5) < 0.02);
});
