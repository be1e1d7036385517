// End-to-end runs of cli.ts and demo.ts as subprocesses (`deno run`), as a user runs them.
import assert from "node:assert/strict";
import { checkXml } from "../cli/_xml_testing.ts";

const root = new URL("..", import.meta.url).pathname;
const P = `${root}cli/testdata/poisson2d_8.mtx`;

async function deno(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...args],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}

/** stderr without the lines a Vulkan/Wayland driver prints on its own (not ours). */
function ours(err: string): string {
  return err.split("\n").filter((l) => !/XDG_RUNTIME_DIR/.test(l)).join("\n");
}

async function hasAdapter(): Promise<string | null> {
  try {
    const a = await (navigator as Navigator & { gpu?: GPU }).gpu?.requestAdapter();
    return a ? null : "requestAdapter() returned null";
  } catch (e) {
    return String(e);
  }
}

Deno.test("e2e cli: solve --json (exit 0), stdout is pure JSON", async () => {
  const r = await deno("cli.ts", "solve", P, "--json", "--rtol", "1e-10");
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.converged, true);
  assert.equal(j.method, "cg");
  assert.deepEqual(j.shape, [64, 64]);
  assert.ok(j.errorVsOnes.max[0] < 1e-8);
  assert.equal(ours(r.err), "");
});

Deno.test("e2e cli: exit codes and one-line errors without stack traces", async () => {
  const notConv = await deno("cli.ts", "solve", P, "--maxiter", "1");
  assert.equal(notConv.code, 1);
  const cases: [string[], RegExp][] = [
    [["solve", "nope.mtx"], /^error: cannot read A from nope\.mtx: no such file$/],
    [["solve", P, "--rtol", "-"], /^error: --rtol must be a finite number ≥ 0, got "-"$/],
    [["solve", P, "--method", "cgx"], /^error: --method must be one of .* \(did you mean cg\?\)$/],
    [
      ["solve", `${root}cli/testdata/bad_entry.mtx`],
      /^error: .*bad_entry\.mtx: Matrix Market line 4/,
    ],
  ];
  for (const [args, re] of cases) {
    const r = await deno("cli.ts", ...args);
    assert.equal(r.code, 2, args.join(" "));
    assert.equal(r.out, "");
    const lines = r.err.trimEnd().split("\n");
    assert.equal(lines.length, 1, r.err);
    assert.match(lines[0], re);
  }
});

Deno.test("e2e cli: importing cli.ts does nothing", async () => {
  const dir = await Deno.makeTempDir();
  const script = `${dir}/imp.ts`;
  await Deno.writeTextFile(
    script,
    `import { main } from ${JSON.stringify(`${root}cli.ts`)};\nconsole.log(typeof main);\n`,
  );
  const r = await deno(script);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, "function\n");
  assert.equal(r.err, "");
});

Deno.test("e2e cli: --backend webgpu (float32) when an adapter exists", async () => {
  const why = await hasAdapter();
  if (why) {
    console.log(`skipped: no WebGPU adapter (${why})`);
    return;
  }
  const r = await deno("cli.ts", "solve", P, "--backend", "webgpu", "--json");
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.backend, "webgpu");
  assert.equal(j.dtype, "float32");
  assert.equal(j.converged, true);
  assert.ok(j.errorVsOnes.max[0] < 1e-4, `float32 error ${j.errorVsOnes.max[0]}`);
});

Deno.test("e2e demo: runs offline, prints the table and writes a valid SVG", async () => {
  const dir = await Deno.makeTempDir();
  const svg = `${dir}/demo.svg`;
  // 14 systems: more than 12, so the plot uses a min–max band and a median line
  const r = await deno("demo.ts", "--size", "16", "--systems", "14", "--plot", svg);
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /Batched cg on 14 shifted 2-D Poisson problems/);
  assert.match(r.out, /^backend +dtype +systems +unknowns +iterations +converged/m);
  assert.match(r.out, /^cpu +float64 +14 +256 +\d+–\d+ +14\/14 +1e-8 +\S+ +\S+ ms/m);
  assert.match(r.out, /^webgpu: (adapter ".+"|skipped: .+)$/m);
  assert.ok(r.out.includes(`convergence plot: ${svg}`));
  const x = checkXml(await Deno.readTextFile(svg));
  assert.equal(x.root, "svg");
  assert.ok((x.counts.polygon ?? 0) >= 1, "band");
  assert.ok(x.texts.includes("cpu float64: median of 14"));
  assert.ok(x.texts.includes("rtol = 1e-8 (float64)"));
  const small = await deno("demo.ts", "--size", "1");
  assert.equal(small.code, 2);
  assert.match(small.err, /^error: --size must be an integer in 2\.\.1024, got "1"\n$/);
});

Deno.test("demo without a WebGPU adapter: says why, runs the CPU part, exit 0", async () => {
  const { main } = await import("../demo.ts");
  const desc = Object.getOwnPropertyDescriptor(globalThis, "navigator");
  Object.defineProperty(globalThis, "navigator", { value: {}, configurable: true });
  let out = "", err = "";
  const dir = await Deno.makeTempDir();
  try {
    const status = await main(["--size", "8", "--systems", "3", "--plot", `${dir}/d.svg`], {
      stdout: (s) => out += s,
      stderr: (s) => err += s,
      stderrIsTerminal: false,
      columns: 80,
    });
    assert.equal(status, 0, out + err);
  } finally {
    if (desc) Object.defineProperty(globalThis, "navigator", desc);
  }
  assert.match(out, /^webgpu: skipped: navigator\.gpu is not available in this runtime$/m);
  assert.match(out, /^cpu +float64 +3 +64 /m);
  assert.doesNotMatch(out, /^webgpu +float32/m);
  const x = checkXml(await Deno.readTextFile(`${dir}/d.svg`));
  assert.equal(x.counts.path, 3, "one line per system");
  assert.ok(x.texts.includes("σ = 0"));
});
