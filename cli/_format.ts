// Text formatting shared by the CLI and the demo: numbers, durations, plain-text tables.

/** A number in short scientific notation (`6.03e-7`), or `nan`/`inf`. */
export function sci(v: number, digits = 2): string {
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  if (v === 0) return "0";
  return v.toExponential(digits);
}

/** A tolerance-like number as a user would type it: `1e-5`, `2.5e-8`, `0.01`, `100`. */
export function short(v: number): string {
  if (v !== 0 && Number.isFinite(v) && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e6)) {
    const [m, e] = v.toExponential(6).split("e");
    return `${Number(m)}e${Number(e)}`;
  }
  return String(v);
}

/** A duration given in milliseconds, with a unit that keeps 3 significant digits. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`;
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0)} ms`;
  const s = ms / 1000;
  return `${s < 10 ? s.toFixed(2) : s < 100 ? s.toFixed(1) : s.toFixed(0)} s`;
}

/** `min–max` of integers (a single number when they are equal). */
export function range(values: ArrayLike<number>): string {
  if (values.length === 0) return "-";
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    lo = Math.min(lo, values[i]);
    hi = Math.max(hi, values[i]);
  }
  return lo === hi ? String(lo) : `${lo}–${hi}`;
}

/** Largest value, NaN when any value is NaN (so a NaN is never hidden by `Math.max`). */
export function maxOf(values: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i])) return NaN;
    m = Math.max(m, values[i]);
  }
  return m;
}

/** Renders rows as a left-aligned plain-text table with a header rule. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const width = header.map((h, j) => Math.max(len(h), ...rows.map((r) => len(r[j] ?? ""))));
  const line = (cells: readonly string[]) =>
    cells.map((c, j) => c + " ".repeat(width[j] - len(c))).join("  ").trimEnd();
  return [line(header), width.map((w) => "─".repeat(w)).join("  "), ...rows.map(line)]
    .join("\n") + "\n";
}

/** Display length (code points; the text here has no wide characters). */
function len(s: string): number {
  return [...s].length;
}
