/**
 * Private loop machinery of the CPU backend: broadcast loop plans (rows × last axis, with
 * each operand classified as contiguous, per-row, per-column, scalar, uniform or strided) and
 * generated, cached, monomorphic elementwise kernels (`new Function`), with an interpreted
 * fallback where code generation is unavailable (CSP).
 *
 * @module
 */
import type { HostArray, Shape } from "../../array_api/types.ts";
import { broadcastStrides, shapeSize } from "../../array_api/shapes.ts";

let forcedCodegen: boolean | undefined;
let probedCodegen: boolean | undefined;

/** Whether kernels may be compiled with `new Function` (probed once). */
export function codegenEnabled(): boolean {
  if (forcedCodegen !== undefined) return forcedCodegen;
  if (probedCodegen === undefined) {
    try {
      probedCodegen = new Function("return 1")() === 1;
    } catch {
      probedCodegen = false;
    }
  }
  return probedCodegen;
}

/** Test hook: force code generation on/off (`undefined` restores probing). */
export function setCodegenForTesting(enabled: boolean | undefined): void {
  forcedCodegen = enabled;
}

/** Compiles `body` into a function of `params` (callers check {@linkcode codegenEnabled}). */
export function compileFunction<T>(params: readonly string[], body: string, name?: string): T {
  // A sourceURL names the generated code in profiles and stack traces.
  const tag = name ? `\n//# sourceURL=krylov-cpu/${name.replace(/[^\w.:-]/g, "_")}` : "";
  return new Function(...params, body + tag) as T;
}

/**
 * How an operand is read inside a `rows × n` loop (`p` = flat output index `r·n + j`):
 * - `f`: full contiguous, `x[p]`;
 * - `c`: one row broadcast over rows, `x[j]`;
 * - `r`: one value per row, `x[r]`;
 * - `s`: one value (size-1 array), `x[0]`;
 * - `u`: a host number (uniform);
 * - `T`: strided rows, `x[table[r] + j]`;
 * - `t`: one value per strided row, `x[table[r]]`.
 */
export type Pattern = "f" | "c" | "r" | "s" | "u" | "T" | "t";

/** A loop over `rows × n` (row-major) with each operand's access pattern. */
export interface LoopPlan {
  /** Number of rows (product of the outer axes). */
  rows: number;
  /** Length of the inner axis. */
  n: number;
  /** Access pattern per operand. */
  pats: Pattern[];
  /** Row base offsets for `T`/`t` operands (null for others). */
  tables: (Int32Array | null)[];
}

/** An operand of a loop: an array's shape (data read by the kernel) or a host number. */
export type PlanOperand = { readonly shape: Shape } | number;

/**
 * Plans the loop that writes a contiguous array of shape `out` from operands broadcast to it.
 * `keepLast`: do not merge the last axis with outer axes (fused sums reduce over it).
 */
export function planLoop(out: Shape, ops: readonly PlanOperand[], keepLast = false): LoopPlan {
  const size = shapeSize(out);
  const nops = ops.length;
  const pats: Pattern[] = new Array(nops);
  const tables: (Int32Array | null)[] = new Array(nops).fill(null);
  const nd = out.length;
  if (size === 0) {
    for (let k = 0; k < nops; k++) pats[k] = typeof ops[k] === "number" ? "u" : "s";
    return { rows: 0, n: 0, pats, tables };
  }
  // Broadcast strides of every array operand.
  const strides: (number[] | null)[] = ops.map((o) =>
    typeof o === "number" ? null : broadcastStrides(o.shape, out)
  );
  // Collapse: drop length-1 axes and merge axes that are contiguous for every operand.
  const dims: number[] = [];
  const st: number[][] = ops.map(() => []);
  const lastAxis = nd - 1;
  for (let d = 0; d < nd; d++) {
    const len = out[d];
    if (len === 1 && !(keepLast && d === lastAxis)) continue;
    const m = dims.length;
    let merge = m > 0 && !(keepLast && d === lastAxis);
    if (merge) {
      for (let k = 0; k < nops; k++) {
        const s = strides[k];
        if (s === null) continue;
        if (st[k][m - 1] !== s[d] * len) {
          merge = false;
          break;
        }
      }
    }
    if (merge) {
      dims[m - 1] *= len;
      for (let k = 0; k < nops; k++) {
        const s = strides[k];
        if (s !== null) st[k][m - 1] = s[d];
      }
    } else {
      dims.push(len);
      for (let k = 0; k < nops; k++) {
        const s = strides[k];
        st[k].push(s === null ? 0 : s[d]);
      }
    }
  }
  if (dims.length === 0) {
    dims.push(1);
    for (const s of st) s.push(0);
  }
  const nd2 = dims.length;
  const n = dims[nd2 - 1];
  const outer = dims.slice(0, nd2 - 1);
  const rows = shapeSize(outer);
  // Contiguous strides of the outer axes (in rows).
  const rowStr: number[] = new Array(outer.length);
  {
    let s = 1;
    for (let i = outer.length - 1; i >= 0; i--) {
      rowStr[i] = s;
      s *= outer[i];
    }
  }
  for (let k = 0; k < nops; k++) {
    const o = ops[k];
    if (typeof o === "number") {
      pats[k] = "u";
      continue;
    }
    if (shapeSize(o.shape) === 1) {
      pats[k] = "s";
      continue;
    }
    const s = st[k];
    const c = s[nd2 - 1];
    let zero = true, full = true, perRow = true;
    for (let i = 0; i < outer.length; i++) {
      const si = s[i];
      if (si !== 0) zero = false;
      if (si !== rowStr[i] * n) full = false;
      if (si !== rowStr[i]) perRow = false;
    }
    if (zero) pats[k] = c === 0 ? "s" : outer.length === 0 ? "f" : "c";
    else if (full && c === 1) pats[k] = "f";
    else if (perRow && c === 0) pats[k] = "r";
    else {
      pats[k] = c === 0 ? "t" : "T";
      tables[k] = rowTable(outer, s.slice(0, outer.length), rows);
    }
  }
  return { rows, n, pats, tables };
}

function rowTable(outer: readonly number[], strides: readonly number[], rows: number): Int32Array {
  const t = new Int32Array(rows);
  const nd = outer.length;
  const idx = new Array<number>(nd).fill(0);
  let off = 0;
  for (let r = 0; r < rows; r++) {
    t[r] = off;
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      off += strides[d];
      if (idx[d] < outer[d]) break;
      off -= strides[d] * outer[d];
      idx[d] = 0;
    }
  }
  return t;
}

/** An elementwise operator: source text for generated kernels and a function fallback. */
export interface ElementOp {
  /** Cache key (must identify `expr`). */
  readonly key: string;
  /** Expression text from operand value expressions. */
  expr(v: readonly string[]): string;
  /** The same operator as a function (interpreted fallback). */
  fn(a: number, b: number, c: number): number;
}

type Kernel = (
  o: HostArray,
  rows: number,
  n: number,
  x: readonly (HostArray | number)[],
  t: readonly (Int32Array | null)[],
) => void;

const kernelCache = new Map<string, Kernel>();

function typeTag(a: HostArray | number): string {
  if (typeof a === "number") return "n";
  return a.constructor.name;
}

/**
 * Runs `out[p] = op(operands…)` over a plan. Operand arrays are the `data` of arrays whose
 * shapes were planned, or host numbers (`u`). Kernels are generated per (op, storage types,
 * patterns) and cached; without code generation an interpreted loop runs.
 */
export function runElementwise(
  op: ElementOp,
  out: HostArray,
  plan: LoopPlan,
  xs: readonly (HostArray | number)[],
): void {
  const { rows, n, pats, tables } = plan;
  if (rows === 0 || n === 0) return;
  if (!codegenEnabled()) {
    interpret(op, out, plan, xs);
    return;
  }
  let key = op.key + "|" + out.constructor.name;
  for (let k = 0; k < xs.length; k++) key += "|" + typeTag(xs[k]) + pats[k];
  let kern = kernelCache.get(key);
  if (kern === undefined) {
    kern = buildKernel(op, pats);
    kernelCache.set(key, kern);
  }
  kern(out, rows, n, xs, tables);
}

function buildKernel(op: ElementOp, pats: readonly Pattern[]): Kernel {
  const pre: string[] = [];
  const rowPre: string[] = [];
  const vals: string[] = [];
  let flat = true;
  for (let k = 0; k < pats.length; k++) {
    pre.push(`const x${k} = X[${k}];`);
    switch (pats[k]) {
      case "f":
        vals.push(`x${k}[p]`);
        break;
      case "c":
        vals.push(`x${k}[j]`);
        flat = false;
        break;
      case "r":
        rowPre.push(`const w${k} = x${k}[r];`);
        vals.push(`w${k}`);
        flat = false;
        break;
      case "s":
        pre.push(`const w${k} = x${k}[0];`);
        vals.push(`w${k}`);
        break;
      case "u":
        pre.push(`const w${k} = +x${k};`);
        vals.push(`w${k}`);
        break;
      case "T":
        pre.push(`const t${k} = T[${k}];`);
        rowPre.push(`const b${k} = t${k}[r];`);
        vals.push(`x${k}[b${k} + j]`);
        flat = false;
        break;
      case "t":
        pre.push(`const t${k} = T[${k}];`);
        rowPre.push(`const w${k} = x${k}[t${k}[r]];`);
        vals.push(`w${k}`);
        flat = false;
        break;
    }
  }
  const e = op.expr(vals);
  let body: string;
  if (flat) {
    // No row dependence: one flat loop, unrolled by two.
    body = `"use strict";
${pre.join("\n")}
const N = rows * n;
let p = 0;
for (; p + 1 < N; p++) {
  o[p] = ${e};
  p++;
  o[p] = ${e};
}
if (p < N) o[p] = ${e};`;
  } else {
    body = `"use strict";
${pre.join("\n")}
let p = 0;
for (let r = 0; r < rows; r++) {
  ${rowPre.join("\n  ")}
  for (let j = 0; j < n; j++, p++) {
    o[p] = ${e};
  }
}`;
  }
  return compileFunction<Kernel>(["o", "rows", "n", "X", "T"], body);
}

function interpret(
  op: ElementOp,
  out: HostArray,
  plan: LoopPlan,
  xs: readonly (HostArray | number)[],
): void {
  const { rows, n, pats, tables } = plan;
  const m = xs.length;
  const v = [0, 0, 0];
  const fn = op.fn;
  let p = 0;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < n; j++, p++) {
      for (let k = 0; k < m; k++) {
        const x = xs[k];
        if (typeof x === "number") {
          v[k] = x;
          continue;
        }
        switch (pats[k]) {
          case "f":
            v[k] = x[p];
            break;
          case "c":
            v[k] = x[j];
            break;
          case "r":
            v[k] = x[r];
            break;
          case "s":
            v[k] = x[0];
            break;
          case "T":
            v[k] = x[tables[k]![r] + j];
            break;
          default:
            v[k] = x[tables[k]![r]];
        }
      }
      out[p] = fn(v[0], v[1], v[2]);
    }
  }
}
