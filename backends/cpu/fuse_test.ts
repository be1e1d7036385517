import assert from "node:assert/strict";
import {
  defineFused,
  evaluateFused,
  type Expr,
  type FusedDefinition,
  runFused,
} from "../../array_api/fuse.ts";
import type { FusedType } from "../../array_api/types.ts";
import { cpu as xp } from "./cpu.ts";
import { CpuArray } from "./cpu_array.ts";
import { setCodegenForTesting } from "./_kernel.ts";
import { rng } from "./_test_util.ts";

type Rand = () => number;
const pick = <T>(r: Rand, a: readonly T[]): T => a[Math.floor(r() * a.length)];

/** A random well-typed program over 2–5 inputs with 1–3 outputs and 0–2 sums. */
function randomProgram(r: Rand, id: number): FusedDefinition<string, string> {
  const nIn = 2 + Math.floor(r() * 4);
  const inputs: Record<string, FusedType> = {};
  for (let i = 0; i < nIn; i++) {
    inputs[`in${i}`] = i === 0
      ? "float"
      : pick(r, ["float", "float", "float", "int", "bool"] as const);
  }
  const nOps = 2 + Math.floor(r() * 12);
  return defineFused(`rand${id}`, inputs, (v, f) => {
    const pool: Record<FusedType, Expr[]> = { float: [], int: [], bool: [] };
    for (const k of Object.keys(v)) pool[v[k].type].push(v[k]);
    const get = (t: FusedType): Expr => {
      if (pool[t].length === 0 || r() < 0.15) {
        if (t === "float") {
          return pool.float.length && r() < 0.5
            ? pick(r, pool.float).add(1)
            : f.const(pick(r, [0.5, -2, 3.25, 0]));
        }
        if (t === "int") {
          return pool.float.length && r() < 0.5
            ? pick(r, pool.float).toInt()
            : f.const(pick(r, [1, -2, 3]), "int");
        }
        return pool.float.length && r() < 0.7 ? pick(r, pool.float).gt(0) : f.const(r() < 0.5);
      }
      return pick(r, pool[t]);
    };
    for (let i = 0; i < nOps; i++) {
      const kind = r();
      let e: Expr;
      if (kind < 0.45) {
        const t = r() < 0.8 ? "float" : "int";
        const a = get(t), b = get(t);
        const ops = t === "float"
          ? ["add", "sub", "mul", "div", "max", "min", "hypot"] as const
          : ["add", "sub", "mul", "max", "min"] as const;
        const op = pick(r, ops);
        e = op === "hypot" ? a.hypot(b) : a[op](b);
      } else if (kind < 0.65) {
        const t = r() < 0.8 ? "float" : "int";
        const a = get(t);
        const op = t === "float"
          ? pick(r, ["neg", "abs", "sqrt", "sign"] as const)
          : pick(r, ["neg", "abs", "sign"] as const);
        e = a[op]();
      } else if (kind < 0.78) {
        const t = r() < 0.8 ? "float" : "int";
        e = get(t)[pick(r, ["lt", "le", "gt", "ge", "eq", "ne"] as const)](get(t));
      } else if (kind < 0.85) {
        const a = get("bool");
        const op = pick(r, ["and", "or", "not"] as const);
        e = op === "not" ? a.not() : a[op](get("bool"));
      } else if (kind < 0.93) {
        const t = pick(r, ["float", "float", "int", "bool"] as const);
        e = f.where(get("bool"), get(t), get(t));
      } else {
        const c = r();
        e = c < 0.4
          ? get("int").toFloat()
          : c < 0.6
          ? get("bool").toFloat()
          : c < 0.8
          ? get("float").toInt()
          : get("float").isfinite();
      }
      pool[e.type].push(e);
    }
    const out: Record<string, Expr | ReturnType<typeof f.sum>> = {};
    const nOut = 1 + Math.floor(r() * 3);
    for (let i = 0; i < nOut; i++) {
      const t = pick(r, ["float", "float", "int", "bool"] as const);
      out[`o${i}`] = pool[t].length
        ? pool[t][pool[t].length - 1 - Math.floor(r() * Math.min(3, pool[t].length))]
        : get("float");
    }
    const nSum = Math.floor(r() * 3);
    for (let i = 0; i < nSum; i++) out[`s${i}`] = f.sum(get("float"));
    return out;
  });
}

function randomShape(r: Rand): number[] {
  const nd = 1 + Math.floor(r() * 3);
  return Array.from({ length: nd }, () => pick(r, [0, 1, 2, 3, 5, 7]));
}

/** An input shape that broadcasts to S (some axes dropped or set to 1). */
function broadcastableTo(r: Rand, S: number[]): number[] {
  const drop = Math.floor(r() * (S.length + 1));
  const s = S.slice(drop);
  return s.map((d) => (r() < 0.3 ? 1 : d));
}

function randomValues(r: Rand, t: FusedType, n: number, dtype: "float32" | "float64"): CpuArray {
  if (t === "bool") {
    return xp.asarray(Array.from({ length: n }, () => r() < 0.5), { dtype: "bool" });
  }
  if (t === "int") {
    return xp.asarray(Array.from({ length: n }, () => Math.floor(r() * 9) - 4), { dtype: "int32" });
  }
  const special = [NaN, Infinity, -Infinity, 0, -0, 1e30];
  return xp.asarray(
    Array.from({ length: n }, () => (r() < 0.05 ? pick(r, special) : (r() - 0.5) * 8)),
    { dtype },
  );
}

function sameValues(a: CpuArray, b: CpuArray, what: string, sumTol: number): void {
  assert.deepEqual(a.shape, b.shape, `${what}: shapes`);
  assert.equal(a.dtype, b.dtype, `${what}: dtypes`);
  for (let i = 0; i < a.size; i++) {
    const x = a.data[i], y = b.data[i];
    if (Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y))) continue;
    if (sumTol > 0 && Math.abs(x - y) <= sumTol * Math.max(1, Math.abs(y))) continue;
    // -0 vs +0 is not a difference the standard functions promise either way
    if (x === y) continue;
    assert.fail(`${what}[${i}]: compiled ${x} != reference ${y}`);
  }
}

function copyOf(v: CpuArray | number): CpuArray | number {
  return typeof v === "number" ? v : xp.asarray(v, { copy: true });
}

for (const dtype of ["float64", "float32"] as const) {
  Deno.test(`fuse (${dtype}): compiled programs equal evaluateFused on random programs and shapes`, () => {
    const r = rng(dtype === "float64" ? 42 : 4242);
    let checked = 0, skipped = 0;
    for (let t = 0; t < 400; t++) {
      const def = randomProgram(r, t);
      const S = randomShape(r);
      const inputs: (CpuArray | number)[] = [];
      def.program.inputs.forEach((name, k) => {
        const ty = def.inputTypes[name];
        const c = r();
        if (k > 0 && ty !== "bool" && c < 0.15) {
          inputs.push(ty === "int" ? Math.floor(r() * 5) - 2 : Math.round((r() - 0.5) * 16) / 4);
          return;
        }
        const shape = k === 0 ? S : c < 0.3 ? S.map(() => 1) : broadcastableTo(r, S);
        const n = shape.reduce((p, q) => p * q, 1);
        inputs.push(xp.reshape(randomValues(r, ty, n, dtype), shape));
      });
      const hasSums = def.program.sums.length > 0;
      let ref: Record<string, CpuArray>;
      try {
        ref = evaluateFused(xp, def.program, inputs.map(copyOf), { dtype });
      } catch (e) {
        // evaluateFused computes host-only int sub-expressions without int32 wrapping
        // (e.g. toInt(NaN) stays NaN), which the int32 standard functions then reject.
        assert.ok(
          e instanceof RangeError && /cannot be represented in int32/.test(e.message),
          String(e),
        );
        skipped++;
        continue;
      }
      const got = xp.fuse(def.program, inputs, { dtype });
      assert.deepEqual(Object.keys(got).sort(), Object.keys(ref).sort());
      for (const name of Object.keys(ref)) {
        const isSum = def.program.sums.some((s) => s.name === name);
        sameValues(got[name], ref[name], `${def.program.label} ${name} S=${S}`, isSum ? 1e-12 : 0);
      }
      if (hasSums) checked++;
    }
    assert.ok(checked > 50, "enough programs with sums");
    assert.ok(skipped < 20, `too many skipped programs (${skipped})`);
  });
}

Deno.test("fuse: donated outputs are written in place, inputs read before writes (aliasing)", () => {
  const upd = defineFused("upd", { x: "float", p: "float", a: "float" }, (v, f) => {
    const x = v.x.add(v.a.mul(v.p));
    return { x, p: v.p.mul(2), n: f.sum(x.mul(x)) };
  });
  const x = xp.asarray([[1, 2, 3], [4, 5, 6]]);
  const p = xp.asarray([[1, 1, 1], [2, 2, 2]]);
  const a = xp.asarray([[10], [100]]);
  const xData = x.data, pData = p.data;
  const ref = evaluateFused(xp, upd.program, [copyOf(x), copyOf(p), a], { dtype: "float64" });
  // out.x aliases input x; out.p aliases input p
  const r = runFused(xp, upd, { x, p, a }, { out: { x, p } });
  assert.equal(r.x.data, xData);
  assert.equal(r.p.data, pData);
  sameValues(r.x, ref.x, "x", 0);
  sameValues(r.p, ref.p, "p", 0);
  sameValues(r.n, ref.n, "n", 1e-15);
  // a donation overlapping an input at another offset is not written (it would clobber x)
  const big = new Float64Array([0, 1, 2, 3, 4, 5, 6]);
  const xin = new CpuArray(big.subarray(0, 6), [2, 3]);
  const donated = new CpuArray(big.subarray(1, 7), [2, 3]);
  const ref2 = evaluateFused(xp, upd.program, [copyOf(xin), copyOf(p), a], { dtype: "float64" });
  const r2 = xp.fuse(upd.program, [xin, p, a], { dtype: "float64", out: { x: donated } });
  assert.notEqual(r2.x.data, donated.data);
  sameValues(r2.x, ref2.x, "x (unsafe alias)", 0);
  // the same donated array for two outputs is used once
  const z = xp.zeros([2, 3]);
  const r3 = xp.fuse(upd.program, [x, p, a], { dtype: "float64", out: { x: z, p: z } });
  assert.notEqual(r3.x.data, r3.p.data);
  // a donation of the wrong dtype is ignored, a wrong shape is an error
  const r4 = xp.fuse(upd.program, [x, p, a], {
    dtype: "float64",
    out: { x: xp.zeros([2, 3], { dtype: "float32" }) },
  });
  assert.equal(r4.x.dtype, "float64");
  assert.throws(
    () => xp.fuse(upd.program, [x, p, a], { dtype: "float64", out: { x: xp.zeros([3, 2]) } }),
    (e: Error) =>
      e instanceof RangeError && e.message.includes("(3, 2)") && e.message.includes("(2, 3)"),
  );
});

Deno.test("fuse: empty batches, 0-d iteration, per-row scalars, NaN propagation", () => {
  const p = defineFused(
    "p",
    { x: "float", a: "float" },
    (v, f) => ({ y: v.x.max(v.a), s: f.sum(v.x) }),
  );
  const e = xp.fuse(p.program, [xp.zeros([0, 4]), xp.ones([0, 1])], { dtype: "float64" });
  assert.deepEqual(e.y.shape, [0, 4]);
  assert.deepEqual(e.s.shape, [0]);
  const z = xp.fuse(p.program, [xp.zeros([3, 0]), 1], { dtype: "float64" });
  assert.deepEqual(Array.from(z.s.data), [0, 0, 0]);
  const q = defineFused("q", { x: "float", a: "float" }, (v) => ({ y: v.x.mul(v.a) }));
  const o = xp.fuse(q.program, [xp.asarray(3), 2], { dtype: "float64" });
  assert.deepEqual(o.y.shape, []);
  assert.equal(o.y.data[0], 6);
  const n = xp.fuse(p.program, [xp.asarray([[1, NaN, 3], [4, 5, 6]]), xp.asarray([[2], [NaN]])], {
    dtype: "float64",
  });
  assert.ok(Number.isNaN(n.y.data[1]) && Number.isNaN(n.y.data[3]) && n.y.data[0] === 2);
  assert.ok(Number.isNaN(n.s.data[0]) && n.s.data[1] === 15);
  // int wrap-around and truncation
  const w = defineFused(
    "w",
    { i: "int", x: "float" },
    (v) => ({ m: v.i.mul(v.i).add(1), t: v.x.toInt() }),
  );
  const wr = xp.fuse(w.program, [
    xp.asarray([65536, 3], { dtype: "int32" }),
    xp.asarray([-2.7, 3e10]),
  ], { dtype: "float64" });
  assert.deepEqual(Array.from(wr.m.data), [1, 10]);
  assert.deepEqual(Array.from(wr.t.data), [-2, 3e10 | 0]);
});

Deno.test("fuse: float32 rounds every operation like the standard functions", () => {
  const p = defineFused(
    "f32",
    { x: "float", y: "float" },
    (v) => ({ z: v.x.div(v.y).mul(v.y).sub(v.x).add(0.1) }),
  );
  const x = xp.asarray([1, 2, 3, 1e-3], { dtype: "float32" }),
    y = xp.asarray([3, 7, 11, 3], { dtype: "float32" });
  const got = xp.fuse(p.program, [x, y], { dtype: "float32" }).z;
  const ref = xp.add(xp.subtract(xp.multiply(xp.divide(x, y), y), x), 0.1);
  assert.deepEqual(Array.from(got.data), Array.from(ref.data));
});

Deno.test("fuse: input checks and the interpreted fallback without code generation", () => {
  const p = defineFused("chk", { x: "float", m: "bool", k: "int" }, (v, f) => ({
    y: f.where(v.m, v.x, v.k.toFloat()),
    s: f.sum(v.x),
  }));
  const x = xp.asarray([[1, 2], [3, 4]]),
    m = xp.asarray([true, false]),
    k = xp.asarray([7, 8], { dtype: "int32" });
  assert.throws(() => xp.fuse(p.program, [x, m], { dtype: "float64" }), TypeError);
  assert.throws(
    () => xp.fuse(p.program, [xp.astype(x, "float32"), m, k], { dtype: "float64" }),
    (e: Error) => e instanceof TypeError && e.message.includes("float32"),
  );
  assert.throws(
    () => xp.fuse(p.program, [x, m, xp.astype(k, "int16")], { dtype: "float64" }),
    TypeError,
  );
  assert.throws(() => xp.fuse(p.program, [x, m, k], { dtype: "float16" }), TypeError);
  assert.throws(
    () => xp.fuse(p.program, [xp.ones([3]), m, k], { dtype: "float64" }),
    (e: Error) => e instanceof RangeError && e.message.includes("(3,)"),
  );
  assert.throws(
    () => xp.fuse(p.program, [[1, 2] as unknown as CpuArray, m, k], { dtype: "float64" }),
    TypeError,
  );
  const compiled = xp.fuse(p.program, [x, m, k], { dtype: "float64" });
  setCodegenForTesting(false);
  try {
    const interp = xp.fuse(p.program, [x, m, k], { dtype: "float64" });
    sameValues(interp.y, compiled.y, "y", 0);
    sameValues(interp.s, compiled.s, "s", 0);
    assert.deepEqual(Array.from(compiled.y.data), [1, 8, 3, 8]);
    // the elementwise kernels also fall back
    assert.deepEqual(Array.from(xp.add(x, xp.asarray([10, 20])).data), [11, 22, 13, 24]);
  } finally {
    setCodegenForTesting(undefined);
  }
});
