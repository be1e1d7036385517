import assert from "node:assert/strict";
import type { WebGpuArray } from "./webgpu_array.ts";
import { defineFused, evaluateFused, runFused } from "../../array_api/fuse.ts";
import { assertClose, assertThrowsKind, host, openOrSkip, randn, rng } from "./_test_util.ts";

const xp = await openOrSkip("fuse_test.ts");

const cgUpdate = defineFused(
  "cg.update",
  { x: "float", p: "float", r: "float", q: "float", alpha: "float", active: "bool" },
  (v, f) => {
    const x = f.where(v.active, v.x.add(v.alpha.mul(v.p)), v.x);
    const r = f.where(v.active, v.r.sub(v.alpha.mul(v.q)), v.r);
    return { x, r, rr: f.sum(r.mul(r)) };
  },
);

const everyOp = defineFused(
  "every.op",
  { a: "float", b: "float", k: "int", m: "bool" },
  (v, f) => {
    const t = v.a.add(v.b).sub(v.a.mul(2)).div(v.b.abs().add(1)).max(v.a.neg()).min(
      v.b.sqrt().hypot(v.a),
    );
    const c = v.a.lt(v.b).and(v.a.le(0.5)).or(v.a.gt(v.b).and(v.b.ge(0))).or(v.a.eq(v.b)).and(
      v.a.ne(-1),
    ).and(
      v.m.not(),
    );
    const i = v.k.mul(3).sub(v.a.toInt()).max(-4).min(100).add(c.toFloat().toInt());
    return {
      t: f.where(t.isfinite(), t, -1).add(t.sign()),
      c,
      i,
      s: f.sum(t.mul(t.isfinite().toFloat()).add(i.toFloat())),
    };
  },
);

if (xp) {
  const r = rng(21);

  Deno.test("fuse matches the portable evaluation for every operator, every layout", async () => {
    // flat (no sums), thread (short rows), wg (long rows), split (few very long rows)
    for (const [B, N] of [[3, 5], [64, 20], [5, 3000], [2, 150000]]) {
      const a = xp.reshape(xp.asarray(randn(r, B * N, -3, 3)), [B, N]);
      const b = xp.reshape(xp.asarray(randn(r, N, -3, 3)), [1, N]);
      const k = xp.reshape(xp.asarray(randn(r, B, -5, 5).map(Math.round), { dtype: "int32" }), [
        B,
        1,
      ]);
      const m = xp.greater(xp.reshape(xp.asarray(randn(r, B * N)), [B, N]), 0.5);
      const inputs = [a, b, k, m];
      const fast = xp.fuse(everyOp.program, inputs, { dtype: "float32" });
      const slow: Record<string, WebGpuArray> = evaluateFused<WebGpuArray>(
        xp,
        everyOp.program,
        inputs,
        {
          dtype: "float32",
        },
      );
      for (const name of ["t", "c", "i", "s"]) {
        assert.equal(fast[name].dtype, slow[name].dtype, name);
        assert.deepEqual(fast[name].shape, slow[name].shape, name);
        assertClose(
          await host(xp, fast[name]),
          await host(xp, slow[name]),
          `${name} (${B}x${N})`,
          2e-5,
          2e-5,
        );
      }
      xp.dispose(...inputs, ...Object.values(fast), ...Object.values(slow));
    }
  });

  Deno.test("a CG update: host reference, per-system scalars, donation in place", async () => {
    const B = 3, N = 1000;
    const vals = () => randn(r, B * N);
    const [x0, p0, r0, q0] = [vals(), vals(), vals(), vals()];
    const alpha = [0.5, -1.25, 2];
    const active = [true, false, true];
    const mk = (v: number[]) => {
      const flat = xp.asarray(v);
      const m = xp.reshape(flat, [B, N]);
      xp.dispose(flat); // m is then the only holder of its storage, so it can be donated
      return m;
    };
    const x = mk(x0), p = mk(p0), rr = mk(r0), q = mk(q0);
    const al = xp.asarray(alpha.map((v) => [v]));
    const ac = xp.asarray(active.map((v) => [v]));
    const before = xp.stats().liveBytes;
    const out = runFused(xp, cgUpdate, { x, p, r: rr, q, alpha: al, active: ac }, {
      out: { x, r: rr },
    });
    assert.equal(out.x, x, "x was updated in place");
    assert.equal(out.r, rr, "r was updated in place");
    assert.equal(xp.stats().liveBytes - before, 256, "only the (3,) norm was allocated");
    const xs = await host(xp, out.x), rs = await host(xp, out.r), nrm = await host(xp, out.rr);
    for (let b = 0; b < B; b++) {
      let s = 0;
      for (let i = 0; i < N; i++) {
        const j = b * N + i;
        const xw = active[b] ? Math.fround(x0[j] + Math.fround(alpha[b] * p0[j])) : x0[j];
        const rw = active[b] ? Math.fround(r0[j] - Math.fround(alpha[b] * q0[j])) : r0[j];
        assert.ok(Math.abs(xs[j] - xw) <= 1e-6 * (1 + Math.abs(xw)), `x[${b},${i}]`);
        assert.ok(Math.abs(rs[j] - rw) <= 1e-6 * (1 + Math.abs(rw)), `r[${b},${i}]`);
        s += rw * rw;
      }
      assertClose([nrm[b]], [s], `rr[${b}]`, 1e-5);
    }
    const pipelines = xp.stats().pipelines;
    runFused(xp, cgUpdate, { x, p, r: rr, q, alpha: al, active: ac }, { out: { x, r: rr } });
    assert.equal(xp.stats().pipelines, pipelines, "the compiled kernel is reused");
  });

  Deno.test("donations that cannot be written are released, never written through", async () => {
    const scale = defineFused("scale", { x: "float", s: "float" }, (v) => ({ y: v.x.mul(v.s) }));
    const x = xp.asarray([1, 2, 3]);
    const shared = xp.asarray([9, 9, 9]);
    const view = xp.flip(shared); // shares storage: shared must not be overwritten
    const r1 = runFused(xp, scale, { x, s: 2 }, { out: { y: shared } });
    assert.notEqual(r1.y, shared);
    assert.deepEqual(await host(xp, r1.y), [2, 4, 6]);
    assert.deepEqual(await host(xp, view), [9, 9, 9]);
    assert.ok(shared.disposed, "the donated array was released");
    const wrongDtype = xp.asarray([0, 0, 0], { dtype: "int32" });
    const r2 = xp.fuse(scale.program, [x, 3], { dtype: "float32", out: { y: wrongDtype } });
    assert.deepEqual(await host(xp, r2.y), [3, 6, 9]);
    assert.ok(wrongDtype.disposed);
  });

  Deno.test("fuse checks dtypes and shapes; float16 programs run in float16", async () => {
    const p = defineFused("p", { a: "float" }, (v, f) => ({ b: v.a.mul(v.a), s: f.sum(v.a) }));
    assertThrowsKind(() => xp.fuse(p.program, [xp.asarray([1])], { dtype: "float64" }), TypeError, [
      "float64",
    ]);
    assertThrowsKind(
      () => xp.fuse(p.program, [xp.asarray([1], { dtype: "int32" })], { dtype: "float32" }),
      TypeError,
      ["int32"],
    );
    assertThrowsKind(() => xp.fuse(p.program, [2], { dtype: "float32" }), RangeError, ["sums"]);
    assertThrowsKind(
      () => xp.fuse(p.program, [xp.ones([2, 3])], { dtype: "float32", out: { b: xp.ones([3]) } }),
      RangeError,
      ["(3,)", "(2, 3)"],
    );
    if (xp.__array_namespace_info__().dtypes()["float16"]) {
      const h = xp.asarray([[0.5, 1.5, 2]], { dtype: "float16" });
      const out = xp.fuse(p.program, [h], { dtype: "float16" });
      assert.equal(out.b.dtype, "float16");
      assert.equal(out.s.dtype, "float16");
      assert.deepEqual(await host(xp, out.b), [0.25, 2.25, 4]);
      assert.deepEqual(await host(xp, out.s), [4]);
    }
  });
}
