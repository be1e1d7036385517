/**
 * The `@krylov/linalg` command-line tool: solve sparse linear systems stored as Matrix Market
 * files with the batched Krylov solvers, on the CPU or on WebGPU.
 *
 * ```sh
 * deno run -A jsr:@krylov/linalg/cli solve A.mtx [b.mtx] --method cg --precond jacobi \
 *   --rtol 1e-8 --out x.mtx --plot conv.svg
 * deno run -A jsr:@krylov/linalg/cli solve --help
 * ```
 *
 * Without `b.mtx` the right-hand side is `b = A·1`, so the exact solution is `x = 1` and the
 * tool also reports `‖x − 1‖`. Exit status: 0 when every system converged, 1 when one did not,
 * 2 for usage and input errors (printed as one `error: …` line). Importing this module does
 * nothing; it runs only as the main module.
 *
 * @example
 * ```ts
 * import { main } from "./cli.ts";
 * const status = await main(["--help"]);
 * console.log(status); // 0
 * ```
 *
 * @module
 */
import { mainHelp } from "./cli/_help.ts";
import { type CliIO, denoIO } from "./cli/cli_io.ts";
import { solveCommand } from "./cli/solve_command.ts";
import { UsageError } from "./cli/usage_error.ts";

export type { CliIO } from "./cli/cli_io.ts";

/**
 * Runs the CLI with the given arguments (without the program name) and returns the exit
 * status: 0 success (every system converged), 1 not converged or breakdown, 2 usage or input
 * error. Errors are written as one `error: <message>` line on stderr (with the stack trace only
 * under `--debug`); nothing is thrown. `io` replaces the process's streams (tests capture the
 * output with it).
 *
 * @example
 * ```ts
 * import { main } from "./cli.ts";
 * let out = "";
 * const status = await main(["solve", "--help"], {
 *   stdout: (s) => out += s, stderr: () => {}, stderrIsTerminal: false, columns: 80,
 * });
 * console.log(status, out.split("\n")[0]);
 * ```
 */
export async function main(args: readonly string[], io: CliIO = denoIO()): Promise<number> {
  try {
    const [command, ...rest] = args;
    if (command === undefined) {
      io.stderr(mainHelp());
      return 2;
    }
    if (command === "--help" || command === "-h" || command === "help") {
      io.stdout(mainHelp());
      return 0;
    }
    if (command === "solve") return await solveCommand(rest, io);
    const hint = /\.mtx$/i.test(command) ? ` (did you mean: solve ${command} …?)` : "";
    throw new UsageError(`unknown command ${JSON.stringify(command)}${hint}; commands: solve`);
  } catch (e) {
    io.stderr(`error: ${errorLine(e)}\n`);
    if (args.includes("--debug") && e instanceof Error && e.stack) io.stderr(e.stack + "\n");
    return 2;
  }
}

/** One line describing an error: its message (first line), never a stack trace. */
function errorLine(e: unknown): string {
  if (e instanceof Error) {
    const msg = e.message.split("\n")[0].trim() || e.name;
    const known = e instanceof UsageError || e instanceof TypeError || e instanceof RangeError ||
      Object.values(Deno.errors).some((c) => e instanceof c);
    return known || e.constructor === Error ? msg : `${e.name}: ${msg}`;
  }
  return String(e);
}

if (import.meta.main) {
  Deno.exitCode = await main(Deno.args);
}
