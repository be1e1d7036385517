import assert from "node:assert/strict";
import { cpu, type CpuArray } from "../backends/cpu/mod.ts";
import { IdentityOperator, identityOperator } from "./identity_operator.ts";
import { checkOperator, refEye } from "./_linear_operator_testing.ts";

const xp = cpu;
type A = CpuArray;

for (const dtype of ["float64", "float32"] as const) {
  Deno.test(`IdentityOperator: agrees with dense eye (${dtype})`, async () => {
    for (const [n, batch] of [[3, []], [4, [5]], [2, [3, 1]], [3, [0]], [0, [2]]] as const) {
      const I = identityOperator<A>(n, { batch: [...batch], dtype });
      assert.deepEqual(I.shape, [...batch, n, n]);
      assert.equal(I.dtype, dtype);
      await checkOperator(
        xp,
        I,
        refEye(n, [...batch]),
        dtype,
        `I_${n} batch ${JSON.stringify(batch)}`,
      );
    }
  });
}

Deno.test("IdentityOperator: copies, promotes and broadcasts", async () => {
  const I = new IdentityOperator<A>(3, { batch: [2] });
  assert.equal(I.dtype, "float64");
  assert.equal(I.H, I);
  assert.equal(I.T, I);
  const x = xp.asarray([1, 2, 3], { dtype: "float32" });
  const y = I.matvec(x);
  assert.notEqual(y, x);
  assert.equal(y.dtype, "float64"); // result_type(float64, float32)
  assert.deepEqual(Array.from(await xp.toHost(y)), [1, 2, 3, 1, 2, 3]);
  const I32 = new IdentityOperator<A>(3, { dtype: "float32" });
  const z = I32.matvec(x);
  assert.notEqual(z, x);
  assert.equal(z.dtype, "float32");
});

Deno.test("IdentityOperator: errors", () => {
  assert.throws(
    () => new IdentityOperator(-1),
    (e: unknown) => e instanceof RangeError && /got -1/.test(e.message),
  );
  assert.throws(() => new IdentityOperator(2.5), RangeError);
  assert.throws(() => new IdentityOperator("3" as unknown as number), TypeError);
  assert.throws(() => new IdentityOperator(3, { batch: [-2] }), RangeError);
  assert.throws(
    () => new IdentityOperator<A>(3, { batch: [2] }).matvec(xp.ones([3, 3])),
    (e: unknown) => e instanceof RangeError && /batch shape \(2,\).*\(3,\)/.test(e.message),
  );
});
