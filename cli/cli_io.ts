/**
 * Where the CLI writes: stdout, stderr, and what it knows about the terminal.
 *
 * @module
 */

/**
 * Output streams of the CLI (tests pass their own to capture the text).
 *
 * @example
 * ```ts
 * import type { CliIO } from "./cli_io.ts";
 * let out = "";
 * const io: CliIO = { stdout: (s) => out += s, stderr: () => {}, stderrIsTerminal: false,
 *   columns: 80 };
 * ```
 */
export interface CliIO {
  /** Writes text to standard output. */
  stdout(text: string): void;
  /** Writes text to standard error (progress, notes, error lines). */
  stderr(text: string): void;
  /** Whether stderr is a terminal (progress bar redrawn in place) or not (plain lines). */
  readonly stderrIsTerminal: boolean;
  /** Terminal width in columns. */
  readonly columns: number;
}

/**
 * The process's own streams (`Deno.stdout`, `Deno.stderr`), written synchronously.
 *
 * @example
 * ```ts
 * import { denoIO } from "./cli_io.ts";
 * const io = denoIO();
 * io.stderr("working…\n");
 * ```
 */
export function denoIO(): CliIO {
  const enc = new TextEncoder();
  const writer = (f: { writeSync(p: Uint8Array): number }) => (text: string) => {
    let bytes = enc.encode(text);
    while (bytes.length > 0) bytes = bytes.subarray(f.writeSync(bytes));
  };
  const tty = Deno.stderr.isTerminal();
  let columns = 80;
  if (tty) {
    try {
      columns = Deno.consoleSize().columns || 80;
    } catch {
      // not a console after all: keep 80
    }
  }
  return {
    stdout: writer(Deno.stdout),
    stderr: writer(Deno.stderr),
    stderrIsTerminal: tty,
    columns,
  };
}
