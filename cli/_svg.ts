// Small SVG helpers for the convergence plot: escaping, coordinates, ticks.

/** Escapes text for XML character data and attribute values. */
export function esc(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) =>
      c === "&"
        ? "&amp;"
        : c === "<"
        ? "&lt;"
        : c === ">"
        ? "&gt;"
        : c === '"'
        ? "&quot;"
        : "&#39;",
  );
}

/** A coordinate with at most 2 decimals (never NaN/Infinity: callers clamp first). */
export function num(v: number): string {
  if (!Number.isFinite(v)) throw new RangeError(`svg: non-finite coordinate ${v}`);
  const r = Math.round(v * 100) / 100;
  return Object.is(r, -0) ? "0" : String(r);
}

/** Evenly spaced "nice" tick values (steps 1, 2, 5 × 10^k, at least `minStep`) covering
 * `[lo, hi]`, about `target` of them. */
export function linearTicks(lo: number, hi: number, target: number, minStep = 0): number[] {
  const span = Math.max(hi - lo, Number.EPSILON);
  const raw = Math.max(span / Math.max(target, 1), minStep);
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw - 1e-12 * raw) ?? 10 * p;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + 1e-9 * step; t += step) {
    out.push(Math.round(t / step) * step);
  }
  return out;
}

/** Text of a linear tick: integers plainly, else the shortest of 4 significant digits. */
export function tickText(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(4)));
}

/** `10` with the exponent as a raised `tspan` (a power-of-ten axis label). */
export function powerLabel(exp: number): string {
  if (exp === 0) return "1";
  if (exp === 1) return "10";
  const e = exp < 0 ? `\u2212${-exp}` : String(exp);
  return `10<tspan dy="-6" font-size="9">${e}</tspan>`;
}
