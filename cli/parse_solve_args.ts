/**
 * Command-line parsing of `solve` (with `node:util`'s `parseArgs`).
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { FloatDType } from "../array_api/types.ts";
import { METHOD_NAMES, type MethodName } from "./methods.ts";
import { UsageError } from "./usage_error.ts";

/**
 * The parsed `solve` command line.
 *
 * @example
 * ```ts
 * import { parseSolveArgs } from "./parse_solve_args.ts";
 * const a = parseSolveArgs(["A.mtx", "--method", "cg", "--rtol", "1e-8"]);
 * console.log(a.matrix, a.method, a.rtol, a.dtype); // A.mtx cg 1e-8 float64
 * ```
 */
export interface SolveArgs {
  /** `--help` / `-h` was given (nothing else is validated then). */
  readonly help: boolean;
  /** Path of A (first positional argument). */
  readonly matrix: string;
  /** Path of b (second positional argument), absent for the default `b = A·1`. */
  readonly rhs?: string;
  /** `--method` (default `cg`). */
  readonly method: MethodName;
  /** `--rtol`. */
  readonly rtol?: number;
  /** `--atol`. */
  readonly atol?: number;
  /** `--btol` (least-squares methods). */
  readonly btol?: number;
  /** `--maxiter`. */
  readonly maxiter?: number;
  /** `--restart` (gmres). */
  readonly restart?: number;
  /** `--precond` (default `none`). */
  readonly precond: "jacobi" | "none";
  /** `--backend` (default `cpu`). */
  readonly backend: "cpu" | "webgpu";
  /** `--dtype` (default float64 on cpu, float32 on webgpu). */
  readonly dtype: FloatDType;
  /** `--out`: where to write x (Matrix Market array file). */
  readonly out?: string;
  /** `--plot`: where to write the SVG convergence plot. */
  readonly plot?: string;
  /** `--json`: machine-readable summary on stdout. */
  readonly json: boolean;
  /** `--quiet`: no progress display and no notes on stderr. */
  readonly quiet: boolean;
  /** `--debug`: print stack traces of errors. */
  readonly debug: boolean;
}

const OPTIONS = {
  method: { type: "string", short: "m" },
  rtol: { type: "string" },
  atol: { type: "string" },
  btol: { type: "string" },
  maxiter: { type: "string" },
  restart: { type: "string" },
  precond: { type: "string" },
  backend: { type: "string" },
  dtype: { type: "string" },
  out: { type: "string", short: "o" },
  plot: { type: "string" },
  json: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  debug: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/**
 * Parses the arguments of `solve` (those after the word `solve`). Every mistake is a
 * {@linkcode UsageError} with a one-line message: unknown options (with a suggestion), missing
 * or extra files, values that are not numbers or out of range, unknown choices, and
 * `--backend webgpu` with `--dtype float64`. Method-specific rules (which options a method
 * takes) are checked by the command, which knows the registry.
 *
 * @example
 * ```ts
 * import { parseSolveArgs } from "./parse_solve_args.ts";
 * const a = parseSolveArgs(["A.mtx", "b.mtx", "--backend", "webgpu", "--json"]);
 * console.log(a.rhs, a.dtype, a.json); // b.mtx float32 true
 * ```
 */
export function parseSolveArgs(args: readonly string[]): SolveArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(parseErrorText(e));
  }
  const v = parsed.values;
  const pos = parsed.positionals;
  const base = {
    json: v.json ?? false,
    quiet: v.quiet ?? false,
    debug: v.debug ?? false,
  };
  if (v.help) {
    return {
      ...base,
      help: true,
      matrix: pos[0] ?? "",
      method: "cg",
      precond: "none",
      backend: "cpu",
      dtype: "float64",
    };
  }
  if (pos.length === 0) {
    throw new UsageError("solve needs the matrix file: solve A.mtx [b.mtx] [options]");
  }
  if (pos.length > 2) {
    throw new UsageError(
      `solve takes at most two files (A and b), got ${pos.length}: ${pos.join(" ")}`,
    );
  }
  const method = choice("--method", v.method ?? "cg", METHOD_NAMES);
  const backend = choice("--backend", v.backend ?? "cpu", ["cpu", "webgpu"] as const);
  const dtype = choice(
    "--dtype",
    v.dtype ?? (backend === "webgpu" ? "float32" : "float64"),
    ["float64", "float32"] as const,
  );
  if (backend === "webgpu" && dtype === "float64") {
    throw new UsageError(
      "--backend webgpu computes in float32 only (WebGPU has no float64); use --dtype float32 " +
        "or --backend cpu",
    );
  }
  return {
    ...base,
    help: false,
    matrix: pos[0],
    rhs: pos[1],
    method,
    rtol: nonNegative("--rtol", v.rtol),
    atol: nonNegative("--atol", v.atol),
    btol: nonNegative("--btol", v.btol),
    maxiter: positiveInt("--maxiter", v.maxiter),
    restart: positiveInt("--restart", v.restart),
    precond: choice("--precond", v.precond ?? "none", ["jacobi", "none"] as const),
    backend,
    dtype,
    out: path("--out", v.out),
    plot: path("--plot", v.plot),
  };
}

function choice<T extends string>(opt: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  const near = closest(value, allowed);
  throw new UsageError(
    `${opt} must be one of ${allowed.join(", ")}; got ${JSON.stringify(value)}` +
      (near ? ` (did you mean ${near}?)` : ""),
  );
}

function nonNegative(opt: string, s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const x = s.trim() === "" ? NaN : Number(s);
  if (!Number.isFinite(x) || x < 0) {
    throw new UsageError(`${opt} must be a finite number ≥ 0, got ${JSON.stringify(s)}`);
  }
  return x;
}

function positiveInt(opt: string, s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const x = /^\+?\d+$/.test(s.trim()) ? Number(s) : NaN;
  if (!Number.isSafeInteger(x) || x < 1) {
    throw new UsageError(`${opt} must be a positive integer, got ${JSON.stringify(s)}`);
  }
  return x;
}

function path(opt: string, s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  if (s.trim() === "") throw new UsageError(`${opt} needs a file path, got an empty string`);
  return s;
}

/** One line from a `parseArgs` error, with a suggestion for unknown options. */
function parseErrorText(e: unknown): string {
  const code = (e as { code?: string }).code;
  const msg = e instanceof Error ? e.message : String(e);
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const name = /'([^']+)'/.exec(msg)?.[1] ?? msg;
    const flag = name.replace(/^-+/, "").split("=")[0];
    const near = closest(flag, Object.keys(OPTIONS));
    return `unknown option ${name}` + (near ? ` (did you mean --${near}?)` : "") +
      "; see solve --help";
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const name = /'(--?[\w-]+)/.exec(msg)?.[1] ?? "an option";
    if (/ambiguous/.test(msg)) {
      return `${name} needs a value; write negative or dash-led values as ${name}=VALUE`;
    }
    if (/does not take an argument/.test(msg)) return `${name} takes no value`;
    return `${name} needs a value`;
  }
  return msg.split("\n")[0];
}

/** The candidate within edit distance 2 of `s` (case-insensitive), if any. */
function closest(s: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined, bestD = 3;
  for (const c of candidates) {
    const d = editDistance(s.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length];
}
