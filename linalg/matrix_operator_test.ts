import assert from "node:assert/strict";
import { cpu, type CpuArray } from "../backends/cpu/mod.ts";
import { MatrixOperator } from "./matrix_operator.ts";
import {
  checkOperator,
  normalRng,
  randDense,
  roundF32,
  upload,
} from "./_linear_operator_testing.ts";

const xp = cpu;
type A = CpuArray;
const host = async (a: A) => Array.from(await xp.toHost(a));

Deno.test("MatrixOperator: NumPy values for a (2, 2, 3) batch", async () => {
  const Aop = new MatrixOperator(
    xp.asarray([[[1, 2, 3], [4, 5, 6]], [[0.5, -1, 2], [3, 0, -2]]]),
  );
  assert.deepEqual(Aop.shape, [2, 2, 3]);
  assert.equal(Aop.dtype, "float64");
  const xb = xp.reshape(xp.asarray([[1, -1, 2], [0, 1, 1], [2, 2, -1]]), [3, 1, 3]);
  const y = Aop.matvec(xb); // NumPy: (A @ xb[..., None])[..., 0]
  assert.deepEqual(y.shape, [3, 2, 2]);
  assert.deepEqual(await host(y), [5, 11, 5.5, -1, 5, 11, 1, -2, 3, 12, -3, 8]);
  assert.deepEqual(await host(Aop.rmatvec(xp.asarray([1, -2]))), [-7, -8, -9, -5.5, -1, 6]);
  assert.deepEqual(await host(Aop.diagonal!()), [1, 5, 0.5, 0]);
});

for (const dtype of ["float64", "float32"] as const) {
  Deno.test(`MatrixOperator: agrees with dense for random batched shapes (${dtype})`, async () => {
    const rand = normalRng(7);
    for (const shape of [[4, 3], [3, 4], [5, 4, 3], [3, 1, 2, 5], [0, 3, 3], [2, 0, 3], [1, 1]]) {
      let d = randDense(shape, rand);
      if (dtype === "float32") d = roundF32(d);
      const op = new MatrixOperator(upload(xp, d, dtype));
      assert.equal(op.dtype, dtype);
      await checkOperator(xp, op, d, dtype, `MatrixOperator ${JSON.stringify(shape)}`);
    }
  });
}

Deno.test("MatrixOperator: nested arrays, dtype conversion and errors", async () => {
  const m = new MatrixOperator<A>([[1, 2], [3, 4]], { dtype: "float32" });
  assert.equal(m.dtype, "float32");
  assert.equal(m.matrix.dtype, "float32");
  assert.deepEqual(await host(m.matvec(xp.asarray([1, 1], { dtype: "float32" }))), [3, 7]);
  const c = new MatrixOperator(xp.asarray([[1, 2], [3, 4]]), { dtype: "float32" });
  assert.equal(c.dtype, "float32");
  // a float32 operator applied to float64 vectors promotes
  assert.equal(m.matvec(xp.asarray([1, 1])).dtype, "float64");
  assert.throws(
    () => new MatrixOperator(xp.asarray([1, 2])),
    (e: unknown) => e instanceof RangeError && /shape \(2,\).*two axes/.test(e.message),
  );
  assert.throws(
    () => new MatrixOperator("A" as unknown as A),
    (e: unknown) => e instanceof TypeError && /string "A"/.test(e.message),
  );
  const other = { ...cpu, name: "other" } as unknown as typeof cpu;
  assert.throws(() => new MatrixOperator(xp.eye(2), { xp: other }), TypeError);
});
