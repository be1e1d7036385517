// Loader for the SciPy reference fixtures written by tests/fixtures/generate_isolve.py.
import type { ArrayNamespace, ArrayObject, FloatDType } from "../array_api/types.ts";
import { csrArray } from "../sparse/csr_array.ts";

/** A number list, or base64 little-endian float64 with its shape. */
export type Encoded = number[] | { b64: string; shape: number[] };

/** Decodes an {@linkcode Encoded} array. */
export function decode(e: Encoded): Float64Array {
  if (Array.isArray(e)) return Float64Array.from(e);
  const bin = atob(e.b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Float64Array(bytes.buffer);
}

export interface EncodedMatrix {
  format: "csr" | "dense";
  shape: [number, number];
  data: Encoded;
  indices?: number[];
  indptr?: number[];
}

export interface RunRecord {
  info: number;
  iterations: number;
  x: Encoded;
  residualNorm: number;
  rtol?: number;
  maxiter?: number;
}

export interface IsolveCase {
  name: string;
  dtype: FloatDType;
  n: number;
  A: EncodedMatrix;
  b: Encoded;
  skip: string[];
  nonconvergence: string[];
  runs: Record<string, Record<string, RunRecord>>;
}

export interface LsqrRecord {
  damp: number;
  atol: number;
  btol: number;
  x: number[];
  istop: number;
  itn: number;
  [norm: string]: number | number[];
}

export interface IsolveFixture {
  scipy: string;
  cases: IsolveCase[];
  atol: { A: number[][]; b: number[]; M0: number[][] };
  zeroRhs: { A: number[][] };
  x0Working: { A: number[][]; b: number[]; x0: number[] };
  batchedCg: {
    pattern: { indices: number[]; indptr: number[] };
    data: Encoded;
    scale: Encoded;
    b: Encoded;
    rtol: number;
    x: Encoded;
    info: number[];
    iterations: number[];
    residualNorm: number[];
  };
  leastSquares: {
    G: number[][];
    b: number[];
    lsqr: LsqrRecord[];
    lsmr: LsqrRecord[];
    bidiag: { A: number[][]; b: number[]; xtrue: number[]; lsmr: LsqrRecord };
    rect: { A: number[][]; b: number[]; lsqr: LsqrRecord };
  };
}

let cached: IsolveFixture | undefined;

/** The parsed fixture (read once). */
export function isolveFixture(): IsolveFixture {
  cached ??= JSON.parse(
    Deno.readTextFileSync(new URL("./fixtures/isolve.json", import.meta.url)),
  ) as IsolveFixture;
  return cached;
}

/** Builds a case's operator on `xp`: a CsrArray for sparse cases, a dense array otherwise. */
export function caseOperator<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
  m: EncodedMatrix,
  dtype: FloatDType,
): unknown {
  const data = decode(m.data);
  if (m.format === "csr") {
    return csrArray(
      { data: xp.asarray(data, { dtype }), indices: m.indices!, indptr: m.indptr! },
      { shape: m.shape, xp },
    );
  }
  return xp.reshape(xp.asarray(data, { dtype }), m.shape);
}

/** Dense row-major copy of a case's matrix (float64, host). */
export function caseDense(m: EncodedMatrix): Float64Array {
  const data = decode(m.data);
  if (m.format === "dense") return data;
  const [rows, cols] = m.shape;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let k = m.indptr![i]; k < m.indptr![i + 1]; k++) out[i * cols + m.indices![k]] += data[k];
  }
  return out;
}

/** `‖b − A x‖₂` on the host in float64. */
export function hostResidual(
  dense: Float64Array,
  rows: number,
  cols: number,
  b: ArrayLike<number>,
  x: ArrayLike<number>,
): number {
  let s = 0;
  for (let i = 0; i < rows; i++) {
    let t = b[i];
    for (let j = 0; j < cols; j++) t -= dense[i * cols + j] * x[j];
    s += t * t;
  }
  return Math.sqrt(s);
}

/** Euclidean norm. */
export function norm2(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

/** Max-abs difference scaled by the reference's max-abs (or 1 when that is smaller). */
export function relDiff(a: ArrayLike<number>, ref: ArrayLike<number>): number {
  let d = 0, m = 0;
  for (let i = 0; i < ref.length; i++) {
    d = Math.max(d, Math.abs(a[i] - ref[i]));
    m = Math.max(m, Math.abs(ref[i]));
  }
  return d / Math.max(m, 1);
}
