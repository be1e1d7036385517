/**
 * Private fused-program compiler of the CPU backend: a {@linkcode FusedProgram} becomes one
 * generated JS function (outer loop over batch rows, inner loop over the last axis), cached
 * per program, dtype and broadcast pattern. Semantics equal `evaluateFused` on `cpu`:
 * float32 programs round every floating operation to float32, int operations wrap like int32,
 * host-number sub-expressions are computed in double before they meet array values, and sums
 * accumulate in double per row.
 *
 * @module
 */
import type {
  ArrayNamespace,
  FloatDType,
  FusedNode,
  FusedProgram,
  FusedResult,
  FusedType,
  HostArray,
} from "../../array_api/types.ts";
import { evaluateFused } from "../../array_api/fuse.ts";
import { broadcastShapes, fmtShape, shapesEqual, shapeSize } from "../../array_api/shapes.ts";
import { CpuArray } from "./cpu_array.ts";
import { alloc, type CpuDType } from "./_dtype.ts";
import { codegenEnabled, compileFunction, type Pattern, planLoop } from "./_kernel.ts";
import { asArr } from "./_util.ts";

type FusedKernel = (
  I: readonly (HostArray | number)[],
  T: readonly (Int32Array | null)[],
  O: readonly HostArray[],
  S: readonly HostArray[],
  rows: number,
  n: number,
) => void;

const cache = new WeakMap<FusedProgram, Map<string, FusedKernel>>();

function lit(v: number): string {
  if (Object.is(v, -0)) return "-0";
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "-Infinity";
  return String(v);
}

function storageDType(t: FusedType, dtype: FloatDType): CpuDType {
  return t === "float" ? (dtype as CpuDType) : t === "int" ? "int32" : "bool";
}

/** Input value types by slot, read from the program's input nodes. */
function slotTypes(program: FusedProgram): FusedType[] {
  const types: FusedType[] = new Array(program.inputs.length).fill("float");
  for (const node of program.nodes) if (node.kind === "input") types[node.slot] = node.type;
  return types;
}

/**
 * Runs a fused program on CPU arrays (see `ArrayNamespace.fuse`). `ns` is the CPU namespace
 * (for the interpreted fallback when code generation is unavailable).
 */
export function fuseCpu(
  ns: ArrayNamespace<CpuArray>,
  program: FusedProgram,
  inputs: readonly (CpuArray | number)[],
  options: { dtype: FloatDType; out?: Readonly<Record<string, CpuArray>> },
): FusedResult<CpuArray> {
  const label = program.label;
  const dtype = options?.dtype;
  if (dtype !== "float32" && dtype !== "float64") {
    throw new TypeError(
      `${label}: fused programs run in float32 or float64 on cpu, got ${JSON.stringify(dtype)}`,
    );
  }
  if (!Array.isArray(inputs) || inputs.length !== program.inputs.length) {
    throw new TypeError(
      `${label}: expected ${program.inputs.length} inputs (${program.inputs.join(", ")}), got ${
        Array.isArray(inputs) ? inputs.length : typeof inputs
      }`,
    );
  }
  const types = slotTypes(program);
  const shapes: (readonly number[])[] = [];
  for (let k = 0; k < inputs.length; k++) {
    const v = inputs[k], t = types[k], name = program.inputs[k];
    if (typeof v === "number") {
      if (t === "int" && !Number.isInteger(v)) {
        throw new TypeError(`${label}: int input ${name} got ${v}`);
      }
      continue;
    }
    const a = asArr(v, label, `input ${name}`);
    const want = storageDType(t, dtype);
    if (a.dtype !== want) {
      throw new TypeError(`${label}: input ${name} must be ${want}, got ${a.dtype}`);
    }
    shapes.push(a.shape);
  }
  const S = shapes.length === 0 ? [] : broadcastShapes(shapes, label);
  if (program.sums.length > 0 && S.length === 0) {
    throw new RangeError(`${label}: sums need inputs with at least one axis`);
  }
  if (!codegenEnabled()) return evaluateFused(ns, program, inputs, options);

  const size = shapeSize(S);
  const plan = planLoop(S, inputs, true);
  const data = inputs.map((v) => (typeof v === "number" ? v : v.data));

  // Outputs, honouring donations that are safe to write.
  const used = new Set<HostArray>();
  const outArrays: CpuArray[] = [];
  for (const o of program.outputs) {
    const t = program.nodes[o.node].type;
    const dt = storageDType(t, dtype);
    let arr: CpuArray | undefined;
    const d = options.out?.[o.name];
    if (d !== undefined && d !== null) {
      const a = asArr(d, label, `out.${o.name}`);
      if (!shapesEqual(a.shape, S)) {
        throw new RangeError(
          `${label}: out.${o.name} has shape ${fmtShape(a.shape)}, expected ${fmtShape(S)}`,
        );
      }
      if (a.dtype === dt && !used.has(a.data) && safeDonation(a.data, inputs, plan.pats)) {
        arr = a;
        used.add(a.data);
      }
    }
    outArrays.push(arr ?? new CpuArray(alloc(dt, size), S, dt));
  }
  const sumShape = S.slice(0, -1);
  const sumArrays = program.sums.map(() =>
    new CpuArray(alloc(dtype, shapeSize(sumShape)), sumShape, dtype)
  );
  if (size > 0) {
    const key = dtype + ":" + plan.pats.join("");
    let perProgram = cache.get(program);
    if (perProgram === undefined) {
      perProgram = new Map();
      cache.set(program, perProgram);
    }
    let kern = perProgram.get(key);
    if (kern === undefined) {
      kern = compileFunction<FusedKernel>(
        ["I", "T", "O", "S", "rows", "n"],
        generate(program, plan.pats, dtype),
        `fuse/${program.label}/${dtype}`,
      );
      perProgram.set(key, kern);
    }
    kern(
      data,
      plan.tables,
      outArrays.map((a) => a.data),
      sumArrays.map((a) => a.data),
      plan.rows,
      plan.n,
    );
  }
  const res: FusedResult<CpuArray> = {};
  program.outputs.forEach((o, i) => (res[o.name] = outArrays[i]));
  program.sums.forEach((s, i) => (res[s.name] = sumArrays[i]));
  return res;
}

function overlaps(a: HostArray, b: HostArray): boolean {
  if (a.buffer !== b.buffer) return false;
  const a0 = a.byteOffset, a1 = a0 + a.byteLength, b0 = b.byteOffset, b1 = b0 + b.byteLength;
  return a0 < b1 && b0 < a1;
}

/** A donated buffer may alias an input only when both are read/written at the same index. */
function safeDonation(
  d: HostArray,
  inputs: readonly (CpuArray | number)[],
  pats: readonly Pattern[],
): boolean {
  for (let k = 0; k < inputs.length; k++) {
    const v = inputs[k];
    if (typeof v === "number" || !overlaps(d, v.data)) continue;
    const same = v.data.byteOffset === d.byteOffset && v.data.length === d.length &&
      v.data.BYTES_PER_ELEMENT === d.BYTES_PER_ELEMENT;
    if (!same || (pats[k] !== "f" && pats[k] !== "s")) return false;
  }
  return true;
}

/** Generates the kernel source for one program, dtype and input pattern. */
function generate(
  program: FusedProgram,
  pats: readonly Pattern[],
  dtype: FloatDType,
): string {
  const f32 = dtype === "float32";
  const nodes = program.nodes;
  const F = (e: string) => (f32 ? `F(${e})` : e);
  // Nodes needed by outputs and sums.
  const need = new Array<boolean>(nodes.length).fill(false);
  const mark = (i: number): void => {
    if (need[i]) return;
    need[i] = true;
    const nd = nodes[i];
    if (nd.kind === "op") { for (const a of nd.args) mark(a); }
  };
  for (const o of program.outputs) mark(o.node);
  for (const s of program.sums) mark(s.node);

  // Nodes whose only consumers are output stores need no explicit float32 rounding: the
  // Float32Array store rounds the same way.
  const argUse = new Array<boolean>(nodes.length).fill(false);
  for (let i = 0; i < nodes.length; i++) {
    const nd = nodes[i];
    if (need[i] && nd.kind === "op") { for (const a of nd.args) argUse[a] = true; }
  }
  for (const sm of program.sums) argUse[sm.node] = true;
  const level = new Array<number>(nodes.length).fill(0);
  const pre: string[] = [], pre1: string[] = [], row: string[] = [], body: string[] = [];
  const conv = new Map<number, string>(); // level-0 node → converted name
  const convert = (i: number): string => {
    let c = conv.get(i);
    if (c !== undefined) return c;
    c = `c${i}`;
    const t = nodes[i].type;
    const e = t === "float" ? F(`v${i}`) : t === "int" ? `(v${i} | 0)` : `v${i}`;
    pre1.push(`const ${c} = ${e};`);
    conv.set(i, c);
    return c;
  };
  const inputDecl: string[] = [];
  for (let k = 0; k < pats.length; k++) {
    inputDecl.push(`const x${k} = I[${k}];`);
    if (pats[k] === "T" || pats[k] === "t") inputDecl.push(`const tb${k} = T[${k}];`);
  }
  for (let i = 0; i < nodes.length; i++) {
    if (!need[i]) continue;
    const nd: FusedNode = nodes[i];
    if (nd.kind === "const") {
      level[i] = 0;
      pre.push(`const v${i} = ${nd.type === "bool" ? String(nd.value !== 0) : lit(nd.value)};`);
      continue;
    }
    if (nd.kind === "input") {
      const k = nd.slot, x = `x${k}`;
      const rd = (idx: string) => (nd.type === "bool" ? `(${x}[${idx}] !== 0)` : `${x}[${idx}]`);
      switch (pats[k]) {
        case "u":
          level[i] = 0;
          pre.push(`const v${i} = ${nd.type === "bool" ? `(${x} !== 0)` : `+${x}`};`);
          break;
        case "s":
          level[i] = 1;
          pre1.push(`const v${i} = ${rd("0")};`);
          break;
        case "r":
          level[i] = 2;
          row.push(`const v${i} = ${rd("r")};`);
          break;
        case "t":
          level[i] = 2;
          row.push(`const v${i} = ${rd(`tb${k}[r]`)};`);
          break;
        case "f":
          level[i] = 3;
          body.push(`const v${i} = ${rd("p")};`);
          break;
        case "c":
          level[i] = 3;
          body.push(`const v${i} = ${rd("j")};`);
          break;
        case "T":
          level[i] = 3;
          row.push(`const b${i} = tb${k}[r];`);
          body.push(`const v${i} = ${rd(`b${i} + j`)};`);
          break;
      }
      continue;
    }
    let lv = 0;
    for (const a of nd.args) lv = Math.max(lv, level[a]);
    level[i] = lv;
    const argTypes = nd.args.map((a) => nodes[a].type);
    let e: string;
    if (lv === 0) {
      e = hostExpr(nd.op, nd.args.map((a) => `v${a}`), argTypes);
      pre.push(`const v${i} = ${e};`);
      continue;
    }
    const args = nd.args.map((a) => (level[a] === 0 ? convert(a) : `v${a}`));
    e = arrayExpr(nd.op, args, argTypes, nd.type, argUse[i] ? F : (x: string) => x);
    const line = `const v${i} = ${e};`;
    if (lv === 1) pre1.push(line);
    else if (lv === 2) row.push(line);
    else body.push(line);
  }
  const writes: string[] = [];
  program.outputs.forEach((o, k) => {
    const t = nodes[o.node].type;
    writes.push(`o${k}[p] = ${t === "bool" ? `(v${o.node} ? 1 : 0)` : `v${o.node}`};`);
  });
  // Sums use two accumulators (even/odd elements) to shorten the addition chain.
  const accs: string[] = [];
  const sumWrites: string[] = [];
  program.sums.forEach((s, k) => {
    const v = level[s.node] === 0 ? convert(s.node) : `v${s.node}`;
    sumWrites.push(`ACC${k} += ${v};`);
    accs.push(`sa${k}`, `sb${k}`);
  });
  const outDecl = program.outputs.map((_, k) => `const o${k} = O[${k}];`);
  const sumDecl = program.sums.map((_, k) => `const s${k} = S[${k}];`);
  const stepWith = (acc: string) =>
    [...body, ...writes, ...sumWrites.map((w) => w.replace(/ACC(\d+)/, `${acc}$1`))].join(
      "\n      ",
    );
  const stepA = stepWith("sa"), stepB = stepWith("sb");
  return `"use strict";
${f32 ? "const F = Math.fround;" : ""}
${inputDecl.join("\n")}
${outDecl.join("\n")}
${sumDecl.join("\n")}
${pre.join("\n")}
${pre1.join("\n")}
let p = 0;
for (let r = 0; r < rows; r++) {
  ${row.join("\n  ")}
  ${accs.map((a) => `let ${a} = 0;`).join(" ")}
  let j = 0;
  for (; j + 1 < n; ) {
    {
      ${stepA}
    }
    p++;
    j++;
    {
      ${stepB}
    }
    p++;
    j++;
  }
  if (j < n) {
    {
      ${stepA}
    }
    p++;
  }
  ${program.sums.map((_, k) => `s${k}[r] = sa${k} + sb${k};`).join(" ")}
}
`;
}

/** Host-number semantics (what `evaluateFused` computes for host-only sub-expressions). */
function hostExpr(op: string, a: string[], t: FusedType[]): string {
  const [x, y, z] = a;
  switch (op) {
    case "add":
      return `${x} + ${y}`;
    case "sub":
      return `${x} - ${y}`;
    case "mul":
      return `${x} * ${y}`;
    case "div":
      return `${x} / ${y}`;
    case "max":
      return `Math.max(${x}, ${y})`;
    case "min":
      return `Math.min(${x}, ${y})`;
    case "hypot":
      return `Math.hypot(${x}, ${y})`;
    case "neg":
      return `-${x}`;
    case "abs":
      return `Math.abs(${x})`;
    case "sqrt":
      return `Math.sqrt(${x})`;
    case "sign":
      return `Math.sign(${x})`;
    case "lt":
      return `${x} < ${y}`;
    case "le":
      return `${x} <= ${y}`;
    case "gt":
      return `${x} > ${y}`;
    case "ge":
      return `${x} >= ${y}`;
    case "eq":
      return `${x} === ${y}`;
    case "ne":
      return `${x} !== ${y}`;
    case "and":
      return `(${x} && ${y})`;
    case "or":
      return `(${x} || ${y})`;
    case "not":
      return `!${x}`;
    case "isfinite":
      return `(${x} - ${x} === 0)`;
    case "toFloat":
      return t[0] === "bool" ? `(${x} ? 1 : 0)` : `${x}`;
    case "toInt":
      return t[0] === "bool" ? `(${x} ? 1 : 0)` : `Math.trunc(${x})`;
    case "where":
      return `(${x} ? ${y} : ${z})`;
  }
  throw new TypeError(`fuse: unknown operator ${op}`);
}

/** Array semantics (what the standard functions of `cpu` compute elementwise). */
function arrayExpr(
  op: string,
  a: string[],
  t: FusedType[],
  out: FusedType,
  F: (e: string) => string,
): string {
  const [x, y, z] = a;
  const isInt = out === "int";
  switch (op) {
    case "add":
      return isInt ? `((${x} + ${y}) | 0)` : F(`${x} + ${y}`);
    case "sub":
      return isInt ? `((${x} - ${y}) | 0)` : F(`${x} - ${y}`);
    case "mul":
      return isInt ? `Math.imul(${x}, ${y})` : F(`${x} * ${y}`);
    case "div":
      return F(`${x} / ${y}`);
    case "max":
      return `Math.max(${x}, ${y})`;
    case "min":
      return `Math.min(${x}, ${y})`;
    case "hypot":
      return F(`Math.hypot(${x}, ${y})`);
    case "neg":
      return isInt ? `((-${x}) | 0)` : `(-${x})`;
    case "abs":
      return isInt ? `(Math.abs(${x}) | 0)` : `Math.abs(${x})`;
    case "sqrt":
      return F(`Math.sqrt(${x})`);
    case "sign":
      return `(${x} > 0 ? 1 : ${x} < 0 ? -1 : ${isInt ? "0" : x})`;
    case "lt":
      return `(${x} < ${y})`;
    case "le":
      return `(${x} <= ${y})`;
    case "gt":
      return `(${x} > ${y})`;
    case "ge":
      return `(${x} >= ${y})`;
    case "eq":
      return `(${x} === ${y})`;
    case "ne":
      return `(${x} !== ${y})`;
    case "and":
      return `(${x} && ${y})`;
    case "or":
      return `(${x} || ${y})`;
    case "not":
      return `(!${x})`;
    case "isfinite":
      return `(${x} - ${x} === 0)`;
    case "toFloat":
      return t[0] === "bool" ? `(${x} ? 1 : 0)` : F(x);
    case "toInt":
      return t[0] === "bool" ? `(${x} ? 1 : 0)` : `(${x} | 0)`;
    case "where":
      return `(${x} ? ${y} : ${z})`;
  }
  throw new TypeError(`fuse: unknown operator ${op}`);
}
