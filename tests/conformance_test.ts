/**
 * Runs the namespace conformance suite (array_api/conformance.ts) on the CPU backend, one
 * `Deno.test` per case (`cpu/float64/linalg.solve_vector`, `cpu/common/info.dtypes`, …), and
 * checks that the suite itself catches broken namespaces and reports skips.
 *
 * The WebGPU and tfjs suites reuse the same exports: see `registerConformance` below.
 */
import assert from "node:assert/strict";
import { cpu } from "../backends/cpu/mod.ts";
import {
  conformanceCases,
  type ConformanceOptions,
  runConformance,
} from "../array_api/conformance.ts";
import type { ArrayNamespace, ArrayObject, FloatDType } from "../array_api/types.ts";

/** Registers every conformance case of `xp` with `Deno.test`, prefixed by `backend` and dtype
 * (`common/*` cases once). Skipped cases are registered as ignored, so they are reported. */
export function registerConformance<A extends ArrayObject>(
  backend: string,
  xp: ArrayNamespace<A>,
  dtypes: FloatDType[],
  options: Omit<ConformanceOptions, "dtypes"> = {},
): void {
  dtypes.forEach((dtype, i) => {
    for (const c of conformanceCases(xp, { ...options, dtypes: [dtype] })) {
      if (i > 0 && c.name.startsWith("common/")) continue;
      Deno.test({ name: `${backend}/${c.name}`, ignore: c.skip !== undefined, fn: c.fn });
    }
  });
}

registerConformance("cpu", cpu, ["float64", "float32"]);

// ------------------------------------------------------------------ the suite itself

type Ns = ArrayNamespace<ArrayObject>;

/** `cpu` with some members replaced (a Proxy, so that `this` and arrays still work). */
function patched(over: Record<string, unknown>, drop: string[] = []): Ns {
  const base = cpu as unknown as Ns;
  return new Proxy(base, {
    get(t, p) {
      if (typeof p === "string" && drop.includes(p)) return undefined;
      if (typeof p === "string" && p in over) return over[p];
      return Reflect.get(t, p, t);
    },
    has(t, p) {
      if (typeof p === "string" && drop.includes(p)) return false;
      return Reflect.has(t, p);
    },
  });
}

async function runOne(xp: Ns, name: string): Promise<unknown> {
  const c = conformanceCases(xp, { dtypes: ["float64"] }).find((q) => q.name === name);
  assert.ok(c, `no case named ${name}`);
  try {
    await c.fn();
    return undefined;
  } catch (e) {
    return e ?? new Error("threw a nullish value");
  }
}

Deno.test("conformance suite: case names are unique, prefixed, and cover the groups", () => {
  const cases = conformanceCases(cpu);
  const names = cases.map((c) => c.name);
  assert.equal(new Set(names).size, names.length);
  for (const n of names) assert.match(n, /^(common|float64|float32)\/[a-z_]+\.[a-z0-9_]+$/);
  const groups = new Set(names.map((n) => n.split("/")[1].split(".")[0]));
  for (
    const g of [
      "info",
      "promotion",
      "creation",
      "broadcast",
      "manip",
      "ew",
      "reduce",
      "matmul",
      "linalg",
      "host",
      "dispose",
      "fuse",
      "csr",
      "errors",
    ]
  ) {
    assert.ok(groups.has(g), `group ${g} missing`);
  }
  const f32 = names.filter((n) => n.startsWith("float32/")).length;
  assert.ok(f32 > 100, `only ${f32} float32 cases`);
});

Deno.test("conformance suite: a NaN-swallowing maximum is caught", async () => {
  const xp = patched({
    maximum: (a: ArrayObject, b: ArrayObject) =>
      cpu.where(cpu.greater(a as never, b as never), a as never, b as never),
  });
  const e = await runOne(xp, "float64/ew.nan_propagation");
  assert.ok(e instanceof Error, "the broken maximum passed");
  assert.match(e.message, /NaN/);
  assert.equal(await runOne(cpu as unknown as Ns, "float64/ew.nan_propagation"), undefined);
});

Deno.test("conformance suite: a shape error of the wrong class or wording is caught", async () => {
  const vague = patched({
    add: () => {
      throw new Error("bad shapes");
    },
  });
  const e1 = await runOne(vague, "float64/errors.shape_mismatch_add");
  assert.ok(e1 instanceof Error);
  assert.match(e1.message, /expected a RangeError/);
  const unnamed = patched({
    add: () => {
      throw new RangeError("shapes do not broadcast");
    },
  });
  const e2 = await runOne(unnamed, "float64/errors.shape_mismatch_add");
  assert.ok(e2 instanceof Error);
  assert.match(e2.message, /should name \(3, 4\)/);
});

Deno.test("conformance suite: a toHost that returns live storage is caught", async () => {
  let last: Float64Array | undefined;
  const xp = patched({
    toHost: async (x: ArrayObject) => {
      const h = await cpu.toHost(x as never);
      if (x.size === 3 && last && last.length === 3) return last; // stale, shared buffer
      last = h as Float64Array;
      return h;
    },
  });
  const e = await runOne(xp, "float64/host.returns_a_copy");
  assert.ok(e instanceof Error, "a toHost that returns shared memory passed");
});

Deno.test("conformance suite: fused programs also pass through the portable fallback", async () => {
  const noFuse = patched({}, ["fuse"]);
  for (const c of conformanceCases(noFuse, { dtypes: ["float32"], skip: ["common/*"] })) {
    if (!c.name.startsWith("float32/fuse.") || c.skip) continue;
    await c.fn();
  }
});

Deno.test("conformance suite: a wrong fused kernel is caught", async () => {
  const base = cpu as unknown as Ns;
  const xp = patched({
    fuse: (...args: Parameters<NonNullable<Ns["fuse"]>>) => {
      const r = base.fuse ? base.fuse(...args) : {};
      for (const k of Object.keys(r)) {
        if (r[k].dtype === "float64") r[k] = base.add(r[k], 1e-9);
      }
      return r;
    },
  });
  const e = await runOne(xp, "float64/fuse.donation_in_place");
  assert.ok(e instanceof Error, "an off-by-1e-9 fused kernel passed in float64");
});

Deno.test("conformance suite: missing optional kernels are skipped and reported", async () => {
  const bare = patched({}, ["csrMatvec", "csrMatmat"]);
  const cases = conformanceCases(bare, { dtypes: ["float32"] });
  const csr = cases.filter((c) => c.name.startsWith("float32/csr."));
  assert.ok(csr.length >= 6);
  for (const c of csr) assert.match(c.skip ?? "", /has no csrMat(vec|mat)/);
  const r = await runConformance(bare, { dtypes: ["float32"], skip: ["linalg.*", "common/*"] });
  for (const c of csr) assert.ok(r.skipped.includes(c.name), `${c.name} not reported skipped`);
  assert.ok(r.skipped.includes("float32/linalg.svd_tall"));
  assert.ok(r.skipped.includes("common/info.dtypes"));
  assert.equal(r.passed.length + r.failed.length + r.skipped.length, cases.length);
});

Deno.test("conformance suite: skip entries match full names, base names and prefixes", () => {
  const cases = conformanceCases(cpu, {
    dtypes: ["float64", "float32"],
    skip: ["float32/linalg.det", "linalg.inv", "ew.*"],
  });
  const skipped = new Set(cases.filter((c) => c.skip).map((c) => c.name));
  assert.ok(skipped.has("float32/linalg.det") && !skipped.has("float64/linalg.det"));
  assert.ok(skipped.has("float64/linalg.inv") && skipped.has("float32/linalg.inv"));
  assert.ok(skipped.has("float64/ew.exp") && skipped.has("float32/ew.where"));
  assert.ok(!skipped.has("float64/linalg.solve_vector"));
});

Deno.test("conformance suite: bad options are errors", () => {
  assert.throws(() => conformanceCases(cpu, { skip: ["linalg.sovle"] }), (e: unknown) => {
    assert.ok(e instanceof RangeError);
    assert.match(e.message, /linalg\.sovle/);
    return true;
  });
  assert.throws(
    () => conformanceCases(cpu, { dtypes: ["int32" as FloatDType] }),
    (e: unknown) => e instanceof TypeError && e.message.includes("int32"),
  );
  assert.throws(
    () => conformanceCases(cpu, { sizes: "huge" as "small" }),
    (e: unknown) => e instanceof RangeError && e.message.includes("huge"),
  );
});

Deno.test("conformance suite: medium sizes run", async () => {
  const r = await runConformance(cpu, {
    dtypes: ["float32"],
    sizes: "medium",
    skip: ["common/*"],
  });
  const names = [...r.passed, ...r.failed.map((f) => f.name)];
  assert.ok(names.includes("float32/matmul.two_d"));
  assert.ok(names.includes("float32/reduce.sum_accuracy"));
});
