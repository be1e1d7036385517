/**
 * WGSL generator of the expression kernels run by `_expr.ts` (see that module for the
 * layouts): parameter layout, bindings, coordinate decomposition, loads and stores, the
 * reduction epilogue.
 *
 * @module
 */
import type { KernelSource } from "./_engine.ts";
import type { Storage } from "./_pool.ts";
import {
  bindingDecl,
  conv,
  type Elem,
  enableF16,
  helpers,
  isFloatVal,
  load,
  P,
  scalarParam,
  store,
  uniformDecl,
  type Val,
} from "./_wgsl.ts";

/** Reduction operators. @internal */
export type RedOp = "sum" | "prod" | "max" | "min" | "all" | "any";

/** How an operand is indexed in the flat layout. @internal */
export type Mode = "flat" | "bcast" | "strided";

/** A storage binding of a kernel. @internal */
export interface Binding {
  /** The storage. */
  s: Storage;
  /** Element type. */
  elem: Elem;
  /** Written by the kernel. */
  write: boolean;
}

/** Workgroup size of the expression kernels. @internal */
export const WG = 256;

/** Accumulator type of a reduction of operand type `v`. @internal */
export function accOf(op: RedOp, v: Val): "f32" | "i32" | "u32" {
  if (op === "all" || op === "any") return "u32";
  if (isFloatVal(v)) return "f32";
  if (v === "bool") return op === "sum" || op === "prod" ? "i32" : "u32";
  return v === "i32" ? "i32" : "u32";
}

function redInit(op: RedOp, acc: "f32" | "i32" | "u32"): string {
  switch (op) {
    case "sum":
      return `${acc}(0)`;
    case "prod":
      return `${acc}(1)`;
    case "all":
      return "1u";
    case "any":
      return "0u";
    case "max":
      return acc === "f32" ? "(-inf_f32())" : acc === "i32" ? "i32(-2147483647 - 1)" : "0u";
    case "min":
      return acc === "f32" ? "inf_f32()" : acc === "i32" ? "i32(2147483647)" : "4294967295u";
  }
}

function redCombine(op: RedOp, acc: "f32" | "i32" | "u32", a: string, b: string): string {
  switch (op) {
    case "sum":
      return `${a} + ${b}`;
    case "prod":
      return `${a} * ${b}`;
    case "all":
      return `${a} & ${b}`;
    case "any":
      return `${a} | ${b}`;
    case "max":
      return acc === "f32" ? `fmax_f32(${a}, ${b})` : `max(${a}, ${b})`;
    case "min":
      return acc === "f32" ? `fmin_f32(${a}, ${b})` : `min(${a}, ${b})`;
  }
}

function redOperand(op: RedOp, e: string, v: Val, acc: "f32" | "i32" | "u32"): string {
  if (op === "all" || op === "any") return `select(0u, 1u, ${conv(e, v, "bool")})`;
  return conv(e, v, acc);
}

/** Everything the generator needs. @internal */
export interface GenPlan {
  label: string;
  layout: "flat" | "wg" | "thread";
  ro: number;
  ri: number;
  inPlan: { bind: number; mode: Mode; pw: number; val: Val; elem: Elem }[];
  outPlan: { bind: number; mode: Mode; pw: number; val: Val; elem: Elem }[];
  redPlan: {
    bind: number;
    pw: number;
    op: RedOp;
    val: Val;
    acc: "f32" | "i32" | "u32";
    outVal: Val;
    outElem: Elem;
  }[];
  binds: Binding[];
  words: number;
  body: string;
  helpers: readonly string[];
  split: boolean;
  scaled: boolean[];
}

const si = (k: number) => `bitcast<i32>(${P(k)})`;

/** Generates the kernel. @internal */
export function genExpr(g: GenPlan): KernelSource {
  const types = new Set<string>();
  for (const b of g.binds) types.add(b.elem);
  for (const x of g.inPlan) types.add(x.val);
  for (const r of g.redPlan) types.add(r.outVal);
  const hs = new Set(g.helpers);
  for (const r of g.redPlan) {
    if (r.acc === "f32" && (r.op === "max" || r.op === "min")) hs.add(`f${r.op}_f32`);
  }
  let c = enableF16(types);
  c += uniformDecl(g.words);
  g.binds.forEach((b, i) => c += bindingDecl(i + 1, b.elem, b.write));
  c += helpers(hs);
  const bname = (b: number) => `b${b + 1}`;
  const loadIn = (k: number, idx: string) => {
    const x = g.inPlan[k];
    return load(`${bname(x.bind)}[${idx}]`, x.val);
  };
  const storeOut = (k: number, idx: string) => {
    const o = g.outPlan[k];
    return `${bname(o.bind)}[${idx}] = ${store(`o${k}`, o.val)};`;
  };
  const ro = g.ro, ri = g.ri;
  const dimW = (d: number) => P(4 + d); // outer dims then inner dims
  if (g.layout === "flat") {
    c += `@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * ${WG}u;
  if (i >= ${P(0)}) { return; }
`;
    const needCoords = g.inPlan.some((x) => x.mode === "strided") ||
      g.outPlan.some((o) => o.mode === "strided");
    if (needCoords && ro > 0) {
      c += "  var q = i;\n";
      for (let d = ro - 1; d >= 1; d--) {
        c += `  let c${d} = i32(q % ${dimW(d)}); q = q / ${dimW(d)};\n`;
      }
      c += "  let c0 = i32(q);\n";
    }
    const idx = (mode: Mode, pw: number) => {
      if (mode === "flat") return `${P(pw)} + i`;
      if (mode === "bcast" || ro === 0) return P(pw);
      let e = `${si(pw)}`;
      for (let d = 0; d < ro; d++) e += ` + c${d} * ${si(pw + 1 + d)}`;
      return `u32(${e})`;
    };
    g.inPlan.forEach((x, k) => {
      c += x.bind < 0
        ? `  let x${k} = ${scalarParam(x.pw, x.val)};\n`
        : `  let x${k} = ${loadIn(k, idx(x.mode, x.pw))};\n`;
    });
    c += indent(g.body);
    g.outPlan.forEach((o, k) => c += `  ${storeOut(k, idx(o.mode, o.pw))}\n`);
    c += "}\n";
    return { code: c, sig: g.binds.map((b) => (b.write ? "w" : "r")).join(""), label: g.label };
  }
  // row layouts
  const isWg = g.layout === "wg";
  for (let k = 0; k < g.redPlan.length; k++) {
    if (isWg) c += `var<workgroup> sh${k}: array<${g.redPlan[k].acc}, ${WG}>;\n`;
  }
  if (isWg) {
    c += `@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lv: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let lid = lv.x;
  let g = wid.x + wid.y * nwg.x;
  let nch = ${P(3)};
  let row = g / nch;
  let chunk = g % nch;
  if (row >= ${P(0)}) { return; }
`;
  } else {
    c += `@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.x + gid.y * nwg.x * ${WG}u;
  if (row >= ${P(0)}) { return; }
`;
  }
  c += `  let L = ${P(1)};\n`;
  if (ro > 0) {
    c += "  var q = row;\n";
    for (let d = ro - 1; d >= 1; d--) {
      c += `  let c${d} = i32(q % ${dimW(d)}); q = q / ${dimW(d)};\n`;
    }
    c += "  let c0 = i32(q);\n";
  }
  g.inPlan.forEach((x, k) => {
    if (x.bind < 0) {
      c += `  let x${k} = ${scalarParam(x.pw, x.val)};\n`;
      return;
    }
    let e = si(x.pw);
    for (let d = 0; d < ro; d++) e += ` + c${d} * ${si(x.pw + 1 + d)}`;
    c += `  let base${k} = ${e};\n`;
  });
  g.redPlan.forEach((r, k) => c += `  var a${k}: ${r.acc} = ${redInit(r.op, r.acc)};\n`);
  if (isWg) {
    c += `  let j0 = chunk * ${P(2)};
  let j1 = min(j0 + ${P(2)}, L);
  for (var j = j0 + lid; j < j1; j = j + ${WG}u) {
`;
  } else {
    c += "  for (var j = 0u; j < L; j = j + 1u) {\n";
  }
  if (ri > 1) {
    c += "    var qj = j;\n";
    for (let d = ri - 1; d >= 1; d--) {
      c += `    let e${d} = i32(qj % ${dimW(ro + d)}); qj = qj / ${dimW(ro + d)};\n`;
    }
    c += "    let e0 = i32(qj);\n";
  } else c += "    let e0 = i32(j);\n";
  g.inPlan.forEach((x, k) => {
    if (x.bind < 0) return;
    let e = `base${k}`;
    for (let d = 0; d < ri; d++) e += ` + e${d} * ${si(x.pw + 1 + ro + d)}`;
    c += `    let x${k} = ${loadIn(k, `u32(${e})`)};\n`;
  });
  c += indent(g.body, "    ");
  g.outPlan.forEach((o, k) => c += `    ${storeOut(k, `${P(o.pw)} + row * L + j`)}\n`);
  g.redPlan.forEach((r, k) => {
    c += `    a${k} = ${
      redCombine(r.op, r.acc, `a${k}`, redOperand(r.op, `r${k}`, r.val, r.acc))
    };\n`;
  });
  c += "  }\n";
  const fin = (k: number, e: string) => {
    const r = g.redPlan[k];
    let v = e;
    if (g.scaled[k]) v = `(${v} * bitcast<f32>(${P(r.pw)}))`;
    const cv = r.outVal === "bool" ? `(${v} != 0u)` : conv(v, r.acc, r.outVal);
    return store(cv, r.outVal);
  };
  const outIdx = g.split ? "row * nch + chunk" : "row";
  if (isWg && g.redPlan.length > 0) {
    g.redPlan.forEach((_, k) => c += `  sh${k}[lid] = a${k};\n`);
    c += `  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) {
`;
    g.redPlan.forEach((r, k) => {
      c += `      sh${k}[lid] = ${redCombine(r.op, r.acc, `sh${k}[lid]`, `sh${k}[lid + s]`)};\n`;
    });
    c += `    }
    workgroupBarrier();
  }
  if (lid == 0u) {
`;
    g.redPlan.forEach((r, k) => c += `    ${bname(r.bind)}[${outIdx}] = ${fin(k, `sh${k}[0]`)};\n`);
    c += "  }\n";
  } else {
    g.redPlan.forEach((r, k) => c += `  ${bname(r.bind)}[${outIdx}] = ${fin(k, `a${k}`)};\n`);
  }
  c += "}\n";
  return { code: c, sig: g.binds.map((b) => (b.write ? "w" : "r")).join(""), label: g.label };
}

function indent(body: string, pad = "  "): string {
  return body.split("\n").filter((l) => l.trim() !== "").map((l) => pad + l.trim()).join("\n") +
    "\n";
}
