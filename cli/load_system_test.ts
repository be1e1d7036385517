import assert from "node:assert/strict";
import { cpu } from "../backends/cpu/mod.ts";
import { loadSystem } from "./load_system.ts";
import { UsageError } from "./usage_error.ts";

const data = (name: string) => new URL(`./testdata/${name}`, import.meta.url).pathname;

async function tmp(text: string): Promise<string> {
  const p = await Deno.makeTempFile({ suffix: ".mtx" });
  await Deno.writeTextFile(p, text);
  return p;
}

Deno.test("loadSystem: symmetric coordinate file, default b = A·1", async () => {
  const s = await loadSystem(data("poisson2d_8.mtx"), undefined, "float64");
  assert.deepEqual(s.A.shape, [64, 64]);
  assert.equal(s.A.nnz, 64 + 2 * 2 * 8 * 7); // diagonal + both triangles of the expanded file
  assert.equal(s.symmetry, "symmetric");
  assert.equal(s.symmetric, true);
  assert.equal(s.defaultRhs, true);
  assert.equal(s.b.length, 1);
  // A·1 of the 5-point Laplacian: 4 − (number of grid neighbours)
  const expect = Array.from({ length: 64 }, (_, r) => {
    const i = r % 8, j = Math.floor(r / 8);
    return 4 - [i > 0, i < 7, j > 0, j < 7].filter(Boolean).length;
  });
  assert.deepEqual(Array.from(s.b[0]), expect);
  const y = await cpu.toHost(s.A.matvec(cpu.ones([64])));
  assert.deepEqual(Array.from(y), expect);
});

Deno.test("loadSystem: an M×k array file gives k right-hand sides", async () => {
  const s = await loadSystem(data("poisson2d_8.mtx"), data("rhs_64x3.mtx"), "float64");
  assert.equal(s.b.length, 3);
  assert.equal(s.defaultRhs, false);
  // column-major array file: the first entries of the file are column 0
  const lines = (await Deno.readTextFile(data("rhs_64x3.mtx"))).split("\n").filter((l) =>
    l && !l.startsWith("%")
  );
  assert.equal(s.b[0][0], Number(lines[1]));
  assert.equal(s.b[0][1], Number(lines[2]));
  assert.equal(s.b[1][0], Number(lines[1 + 64]));
  assert.equal(s.b[2][63], Number(lines[3 * 64]));
});

Deno.test("loadSystem: float32 values, general and array-format matrices, row-vector b", async () => {
  const s = await loadSystem(data("convdiff_10.mtx"), undefined, "float32");
  assert.equal(s.A.dtype, "float32");
  assert.equal(s.symmetric, false);
  assert.equal(s.symmetry, "general");
  // row sums of the float32 values: 2 − 0.7 in the first row (−0.7 rounded to float32)
  assert.equal(s.b[0][0], 2 + Math.fround(-0.7));
  const dense = await tmp("%%MatrixMarket matrix array real general\n2 2\n3\n1\n1\n2\n");
  const row = await tmp("%%MatrixMarket matrix array real general\n1 2\n5\n6\n");
  const d = await loadSystem(dense, row, "float64");
  assert.deepEqual(await cpu.toHost(d.A.toDense()), Float64Array.of(3, 1, 1, 2));
  assert.equal(d.symmetric, true);
  assert.deepEqual(Array.from(d.b[0]), [5, 6]);
});

Deno.test("loadSystem: errors name the file and what is wrong", async () => {
  await assert.rejects(
    () => loadSystem("/nonexistent/A.mtx", undefined, "float64"),
    (e: unknown) =>
      e instanceof UsageError &&
      /cannot read A from \/nonexistent\/A\.mtx: no such file/.test(e.message),
  );
  await assert.rejects(
    () => loadSystem(data("poisson2d_8.mtx"), "/nonexistent/b.mtx", "float64"),
    (e: unknown) => e instanceof UsageError && /cannot read b from/.test(e.message),
  );
  await assert.rejects(
    () => loadSystem(data("bad_entry.mtx"), undefined, "float64"),
    (e: unknown) =>
      e instanceof TypeError &&
      e.message.startsWith(data("bad_entry.mtx") + ": Matrix Market line 4"),
  );
  await assert.rejects(
    () => loadSystem(data("poisson2d_8.mtx"), data("convdiff_10.mtx"), "float64"),
    (e: unknown) =>
      e instanceof RangeError &&
      e.message.includes("b has shape (10, 10) but A has shape (64, 64): b needs 64 rows"),
  );
  await assert.rejects(
    () => loadSystem(Deno.cwd(), undefined, "float64"),
    (e: unknown) => e instanceof UsageError && /is a directory/.test(e.message),
  );
});
