/**
 * Matrix Market (`.mtx`) reading and writing: coordinate (sparse) and array (dense) formats,
 * fields `real`/`double`, `integer`, `pattern`, symmetries `general`, `symmetric`,
 * `skew-symmetric` (and `hermitian`, which equals `symmetric` for real data).
 *
 * @module
 */
import type { ArrayNamespace, ArrayObject, DType } from "../array_api/types.ts";
import { fmtShape } from "../array_api/shapes.ts";
import { isArrayObject } from "../array_api/namespace_of.ts";
import { cpu, type CpuArray } from "../backends/cpu/mod.ts";
import { checkInt32, INT32_MAX } from "./_structure.ts";
import { checkDataDType, describe } from "./_input.ts";
import { CooArray } from "./coo_array.ts";
import { CsrArray } from "./csr_array.ts";

/**
 * Field of a Matrix Market file (`double` is read as `real`).
 *
 * @example
 * ```ts
 * import type { MatrixMarketField } from "./matrix_market.ts";
 * const f: MatrixMarketField = "real";
 * ```
 */
export type MatrixMarketField = "real" | "integer" | "pattern";

/**
 * Symmetry of a Matrix Market file.
 *
 * @example
 * ```ts
 * import type { MatrixMarketSymmetry } from "./matrix_market.ts";
 * const s: MatrixMarketSymmetry = "symmetric";
 * ```
 */
export type MatrixMarketSymmetry = "general" | "symmetric" | "skew-symmetric" | "hermitian";

/**
 * Header information common to both formats.
 *
 * @example
 * ```ts
 * import type { MatrixMarketInfo } from "./matrix_market.ts";
 * let info: MatrixMarketInfo | undefined;
 * ```
 */
export interface MatrixMarketInfo {
  /** Field from the banner (`double` reported as `real`). */
  readonly field: MatrixMarketField;
  /** Symmetry from the banner. */
  readonly symmetry: MatrixMarketSymmetry;
  /** Comment lines (without the leading `%`), in order. */
  readonly comments: readonly string[];
  /** `[M, N]`. */
  readonly shape: readonly [number, number];
}

/**
 * Result of {@linkcode readMatrixMarket}: a `CooArray` for the coordinate format (entries as in
 * the file, symmetric ones expanded; duplicates kept), a dense `[M, N]` array for the array
 * format.
 *
 * @example
 * ```ts
 * import { readMatrixMarket } from "./matrix_market.ts";
 * const r = readMatrixMarket("%%MatrixMarket matrix coordinate real general\n2 2 1\n1 2 3.5\n");
 * if (r.format === "coordinate") console.log(r.matrix.toCsr().indices); // Int32Array [1]
 * ```
 */
export type MatrixMarketResult<A extends ArrayObject> =
  & MatrixMarketInfo
  & (
    | { readonly format: "coordinate"; readonly matrix: CooArray<A> }
    | { readonly format: "array"; readonly matrix: A }
  );

/**
 * Options of {@linkcode readMatrixMarket}.
 *
 * @example
 * ```ts
 * import type { ReadMatrixMarketOptions } from "./matrix_market.ts";
 * const o: ReadMatrixMarketOptions<never> = { dtype: "float32" };
 * ```
 */
export interface ReadMatrixMarketOptions<A extends ArrayObject> {
  /** Namespace of the result (default `cpu`). */
  readonly xp?: ArrayNamespace<A>;
  /** Data type of the values (default: the namespace's default real floating dtype; `int32`
   * for `integer` files). */
  readonly dtype?: DType;
}

const REAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eEdD][+-]?\d+)?$/;
const SPECIAL = /^[+-]?(?:inf|infinity|nan)$/i;
const INT = /^[+-]?\d+$/;

/** Line scanner over the text: 1-based line numbers, `\r\n` tolerated. */
class Lines {
  readonly text: string;
  pos = 0;
  line = 0;
  constructor(text: string) {
    this.text = text;
  }
  /** Next line, or undefined at the end. */
  next(): string | undefined {
    const t = this.text;
    if (this.pos >= t.length) return undefined;
    let end = t.indexOf("\n", this.pos);
    if (end < 0) end = t.length;
    let s = t.slice(this.pos, end);
    if (s.endsWith("\r")) s = s.slice(0, -1);
    this.pos = end + 1;
    this.line++;
    return s;
  }
  /** Next line that is neither blank nor a comment (comments are collected). */
  nextData(comments?: string[]): string | undefined {
    for (;;) {
      const s = this.next();
      if (s === undefined) return undefined;
      const tr = s.trim();
      if (tr === "") continue;
      if (tr.startsWith("%")) {
        comments?.push(tr.slice(1));
        continue;
      }
      return tr;
    }
  }
  /** Bounds of the current data line (for messages). */
  ls = 0;
  le = 0;
  /** Start and end of the first four tokens of the current data line. */
  readonly ts = new Int32Array(4);
  readonly te = new Int32Array(4);
  /**
   * Scans the next line that is neither blank nor a comment and records its token bounds
   * (without allocating strings). Returns the number of tokens, or -1 at the end.
   */
  tokens(): number {
    const t = this.text, n = t.length;
    while (this.pos < n) {
      let end = t.indexOf("\n", this.pos);
      if (end < 0) end = n;
      this.line++;
      let i = this.pos;
      this.ls = i;
      this.le = end;
      this.pos = end + 1;
      let count = 0;
      while (i < end) {
        let c = t.charCodeAt(i);
        while (i < end && (c === 32 || c === 9 || c === 13 || c === 11 || c === 12)) {
          c = t.charCodeAt(++i);
        }
        if (i >= end) break;
        if (count === 0 && c === 37 /* % */) break;
        const start = i;
        while (i < end && c !== 32 && c !== 9 && c !== 13 && c !== 11 && c !== 12) {
          c = t.charCodeAt(++i);
        }
        if (count < 4) {
          this.ts[count] = start;
          this.te[count] = i;
        }
        count++;
      }
      if (count > 0) return count;
    }
    return -1;
  }
  /** Text of token `k` of the current data line. */
  tok(k: number): string {
    return this.text.slice(this.ts[k], this.te[k]);
  }
  /** The current data line, trimmed (for messages). */
  get current(): string {
    return this.text.slice(this.ls, this.le).trim();
  }
  /** A 1-based index token parsed without allocation; -1 when it is not a plain integer. */
  index(k: number): number {
    const t = this.text;
    let i = this.ts[k];
    const e = this.te[k];
    if (t.charCodeAt(i) === 43 /* + */) i++;
    if (i >= e || e - i > 15) return -1;
    let v = 0;
    for (; i < e; i++) {
      const d = t.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return -1;
      v = v * 10 + d;
    }
    return v;
  }
  /** Characters left after the current position. */
  get remaining(): number {
    return Math.max(0, this.text.length - this.pos);
  }
}

function clip(s: string): string {
  return JSON.stringify(s.length > 40 ? s.slice(0, 40) + "…" : s);
}

function parseCount(tok: string, line: number, what: string): number {
  if (!INT.test(tok)) {
    throw new TypeError(`Matrix Market line ${line}: ${what} ${clip(tok)} is not an integer`);
  }
  const v = Number(tok);
  if (v < 0) throw new RangeError(`Matrix Market line ${line}: ${what} ${v} is negative`);
  if (v > INT32_MAX) {
    throw new RangeError(
      `Matrix Market line ${line}: ${what} ${tok} exceeds the int32 limit 2^31 - 1 of sparse ` +
        `index arrays`,
    );
  }
  return v;
}

function parseValue(tok: string, line: number, integer: boolean): number {
  if (integer) {
    if (!INT.test(tok)) {
      throw new TypeError(
        `Matrix Market line ${line}: ${clip(tok)} is not an integer (field is integer)`,
      );
    }
    const v = Number(tok);
    if (!Number.isSafeInteger(v)) {
      throw new RangeError(
        `Matrix Market line ${line}: integer ${tok} is not exactly representable (|v| > 2^53)`,
      );
    }
    return v;
  }
  if (REAL.test(tok)) return Number(tok.replace(/[dD]/, "e"));
  if (SPECIAL.test(tok)) {
    const neg = tok.startsWith("-");
    return /nan/i.test(tok) ? NaN : neg ? -Infinity : Infinity;
  }
  throw new TypeError(`Matrix Market line ${line}: ${clip(tok)} is not a number`);
}

function splitTokens(s: string): string[] {
  return s.split(/\s+/);
}

/**
 * Parses a Matrix Market file (text or UTF-8 bytes). Coordinate files give a `CooArray`
 * (symmetric and skew-symmetric files are expanded to both triangles), array files a dense
 * `[M, N]` array. Malformed input never hangs: a wrong banner, header or size line, an
 * index out of range, a wrong number of entries, a truncated file or extra entries are
 * `RangeError`s, non-numeric tokens and unsupported banners (`complex`, `vector`) are
 * `TypeError`s; every message names the line.
 *
 * @example
 * ```ts
 * import { readMatrixMarket } from "./matrix_market.ts";
 * import { cpu } from "../backends/cpu/mod.ts";
 * const text = "%%MatrixMarket matrix coordinate real symmetric\n2 2 2\n1 1 4\n2 1 -1\n";
 * const r = readMatrixMarket(text);
 * if (r.format === "coordinate") console.log(await cpu.toHost(r.matrix.toDense())); // [4, -1, -1, 0]
 * ```
 */
export function readMatrixMarket<A extends ArrayObject = CpuArray>(
  source: string | Uint8Array,
  options: ReadMatrixMarketOptions<A> = {},
): MatrixMarketResult<A> {
  let text: string;
  if (typeof source === "string") text = source;
  else if (source instanceof Uint8Array) text = new TextDecoder().decode(source);
  else {
    throw new TypeError(
      `readMatrixMarket: source must be a string or Uint8Array, got ${describe(source)}`,
    );
  }
  const xp = options.xp ?? (cpu as unknown as ArrayNamespace<A>);
  const L = new Lines(text);
  const banner = L.next();
  if (banner === undefined || !/^%%matrixmarket(\s|$)/i.test(banner)) {
    throw new RangeError(
      `Matrix Market line 1: expected the banner "%%MatrixMarket matrix <format> <field> ` +
        `<symmetry>", got ${clip(banner ?? "")}`,
    );
  }
  const bt = splitTokens(banner.trim()).map((t) => t.toLowerCase());
  if (bt.length !== 5) {
    throw new RangeError(
      `Matrix Market line 1: the banner needs 5 words (%%MatrixMarket matrix <format> <field> ` +
        `<symmetry>), got ${bt.length}: ${clip(banner)}`,
    );
  }
  const [, object, format, field0, sym0] = bt;
  if (object !== "matrix") {
    throw new TypeError(`Matrix Market line 1: object ${clip(object)} is not supported (matrix)`);
  }
  if (format !== "coordinate" && format !== "array") {
    throw new TypeError(
      `Matrix Market line 1: format ${clip(format)} is not supported (coordinate, array)`,
    );
  }
  let field: MatrixMarketField;
  if (field0 === "real" || field0 === "double") field = "real";
  else if (field0 === "integer" || field0 === "pattern") field = field0;
  else {
    throw new TypeError(
      `Matrix Market line 1: field ${clip(field0)} is not supported (real, double, integer, ` +
        `pattern)`,
    );
  }
  if (
    sym0 !== "general" && sym0 !== "symmetric" && sym0 !== "skew-symmetric" &&
    sym0 !== "hermitian"
  ) {
    throw new TypeError(
      `Matrix Market line 1: symmetry ${clip(sym0)} is not supported (general, symmetric, ` +
        `skew-symmetric, hermitian)`,
    );
  }
  const symmetry = sym0 as MatrixMarketSymmetry;
  if (format === "array" && field === "pattern") {
    throw new RangeError("Matrix Market line 1: the array format cannot have field pattern");
  }
  if (field === "pattern" && symmetry === "skew-symmetric") {
    throw new RangeError("Matrix Market line 1: a pattern matrix cannot be skew-symmetric");
  }
  const dtype: DType = options.dtype ??
    (field === "integer" ? "int32" : xp.__array_namespace_info__().default_dtypes()[
      "real floating"
    ]);
  checkDataDType(xp as ArrayNamespace<ArrayObject>, dtype, "readMatrixMarket");
  const intLimit = dtype.startsWith("int") || dtype.startsWith("uint");
  const comments: string[] = [];
  const sizeLine = L.nextData(comments);
  if (sizeLine === undefined) {
    throw new RangeError(`Matrix Market line ${L.line + 1}: the size line is missing`);
  }
  const sl = L.line;
  const st = splitTokens(sizeLine);
  const want = format === "coordinate" ? 3 : 2;
  if (st.length !== want) {
    throw new RangeError(
      `Matrix Market line ${sl}: the size line needs ${want} integers (${
        format === "coordinate" ? "rows cols entries" : "rows cols"
      }), got ${clip(sizeLine)}`,
    );
  }
  const M = parseCount(st[0], sl, "row count");
  const N = parseCount(st[1], sl, "column count");
  if (symmetry !== "general" && M !== N) {
    throw new RangeError(
      `Matrix Market line ${sl}: a ${symmetry} matrix must be square, got ${M} × ${N}`,
    );
  }
  const info = { field, symmetry, comments, shape: [M, N] as [number, number] };
  const checkInt = (v: number, line: number): void => {
    if (intLimit && dtype === "int32" && (v > INT32_MAX || v < -INT32_MAX - 1)) {
      throw new RangeError(
        `Matrix Market line ${line}: ${v} does not fit in int32; read with { dtype: "float64" }`,
      );
    }
  };
  const isInt = field === "integer";

  if (format === "array") {
    const count = symmetry === "general"
      ? M * N
      : symmetry === "skew-symmetric"
      ? N * (N - 1) / 2
      : N * (N + 1) / 2;
    // Each value needs at least 2 characters ("0\n"): reject impossible counts before
    // allocating anything.
    if (count > (L.remaining + 1) / 2) {
      throw new RangeError(
        `Matrix Market line ${sl}: the size line announces ${count} values but only ${L.remaining} ` +
          `characters follow (file truncated?)`,
      );
    }
    checkInt32(M * N, `Matrix Market line ${sl}: dense size M·N`);
    const vals = new Float64Array(M * N);
    let k = 0;
    for (let j = 0; j < N; j++) {
      const i0 = symmetry === "general" ? 0 : symmetry === "skew-symmetric" ? j + 1 : j;
      for (let i = i0; i < M; i++) {
        const s = L.nextData();
        if (s === undefined) {
          throw new RangeError(
            `Matrix Market line ${L.line + 1}: file ends after ${k} of ${count} values`,
          );
        }
        const toks = splitTokens(s);
        if (toks.length !== 1) {
          throw new RangeError(
            `Matrix Market line ${L.line}: expected one value per line, got ${clip(s)}`,
          );
        }
        const v = parseValue(toks[0], L.line, isInt);
        checkInt(v, L.line);
        vals[i * N + j] = v;
        if (symmetry !== "general" && i !== j) {
          vals[j * N + i] = symmetry === "skew-symmetric" ? -v : v;
        }
        k++;
      }
    }
    const extra = L.nextData();
    if (extra !== undefined) {
      throw new RangeError(
        `Matrix Market line ${L.line}: extra data after the ${count} declared values: ${
          clip(extra)
        }`,
      );
    }
    const dense = xp.reshape(xp.asarray(vals, { dtype }), [M, N]);
    return { format: "array", matrix: dense, ...info };
  }

  const nnz = parseCount(st[2], sl, "entry count");
  const pattern = field === "pattern";
  // An entry line has at least 3 ("1 1") or 5 ("1 1 1") characters plus a line break: reject
  // impossible counts before allocating anything.
  if (nnz > (L.remaining + 1) / (pattern ? 4 : 6)) {
    throw new RangeError(
      `Matrix Market line ${sl}: the size line announces ${nnz} entries but only ${L.remaining} ` +
        `characters follow (file truncated?)`,
    );
  }
  const ntok = pattern ? 2 : 3;
  const expand = symmetry !== "general";
  const cap = expand ? 2 * nnz : nnz;
  checkInt32(cap, `Matrix Market line ${sl}: stored entries after symmetric expansion`);
  const row = new Int32Array(cap), col = new Int32Array(cap);
  const data = new Float64Array(cap);
  let n = 0;
  const skew = symmetry === "skew-symmetric";
  for (let e = 0; e < nnz; e++) {
    const k = L.tokens();
    if (k < 0) {
      throw new RangeError(
        `Matrix Market line ${L.line + 1}: file ends after ${e} of ${nnz} entries`,
      );
    }
    const ln = L.line;
    if (k !== ntok) {
      throw new RangeError(
        `Matrix Market line ${ln}: expected ${ntok} tokens (row col${
          pattern ? "" : " value"
        }), got ${k}: ${clip(L.current)}`,
      );
    }
    let i = L.index(0), j = L.index(1);
    if (i < 1 || i > M) i = parseIndex(L.tok(0), ln, M, "row") + 1;
    if (j < 1 || j > N) j = parseIndex(L.tok(1), ln, N, "column") + 1;
    i--;
    j--;
    const v = pattern ? 1 : parseValue(L.tok(2), ln, isInt);
    if (intLimit) checkInt(v, ln);
    row[n] = i;
    col[n] = j;
    data[n++] = v;
    if (expand && i !== j) {
      row[n] = j;
      col[n] = i;
      data[n++] = skew ? -v : v;
    } else if (skew) {
      throw new RangeError(
        `Matrix Market line ${ln}: a skew-symmetric file stores no diagonal entries, found ` +
          `(${i + 1}, ${j + 1})`,
      );
    }
  }
  const extra = L.nextData();
  if (extra !== undefined) {
    throw new RangeError(
      `Matrix Market line ${L.line}: extra entry after the ${nnz} declared: ${clip(extra)}`,
    );
  }
  const d = xp.asarray(data.subarray(0, n), { dtype });
  const coo = new CooArray(xp, row.slice(0, n), col.slice(0, n), d, [M, N]);
  return { format: "coordinate", matrix: coo, ...info };
}

function parseIndex(tok: string, line: number, n: number, what: string): number {
  if (!INT.test(tok)) {
    throw new TypeError(`Matrix Market line ${line}: ${what} index ${clip(tok)} is not an integer`);
  }
  const v = Number(tok);
  if (v < 1 || v > n) {
    throw new RangeError(
      `Matrix Market line ${line}: ${what} index ${tok} is out of range 1..${n}`,
    );
  }
  return v - 1;
}

/**
 * Options of {@linkcode writeMatrixMarket}.
 *
 * @example
 * ```ts
 * import type { WriteMatrixMarketOptions } from "./matrix_market.ts";
 * const o: WriteMatrixMarketOptions = { symmetry: "general", comment: "made by me" };
 * ```
 */
export interface WriteMatrixMarketOptions {
  /** `"auto"` (default, like SciPy): the most specific symmetry the values have
   * (symmetric, then skew-symmetric, else general); a requested symmetry the matrix does not
   * have is a `RangeError`. */
  readonly symmetry?: "auto" | "general" | "symmetric" | "skew-symmetric";
  /** `"auto"` (default): `integer` for integer dtypes, `real` otherwise; `"pattern"` writes
   * positions only (coordinate format). */
  readonly field?: "auto" | MatrixMarketField;
  /** Comment text (may span lines; each line is written after a `%`). */
  readonly comment?: string;
  /** Significant digits of real values (default: the shortest text that reads back exactly). */
  readonly precision?: number;
}

/** Shortest decimal text that parses back to the same float32. */
function f32String(v: number): string {
  for (let p = 1; p <= 9; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return tidy(s);
  }
  return String(v);
}

function tidy(s: string): string {
  // toPrecision may give "1.000e+5" style or trailing zeros: normalise mildly.
  if (s.includes("e")) {
    const [m, e] = s.split("e");
    const mm = m.includes(".") ? m.replace(/0+$/, "").replace(/\.$/, "") : m;
    return `${mm}e${e}`;
  }
  return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
}

function fmtValue(v: number, dtype: DType, field: MatrixMarketField, precision?: number): string {
  if (Number.isNaN(v)) return "nan";
  if (v === Infinity) return "inf";
  if (v === -Infinity) return "-inf";
  if (field === "integer") return String(v);
  if (precision !== undefined) return tidy(v.toPrecision(precision));
  if (dtype === "float32" || dtype === "float16") return f32String(v);
  return String(v);
}

/**
 * Writes a 2-D sparse array (coordinate format; duplicates are summed first) or a dense 2-D
 * namespace array (array format) as Matrix Market text. Asynchronous because the values are
 * read back from the namespace. Batched arrays are a `RangeError` (one matrix per file:
 * use `unstack()`).
 *
 * @example
 * ```ts
 * import { csrArray, writeMatrixMarket } from "./mod.ts";
 * const text = await writeMatrixMarket(csrArray([[2, -1], [-1, 2]]));
 * console.log(text);
 * // %%MatrixMarket matrix coordinate real symmetric
 * // 2 2 3
 * // 1 1 2
 * // 2 1 -1
 * // 2 2 2
 * ```
 */
export async function writeMatrixMarket<A extends ArrayObject>(
  matrix: CsrArray<A> | CooArray<A> | A,
  options: WriteMatrixMarketOptions = {},
): Promise<string> {
  const label = "writeMatrixMarket";
  const symOpt = options.symmetry ?? "auto";
  if (!["auto", "general", "symmetric", "skew-symmetric"].includes(symOpt)) {
    throw new TypeError(`${label}: unknown symmetry ${JSON.stringify(symOpt)}`);
  }
  const fieldOpt = options.field ?? "auto";
  if (!["auto", "real", "integer", "pattern"].includes(fieldOpt)) {
    throw new TypeError(`${label}: unknown field ${JSON.stringify(fieldOpt)}`);
  }
  if (
    options.precision !== undefined &&
    (!Number.isInteger(options.precision) || options.precision < 1 || options.precision > 100)
  ) {
    throw new RangeError(
      `${label}: precision must be an integer in 1..100, got ${options.precision}`,
    );
  }
  const isSparse = matrix instanceof CsrArray || matrix instanceof CooArray;
  if (!isSparse && !isArrayObject(matrix)) {
    throw new TypeError(
      `${label}: expected a sparse array or a dense array, got ${describe(matrix)}`,
    );
  }
  const shape = (matrix as { shape: readonly number[] }).shape;
  if (shape.length !== 2) {
    throw new RangeError(
      `${label}: Matrix Market files hold one 2-D matrix; got shape ${fmtShape(shape)} ` +
        `(write each matrix of a batch separately, e.g. with unstack())`,
    );
  }
  const [M, N] = shape;
  const dtype = (matrix as { dtype: DType }).dtype;
  const isIntDType = /^u?int/.test(dtype);
  const field: MatrixMarketField = fieldOpt === "auto"
    ? (isIntDType ? "integer" : "real")
    : fieldOpt;
  const comment = options.comment === undefined
    ? ""
    : options.comment.split(/\r?\n/).map((l) => `%${l}\n`).join("");
  const fmt = (v: number): string => fmtValue(v, dtype, field, options.precision);
  const checkIntVal = (v: number, where: string): void => {
    if (field === "integer" && !Number.isInteger(v)) {
      throw new RangeError(
        `${label}: field integer but the value ${v} at ${where} is not an integer`,
      );
    }
  };

  if (!isSparse) {
    if (field === "pattern") {
      throw new RangeError(`${label}: the array (dense) format cannot have field pattern`);
    }
    const x = matrix as A;
    const ns = x.__array_namespace__();
    const h = await ns.toHost(x);
    const at = (i: number, j: number): number => h[i * N + j];
    const isSym = (sign: 1 | -1): boolean => {
      if (M !== N) return false;
      for (let i = 0; i < N; i++) {
        if (sign === -1 && at(i, i) !== 0) return false;
        for (let j = 0; j < i; j++) if (at(i, j) !== sign * at(j, i)) return false;
      }
      return true;
    };
    const symmetry = resolveSymmetry(symOpt, isSym, label);
    const w = new AsciiWriter();
    for (let j = 0; j < N; j++) {
      const i0 = symmetry === "general" ? 0 : symmetry === "symmetric" ? j : j + 1;
      for (let i = i0; i < M; i++) {
        const v = at(i, j);
        checkIntVal(v, `(${i + 1}, ${j + 1})`);
        w.str(fmt(v));
        w.byte(10);
      }
    }
    return `%%MatrixMarket matrix array ${field} ${symmetry}\n${comment}${M} ${N}\n` + w.toString();
  }

  const sp = matrix as CsrArray<A> | CooArray<A>;
  const csr = sp instanceof CsrArray ? sp.sumDuplicates() : sp.toCsr();
  const host = await csr.xp.toHost(csr.data);
  const { indptr, indices } = csr;
  let T: { indptr: Int32Array; indices: Int32Array; perm: Int32Array } | undefined;
  const transposeInfo = () => {
    if (!T) {
      const t = csr._s.transpose();
      const perm = t.plan.levels[0].index;
      T = { indptr: t.structure.indptr, indices: t.structure.indices, perm };
    }
    return T;
  };
  const isSym = (sign: 1 | -1): boolean => {
    if (M !== N) return false;
    const t = transposeInfo();
    for (let i = 0; i <= M; i++) if (t.indptr[i] !== indptr[i]) return false;
    for (let p = 0; p < indices.length; p++) {
      if (t.indices[p] !== indices[p]) return false;
      if (field !== "pattern" && host[t.perm[p]] !== sign * host[p]) return false;
    }
    if (sign === -1) {
      for (let r = 0; r < M; r++) {
        for (let p = indptr[r]; p < indptr[r + 1]; p++) if (indices[p] === r) return false;
      }
    }
    return true;
  };
  const symmetry = field === "pattern" && symOpt === "auto"
    ? (isSym(1) ? "symmetric" : "general")
    : resolveSymmetry(symOpt, isSym, label);
  const w = new AsciiWriter();
  let count = 0;
  const lower = symmetry !== "general", strict = symmetry === "skew-symmetric";
  for (let r = 0; r < M; r++) {
    for (let p = indptr[r]; p < indptr[r + 1]; p++) {
      const c = indices[p];
      if (lower && (c > r || (strict && c === r))) continue;
      count++;
      w.int(r + 1);
      w.byte(32);
      w.int(c + 1);
      if (field !== "pattern") {
        const v = host[p];
        if (field === "integer") checkIntVal(v, `(${r + 1}, ${c + 1})`);
        w.byte(32);
        w.str(fmt(v));
      }
      w.byte(10);
    }
  }
  return `%%MatrixMarket matrix coordinate ${field} ${symmetry}\n${comment}${M} ${N} ${count}\n` +
    w.toString();
}

/** Appends ASCII text to a growable byte buffer (much faster than string concatenation for
 * millions of short lines). */
class AsciiWriter {
  #buf = new Uint8Array(1 << 16);
  #n = 0;
  #room(k: number): void {
    if (this.#n + k > this.#buf.length) {
      const nb = new Uint8Array(Math.max(2 * this.#buf.length, this.#n + k));
      nb.set(this.#buf.subarray(0, this.#n));
      this.#buf = nb;
    }
  }
  byte(c: number): void {
    this.#room(1);
    this.#buf[this.#n++] = c;
  }
  int(v: number): void {
    this.#room(16);
    const b = this.#buf;
    let i = this.#n;
    if (v === 0) {
      b[this.#n++] = 48;
      return;
    }
    while (v > 0) {
      b[this.#n++] = 48 + (v % 10);
      v = (v - (v % 10)) / 10;
    }
    for (let j = this.#n - 1; i < j; i++, j--) {
      const t = b[i];
      b[i] = b[j];
      b[j] = t;
    }
  }
  str(s: string): void {
    this.#room(s.length);
    const b = this.#buf;
    for (let i = 0; i < s.length; i++) b[this.#n++] = s.charCodeAt(i);
  }
  toString(): string {
    return new TextDecoder().decode(this.#buf.subarray(0, this.#n));
  }
}

function resolveSymmetry(
  opt: "auto" | "general" | "symmetric" | "skew-symmetric",
  isSym: (sign: 1 | -1) => boolean,
  label: string,
): "general" | "symmetric" | "skew-symmetric" {
  if (opt === "general") return "general";
  if (opt === "auto") return isSym(1) ? "symmetric" : isSym(-1) ? "skew-symmetric" : "general";
  if (!isSym(opt === "symmetric" ? 1 : -1)) {
    throw new RangeError(`${label}: symmetry ${opt} was requested but the matrix is not ${opt}`);
  }
  return opt;
}
