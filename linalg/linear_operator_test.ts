import assert from "node:assert/strict";
import type { ArrayNamespace } from "../array_api/types.ts";
import { defineFused, runFused } from "../array_api/fuse.ts";
import { cpu, type CpuArray } from "../backends/cpu/mod.ts";
import { LinearOperator, type LinearOperatorOptions } from "./linear_operator.ts";
import { MatrixOperator } from "./matrix_operator.ts";
import { DiagonalOperator } from "./diagonal_operator.ts";
import { IdentityOperator } from "./identity_operator.ts";
import {
  checkOperator,
  type Dense,
  normalRng,
  randDense,
  refBinary,
  refDiagMatrix,
  refEye,
  refMatmul,
  refScale,
  refTranspose,
  roundF32,
  upload,
} from "./_linear_operator_testing.ts";

const xp = cpu;
type A = CpuArray;
const DTYPES = ["float64", "float32"] as const;
type F = (typeof DTYPES)[number];

function dense(shape: number[], seed: number, dtype: F): Dense {
  const d = randDense(shape, normalRng(seed));
  return dtype === "float32" ? roundF32(d) : d;
}

/** `x ↦ m x` with cpu ops, as a user would write it. */
const mv = (m: A) => (x: A): A => {
  const X = xp.expand_dims(x, { axis: -1 });
  const Y = xp.matmul(m, X);
  return xp.reshape(Y, Y.shape.slice(0, -1));
};
const mm = (m: A) => (X: A): A => xp.matmul(m, X);

type Which = "matvec" | "matmat" | "rmatvec" | "rmatmat";

/** A functional LinearOperator defined by the given subset of its four functions. */
function functional(d: Dense, dtype: F, which: Which[], giveDtype = true): LinearOperator<A> {
  const a = upload(xp, d, dtype);
  const h = xp.matrix_transpose(a);
  const opts: LinearOperatorOptions<A> = {
    shape: d.shape,
    xp,
    dtype: giveDtype ? dtype : undefined,
    matvec: which.includes("matvec") ? mv(a) : undefined,
    matmat: which.includes("matmat") ? mm(a) : undefined,
    rmatvec: which.includes("rmatvec") ? mv(h) : undefined,
    rmatmat: which.includes("rmatmat") ? mm(h) : undefined,
  };
  return new LinearOperator(opts);
}

for (const dtype of DTYPES) {
  Deno.test(`LinearOperator: functional operators agree with dense (${dtype})`, async () => {
    // matvec + rmatvec only: matmat/rmatmat default to column loops over batched operators
    const d1 = dense([5, 4, 3], 1, dtype);
    assert.ok(
      await checkOperator(xp, functional(d1, dtype, ["matvec", "rmatvec"]), d1, dtype, "mv+rmv") >
        0,
    );
    // matmat + rmatmat only: matvec/rmatvec via a trailing length-1 axis
    const d2 = dense([3, 1, 4, 3], 2, dtype);
    await checkOperator(xp, functional(d2, dtype, ["matmat", "rmatmat"]), d2, dtype, "mm+rmm");
    // all four, unbatched and empty batch
    const d3 = dense([4, 4], 3, dtype);
    await checkOperator(
      xp,
      functional(d3, dtype, ["matvec", "matmat", "rmatvec", "rmatmat"]),
      d3,
      dtype,
      "all",
    );
    const d4 = dense([0, 3, 2], 4, dtype);
    await checkOperator(xp, functional(d4, dtype, ["matvec", "rmatmat"]), d4, dtype, "empty batch");
    // forward only: the adjoint is missing
    const d5 = dense([2, 3], 5, dtype);
    const op5 = functional(d5, dtype, ["matvec"]);
    await checkOperator(xp, op5, d5, dtype, "forward only", { adjoint: false });
    assert.equal(op5.hasAdjoint, false);
    assert.throws(
      () => op5.rmatvec(xp.ones([2], { dtype })),
      (e: unknown) => e instanceof TypeError && /no adjoint.*rmatvec/.test(e.message),
    );
    assert.throws(() => op5.H.matvec(xp.ones([2], { dtype })), TypeError);
  });

  Deno.test(`LinearOperator: compositions agree with dense (${dtype})`, async () => {
    const Ad = dense([5, 4, 3], 10, dtype), Bd = dense([3, 1, 4, 3], 11, dtype);
    const Cd = dense([3, 1, 3, 2], 12, dtype), Sd = dense([5, 3, 3], 13, dtype);
    const A = functional(Ad, dtype, ["matvec", "rmatvec"]);
    const B = new MatrixOperator(upload(xp, Bd, dtype));
    const C = functional(Cd, dtype, ["matmat", "rmatvec"]);
    const S = new MatrixOperator(upload(xp, Sd, dtype));
    const sum = refBinary(Ad, Bd, (a, b) => a + b); // (3, 5, 4, 3)
    await checkOperator(xp, A.add(B), sum, dtype, "A + B");
    await checkOperator(xp, A.sub(B), refBinary(Ad, Bd, (a, b) => a - b), dtype, "A - B");
    await checkOperator(xp, B.sub(A), refBinary(Bd, Ad, (a, b) => a - b), dtype, "B - A");
    await checkOperator(xp, A.matmul(C), refMatmul(Ad, Cd), dtype, "A C");
    await checkOperator(xp, A.dot(C), refMatmul(Ad, Cd), dtype, "A.dot(C)");
    await checkOperator(xp, A.scale(2.5), refScale(Ad, 2.5), dtype, "2.5 A");
    await checkOperator(xp, A.neg(), refScale(Ad, -1), dtype, "-A");
    await checkOperator(xp, A.dot(-0.5), refScale(Ad, -0.5), dtype, "A.dot(-0.5)");
    // per-batch factors (3, 1) against batch (5,) → batch (3, 5)
    const alpha = dense([3, 1], 14, dtype);
    const alphaOp = { shape: [3, 1, 1, 1], data: alpha.data };
    await checkOperator(
      xp,
      A.scale(upload(xp, alpha, dtype)),
      refBinary(Ad, alphaOp, (a, s) => a * s),
      dtype,
      "alpha A",
    );
    // powers of a square batched operator
    await checkOperator(xp, S.pow(0), refEye(3, [5]), dtype, "S^0");
    await checkOperator(xp, S.pow(1), Sd, dtype, "S^1");
    await checkOperator(xp, S.pow(3), refMatmul(Sd, refMatmul(Sd, Sd)), dtype, "S^3");
    // adjoints of compositions: (A C)ᴴ = Cᴴ Aᴴ, (αA)ᴴ = αAᴴ, (A + B)ᴴ = Aᴴ + Bᴴ
    await checkOperator(xp, A.matmul(C).H, refTranspose(refMatmul(Ad, Cd)), dtype, "(A C)^H");
    await checkOperator(xp, A.add(B).T, refTranspose(sum), dtype, "(A + B)^T");
    await checkOperator(xp, S.pow(2).H, refTranspose(refMatmul(Sd, Sd)), dtype, "(S^2)^H");
    // a deeper expression: ((A + B) C · α − S^2 restricted) — shapes (3,5,4,2)
    const E = A.add(B).matmul(C).scale(upload(xp, alpha, dtype)).H;
    const Eref = refTranspose(refBinary(refMatmul(sum, Cd), alphaOp, (a, s) => a * s));
    await checkOperator(xp, E, Eref, dtype, "((A+B) C α)^H");
    // mixing with the concrete operators
    const I = new IdentityOperator<A>(3, { batch: [2, 1], dtype });
    const D = new DiagonalOperator(upload(xp, dense([5, 3], 15, dtype), dtype));
    const Dd = refDiagMatrix(dense([5, 3], 15, dtype));
    await checkOperator(
      xp,
      S.add(I).sub(D).pow(2),
      (() => {
        const T = refBinary(refBinary(Sd, refEye(3, [2, 1]), (a, b) => a + b), Dd, (a, b) => a - b);
        return refMatmul(T, T);
      })(),
      dtype,
      "(S + I - D)^2",
    );
    // empty batch dimensions compose too
    const Z = new MatrixOperator(upload(xp, dense([0, 3, 3], 16, dtype), dtype));
    const Zsum = new IdentityOperator<A>(3, { dtype }).scale(0).add(Z);
    assert.deepEqual(Zsum.shape, [0, 3, 3]);
    assert.deepEqual(
      Z.add(new IdentityOperator<A>(3, { dtype })).matvec(xp.ones([3], { dtype })).shape,
      [0, 3],
    );
  });
}

Deno.test("LinearOperator: shapes, dtype and T/H bookkeeping", () => {
  const d = dense([5, 4, 3], 20, "float64");
  const A = functional(d, "float64", ["matvec", "rmatvec"]);
  assert.deepEqual(A.shape, [5, 4, 3]);
  assert.deepEqual(A.batchShape, [5]);
  assert.equal(A.ndim, 3);
  assert.equal(A.dtype, "float64");
  assert.ok(Object.isFrozen(A.shape));
  assert.deepEqual(A.H.shape, [5, 3, 4]);
  assert.deepEqual(A.T.shape, [5, 3, 4]);
  assert.equal(A.H.H, A);
  assert.equal(A.T.T, A);
  assert.equal(A.H, A.adjoint());
  assert.equal(A.T, A.transpose());
  assert.equal(A.add(A).shape.length, 3);
  assert.match(String(A), /LinearOperator\(shape=\(5, 4, 3\), dtype=float64\)/);
  // matvec of x with batch (3, 1) broadcasts with (5,)
  assert.deepEqual(A.matvec(xp.ones([3, 1, 3])).shape, [3, 5, 4]);
  assert.deepEqual(A.matmat(xp.ones([3, 1, 3, 7])).shape, [3, 5, 4, 7]);
  assert.deepEqual(A.rmatvec(xp.ones([4])).shape, [5, 3]);
  assert.deepEqual(A.dot(xp.ones([3])).shape, [5, 4]);
  assert.deepEqual(A.dot(xp.ones([3, 2])).shape, [5, 4, 2]);
  assert.deepEqual(A.matmul(xp.ones([3, 2])).shape, [5, 4, 2]);
});

Deno.test("LinearOperator: dtype inference applies matvec to a zero vector once", () => {
  const calls: (readonly number[])[] = [];
  const op = new LinearOperator<A>({
    shape: [2, 3, 3],
    matvec: (x) => {
      calls.push(x.shape);
      return xp.astype(xp.broadcast_to(x, [2, ...x.shape]), "float32");
    },
  });
  assert.equal(op.xp, cpu);
  assert.deepEqual(calls, [[3]]);
  assert.equal(op.dtype, "float32");
  assert.equal(calls.length, 1);
  // an explicit dtype skips the inference
  const calls2: number[] = [];
  const op2 = new LinearOperator<A>({
    shape: [3, 3],
    dtype: "float64",
    matvec: (x) => (calls2.push(1), xp.multiply(x, 2)),
  });
  assert.equal(op2.dtype, "float64");
  assert.equal(calls2.length, 0);
  // a failing inference names the operator and suggests passing dtype
  assert.throws(
    () =>
      new LinearOperator<A>({
        shape: [3, 3],
        matvec: () => {
          throw new RangeError("boom");
        },
      }),
    (e: unknown) =>
      e instanceof RangeError && /inferring the dtype.*pass dtype.*boom/.test(e.message),
  );
  // compositions infer from their operands without applying anything
  const f32 = new MatrixOperator(xp.ones([2, 2], { dtype: "float32" }));
  const f64 = new MatrixOperator(xp.ones([2, 2], { dtype: "float64" }));
  assert.equal(f32.add(f32).dtype, "float32");
  assert.equal(f32.add(f64).dtype, "float64");
  assert.equal(f32.matmul(f64).H.dtype, "float64");
  assert.equal(f32.scale(xp.ones([3], { dtype: "float64" })).dtype, "float64");
});

Deno.test("LinearOperator: subclasses override _matvec/_matmat and infer dtype lazily", async () => {
  class Shift extends LinearOperator<A> {
    readonly s: number;
    constructor(n: number, s: number) {
      super({ shape: [n, n], xp });
      this.s = s; // set after super(): dtype inference must not run before this
    }
    protected override _matvec(x: A): A {
      return xp.add(x, this.s);
    }
  }
  const op = new Shift(3, 1.5);
  assert.equal(op.toString(), "Shift(shape=(3, 3), dtype=not inferred yet)");
  assert.equal(op.dtype, "float64");
  assert.equal(op.hasAdjoint, false);
  assert.deepEqual(Array.from(await xp.toHost(op.matvec(xp.asarray([1, 2, 3])))), [2.5, 3.5, 4.5]);
  // matmat from _matvec, column by column
  const Y = op.matmat(xp.asarray([[1, 10], [2, 20], [3, 30]]));
  assert.deepEqual(Array.from(await xp.toHost(Y)), [2.5, 11.5, 3.5, 21.5, 4.5, 31.5]);

  class MatOnly extends LinearOperator<A> {
    protected override _matmat(x: A): A {
      return xp.multiply(x, 3);
    }
  }
  const m = new MatOnly({ shape: [2, 2], xp, dtype: "float64" });
  assert.deepEqual(Array.from(await xp.toHost(m.matvec(xp.asarray([1, 2])))), [3, 6]);

  class WithAdjoint extends LinearOperator<A> {
    protected override _matvec(x: A): A {
      return xp.multiply(x, 2);
    }
    protected override _adjoint(): LinearOperator<A> {
      return new LinearOperator<A>({ shape: [2, 2], xp, matvec: (x) => xp.multiply(x, 5) });
    }
  }
  const w = new WithAdjoint({ shape: [2, 2], xp });
  assert.ok(w.hasAdjoint);
  assert.deepEqual(Array.from(await xp.toHost(w.rmatvec(xp.asarray([1, 2])))), [5, 10]);
  assert.deepEqual(Array.from(await xp.toHost(w.rmatmat(xp.asarray([[1], [2]])))), [5, 10]);
});

Deno.test("LinearOperator: matmat from a 1-D-only matvec works column by column", async () => {
  // a classic SciPy-style operator that only understands 1-D vectors
  const seen: number[][] = [];
  const op = new LinearOperator<A>({
    shape: [3, 3],
    dtype: "float64",
    matvec: (x) => {
      seen.push([...x.shape]);
      if (x.ndim !== 1) throw new Error("1-D only");
      return xp.flip(x);
    },
  });
  const X = xp.asarray([[1, 2], [3, 4], [5, 6]]);
  assert.deepEqual(Array.from(await xp.toHost(op.matmat(X))), [5, 6, 3, 4, 1, 2]);
  assert.deepEqual(seen, [[3], [3]]);
  // zero columns: no call, an empty result of the right shape and dtype
  const E = op.matmat(xp.zeros([3, 0]));
  assert.deepEqual(E.shape, [3, 0]);
  assert.equal(seen.length, 2);
});

Deno.test("LinearOperator: input validation errors name operator and shapes", () => {
  const op = functional(dense([5, 4, 3], 30, "float64"), "float64", ["matvec", "rmatvec"]);
  const isRange = (re: RegExp) => (e: unknown) => e instanceof RangeError && re.test(e.message);
  const isType = (re: RegExp) => (e: unknown) => e instanceof TypeError && re.test(e.message);
  assert.throws(() => op.matvec(xp.ones([4])), isRange(/\(5, 4, 3\).*shape \(4,\).*length 3/));
  assert.throws(() => op.matvec(xp.ones([3, 2])), isRange(/shape \(3, 2\).*use matmat/));
  assert.throws(
    () => op.matvec(xp.ones([4, 3])),
    isRange(/batch shape \(5,\).*\(4,\).*\(4, 3\).*broadcast/),
  );
  assert.throws(
    () => op.matmat(xp.ones([3])),
    isRange(/shape \(3,\).*\(\.\.\., 3, K\).*use matvec/),
  );
  assert.throws(() => op.rmatvec(xp.ones([3])), isRange(/rmatvec.*length 4/));
  assert.throws(() => op.matvec(xp.asarray(2)), isRange(/shape \(\)/));
  assert.throws(
    () => op.matvec([1, 2, 3] as unknown as A),
    isType(/x must be a cpu array, got a JS array/),
  );
  // an array of another namespace
  const other = { ...cpu, name: "other" } as unknown as ArrayNamespace<A>;
  const foreign = new Proxy(xp.ones([3]), {
    get(t, p) {
      if (p === "__array_namespace__") return () => other;
      return Reflect.get(t, p);
    },
  });
  assert.throws(() => op.matvec(foreign), isType(/namespace other.*works on cpu/));
  // out validation
  assert.throws(
    () => op.matvec(xp.ones([3]), xp.ones([4])),
    isRange(/out has shape \(4,\).*\(5, 4\)/),
  );
  const x = xp.ones([5, 4]);
  assert.throws(() => op.rmatvec(x, x), isRange(/out must not be x/));
});

Deno.test("LinearOperator: results of user functions are checked", () => {
  const wrong = new LinearOperator<A>({
    shape: [2, 4, 3],
    dtype: "float64",
    matvec: (x) => xp.ones([...x.shape.slice(0, -1), 4]), // forgets the operator batch
    rmatvec: () => 3 as unknown as A,
  });
  assert.throws(
    () => wrong.matvec(xp.ones([3])),
    (e: unknown) =>
      e instanceof RangeError &&
      /LinearOperator of shape \(2, 4, 3\)\.matvec returned .* shape \(4,\) for x of shape \(3,\); expected \(2, 4\)/
        .test(e.message),
  );
  assert.throws(
    () => wrong.rmatvec(xp.ones([4])),
    (e: unknown) => e instanceof TypeError && /returned number 3/.test(e.message),
  );
  // the default matmat checks each column result too
  assert.throws(() => wrong.matmat(xp.ones([3, 2])), RangeError);
  // returning the input is allowed but never aliases it
  const id = new LinearOperator<A>({ shape: [3, 3], dtype: "float64", matvec: (x) => x });
  const x = xp.ones([3]);
  const y = id.matvec(x);
  assert.notEqual(y, x);
});

Deno.test("LinearOperator: constructor and composition errors", () => {
  const isRange = (re: RegExp) => (e: unknown) => e instanceof RangeError && re.test(e.message);
  const isType = (re: RegExp) => (e: unknown) => e instanceof TypeError && re.test(e.message);
  const f = (x: A) => x;
  assert.throws(() => new LinearOperator<A>({ shape: [3, 3] }), isType(/pass matvec or matmat/));
  assert.throws(
    () => new LinearOperator<A>({ shape: [3], matvec: f }),
    isRange(/\(3,\).*at least two/),
  );
  assert.throws(() => new LinearOperator<A>({ shape: [3, -1], matvec: f }), RangeError);
  assert.throws(() => new LinearOperator<A>({ shape: [3, 1.5], matvec: f }), RangeError);
  assert.throws(
    () => new LinearOperator<A>({ shape: "3x3" as unknown as number[], matvec: f }),
    isType(/shape must be an array/),
  );
  assert.throws(
    () => new LinearOperator<A>({ shape: [3, 3], matvec: 3 as unknown as typeof f }),
    isType(/matvec must be a function/),
  );
  assert.throws(
    () => new LinearOperator<A>({ shape: [3, 3], matvec: f, dtype: "double" as "float64" }),
    isType(/unknown dtype "double"/),
  );
  assert.throws(
    () => new LinearOperator<A>(undefined as unknown as LinearOperatorOptions<A>),
    TypeError,
  );
  assert.throws(
    () =>
      new LinearOperator<A>({
        shape: [2, 3, 3],
        matvec: f,
        dtype: "float64",
        diagonal: xp.ones([3, 3]),
      }),
    isRange(/diagonal option has shape \(3, 3\); expected \(2, 3\)/),
  );

  const A5 = new MatrixOperator(xp.ones([5, 4, 3]));
  const B4 = new MatrixOperator(xp.ones([4, 4, 3]));
  const C = new MatrixOperator(xp.ones([4, 2]));
  assert.throws(
    () => A5.add(B4),
    isRange(/\(5, 4, 3\) and \(4, 4, 3\).*batch shapes \(5,\) and \(4,\)/),
  );
  assert.throws(() => A5.add(C), isRange(/\(5, 4, 3\) and \(4, 2\) differ.*4×3 vs 4×2/));
  assert.throws(
    () => A5.matmul(C),
    isRange(/\(5, 4, 3\) and \(4, 2\) are not aligned \(3 columns vs 4 rows\)/),
  );
  assert.throws(() => A5.pow(2), isRange(/not square \(4×3\)/));
  assert.throws(() => C.H.matmul(C).pow(-1), isRange(/k must be an integer ≥ 0, got -1/));
  assert.throws(() => C.H.matmul(C).pow(1.5), RangeError);
  assert.throws(() => C.H.matmul(C).pow("2" as unknown as number), TypeError);
  assert.throws(() => A5.scale(xp.ones([4])), isRange(/alpha of shape \(4,\).*batch shape \(5,\)/));
  assert.throws(() => A5.scale("2" as unknown as number), isType(/alpha must be a number/));
  assert.throws(
    () => A5.add(xp.ones([4, 3]) as unknown as MatrixOperator<A>),
    isType(/aslinearoperator/),
  );
  assert.throws(
    () => A5.add({} as unknown as MatrixOperator<A>),
    isType(/expected a LinearOperator/),
  );
  assert.throws(() => A5.matmul(2 as unknown as MatrixOperator<A>), isType(/use scale/));
  const other = { ...cpu, name: "other" } as unknown as ArrayNamespace<A>;
  const foreignOp = new LinearOperator<A>({
    shape: [4, 3],
    dtype: "float64",
    xp: other,
    matvec: f,
  });
  assert.throws(() => A5.add(foreignOp), isType(/different namespaces.*cpu and other/));
});

Deno.test("LinearOperator: OperatorLike operands keep their adjoint and diagonal", async () => {
  const dd = xp.asarray([[1, 2, 3], [4, 5, 6]]);
  const like = {
    shape: [2, 3, 3],
    dtype: "float64" as const,
    xp,
    matvec: (x: A) => xp.multiply(dd, x),
    rmatvec: (x: A) => xp.multiply(dd, x),
    diagonal: () => dd,
  };
  const I = new IdentityOperator<A>(3);
  const S = I.add(like);
  assert.deepEqual(S.shape, [2, 3, 3]);
  assert.deepEqual(Array.from(await xp.toHost(S.diagonal!())), [2, 3, 4, 5, 6, 7]);
  assert.deepEqual(Array.from(await xp.toHost(S.rmatvec(xp.ones([3])))), [2, 3, 4, 5, 6, 7]);
});

Deno.test("LinearOperator: diagonal() of compositions", async () => {
  const d = xp.asarray([[1, 2], [3, 4]]);
  const D = new DiagonalOperator(d);
  const M = new MatrixOperator(xp.asarray([[10, 1], [1, 20]]));
  const I = new IdentityOperator<A>(2);
  const host = async (a: A) => Array.from(await xp.toHost(a));
  assert.deepEqual(await host(D.add(M).diagonal!()), [11, 22, 13, 24]);
  assert.deepEqual(await host(M.sub(D).diagonal!()), [9, 18, 7, 16]);
  assert.deepEqual(await host(D.scale(xp.asarray([2, -1])).diagonal!()), [2, 4, -3, -4]);
  assert.deepEqual(await host(M.neg().H.T.diagonal!()), [-10, -20]);
  assert.deepEqual(await host(D.pow(0).diagonal!()), [1, 1, 1, 1]);
  assert.deepEqual(await host(I.add(M).pow(1).diagonal!()), [11, 21]);
  assert.equal(D.pow(2).diagonal, undefined);
  assert.equal(D.matmul(M).diagonal, undefined);
  const fn = new LinearOperator<A>({
    shape: [2, 2],
    dtype: "float64",
    matvec: (x) => xp.multiply(x, 1),
  });
  assert.equal(fn.diagonal, undefined);
  assert.equal(fn.add(D).diagonal, undefined);
  // a diagonal option that broadcasts is materialised to the batch shape
  const withDiag = new LinearOperator<A>({
    shape: [3, 2, 2],
    dtype: "float64",
    matvec: (x) => xp.multiply(x, 7),
    diagonal: xp.asarray([7, 7]),
  });
  const wd = withDiag.diagonal!();
  assert.deepEqual(wd.shape, [3, 2]);
  assert.deepEqual(await host(wd), [7, 7, 7, 7, 7, 7]);
  // a diagonal function returning a wrong shape is reported
  const bad = new LinearOperator<A>({
    shape: [2, 2],
    dtype: "float64",
    matvec: (x) => x,
    diagonal: () => xp.ones([3]),
  });
  assert.throws(
    () => bad.diagonal!(),
    (e: unknown) =>
      e instanceof RangeError && /diagonal\(\) has shape \(3,\); expected \(2,\)/.test(e.message),
  );
});

const SCALE = defineFused("test.scale2", { x: "float" }, (v) => ({ y: v.x.mul(2) }));

Deno.test("LinearOperator: out is donated to user functions and operands", async () => {
  const received: (A | undefined)[] = [];
  const op = new LinearOperator<A>({
    shape: [3, 4, 4],
    dtype: "float64",
    matvec: (x, out) => {
      received.push(out);
      const xb = xp.broadcast_to(x, [3, 4]);
      return runFused(xp, SCALE, { x: xb }, out ? { out: { y: out } } : {}).y;
    },
  });
  const x = xp.asarray([1, 2, 3, 4]);
  const out = xp.zeros([3, 4]);
  const y = op.matvec(x, out);
  assert.equal(received[0], out);
  assert.deepEqual(Array.from(await xp.toHost(y)), [2, 4, 6, 8, 2, 4, 6, 8, 2, 4, 6, 8]);
  // compositions pass out to the operand producing the final shape
  received.length = 0;
  const out2 = xp.zeros([3, 4]);
  const y2 = op.matmul(new IdentityOperator<A>(4)).matvec(x, out2);
  assert.equal(received[0], out2);
  assert.deepEqual(Array.from(await xp.toHost(y2)), [2, 4, 6, 8, 2, 4, 6, 8, 2, 4, 6, 8]);
  // an out of another dtype is not handed on (the result dtype would differ)
  received.length = 0;
  const y3 = op.matvec(x, xp.zeros([3, 4], { dtype: "float32" }));
  assert.equal(received[0], undefined);
  assert.equal(y3.dtype, "float64");
});

Deno.test("LinearOperator: disposes out when unused and never disposes x or the result", async () => {
  const disposed = new Set<unknown>();
  const ns = cpu as unknown as { dispose: (...a: A[]) => void };
  const orig = ns.dispose;
  try {
    ns.dispose = (...arrays: A[]) => {
      for (const a of arrays) disposed.add(a);
      orig.apply(cpu, arrays);
    };
  } catch {
    console.log("skipped: cpu.dispose cannot be replaced (frozen namespace)");
    return;
  }
  try {
    const A1 = new MatrixOperator(xp.asarray([[[2, 0], [0, 3]], [[1, 1], [0, 1]]]));
    const D = new DiagonalOperator(xp.asarray([1, 2]));
    const ops = [
      A1,
      D,
      A1.add(D),
      D.add(A1), // the first operand's result is smaller than the final shape
      D.scale(xp.asarray([[1], [2]])).sub(D),
      D.matmul(A1),
      D.scale(xp.asarray([1, 2])),
      A1.sub(D).scale(2),
      A1.matmul(D),
      A1.pow(3),
      A1.H,
      A1.T,
      new IdentityOperator<A>(2, { batch: [2] }),
      A1.scale(xp.asarray([1, 2])).neg(),
    ];
    for (const op of ops) {
      for (const kind of ["matvec", "rmatvec", "matmat", "rmatmat"] as const) {
        const x = kind.endsWith("vec") ? xp.asarray([1, 2]) : xp.asarray([[1, 0], [2, 1]]);
        const out = xp.zeros(op[kind](x).shape);
        disposed.clear();
        const y = op[kind](x, out);
        assert.ok(!disposed.has(x), `${op}.${kind} disposed x`);
        assert.ok(!disposed.has(y), `${op}.${kind} disposed its result`);
        assert.ok(y === out || disposed.has(out), `${op}.${kind} leaked out`);
        await xp.toHost(y); // still readable
        const y2 = op[kind](x);
        assert.ok(!disposed.has(x) && !disposed.has(y2), `${op}.${kind} (no out)`);
      }
    }
  } finally {
    ns.dispose = orig;
  }
});

Deno.test("LinearOperator: dispose() releases only arrays the operator created", () => {
  const a = xp.asarray([2, 3]);
  const D = new DiagonalOperator(a);
  D.matmat(xp.ones([2, 2])); // creates a cached column view
  const S = D.scale(xp.reshape(xp.asarray([1, 2, 3]), [3, 1]));
  const disposed: unknown[] = [];
  const ns = cpu as unknown as { dispose: (...a: A[]) => void };
  const orig = ns.dispose;
  try {
    ns.dispose = (...arrays: A[]) => void disposed.push(...arrays);
  } catch {
    console.log("skipped: cpu.dispose cannot be replaced (frozen namespace)");
    return;
  }
  try {
    D.dispose();
    assert.ok(!disposed.includes(a), "the user's diagonal was released");
    assert.equal(disposed.length, 1); // the cached (n, 1) column
    disposed.length = 0;
    S.dispose();
    assert.equal(disposed.length, 2); // the two reshaped views of alpha
  } finally {
    ns.dispose = orig;
  }
});

Deno.test("LinearOperator: donated out buffers are reused on the CPU (fused path)", () => {
  // the CPU namespace's fuse writes into donated outputs: elementwise operators and
  // compositions ending in an elementwise step hand `out` back instead of allocating
  const D = new DiagonalOperator(xp.asarray([[1, 2], [3, 4]]));
  const M = new MatrixOperator(xp.asarray([[1, 2], [3, 4]]));
  const x = xp.asarray([1, 1]);
  const cases: [string, LinearOperator<A>, number[]][] = [
    ["D", D, [2, 2]],
    ["M + D", M.add(D), [2, 2]],
    ["D - M", D.sub(M), [2, 2]],
    ["M + I + D", M.add(new IdentityOperator<A>(2)).add(D), [2, 2]],
    ["D^3", D.pow(3), [2, 2]],
    ["2 D", D.scale(2), [2, 2]],
  ];
  for (const [label, op, shape] of cases) {
    const out = xp.zeros(shape);
    assert.equal(op.matvec(x, out), out, label);
  }
});
