/**
 * Solver progress on a terminal: a bar redrawn in place on a TTY, plain periodic lines
 * otherwise. Fed by the solvers' `onProgress` callback.
 *
 * @module
 */
import type { ProgressInfo } from "../linalg/types.ts";
import { sci } from "./_format.ts";

/**
 * Options of {@linkcode ProgressReporter}.
 *
 * @example
 * ```ts
 * import type { ProgressReporterOptions } from "./progress_reporter.ts";
 * const o: ProgressReporterOptions = { write: (s) => console.error(s), tty: false };
 * ```
 */
export interface ProgressReporterOptions {
  /** Writes text to the progress stream (stderr), synchronously. */
  readonly write: (text: string) => void;
  /** Whether the stream is a terminal: redraw one line in place (`\r`) instead of appending. */
  readonly tty: boolean;
  /** Terminal width in columns (TTY lines are cut to `columns − 1`; default 80). */
  readonly columns?: number;
  /** Nothing is shown before this many milliseconds (default: 250 on a TTY, 1000 otherwise),
   * so quick solves stay silent. */
  readonly delayMs?: number;
  /** Minimum time between two outputs (default: 100 ms on a TTY, 2000 ms otherwise). */
  readonly intervalMs?: number;
  /** Clock in milliseconds (default `performance.now`; tests pass their own). */
  readonly now?: () => number;
}

interface Sample {
  readonly it: number;
  readonly ratio: number;
}

/**
 * Turns `onProgress` reports into a progress display. The measure of progress is the worst
 * system's `‖r‖ / threshold` (converged systems are at or below 1): the bar fills with its
 * logarithm from the first report to 1, the rate is its mean reduction per iteration over the
 * last ~50 iterations, and the estimate of iterations left extrapolates that rate.
 *
 * @example
 * ```ts
 * import { ProgressReporter } from "./progress_reporter.ts";
 * const p = new ProgressReporter({ write: (s) => Deno.stderr.writeSync(new TextEncoder().encode(s)),
 *   tty: Deno.stderr.isTerminal() });
 * // await cg(A, b, { onProgress: p.update });
 * p.finish();
 * ```
 */
export class ProgressReporter {
  /** Lines (or redraws) written so far. */
  outputs = 0;
  readonly #o: Required<Omit<ProgressReporterOptions, "columns">> & { columns: number };
  readonly #start: number;
  #last = -Infinity;
  #first = NaN;
  #drawn = false;
  #samples: Sample[] = [];
  #latest: ProgressInfo | undefined;

  /** Starts the clock (the delay counts from here). */
  constructor(options: ProgressReporterOptions) {
    const tty = options.tty;
    this.#o = {
      write: options.write,
      tty,
      columns: Math.max(20, options.columns ?? 80),
      delayMs: options.delayMs ?? (tty ? 250 : 1000),
      intervalMs: options.intervalMs ?? (tty ? 100 : 2000),
      now: options.now ?? (() => performance.now()),
    };
    this.#start = this.#o.now();
  }

  /** The `onProgress` callback (bound: pass it as is). */
  readonly update = (info: ProgressInfo): void => {
    this.#latest = info;
    const ratio = worstRatio(info);
    if (Number.isFinite(ratio)) {
      if (Number.isNaN(this.#first)) this.#first = ratio;
      const s = this.#samples;
      if (!s.length || s[s.length - 1].it !== info.iteration) s.push({ it: info.iteration, ratio });
      while (s.length > 2 && info.iteration - s[1].it >= 50) s.shift();
    }
    const t = this.#o.now();
    if (t - this.#start < this.#o.delayMs || t - this.#last < this.#o.intervalMs) return;
    this.#last = t;
    this.#emit(info, ratio);
  };

  /** The text of the latest report (what the next redraw would show), or `""`. */
  status(): string {
    const info = this.#latest;
    return info ? this.#line(info, worstRatio(info)) : "";
  }

  /** Ends the display: clears the bar on a TTY; on other streams prints a last line when
   * earlier lines were printed. */
  finish(): void {
    if (this.#o.tty) {
      if (this.#drawn) this.#o.write("\r\x1b[2K");
      this.#drawn = false;
    } else if (this.outputs > 0 && this.#latest) {
      this.#o.write(this.#line(this.#latest, worstRatio(this.#latest)) + "\n");
      this.outputs++;
    }
  }

  #emit(info: ProgressInfo, ratio: number): void {
    const text = this.#line(info, ratio, this.#o.tty ? this.#o.columns - 1 : Infinity);
    if (this.#o.tty) {
      this.#o.write("\r\x1b[2K" + text);
      this.#drawn = true;
    } else {
      this.#o.write(text + "\n");
    }
    this.outputs++;
  }

  /** The status line; parts of low priority are dropped to fit in `max` characters. */
  #line(info: ProgressInfo, ratio: number, max = Infinity): string {
    const parts: [string, number][] = [[info.solver, 0]];
    if (this.#o.tty) {
      const width = 16;
      const frac = fraction(this.#first, ratio);
      const fill = Number.isFinite(frac) ? Math.round(frac * width) : 0;
      parts.push([`[${"#".repeat(fill)}${".".repeat(width - fill)}]`, 1]);
    }
    parts.push([`it ${info.iteration}/${info.maxiter}`, 0]);
    const worst = info.systems > 1 ? "worst ‖r‖" : "‖r‖";
    parts.push([`${worst} ${sci(worstResidual(info))} (${sci(ratio, 1)}× tol)`, 0]);
    const rate = this.rate();
    if (Number.isFinite(rate)) {
      parts.push([`rate ${rate.toFixed(3)}/it`, 1]);
      if (rate < 1 && ratio > 1) {
        const left = Math.ceil(Math.log(ratio) / -Math.log(rate));
        if (Number.isFinite(left)) parts.push([`~${left} it left`, 3]);
      }
    }
    if (info.systems > 1) parts.push([`active ${info.active}/${info.systems}`, 1]);
    parts.push([`${((this.#o.now() - this.#start) / 1000).toFixed(1)} s`, 4]);
    const length = () => parts.reduce((n, [t]) => n + [...t].length + 2, -2);
    while (length() > max) {
      let drop = -1;
      parts.forEach(([, p], i) => {
        if (p > 0 && (drop < 0 || p >= parts[drop][1])) drop = i;
      });
      if (drop < 0) break;
      parts.splice(drop, 1);
    }
    const text = parts.map(([t]) => t).join("  ");
    return [...text].length > max ? [...text].slice(0, max).join("") : text;
  }

  /** Mean reduction factor of the worst `‖r‖/threshold` per iteration over the recent window
   * (NaN before two reports). */
  rate(): number {
    const s = this.#samples;
    if (s.length < 2) return NaN;
    const a = s[0], b = s[s.length - 1];
    if (b.it <= a.it || !(a.ratio > 0) || !(b.ratio > 0)) return NaN;
    return Math.pow(b.ratio / a.ratio, 1 / (b.it - a.it));
  }
}

/** Largest finite `residual / threshold` over the systems (NaN when none is finite). */
function worstRatio(info: ProgressInfo): number {
  let m = NaN;
  for (let k = 0; k < info.residualNorm.length; k++) {
    const t = info.threshold[k];
    const r = info.residualNorm[k];
    const q = t > 0 ? r / t : r > 0 ? Infinity : 0;
    if (Number.isFinite(q) && !(q <= m)) m = q;
  }
  return m;
}

function worstResidual(info: ProgressInfo): number {
  let m = NaN;
  for (const r of info.residualNorm) if (Number.isFinite(r) && !(r <= m)) m = r;
  return m;
}

/** Share of the way from the first ratio down to 1, on a log scale, in [0, 1]. */
function fraction(first: number, now: number): number {
  if (!(first > 1) || !(now > 0)) return now <= 1 ? 1 : 0;
  return Math.min(1, Math.max(0, Math.log(first / now) / Math.log(first)));
}
