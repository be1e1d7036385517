/**
 * Convergence plots as standalone SVG: residual versus iteration on a logarithmic axis.
 *
 * @module
 */
import { esc, linearTicks, num, powerLabel, tickText } from "./_svg.ts";

/**
 * One group of residual histories (e.g. one backend's batch of systems).
 *
 * @example
 * ```ts
 * import type { ConvergenceGroup } from "./convergence_plot.ts";
 * const g: ConvergenceGroup = { label: "cg float64", histories: [[1, 0.1, 0.01]] };
 * ```
 */
export interface ConvergenceGroup {
  /** Legend label of the group, e.g. `"cpu float64"`. */
  readonly label: string;
  /** One residual history per system; entry `i` belongs to iteration `x[i]` (default `i`).
   * Non-finite and non-positive entries are left out (the line is broken there). */
  readonly histories: readonly ArrayLike<number>[];
  /** Iteration of each history entry, shared by the systems (default `0, 1, 2, …`). */
  readonly x?: ArrayLike<number>;
  /** Legend label of each system when its history is drawn as a line (default `system k`). */
  readonly systemLabels?: readonly string[];
  /** Line style (default: solid for the first group, then dashed, dotted, dash-dot). */
  readonly style?: "solid" | "dashed" | "dotted" | "dashdot";
}

/**
 * Options of {@linkcode convergencePlotSvg}.
 *
 * @example
 * ```ts
 * import type { ConvergencePlotOptions } from "./convergence_plot.ts";
 * const o: ConvergencePlotOptions = {
 *   title: "cg on poisson2d(64)",
 *   groups: [{ label: "cpu", histories: [[1, 0.5, 0.1]] }],
 *   tolerance: { value: 1e-8, label: "rtol = 1e-8" },
 * };
 * ```
 */
export interface ConvergencePlotOptions {
  /** Title at the top of the figure. */
  readonly title: string;
  /** Smaller second line under the title. */
  readonly subtitle?: string;
  /** The histories to draw. */
  readonly groups: readonly ConvergenceGroup[];
  /** Label of the x axis (default `"iteration"`). */
  readonly xLabel?: string;
  /** Label of the y axis (default `"relative residual ‖r‖ / ‖r₀‖"`). */
  readonly yLabel?: string;
  /** Horizontal reference lines (stopping tolerances), drawn dashed (red, then purple, …). */
  readonly tolerance?: PlotTolerance | readonly PlotTolerance[];
  /** Groups with more systems than this are drawn as a min–max band with a median line
   * instead of one line per system (default 12). */
  readonly maxLines?: number;
  /** Figure width in pixels (default 900). */
  readonly width?: number;
  /** Figure height in pixels (default 540). */
  readonly height?: number;
}

const PALETTE = [
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#76b7b2",
  "#59a14f",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#bab0ac",
];
const DASH: Record<string, string> = {
  solid: "",
  dashed: "7 4",
  dotted: "2 3",
  dashdot: "8 3 2 3",
};
const STYLES = ["solid", "dashed", "dotted", "dashdot"] as const;
const TOL_COLORS = ["#d62728", "#7b3294", "#333333"];

/**
 * A horizontal reference line of {@linkcode ConvergencePlotOptions.tolerance}.
 *
 * @example
 * ```ts
 * import type { PlotTolerance } from "./convergence_plot.ts";
 * const t: PlotTolerance = { value: 1e-8, label: "rtol = 1e-8" };
 * ```
 */
export interface PlotTolerance {
  /** Height of the line (a positive number). */
  readonly value: number;
  /** Legend text. */
  readonly label: string;
}

interface Pt {
  x: number;
  y: number;
}

/**
 * Renders residual histories as a standalone SVG document (opens in any browser): log-scaled
 * y axis with power-of-ten ticks, linear x axis, grid, axis labels, title, legend, and an
 * optional tolerance line. Each group is drawn as one line per system (coloured by system,
 * styled by group) or, when it has more than `maxLines` systems, as a shaded min–max band
 * with a median line (a system that stopped keeps its last value, so the band describes the
 * whole batch). Long histories are decimated to the extremes of each pixel column.
 *
 * @example
 * ```ts
 * import { convergencePlotSvg } from "./convergence_plot.ts";
 * const svg = convergencePlotSvg({
 *   title: "cg",
 *   groups: [{ label: "cpu float64", histories: [[1, 0.3, 0.02, 1e-4], [1, 0.5, 0.1]] }],
 * });
 * console.log(svg.startsWith("<?xml")); // true
 * ```
 */
export function convergencePlotSvg(options: ConvergencePlotOptions): string {
  const W = options.width ?? 900, H = options.height ?? 540;
  if (!(W >= 200 && H >= 150)) {
    throw new RangeError(`convergencePlotSvg: width × height must be at least 200 × 150`);
  }
  const maxLines = options.maxLines ?? 12;
  const groups = options.groups.map((g, gi) => ({
    ...g,
    style: g.style ?? STYLES[gi % STYLES.length],
    band: g.histories.length > maxLines,
  }));

  // ---- data extent
  let xMax = 1, yLo = Infinity, yHi = -Infinity;
  const good = (v: number) => Number.isFinite(v) && v > 0;
  for (const g of groups) {
    for (const h of g.histories) {
      for (let i = 0; i < h.length; i++) {
        const v = h[i];
        if (!good(v)) continue;
        yLo = Math.min(yLo, v);
        yHi = Math.max(yHi, v);
        xMax = Math.max(xMax, xAt(g, i));
      }
    }
  }
  const t0 = options.tolerance;
  const tols = (t0 === undefined ? [] : "value" in t0 ? [t0] : [...t0])
    .map((t, i) => ({ ...t, color: TOL_COLORS[i % TOL_COLORS.length] }))
    .filter((t) => good(t.value));
  for (const t of tols) {
    yLo = Math.min(yLo, t.value);
    yHi = Math.max(yHi, t.value);
  }
  const empty = !(yLo <= yHi);
  if (empty) [yLo, yHi] = [0.1, 1];
  const eLo = Math.floor(Math.log10(yLo) + 1e-9);
  let eHi = Math.ceil(Math.log10(yHi) - 1e-9);
  if (eHi <= eLo) eHi = eLo + 1;
  const xTicks = linearTicks(0, xMax, 8, 1);
  if (xTicks.length > 1 && xTicks[xTicks.length - 1] < xMax) {
    xTicks.push(2 * xTicks[xTicks.length - 1] - xTicks[xTicks.length - 2]);
  }
  const xEnd = Math.max(xMax, xTicks[xTicks.length - 1]);

  // ---- layout
  const legend = legendEntries(groups, tols);
  const legendW = legend.length
    ? Math.min(300, 48 + 6.6 * Math.max(...legend.map((e) => e.text.length)))
    : 0;
  const top = options.subtitle ? 64 : 48, bottom = 56, left = 76;
  const right = legendW ? legendW + 24 : 24;
  const pw = W - left - right, ph = H - top - bottom;
  if (pw < 80 || ph < 60) {
    throw new RangeError(`convergencePlotSvg: ${W} × ${H} leaves no room for the plot area`);
  }
  const sx = (x: number) => left + (x / xEnd) * pw;
  const sy = (v: number) => top + ph - ((Math.log10(v) - eLo) / (eHi - eLo)) * ph;

  const o: string[] = [];
  o.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  o.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ` +
      `font-family="Helvetica, Arial, sans-serif" font-size="12">`,
  );
  o.push(`<title>${esc(options.title)}</title>`);
  o.push(`<desc>${esc(options.subtitle ?? "convergence history")}</desc>`);
  o.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  o.push(
    `<text x="${num(W / 2)}" y="24" text-anchor="middle" font-size="16" font-weight="bold">` +
      `${esc(options.title)}</text>`,
  );
  if (options.subtitle) {
    o.push(
      `<text x="${num(W / 2)}" y="44" text-anchor="middle" fill="#555555">` +
        `${esc(options.subtitle)}</text>`,
    );
  }

  // ---- grid and axes
  o.push(`<g stroke="#e6e6e6" stroke-width="1">`);
  const decStep = Math.max(1, Math.ceil((eHi - eLo) / 12));
  for (let e = eLo; e <= eHi; e++) {
    const y = num(sy(10 ** e));
    o.push(`<line x1="${num(left)}" y1="${y}" x2="${num(left + pw)}" y2="${y}"/>`);
  }
  for (const t of xTicks) {
    const x = num(sx(t));
    o.push(`<line x1="${x}" y1="${num(top)}" x2="${x}" y2="${num(top + ph)}"/>`);
  }
  o.push(`</g>`);
  o.push(`<g stroke="#333333" stroke-width="1">`);
  for (let e = eLo; e <= eHi; e++) {
    const y = num(sy(10 ** e));
    o.push(`<line x1="${num(left - 6)}" y1="${y}" x2="${num(left)}" y2="${y}"/>`);
    if (eHi - eLo <= 6 && e < eHi) {
      for (let m = 2; m <= 9; m++) {
        const ym = num(sy(m * 10 ** e));
        o.push(`<line x1="${num(left - 3)}" y1="${ym}" x2="${num(left)}" y2="${ym}"/>`);
      }
    }
  }
  for (const t of xTicks) {
    const x = num(sx(t));
    o.push(`<line x1="${x}" y1="${num(top + ph)}" x2="${x}" y2="${num(top + ph + 6)}"/>`);
  }
  o.push(`</g>`);
  o.push(
    `<rect x="${num(left)}" y="${num(top)}" width="${num(pw)}" height="${num(ph)}" ` +
      `fill="none" stroke="#333333" stroke-width="1"/>`,
  );
  o.push(`<g text-anchor="end" fill="#333333">`);
  for (let e = eLo; e <= eHi; e++) {
    if ((e - eLo) % decStep !== 0) continue;
    o.push(`<text x="${num(left - 9)}" y="${num(sy(10 ** e) + 4)}">${powerLabel(e)}</text>`);
  }
  o.push(`</g>`);
  o.push(`<g text-anchor="middle" fill="#333333">`);
  for (const t of xTicks) {
    o.push(`<text x="${num(sx(t))}" y="${num(top + ph + 20)}">${esc(tickText(t))}</text>`);
  }
  o.push(`</g>`);
  o.push(
    `<text x="${num(left + pw / 2)}" y="${num(H - 14)}" text-anchor="middle">` +
      `${esc(options.xLabel ?? "iteration")}</text>`,
  );
  const yl = num(top + ph / 2);
  o.push(
    `<text x="18" y="${yl}" text-anchor="middle" transform="rotate(-90 18 ${yl})">` +
      `${esc(options.yLabel ?? "relative residual \u2016r\u2016 / \u2016r\u2080\u2016")}</text>`,
  );

  // ---- data
  o.push(`<g fill="none" stroke-width="1.6" stroke-linejoin="round" stroke-linecap="round">`);
  const cols = Math.max(1, Math.round(pw));
  groups.forEach((g, gi) => {
    // later groups are drawn over earlier ones: a wider stroke keeps both visible
    const wide = gi > 0 ? ` stroke-width="2.4"` : "";
    const dash = (DASH[g.style] ? ` stroke-dasharray="${DASH[g.style]}"` : "") + wide;
    if (g.band) {
      const { lo, hi, med, xs } = bandOf(g);
      const color = PALETTE[gi % PALETTE.length];
      const up = decimate(xs.map((x, i) => ({ x: sx(x), y: hi[i] })), cols, sy);
      const dn = decimate(xs.map((x, i) => ({ x: sx(x), y: lo[i] })), cols, sy);
      for (const [u, d] of pairRuns(up, dn)) {
        const pts = [...u, ...d.slice().reverse()].map((p) => `${num(p.x)},${num(p.y)}`);
        o.push(
          `<polygon points="${pts.join(" ")}" fill="${color}" fill-opacity="0.22" ` +
            `stroke="none"/>`,
        );
      }
      const m = decimate(xs.map((x, i) => ({ x: sx(x), y: med[i] })), cols, sy);
      o.push(`<path d="${pathOf(m)}" stroke="${color}"${dash || ` stroke-width="2"`}/>`);
    } else {
      g.histories.forEach((h, k) => {
        const pts: Pt[] = [];
        for (let i = 0; i < h.length; i++) pts.push({ x: sx(xAt(g, i)), y: h[i] });
        const d = pathOf(decimate(pts, cols, sy));
        if (d) o.push(`<path d="${d}" stroke="${PALETTE[k % PALETTE.length]}"${dash}/>`);
      });
    }
  });
  o.push(`</g>`);
  for (const t of tols) {
    const y = num(sy(t.value));
    o.push(
      `<line x1="${num(left)}" y1="${y}" x2="${num(left + pw)}" y2="${y}" ` +
        `stroke="${t.color}" stroke-width="1.2" stroke-dasharray="5 4"/>`,
    );
  }
  if (empty) {
    o.push(
      `<text x="${num(left + pw / 2)}" y="${num(top + ph / 2)}" text-anchor="middle" ` +
        `fill="#999999">no positive finite residuals to plot</text>`,
    );
  }

  // ---- legend
  if (legend.length) {
    const lx = left + pw + 16;
    let ly = top + 4;
    o.push(`<g font-size="12">`);
    o.push(
      `<rect x="${num(lx - 6)}" y="${num(ly - 4)}" width="${num(legendW)}" ` +
        `height="${num(legend.length * 20 + 6)}" fill="#ffffff" stroke="#cccccc"/>`,
    );
    for (const e of legend) {
      const y = ly + 10;
      if (e.band) {
        o.push(
          `<rect x="${num(lx)}" y="${num(y - 6)}" width="28" height="12" ` +
            `fill="${e.color}" fill-opacity="0.22"/>`,
        );
      }
      const dash = e.dash ? ` stroke-dasharray="${e.dash}"` : "";
      o.push(
        `<line x1="${num(lx)}" y1="${num(y)}" x2="${num(lx + 28)}" y2="${num(y)}" ` +
          `stroke="${e.color}" stroke-width="${e.band ? 2 : 1.6}"${dash}/>`,
      );
      o.push(`<text x="${num(lx + 36)}" y="${num(y + 4)}">${esc(e.text)}</text>`);
      ly += 20;
    }
    o.push(`</g>`);
  }
  o.push(`</svg>`);
  return o.join("\n") + "\n";
}

function xAt(g: ConvergenceGroup, i: number): number {
  const x = g.x ? g.x[i] : i;
  return Number.isFinite(x) ? x : i;
}

interface LegendEntry {
  text: string;
  color: string;
  dash: string;
  band: boolean;
}

function legendEntries(
  groups: readonly (ConvergenceGroup & { style: string; band: boolean })[],
  tols: readonly (PlotTolerance & { color: string })[],
): LegendEntry[] {
  const out: LegendEntry[] = [];
  const lined = groups.filter((g) => !g.band);
  const nLines = Math.max(0, ...lined.map((g) => g.histories.length));
  const single = groups.length === 1 && nLines === 1;
  if (!single) {
    for (let k = 0; k < nLines; k++) {
      const name = lined.map((g) => g.systemLabels?.[k]).find((s) => s !== undefined);
      out.push({
        text: name ?? `system ${k}`,
        color: PALETTE[k % PALETTE.length],
        dash: "",
        band: false,
      });
    }
  }
  groups.forEach((g, gi) => {
    if (g.band) {
      const color = PALETTE[gi % PALETTE.length];
      out.push({
        text: `${g.label}: median of ${g.histories.length}`,
        color,
        dash: DASH[g.style],
        band: false,
      });
      out.push({ text: `${g.label}: min–max`, color, dash: DASH[g.style], band: true });
    } else if (single || groups.length > 1) {
      out.push({
        text: g.label,
        color: single ? PALETTE[0] : "#555555",
        dash: DASH[g.style],
        band: false,
      });
    }
  });
  for (const t of tols) out.push({ text: t.label, color: t.color, dash: "5 4", band: false });
  return out;
}

/** Per-entry min, max and median over the systems; a finished system keeps its last value. */
function bandOf(g: ConvergenceGroup): { lo: number[]; hi: number[]; med: number[]; xs: number[] } {
  const len = Math.max(0, ...g.histories.map((h) => h.length));
  const last = new Float64Array(g.histories.length).fill(NaN);
  const lo: number[] = [], hi: number[] = [], med: number[] = [], xs: number[] = [];
  const vals: number[] = [];
  for (let i = 0; i < len; i++) {
    vals.length = 0;
    g.histories.forEach((h, k) => {
      if (i < h.length) last[k] = h[i];
      const v = last[k];
      if (Number.isFinite(v) && v > 0) vals.push(v);
    });
    xs.push(xAt(g, i));
    if (vals.length === 0) {
      lo.push(NaN), hi.push(NaN), med.push(NaN);
      continue;
    }
    vals.sort((a, b) => a - b);
    const n = vals.length;
    lo.push(vals[0]);
    hi.push(vals[n - 1]);
    med.push(n % 2 ? vals[(n - 1) / 2] : Math.sqrt(vals[n / 2 - 1] * vals[n / 2]));
  }
  return { lo, hi, med, xs };
}

/**
 * Maps values to pixels and splits at invalid values into runs; within a run, keeps at most the
 * first, lowest, highest and last point of every pixel column (in order).
 */
function decimate(pts: readonly Pt[], cols: number, sy: (v: number) => number): Pt[][] {
  const runs: Pt[][] = [];
  let run: Pt[] = [];
  let bucket: Pt[] = [];
  let col = NaN;
  const flush = () => {
    if (bucket.length <= 4) run.push(...bucket);
    else {
      let lo = bucket[0], hi = bucket[0];
      for (const p of bucket) {
        if (p.y < lo.y) lo = p;
        if (p.y > hi.y) hi = p;
      }
      const keep = new Set([bucket[0], lo, hi, bucket[bucket.length - 1]]);
      run.push(...bucket.filter((p) => keep.has(p)));
    }
    bucket = [];
  };
  for (const p of pts) {
    if (!(Number.isFinite(p.y) && p.y > 0)) {
      flush();
      if (run.length) runs.push(run);
      run = [];
      col = NaN;
      continue;
    }
    const q = { x: p.x, y: sy(p.y) };
    const c = cols > 0 ? Math.floor(q.x) : 0;
    if (c !== col) {
      flush();
      col = c;
    }
    bucket.push(q);
  }
  flush();
  if (run.length) runs.push(run);
  return runs;
}

/** SVG path data of runs of points (a lone point becomes a short dot-like segment). */
function pathOf(runs: readonly Pt[][]): string {
  return runs.map((r) => {
    if (r.length === 1) return `M${num(r[0].x)} ${num(r[0].y)}h0.01`;
    return "M" + r.map((p) => `${num(p.x)} ${num(p.y)}`).join("L");
  }).join("");
}

/** Pairs the runs of the upper and lower band edges (they break at the same entries). */
function pairRuns(up: Pt[][], dn: Pt[][]): [Pt[], Pt[]][] {
  const out: [Pt[], Pt[]][] = [];
  for (let i = 0; i < Math.min(up.length, dn.length); i++) {
    if (up[i].length && dn[i].length) out.push([up[i], dn[i]]);
  }
  return out;
}
