import assert from "node:assert/strict";
import { cpu, type CpuArray } from "../backends/cpu/mod.ts";
import { jacobi } from "./jacobi.ts";
import { LinearOperator } from "./linear_operator.ts";
import { MatrixOperator } from "./matrix_operator.ts";
import { DiagonalOperator } from "./diagonal_operator.ts";
import { IdentityOperator } from "./identity_operator.ts";
import {
  checkOperator,
  normalRng,
  randDense,
  refDiagMatrix,
  refDiagonal,
  roundF32,
  upload,
} from "./_linear_operator_testing.ts";

const xp = cpu;
type A = CpuArray;
const host = async (a: A) => Array.from(await xp.toHost(a));

for (const dtype of ["float64", "float32"] as const) {
  Deno.test(`jacobi: D⁻¹ of batched dense matrices (${dtype})`, async () => {
    let d = randDense([5, 4, 4], normalRng(2));
    if (dtype === "float32") d = roundF32(d);
    const M = jacobi(upload(xp, d, dtype));
    assert.ok(M instanceof DiagonalOperator);
    assert.deepEqual(M.shape, [5, 4, 4]);
    assert.equal(M.dtype, dtype);
    const diag = refDiagonal(d);
    const inv = { shape: diag.shape, data: diag.data.map((v) => 1 / v) };
    const ref = dtype === "float32" ? roundF32(inv) : inv;
    await checkOperator(xp, M, refDiagMatrix(ref), dtype, "jacobi(dense)");
  });
}

Deno.test("jacobi: values, operators with known diagonals, nested arrays", async () => {
  const A1 = xp.asarray([[[4, 1], [1, 2]], [[8, 0], [0, 5]]]);
  assert.deepEqual(await host(jacobi(A1).matvec(xp.asarray([1, 1]))), [0.25, 0.5, 0.125, 0.2]);
  assert.deepEqual(await host(jacobi<A>([[2, 0], [0, 4]]).matvec(xp.asarray([1, 1]))), [0.5, 0.25]);
  // sums and scalings of dense, diagonal and identity operators
  const op = new MatrixOperator(A1).add(new IdentityOperator<A>(2)).scale(2); // diag 2·(5, 3 | 9, 6)
  assert.deepEqual(await host(jacobi(op).matvec(xp.asarray([1, 3]))), [0.1, 0.5, 1 / 18, 0.25]);
  // an OperatorLike (as a sparse array would be) with a diagonal
  const like = {
    shape: [3, 3],
    dtype: "float64" as const,
    xp,
    matvec: (x: A) => xp.multiply(x, 4),
    diagonal: () => xp.asarray([4, 4, 4]),
  };
  assert.deepEqual(await host(jacobi<A>(like).matvec(xp.asarray([1, 2, 3]))), [0.25, 0.5, 0.75]);
  // donation: the preconditioner may write into out
  const out = xp.zeros([2, 2]);
  const z = jacobi(A1).matvec(xp.asarray([[4, 2], [8, 5]]), out);
  assert.deepEqual(await host(z), [1, 1, 1, 1]);
});

Deno.test("jacobi: zero diagonal entries give non-finite values in that system only", async () => {
  // system 0 is fine, system 1 has a zero on its diagonal
  const A2 = xp.asarray([[[2, 1], [1, 2]], [[0, 1], [1, 3]]]);
  const M = jacobi(A2);
  const z = await host(M.matvec(xp.asarray([[1, 1], [1, 1]])));
  assert.deepEqual(z.slice(0, 2), [0.5, 0.5]);
  assert.equal(z[2], Infinity);
  assert.ok(Number.isFinite(z[3]));
  // a zero residual entry against a zero diagonal entry gives NaN (0 · ∞), also non-finite
  const w = await host(M.matvec(xp.asarray([[1, 1], [0, 1]])));
  assert.ok(Number.isNaN(w[2]));
  assert.deepEqual(w.slice(0, 2), [0.5, 0.5]);
});

Deno.test("jacobi: synchronous, no host readback", () => {
  const ns = cpu as unknown as { toHost: (a: A) => Promise<unknown> };
  const orig = ns.toHost;
  try {
    ns.toHost = () => {
      throw new Error("toHost called");
    };
  } catch {
    console.log("skipped: cpu.toHost cannot be replaced (frozen namespace)");
    return;
  }
  try {
    const M = jacobi(xp.asarray([[[4, 1], [1, 2]], [[8, 0], [0, 5]]]));
    assert.ok(!(M instanceof Promise));
    const y = M.matvec(xp.ones([2]));
    assert.deepEqual(y.shape, [2, 2]);
  } finally {
    ns.toHost = orig;
  }
});

Deno.test("jacobi: matrix-free operators need options.diagonal", async () => {
  const free = new LinearOperator<A>({
    shape: [3, 2, 2],
    dtype: "float64",
    matvec: (x) => xp.multiply(x, 2),
  });
  assert.throws(
    () => jacobi(free),
    (e: unknown) =>
      e instanceof TypeError &&
      /not known.*jacobi\(A, \{ diagonal: d \}\).*\(3, 2\)/.test(e.message),
  );
  const M = jacobi(free, { diagonal: xp.asarray([2, 4]) }); // broadcast to the batch
  assert.deepEqual(M.shape, [3, 2, 2]);
  assert.deepEqual(await host(M.matvec(xp.ones([2]))), [0.5, 0.25, 0.5, 0.25, 0.5, 0.25]);
  assert.throws(
    () => jacobi(free, { diagonal: xp.ones([3]) }),
    (e: unknown) => e instanceof RangeError && /\(3,\).*\(3, 2\)/.test(e.message),
  );
  assert.throws(() => jacobi(free, { diagonal: [1, 2] as unknown as A }), TypeError);
  const other = { ...cpu, name: "other" } as unknown as typeof cpu;
  const foreign = new Proxy(xp.ones([2]), {
    get: (t, p) => p === "__array_namespace__" ? () => other : Reflect.get(t, p),
  });
  assert.throws(
    () => jacobi(free, { diagonal: foreign }),
    (e: unknown) => e instanceof TypeError && /namespace other/.test(e.message),
  );
});

Deno.test("jacobi: rectangular operators and bad input", () => {
  assert.throws(
    () => jacobi(xp.ones([2, 3, 4])),
    (e: unknown) => e instanceof RangeError && /\(2, 3, 4\) is not square/.test(e.message),
  );
  assert.throws(() => jacobi(42 as unknown as A), TypeError);
});
