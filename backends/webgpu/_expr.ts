/**
 * The expression-kernel engine: one generator and runner behind elementwise functions, dtype
 * casts, strided copies, `where`/`clip`, reductions, `vecdot`, matrix-vector products and
 * `fuse`. A kernel maps broadcast inputs (arrays of any strides, or host scalars passed as
 * uniforms) through a WGSL body to elementwise outputs and/or reductions over the trailing
 * `inner` axes of the iteration shape.
 *
 * Layouts: `flat` (one thread per element), `wg` (one workgroup per output row with a tree
 * reduction in workgroup memory; long rows with few rows are split into chunks whose partial
 * results a second pass combines), `thread` (one thread per output row, serial loop: short
 * rows, or rows read with a large stride). Axes are collapsed first (adjacent axes that are
 * contiguous for every operand merge), so most kernels index with rank ≤ 2.
 *
 * @module
 */
import type { DType } from "../../array_api/types.ts";
import { broadcastShapes, fmtShape, stridesOf } from "../../array_api/shapes.ts";
import type { Ctx } from "./_ctx.ts";
import { accOf, type Binding, genExpr, type Mode, type RedOp, WG } from "./_expr_wgsl.ts";
import type { Storage } from "./_pool.ts";
import { type Elem, elemOf, f32bits, scalarWord, type Val, valOf } from "./_wgsl.ts";
import { WebGpuArray } from "./webgpu_array.ts";

export type { RedOp } from "./_expr_wgsl.ts";

/** A host scalar operand. @internal */
export interface ScalarIn {
  /** The value. */
  readonly value: number | boolean;
  /** Its value type in the kernel. */
  readonly val: Val;
}

/** An operand: an array (broadcast to the iteration shape) or a host scalar. @internal */
export type ExprIn = WebGpuArray | ScalarIn;

/** An elementwise output. @internal */
export interface ExprOut {
  /** Output dtype (the body's `o{k}` has its value type). */
  readonly dtype: DType;
  /** Write into this view (shape = iteration shape) instead of a fresh array. */
  readonly into?: WebGpuArray;
}

/** A reduction output over the trailing `inner` axes. @internal */
export interface ExprRed {
  /** Operator. */
  readonly op: RedOp;
  /** Output dtype. */
  readonly dtype: DType;
  /** Factor applied to the result (mean). */
  readonly scale?: number;
}

/** What to run. @internal */
export interface ExprSpec {
  /** Op label (errors, profiling). */
  readonly label: string;
  /** Identity of body and types for the pipeline cache. */
  readonly key: string;
  /** Iteration shape (every array input broadcasts to it). */
  readonly shape: readonly number[];
  /** Operands. */
  readonly inputs: readonly ExprIn[];
  /** WGSL statements reading `x{k}` (value type of input k) and defining `o{k}` / `r{k}`. */
  readonly body: (x: readonly string[]) => string;
  /** Helper functions the body uses. */
  readonly helpers?: readonly string[];
  /** Elementwise outputs. */
  readonly outputs: readonly ExprOut[];
  /** Reductions over the last `inner` axes; `vals[k]` is the value type of `r{k}`. */
  readonly reduce?: {
    readonly inner: number;
    readonly ops: readonly ExprRed[];
    readonly vals: readonly Val[];
  };
  /** Force a layout (tests); default chosen from the shapes. */
  readonly layout?: "flat" | "wg" | "thread";
}

/** Identity value of a reduction over an empty axis (max/min have none). @internal */
export function redIdentity(op: RedOp): number | boolean {
  switch (op) {
    case "sum":
    case "any":
      return 0;
    case "prod":
    case "all":
      return 1;
    default:
      return NaN;
  }
}

/**
 * Collapses axes: drops length-1 axes, merges neighbours that are contiguous in every stride
 * list. Returns the new dims and stride lists.
 * @internal
 */
export function collapse(
  dims: readonly number[],
  lists: readonly (readonly number[])[],
): { dims: number[]; lists: number[][] } {
  const outD: number[] = [];
  const outL: number[][] = lists.map(() => []);
  for (let k = 0; k < dims.length; k++) {
    const d = dims[k];
    if (d === 1) continue;
    const n = outD.length;
    let merge = n > 0;
    if (merge) {
      for (let l = 0; l < lists.length; l++) {
        if (outL[l][n - 1] !== lists[l][k] * d) {
          merge = false;
          break;
        }
      }
    }
    if (merge) {
      outD[n - 1] *= d;
      for (let l = 0; l < lists.length; l++) outL[l][n - 1] = lists[l][k];
    } else {
      outD.push(d);
      for (let l = 0; l < lists.length; l++) outL[l].push(lists[l][k]);
    }
  }
  return { dims: outD, lists: outL };
}

/** Strides with which view `a` is read when broadcast to `S`. @internal */
export function bstrides(a: WebGpuArray, S: readonly number[], label: string): number[] {
  const out = new Array<number>(S.length).fill(0);
  const off = S.length - a.ndim;
  if (off < 0) {
    throw new RangeError(`${label}: cannot broadcast shape ${fmtShape(a.shape)} to ${fmtShape(S)}`);
  }
  for (let i = 0; i < a.ndim; i++) {
    const d = a.shape[i];
    if (d === S[off + i]) out[off + i] = d === 1 ? 0 : a._st[i];
    else if (d !== 1) {
      throw new RangeError(
        `${label}: cannot broadcast shape ${fmtShape(a.shape)} to ${fmtShape(S)}`,
      );
    }
  }
  return out;
}

function modeOf(st: readonly number[], cst: readonly number[]): Mode {
  let zero = true, flat = true;
  for (let i = 0; i < st.length; i++) {
    if (st[i] !== 0) zero = false;
    if (st[i] !== cst[i]) flat = false;
  }
  return zero ? "bcast" : flat ? "flat" : "strided";
}

/** Runs an expression kernel; returns the outputs followed by the reductions. @internal */
export function runExpr(ctx: Ctx, spec: ExprSpec): WebGpuArray[] {
  const eng = ctx.engine;
  eng.check();
  const S = spec.shape;
  const label = spec.label;
  const nIn = spec.inputs.length;
  const inner = spec.reduce ? spec.reduce.inner : 0;
  const reds = spec.reduce ? spec.reduce.ops : [];
  if (inner > S.length) throw new RangeError(`${label}: bad reduction rank`);
  const outerShape = S.slice(0, S.length - inner);
  const innerShape = S.slice(S.length - inner);
  let total = 1, rows = 1, L = 1;
  for (const d of outerShape) rows *= d;
  for (const d of innerShape) L *= d;
  total = rows * L;
  // results (fresh or targets)
  const outArrs: WebGpuArray[] = spec.outputs.map((o) => {
    if (o.into) {
      ctx.live(o.into, label);
      if (
        o.into.dtype !== o.dtype || o.into.ndim !== S.length ||
        o.into.shape.some((d, i) => d !== S[i])
      ) {
        throw new Error(`webgpu: internal: ${label} output target mismatch`);
      }
      return o.into;
    }
    return ctx.alloc(S, o.dtype);
  });
  const redArrs: WebGpuArray[] = reds.map((r) => ctx.alloc(outerShape, r.dtype));
  if (total === 0) {
    if (rows > 0 && reds.length > 0) {
      // reductions over empty axes
      for (let k = 0; k < reds.length; k++) {
        const id = redIdentity(reds[k].op);
        fillInto(ctx, redArrs[k], id);
      }
    }
    return [...outArrs, ...redArrs];
  }
  // strides of every operand over S
  const inStr: (number[] | null)[] = spec.inputs.map((x) =>
    x instanceof WebGpuArray ? (ctx.live(x, label), bstrides(x, S, label)) : null
  );
  const useFlat = inner === 0 && reds.length === 0;
  let layout: "flat" | "wg" | "thread";
  // collapse
  let oDims: number[], iDims: number[] = [];
  const arrIdx: number[] = [];
  for (let k = 0; k < nIn; k++) if (inStr[k]) arrIdx.push(k);
  const outStrided: boolean[] = spec.outputs.map((_, k) => !outArrs[k]._contig);
  let inOuter: number[][], inInner: number[][] = [];
  let outSt: number[][] = [];
  if (useFlat) {
    layout = "flat";
    const lists: number[][] = arrIdx.map((k) => inStr[k]!);
    const cst = stridesOf(S);
    for (let k = 0; k < outArrs.length; k++) lists.push(outStrided[k] ? [...outArrs[k]._st] : cst);
    const c = collapse(S, lists);
    oDims = c.dims;
    inOuter = c.lists.slice(0, arrIdx.length);
    outSt = c.lists.slice(arrIdx.length);
  } else {
    const lo = arrIdx.map((k) => inStr[k]!.slice(0, S.length - inner));
    const li = arrIdx.map((k) => inStr[k]!.slice(S.length - inner));
    const co = collapse(outerShape, lo);
    const ci = collapse(innerShape, li);
    oDims = co.dims;
    iDims = ci.dims.length ? ci.dims : [1];
    inOuter = co.lists;
    inInner = ci.dims.length ? ci.lists : li.map(() => [0]);
    if (spec.outputs.some((_, k) => outStrided[k])) {
      throw new Error(`webgpu: internal: ${label} strided outputs need the flat layout`);
    }
    let coalesced = true;
    for (const st of inInner) {
      const s = st[st.length - 1];
      if (s !== 0 && s !== 1 && s !== -1) coalesced = false;
    }
    if (spec.layout) layout = spec.layout;
    else if (L <= 32 || (!coalesced && rows >= 64)) layout = "thread";
    else layout = "wg";
  }
  const ro = oDims.length, ri = iDims.length;
  const cOuter = stridesOf(oDims);
  // chunking
  let nChunks = 1, chunkLen = L;
  if (layout === "wg" && reds.length > 0 && rows < 1024 && L > 4 * WG) {
    nChunks = Math.min(Math.ceil(1024 / rows), Math.ceil(L / (4 * WG)));
    if (nChunks > 1) {
      chunkLen = Math.ceil(Math.ceil(L / nChunks) / WG) * WG;
      nChunks = Math.ceil(L / chunkLen);
    }
  }
  const split = nChunks > 1;
  // bindings (deduplicated by storage)
  const binds: Binding[] = [];
  const bindOf = (s: Storage, elem: Elem, write: boolean): number => {
    for (let b = 0; b < binds.length; b++) {
      if (binds[b].s === s && binds[b].elem === elem) {
        if (write) binds[b].write = true;
        return b;
      }
    }
    binds.push({ s, elem, write });
    return binds.length - 1;
  };
  // parameter words
  const words: number[] = [useFlat ? total : rows, L, chunkLen, nChunks];
  for (const d of oDims) words.push(d);
  if (!useFlat) { for (const d of iDims) words.push(d); }
  let sig = `${spec.key}|${layout}${ro}.${ri}${split ? "s" : ""}|`;
  const inPlan: { bind: number; mode: Mode; pw: number; val: Val; elem: Elem }[] = [];
  let ai = 0;
  for (let k = 0; k < nIn; k++) {
    const x = spec.inputs[k];
    const pw = words.length;
    if (x instanceof WebGpuArray) {
      const elem = elemOf(x.dtype);
      const b = bindOf(x._s!, elem, false);
      const st = inOuter[ai];
      let mode: Mode;
      if (useFlat) {
        mode = modeOf(st, cOuter);
        words.push(x._off);
        if (mode === "strided") { for (const s of st) words.push(s); }
      } else {
        mode = "strided";
        words.push(x._off);
        for (const s of st) words.push(s);
        for (const s of inInner[ai]) words.push(s);
      }
      ai++;
      inPlan.push({ bind: b, mode, pw, val: valOf(x.dtype), elem });
      sig += `${mode[0]}${b}${elem},`;
    } else {
      words.push(scalarWord(x.value, x.val));
      inPlan.push({ bind: -1, mode: "bcast", pw, val: x.val, elem: "u32" });
      sig += `u${x.val},`;
    }
  }
  sig += "|";
  const outPlan: { bind: number; mode: Mode; pw: number; val: Val; elem: Elem }[] = [];
  for (let k = 0; k < outArrs.length; k++) {
    const a = outArrs[k];
    const elem = elemOf(a.dtype);
    const b = bindOf(a._s!, elem, true);
    const pw = words.length;
    words.push(a._off);
    let mode: Mode = "flat";
    if (useFlat) {
      mode = modeOf(outSt[k], cOuter);
      if (mode === "strided") { for (const s of outSt[k]) words.push(s); }
      if (mode === "bcast") mode = "flat"; // a single element
    }
    outPlan.push({ bind: b, mode, pw, val: valOf(a.dtype), elem });
    sig += `${mode[0]}${b}${elem},`;
  }
  sig += "|";
  // reductions: partial buffers when split
  const partials: WebGpuArray[] = [];
  const redPlan: {
    bind: number;
    pw: number;
    op: RedOp;
    val: Val;
    acc: "f32" | "i32" | "u32";
    outVal: Val;
    outElem: Elem;
  }[] = [];
  for (let k = 0; k < reds.length; k++) {
    const r = reds[k];
    const v = spec.reduce!.vals[k];
    const acc = accOf(r.op, v);
    let target = redArrs[k];
    let outVal: Val = valOf(r.dtype);
    if (split) {
      const pdt: DType = acc === "f32" ? "float32" : acc === "i32" ? "int32" : "uint32";
      target = ctx.alloc([...outerShape, nChunks], pdt);
      partials.push(target);
      outVal = acc;
    }
    const outElem = elemOf(target.dtype);
    const b = bindOf(target._s!, outElem, true);
    const pw = words.length;
    words.push(f32bits(split || r.scale === undefined ? 1 : r.scale));
    redPlan.push({ bind: b, pw, op: r.op, val: v, acc, outVal, outElem });
    sig += `${r.op}${v}${b}${outVal}${r.scale !== undefined && !split ? "*" : ""},`;
  }
  sig += binds.map((b) => (b.write ? "w" : "r")).join("");
  const kern = eng.kernel(sig, () =>
    genExpr({
      label,
      layout,
      ro,
      ri,
      inPlan,
      outPlan,
      redPlan,
      binds,
      words: words.length,
      body: spec.body(inPlan.map((_, k) => `x${k}`)),
      helpers: spec.helpers ?? [],
      split,
      scaled: reds.map((r) => r.scale !== undefined && !split),
    }));
  const groups = layout === "flat"
    ? Math.ceil(total / WG)
    : layout === "wg"
    ? rows * nChunks
    : Math.ceil(rows / WG);
  const off = eng.params(words.length);
  eng.ringU32.set(words, off);
  eng.dispatch(kern, binds.map((b) => b.s), off, words.length, groups);
  if (split) {
    // combine the partial results
    for (let k = 0; k < reds.length; k++) {
      const r = reds[k];
      const p = partials[k];
      const pv = valOf(p.dtype);
      const [res] = runExpr(ctx, {
        label: `${label} (combine)`,
        key: `combine:${r.op}`,
        shape: p.shape,
        inputs: [p],
        body: (x) => `let r0 = ${x[0]};`,
        outputs: [],
        reduce: { inner: 1, ops: [{ op: r.op, dtype: r.dtype, scale: r.scale }], vals: [pv] },
        layout: "wg",
      });
      ctx.dispose(redArrs[k]);
      redArrs[k] = res;
      ctx.dispose(p);
    }
  }
  return [...outArrs, ...redArrs];
}

/** Fills an array with a constant (any layout of `a`, contiguous expected). @internal */
export function fillInto(ctx: Ctx, a: WebGpuArray, value: number | boolean): void {
  const v = valOf(a.dtype);
  runExpr(ctx, {
    label: "fill",
    key: `fill:${v}`,
    shape: a.shape,
    inputs: [{ value, val: v }],
    body: (x) => `let o0 = ${x[0]};`,
    outputs: [{ dtype: a.dtype, into: a }],
  });
}

/** Broadcast shape of the array operands of an elementwise call. @internal */
export function exprShape(inputs: readonly ExprIn[], label: string): number[] {
  const shapes: (readonly number[])[] = [];
  for (const x of inputs) if (x instanceof WebGpuArray) shapes.push(x.shape);
  return broadcastShapes(shapes, label);
}
