import assert from "node:assert/strict";
import { parseSolveArgs } from "./parse_solve_args.ts";
import { UsageError } from "./usage_error.ts";

Deno.test("parseSolveArgs: defaults", () => {
  const a = parseSolveArgs(["A.mtx"]);
  assert.equal(a.help, false);
  assert.equal(a.matrix, "A.mtx");
  assert.equal(a.rhs, undefined);
  assert.equal(a.method, "cg");
  assert.equal(a.precond, "none");
  assert.equal(a.backend, "cpu");
  assert.equal(a.dtype, "float64");
  for (const k of ["rtol", "atol", "btol", "maxiter", "restart", "out", "plot"] as const) {
    assert.equal(a[k], undefined, k);
  }
  assert.equal(a.json, false);
  assert.equal(a.quiet, false);
});

Deno.test("parseSolveArgs: every option, in both spellings", () => {
  const a = parseSolveArgs([
    "A.mtx",
    "b.mtx",
    "-m",
    "gmres",
    "--rtol",
    "1e-8",
    "--atol=0.5",
    "--btol",
    "2e-3",
    "--maxiter",
    "300",
    "--restart",
    "30",
    "--precond",
    "jacobi",
    "--backend",
    "webgpu",
    "-o",
    "x.mtx",
    "--plot",
    "c.svg",
    "--json",
    "-q",
  ]);
  assert.deepEqual(
    { ...a },
    {
      help: false,
      matrix: "A.mtx",
      rhs: "b.mtx",
      method: "gmres",
      rtol: 1e-8,
      atol: 0.5,
      btol: 2e-3,
      maxiter: 300,
      restart: 30,
      precond: "jacobi",
      backend: "webgpu",
      dtype: "float32",
      out: "x.mtx",
      plot: "c.svg",
      json: true,
      quiet: true,
      debug: false,
    },
  );
  assert.equal(parseSolveArgs(["A", "--dtype", "float32"]).dtype, "float32");
});

Deno.test("parseSolveArgs: --help wins over everything else", () => {
  assert.equal(parseSolveArgs(["--help"]).help, true);
  assert.equal(parseSolveArgs(["A.mtx", "--method", "nope", "-h"]).help, true);
});

Deno.test("parseSolveArgs: mistakes are UsageErrors with one clear line", () => {
  const cases: [string[], RegExp][] = [
    [[], /solve needs the matrix file/],
    [["a", "b", "c"], /at most two files .* got 3: a b c/],
    [["A", "--rtl", "1"], /unknown option --rtl \(did you mean --rtol\?\)/],
    [["A", "--frobnicate"], /^unknown option --frobnicate; see solve --help$/],
    [["A", "--rtol"], /^--rtol needs a value$/],
    [["A", "--rtol", "-1"], /--rtol needs a value; write negative .* --rtol=VALUE/],
    [["A", "--rtol=-1"], /--rtol must be a finite number ≥ 0, got "-1"/],
    [["A", "--atol", "abc"], /--atol must be a finite number ≥ 0, got "abc"/],
    [["A", "--atol", "Infinity"], /--atol must be a finite number/],
    [["A", "--maxiter", "0"], /--maxiter must be a positive integer, got "0"/],
    [["A", "--maxiter", "1.5"], /--maxiter must be a positive integer, got "1.5"/],
    [["A", "--restart", "1e3"], /--restart must be a positive integer/],
    [
      ["A", "--method", "cgg"],
      /--method must be one of cg, gmres.*got "cgg" \(did you mean cg\?\)/,
    ],
    [["A", "--precond", "ilu"], /--precond must be one of jacobi, none; got "ilu"/],
    [["A", "--backend", "cuda"], /--backend must be one of cpu, webgpu/],
    [["A", "--dtype", "float16"], /--dtype must be one of float64, float32/],
    [["A", "--backend", "webgpu", "--dtype", "float64"], /webgpu computes in float32 only/],
    [["A", "--json=yes"], /^--json takes no value$/],
    [["A", "--out", ""], /--out needs a file path/],
  ];
  for (const [args, re] of cases) {
    assert.throws(() => parseSolveArgs(args), (e: unknown) => {
      assert.ok(e instanceof UsageError, `${args.join(" ")}: ${e}`);
      assert.match(e.message, re, args.join(" "));
      assert.ok(!e.message.includes("\n"), "one line");
      return true;
    });
  }
});
