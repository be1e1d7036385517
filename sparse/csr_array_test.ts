import assert from "node:assert/strict";
import type { ArrayNamespace, ArrayObject, DType } from "../array_api/types.ts";
import { cpu } from "../backends/cpu/mod.ts";
import { type CsrArray, csrArray } from "./csr_array.ts";
import { cooArray } from "./coo_array.ts";
import { stackSparse } from "./stack_sparse.ts";
import {
  assertClose,
  cooDense,
  type Dense,
  host,
  randDense,
  randomCoo,
  refMatmat,
  refMatvec,
  rng,
  withoutKernels,
} from "./_helpers_test.ts";

// deno-lint-ignore no-explicit-any
type AnyNs = ArrayNamespace<any>;
const plain = withoutKernels(cpu) as AnyNs;
const NAMESPACES: [string, AnyNs][] = [["cpu", cpu as AnyNs], ["cpu without kernels", plain]];

function tolFor(dtype: DType): number {
  return dtype === "float32" ? 2e-5 : 1e-12;
}

/** A random shared-pattern batched CSR array plus its dense reference. */
function randomCsr(
  xp: AnyNs,
  batch: number[],
  M: number,
  N: number,
  density: number,
  seed: number,
  dtype: DType = "float64",
  dups = true,
): { A: CsrArray<ArrayObject>; D: Dense } {
  const rand = rng(seed);
  const nnz = Math.round(density * M * N);
  const { row, col } = randomCoo(M, N, nnz, rand, dups);
  const vals = randDense([...batch, row.length], rand, dtype === "float32");
  // Unsorted CSR with duplicates: rows grouped, columns in random order.
  const order = row.map((_, k) => k).sort((a, b) => row[a] - row[b]);
  const indptr = new Array(M + 1).fill(0);
  for (const r of row) indptr[r + 1]++;
  for (let i = 0; i < M; i++) indptr[i + 1] += indptr[i];
  const nb = batch.reduce((a, b) => a * b, 1);
  const data = new Float64Array(nb * row.length);
  for (let b = 0; b < nb; b++) {
    order.forEach((k, t) => data[b * row.length + t] = vals.data[b * row.length + k]);
  }
  const A = csrArray({
    indptr,
    indices: order.map((k) => col[k]),
    data: xp.reshape(xp.asarray(data, { dtype }), [...batch, row.length]),
  }, { shape: [...batch, M, N] });
  return { A, D: cooDense(batch, M, N, row, col, vals.data) };
}

Deno.test("csrArray: CSR input keeps the structure and infers the shape", async () => {
  const A = csrArray({ indptr: [0, 2, 3, 3], indices: [2, 0, 1], data: [1, 2, 3] });
  assert.deepEqual(A.shape, [3, 3]);
  assert.equal(A.nnz, 3);
  assert.equal(A.dtype, "float64");
  assert.equal(A.layout, "shared");
  assert.equal(A.hasCanonicalFormat, false);
  assert.equal(A.hasSortedIndices, false);
  assert.deepEqual([...A.indices], [2, 0, 1]);
  assert.deepEqual([...(await cpu.toHost(A.toDense()))], [2, 0, 1, 0, 3, 0, 0, 0, 0]);
  const B = csrArray(
    { indptr: new Int32Array([0, 1]), indices: new Int32Array([4]), data: new Float32Array([5]) },
    { shape: [1, 6] },
  );
  assert.deepEqual(B.shape, [1, 6]);
  assert.equal(B.dtype, "float32");
  assert.match(String(B), /CsrArray float32 \(1, 6\), 1 stored entries/);
});

Deno.test("csrArray: batched data [...batch, nnz], flat data with a shape", async () => {
  const A = csrArray({ indptr: [0, 1, 2], indices: [1, 0], data: [[1, 2], [3, 4], [5, 6]] });
  assert.deepEqual(A.shape, [3, 2, 2]);
  assert.deepEqual(A.batchShape, [3]);
  assert.deepEqual([...(await cpu.toHost(A.toDense()))], [0, 1, 2, 0, 0, 3, 4, 0, 0, 5, 6, 0]);
  const B = csrArray({ indptr: [0, 1, 2], indices: [1, 0], data: [1, 2, 3, 4] }, {
    shape: [2, 1, 2, 2],
  });
  assert.deepEqual(B.data.shape, [2, 1, 2]);
});

Deno.test("csrArray: invalid structure is a RangeError naming what and where", () => {
  const bad: [unknown, RegExp, number[]?][] = [
    [
      { indptr: [0, 2, 1], indices: [0, 1], data: [1, 2] },
      /indptr must be non-decreasing: indptr\[1\] = 2 > indptr\[2\] = 1/,
    ],
    [{ indptr: [1, 2], indices: [0, 1], data: [1, 2] }, /indptr\[0\] = 1, expected 0/],
    [
      { indptr: [0, 1, 3], indices: [0, 1], data: [1, 2] },
      /indptr\[2\] = 3 must equal the number of indices \(2\)/,
    ],
    [
      { indptr: [0, 1, 2], indices: [0, 5], data: [1, 2] },
      /indices\[1\] = 5 \(row 1\) is out of range for 3 columns/,
      [2, 3],
    ],
    [
      { indptr: [0, 1], indices: [0], data: [1] },
      /indptr has 2 entries but shape \(3, 3\) needs M \+ 1 = 4/,
      [3, 3],
    ],
    [
      { indptr: [0, 1], indices: [0], data: [1, 2] },
      /data has shape \(2,\) but shape \(1, 1\) with 1 stored entries needs \(1,\)/,
      [1, 1],
    ],
    [{ indptr: [0, 1], indices: [-1], data: [1] }, /indices\[0\] = -1 is outside \[0, 2\^31 - 1\]/],
    [{ indptr: [0, 1], indices: [0.5], data: [1] }, /indices\[0\] = 0.5 is not an integer/],
    [
      { indptr: [0, 1], indices: [0], data: [1] },
      /number of rows M = 2147483648 exceeds the int32 limit 2\^31 - 1/,
      [2 ** 31, 1],
    ],
    [
      { indptr: [0, 1], indices: [0], data: [1] },
      /columns N = 3000000000 exceeds the int32 limit/,
      [1, 3e9],
    ],
    [{ indptr: [0, 1], indices: [0], data: [1] }, /shape \(1,\) must have at least 2 axes/, [1]],
  ];
  for (const [input, re, shape] of bad) {
    assert.throws(
      // deno-lint-ignore no-explicit-any
      () => csrArray(input as any, shape ? { shape } : {}),
      (e: unknown) => e instanceof RangeError && re.test(e.message),
      String(re),
    );
  }
});

Deno.test("csrArray: wrong kinds are TypeErrors", () => {
  assert.throws(
    () =>
      csrArray({
        indptr: cpu.asarray([0, 1], { dtype: "int32" }) as unknown as number[],
        indices: [0],
        data: [1],
      }),
    (e: unknown) => e instanceof TypeError && /indptr must be a host array/.test(e.message),
  );
  assert.throws(
    () => csrArray({ indptr: [0, 1], indices: [0], data: [1] }, { dtype: "bool" }),
    (e: unknown) => e instanceof TypeError && /dtype bool is not supported/.test(e.message),
  );
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => csrArray({ indptr: [0, 1], indices: ["a"] as any, data: [1] }),
    (e: unknown) => e instanceof TypeError && /indices\[0\] is string/.test(e.message),
  );
  // deno-lint-ignore no-explicit-any
  assert.throws(() => csrArray(42 as any), TypeError);
  // deno-lint-ignore no-explicit-any
  assert.throws(() => csrArray({ foo: 1 } as any), TypeError);
  assert.throws(
    () => csrArray({ indptr: [0, 1], indices: [0], data: plain.asarray([1]) }, { xp: cpu }),
    (e: unknown) => e instanceof TypeError && /options.xp is cpu/.test(e.message),
  );
});

Deno.test("csrArray: COO input becomes canonical (sorted, duplicates summed)", async () => {
  const A = csrArray({ row: [2, 0, 2, 0, 2], col: [1, 3, 1, 0, 0], data: [1, 2, 3, 4, 5] }, {
    shape: [3, 4],
  });
  assert.equal(A.hasCanonicalFormat, true);
  assert.deepEqual([...A.indptr], [0, 2, 2, 4]);
  assert.deepEqual([...A.indices], [0, 3, 0, 1]);
  assert.deepEqual([...(await cpu.toHost(A.data))], [4, 2, 5, 4]);
  assert.throws(
    () => csrArray({ row: [3], col: [0], data: [1] }, { shape: [3, 3] }),
    /row\[0\] = 3 is out of range for 3 rows/,
  );
});

Deno.test("csrArray: dense nested input (batched: union pattern) and dense namespace arrays", async () => {
  const A = csrArray([[[1, 0], [0, 0]], [[0, 0], [0, 2]]]);
  assert.deepEqual(A.shape, [2, 2, 2]);
  assert.equal(A.nnz, 2);
  assert.deepEqual([...(await cpu.toHost(A.data))], [1, 0, 0, 2]);
  const B = await csrArray(cpu.asarray([[0, 3], [4, 0]], { dtype: "float32" }));
  assert.equal(B.dtype, "float32");
  assert.deepEqual([...B.indices], [1, 0]);
  assert.throws(() => csrArray([[1, 2], [3]]), /ragged/);
  assert.throws(() => csrArray([1, 2] as unknown as number[][]), /at least 2 dimensions/);
  await assert.rejects(async () => await csrArray(cpu.asarray([1, 2])), RangeError);
});

Deno.test("sumDuplicates, sortIndices, hasCanonicalFormat", async () => {
  const A = csrArray({ indptr: [0, 3, 5], indices: [2, 0, 2, 1, 1], data: [1, 2, 3, 4, 5] }, {
    shape: [2, 3],
  });
  assert.equal(A.hasCanonicalFormat, false);
  const S = A.sortIndices();
  assert.deepEqual([...S.indices], [0, 2, 2, 1, 1]);
  assert.deepEqual([...(await cpu.toHost(S.data))], [2, 1, 3, 4, 5]);
  assert.equal(S.hasSortedIndices, true);
  assert.equal(S.hasCanonicalFormat, false);
  const C = A.sumDuplicates();
  assert.deepEqual([...C.indptr], [0, 2, 3]);
  assert.deepEqual([...C.indices], [0, 2, 1]);
  assert.deepEqual([...(await cpu.toHost(C.data))], [2, 4, 9]);
  assert.equal(C.hasCanonicalFormat, true);
  assert.equal(C.sumDuplicates(), C);
  assert.equal(C.sortIndices(), C);
});

Deno.test("transpose, diagonal, toDense against dense references (batched, duplicates)", async () => {
  for (const [name, xp] of NAMESPACES) {
    for (const [batch, M, N] of [[[], 7, 5], [[3], 6, 6], [[2, 2], 4, 9], [[0], 3, 3]] as const) {
      const { A, D } = randomCsr(xp, [...batch], M, N, 0.4, 11 + M);
      assertClose(await host(xp, A.toDense()), D, 1e-14, `${name} toDense`);
      const T = A.T;
      assert.deepEqual(T.shape, [...batch, N, M]);
      assert.equal(T.T, A);
      const Dt = transposeDense(D);
      assertClose(await host(xp, T.toDense()), Dt, 1e-14, `${name} T`);
      const K = Math.min(M, N);
      const diag = new Float64Array(D.data.length / (M * N) * K);
      for (let b = 0; b < diag.length / K; b++) {
        for (let i = 0; i < K; i++) diag[b * K + i] = D.data[b * M * N + i * N + i];
      }
      assertClose(
        await host(xp, A.diagonal()),
        { shape: [...batch, K], data: diag },
        1e-14,
        `${name} diagonal`,
      );
    }
  }
});

function transposeDense(D: Dense): Dense {
  const n = D.shape.length, M = D.shape[n - 2], N = D.shape[n - 1];
  const out = new Float64Array(D.data.length);
  for (let b = 0; b < D.data.length / (M * N); b++) {
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) out[b * M * N + j * M + i] = D.data[b * M * N + i * N + j];
    }
  }
  return { shape: [...D.shape.slice(0, -2), N, M], data: out };
}

/** Batch cases: [operator batch, vector batch]. */
const BATCH_CASES: [number[], number[]][] = [
  [[], []],
  [[], [3]],
  [[], [2, 3]],
  [[4], []],
  [[4], [4]],
  [[5], [3, 1]],
  [[2, 1], [3]],
  [[1, 3], [2, 1]],
  [[0], []],
  [[], [0]],
  [[5], [0, 1]],
  [[2, 3], [3]],
];

Deno.test("matvec/matmat/rmatvec/rmatmat: broadcasting vs dense reference, f32/f64, both paths", async () => {
  let seed = 100;
  for (const [name, xp] of NAMESPACES) {
    for (const dtype of ["float64", "float32"] as const) {
      for (const [bA, bX] of BATCH_CASES) {
        const M = 3 + (seed % 5), N = 2 + (seed % 7);
        const { A, D } = randomCsr(xp, bA, M, N, 0.5, seed++, dtype);
        const tol = tolFor(dtype);
        const tag = `${name} ${dtype} A${JSON.stringify(bA)} x${JSON.stringify(bX)}`;
        const x = randDense([...bX, N], rng(seed++), dtype === "float32");
        const xa = xp.asarray(x.data, { dtype });
        const y = A.matvec(xp.reshape(xa, x.shape));
        assert.equal(y.dtype, dtype, tag);
        assertClose(await host(xp, y), refMatvec(D, x), tol, `${tag} matvec`);
        const K = 1 + (seed % 3);
        const X = randDense([...bX, N, K], rng(seed++), dtype === "float32");
        const Xa = xp.reshape(xp.asarray(X.data, { dtype }), X.shape);
        assertClose(await host(xp, A.matmat(Xa)), refMatmat(D, X), tol, `${tag} matmat`);
        const u = randDense([...bX, M], rng(seed++), dtype === "float32");
        const ua = xp.reshape(xp.asarray(u.data, { dtype }), u.shape);
        assertClose(await host(xp, A.rmatvec(ua)), refMatvec(D, u, true), tol, `${tag} rmatvec`);
        const U = randDense([...bX, M, K], rng(seed++), dtype === "float32");
        const Ua = xp.reshape(xp.asarray(U.data, { dtype }), U.shape);
        assertClose(await host(xp, A.rmatmat(Ua)), refMatmat(D, U, true), tol, `${tag} rmatmat`);
      }
    }
  }
});

Deno.test("matvec: SciPy 1.18 broadcasting (5,) operator batch with (3, 1) vectors gives (3, 5)", async () => {
  for (const [, xp] of NAMESPACES) {
    const { A, D } = randomCsr(xp, [5], 6, 6, 0.4, 7);
    const x = randDense([3, 1, 6], rng(8));
    const y = A.matvec(xp.reshape(xp.asarray(x.data), [3, 1, 6]));
    assert.deepEqual(y.shape, [3, 5, 6]);
    assertClose(await host(xp, y), refMatvec(D, x), 1e-12);
  }
});

Deno.test("matvec: mixed dtypes promote; integer data; host input", async () => {
  const A = csrArray([[1, 2], [0, 3]], { dtype: "float32" });
  const y = A.matvec(cpu.asarray([1, 1], { dtype: "float64" }));
  assert.equal(y.dtype, "float64");
  assert.deepEqual([...(await cpu.toHost(y))], [3, 3]);
  const I = csrArray({ indptr: [0, 1, 2], indices: [0, 1], data: new Int32Array([2, 3]) });
  assert.equal(I.dtype, "int32");
  assert.deepEqual([...(await cpu.toHost(I.matvec(cpu.asarray([1.5, 2]))))], [3, 6]);
  assert.deepEqual([...(await cpu.toHost(A.matvec([1, 2])))], [5, 6]);
});

Deno.test("matvec: non-finite values in x stay in their rows (SciPy semantics)", async () => {
  for (const [, xp] of NAMESPACES) {
    // Row 0 has 1 entry, row 1 has 3: padding slots must not read x[0] = Inf.
    const A = csrArray({ indptr: [0, 1, 4], indices: [1, 0, 1, 2], data: [2, 1, 1, 1] }, {
      xp,
      shape: [2, 3],
    });
    const y = await xp.toHost(A.matvec(xp.asarray([Infinity, 1, 2])));
    assert.equal(y[0], 2);
    assert.equal(y[1], Infinity);
    const z = await xp.toHost(A.matvec(xp.asarray([NaN, 1, 2])));
    assert.equal(z[0], 2);
    assert.ok(Number.isNaN(z[1]));
  }
});

Deno.test("matvec: skewed rows (one dense row), empty rows, empty matrices, nnz = 0", async () => {
  for (const [name, xp] of NAMESPACES) {
    const M = 300, N = 300;
    const row: number[] = [], col: number[] = [];
    for (let j = 0; j < N; j++) {
      row.push(7);
      col.push(j);
    }
    for (let i = 0; i < M; i += 3) {
      row.push(i);
      col.push((i * 7) % N);
    }
    const vals = randDense([row.length], rng(3));
    const A = csrArray({ row, col, data: xp.asarray(vals.data) }, { shape: [M, N] });
    const D = cooDense([], M, N, row, col, vals.data);
    const x = randDense([N], rng(4));
    assertClose(await host(xp, A.matvec(xp.asarray(x.data))), refMatvec(D, x), 1e-12, name);
    assertClose(
      await host(xp, A.rmatvec(xp.asarray(x.data))),
      refMatvec(D, x, true),
      1e-12,
      name + " rmatvec",
    );
    const Z = csrArray({ indptr: [0, 0, 0], indices: [], data: xp.asarray([]) }, { shape: [2, 4] });
    assert.deepEqual([...(await xp.toHost(Z.matvec(xp.ones([4]))))], [0, 0]);
    const E = csrArray({ indptr: [0], indices: [], data: xp.asarray([]) }, { shape: [0, 4] });
    assert.deepEqual(E.matvec(xp.ones([3, 4])).shape, [3, 0]);
    const F = csrArray({ indptr: [0, 0], indices: [], data: xp.asarray([]) }, { shape: [1, 0] });
    assert.deepEqual([...(await xp.toHost(F.matvec(xp.ones([0]))))], [0]);
  }
});

Deno.test("products: error paths name the shapes", () => {
  const { A } = randomCsr(cpu as AnyNs, [5], 4, 3, 0.5, 1);
  assert.throws(
    () => A.matvec(cpu.ones([4])),
    (e: unknown) =>
      e instanceof RangeError &&
      /x has shape \(4,\) but the operator of shape \(5, 4, 3\) needs \(\.\.\., 3\)/.test(
        e.message,
      ),
  );
  assert.throws(
    () => A.matvec(cpu.ones([4, 3])),
    (e: unknown) =>
      e instanceof RangeError && /batch shape \(5,\).*batch shape \(4,\).*cannot be broadcast/.test(
        e.message,
      ),
  );
  assert.throws(() => A.matmat(cpu.ones([3])), /needs \(\.\.\., 3, K\)/);
  assert.throws(() => A.rmatvec(cpu.ones([3])), /needs \(\.\.\., 4\)/);
  assert.throws(
    () => A.matvec(plain.ones([3])),
    (e: unknown) =>
      e instanceof TypeError && /belongs to namespace cpu \(no kernels\)/.test(e.message),
  );
  assert.throws(() => A.matvec(cpu.ones([3], { dtype: "bool" })), TypeError);
  assert.throws(
    () => A.matvec(cpu.ones([3]), cpu.zeros([5, 3])),
    (e: unknown) =>
      e instanceof RangeError && /out has shape \(5, 3\), expected \(5, 4\)/.test(e.message),
  );
  assert.throws(
    () => A.matvec(cpu.ones([3]), cpu.zeros([5, 4], { dtype: "float32" })),
    (e: unknown) =>
      e instanceof TypeError && /out has dtype float32, expected float64/.test(e.message),
  );
});

Deno.test("products: out is donated (the returned array holds the result)", async () => {
  for (const [, xp] of NAMESPACES) {
    const { A, D } = randomCsr(xp, [2], 5, 5, 0.5, 21);
    const x = randDense([2, 5], rng(22));
    const xa = xp.reshape(xp.asarray(x.data), [2, 5]);
    const y = A.matvec(xa, xp.zeros([2, 5]));
    assertClose(await host(xp, y), refMatvec(D, x), 1e-12);
    // Donating x itself is safe: the input is read before anything is written.
    const x2 = xp.reshape(xp.asarray(x.data), [2, 5]);
    assertClose(await host(xp, A.matvec(x2, x2)), refMatvec(D, x), 1e-12);
  }
});

Deno.test("astype, withData (new batch), to(xp)", async () => {
  const A = csrArray([[2, -1, 0], [-1, 2, -1], [0, -1, 2]]);
  const F = A.astype("float32");
  assert.equal(F.dtype, "float32");
  assert.equal(F.indptr, A.indptr);
  assert.equal(A.astype("float64"), A);
  const B = A.withData(cpu.reshape(cpu.arange(14), [2, 7]));
  assert.deepEqual(B.shape, [2, 3, 3]);
  assert.deepEqual([...(await cpu.toHost(B.diagonal()))], [0, 3, 6, 7, 10, 13]);
  const H = A.withData([1, 2, 3, 4, 5, 6, 7]);
  assert.equal(H.dtype, "float64");
  assert.throws(
    () => A.withData([1, 2]),
    /data has shape \(2,\) but the pattern has 7 stored entries/,
  );
  assert.throws(() => A.withData(plain.ones([7])), TypeError);
  assert.throws(() => A.astype("bool"), TypeError);
  const P = await A.to(plain, { dtype: "float32" });
  assert.equal(P.xp, plain);
  assert.equal(P.dtype, "float32");
  assert.deepEqual([...(await plain.toHost(P.matvec(plain.ones([3]))))], [1, 0, 1]);
  const back = await P.to(cpu);
  assert.deepEqual([...(await cpu.toHost(back.toDense()))], [2, -1, 0, -1, 2, -1, 0, -1, 2]);
});

Deno.test("toCoo shares data; csrArray(coo) converts; unstack splits a shared batch", async () => {
  const A = csrArray({ indptr: [0, 2, 3], indices: [0, 1, 1], data: [[1, 2, 3], [4, 5, 6]] });
  const C = A.toCoo();
  assert.deepEqual([...C.row], [0, 0, 1]);
  assert.equal(C.data, A.data);
  const back = csrArray(C);
  assert.deepEqual([...back.indices], [0, 1, 1]);
  const parts = A.unstack();
  assert.equal(parts.length, 2);
  assert.deepEqual(parts[1].shape, [2, 2]);
  assert.deepEqual([...(await cpu.toHost(parts[1].data))], [4, 5, 6]);
  assert.equal(csrArray(A), A);
  assert.throws(() => csrArray(A, { shape: [3, 3] }), RangeError);
});

Deno.test("stackSparse: different patterns (stacked layout) vs dense, both paths", async () => {
  for (const [name, xp] of NAMESPACES) {
    const mats = [0, 1, 2].map((b) => randomCsr(xp, [], 6, 4, 0.3 + 0.2 * b, 40 + b));
    const S = stackSparse(mats.map((m) => m.A));
    assert.equal(S.layout, "stacked");
    assert.deepEqual(S.shape, [3, 6, 4]);
    assert.equal(S.nnz, mats.reduce((s, m) => s + m.A.nnz, 0));
    const D: Dense = {
      shape: [3, 6, 4],
      data: Float64Array.from(mats.flatMap((m) => [...m.D.data])),
    };
    assertClose(await host(xp, S.toDense()), D, 1e-14, `${name} toDense`);
    const diag = await host(xp, S.diagonal());
    assert.deepEqual(diag.shape, [3, 4]);
    for (const bX of [[], [3], [2, 1], [2, 3]]) {
      const x = randDense([...bX, 4], rng(50));
      const xa = xp.reshape(xp.asarray(x.data), x.shape);
      assertClose(await host(xp, S.matvec(xa)), refMatvec(D, x), 1e-12, `${name} mv ${bX}`);
      const X = randDense([...bX, 4, 2], rng(51));
      const Xa = xp.reshape(xp.asarray(X.data), X.shape);
      assertClose(await host(xp, S.matmat(Xa)), refMatmat(D, X), 1e-12, `${name} mm ${bX}`);
      const u = randDense([...bX, 6], rng(52));
      const ua = xp.reshape(xp.asarray(u.data), u.shape);
      assertClose(await host(xp, S.rmatvec(ua)), refMatvec(D, u, true), 1e-12, `${name} rmv`);
    }
    const T = S.T;
    assert.equal(T.layout, "stacked");
    assertClose(await host(xp, T.toDense()), transposeDense(D), 1e-14, `${name} T`);
    const C = S.sumDuplicates();
    assert.equal(C.hasCanonicalFormat, true);
    assertClose(await host(xp, C.toDense()), D, 1e-14, `${name} canonical`);
    const parts = S.unstack();
    for (let b = 0; b < 3; b++) {
      assertClose(await host(xp, parts[b].toDense()), mats[b].D, 1e-14, `${name} unstack`);
    }
    assert.throws(() => S.toCoo(), TypeError);
    assert.throws(() => S.matvec(xp.ones([4, 4])), /cannot be broadcast/);
    const S2 = S.withData(xp.multiply(S.data, 2));
    assert.equal(S2.layout, "stacked");
    assert.throws(() => S.withData(xp.ones([2, S.nnz])), /expected \(\d+,\)/);
  }
});

Deno.test("stackSparse: equal patterns give the shared layout; errors", async () => {
  const a = csrArray([[1, 0], [0, 2]]), b = csrArray([[3, 0], [0, 4]], { dtype: "float32" });
  const S = stackSparse([a, b.toCoo()]);
  assert.equal(S.layout, "shared");
  assert.equal(S.dtype, "float64");
  assert.deepEqual([...(await cpu.toHost(S.data))], [1, 2, 3, 4]);
  assert.equal(stackSparse([a, b], { layout: "stacked" }).layout, "stacked");
  assert.throws(() => stackSparse([]), RangeError);
  assert.throws(() => stackSparse([a, csrArray([[1, 2, 3]])]), /entry 1 has shape \(1, 3\)/);
  assert.throws(() => stackSparse([a, S]), /entry 1 has shape \(2, 2, 2\)/);
  // deno-lint-ignore no-explicit-any
  assert.throws(() => stackSparse([a, [[1]] as any]), TypeError);
  assert.throws(() => stackSparse([a, csrArray([[1, 0], [0, 1]], { xp: plain })]), TypeError);
});

Deno.test("COO and CSR agree on products (COO with duplicates)", async () => {
  const rand = rng(77);
  const { row, col } = randomCoo(9, 7, 30, rand, true);
  const vals = randDense([2, row.length], rand);
  const C = cooArray({ row, col, data: cpu.reshape(cpu.asarray(vals.data), [2, row.length]) });
  const D = cooDense([2], 9, 7, row, col, vals.data);
  const x = randDense([7], rng(78));
  assertClose(await host(cpu, C.matvec(cpu.asarray(x.data))), refMatvec(D, x), 1e-12);
});

Deno.test("dispose releases data; device caches are rebuilt for siblings", async () => {
  const A = csrArray([[1, 2], [3, 4]]);
  const B = A.withData([5, 6, 7, 8]);
  A.matvec(cpu.ones([2]));
  A.dispose();
  assert.deepEqual([...(await cpu.toHost(B.matvec(cpu.ones([2]))))], [11, 15]);
});
