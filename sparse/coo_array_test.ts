import assert from "node:assert/strict";
import { cpu } from "../backends/cpu/mod.ts";
import { CooArray, cooArray } from "./coo_array.ts";
import { csrArray } from "./csr_array.ts";
import {
  assertClose,
  cooDense,
  host,
  randDense,
  refMatmat,
  refMatvec,
  rng,
} from "./_helpers_test.ts";

Deno.test("cooArray: keeps triplets as given, infers the shape, sums duplicates in products", async () => {
  const A = cooArray({ row: [1, 0, 1], col: [2, 0, 2], data: [1, 2, 3] });
  assert.ok(A instanceof CooArray);
  assert.deepEqual(A.shape, [2, 3]);
  assert.equal(A.nnz, 3);
  assert.equal(A.hasCanonicalFormat, false);
  assert.deepEqual([...(await cpu.toHost(A.toDense()))], [2, 0, 0, 0, 0, 4]);
  assert.deepEqual([...(await cpu.toHost(A.matvec(cpu.asarray([1, 1, 1]))))], [2, 4]);
  const C = A.sumDuplicates();
  assert.deepEqual([...C.row], [0, 1]);
  assert.deepEqual([...C.col], [0, 2]);
  assert.deepEqual([...(await cpu.toHost(C.data))], [2, 4]);
  assert.equal(C.hasCanonicalFormat, true);
  assert.equal(C.sumDuplicates(), C);
  const csr = A.toCsr();
  assert.equal(A.toCsr(), csr);
  assert.equal(csr.hasCanonicalFormat, true);
  assert.match(String(A), /CooArray float64 \(2, 3\), 3 stored entries/);
});

Deno.test("cooArray: batched data, transpose without data movement, diagonal", async () => {
  const data = cpu.reshape(cpu.asarray([1, 2, 3, 4, 5, 6]), [2, 3]);
  const A = cooArray({ row: [0, 1, 2], col: [2, 1, 0], data }, { shape: [2, 3, 4] });
  assert.deepEqual(A.shape, [2, 3, 4]);
  const T = A.T;
  assert.deepEqual(T.shape, [2, 4, 3]);
  assert.equal(T.data, A.data);
  assert.equal(T.row, A.col);
  const D = cooDense([2], 3, 4, [0, 1, 2], [2, 1, 0], [1, 2, 3, 4, 5, 6]);
  assertClose(await host(cpu, A.toDense()), D, 0);
  const x = randDense([3, 1, 4], rng(1));
  assertClose(
    await host(cpu, A.matvec(cpu.reshape(cpu.asarray(x.data), x.shape))),
    refMatvec(D, x),
    1e-12,
  );
  const X = randDense([3, 2], rng(2));
  assertClose(
    await host(cpu, A.rmatmat(cpu.reshape(cpu.asarray(X.data), X.shape))),
    refMatmat(D, X, true),
    1e-12,
  );
  assert.deepEqual([...(await cpu.toHost(A.diagonal()))], [0, 2, 0, 0, 5, 0]);
});

Deno.test("cooArray: from dense (nested and namespace), from CSR, astype, withData, to", async () => {
  const A = cooArray([[0, 1], [2, 0]]);
  assert.deepEqual([...A.row], [0, 1]);
  const B = await cooArray(cpu.asarray([[0, 0], [0, 9]], { dtype: "float32" }));
  assert.equal(B.dtype, "float32");
  assert.deepEqual([...B.col], [1]);
  const C = cooArray(csrArray([[5, 0], [0, 6]]));
  assert.deepEqual([...C.row], [0, 1]);
  assert.equal(cooArray(C), C);
  assert.equal(cooArray(C, { dtype: "float32" }).dtype, "float32");
  assert.equal(A.astype("float32").dtype, "float32");
  const W = A.withData([[1, 2], [3, 4], [5, 6]]);
  assert.deepEqual(W.shape, [3, 2, 2]);
  assert.throws(() => A.withData([1, 2, 3]), /expected \(\.\.\., 2\)/);
  const M = await A.to(cpu, { dtype: "float32" });
  assert.equal(M.dtype, "float32");
  assert.deepEqual([...M.row], [0, 1]);
});

Deno.test("cooArray: error paths", () => {
  assert.throws(
    () => cooArray({ row: [0, 1], col: [0], data: [1, 2] }),
    /row has 2 entries but col has 1/,
  );
  assert.throws(
    () => cooArray({ row: [0, 5], col: [0, 0], data: [1, 2] }, { shape: [3, 3] }),
    (e: unknown) =>
      e instanceof RangeError && /row\[1\] = 5 is out of range for 3 rows/.test(e.message),
  );
  assert.throws(
    () => cooArray({ row: [0], col: [4], data: [1] }, { shape: [3, 3] }),
    /col\[0\] = 4 is out of range for 3 columns/,
  );
  assert.throws(() => cooArray({ row: [0], col: [0], data: [1, 2] }), RangeError);
  assert.throws(
    () => cooArray({ row: [0], col: [0], data: [1] }, { shape: [2 ** 31, 2] }),
    /int32 limit/,
  );
  assert.throws(
    () => cooArray({ row: [0], col: [0], data: [true] as unknown as number[] }),
    TypeError,
  );
  // deno-lint-ignore no-explicit-any
  assert.throws(() => cooArray("x" as any), TypeError);
  assert.throws(
    () => cooArray({ row: [0], col: [0], data: [1] }).matvec(cpu.ones([2])),
    RangeError,
  );
});
