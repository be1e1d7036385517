import assert from "node:assert/strict";
import { cpu, type CpuArray } from "../backends/cpu/mod.ts";
import { DiagonalOperator } from "./diagonal_operator.ts";
import {
  checkOperator,
  normalRng,
  randDense,
  refDiagMatrix,
  roundF32,
  upload,
} from "./_linear_operator_testing.ts";

const xp = cpu;
type A = CpuArray;
const host = async (a: A) => Array.from(await xp.toHost(a));

for (const dtype of ["float64", "float32"] as const) {
  Deno.test(`DiagonalOperator: agrees with dense for batched diagonals (${dtype})`, async () => {
    const rand = normalRng(3);
    for (const shape of [[4], [5, 3], [3, 1, 4], [0, 2], [2, 0]]) {
      let d = randDense(shape, rand);
      if (dtype === "float32") d = roundF32(d);
      const op = new DiagonalOperator(upload(xp, d, dtype));
      assert.deepEqual(op.shape, [...shape, shape[shape.length - 1]]);
      assert.equal(op.dtype, dtype);
      await checkOperator(xp, op, refDiagMatrix(d), dtype, `diag ${JSON.stringify(shape)}`);
    }
  });
}

Deno.test("DiagonalOperator: values, self-adjointness and donation", async () => {
  const D = new DiagonalOperator<A>([[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(D.shape, [2, 3, 3]);
  assert.equal(D.H, D);
  assert.equal(D.T, D);
  assert.deepEqual(await host(D.matvec(xp.asarray([1, 1, 2]))), [1, 2, 6, 4, 5, 12]);
  assert.deepEqual(await host(D.matmat(xp.asarray([[1, 0], [0, 1], [1, 1]]))), [
    1,
    0,
    0,
    2,
    3,
    3,
    4,
    0,
    0,
    5,
    6,
    6,
  ]);
  const out = xp.zeros([2, 3]);
  const y = D.rmatvec(xp.asarray([[1, 1, 1], [2, 2, 2]]), out);
  assert.deepEqual(await host(y), [1, 2, 3, 8, 10, 12]);
  // diagonal() is a copy the caller owns
  const dg = D.diagonal!();
  assert.notEqual(dg, D.diag);
  assert.deepEqual(await host(dg), [1, 2, 3, 4, 5, 6]);
});

Deno.test("DiagonalOperator: errors", () => {
  assert.throws(
    () => new DiagonalOperator(xp.asarray(3)),
    (e: unknown) => e instanceof RangeError && /shape \(\)/.test(e.message),
  );
  assert.throws(
    () => new DiagonalOperator(7 as unknown as A),
    (e: unknown) => e instanceof TypeError && /number 7/.test(e.message),
  );
  const D = new DiagonalOperator<A>([1, 2, 3]);
  assert.throws(
    () => D.matvec(xp.ones([2])),
    (e: unknown) => e instanceof RangeError && /\(3, 3\).*\(2,\)/.test(e.message),
  );
});
