/**
 * Building blocks of the `@krylov/linalg` command-line tool (`cli.ts`) and of `demo.ts`: the
 * `solve` command, argument parsing, the method registry, Matrix Market system loading, the
 * progress display and SVG convergence plots.
 *
 * @example
 * ```ts
 * import { convergencePlotSvg } from "./mod.ts";
 * const svg = convergencePlotSvg({ title: "demo", groups: [{ label: "cg", histories: [[1, 1e-3]] }] });
 * await Deno.writeTextFile(await Deno.makeTempFile({ suffix: ".svg" }), svg);
 * ```
 *
 * @module
 */
export { type CliIO, denoIO } from "./cli_io.ts";
export {
  type ConvergenceGroup,
  type ConvergencePlotOptions,
  convergencePlotSvg,
  type PlotTolerance,
} from "./convergence_plot.ts";
export { type LoadedSystem, loadSystem } from "./load_system.ts";
export {
  METHOD_NAMES,
  type MethodName,
  type MethodOption,
  type MethodOutcome,
  type MethodRunOptions,
  methods,
  type MethodSpec,
} from "./methods.ts";
export { parseSolveArgs, type SolveArgs } from "./parse_solve_args.ts";
export { ProgressReporter, type ProgressReporterOptions } from "./progress_reporter.ts";
export { solveCommand } from "./solve_command.ts";
export { UsageError } from "./usage_error.ts";
// The library types that the CLI API refers to (documentation completeness).
export type * from "../sparse/mod.ts";
export type { AnyOperatorInput, OperatorInput, ProgressInfo } from "../linalg/types.ts";
