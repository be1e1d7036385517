import assert from "node:assert/strict";
import { ProgressReporter } from "./progress_reporter.ts";
import type { ProgressInfo } from "../linalg/types.ts";

function info(iteration: number, res: number[], thr: number[], active = res.length): ProgressInfo {
  return {
    solver: "cg",
    iteration,
    maxiter: 1000,
    active,
    systems: res.length,
    residualNorm: Float64Array.from(res),
    threshold: Float64Array.from(thr),
  };
}

/** Feeds residuals 1000·thr·0.5^i at 10 ms per iteration. */
function drive(tty: boolean, iterations: number, columns = 200) {
  let now = 0, text = "";
  const p = new ProgressReporter({
    write: (s) => text += s,
    tty,
    columns,
    now: () => now,
  });
  for (let i = 0; i <= iterations; i++) {
    now = i * 10;
    p.update(info(i, [1000 * 0.5 ** i, 1e-3], [1, 1], 1));
  }
  return { p, text: () => text };
}

Deno.test("ProgressReporter: quick solves print nothing", () => {
  const { p, text } = drive(false, 50); // 500 ms < the 1 s delay off a TTY
  p.finish();
  assert.equal(text(), "");
  assert.equal(p.outputs, 0);
});

Deno.test("ProgressReporter: plain periodic lines off a TTY with rate and estimate", () => {
  const { p, text } = drive(false, 500); // 5 s: lines at 1 s, 3 s, 5 s
  assert.equal(p.outputs, 3);
  const lines = text().split("\n").filter(Boolean);
  assert.equal(lines.length, 3);
  assert.ok(!text().includes("\r"));
  // the worst system is the first one until it falls below the second (1e-3, converged)
  assert.equal(
    lines[0],
    "cg  it 100/1000  worst ‖r‖ 1.00e-3 (1.0e-3× tol)  rate 1.000/it  active 1/2  1.0 s",
  );
  p.finish();
  assert.equal(p.outputs, 4, "a final line follows earlier ones");
});

Deno.test("ProgressReporter: rate per iteration and iterations left", () => {
  let now = 0, text = "";
  const p = new ProgressReporter({
    write: (s) => text += s,
    tty: false,
    now: () => now,
    delayMs: 0,
    intervalMs: 0,
  });
  for (let i = 0; i <= 20; i++) {
    now = i * 1000;
    p.update(info(i, [1e6 * 0.5 ** i], [1]));
  }
  assert.ok(Math.abs(p.rate() - 0.5) < 1e-12);
  // at i = 20 the ratio is 1e6/2^20 ≈ 0.95: converged, no estimate; at i = 10: 977 → 10 left
  assert.match(text.split("\n")[10], /it 10\/1000 {2}‖r‖ .* rate 0\.500\/it {2}~10 it left/);
  assert.ok(!/active/.test(text), "one system: no active count");
});

Deno.test("ProgressReporter: a bar redrawn in place on a TTY, cleared at the end", () => {
  const { p, text } = drive(true, 100, 60);
  const out = text();
  assert.ok(out.startsWith("\r\x1b[2K"));
  assert.ok(!out.includes("\n"));
  const frames = out.split("\r\x1b[2K").filter(Boolean);
  assert.ok(frames.length >= 5 && frames.length <= 10, `${frames.length} frames`);
  for (const f of frames) {
    assert.ok([...f].length <= 59, `frame longer than the terminal: ${f}`);
    assert.match(f, /^cg {2}(\[[#.]{16}\] {2})?it \d+\/1000 {2}worst ‖r‖/);
  }
  // progress is measured on a log scale from the first ratio (1000) down to 1
  // the bar fills on a log scale from the first ratio (1e6) down to 1: 0.9^i reaches 1 at
  // i = 131, so iteration 25 shows 25/131·16 ≈ 3 marks and iteration 95 shows 12
  let now = 0, wide = "";
  const q = new ProgressReporter({
    write: (s) => wide += s,
    tty: true,
    columns: 200,
    now: () => now,
  });
  for (let i = 0; i <= 100; i++) {
    now = i * 10;
    q.update(info(i, [1e6 * 0.9 ** i], [1]));
  }
  const f = wide.split("\r\x1b[2K").filter(Boolean);
  assert.match(
    f[0],
    /^cg {2}\[#{3}\.{13}\] {2}it 25\/1000 {2}‖r‖ 7\.18e\+4 \(7\.2e\+4× tol\) {2}rate 0\.900\/it {2}~107 it left {2}0\.3 s$/,
  );
  assert.match(f[f.length - 1], /^cg {2}\[#{12}\.{4}\] {2}it 95\/1000 /);
  p.finish();
  assert.ok(text().endsWith("\r\x1b[2K"));
});

Deno.test("ProgressReporter: NaN residuals and zero thresholds do not break it", () => {
  let text = "";
  const p = new ProgressReporter({
    write: (s) => text += s,
    tty: false,
    delayMs: 0,
    intervalMs: 0,
  });
  p.update(info(1, [NaN, 2], [1, 0]));
  p.update(info(2, [NaN, NaN], [1, 1]));
  assert.equal(p.outputs, 2);
  assert.match(text, /worst ‖r‖ 2\.00e\+0 \(nan× tol\)/);
  assert.ok(!Number.isFinite(p.rate()));
  assert.ok(p.status().startsWith("cg"));
});
