import assert from "node:assert/strict";
import { cpu, type CpuArray } from "../backends/cpu/mod.ts";
import { aslinearoperator } from "./aslinearoperator.ts";
import { LinearOperator } from "./linear_operator.ts";
import { MatrixOperator } from "./matrix_operator.ts";
import {
  checkOperator,
  normalRng,
  randDense,
  refDiagMatrix,
  upload,
} from "./_linear_operator_testing.ts";

const xp = cpu;
type A = CpuArray;
const host = async (a: A) => Array.from(await xp.toHost(a));

Deno.test("aslinearoperator: LinearOperator is returned as is", () => {
  const op = new MatrixOperator(xp.eye(3));
  assert.equal(aslinearoperator(op), op);
});

Deno.test("aslinearoperator: dense arrays and nested JS arrays", async () => {
  const d = randDense([5, 4, 3], normalRng(1));
  const op = aslinearoperator(upload(xp, d, "float64"));
  assert.ok(op instanceof MatrixOperator);
  await checkOperator(xp, op, d, "float64", "dense");
  const n = aslinearoperator<A>([[4, 1], [1, 3]], { dtype: "float32" });
  assert.equal(n.dtype, "float32");
  assert.deepEqual(await host(n.matvec(xp.asarray([1, 1], { dtype: "float32" }))), [5, 4]);
});

Deno.test("aslinearoperator: OperatorLike objects keep rmatvec, matmat and diagonal", async () => {
  // a class instance whose methods use `this` (as sparse arrays do)
  class Scaled {
    readonly shape = [2, 3, 3] as const;
    readonly dtype = "float64" as const;
    readonly xp = xp;
    readonly s = xp.asarray([[2, 2, 2], [3, 3, 3]]);
    calls: string[] = [];
    matvec(x: A, out?: A): A {
      this.calls.push(out ? "matvec+out" : "matvec");
      return xp.multiply(this.s, x);
    }
    matmat(x: A): A {
      this.calls.push("matmat");
      return xp.multiply(xp.expand_dims(this.s, { axis: -1 }), x);
    }
    rmatvec(x: A): A {
      this.calls.push("rmatvec");
      return xp.multiply(this.s, x);
    }
    diagonal(): A {
      return this.s;
    }
  }
  const raw = new Scaled();
  const op = aslinearoperator<A>(raw);
  assert.ok(op instanceof LinearOperator);
  assert.deepEqual(op.shape, [2, 3, 3]);
  assert.equal(op.dtype, "float64");
  assert.ok(op.hasAdjoint);
  await checkOperator(
    xp,
    op,
    refDiagMatrix({ shape: [2, 3], data: Float64Array.of(2, 2, 2, 3, 3, 3) }),
    "float64",
    "OperatorLike",
  );
  assert.ok(raw.calls.includes("matmat"), "its own matmat is used");
  assert.ok(raw.calls.includes("rmatvec"));
  raw.calls.length = 0;
  op.matvec(xp.ones([3]), xp.zeros([2, 3]));
  assert.deepEqual(raw.calls, ["matvec+out"]);
  // diagonal() is copied: the caller may dispose it without touching the wrapped object's array
  const dg = op.diagonal!();
  assert.notEqual(dg, raw.s);
  assert.deepEqual(await host(dg), [2, 2, 2, 3, 3, 3]);
});

Deno.test("aslinearoperator: SciPy-style duck typing (shape + matvec)", async () => {
  let calls = 0;
  const duck = { shape: [3, 3], matvec: (x: A) => (calls++, xp.multiply(x, 2)) };
  const op = aslinearoperator<A>(duck);
  assert.equal(op.xp, cpu);
  assert.equal(op.dtype, "float64"); // inferred by one matvec
  assert.equal(calls, 1);
  assert.deepEqual(await host(op.matvec(xp.asarray([1, 2, 3]))), [2, 4, 6]);
  assert.equal(op.hasAdjoint, false);
  assert.throws(() => op.rmatvec(xp.ones([3])), TypeError);
  assert.equal(op.diagonal, undefined);
  // the matmat default loops over columns of the duck's matvec
  assert.deepEqual(await host(op.matmat(xp.asarray([[1, 0], [0, 1], [1, 1]]))), [2, 0, 0, 2, 2, 2]);
});

Deno.test("aslinearoperator: anything else is a TypeError saying what it got", () => {
  const bad: [unknown, RegExp][] = [
    [3, /number 3/],
    ["A", /string "A"/],
    [null, /got null/],
    [undefined, /got undefined/],
    [{ shape: [2, 2] }, /shape but no matvec/],
    [{ matvec: (x: A) => x }, /matvec but no shape/],
    [new Float64Array(4), /Float64Array/],
    [{ a: 1 }, /object with keys \[a\]/],
  ];
  for (const [v, re] of bad) {
    assert.throws(
      () => aslinearoperator(v as A),
      (e: unknown) =>
        e instanceof TypeError && /aslinearoperator: expected/.test(e.message) &&
        re.test(e.message),
      String(v),
    );
  }
  assert.throws(() => aslinearoperator(xp.ones([3])), RangeError);
  const other = { ...cpu, name: "other" } as unknown as typeof cpu;
  assert.throws(() => aslinearoperator(xp.eye(2), { xp: other }), TypeError);
});
