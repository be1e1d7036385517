/**
 * WebGPU (float32) against the CPU backend (float64 on the same float32-representable inputs)
 * on random data: the same namespace code runs on both and the results must agree to float32
 * accuracy.
 *
 * @module
 */
import assert from "node:assert/strict";
import { cpu } from "../cpu/mod.ts";
import { defineFused, runFused } from "../../array_api/fuse.ts";
import type { ArrayNamespace, ArrayObject, DType } from "../../array_api/types.ts";
import { assertClose, openOrSkip, randn, rng } from "./_test_util.ts";

const gpu = await openOrSkip("cpu_parity_test.ts");

type Ns = ArrayNamespace<ArrayObject>;
type Case = (
  xp: Ns,
  f: DType,
  data: (shape: number[], seed: number, lo?: number, hi?: number) => ArrayObject,
) => ArrayObject;

/** Runs `c` on cpu (float64) and webgpu (float32) and compares. */
async function parity(name: string, c: Case, rtol = 2e-5, atol = 2e-5): Promise<void> {
  const mk = (xp: Ns, f: DType) => (shape: number[], seed: number, lo = -1, hi = 1) => {
    const n = shape.reduce((p, d) => p * d, 1);
    return xp.reshape(xp.asarray(randn(rng(seed), n, lo, hi), { dtype: f }), shape);
  };
  const ref = c(cpu as unknown as Ns, "float64", mk(cpu as unknown as Ns, "float64"));
  const got = c(gpu as unknown as Ns, "float32", mk(gpu as unknown as Ns, "float32"));
  assert.deepEqual(got.shape, ref.shape, `${name}: shape`);
  const want = Array.from(await cpu.toHost(ref as never), Number);
  const have = Array.from(await (gpu as unknown as Ns).toHost(got), Number);
  assertClose(have, want, name, rtol, atol);
}

if (gpu) {
  Deno.test("elementwise parity on broadcast random data", async () => {
    for (
      const op of ["add", "subtract", "multiply", "divide", "maximum", "minimum", "hypot", "pow"]
    ) {
      await parity(
        op,
        (xp, _f, d) => {
          const a = d([3, 1, 5], 1, 0.1, 2), b = d([4, 5], 2, -2, 2);
          return (xp[op as "add"] as (x: ArrayObject, y: ArrayObject) => ArrayObject)(a, b);
        },
        1e-5,
        1e-6,
      );
    }
    for (const op of ["abs", "exp", "log", "sqrt", "square", "sign", "floor", "negative"]) {
      await parity(
        op,
        (xp, _f, d) => (xp[op as "abs"] as (x: ArrayObject) => ArrayObject)(d([6, 7], 3, 0.01, 3)),
        1e-5,
        1e-6,
      );
    }
    await parity("where/clip", (xp, _f, d) => {
      const a = d([5, 6], 4), b = d([6], 5);
      return xp.where(xp.greater(a, b), xp.clip(a, { min: -0.5, max: 0.5 }), b);
    });
  });

  Deno.test("reduction parity over axes", async () => {
    for (const axis of [0, 1, 2, [0, 2], null] as const) {
      for (const op of ["sum", "max", "min", "mean", "prod"] as const) {
        await parity(
          `${op}(${JSON.stringify(axis)})`,
          (xp, _f, d) => xp[op](d([4, 5, 6], 6, 0.5, 1.5), { axis }),
          2e-5,
          1e-5,
        );
      }
    }
    await parity(
      "cumulative_sum",
      (xp, _f, d) => xp.cumulative_sum(d([4, 50], 7), { axis: 1 }),
      1e-5,
      1e-5,
    );
    await parity(
      "argmax",
      (xp, _f, d) => xp.astype(xp.argmax(d([9, 40], 8), { axis: 1 }), "int32"),
      0,
      0,
    );
    await parity("vector_norm", (xp, _f, d) => xp.linalg.vector_norm(d([3, 300], 9), { axis: 1 }));
    await parity(
      "matrix_norm nuc",
      (xp, _f, d) => xp.linalg.matrix_norm(d([2, 5, 4], 10), { ord: "nuc" }),
      5e-5,
    );
  });

  Deno.test("matmul / vecdot parity across kernel choices", async () => {
    for (
      const [a, b] of [[[2, 70, 40], [40, 90]], [[8, 3, 3], [8, 3, 3]], [[200, 64], [64]], [[64], [
        64,
        200,
      ]]]
    ) {
      await parity(
        `matmul ${JSON.stringify(a)}@${JSON.stringify(b)}`,
        (xp, _f, d) => xp.matmul(d(a, 11), d(b, 12)),
        1e-4,
        1e-5,
      );
    }
    await parity("vecdot", (xp, _f, d) => xp.vecdot(d([5, 1, 30], 13), d([4, 30], 14)), 1e-5, 1e-5);
  });

  Deno.test("linalg parity", async () => {
    const spd = (xp: Ns, d: (s: number[], seed: number) => ArrayObject) => {
      const g = d([3, 6, 6], 15);
      return xp.add(
        xp.matmul(g, xp.matrix_transpose(g)),
        xp.multiply(xp.eye(6, null, { dtype: g.dtype }), 3),
      );
    };
    await parity("solve", (xp, _f, d) => xp.linalg.solve(spd(xp, d), d([3, 6, 2], 16)), 1e-4, 1e-5);
    await parity("inv", (xp, _f, d) => xp.linalg.inv(spd(xp, d)), 1e-4, 1e-5);
    await parity("det", (xp, _f, d) => xp.linalg.det(spd(xp, d)), 1e-4);
    await parity("cholesky", (xp, _f, d) => xp.linalg.cholesky(spd(xp, d)), 1e-4, 1e-5);
    await parity("eigvalsh", (xp, _f, d) => xp.linalg.eigvalsh(spd(xp, d)), 1e-4, 1e-5);
    await parity("svdvals", (xp, _f, d) => xp.linalg.svdvals(d([2, 9, 5], 17)), 1e-4, 1e-5);
    await parity(
      "lstsq",
      (xp, _f, d) => xp.linalg.lstsq(d([10, 4], 18), d([10], 19)).solution,
      1e-4,
      1e-5,
    );
    await parity(
      "qr R diag",
      (xp, _f, d) => xp.abs(xp.linalg.diagonal(xp.linalg.qr(d([7, 5], 20)).R)),
      1e-4,
      1e-5,
    );
  });

  Deno.test("fused program and CSR parity", async () => {
    const prog = defineFused("parity", { x: "float", y: "float", a: "float" }, (v, f) => {
      const z = v.y.add(v.a.mul(v.x)).max(v.x.neg());
      return { z, s: f.sum(z.mul(z).sqrt().hypot(v.x)) };
    });
    await parity(
      "fuse z",
      (xp, _f, d) =>
        runFused(xp, prog, { x: d([3, 500], 21), y: d([500], 22), a: d([3, 1], 23) }).z,
    );
    await parity(
      "fuse s",
      (xp, _f, d) => runFused(xp, prog, { x: d([3, 5000], 24), y: d([5000], 25), a: 0.5 }).s,
      5e-5,
      1e-4,
    );
    await parity("csrMatvec", (xp, f, d) => {
      const indptr = xp.asarray([0, 2, 3, 6], { dtype: "int32" });
      const indices = xp.asarray([0, 3, 2, 0, 1, 3], { dtype: "int32" });
      const data = d([2, 6], 26);
      assert.equal(data.dtype, f);
      return xp.csrMatvec!(
        { shape: [2, 3, 4], layout: "shared", nnz: 6, indptr, indices, data },
        d([2, 4], 27),
      );
    });
  });
}
