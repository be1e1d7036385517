/**
 * The error type of command-line mistakes (unknown options, bad values, missing files).
 *
 * @module
 */

/**
 * A command-line usage or input error: the CLI prints its message as one `error: …` line and
 * exits with status 2. Library errors (`TypeError`, `RangeError`, `Deno.errors.NotFound`, …)
 * are reported the same way; this class marks the mistakes the CLI itself detects.
 *
 * @example
 * ```ts
 * import { UsageError } from "./usage_error.ts";
 * const e = new UsageError("--rtol expects a number, got \"abc\"");
 * console.log(e.name, e.message); // UsageError --rtol expects a number, got "abc"
 * ```
 */
export class UsageError extends Error {
  /** Always `"UsageError"`. */
  override readonly name: string = "UsageError";
  /** Creates the error with a one-line message. */
  constructor(message: string) {
    super(message);
  }
}
