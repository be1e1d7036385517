// In-process runs of the CLI through `main` (exit codes, output, files); tests/cli_test.ts runs
// it as a subprocess.
import assert from "node:assert/strict";
import { main } from "../cli.ts";
import { cpu } from "../backends/cpu/mod.ts";
import { cg } from "../linalg/cg.ts";
import { jacobi } from "../linalg/jacobi.ts";
import { readMatrixMarket } from "../sparse/matrix_market.ts";
import { loadSystem } from "./load_system.ts";
import { checkXml } from "./_xml_testing.ts";

const data = (name: string) => new URL(`./testdata/${name}`, import.meta.url).pathname;
const P = data("poisson2d_8.mtx");

async function run(...args: string[]): Promise<{ status: number; out: string; err: string }> {
  let out = "", err = "";
  const status = await main(args, {
    stdout: (s) => out += s,
    stderr: (s) => err += s,
    stderrIsTerminal: false,
    columns: 80,
  });
  return { status, out, err };
}

/** Asserts one `error: …` line on stderr, no stack trace, nothing on stdout, status 2. */
function assertErrorLine(r: { status: number; out: string; err: string }, re: RegExp): void {
  assert.equal(r.status, 2, r.err);
  assert.equal(r.out, "");
  const lines = r.err.split("\n").filter(Boolean);
  assert.equal(lines.length, 1, r.err);
  assert.match(lines[0], /^error: /);
  assert.match(lines[0], re);
  assert.ok(!/\bat .*:\d+:\d+/.test(r.err), "no stack trace");
}

Deno.test("cli solve: default b = A·1 converges to x = 1 (exit 0, human summary)", async () => {
  const r = await run("solve", P, "--rtol", "1e-12");
  assert.equal(r.status, 0, r.err);
  assert.equal(r.err, "");
  assert.match(r.out, /^A {8}.*poisson2d_8\.mtx: 64×64, 288 stored entries \(symmetric\)$/m);
  assert.match(r.out, /^b {8}A·1 \(default; the exact solution is x = 1\)$/m);
  assert.match(r.out, /^result {3}converged \(\d+ iterations\); ‖b − A x‖ = /m);
  const err = /‖x − 1‖∞ = (\S+),/.exec(r.out);
  assert.ok(err && Number(err[1]) < 1e-10, r.out);
});

Deno.test("cli solve --json: the summary matches a direct cg call", async () => {
  const r = await run("solve", P, data("rhs_64x3.mtx"), "--json", "--precond", "jacobi");
  assert.equal(r.status, 0, r.err);
  const j = JSON.parse(r.out);
  const s = await loadSystem(P, data("rhs_64x3.mtx"), "float64");
  const b = cpu.asarray(s.b.map((v) => Array.from(v)));
  const ref = await cg(s.A, b, { M: jacobi(s.A) });
  assert.equal(j.method, "cg");
  assert.equal(j.backend, "cpu");
  assert.equal(j.dtype, "float64");
  assert.deepEqual(j.shape, [64, 64]);
  assert.equal(j.systems, 3);
  assert.equal(j.converged, true);
  assert.deepEqual(j.info, [0, 0, 0]);
  assert.deepEqual(j.iterations, Array.from(ref.iterations));
  assert.deepEqual(j.residualNorm, Array.from(ref.residualNorm));
  for (let k = 0; k < 3; k++) {
    const bn = Math.hypot(...s.b[k]);
    assert.ok(Math.abs(j.relativeResidual[k] - j.residualNorm[k] / bn) < 1e-15);
    assert.ok(j.relativeResidual[k] < 1e-5);
  }
  assert.equal(j.errorVsOnes, null);
  assert.equal(typeof j.time, "number");
  assert.ok(j.time > 0 && j.time <= j.timings.total);
});

Deno.test("cli solve --out: x round-trips through Matrix Market and equals a direct solve", async () => {
  const dir = await Deno.makeTempDir();
  const out = `${dir}/x.mtx`;
  const r = await run("solve", P, data("rhs_64x3.mtx"), "--rtol", "1e-11", "--out", out, "-q");
  assert.equal(r.status, 0, r.err);
  assert.match(r.out, new RegExp(`wrote {4}x → ${out}`));
  const back = readMatrixMarket(await Deno.readTextFile(out));
  assert.equal(back.format, "array");
  assert.deepEqual(back.shape, [64, 3]);
  assert.equal(back.symmetry, "general");
  const x = (await cpu.toHost(back.matrix as ReturnType<typeof cpu.zeros>)) as Float64Array;
  // the same solve, called directly: identical bits (shortest round-trip text)
  const s = await loadSystem(P, data("rhs_64x3.mtx"), "float64");
  const ref = await cg(s.A, cpu.asarray(s.b.map((v) => Array.from(v))), { rtol: 1e-11 });
  const xr = await cpu.toHost(ref.x);
  // and close to the dense solution
  const dense = await cpu.toHost(
    cpu.linalg.solve(
      s.A.toDense(),
      cpu.matrix_transpose(cpu.asarray(s.b.map((v) => Array.from(v)))),
    ),
  );
  for (let i = 0; i < 64; i++) {
    for (let k = 0; k < 3; k++) {
      assert.equal(x[i * 3 + k], xr[k * 64 + i]);
      assert.ok(Math.abs(x[i * 3 + k] - dense[i * 3 + k]) < 1e-9);
    }
  }
});

Deno.test("cli solve --plot: a well-formed SVG with one line per system", async () => {
  const dir = await Deno.makeTempDir();
  const r = await run("solve", P, data("rhs_64x3.mtx"), "--plot", `${dir}/c.svg`, "--rtol", "1e-8");
  assert.equal(r.status, 0, r.err);
  const x = checkXml(await Deno.readTextFile(`${dir}/c.svg`));
  assert.equal(x.root, "svg");
  assert.equal(x.counts.path, 3);
  assert.ok(x.texts.some((t) => t.startsWith("cg on poisson2d_8.mtx (64×64, 288 stored entries)")));
  assert.ok(x.texts.includes("rtol = 1e-8"));
  assert.ok(x.texts.includes("system 2"));
});

Deno.test("cli solve: not converged → exit 1, with a hint on stderr", async () => {
  const r = await run("solve", P, "--maxiter", "2", "--json");
  assert.equal(r.status, 1);
  const j = JSON.parse(r.out);
  assert.equal(j.converged, false);
  assert.deepEqual(j.info, [2]);
  assert.deepEqual(j.status, ["not converged (iteration limit reached)"]);
  assert.match(
    r.err,
    /^hint: the iteration limit was reached: raise --maxiter or try --precond jacobi$/m,
  );
  const ns = await run("solve", data("convdiff_10.mtx"), "--maxiter", "1");
  assert.equal(ns.status, 1);
  assert.match(ns.err, /hint: A is not symmetric but cg assumes it is/);
  assert.match(ns.out, /result {3}not converged \(iteration limit reached\) \(1 iteration\);/);
  const quiet = await run("solve", P, "--maxiter", "2", "-q");
  assert.equal(quiet.status, 1);
  assert.equal(quiet.err, "");
});

Deno.test("cli: usage and input errors print one line and exit 2", async () => {
  assertErrorLine(
    await run("solve", "/nonexistent.mtx"),
    /cannot read A from \/nonexistent\.mtx: no such file/,
  );
  assertErrorLine(
    await run("solve", data("bad_entry.mtx")),
    /bad_entry\.mtx: Matrix Market line 4: /,
  );
  assertErrorLine(await run("solve", P, "--rtol", "x"), /--rtol must be a finite number/);
  assertErrorLine(await run("solve", P, "--bogus"), /unknown option --bogus/);
  assertErrorLine(
    await run("solve", data("rect_6x4.mtx")),
    /cg needs a square A; .*rect_6x4\.mtx has shape \(6, 4\)/,
  );
  assertErrorLine(
    await run("solve", data("zero_diag.mtx"), "--precond", "jacobi"),
    /--precond jacobi: A has 1 zero diagonal entry \(first in row 1\)/,
  );
  assertErrorLine(await run("solve", P, "--restart", "5"), /--restart does not apply to cg/);
  assertErrorLine(await run("solve", P, "--btol", "1e-3"), /--btol does not apply to cg/);
  assertErrorLine(
    await run("solve", P, data("convdiff_10.mtx")),
    /b has shape \(10, 10\) but A has shape \(64, 64\)/,
  );
  assertErrorLine(await run("frobnicate"), /unknown command "frobnicate"; commands: solve/);
  assertErrorLine(await run("A.mtx"), /did you mean: solve A\.mtx/);
  assertErrorLine(
    await run("solve", data("rect_6x4.mtx"), "-m", "lsqr", "--precond", "jacobi"),
    /--precond jacobi: lsqr takes no preconditioner/,
  );
  assertErrorLine(
    await run("solve", P, "-m", "minres", "--atol", "1e-3"),
    /--atol does not apply to minres \(it takes --rtol, --maxiter\)/,
  );
  const dir = await Deno.makeTempDir();
  assertErrorLine(
    await run("solve", P, "--out", `${dir}/missing/x.mtx`),
    /--out: cannot write .*missing\/x\.mtx: the directory .*missing does not exist/,
  );
  assertErrorLine(
    await run("solve", P, "--plot", `${P}/c.svg`),
    /--plot: cannot write .*: .*poisson2d_8\.mtx is not a directory/,
  );
  // NaN in b is the solver's RangeError, printed the same way
  const nanB = `${dir}/nan.mtx`;
  await Deno.writeTextFile(nanB, "%%MatrixMarket matrix array real general\n2 1\n1\nnan\n");
  const two = `${dir}/two.mtx`;
  await Deno.writeTextFile(
    two,
    "%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1\n2 2 1\n",
  );
  const r = await run("solve", two, nanB);
  assertErrorLine(r, /NaN|non-finite|finite/i);
});

Deno.test("cli solve: least squares, restarts, and hints for the wrong method", async () => {
  const ls = await run("solve", data("rect_6x4.mtx"), "-m", "lsqr", "--rtol", "1e-12", "--json");
  assert.equal(ls.status, 0, ls.err);
  const j = JSON.parse(ls.out);
  assert.deepEqual(j.shape, [6, 4]);
  assert.deepEqual(j.info, [1]);
  assert.deepEqual(j.status, ["converged: A x ≈ b within atol/btol"]);
  assert.ok(j.errorVsOnes.max[0] < 1e-10, "b = A·1 is consistent: x = 1");
  assert.deepEqual(Object.keys(j.extra), ["r1norm", "r2norm", "anorm", "acond", "arnorm", "xnorm"]);
  const lsmr = await run("solve", data("rect_6x4.mtx"), "-m", "lsmr");
  assert.equal(lsmr.status, 0, lsmr.err);
  assert.match(lsmr.out, /^norms {4}normr .*, normar .*, norma .*, conda .*, normx /m);
  const gm = await run("solve", P, data("rhs_64x3.mtx"), "-m", "gmres", "--restart", "5", "--json");
  assert.equal(gm.status, 0, gm.err);
  const g = JSON.parse(gm.out);
  assert.ok(g.iterations.every((it: number) => it > 5), "needs several restart cycles");
  const mr = await run("solve", data("convdiff_10.mtx"), "-m", "minres", "--maxiter", "3");
  assert.equal(mr.status, 1);
  assert.match(
    mr.err,
    /^hint: A is not symmetric but minres assumes it is; try --method gmres or bicgstab or lgmres$/m,
  );
});

Deno.test("cli: --debug adds the stack trace", async () => {
  const r = await run("solve", "/nonexistent.mtx", "--debug");
  assert.equal(r.status, 2);
  assert.match(r.err, /^error: cannot read A/);
  assert.ok(r.err.split("\n").length > 2);
});

Deno.test("cli: help texts", async () => {
  const top = await run("--help");
  assert.equal(top.status, 0);
  assert.match(top.out, /^krylov — /);
  assert.match(top.out, /solve A\.mtx \[b\.mtx\] \[options\]/);
  const sub = await run("solve", "--help");
  assert.equal(sub.status, 0);
  for (
    const opt of [
      "--method",
      "--rtol",
      "--atol",
      "--maxiter",
      "--restart",
      "--precond",
      "--backend",
      "--dtype",
      "--out",
      "--plot",
      "--json",
    ]
  ) {
    assert.ok(sub.out.includes(opt), opt);
  }
  assert.match(sub.out, /b = A·1/);
  assert.match(sub.out, /^ {4}cg {7} conjugate gradient/m);
  const none = await run();
  assert.equal(none.status, 2);
  assert.equal(none.out, "");
  assert.match(none.err, /^krylov — /);
});
