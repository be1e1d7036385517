import assert from "node:assert/strict";
import { cpu } from "../backends/cpu/mod.ts";
import { chooseWidth, GatherSum } from "./_plan.ts";
import { mulberry32 } from "./gallery.ts";

Deno.test("chooseWidth: uniform rows use one level; a dense outlier row gets segments", () => {
  assert.equal(chooseWidth([]), 1);
  assert.equal(chooseWidth([0, 1, 1]), 1);
  assert.equal(chooseWidth([5, 4, 3, 5, 5]), 5);
  const skewed = new Array(10000).fill(3);
  skewed[17] = 10000;
  const w = chooseWidth(skewed);
  assert.ok(w < 100, `width ${w} pads every row to the outlier`);
});

Deno.test("GatherSum: multi-level sums of random groups equal direct sums (batched, both axes)", async () => {
  const rand = mulberry32(5);
  for (const G of [1, 7, 300]) {
    const lengths = Array.from({ length: G }, (_, g) => (g === 3 ? 2000 : Math.floor(rand() * 9)));
    const total = lengths.reduce((a, b) => a + b, 0);
    const srcLen = total + 13;
    const members = Int32Array.from({ length: total }, () => Math.floor(rand() * srcLen));
    const plan = GatherSum.build(lengths, members, srcLen);
    if (G >= 7) assert.ok(plan.levels.length >= 2, "the outlier group should add a level");
    const B = 3, K = 2;
    const src = Float64Array.from({ length: B * srcLen }, () => rand() * 2 - 1);
    const want = new Float64Array(B * G);
    for (let b = 0; b < B; b++) {
      let k = 0;
      for (let g = 0; g < G; g++) {
        for (let t = 0; t < lengths[g]; t++) want[b * G + g] += src[b * srcLen + members[k++]];
      }
    }
    const got = await cpu.toHost(plan.apply(cpu, cpu.reshape(cpu.asarray(src), [B, srcLen]), 0));
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-11);
    // Along the axis before the last (matmat layout): columns are independent.
    const src2 = new Float64Array(B * srcLen * K);
    for (let b = 0; b < B; b++) {
      for (let s = 0; s < srcLen; s++) {
        for (let c = 0; c < K; c++) src2[(b * srcLen + s) * K + c] = (c + 1) * src[b * srcLen + s];
      }
    }
    const got2 = await cpu.toHost(
      plan.apply(cpu, cpu.reshape(cpu.asarray(src2), [B, srcLen, K]), 1),
    );
    for (let b = 0; b < B; b++) {
      for (let g = 0; g < G; g++) {
        for (let c = 0; c < K; c++) {
          assert.ok(Math.abs(got2[(b * G + g) * K + c] - (c + 1) * want[b * G + g]) < 1e-10);
        }
      }
    }
  }
});

Deno.test("GatherSum: identity permutation is detected and skipped", () => {
  const id = GatherSum.build(new Int32Array(5).fill(1), null, 5);
  assert.equal(id.isIdentity, true);
  const x = cpu.asarray([1, 2, 3, 4, 5]);
  assert.equal(id.apply(cpu, x, 0), x);
  const perm = GatherSum.build(new Int32Array(3).fill(1), Int32Array.from([2, 0, 1]), 3);
  assert.equal(perm.isIdentity, false);
});

Deno.test("int32 limit: sizes beyond 2^31 - 1 are RangeErrors that state the limit", async () => {
  const { checkInt32 } = await import("./_structure.ts");
  checkInt32(2 ** 31 - 1, "nnz");
  assert.throws(
    () => checkInt32(2 ** 31, "nnz"),
    (e: unknown) =>
      e instanceof RangeError &&
      /nnz = 2147483648 exceeds the int32 limit 2\^31 - 1/.test(e.message),
  );
});
