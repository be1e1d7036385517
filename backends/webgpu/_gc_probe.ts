/**
 * Helper process for webgpu_test.ts (run with `--v8-flags=--expose-gc`): creates arrays,
 * drops them without `dispose`, forces garbage collection, and prints the pool's live bytes
 * before, while held, and after as JSON.
 *
 * @module
 */
import { webgpu } from "./webgpu.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.log("skip: gc is not exposed");
  Deno.exit(0);
}
let xp;
try {
  xp = await webgpu();
} catch (e) {
  console.log(`skip: ${(e as Error).message}`);
  Deno.exit(0);
}
const before = xp.stats().liveBytes;
let held = 0;
(() => {
  const arrays = Array.from({ length: 20 }, () => xp.ones([1000]));
  held = xp.stats().liveBytes;
  arrays.length = 0;
})();
let after = held;
for (let i = 0; i < 50 && after !== before; i++) {
  gc();
  await new Promise((r) => setTimeout(r, 10));
  after = xp.stats().liveBytes;
}
console.log(JSON.stringify({ before, held, after }));
