/**
 * Private reductions of the CPU backend: `sum`, `prod`, `mean`, `max`, `min`, `all`, `any`,
 * `argmax`, `argmin`, `cumulative_sum`. Floating data is reduced in place (float32 accumulates
 * in double); integer and bool data are read as doubles. Sums over a contiguous axis use
 * NumPy's pairwise scheme.
 *
 * @module
 */
import type { DType, HostArray, ReductionOptions } from "../../array_api/types.ts";
import { fmtShape, normalizeAxes, normalizeAxis, shapeSize } from "../../array_api/shapes.ts";
import { CpuArray } from "./cpu_array.ts";
import { alloc, checkDType, type CpuDType, isFloat } from "./_dtype.ts";
import { permuteDims } from "./_manipulation.ts";
import { asArr } from "./_util.ts";

type FArr = Float64Array | Float32Array;

/** Pairwise sum of `a[off .. off+n)` (NumPy's blocking: 8 accumulators, blocks of 128). */
export function pairwiseSum(a: FArr, off: number, n: number): number {
  if (n < 8) {
    if (n <= 0) return 0;
    let s = a[off];
    for (let i = 1; i < n; i++) s += a[off + i];
    return s;
  }
  if (n <= 128) {
    let r0 = a[off], r1 = a[off + 1], r2 = a[off + 2], r3 = a[off + 3];
    let r4 = a[off + 4], r5 = a[off + 5], r6 = a[off + 6], r7 = a[off + 7];
    let i = 8;
    for (; i + 8 <= n; i += 8) {
      const q = off + i;
      r0 += a[q];
      r1 += a[q + 1];
      r2 += a[q + 2];
      r3 += a[q + 3];
      r4 += a[q + 4];
      r5 += a[q + 5];
      r6 += a[q + 6];
      r7 += a[q + 7];
    }
    let s = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
    for (; i < n; i++) s += a[off + i];
    return s;
  }
  let n2 = n >> 1;
  n2 -= n2 % 8;
  return pairwiseSum(a, off, n2) + pairwiseSum(a, off + n2, n - n2);
}

/** A reduction laid out as `rows × n` (contiguous rows) or `n × cols` (leading axes). */
interface Layout {
  /** Source values (float storage, or integers/bools converted to doubles). */
  src: FArr;
  /** `"rows"`: reduce each contiguous row of length `n`; `"cols"`: reduce `n` rows of `k`. */
  mode: "rows" | "cols";
  /** Number of results. */
  k: number;
  /** Number of reduced elements per result. */
  n: number;
  /** Result shape. */
  outShape: number[];
}

function asFloatData(x: CpuArray): FArr {
  const d = x.data;
  if (d instanceof Float64Array || d instanceof Float32Array) return d;
  return new Float64Array(d);
}

function layout(
  x: CpuArray,
  axis: number | readonly number[] | null | undefined,
  keepdims: boolean | undefined,
): Layout {
  const nd = x.ndim;
  const axes = normalizeAxes(axis, nd, x.shape);
  const red = new Array<boolean>(nd).fill(false);
  for (const a of axes) red[a] = true;
  const outShape: number[] = [];
  for (let i = 0; i < nd; i++) {
    if (!red[i]) outShape.push(x.shape[i]);
    else if (keepdims) outShape.push(1);
  }
  let n = 1, k = 1;
  for (let i = 0; i < nd; i++) {
    if (red[i]) n *= x.shape[i];
    else k *= x.shape[i];
  }
  // Axes of length 1 do not affect the layout.
  const sig: boolean[] = [];
  for (let i = 0; i < nd; i++) if (x.shape[i] !== 1) sig.push(red[i]);
  let firstRed = sig.indexOf(true);
  const lastKept = sig.lastIndexOf(false);
  if (firstRed < 0) firstRed = sig.length;
  if (lastKept < firstRed) return { src: asFloatData(x), mode: "rows", k, n, outShape };
  const lastRed = sig.lastIndexOf(true), firstKept = sig.indexOf(false);
  if (lastRed < firstKept) return { src: asFloatData(x), mode: "cols", k, n, outShape };
  // Mixed: move the reduced axes to the end.
  const order: number[] = [];
  for (let i = 0; i < nd; i++) if (!red[i]) order.push(i);
  for (let i = 0; i < nd; i++) if (red[i]) order.push(i);
  return { src: asFloatData(permuteDims(x, order)), mode: "rows", k, n, outShape };
}

function finish(acc: Float64Array, shape: number[], dt: CpuDType): CpuArray {
  if (dt === "float64") return new CpuArray(acc, shape, dt);
  const out = alloc(dt, acc.length);
  out.set(acc);
  return new CpuArray(out, shape, dt);
}

function sumDType(x: DType, fn: string, requested?: DType | null): CpuDType {
  if (requested !== undefined && requested !== null) {
    const d = checkDType(requested, fn);
    if (d === "bool") throw new TypeError(`${fn}: dtype bool is not a valid accumulation dtype`);
    return d;
  }
  switch (x) {
    case "float64":
    case "float32":
    case "int32":
    case "uint32":
      return x;
    case "uint8":
    case "uint16":
      return "uint32";
    default:
      return "int32"; // bool, int8, int16
  }
}

function numeric(x: CpuArray, fn: string): void {
  if (x.dtype === "bool") throw new TypeError(`${fn} needs a numeric array, got bool`);
}

/** `sum` of the standard. */
export function sum(xIn: unknown, options: ReductionOptions = {}): CpuArray {
  const x = asArr(xIn, "sum");
  const dt = sumDType(x.dtype, "sum", options.dtype);
  const L = layout(x, options.axis, options.keepdims);
  const acc = new Float64Array(L.k);
  const { src, n, k } = L;
  if (L.mode === "rows") {
    for (let r = 0; r < k; r++) acc[r] = pairwiseSum(src, r * n, n);
  } else if (n > 0) {
    for (let j = 0; j < k; j++) acc[j] = src[j];
    for (let i = 1; i < n; i++) {
      const o = i * k;
      for (let j = 0; j < k; j++) acc[j] += src[o + j];
    }
  }
  return finish(acc, L.outShape, dt);
}

/** `prod` of the standard. */
export function prod(xIn: unknown, options: ReductionOptions = {}): CpuArray {
  const x = asArr(xIn, "prod");
  const dt = sumDType(x.dtype, "prod", options.dtype);
  const L = layout(x, options.axis, options.keepdims);
  const { src, n, k } = L;
  const acc = new Float64Array(k).fill(1);
  const intWrap = !isFloat(dt);
  if (L.mode === "rows") {
    for (let r = 0; r < k; r++) {
      let p = 1;
      const o = r * n;
      if (intWrap) { for (let i = 0; i < n; i++) p = Math.imul(p, src[o + i]); }
      else for (let i = 0; i < n; i++) p *= src[o + i];
      acc[r] = p;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const o = i * k;
      if (intWrap) { for (let j = 0; j < k; j++) acc[j] = Math.imul(acc[j], src[o + j]); }
      else for (let j = 0; j < k; j++) acc[j] *= src[o + j];
    }
  }
  return finish(acc, L.outShape, dt);
}

/** `mean` of the standard (integer input gives float64; an empty mean is NaN). */
export function mean(xIn: unknown, options: Omit<ReductionOptions, "dtype"> = {}): CpuArray {
  const x = asArr(xIn, "mean");
  numeric(x, "mean");
  const dt: CpuDType = isFloat(x.dtype) ? (x.dtype as CpuDType) : "float64";
  const s = sum(x, { axis: options.axis, keepdims: options.keepdims, dtype: "float64" });
  const L = normalizeAxes(options.axis, x.ndim, x.shape);
  let n = 1;
  for (const a of L) n *= x.shape[a];
  const acc = s.data as Float64Array;
  for (let i = 0; i < acc.length; i++) acc[i] /= n;
  return finish(acc, Array.from(s.shape), dt);
}

function extremum(
  xIn: unknown,
  options: Omit<ReductionOptions, "dtype">,
  isMax: boolean,
): CpuArray {
  const fn = isMax ? "max" : "min";
  const x = asArr(xIn, fn);
  numeric(x, fn);
  const L = layout(x, options.axis, options.keepdims);
  const { src, n, k } = L;
  if (n === 0) {
    throw new RangeError(
      `${fn}: zero-size reduction over axis ${JSON.stringify(options.axis ?? null)} of shape ` +
        `${fmtShape(x.shape)} has no identity`,
    );
  }
  const acc = new Float64Array(k);
  if (L.mode === "rows") {
    for (let r = 0; r < k; r++) acc[r] = isMax ? rowMax(src, r * n, n) : rowMin(src, r * n, n);
  } else {
    for (let j = 0; j < k; j++) acc[j] = src[j];
    for (let i = 1; i < n; i++) {
      const o = i * k;
      if (isMax) { for (let j = 0; j < k; j++) acc[j] = Math.max(acc[j], src[o + j]); }
      else for (let j = 0; j < k; j++) acc[j] = Math.min(acc[j], src[o + j]);
    }
  }
  return finish(acc, L.outShape, x.dtype as CpuDType);
}

/** Maximum of a[o .. o+n) (n ≥ 1), NaN-propagating, four independent chains. */
function rowMax(a: FArr, o: number, n: number): number {
  let m0 = a[o], m1 = m0, m2 = m0, m3 = m0;
  let i = 1;
  for (; i + 3 < n; i += 4) {
    const q = o + i;
    m0 = Math.max(m0, a[q]);
    m1 = Math.max(m1, a[q + 1]);
    m2 = Math.max(m2, a[q + 2]);
    m3 = Math.max(m3, a[q + 3]);
  }
  for (; i < n; i++) m0 = Math.max(m0, a[o + i]);
  return Math.max(Math.max(m0, m1), Math.max(m2, m3));
}

/** Minimum of a[o .. o+n) (n ≥ 1), NaN-propagating, four independent chains. */
function rowMin(a: FArr, o: number, n: number): number {
  let m0 = a[o], m1 = m0, m2 = m0, m3 = m0;
  let i = 1;
  for (; i + 3 < n; i += 4) {
    const q = o + i;
    m0 = Math.min(m0, a[q]);
    m1 = Math.min(m1, a[q + 1]);
    m2 = Math.min(m2, a[q + 2]);
    m3 = Math.min(m3, a[q + 3]);
  }
  for (; i < n; i++) m0 = Math.min(m0, a[o + i]);
  return Math.min(Math.min(m0, m1), Math.min(m2, m3));
}

/** `max` of the standard. */
export function max(xIn: unknown, options: Omit<ReductionOptions, "dtype"> = {}): CpuArray {
  return extremum(xIn, options, true);
}

/** `min` of the standard. */
export function min(xIn: unknown, options: Omit<ReductionOptions, "dtype"> = {}): CpuArray {
  return extremum(xIn, options, false);
}

function truth(xIn: unknown, options: Omit<ReductionOptions, "dtype">, isAll: boolean): CpuArray {
  const fn = isAll ? "all" : "any";
  const x = asArr(xIn, fn);
  const L = layout(x, options.axis, options.keepdims);
  const { src, n, k } = L;
  const acc = new Float64Array(k).fill(isAll ? 1 : 0);
  if (L.mode === "rows") {
    for (let r = 0; r < k; r++) {
      const o = r * n;
      let v = isAll;
      if (isAll) {
        for (let i = 0; i < n; i++) {
          if (src[o + i] === 0) {
            v = false;
            break;
          }
        }
      } else {
        for (let i = 0; i < n; i++) {
          if (src[o + i] !== 0) {
            v = true;
            break;
          }
        }
      }
      acc[r] = v ? 1 : 0;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const o = i * k;
      if (isAll) { for (let j = 0; j < k; j++) if (src[o + j] === 0) acc[j] = 0; }
      if (!isAll) { for (let j = 0; j < k; j++) if (src[o + j] !== 0) acc[j] = 1; }
    }
  }
  return finish(acc, L.outShape, "bool");
}

/** `all` of the standard. */
export function all(xIn: unknown, options: Omit<ReductionOptions, "dtype"> = {}): CpuArray {
  return truth(xIn, options, true);
}

/** `any` of the standard. */
export function any(xIn: unknown, options: Omit<ReductionOptions, "dtype"> = {}): CpuArray {
  return truth(xIn, options, false);
}

function argext(
  xIn: unknown,
  options: { axis?: number; keepdims?: boolean },
  isMax: boolean,
): CpuArray {
  const fn = isMax ? "argmax" : "argmin";
  const x = asArr(xIn, fn);
  numeric(x, fn);
  const flat = options.axis === undefined || options.axis === null;
  const axis = flat ? null : normalizeAxis(options.axis!, x.ndim, x.shape);
  const L = flat ? { ...layout(x, null, options.keepdims) } : layout(x, axis, options.keepdims);
  const { src, n, k } = L;
  if (n === 0) {
    throw new RangeError(
      `${fn}: attempt to get ${fn} of an empty sequence (shape ${fmtShape(x.shape)})`,
    );
  }
  const acc = new Float64Array(k);
  const better = isMax
    ? (v: number, b: number) => v > b || (v !== v && b === b)
    : (v: number, b: number) => v < b || (v !== v && b === b);
  if (L.mode === "rows") {
    for (let r = 0; r < k; r++) {
      const o = r * n;
      let bi = 0, bv = src[o];
      for (let i = 1; i < n && bv === bv; i++) {
        const v = src[o + i];
        if (better(v, bv)) {
          bv = v;
          bi = i;
        }
      }
      acc[r] = bi;
    }
  } else {
    const best = new Float64Array(k);
    for (let j = 0; j < k; j++) best[j] = src[j];
    for (let i = 1; i < n; i++) {
      const o = i * k;
      for (let j = 0; j < k; j++) {
        const v = src[o + j];
        if (better(v, best[j])) {
          best[j] = v;
          acc[j] = i;
        }
      }
    }
  }
  return finish(acc, L.outShape, "int32");
}

/** `argmax` of the standard (first occurrence; NaN counts as the maximum). */
export function argmax(
  xIn: unknown,
  options: { axis?: number; keepdims?: boolean } = {},
): CpuArray {
  return argext(xIn, options, true);
}

/** `argmin` of the standard (first occurrence; NaN counts as the minimum). */
export function argmin(
  xIn: unknown,
  options: { axis?: number; keepdims?: boolean } = {},
): CpuArray {
  return argext(xIn, options, false);
}

/** `cumulative_sum` of the standard. */
export function cumulativeSum(
  xIn: unknown,
  options: { axis?: number; dtype?: DType; include_initial?: boolean } = {},
): CpuArray {
  const fn = "cumulative_sum";
  const x = asArr(xIn, fn);
  if (x.ndim === 0) throw new RangeError("cumulative_sum: x must have at least one dimension");
  if (options.axis === undefined && x.ndim > 1) {
    throw new RangeError(`cumulative_sum: axis is required for shape ${fmtShape(x.shape)}`);
  }
  const axis = normalizeAxis(options.axis ?? 0, x.ndim, x.shape);
  const dt = sumDType(x.dtype, fn, options.dtype);
  const init = options.include_initial === true ? 1 : 0;
  const len = x.shape[axis];
  const outer = shapeSize(x.shape.slice(0, axis));
  const inner = shapeSize(x.shape.slice(axis + 1));
  const outShape = x.shape.slice();
  outShape[axis] = len + init;
  const src = asFloatData(x);
  const out: HostArray = alloc(dt, outer * (len + init) * inner);
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(0);
    const sb = o * len * inner;
    const ob = o * (len + init) * inner + init * inner;
    for (let i = 0; i < len; i++) {
      const so = sb + i * inner, oo = ob + i * inner;
      for (let j = 0; j < inner; j++) {
        acc[j] += src[so + j];
        out[oo + j] = acc[j];
      }
    }
  }
  return new CpuArray(out, outShape, dt);
}
