import assert from "node:assert/strict";
import { convergencePlotSvg } from "./convergence_plot.ts";
import { checkXml, svgNumbers } from "./_xml_testing.ts";

const geom = (e: { attrs: Record<string, string> }) => e.attrs;

Deno.test("convergencePlotSvg: well-formed standalone SVG with axes, labels, legend, title", () => {
  const h = [
    [1, 0.3, 0.05, 1e-3, 2e-5, 3e-7],
    [1, 0.5, 0.2, 0.04],
    [1, 0.9, 0.8],
  ];
  const svg = convergencePlotSvg({
    title: "cg on A.mtx",
    subtitle: "cpu float64",
    groups: [{ label: "cg cpu float64", histories: h }],
    tolerance: { value: 1e-6, label: "rtol = 1e-6" },
  });
  assert.ok(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg '));
  const x = checkXml(svg);
  assert.equal(x.root, "svg");
  const root = x.elements[0].attrs;
  assert.equal(root.xmlns, "http://www.w3.org/2000/svg");
  assert.equal(root.width, "900");
  assert.equal(root.viewBox, "0 0 900 540");
  assert.equal(x.counts.title, 1);
  assert.equal(x.counts.path, 3, "one line per system");
  const strokes = x.elements.filter((e) => e.name === "path").map((e) => e.attrs.stroke);
  assert.equal(new Set(strokes).size, 3, "systems get distinct colours");
  for (
    const t of ["cg on A.mtx", "cpu float64", "iteration", "system 0", "system 2", "rtol = 1e-6"]
  ) {
    assert.ok(x.texts.includes(t), `text ${t} missing`);
  }
  // log axis: decades from 1e-7 (below 3e-7) to 1 labelled with powers of ten
  assert.ok(x.texts.includes("1"));
  assert.ok(x.texts.includes("10\u22127"));
  assert.ok(!x.texts.includes("10\u22128"));
  // linear x axis ticks 0..5
  for (const t of ["0", "1", "5"]) assert.ok(x.texts.includes(t));
  for (const v of svgNumbers(x.elements)) {
    assert.ok(Number.isFinite(v) && v >= -1 && v <= 900, `coordinate ${v}`);
  }
});

Deno.test("convergencePlotSvg: points sit on a log10 scale", () => {
  // one system: 1, 1e-1, …, 1e-4 must be evenly spaced in y and x
  const svg = convergencePlotSvg({
    title: "t",
    groups: [{ label: "g", histories: [[1, 1e-1, 1e-2, 1e-3, 1e-4]] }],
  });
  const path = checkXml(svg).elements.find((e) => e.name === "path")!;
  const pts = geom(path).d.slice(1).split("L").map((p) => p.split(" ").map(Number));
  assert.equal(pts.length, 5);
  const dy = pts.slice(1).map((p, i) => p[1] - pts[i][1]);
  const dx = pts.slice(1).map((p, i) => p[0] - pts[i][0]);
  for (const d of dy) assert.ok(Math.abs(d - dy[0]) < 0.02 && d > 0, `dy ${dy}`);
  for (const d of dx) assert.ok(Math.abs(d - dx[0]) < 0.02 && d > 0, `dx ${dx}`);
});

Deno.test("convergencePlotSvg: large batches become a min–max band with a median line", () => {
  // 30 constant systems at 10^-k: band from 1 to 1e-29, median 10^-14.5 (half way in log)
  const h = Array.from({ length: 30 }, (_, k) => new Array(20).fill(10 ** -k));
  const x = checkXml(
    convergencePlotSvg({ title: "band", groups: [{ label: "cg", histories: h }] }),
  );
  assert.equal(x.counts.polygon, 1);
  assert.equal(x.counts.path, 1);
  const poly = x.elements.find((e) => e.name === "polygon")!.attrs.points.split(" ")
    .map((p) => p.split(",").map(Number));
  const ys = poly.map((p) => p[1]);
  const yTop = Math.min(...ys), yBot = Math.max(...ys);
  const med = x.elements.find((e) => e.name === "path")!.attrs.d;
  const yMed = Number(med.slice(1).split("L")[0].split(" ")[1]);
  assert.ok(Math.abs(yMed - (yTop + yBot) / 2) < 0.02, `median ${yMed} vs ${yTop}..${yBot}`);
  assert.ok(x.texts.includes("cg: median of 30"));
  assert.ok(x.texts.includes("cg: min–max"));
});

Deno.test("convergencePlotSvg: non-finite and non-positive values break the line", () => {
  const svg = convergencePlotSvg({
    title: "gaps",
    groups: [{ label: "g", histories: [[1, NaN, 0.1, 0, 0.01, Infinity, -1, 1e-3]] }],
  });
  const x = checkXml(svg);
  const d = x.elements.find((e) => e.name === "path")!.attrs.d;
  assert.equal(d.split("M").length - 1, 4, d); // runs [1], [0.1], [0.01], [1e-3]
  assert.ok(!/NaN|Infinity/.test(svg));
});

Deno.test("convergencePlotSvg: long histories are decimated per pixel column", () => {
  const n = 100_000;
  const h = Float64Array.from(
    { length: n },
    (_, i) => Math.exp(-i / 5000) * (1 + 0.5 * Math.sin(i)),
  );
  const svg = convergencePlotSvg({ title: "long", groups: [{ label: "g", histories: [h] }] });
  const d = checkXml(svg).elements.find((e) => e.name === "path")!.attrs.d;
  const pts = d.slice(1).split("L");
  assert.ok(pts.length < 4 * 900, `${pts.length} points`);
  assert.ok(pts.length > 500);
  assert.ok(svg.length < 200_000);
});

Deno.test("convergencePlotSvg: explicit x, escaping, empty data, several tolerances", () => {
  const svg = convergencePlotSvg({
    title: 'A<&>"B',
    groups: [
      { label: "cpu", histories: [[1, 0.1]], x: [0, 40] },
      { label: "gpu", histories: [[]] },
    ],
    tolerance: [{ value: 1e-2, label: "t1" }, { value: 1e-3, label: "t2" }],
  });
  const x = checkXml(svg);
  assert.ok(x.texts.includes('A<&>"B'));
  assert.ok(x.texts.includes("40"), "x axis reaches the explicit iteration 40");
  assert.ok(x.texts.includes("t1") && x.texts.includes("t2"));
  const empty = checkXml(convergencePlotSvg({ title: "e", groups: [] }));
  assert.ok(empty.texts.includes("no positive finite residuals to plot"));
  assert.throws(() => convergencePlotSvg({ title: "s", groups: [], width: 10 }), RangeError);
});

Deno.test("checkXml (the test helper) rejects malformed documents", () => {
  const bad = [
    "<svg><g></svg>",
    "<svg></g></svg>",
    "<svg><text>a < b</text></svg>",
    '<svg x="1" x="2"></svg>',
    "<svg><rect x=1/></svg>",
    '<svg><path d="M0 NaN"/></svg>',
    "<svg>&nbsp;</svg>",
    "<svg></svg><svg></svg>",
    "<svg>",
  ];
  for (const s of bad) assert.throws(() => checkXml(s), Error, s);
  assert.equal(checkXml('<svg a="&amp;"><text>x<tspan>2</tspan></text></svg>').texts[0], "x2");
});
