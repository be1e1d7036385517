/**
 * The namespace conformance suite: many small checks that an {@linkcode ArrayNamespace} behaves
 * the way this package's solvers rely on (the array API standard plus the project's extensions
 * `toHost`, `dispose`, `fuse`, `csrMatvec`/`csrMatmat`). Run it on your own namespace before
 * plugging it into the solvers.
 *
 * Every case is written against the interface only: values are read back with
 * `await xp.toHost(...)`, arrays are small (the suite also runs on software GPUs and tfjs), and
 * every array a case creates is disposed when the case ends. Case names look like
 * `float32/linalg.solve_batched` (dtype-specific cases) or `common/info.dtypes` (cases that
 * do not depend on the float dtype).
 *
 * @example Without a test runner
 * ```ts
 * import { runConformance } from "./conformance.ts";
 * import { cpu as myNamespace } from "../backends/cpu/mod.ts";
 * const report = await runConformance(myNamespace, { skip: ["linalg.svd_*"] });
 * for (const f of report.failed) console.error(f.name, f.error);
 * console.log(`${report.passed.length} passed, ${report.failed.length} failed, ` +
 *   `${report.skipped.length} skipped`);
 * ```
 *
 * @example With Deno.test
 * ```ts
 * import { conformanceCases } from "./conformance.ts";
 * import { cpu as myNamespace } from "../backends/cpu/mod.ts";
 * for (const c of conformanceCases(myNamespace, { dtypes: ["float32"] })) {
 *   Deno.test({ name: `mine/${c.name}`, ignore: c.skip !== undefined, fn: c.fn });
 * }
 * ```
 *
 * @module
 */
import type {
  ArrayNamespace,
  ArrayObject,
  CsrData,
  DType,
  DTypeKind,
  FloatDType,
  HostArray,
  NestedSequence,
  Shape,
} from "./types.ts";
import {
  ALL_DTYPES,
  canCast,
  finfo as refFinfo,
  iinfo as refIinfo,
  isdtype as refIsdtype,
  isDTypeName,
  isFloatDType,
  promoteTypes,
} from "./dtypes.ts";
import { fmtShape } from "./shapes.ts";
import { isArrayObject } from "./namespace_of.ts";
import { defineFused, evaluateFused, runFused } from "./fuse.ts";

// =====================================================================================
// Public API
// =====================================================================================

/**
 * Options of {@linkcode conformanceCases} and {@linkcode runConformance}.
 *
 * @example
 * ```ts
 * import type { ConformanceOptions } from "./conformance.ts";
 * const o: ConformanceOptions = { dtypes: ["float32"], skip: ["csr.*"], sizes: "medium" };
 * ```
 */
export interface ConformanceOptions {
  /** Float dtypes to run the dtype-specific cases in. Default: `float64` and `float32` when
   * `capabilities().float64` is true, else `float32`. */
  dtypes?: FloatDType[];
  /** Cases to skip (they are reported as skipped, never dropped). An entry matches a full
   * name (`"float32/linalg.svd_tall"`), a name without its dtype prefix (`"linalg.svd_tall"`,
   * every dtype), or, ending in `*`, every name starting with the rest (`"linalg.*"`). An entry
   * that matches no case is a `RangeError` (it is probably a typo). */
  skip?: string[];
  /** Problem sizes: `"small"` (default; a few elements per array) or `"medium"` (hundreds to
   * tens of thousands of elements in the matmul, reduction, fused and sparse cases). */
  sizes?: "small" | "medium";
}

/**
 * One conformance case: a name and an async check that throws when the namespace does not
 * conform.
 *
 * @example
 * ```ts
 * import { conformanceCases, type ConformanceCase } from "./conformance.ts";
 * import { cpu } from "../backends/cpu/mod.ts";
 * const cases: ConformanceCase[] = conformanceCases(cpu);
 * await cases[0].fn();
 * ```
 */
export interface ConformanceCase {
  /** `"<dtype>/<group>.<case>"` or `"common/<group>.<case>"`. */
  name: string;
  /** Runs the check; rejects with a descriptive error when the namespace does not conform. */
  fn: () => Promise<void>;
  /** Why the case is skipped (named in `options.skip`, or the namespace lacks the optional
   * hook it checks); absent when the case should run. With `Deno.test`, pass
   * `ignore: c.skip !== undefined`. */
  skip?: string;
}

/**
 * Outcome of {@linkcode runConformance}.
 *
 * @example
 * ```ts
 * import { runConformance, type ConformanceReport } from "./conformance.ts";
 * import { cpu } from "../backends/cpu/mod.ts";
 * const r: ConformanceReport = await runConformance(cpu);
 * ```
 */
export interface ConformanceReport {
  /** Names of the cases that passed. */
  passed: string[];
  /** Cases that failed, with the error each one raised. */
  failed: { name: string; error: unknown }[];
  /** Names of the cases that were skipped. */
  skipped: string[];
}

/**
 * Builds the conformance cases for `xp`: `common/*` cases once, and the dtype-specific cases
 * once per float dtype of `options.dtypes`. Each case disposes the arrays it creates.
 * Cases of optional hooks the namespace lacks (`csrMatvec`, `csrMatmat`) are returned with
 * `skip` set, so that runners report them.
 *
 * @example Register with Deno.test (one test per case)
 * ```ts
 * import { conformanceCases } from "./conformance.ts";
 * import { cpu as xp } from "../backends/cpu/mod.ts";
 * for (const dtype of ["float64", "float32"] as const) {
 *   for (const c of conformanceCases(xp, { dtypes: [dtype] })) {
 *     if (dtype !== "float64" && c.name.startsWith("common/")) continue; // once is enough
 *     Deno.test({ name: `cpu/${c.name}`, ignore: c.skip !== undefined, fn: c.fn });
 *   }
 * }
 * ```
 *
 * @example Run them by hand
 * ```ts
 * import { conformanceCases } from "./conformance.ts";
 * import { cpu as xp } from "../backends/cpu/mod.ts";
 * for (const c of conformanceCases(xp, { skip: ["csr.*"] })) {
 *   if (c.skip) console.log("skip", c.name, c.skip);
 *   else await c.fn();
 * }
 * ```
 */
export function conformanceCases<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
  options: ConformanceOptions = {},
): ConformanceCase[] {
  const raw = xp as unknown as X;
  if (raw === null || typeof raw !== "object" && typeof raw !== "function") {
    throw new TypeError(`conformanceCases needs an array namespace, got ${String(raw)}`);
  }
  const medium = options.sizes === "medium";
  if (options.sizes !== undefined && options.sizes !== "small" && options.sizes !== "medium") {
    throw new RangeError(`sizes must be "small" or "medium", got ${JSON.stringify(options.sizes)}`);
  }
  let dtypes = options.dtypes;
  if (dtypes === undefined) {
    let f64 = false;
    try {
      f64 = raw.__array_namespace_info__().capabilities().float64 === true;
    } catch {
      // the info cases report a broken inspection API
    }
    dtypes = f64 ? ["float64", "float32"] : ["float32"];
  }
  for (const d of dtypes) {
    if (!isDTypeName(d) || !isFloatDType(d)) {
      throw new TypeError(`conformance dtypes must be real floating dtypes, got ${String(d)}`);
    }
  }
  if (new Set(dtypes).size !== dtypes.length) {
    throw new RangeError(`conformance dtypes repeat an entry: ${dtypes.join(", ")}`);
  }
  const defs: { name: string; body: Body; dt: FloatDType; skip?: string }[] = [];
  const commonDt = dtypes[0] ?? "float32";
  for (const [n, body, skip] of commonCases(raw)) {
    defs.push({ name: `common/${n}`, body, dt: commonDt, skip });
  }
  for (const dt of dtypes) {
    for (const [n, body, skip] of dtypeCases(raw, medium)) {
      defs.push({ name: `${dt}/${n}`, body, dt, skip });
    }
  }
  const skips = options.skip ?? [];
  const used = new Set<string>();
  const cases: ConformanceCase[] = defs.map((d) => {
    const base = d.name.slice(d.name.indexOf("/") + 1);
    let skip = d.skip;
    for (const s of skips) {
      const hit = s.endsWith("*")
        ? d.name.startsWith(s.slice(0, -1)) || base.startsWith(s.slice(0, -1))
        : d.name === s || base === s;
      if (hit) {
        used.add(s);
        skip ??= `skipped by options.skip (${JSON.stringify(s)})`;
      }
    }
    const c: ConformanceCase = { name: d.name, fn: () => runCase(raw, d.dt, medium, d.body) };
    if (skip !== undefined) c.skip = skip;
    return c;
  });
  const unused = skips.filter((s) => !used.has(s));
  if (unused.length > 0) {
    throw new RangeError(
      `options.skip names no conformance case: ${unused.map((s) => JSON.stringify(s)).join(", ")}`,
    );
  }
  return cases;
}

/**
 * Runs every conformance case on `xp` one after the other (a failing case never stops the
 * others) and reports which passed, failed (with their errors) and were skipped.
 *
 * @example
 * ```ts
 * import { runConformance } from "./conformance.ts";
 * import { cpu as myNamespace } from "../backends/cpu/mod.ts";
 * const { passed, failed, skipped } = await runConformance(myNamespace, { dtypes: ["float32"] });
 * if (failed.length > 0) {
 *   for (const f of failed) console.error(`${f.name}: ${f.error}`);
 *   throw new Error(`${failed.length} of ${passed.length + failed.length} cases failed`);
 * }
 * console.log(`conformant (${skipped.length} skipped)`);
 * ```
 *
 * @example Inside one Deno.test
 * ```ts
 * import { runConformance } from "./conformance.ts";
 * import { cpu as myNamespace } from "../backends/cpu/mod.ts";
 * Deno.test("my namespace conforms", async () => {
 *   const r = await runConformance(myNamespace);
 *   if (r.failed.length) throw new AggregateError(r.failed.map((f) => f.error), "not conformant");
 * });
 * ```
 */
export async function runConformance<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
  options: ConformanceOptions = {},
): Promise<ConformanceReport> {
  const report: ConformanceReport = { passed: [], failed: [], skipped: [] };
  for (const c of conformanceCases(xp, options)) {
    if (c.skip !== undefined) {
      report.skipped.push(c.name);
      continue;
    }
    try {
      await c.fn();
      report.passed.push(c.name);
    } catch (error) {
      report.failed.push({ name: c.name, error });
    }
  }
  return report;
}

// =====================================================================================
// Case plumbing
// =====================================================================================

type Arr = ArrayObject;
type X = ArrayNamespace<Arr>;
type Body = (c: Ctx) => Promise<void> | void;
/** name, body, and an optional reason to skip. */
type Def = [string, Body, string?];

/** A failed expectation of the conformance suite. */
class ConformanceError extends Error {
  override name = "ConformanceError";
}

function fail(msg: string): never {
  throw new ConformanceError(msg);
}

function ok(cond: unknown, msg: string | (() => string)): asserts cond {
  if (!cond) fail(typeof msg === "string" ? msg : msg());
}

/** Options of {@linkcode Ctx.expect}. */
interface ExpectOpts {
  /** Expected dtype (default: the case dtype); `null` skips the check. */
  dtype?: DType | null;
  /** Relative tolerance (default: the case tolerance). */
  rtol?: number;
  /** Absolute tolerance (default 0). */
  atol?: number;
  /** Compare exactly (NaN equals NaN). */
  exact?: boolean;
}

/** What every case body receives. */
interface Ctx {
  /** The namespace under test, wrapped so that every array it returns is disposed later. */
  xp: X;
  /** The namespace itself (for identity checks). */
  raw: X;
  /** The float dtype of the case. */
  dt: FloatDType;
  /** Relative tolerance of elementwise results in `dt`. */
  tol: number;
  /** Relative tolerance of small dense linear algebra in `dt`. */
  ltol: number;
  /** Whether `sizes: "medium"` was asked for. */
  medium: boolean;
  /** Rounds a host number to `dt`. */
  r(v: number): number;
  /** Whether the namespace reports `dtype`. */
  has(dtype: DType): boolean;
  /** `xp.asarray(values, { dtype })`, dtype defaulting to `dt`. */
  a(values: NestedSequence | ArrayLike<number>, dtype?: DType): Arr;
  /** `Array.from(await xp.toHost(x))`. */
  get(x: Arr): Promise<number[]>;
  /** Checks shape, dtype and values (`values` null: shape and dtype only). */
  expect(
    what: string,
    x: Arr,
    shape: Shape,
    values: ArrayLike<number> | null,
    opts?: ExpectOpts,
  ): Promise<void>;
  /** `expect` with exact comparison (NaN equals NaN); `dtype` defaults to the case dtype. */
  same(what: string, x: Arr, shape: Shape, values: ArrayLike<number>, dtype?: DType): Promise<void>;
}

const TOL: Record<FloatDType, number> = { float64: 1e-12, float32: 1e-5, float16: 4e-3 };

function rounder(dt: DType): (v: number) => number {
  if (dt === "float32") return Math.fround;
  if (dt === "float16") {
    // deno-lint-ignore no-explicit-any
    const f16 = (Math as any).f16round as ((v: number) => number) | undefined;
    return f16 ?? Math.fround;
  }
  return (v) => v;
}

async function runCase(raw: X, dt: FloatDType, medium: boolean, body: Body): Promise<void> {
  const { xp, release } = scoped(raw);
  let supported: Set<string> | undefined;
  const has = (d: DType): boolean => {
    supported ??= new Set(Object.keys(raw.__array_namespace_info__().dtypes()));
    return supported.has(d);
  };
  const c: Ctx = {
    xp,
    raw,
    dt,
    tol: TOL[dt],
    ltol: 20 * TOL[dt],
    medium,
    r: rounder(dt),
    has,
    a: (values, dtype) => xp.asarray(values as NestedSequence, { dtype: dtype ?? dt }),
    get: async (x) => Array.from(await xp.toHost(x)),
    expect: (what, x, shape, values, opts = {}) =>
      expectArray(xp, dt, TOL[dt], what, x, shape, values, opts),
    same: (what, x, shape, values, dtype) =>
      expectArray(xp, dt, TOL[dt], what, x, shape, values, { dtype: dtype ?? dt, exact: true }),
  };
  try {
    await body(c);
  } catch (e) {
    try {
      release();
    } catch {
      // the case's own error matters more than a failing dispose
    }
    throw e;
  }
  try {
    release();
  } catch (e) {
    throw new ConformanceError(`dispose of the case's arrays threw: ${e}`);
  }
}

/** Wraps `raw` so that every array returned by one of its functions is recorded for disposal. */
function scoped(raw: X): { xp: X; release(): void } {
  const made: Arr[] = [];
  const seen = new Set<unknown>();
  const record = (v: unknown, depth: number): void => {
    if (v === null || typeof v !== "object" || depth > 2) return;
    if (isArrayObject(v)) {
      if (!seen.has(v)) {
        seen.add(v);
        made.push(v);
      }
      return;
    }
    if (Array.isArray(v)) {
      for (const e of v) record(e, depth + 1);
      return;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto === Object.prototype || proto === null) {
      for (const e of Object.values(v)) record(e, depth + 1);
    }
  };
  const passThrough = new Set<PropertyKey>(["toHost", "dispose", "__array_namespace_info__"]);
  const wrap = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(t, p) {
        const v = Reflect.get(t, p, t);
        if (p === "linalg" && v !== null && typeof v === "object") return wrap(v);
        if (typeof v !== "function") return v;
        if (passThrough.has(p)) return v.bind(t);
        return (...args: unknown[]) => {
          const r = v.apply(t, args);
          record(r, 0);
          return r;
        };
      },
    });
  return {
    xp: wrap(raw),
    release: () => {
      if (made.length > 0) raw.dispose(...made);
    },
  };
}

function idx(shape: Shape, flat: number): string {
  if (shape.length === 0) return "[]";
  const out: number[] = [];
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i] || 1;
    out.unshift(flat % d);
    flat = Math.floor(flat / d);
  }
  return `[${out.join(", ")}]`;
}

function sameNumber(a: number, e: number): boolean {
  return a === e || (Number.isNaN(a) && Number.isNaN(e));
}

function isClose(a: number, e: number, rtol: number, atol: number): boolean {
  if (sameNumber(a, e)) return true;
  if (!Number.isFinite(a) || !Number.isFinite(e)) return false;
  return Math.abs(a - e) <= atol + rtol * Math.abs(e);
}

/** Compares host values (NaN equals NaN, infinities exactly). */
function checkValues(
  what: string,
  shape: Shape,
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  rtol: number,
  atol: number,
  exact = false,
): void {
  ok(
    got.length === want.length,
    () => `${what}: got ${got.length} values, expected ${want.length}`,
  );
  for (let i = 0; i < want.length; i++) {
    const g = got[i], w = want[i];
    const good = exact ? sameNumber(g, w) : isClose(g, w, rtol, atol);
    if (!good) {
      const show = (v: ArrayLike<number>) =>
        want.length <= 12 ? ` (got [${Array.from(v).join(", ")}])` : "";
      fail(
        `${what}: element ${idx(shape, i)} is ${g}, expected ${w}` +
          (exact ? " exactly" : ` (rtol ${rtol}, atol ${atol})`) + show(got),
      );
    }
  }
}

function checkShape(what: string, x: Arr, shape: Shape): void {
  ok(isArrayObject(x), () => `${what}: expected an array object, got ${describe(x)}`);
  const s = x.shape;
  ok(
    s.length === shape.length && s.every((d, i) => d === shape[i]),
    () => `${what}: shape is ${fmtShape(s)}, expected ${fmtShape(shape)}`,
  );
  ok(x.ndim === shape.length, () => `${what}: ndim is ${x.ndim}, expected ${shape.length}`);
  const size = shape.reduce((p, d) => p * d, 1);
  ok(x.size === size, () => `${what}: size is ${x.size}, expected ${size}`);
}

function describe(v: unknown): string {
  if (v === null || typeof v !== "object") return String(v);
  return (v as object).constructor?.name ?? "object";
}

async function expectArray(
  xp: X,
  dt: FloatDType,
  tol: number,
  what: string,
  x: Arr,
  shape: Shape,
  values: ArrayLike<number> | null,
  opts: ExpectOpts,
): Promise<void> {
  checkShape(what, x, shape);
  const dtype = opts.dtype === undefined ? dt : opts.dtype;
  if (dtype !== null) {
    ok(x.dtype === dtype, () => `${what}: dtype is ${x.dtype}, expected ${dtype}`);
  }
  if (values === null) return;
  const h = await xp.toHost(x);
  checkValues(what, shape, h, values, opts.rtol ?? tol, opts.atol ?? 0, opts.exact);
}

type ErrKind = "RangeError" | "TypeError" | "RangeError|TypeError";

/** Checks that `fn` throws synchronously an error of `kind` whose message contains every
 * string of `includes`. */
function throws(what: string, fn: () => unknown, kind: ErrKind, includes: string[] = []): Error {
  let r: unknown;
  try {
    r = fn();
  } catch (e) {
    const good = (kind.includes("RangeError") && e instanceof RangeError) ||
      (kind.includes("TypeError") && e instanceof TypeError);
    ok(
      good,
      () =>
        `${what}: expected a ${kind}, got ${describe(e)}: ${e instanceof Error ? e.message : e}`,
    );
    const msg = (e as Error).message;
    for (const s of includes) {
      ok(msg.includes(s), () => `${what}: the ${kind} message should name ${s}: "${msg}"`);
    }
    return e as Error;
  }
  if (r instanceof Promise) r.catch(() => {});
  return fail(`${what}: expected a ${kind}, but it returned ${describe(r)}`);
}

/**
 * A data-dependent error (singular matrix, indefinite Cholesky): a `RangeError` thrown at the
 * call, or — for namespaces that record work and cannot look at values synchronously (GPU) —
 * a `RangeError` rejecting the `toHost` of the result.
 */
async function throwsOrRejects(xp: X, what: string, fn: () => Arr): Promise<void> {
  let r: Arr;
  try {
    r = fn();
  } catch (e) {
    ok(e instanceof RangeError, () => `${what}: expected a RangeError, got ${describe(e)}`);
    return;
  }
  try {
    await xp.toHost(r);
  } catch (e) {
    ok(
      e instanceof RangeError,
      () => `${what}: expected toHost to reject with a RangeError, got ${describe(e)}`,
    );
    return;
  }
  fail(`${what}: expected a RangeError (at the call or from toHost of the result)`);
}

/** A fake array of another namespace, shaped like `like`. */
function foreignArray(like: Arr): Arr {
  const other = { name: "conformance-foreign-namespace" };
  return {
    shape: like.shape.slice(),
    dtype: like.dtype,
    device: like.device,
    ndim: like.ndim,
    size: like.size,
    __array_namespace__: () => other,
  } as unknown as Arr;
}

// ---------------------------------------------------------------------- host references

/** Deterministic uniform numbers in [-1, 1) (an LCG). */
function rand(n: number, seed: number, round: (v: number) => number = (v) => v): number[] {
  let s = (seed * 2654435761) >>> 0 || 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push(round(s / 2 ** 31 - 1));
  }
  return out;
}

function range(n: number, f: (i: number) => number = (i) => i): number[] {
  return Array.from({ length: n }, (_, i) => f(i));
}

/** Row-major `(m, k) @ (k, n)`. */
function hmatmul(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number) {
  const out = new Array<number>(m * n).fill(0);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
      out[i * n + j] = s;
    }
  }
  return out;
}

function htrans(a: ArrayLike<number>, m: number, n: number): number[] {
  const out = new Array<number>(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out[j * m + i] = a[i * n + j];
  return out;
}

function heye(n: number): number[] {
  return range(n * n, (i) => (Math.floor(i / n) === i % n ? 1 : 0));
}

/** Solves `a x = b` (`a` n×n, `b` n×k) by Gaussian elimination with partial pivoting. */
function hsolve(a: ArrayLike<number>, b: ArrayLike<number>, n: number, k: number): number[] {
  const A = Array.from(a), B = Array.from(b);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r * n + c]) > Math.abs(A[p * n + c])) p = r;
    for (let j = 0; j < n; j++) [A[c * n + j], A[p * n + j]] = [A[p * n + j], A[c * n + j]];
    for (let j = 0; j < k; j++) [B[c * k + j], B[p * k + j]] = [B[p * k + j], B[c * k + j]];
    for (let r = c + 1; r < n; r++) {
      const f = A[r * n + c] / A[c * n + c];
      for (let j = c; j < n; j++) A[r * n + j] -= f * A[c * n + j];
      for (let j = 0; j < k; j++) B[r * k + j] -= f * B[c * k + j];
    }
  }
  for (let c = n - 1; c >= 0; c--) {
    for (let j = 0; j < k; j++) {
      let s = B[c * k + j];
      for (let q = c + 1; q < n; q++) s -= A[c * n + q] * B[q * k + j];
      B[c * k + j] = s / A[c * n + c];
    }
  }
  return B;
}

function hdet(a: ArrayLike<number>, n: number): number {
  const A = Array.from(a);
  let det = 1;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r * n + c]) > Math.abs(A[p * n + c])) p = r;
    if (A[p * n + c] === 0) return 0;
    if (p !== c) {
      det = -det;
      for (let j = 0; j < n; j++) [A[c * n + j], A[p * n + j]] = [A[p * n + j], A[c * n + j]];
    }
    det *= A[c * n + c];
    for (let r = c + 1; r < n; r++) {
      const f = A[r * n + c] / A[c * n + c];
      for (let j = c; j < n; j++) A[r * n + j] -= f * A[c * n + j];
    }
  }
  return det;
}

/** Max |x|. */
function amax(v: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]));
  return m;
}

/** Checks `got ≈ want` with an absolute tolerance `tol · max(1, max|want|)`. */
function near(
  what: string,
  shape: Shape,
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  tol: number,
) {
  checkValues(what, shape, got, want, 0, tol * Math.max(1, amax(want)));
}

/** Whether the (row-major, m×n) matrix has (near-)zero entries below (`"lower"`: above) the
 * diagonal. */
function checkTriangular(
  what: string,
  v: ArrayLike<number>,
  m: number,
  n: number,
  zeroPart: "below" | "above",
  atol: number,
) {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const z = zeroPart === "below" ? i > j : j > i;
      if (z && Math.abs(v[i * n + j]) > atol) {
        fail(`${what}: entry [${i}, ${j}] is ${v[i * n + j]}, expected 0 (triangular factor)`);
      }
    }
  }
}

/** Checks that the columns of the m×k matrix `q` are orthonormal. */
function checkOrthonormalColumns(
  what: string,
  q: ArrayLike<number>,
  m: number,
  k: number,
  tol: number,
) {
  const qtq = hmatmul(htrans(q, m, k), q, k, m, k);
  near(`${what} (QᵀQ = I)`, [k, k], qtq, heye(k), tol);
}

/** Slice `i` of a batch of blocks of `len` values. */
function block(v: ArrayLike<number>, i: number, len: number): number[] {
  return Array.from(v).slice(i * len, (i + 1) * len);
}

/** The `HostArray` class `toHost` returns for `dtype` (interface contract). */
function hostClass(dtype: DType): string {
  switch (dtype) {
    case "float64":
      return "Float64Array";
    case "float32":
    case "float16":
      return "Float32Array";
    case "int32":
      return "Int32Array";
    case "int16":
      return "Int16Array";
    case "int8":
      return "Int8Array";
    case "uint32":
      return "Uint32Array";
    case "uint16":
      return "Uint16Array";
    default:
      return "Uint8Array";
  }
}

function className(h: HostArray | unknown): string {
  return describe(h);
}

// =====================================================================================
// Common cases (independent of the float dtype)
// =====================================================================================

const KINDS: readonly DTypeKind[] = [
  "bool",
  "signed integer",
  "unsigned integer",
  "integral",
  "real floating",
  "complex floating",
  "numeric",
];

function supportedDTypes(xp: X): DType[] {
  return Object.keys(xp.__array_namespace_info__().dtypes()) as DType[];
}

function commonCases(_raw: X): Def[] {
  const defs: Def[] = [];
  const add = (name: string, body: Body) => defs.push([name, body]);

  add("info.identity", ({ xp, raw }) => {
    const v = raw.__array_api_version__;
    ok(
      typeof v === "string" && /^\d{4}\.\d{2}$/.test(v),
      `__array_api_version__ should look like "2025.12", got ${JSON.stringify(v)}`,
    );
    ok(typeof raw.name === "string" && raw.name.length > 0, "name should be a non-empty string");
    ok(raw.e === Math.E, `e is ${raw.e}`);
    ok(raw.pi === Math.PI, `pi is ${raw.pi}`);
    ok(raw.inf === Infinity, `inf is ${raw.inf}`);
    ok(Number.isNaN(raw.nan), `nan is ${raw.nan}`);
    ok(raw.newaxis === null, `newaxis is ${raw.newaxis}`);
    const x = xp.zeros([2]);
    ok(x.__array_namespace__() === raw, "zeros(2).__array_namespace__() is not the namespace");
    const y = xp.add(x, 1);
    ok(y.__array_namespace__() === raw, "add(x, 1).__array_namespace__() is not the namespace");
  });

  add("info.capabilities", ({ raw }) => {
    const cap = raw.__array_namespace_info__().capabilities();
    ok(cap !== null && typeof cap === "object", "capabilities() should return an object");
    ok(typeof cap["boolean indexing"] === "boolean", "capabilities()['boolean indexing']");
    ok(
      typeof cap["data-dependent shapes"] === "boolean",
      "capabilities()['data-dependent shapes']",
    );
    const md = cap["max dimensions"];
    ok(
      md === null || (Number.isInteger(md) && md >= 1),
      `capabilities()['max dimensions'] should be null or a positive integer, got ${md}`,
    );
    ok(typeof cap.float64 === "boolean", "capabilities().float64 should be a boolean");
  });

  add("info.devices", ({ xp, raw }) => {
    const info = raw.__array_namespace_info__();
    const devs = info.devices();
    ok(Array.isArray(devs) && devs.length > 0, "devices() should be a non-empty array");
    ok(devs.every((d) => typeof d === "string"), "devices() should hold strings");
    const dd = info.default_device();
    ok(devs.includes(dd), `default_device() ${dd} is not in devices() [${devs.join(", ")}]`);
    ok(xp.zeros([1]).device === dd, "zeros(1).device is not the default device");
    for (const d of devs) {
      const z = xp.zeros([2], { device: d });
      ok(z.device === d, `zeros(2, { device: ${d} }).device is ${z.device}`);
    }
  });

  add("info.dtypes", ({ raw }) => {
    const info = raw.__array_namespace_info__();
    const all = info.dtypes();
    const names = Object.keys(all);
    for (const n of names) {
      ok(isDTypeName(n), `dtypes() lists unknown dtype ${n}`);
      ok(all[n] === n, `dtypes()[${n}] is ${all[n]}`);
    }
    for (const need of ["bool", "int32", "float32"] as const) {
      ok(names.includes(need), `dtypes() must include ${need} (fused programs and CSR need it)`);
    }
    const f64 = info.capabilities().float64;
    ok(
      names.includes("float64") === f64,
      `capabilities().float64 is ${f64} but dtypes() ${f64 ? "lacks" : "has"} float64`,
    );
    const dd = info.default_device();
    const onDev = Object.keys(info.dtypes({ device: dd }));
    ok(
      onDev.length === names.length && onDev.every((n) => names.includes(n)),
      `dtypes({ device: ${dd} }) differs from dtypes()`,
    );
    for (const kind of KINDS) {
      const got = Object.keys(info.dtypes({ kind })).sort();
      const want = names.filter((n) => refIsdtype(n as DType, kind)).sort();
      ok(
        got.join() === want.join(),
        `dtypes({ kind: "${kind}" }) is [${got.join(", ")}], expected [${want.join(", ")}]`,
      );
    }
    const both = Object.keys(info.dtypes({ kind: ["bool", "real floating"] })).sort();
    const wantBoth = names.filter((n) => n === "bool" || refIsdtype(n as DType, "real floating"))
      .sort();
    ok(
      both.join() === wantBoth.join(),
      `dtypes({ kind: ["bool", "real floating"] }) is [${both.join(", ")}]`,
    );
  });

  add("info.default_dtypes", ({ xp, raw }) => {
    const info = raw.__array_namespace_info__();
    const names = Object.keys(info.dtypes());
    const dd = info.default_dtypes();
    const rf = dd["real floating"];
    ok(
      names.includes(rf) && refIsdtype(rf, "real floating"),
      `default real floating dtype ${rf} is not a supported real floating dtype`,
    );
    ok(
      names.includes(dd.integral) && refIsdtype(dd.integral, "integral"),
      `default integral dtype ${dd.integral} is not a supported integer dtype`,
    );
    ok(
      names.includes(dd.indexing) && refIsdtype(dd.indexing, "integral"),
      `default indexing dtype ${dd.indexing} is not a supported integer dtype`,
    );
    ok(isDTypeName(dd["complex floating"]), "default complex floating dtype is not a dtype name");
    const onDev = info.default_dtypes({ device: info.default_device() });
    ok(onDev["real floating"] === rf, "default_dtypes({ device }) differs from default_dtypes()");
    ok(xp.asarray([1.5, 2]).dtype === rf, "asarray([1.5, 2]) does not use the default float");
    ok(xp.zeros([2]).dtype === rf, "zeros(2) does not use the default float dtype");
    ok(xp.linspace(0, 1, 3).dtype === rf, "linspace() does not use the default float dtype");
  });

  add("info.finfo_iinfo", ({ xp, raw }) => {
    for (const d of supportedDTypes(raw)) {
      if (refIsdtype(d, "real floating")) {
        const got = xp.finfo(d), want = refFinfo(d);
        for (const k of ["bits", "eps", "max", "min", "smallest_normal", "dtype"] as const) {
          ok(got[k] === want[k], `finfo(${d}).${k} is ${got[k]}, expected ${want[k]}`);
        }
        ok(xp.finfo(xp.zeros([1], { dtype: d })).eps === want.eps, `finfo(array of ${d})`);
        throws(`iinfo(${d})`, () => xp.iinfo(d), "TypeError", [d]);
      } else if (refIsdtype(d, "integral")) {
        const got = xp.iinfo(d), want = refIinfo(d);
        for (const k of ["bits", "max", "min", "dtype"] as const) {
          ok(got[k] === want[k], `iinfo(${d}).${k} is ${got[k]}, expected ${want[k]}`);
        }
        throws(`finfo(${d})`, () => xp.finfo(d), "TypeError", [d]);
      }
    }
  });

  add("info.isdtype", ({ xp, raw }) => {
    const ds = supportedDTypes(raw);
    for (const d of ds) {
      for (const k of KINDS) {
        const want = refIsdtype(d, k);
        ok(xp.isdtype(d, k) === want, `isdtype(${d}, "${k}") should be ${want}`);
      }
      ok(xp.isdtype(d, d), `isdtype(${d}, ${d}) should be true`);
      ok(
        xp.isdtype(d, ["bool", "numeric"]),
        `isdtype(${d}, ["bool", "numeric"]) should be true`,
      );
    }
  });

  add("info.can_cast", ({ xp, raw }) => {
    const ds = supportedDTypes(raw);
    for (const a of ds) {
      for (const b of ds) {
        const want = canCast(a, b);
        ok(xp.can_cast(a, b) === want, `can_cast(${a}, ${b}) should be ${want}`);
      }
    }
    ok(xp.can_cast(xp.zeros([1], { dtype: "int32" }), "int32"), "can_cast(int32 array, int32)");
  });

  add("promotion.result_type_same_kind", ({ xp, raw }) => {
    // Promotion within one kind is fixed by the standard.
    const ds = supportedDTypes(raw).filter((d) => !refIsdtype(d, "complex floating"));
    for (const a of ds) {
      for (const b of ds) {
        const ka = refIsdtype(a, "real floating") ? "f" : refIsdtype(a, "integral") ? "i" : "b";
        const kb = refIsdtype(b, "real floating") ? "f" : refIsdtype(b, "integral") ? "i" : "b";
        if (ka !== kb) continue;
        let want: DType | undefined;
        try {
          want = promoteTypes(a, b);
        } catch {
          want = undefined;
        }
        if (want === undefined || !ds.includes(want)) {
          if (want === undefined) {
            throws(`result_type(${a}, ${b})`, () => xp.result_type(a, b), "TypeError");
          }
          continue;
        }
        const got = xp.result_type(a, b);
        ok(got === want, `result_type(${a}, ${b}) is ${got}, expected ${want}`);
      }
    }
    const i = xp.zeros([2], { dtype: "int32" });
    ok(xp.result_type(i, "int32") === "int32", "result_type(int32 array, int32)");
  });

  add("promotion.result_type_mixed_kind", ({ xp, raw }) => {
    // Implementation-defined in the standard; this project's rules (array_api/dtypes.ts):
    // integer with floating gives the floating dtype; bool with a number is a TypeError.
    const ds = supportedDTypes(raw);
    const ints = ds.filter((d) => refIsdtype(d, "integral"));
    const floats = ds.filter((d) => refIsdtype(d, "real floating"));
    for (const i of ints) {
      for (const f of floats) {
        ok(xp.result_type(i, f) === f, `result_type(${i}, ${f}) should be ${f}`);
        ok(xp.result_type(f, i) === f, `result_type(${f}, ${i}) should be ${f}`);
      }
    }
    for (const d of [...ints, ...floats]) {
      throws(`result_type(bool, ${d})`, () => xp.result_type("bool", d), "TypeError", ["bool"]);
    }
    const f = xp.zeros([2], { dtype: "float32" }), i = xp.zeros([2], { dtype: "int32" });
    const s = xp.add(f, i);
    ok(s.dtype === "float32", `add(float32, int32) has dtype ${s.dtype}, expected float32`);
  });

  add("promotion.result_type_scalars", ({ xp, raw }) => {
    const ds = supportedDTypes(raw);
    for (const d of ds.filter((q) => refIsdtype(q, "real floating"))) {
      ok(xp.result_type(d, 2.5) === d, `result_type(${d}, 2.5) should be ${d}`);
      ok(xp.result_type(2, d) === d, `result_type(2, ${d}) should be ${d}`);
    }
    ok(xp.result_type("int32", 3) === "int32", "result_type(int32, 3) should be int32");
    ok(xp.result_type("bool", true) === "bool", "result_type(bool, true) should be bool");
    throws("result_type(int32, 2.5)", () => xp.result_type("int32", 2.5), "TypeError", ["2.5"]);
    throws("result_type(bool, 1.5)", () => xp.result_type("bool", 1.5), "TypeError", ["bool"]);
  });

  add("promotion.integer_arrays", async ({ xp, raw }) => {
    const ds = supportedDTypes(raw);
    const a = xp.asarray([1, -2, 3], { dtype: "int32" }),
      b = xp.asarray([4, 5, -6], { dtype: "int32" });
    const s = xp.add(a, b);
    ok(s.dtype === "int32", `add(int32, int32) has dtype ${s.dtype}`);
    checkValues("add(int32, int32)", [3], await xp.toHost(s), [5, 3, -3], 0, 0, true);
    const m = xp.multiply(a, 3);
    ok(m.dtype === "int32", `multiply(int32, 3) has dtype ${m.dtype}`);
    checkValues("multiply(int32, 3)", [3], await xp.toHost(m), [3, -6, 9], 0, 0, true);
    const r = xp.subtract(10, a);
    ok(r.dtype === "int32", `subtract(10, int32) has dtype ${r.dtype}`);
    checkValues("subtract(10, int32)", [3], await xp.toHost(r), [9, 12, 7], 0, 0, true);
    const n = xp.negative(a), ab = xp.abs(a);
    checkValues("negative(int32)", [3], await xp.toHost(n), [-1, 2, -3], 0, 0, true);
    checkValues("abs(int32)", [3], await xp.toHost(ab), [1, 2, 3], 0, 0, true);
    const mx = xp.maximum(a, b);
    ok(mx.dtype === "int32", `maximum(int32, int32) has dtype ${mx.dtype}`);
    checkValues("maximum(int32, int32)", [3], await xp.toHost(mx), [4, 5, 3], 0, 0, true);
    const q = xp.divide(a, b);
    const df = raw.__array_namespace_info__().default_dtypes()["real floating"];
    ok(q.dtype === df, `divide(int32, int32) has dtype ${q.dtype}, expected ${df}`);
    checkValues("divide(int32, int32)", [3], await xp.toHost(q), [0.25, -0.4, -0.5], 1e-6, 0);
    const eq = xp.equal(a, 3);
    ok(eq.dtype === "bool", `equal(int32, 3) has dtype ${eq.dtype}`);
    checkValues("equal(int32, 3)", [3], await xp.toHost(eq), [0, 0, 1], 0, 0, true);
    if (ds.includes("int8") && ds.includes("uint8") && ds.includes("int16")) {
      const i8 = xp.asarray([-1, 2], { dtype: "int8" }),
        u8 = xp.asarray([200, 3], { dtype: "uint8" });
      const p = xp.add(i8, u8);
      ok(p.dtype === "int16", `add(int8, uint8) has dtype ${p.dtype}, expected int16`);
      checkValues("add(int8, uint8)", [2], await xp.toHost(p), [199, 5], 0, 0, true);
    }
  });

  add("promotion.bool_arrays", async ({ xp }) => {
    const t = xp.asarray([true, false, true]), f = xp.asarray([false, false, true]);
    ok(t.dtype === "bool", `asarray([true, false, true]) has dtype ${t.dtype}`);
    const and = xp.logical_and(t, f), or = xp.logical_or(t, false), not = xp.logical_not(t);
    for (
      const [n, v, want] of [["logical_and", and, [0, 0, 1]], ["logical_or(x, false)", or, [
        1,
        0,
        1,
      ]], [
        "logical_not",
        not,
        [0, 1, 0],
      ]] as const
    ) {
      ok(v.dtype === "bool", `${n} has dtype ${v.dtype}`);
      checkValues(n, [3], await xp.toHost(v), want, 0, 0, true);
    }
    const eq = xp.equal(t, f);
    ok(eq.dtype === "bool", `equal(bool, bool) has dtype ${eq.dtype}`);
    checkValues("equal(bool, bool)", [3], await xp.toHost(eq), [0, 1, 1], 0, 0, true);
  });

  add("creation.asarray_typed_integers", async ({ xp, raw }) => {
    const ds = supportedDTypes(raw);
    const i = xp.asarray(new Int32Array([1, -2, 3]));
    ok(i.dtype === "int32", `asarray(Int32Array) has dtype ${i.dtype}`);
    checkValues("asarray(Int32Array)", [3], await xp.toHost(i), [1, -2, 3], 0, 0, true);
    if (ds.includes("uint8")) {
      const u = xp.asarray(new Uint8Array([0, 255]));
      ok(u.dtype === "uint8", `asarray(Uint8Array) has dtype ${u.dtype}`);
      checkValues("asarray(Uint8Array)", [2], await xp.toHost(u), [0, 255], 0, 0, true);
    }
    const b = xp.asarray([[true], [false]]);
    checkShape("asarray([[true], [false]])", b, [2, 1]);
    ok(b.dtype === "bool", `asarray of nested booleans has dtype ${b.dtype}`);
    const z = xp.asarray(true);
    checkShape("asarray(true)", z, []);
    ok(z.dtype === "bool", `asarray(true) has dtype ${z.dtype}`);
    // Fractions with an integer dtype: the standard allows refusing (TypeError) or casting;
    // a cast must truncate toward zero like astype.
    let c: Arr | undefined;
    try {
      c = xp.asarray([1.9, -1.9, 7], { dtype: "int32" });
    } catch (e) {
      ok(e instanceof TypeError, `asarray([1.9, -1.9, 7], int32) threw ${e}, not a TypeError`);
    }
    if (c) {
      checkValues(
        "asarray([1.9, -1.9, 7], int32)",
        [3],
        await xp.toHost(c),
        [1, -1, 7],
        0,
        0,
        true,
      );
    }
  });

  add("creation.integer_functions", async ({ xp }) => {
    const a = xp.arange(0, 5, 1, { dtype: "int32" });
    ok(a.dtype === "int32", `arange(0, 5, 1, int32) has dtype ${a.dtype}`);
    checkValues("arange int32", [5], await xp.toHost(a), [0, 1, 2, 3, 4], 0, 0, true);
    const f = xp.full([2], -7, { dtype: "int32" });
    checkValues("full([2], -7, int32)", [2], await xp.toHost(f), [-7, -7], 0, 0, true);
    const t = xp.full([2, 2], true);
    ok(t.dtype === "bool", `full([2, 2], true) has dtype ${t.dtype}`);
    checkValues("full([2, 2], true)", [2, 2], await xp.toHost(t), [1, 1, 1, 1], 0, 0, true);
    const e = xp.eye(2, 3, { dtype: "int32" });
    checkValues("eye(2, 3, int32)", [2, 3], await xp.toHost(e), [1, 0, 0, 0, 1, 0], 0, 0, true);
    const z = xp.zeros([2], { dtype: "bool" });
    checkValues("zeros([2], bool)", [2], await xp.toHost(z), [0, 0], 0, 0, true);
  });

  add("host.integer_and_bool_classes", async ({ xp, raw }) => {
    for (const d of supportedDTypes(raw)) {
      if (refIsdtype(d, "complex floating") || d === "int64" || d === "uint64") continue;
      const x = xp.asarray(d === "bool" ? [true, false] : [1, 0], { dtype: d });
      const h = await xp.toHost(x);
      ok(
        className(h) === hostClass(d),
        `toHost of a ${d} array returned a ${className(h)}, expected ${hostClass(d)}`,
      );
      checkValues(`toHost(${d} [1, 0])`, [2], h, [1, 0], 0, 0, true);
    }
  });

  add("errors.unknown_dtype", ({ xp }) => {
    const bad = "float128" as DType;
    throws("zeros(2, { dtype: float128 })", () => xp.zeros([2], { dtype: bad }), "TypeError", [
      "float128",
    ]);
    throws(
      "asarray([1], { dtype: float128 })",
      () => xp.asarray([1], { dtype: bad }),
      "TypeError",
      [
        "float128",
      ],
    );
    const x = xp.zeros([2], { dtype: "float32" });
    throws("astype(x, float128)", () => xp.astype(x, bad), "TypeError", ["float128"]);
  });

  add("errors.unsupported_dtype", ({ xp, raw }) => {
    const ds = supportedDTypes(raw);
    for (const d of ALL_DTYPES) {
      if (ds.includes(d)) continue;
      throws(
        `zeros(2, { dtype: ${d} }) (unsupported)`,
        () => xp.zeros([2], { dtype: d }),
        "TypeError",
        [
          d,
        ],
      );
      throws(
        `asarray([1], { dtype: ${d} }) (unsupported)`,
        () => xp.asarray([1], { dtype: d }),
        "TypeError",
        [
          d,
        ],
      );
    }
  });

  add("errors.int_array_with_fraction", ({ xp }) => {
    const i = xp.asarray([1, 2], { dtype: "int32" });
    throws("add(int32 array, 2.5)", () => xp.add(i, 2.5), "TypeError", ["2.5"]);
    throws("multiply(0.5, int32 array)", () => xp.multiply(0.5, i), "TypeError", ["0.5"]);
  });

  add("errors.bool_with_number", ({ xp }) => {
    const b = xp.asarray([true, false]), f = xp.asarray([1, 2], { dtype: "float32" });
    throws("add(bool array, float32 array)", () => xp.add(b, f), "TypeError", ["bool", "float32"]);
    throws("add(bool array, 1)", () => xp.add(b, 1), "TypeError", ["bool"]);
  });

  add("errors.where_condition_dtype", ({ xp }) => {
    const c = xp.asarray([1, 0], { dtype: "float32" }), x = xp.zeros([2], { dtype: "float32" });
    throws("where(float32 condition, x, y)", () => xp.where(c, x, x), "TypeError", ["float32"]);
  });

  return defs;
}

// =====================================================================================
// Cases in one float dtype
// =====================================================================================

function dtypeCases(raw: X, medium: boolean): Def[] {
  return [
    ...creationCases(),
    ...broadcastCases(),
    ...manipulationCases(),
    ...elementwiseCases(),
    ...reductionCases(medium),
    ...matmulCases(medium),
    ...linalgCases(),
    ...hostCases(),
    ...fuseCases(medium),
    ...csrCases(raw, medium),
    ...errorCases(),
  ];
}

function typedFor(dt: FloatDType, values: number[]): Float32Array | Float64Array {
  return dt === "float64" ? new Float64Array(values) : new Float32Array(values);
}

function otherFloat(c: Ctx): FloatDType | undefined {
  const o = c.dt === "float64" ? "float32" : "float64";
  return c.has(o) ? o : undefined;
}

// ---------------------------------------------------------------------- creation

function creationCases(): Def[] {
  const d: Def[] = [];
  const add = (name: string, body: Body) => d.push([`creation.${name}`, body]);

  add("asarray_nested", async (c) => {
    const x = c.a([[1, 2, 3], [4, 5, 6]]);
    await c.same("asarray 2-D", x, [2, 3], [1, 2, 3, 4, 5, 6]);
    const dev = c.raw.__array_namespace_info__().default_device();
    ok(x.device === dev, `asarray(...).device is ${x.device}, expected ${dev}`);
    const y = c.a([[[1], [2]], [[3], [4]]]);
    await c.same("asarray 3-D", y, [2, 2, 1], [1, 2, 3, 4]);
    const z = c.a([0.1, -1e-3, 12345.678]);
    await c.same("asarray rounds to dtype", z, [3], [0.1, -1e-3, 12345.678].map(c.r));
  });

  add("asarray_typed", async (c) => {
    const f = c.xp.asarray(new Float32Array([1.5, -2]));
    await c.same("asarray(Float32Array)", f, [2], [1.5, -2], "float32");
    if (c.has("float64")) {
      const g = c.xp.asarray(new Float64Array([0.1, 3]));
      await c.same("asarray(Float64Array)", g, [2], [0.1, 3], "float64");
    }
    const h = c.xp.asarray(new Float64Array([0.1, 3]), { dtype: c.dt });
    await c.same("asarray(Float64Array, { dtype })", h, [2], [c.r(0.1), 3]);
    const i = c.xp.asarray(new Int32Array([7, -8]), { dtype: c.dt });
    await c.same("asarray(Int32Array, { dtype })", i, [2], [7, -8]);
    const l = c.xp.asarray([5, 6, 7] as ArrayLike<number>, { dtype: c.dt });
    await c.same("asarray(plain array)", l, [3], [5, 6, 7]);
  });

  add("asarray_scalar", async (c) => {
    const s = c.xp.asarray(2.5, { dtype: c.dt });
    await c.same("asarray(2.5)", s, [], [2.5]);
    const n = c.xp.asarray(NaN, { dtype: c.dt });
    await c.same("asarray(NaN)", n, [], [NaN]);
    const i = c.xp.asarray(-Infinity, { dtype: c.dt });
    await c.same("asarray(-Infinity)", i, [], [-Infinity]);
  });

  add("asarray_empty", async (c) => {
    await c.same("asarray([])", c.a([]), [0], []);
    await c.same("asarray([[], []])", c.a([[], []]), [2, 0], []);
  });

  add("asarray_ragged", (c) => {
    throws("asarray([[1, 2], [3]])", () => c.a([[1, 2], [3]]), "RangeError");
    throws("asarray([[1], 2])", () => c.a([[1], 2]), "RangeError");
  });

  add("asarray_copy", async (c) => {
    const src = typedFor(c.dt, [1, 2, 3]);
    const a = c.xp.asarray(src, { dtype: c.dt, copy: true });
    src[0] = 99;
    await c.same("asarray(typed, { copy: true }) after the source changed", a, [3], [1, 2, 3]);
    const b = c.xp.asarray(a);
    await c.same("asarray(array)", b, [3], [1, 2, 3]);
    const cc = c.xp.asarray(a, { copy: true });
    await c.same("asarray(array, { copy: true })", cc, [3], [1, 2, 3]);
    const d = c.xp.asarray(a, { dtype: c.dt, copy: false });
    await c.same("asarray(array, { copy: false }) (no copy needed)", d, [3], [1, 2, 3]);
    throws(
      "asarray(nested list, { copy: false }) (a copy is needed)",
      () => c.xp.asarray([1, 2], { dtype: c.dt, copy: false }),
      "RangeError|TypeError",
    );
    const o = otherFloat(c);
    if (o) {
      throws(
        `asarray(${c.dt} array, { dtype: ${o}, copy: false })`,
        () => c.xp.asarray(a, { dtype: o, copy: false }),
        "RangeError|TypeError",
      );
      const e = c.xp.asarray(a, { dtype: o });
      await c.same(`asarray(${c.dt} array, { dtype: ${o} })`, e, [3], [1, 2, 3], o);
    }
  });

  add("zeros_ones_empty", async (c) => {
    const dt = c.dt;
    await c.same("zeros(3)", c.xp.zeros(3, { dtype: dt }), [3], [0, 0, 0]);
    await c.same("zeros([2, 3])", c.xp.zeros([2, 3], { dtype: dt }), [2, 3], new Array(6).fill(0));
    await c.same("ones([2, 2])", c.xp.ones([2, 2], { dtype: dt }), [2, 2], [1, 1, 1, 1]);
    await c.same("zeros([])", c.xp.zeros([], { dtype: dt }), [], [0]);
    await c.same("ones([])", c.xp.ones([], { dtype: dt }), [], [1]);
    await c.same("zeros([0, 3])", c.xp.zeros([0, 3], { dtype: dt }), [0, 3], []);
    await c.expect("empty([2, 3])", c.xp.empty([2, 3], { dtype: dt }), [2, 3], null);
    await c.expect("empty([0])", c.xp.empty([0], { dtype: dt }), [0], null);
    throws("zeros([-1])", () => c.xp.zeros([-1], { dtype: dt }), "RangeError", ["-1"]);
    throws("ones([2.5])", () => c.xp.ones([2.5], { dtype: dt }), "RangeError", ["2.5"]);
  });

  add("full", async (c) => {
    const dt = c.dt;
    await c.same(
      "full([2, 2], 2.5)",
      c.xp.full([2, 2], 2.5, { dtype: dt }),
      [2, 2],
      [2.5, 2.5, 2.5, 2.5],
    );
    await c.same("full(3, NaN)", c.xp.full(3, NaN, { dtype: dt }), [3], [NaN, NaN, NaN]);
    await c.same("full([], -Infinity)", c.xp.full([], -Infinity, { dtype: dt }), [], [-Infinity]);
    await c.same("full([1], 0.1)", c.xp.full([1], 0.1, { dtype: dt }), [1], [c.r(0.1)]);
    const df = c.raw.__array_namespace_info__().default_dtypes()["real floating"];
    await c.same("full([2], 1.5) without dtype", c.xp.full([2], 1.5), [2], [1.5, 1.5], df);
  });

  add("eye", async (c) => {
    const o = { dtype: c.dt };
    await c.same("eye(3)", c.xp.eye(3, null, o), [3, 3], heye(3));
    await c.same(
      "eye(2, 4, { k: 1 })",
      c.xp.eye(2, 4, { ...o, k: 1 }),
      [2, 4],
      [0, 1, 0, 0, 0, 0, 1, 0],
    );
    await c.same(
      "eye(3, null, { k: -1 })",
      c.xp.eye(3, null, { ...o, k: -1 }),
      [3, 3],
      [0, 0, 0, 1, 0, 0, 0, 1, 0],
    );
    await c.same("eye(3, 2)", c.xp.eye(3, 2, o), [3, 2], [1, 0, 0, 1, 0, 0]);
    await c.same("eye(2, 2, { k: 5 })", c.xp.eye(2, 2, { ...o, k: 5 }), [2, 2], [0, 0, 0, 0]);
    await c.same("eye(0)", c.xp.eye(0, null, o), [0, 0], []);
  });

  add("arange", async (c) => {
    const o = { dtype: c.dt };
    await c.same("arange(5)", c.xp.arange(5, undefined, undefined, o), [5], [0, 1, 2, 3, 4]);
    await c.same("arange(1, 2, 0.25)", c.xp.arange(1, 2, 0.25, o), [4], [1, 1.25, 1.5, 1.75]);
    await c.same("arange(5, 0, -2)", c.xp.arange(5, 0, -2, o), [3], [5, 3, 1]);
    await c.same("arange(0)", c.xp.arange(0, undefined, undefined, o), [0], []);
    await c.same("arange(3, 3)", c.xp.arange(3, 3, undefined, o), [0], []);
    await c.same("arange(2, 0)", c.xp.arange(2, 0, undefined, o), [0], []);
    const t = c.xp.arange(0, 1, 0.1, o);
    await c.expect(
      "arange(0, 1, 0.1)",
      t,
      [10],
      range(10, (i) => c.r(i * 0.1)),
      { rtol: c.tol, atol: c.tol },
    );
  });

  add("linspace", async (c) => {
    const o = { dtype: c.dt };
    await c.same("linspace(0, 1, 5)", c.xp.linspace(0, 1, 5, o), [5], [0, 0.25, 0.5, 0.75, 1]);
    await c.expect(
      "linspace(0, 1, 5, { endpoint: false })",
      c.xp.linspace(0, 1, 5, { ...o, endpoint: false }),
      [5],
      [0, 0.2, 0.4, 0.6, 0.8].map(c.r),
      { atol: c.tol },
    );
    await c.same("linspace(2, 3, 1)", c.xp.linspace(2, 3, 1, o), [1], [2]);
    await c.same("linspace(0, 1, 0)", c.xp.linspace(0, 1, 0, o), [0], []);
    await c.same("linspace(1, 0, 3)", c.xp.linspace(1, 0, 3, o), [3], [1, 0.5, 0]);
    const h = await c.get(c.xp.linspace(0, 0.3, 7, o));
    ok(h[6] === c.r(0.3), `linspace(0, 0.3, 7) ends at ${h[6]}, expected exactly ${c.r(0.3)}`);
  });

  add("like", async (c) => {
    const x = c.a([[1, 2, 3], [4, 5, 6]]);
    await c.same("zeros_like", c.xp.zeros_like(x), [2, 3], new Array(6).fill(0));
    await c.same("ones_like", c.xp.ones_like(x), [2, 3], new Array(6).fill(1));
    await c.same("full_like(x, 3.5)", c.xp.full_like(x, 3.5), [2, 3], new Array(6).fill(3.5));
    await c.expect("empty_like", c.xp.empty_like(x), [2, 3], null);
    await c.expect(
      "zeros_like(x, int32)",
      c.xp.zeros_like(x, { dtype: "int32" }),
      [2, 3],
      null,
      { dtype: "int32" },
    );
    await c.same(
      "full_like(x, 2, int32)",
      c.xp.full_like(x, 2, { dtype: "int32" }),
      [2, 3],
      [2, 2, 2, 2, 2, 2],
      "int32",
    );
    const z = c.xp.zeros_like(c.xp.zeros([0, 2], { dtype: c.dt }));
    await c.expect("zeros_like of (0, 2)", z, [0, 2], []);
    const s = c.xp.ones_like(c.xp.asarray(3, { dtype: c.dt }));
    await c.same("ones_like of a 0-d array", s, [], [1]);
  });

  return d;
}

// ---------------------------------------------------------------------- broadcasting

function broadcastCases(): Def[] {
  const d: Def[] = [];
  const add = (name: string, body: Body) => d.push([`broadcast.${name}`, body]);

  add("five_vs_three_by_one", async (c) => {
    const a = c.a([0, 1, 2, 3, 4]), b = c.a([[10], [20], [30]]);
    const want = range(15, (i) => 10 * (Math.floor(i / 5) + 1) + (i % 5));
    await c.same("add((5,), (3, 1))", c.xp.add(a, b), [3, 5], want);
    await c.same("add((3, 1), (5,))", c.xp.add(b, a), [3, 5], want);
    const m = range(15, (i) => 10 * (Math.floor(i / 5) + 1) * (i % 5));
    await c.same("multiply((5,), (3, 1))", c.xp.multiply(a, b), [3, 5], m);
  });

  add("zero_d", async (c) => {
    const s = c.xp.asarray(2, { dtype: c.dt }), x = c.a([[1, 2, 3], [4, 5, 6]]);
    await c.same("add((), (2, 3))", c.xp.add(s, x), [2, 3], [3, 4, 5, 6, 7, 8]);
    await c.same("multiply((2, 3), ())", c.xp.multiply(x, s), [2, 3], [2, 4, 6, 8, 10, 12]);
    await c.same("add((), ())", c.xp.add(s, s), [], [4]);
    await c.same("negative(())", c.xp.negative(s), [], [-2]);
    await c.same("sum(())", c.xp.sum(s), [], [2]);
  });

  add("empty_batches", async (c) => {
    const z03 = c.xp.zeros([0, 3], { dtype: c.dt });
    await c.expect("add((0, 3), (3,))", c.xp.add(z03, c.a([1, 2, 3])), [0, 3], []);
    await c.expect(
      "add((0, 1), (1, 4))",
      c.xp.add(c.xp.zeros([0, 1], { dtype: c.dt }), c.xp.ones([1, 4], { dtype: c.dt })),
      [0, 4],
      [],
    );
    await c.expect("add((0,), 1)", c.xp.add(c.xp.zeros([0], { dtype: c.dt }), 1), [0], []);
    await c.expect(
      "add((2, 0), (2, 1))",
      c.xp.add(c.xp.zeros([2, 0], { dtype: c.dt }), c.xp.ones([2, 1], { dtype: c.dt })),
      [2, 0],
      [],
    );
    await c.expect("sum((0, 3), axis -1)", c.xp.sum(z03, { axis: -1 }), [0], []);
    await c.expect("vecdot((0, 3), (3,))", c.xp.vecdot(z03, c.a([1, 2, 3])), [0], []);
    await c.expect("where on (0, 3)", c.xp.where(c.xp.less(z03, 1), z03, 2), [0, 3], []);
  });

  add("functions", async (c) => {
    const s = c.xp.broadcast_shapes([5], [3, 1]);
    ok(s.join() === "3,5", `broadcast_shapes((5,), (3, 1)) is ${fmtShape(s)}`);
    const t = c.xp.broadcast_shapes([2, 1, 4], [3, 1], []);
    ok(t.join() === "2,3,4", `broadcast_shapes((2, 1, 4), (3, 1), ()) is ${fmtShape(t)}`);
    const z = c.xp.broadcast_shapes([0], [1]);
    ok(z.join() === "0", `broadcast_shapes((0,), (1,)) is ${fmtShape(z)}`);
    const a = c.a([[1], [2], [3]]);
    const b = c.xp.broadcast_to(a, [2, 3, 4]);
    const want = range(24, (i) => Math.floor(i / 4) % 3 + 1);
    await c.same("broadcast_to((3, 1), (2, 3, 4))", b, [2, 3, 4], want);
    const e = c.xp.broadcast_to(c.xp.asarray(7, { dtype: c.dt }), [2, 2]);
    await c.same("broadcast_to((), (2, 2))", e, [2, 2], [7, 7, 7, 7]);
    const [p, q] = c.xp.broadcast_arrays(a, c.a([10, 20, 30, 40]));
    await c.same("broadcast_arrays[0]", p, [3, 4], range(12, (i) => Math.floor(i / 4) + 1));
    await c.same("broadcast_arrays[1]", q, [3, 4], range(12, (i) => 10 * (i % 4 + 1)));
  });

  add("errors", (c) => {
    throws(
      "broadcast_shapes((2, 3), (3, 2))",
      () => c.xp.broadcast_shapes([2, 3], [3, 2]),
      "RangeError",
      ["(2, 3)", "(3, 2)"],
    );
    throws(
      "broadcast_to((3,), (4,))",
      () => c.xp.broadcast_to(c.xp.zeros([3], { dtype: c.dt }), [4]),
      "RangeError",
      ["(3,)", "(4,)"],
    );
    throws(
      "broadcast_to((2, 3), (3,))",
      () => c.xp.broadcast_to(c.xp.zeros([2, 3], { dtype: c.dt }), [3]),
      "RangeError",
      ["(2, 3)", "(3,)"],
    );
    throws(
      "broadcast_arrays((2,), (3,))",
      () =>
        c.xp.broadcast_arrays(c.xp.zeros([2], { dtype: c.dt }), c.xp.zeros([3], { dtype: c.dt })),
      "RangeError",
      ["(2,)", "(3,)"],
    );
  });

  return d;
}

// ---------------------------------------------------------------------- manipulation

function manipulationCases(): Def[] {
  const d: Def[] = [];
  const add = (name: string, body: Body) => d.push([`manip.${name}`, body]);
  const x234 = (c: Ctx) => c.xp.reshape(c.xp.arange(0, 24, 1, { dtype: c.dt }), [2, 3, 4]);

  add("reshape", async (c) => {
    const x = c.xp.arange(0, 6, 1, { dtype: c.dt });
    const v = range(6);
    await c.same("reshape((6,), (2, 3))", c.xp.reshape(x, [2, 3]), [2, 3], v);
    await c.same("reshape((6,), (3, -1))", c.xp.reshape(x, [3, -1]), [3, 2], v);
    await c.same("reshape((2, 3), (-1,))", c.xp.reshape(c.xp.reshape(x, [2, 3]), [-1]), [6], v);
    await c.same("reshape((6,), (1, 6, 1))", c.xp.reshape(x, [1, 6, 1]), [1, 6, 1], v);
    const one = c.a([5]);
    await c.same("reshape((1,), ())", c.xp.reshape(one, []), [], [5]);
    await c.same("reshape((), (1, 1))", c.xp.reshape(c.xp.reshape(one, []), [1, 1]), [1, 1], [5]);
    const e = c.xp.zeros([0, 3], { dtype: c.dt });
    await c.expect("reshape((0, 3), (-1,))", c.xp.reshape(e, [-1]), [0], []);
    await c.expect("reshape((0, 3), (3, 0))", c.xp.reshape(e, [3, 0]), [3, 0], []);
  });

  add("reshape_after_transpose", async (c) => {
    const x = c.xp.reshape(c.xp.arange(0, 6, 1, { dtype: c.dt }), [2, 3]);
    const t = c.xp.permute_dims(x, [1, 0]);
    await c.same(
      "reshape(transpose((2, 3)), (-1,))",
      c.xp.reshape(t, [-1]),
      [6],
      [0, 3, 1, 4, 2, 5],
    );
    const m = c.xp.matrix_transpose(x);
    await c.same(
      "reshape(matrix_transpose, (2, 3))",
      c.xp.reshape(m, [2, 3]),
      [2, 3],
      [0, 3, 1, 4, 2, 5],
    );
  });

  add("reshape_errors", (c) => {
    const x = c.xp.arange(0, 6, 1, { dtype: c.dt });
    throws(
      "reshape((6,), (4, 2))",
      () => c.xp.reshape(x, [4, 2]),
      "RangeError",
      ["(6,)", "(4, 2)"],
    );
    throws("reshape((6,), (-1, -1))", () => c.xp.reshape(x, [-1, -1]), "RangeError");
    throws("reshape((6,), (4, -1))", () => c.xp.reshape(x, [4, -1]), "RangeError", ["(6,)"]);
  });

  add("expand_dims_squeeze", async (c) => {
    const x = c.a([[1, 2, 3], [4, 5, 6]]);
    const v = [1, 2, 3, 4, 5, 6];
    await c.same("expand_dims(axis 0)", c.xp.expand_dims(x, { axis: 0 }), [1, 2, 3], v);
    await c.same("expand_dims(default axis)", c.xp.expand_dims(x), [1, 2, 3], v);
    await c.same("expand_dims(axis 1)", c.xp.expand_dims(x, { axis: 1 }), [2, 1, 3], v);
    await c.same("expand_dims(axis -1)", c.xp.expand_dims(x, { axis: -1 }), [2, 3, 1], v);
    const y = c.xp.reshape(x, [1, 2, 1, 3]);
    await c.same("squeeze(axis 0)", c.xp.squeeze(y, 0), [2, 1, 3], v);
    await c.same("squeeze(axis -2)", c.xp.squeeze(y, -2), [1, 2, 3], v);
    await c.same("squeeze(axes [0, 2])", c.xp.squeeze(y, [0, 2]), [2, 3], v);
    throws(
      "squeeze((1, 2, 1, 3), axis 1)",
      () => c.xp.squeeze(y, 1),
      "RangeError",
      ["(1, 2, 1, 3)"],
    );
    throws("expand_dims((2, 3), axis 4)", () => c.xp.expand_dims(x, { axis: 4 }), "RangeError");
  });

  add("expand_dims_multiple", async (c) => {
    const x = c.a([[1, 2, 3], [4, 5, 6]]);
    await c.same(
      "expand_dims(axis [0, 3])",
      c.xp.expand_dims(x, { axis: [0, 3] }),
      [1, 2, 3, 1],
      [1, 2, 3, 4, 5, 6],
    );
  });

  add("stack", async (c) => {
    const a = c.a([1, 2, 3]), b = c.a([4, 5, 6]);
    await c.same("stack axis 0", c.xp.stack([a, b]), [2, 3], [1, 2, 3, 4, 5, 6]);
    await c.same("stack axis 1", c.xp.stack([a, b], { axis: 1 }), [3, 2], [1, 4, 2, 5, 3, 6]);
    await c.same("stack axis -1", c.xp.stack([a, b], { axis: -1 }), [3, 2], [1, 4, 2, 5, 3, 6]);
    const p = c.a([[1, 2], [3, 4]]), q = c.a([[5, 6], [7, 8]]);
    await c.same(
      "stack 2-D axis 1",
      c.xp.stack([p, q], { axis: 1 }),
      [2, 2, 2],
      [1, 2, 5, 6, 3, 4, 7, 8],
    );
    await c.same("stack of one", c.xp.stack([a]), [1, 3], [1, 2, 3]);
    throws("stack((3,), (2,))", () => c.xp.stack([a, c.a([1, 2])]), "RangeError", ["(3,)", "(2,)"]);
  });

  add("concat", async (c) => {
    const p = c.a([[1, 2], [3, 4]]), q = c.a([[5, 6]]), r = c.a([[7], [8]]);
    await c.same("concat axis 0", c.xp.concat([p, q]), [3, 2], [1, 2, 3, 4, 5, 6]);
    await c.same("concat axis 1", c.xp.concat([p, r], { axis: 1 }), [2, 3], [1, 2, 7, 3, 4, 8]);
    await c.same("concat axis -1", c.xp.concat([r, p], { axis: -1 }), [2, 3], [7, 1, 2, 8, 3, 4]);
    await c.same("concat axis null", c.xp.concat([p, r], { axis: null }), [6], [1, 2, 3, 4, 7, 8]);
    const e = c.xp.zeros([0, 2], { dtype: c.dt });
    await c.same("concat with (0, 2)", c.xp.concat([e, q, e]), [1, 2], [5, 6]);
    throws(
      "concat((2, 2), (2, 1)) axis 0",
      () => c.xp.concat([p, r]),
      "RangeError",
      ["(2, 2)", "(2, 1)"],
    );
  });

  add("permute_dims", async (c) => {
    const x = x234(c);
    const want: number[] = [];
    for (let k = 0; k < 4; k++) {
      for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) want.push(i * 12 + j * 4 + k);
    }
    await c.same(
      "permute_dims((2, 3, 4), [2, 0, 1])",
      c.xp.permute_dims(x, [2, 0, 1]),
      [4, 2, 3],
      want,
    );
    const mt: number[] = [];
    for (let i = 0; i < 2; i++) {
      for (let k = 0; k < 4; k++) for (let j = 0; j < 3; j++) mt.push(i * 12 + j * 4 + k);
    }
    await c.same("matrix_transpose((2, 3, 4))", c.xp.matrix_transpose(x), [2, 4, 3], mt);
    throws("permute_dims(x, [0, 0, 1])", () => c.xp.permute_dims(x, [0, 0, 1]), "RangeError");
    throws("permute_dims(x, [0, 1])", () => c.xp.permute_dims(x, [0, 1]), "RangeError");
  });

  add("moveaxis", async (c) => {
    const x = x234(c);
    const want: number[] = [];
    for (let j = 0; j < 3; j++) {
      for (let k = 0; k < 4; k++) for (let i = 0; i < 2; i++) want.push(i * 12 + j * 4 + k);
    }
    await c.same("moveaxis(x, 0, -1)", c.xp.moveaxis(x, 0, -1), [3, 4, 2], want);
    const w2: number[] = [];
    for (let k = 0; k < 4; k++) {
      for (let j = 0; j < 3; j++) for (let i = 0; i < 2; i++) w2.push(i * 12 + j * 4 + k);
    }
    await c.same(
      "moveaxis(x, [0, 1], [-1, -2])",
      c.xp.moveaxis(x, [0, 1], [-1, -2]),
      [4, 3, 2],
      w2,
    );
  });

  add("flip", async (c) => {
    const x = c.a([[1, 2, 3], [4, 5, 6]]);
    await c.same("flip all", c.xp.flip(x), [2, 3], [6, 5, 4, 3, 2, 1]);
    await c.same("flip axis 0", c.xp.flip(x, { axis: 0 }), [2, 3], [4, 5, 6, 1, 2, 3]);
    await c.same("flip axis -1", c.xp.flip(x, { axis: -1 }), [2, 3], [3, 2, 1, 6, 5, 4]);
    await c.same("flip axes [0, 1]", c.xp.flip(x, { axis: [0, 1] }), [2, 3], [6, 5, 4, 3, 2, 1]);
  });

  add("take", async (c) => {
    const v = c.a([10, 11, 12, 13, 14]);
    const i = c.xp.asarray([4, 0, 2, 2], { dtype: "int32" });
    await c.same("take 1-D", c.xp.take(v, i), [4], [14, 10, 12, 12]);
    const x = c.a([[1, 2, 3], [4, 5, 6]]);
    const j = c.xp.asarray([2, 0], { dtype: "int32" });
    await c.same("take axis 1", c.xp.take(x, j, { axis: 1 }), [2, 2], [3, 1, 6, 4]);
    const k = c.xp.asarray([1, 1, 0], { dtype: "int32" });
    await c.same("take axis 0", c.xp.take(x, k, { axis: 0 }), [3, 3], [4, 5, 6, 4, 5, 6, 1, 2, 3]);
    const e = c.xp.asarray(new Int32Array(0));
    await c.expect("take with no indices", c.xp.take(x, e, { axis: 1 }), [2, 0], []);
  });

  add("tile", async (c) => {
    const a = c.a([1, 2]);
    await c.same("tile((2,), [3])", c.xp.tile(a, [3]), [6], [1, 2, 1, 2, 1, 2]);
    await c.same("tile((2,), [2, 2])", c.xp.tile(a, [2, 2]), [2, 4], [1, 2, 1, 2, 1, 2, 1, 2]);
    const x = c.a([[1, 2], [3, 4]]);
    await c.same("tile((2, 2), [2, 1])", c.xp.tile(x, [2, 1]), [4, 2], [1, 2, 3, 4, 1, 2, 3, 4]);
    await c.same("tile((2, 2), [2])", c.xp.tile(x, [2]), [2, 4], [1, 2, 1, 2, 3, 4, 3, 4]);
  });

  add("astype", async (c) => {
    const x = c.a([-1.7, -0.5, 0, 0.5, 2.9]);
    // float → int truncates toward zero (NumPy/PyTorch, and the fused toInt; the standard
    // leaves it to the implementation)
    await c.same(
      "astype(x, int32) truncates",
      c.xp.astype(x, "int32"),
      [5],
      [-1, 0, 0, 0, 2],
      "int32",
    );
    const y = c.a([0, 2.5, -1, NaN]);
    await c.same("astype(x, bool)", c.xp.astype(y, "bool"), [4], [0, 1, 1, 1], "bool");
    const b = c.xp.asarray([true, false]);
    await c.same("astype(bool, dtype)", c.xp.astype(b, c.dt), [2], [1, 0]);
    const i = c.xp.asarray([3, -4], { dtype: "int32" });
    await c.same("astype(int32, dtype)", c.xp.astype(i, c.dt), [2], [3, -4]);
    await c.same(
      "astype(x, same, copy: false)",
      c.xp.astype(x, c.dt, { copy: false }),
      [5],
      [-1.7, -0.5, 0, 0.5, 2.9].map(c.r),
    );
    const o = otherFloat(c);
    if (o) {
      const z = c.a([0.1, 1e-3]);
      await c.same(
        `astype(x, ${o})`,
        c.xp.astype(z, o),
        [2],
        [c.r(0.1), c.r(1e-3)].map(rounder(o)),
        o,
      );
    }
  });

  return d;
}

// ---------------------------------------------------------------------- elementwise

/** Inputs of the unary checks: signs, zeros, fractions, NaN and infinities. */
const UNARY_IN = [-2.5, -1, -0.5, 0, 0.25, 0.5, 1, 3, NaN, Infinity, -Infinity];

/** Binary checks: pairs of inputs (the standard's special cases included). */
const BINARY_IN: [number, number][] = [
  [1.5, 2],
  [-3, 0.5],
  [0, 0],
  [1, 0],
  [-1, 0],
  [2.5, -2.5],
  [NaN, 1],
  [1, NaN],
  [Infinity, 1],
  [-Infinity, Infinity],
  [Infinity, NaN],
  [0.75, 3],
];

const POW_IN: [number, number][] = [
  [2, 3],
  [-2, 3],
  [-2, 2],
  [0.5, -2],
  [2.5, 0.5],
  [-2, 0.5],
  [NaN, 0],
  [0, 0],
  [0, 2],
  [3, -1],
  [1.5, 2.5],
];

function elementwiseCases(): Def[] {
  const d: Def[] = [];
  const add = (name: string, body: Body) => d.push([`ew.${name}`, body]);

  const unary: [string, (xp: X, x: Arr) => Arr, (v: number) => number][] = [
    ["abs", (xp, x) => xp.abs(x), Math.abs],
    ["negative", (xp, x) => xp.negative(x), (v) => -v],
    ["square", (xp, x) => xp.square(x), (v) => v * v],
    ["floor", (xp, x) => xp.floor(x), Math.floor],
    ["sign", (xp, x) => xp.sign(x), (v) => (Number.isNaN(v) ? NaN : Math.sign(v))],
    ["exp", (xp, x) => xp.exp(x), Math.exp],
    ["log", (xp, x) => xp.log(x), Math.log],
    ["sqrt", (xp, x) => xp.sqrt(x), Math.sqrt],
    ["conj", (xp, x) => xp.conj(x), (v) => v],
  ];
  for (const [name, f, ref] of unary) {
    add(name, async (c) => {
      const x = c.a(UNARY_IN);
      const want = UNARY_IN.map((v) => c.r(ref(c.r(v))));
      await c.expect(
        `${name}(${UNARY_IN.join(", ")})`,
        f(c.xp, x),
        [UNARY_IN.length],
        want,
        { atol: 0 },
      );
    });
  }

  const binary: [
    string,
    (xp: X, a: Arr | number, b: Arr | number) => Arr,
    (a: number, b: number) => number,
  ][] = [
    ["add", (xp, a, b) => xp.add(a, b), (a, b) => a + b],
    ["subtract", (xp, a, b) => xp.subtract(a, b), (a, b) => a - b],
    ["multiply", (xp, a, b) => xp.multiply(a, b), (a, b) => a * b],
    ["divide", (xp, a, b) => xp.divide(a, b), (a, b) => a / b],
    ["maximum", (xp, a, b) => xp.maximum(a, b), (a, b) => Math.max(a, b)],
    ["minimum", (xp, a, b) => xp.minimum(a, b), (a, b) => Math.min(a, b)],
    ["hypot", (xp, a, b) => xp.hypot(a, b), Math.hypot],
  ];
  for (const [name, f, ref] of binary) {
    add(name, async (c) => {
      const a = BINARY_IN.map((p) => p[0]), b = BINARY_IN.map((p) => p[1]);
      const want = BINARY_IN.map(([p, q]) => c.r(ref(c.r(p), c.r(q))));
      const label = `${name}(${BINARY_IN.map((p) => `(${p.join(", ")})`).join(" ")})`;
      await c.expect(label, f(c.xp, c.a(a), c.a(b)), [a.length], want);
      // host scalars on either side keep the array's dtype
      const s = f(c.xp, c.a(a), 2), t = f(c.xp, 2, c.a(b));
      await c.expect(`${name}(x, 2)`, s, [a.length], a.map((p) => c.r(ref(c.r(p), 2))));
      await c.expect(`${name}(2, x)`, t, [b.length], b.map((q) => c.r(ref(2, c.r(q)))));
    });
  }

  add("pow", async (c) => {
    const a = POW_IN.map((p) => p[0]), b = POW_IN.map((p) => p[1]);
    const want = POW_IN.map(([p, q]) => c.r(Math.pow(c.r(p), c.r(q))));
    await c.expect(
      `pow(${POW_IN.map((p) => `(${p.join(", ")})`).join(" ")})`,
      c.xp.pow(c.a(a), c.a(b)),
      [a.length],
      want,
    );
    await c.expect("pow(x, 2)", c.xp.pow(c.a([-3, 0.5, 4]), 2), [3], [9, 0.25, 16]);
    await c.expect("pow(2, x)", c.xp.pow(2, c.a([-1, 0, 3])), [3], [0.5, 1, 8]);
  });

  add("nan_propagation", async (c) => {
    const a = c.a([NaN, 1, NaN, -Infinity]), b = c.a([1, NaN, NaN, NaN]);
    for (
      const [n, r] of [["maximum", c.xp.maximum(a, b)], ["minimum", c.xp.minimum(a, b)]] as const
    ) {
      await c.same(`${n} with NaN operands`, r, [4], [NaN, NaN, NaN, NaN]);
    }
    await c.same("maximum(x, NaN scalar)", c.xp.maximum(c.a([1, 2]), NaN), [2], [NaN, NaN]);
    await c.same(
      "maximum(-inf, inf)",
      c.xp.maximum(c.a([-Infinity]), c.a([Infinity])),
      [1],
      [Infinity],
    );
  });

  add("hypot_no_overflow", async (c) => {
    const big = c.dt === "float64" ? 1e200 : c.dt === "float32" ? 1e30 : 1e3;
    const tiny = c.dt === "float64" ? 1e-200 : c.dt === "float32" ? 1e-30 : 1e-3;
    const h = c.xp.hypot(c.a([3 * big, 3 * tiny]), c.a([4 * big, 4 * tiny]));
    await c.expect(
      "hypot without overflow/underflow",
      h,
      [2],
      [c.r(5 * big), c.r(5 * tiny)],
      { rtol: 4 * c.tol },
    );
  });

  add("isfinite_isinf_isnan", async (c) => {
    const x = c.a([0, 1.5, -1, NaN, Infinity, -Infinity]);
    const o = { dtype: "bool" as DType, exact: true };
    await c.expect("isfinite", c.xp.isfinite(x), [6], [1, 1, 1, 0, 0, 0], o);
    await c.expect("isinf", c.xp.isinf(x), [6], [0, 0, 0, 0, 1, 1], o);
    await c.expect("isnan", c.xp.isnan(x), [6], [0, 0, 0, 1, 0, 0], o);
  });

  add("comparisons", async (c) => {
    const a = c.a([1, 2, 3, NaN, Infinity]), b = c.a([2, 2, 2, NaN, Infinity]);
    const o = { dtype: "bool" as DType, exact: true };
    await c.expect("less", c.xp.less(a, b), [5], [1, 0, 0, 0, 0], o);
    await c.expect("less_equal", c.xp.less_equal(a, b), [5], [1, 1, 0, 0, 1], o);
    await c.expect("greater", c.xp.greater(a, b), [5], [0, 0, 1, 0, 0], o);
    await c.expect("greater_equal", c.xp.greater_equal(a, b), [5], [0, 1, 1, 0, 1], o);
    await c.expect("equal", c.xp.equal(a, b), [5], [0, 1, 0, 0, 1], o);
    await c.expect("not_equal", c.xp.not_equal(a, b), [5], [1, 0, 1, 1, 0], o);
    await c.expect("less(x, 2)", c.xp.less(a, 2), [5], [1, 0, 0, 0, 0], o);
    await c.expect("less(2, x)", c.xp.less(2, a), [5], [0, 0, 1, 0, 1], o);
    await c.expect(
      "equal((3, 1), (2,))",
      c.xp.equal(c.a([[1], [2], [3]]), c.a([1, 3])),
      [3, 2],
      [1, 0, 0, 0, 0, 1],
      o,
    );
  });

  add("where", async (c) => {
    const cond = c.xp.asarray([[true], [false], [true]]);
    const x1 = c.a([1, 2, 3, 4]);
    await c.same(
      "where((3, 1), (4,), 0)",
      c.xp.where(cond, x1, 0),
      [3, 4],
      [1, 2, 3, 4, 0, 0, 0, 0, 1, 2, 3, 4],
    );
    const m = c.xp.asarray([true, false, true]);
    const x = c.a([1, 0, 4]);
    const q = c.xp.where(m, c.xp.divide(1, x), x);
    await c.same("where masks the unselected NaN/Inf", q, [3], [1, 0, 0.25]);
    await c.same("where(m, -1, x)", c.xp.where(m, -1, x), [3], [-1, 0, -1]);
    const nan = c.a([NaN, NaN, NaN]);
    await c.same("where(m, x, NaN array)", c.xp.where(m, x, nan), [3], [1, NaN, 4]);
  });

  add("clip", async (c) => {
    const x = c.a([-2, -0.5, 0.5, 2, NaN]);
    await c.same("clip(-1, 1)", c.xp.clip(x, { min: -1, max: 1 }), [5], [-1, -0.5, 0.5, 1, NaN]);
    await c.same("clip(min 0)", c.xp.clip(x, { min: 0 }), [5], [0, 0, 0.5, 2, NaN]);
    await c.same("clip(max 0)", c.xp.clip(x, { max: 0 }), [5], [-2, -0.5, 0, 0, NaN]);
    const lo = c.a([-3, 0, 0, 0, 0]), hi = c.a([1]);
    await c.same(
      "clip(array bounds)",
      c.xp.clip(x, { min: lo, max: hi }),
      [5],
      [-2, 0, 0.5, 1, NaN],
    );
    await c.same("clip(no bounds)", c.xp.clip(x), [5], [-2, -0.5, 0.5, 2, NaN]);
  });

  add("scalar_operands_keep_dtype", async (c) => {
    const x = c.a([1, 2, 4]);
    const cases: [string, Arr, number[]][] = [
      ["add(x, 0.1)", c.xp.add(x, 0.1), [1, 2, 4].map((v) => v + c.r(0.1))],
      ["subtract(1, x)", c.xp.subtract(1, x), [0, -1, -3]],
      ["divide(1, x)", c.xp.divide(1, x), [1, 0.5, 0.25]],
      ["multiply(x, 0.5)", c.xp.multiply(x, 0.5), [0.5, 1, 2]],
      ["maximum(x, 2.5)", c.xp.maximum(x, 2.5), [2.5, 2.5, 4]],
      ["hypot(x, 0)", c.xp.hypot(x, 0), [1, 2, 4]],
    ];
    for (const [n, r, w] of cases) await c.expect(n, r, [3], w.map(c.r));
    await c.same("add(x, Infinity)", c.xp.add(x, Infinity), [3], [Infinity, Infinity, Infinity]);
  });

  add("correct_rounding", async (c) => {
    // +, −, × and ÷ are correctly rounded in IEEE 754 arithmetic of the dtype.
    const a = rand(16, 1, c.r).map((v) => c.r(v * 10)), b = rand(16, 2, c.r).map((v) => c.r(v + 2));
    const x = c.a(a), y = c.a(b);
    const ops: [string, Arr, (p: number, q: number) => number][] = [
      ["add", c.xp.add(x, y), (p, q) => p + q],
      ["subtract", c.xp.subtract(x, y), (p, q) => p - q],
      ["multiply", c.xp.multiply(x, y), (p, q) => p * q],
      ["divide", c.xp.divide(x, y), (p, q) => p / q],
    ];
    for (const [n, r, f] of ops) {
      await c.same(`${n} correctly rounded`, r, [16], a.map((p, i) => c.r(f(p, b[i]))));
    }
  });

  add("mixed_precision", async (c) => {
    const o = otherFloat(c);
    if (!o) return;
    const x = c.a([0.1, 2]), y = c.xp.asarray([0.2, 3], { dtype: o });
    const s = c.xp.add(x, y);
    const wide = c.dt === "float64" || o === "float64" ? "float64" : "float32";
    await c.expect(
      `add(${c.dt}, ${o})`,
      s,
      [2],
      [c.r(0.1) + rounder(o)(0.2), 5],
      { dtype: wide, rtol: 1e-12 },
    );
  });

  return d;
}

// ---------------------------------------------------------------------- reductions

/** Host reduction of a row-major (2, 3, 4) array over `axes` (sorted). */
function hreduce(
  v: number[],
  shape: number[],
  axes: number[],
  f: (acc: number, x: number) => number,
  init: number,
): { shape: number[]; values: number[] } {
  const outShape = shape.filter((_, i) => !axes.includes(i));
  const size = outShape.reduce((p, q) => p * q, 1);
  const out = new Array<number>(size).fill(init);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((p, q) => p * q, 1));
  for (let flat = 0; flat < v.length; flat++) {
    let o = 0;
    for (let i = 0; i < shape.length; i++) {
      if (axes.includes(i)) continue;
      o = o * shape[i] + Math.floor(flat / strides[i]) % shape[i];
    }
    out[o] = f(out[o], v[flat]);
  }
  return { shape: outShape, values: out };
}

function reductionCases(medium: boolean): Def[] {
  const d: Def[] = [];
  const add = (name: string, body: Body) => d.push([`reduce.${name}`, body]);
  const shape = [2, 3, 4];
  const vals = (c: Ctx) => range(24, (i) => c.r(((i * 7) % 11) * 0.5 - 2));
  const axesCases: { axis: number | number[] | null; norm: number[] }[] = [
    { axis: null, norm: [0, 1, 2] },
    { axis: 0, norm: [0] },
    { axis: -1, norm: [2] },
    { axis: [0, 2], norm: [0, 2] },
    { axis: [-2, -1], norm: [1, 2] },
  ];
  const reds: [
    string,
    (xp: X, x: Arr, o: { axis?: number | number[] | null; keepdims?: boolean }) => Arr,
    (a: number, b: number) => number,
    number,
    boolean,
  ][] = [
    ["sum", (xp, x, o) => xp.sum(x, o), (a, b) => a + b, 0, false],
    ["prod", (xp, x, o) => xp.prod(x, o), (a, b) => a * b, 1, false],
    ["max", (xp, x, o) => xp.max(x, o), (a, b) => Math.max(a, b), -Infinity, false],
    ["min", (xp, x, o) => xp.min(x, o), (a, b) => Math.min(a, b), Infinity, false],
    ["mean", (xp, x, o) => xp.mean(x, o), (a, b) => a + b, 0, true],
  ];
  for (const [name, f, op, init, isMean] of reds) {
    add(`${name}_axes`, async (c) => {
      const v = vals(c);
      const x = c.xp.reshape(c.a(v), shape);
      for (const { axis, norm } of axesCases) {
        const ref = hreduce(v, shape, norm, op, init);
        if (isMean) {
          const n = norm.reduce((p, i) => p * shape[i], 1);
          ref.values = ref.values.map((s) => s / n);
        }
        const lbl = `${name}((2, 3, 4), axis ${JSON.stringify(axis)})`;
        await c.expect(lbl, f(c.xp, x, { axis }), ref.shape, ref.values, { atol: c.tol });
        const kshape = shape.map((s, i) => (norm.includes(i) ? 1 : s));
        await c.expect(
          `${lbl} keepdims`,
          f(c.xp, x, { axis, keepdims: true }),
          kshape,
          ref.values,
          { atol: c.tol },
        );
      }
      await c.expect(`${name}(x) (no options)`, f(c.xp, x, {}), [], null);
    });
  }

  add("empty_axis_list", async (c) => {
    const x = c.a([[1, 2], [3, 4]]);
    await c.same("sum(x, axis [])", c.xp.sum(x, { axis: [] }), [2, 2], [1, 2, 3, 4]);
  });

  add("empty_reductions", async (c) => {
    const e = c.xp.zeros([0], { dtype: c.dt });
    await c.same("sum of (0,)", c.xp.sum(e), [], [0]);
    await c.same("prod of (0,)", c.xp.prod(e), [], [1]);
    await c.same("mean of (0,)", c.xp.mean(e), [], [NaN]);
    const e30 = c.xp.zeros([3, 0], { dtype: c.dt }), e03 = c.xp.zeros([0, 3], { dtype: c.dt });
    await c.same("sum((3, 0), axis 1)", c.xp.sum(e30, { axis: 1 }), [3], [0, 0, 0]);
    await c.same("sum((0, 3), axis 0)", c.xp.sum(e03, { axis: 0 }), [3], [0, 0, 0]);
    await c.expect("max((0, 3), axis 1)", c.xp.max(e03, { axis: 1 }), [0], []);
    const b = c.xp.zeros([0], { dtype: "bool" });
    await c.same("all of (0,)", c.xp.all(b), [], [1], "bool");
    await c.same("any of (0,)", c.xp.any(b), [], [0], "bool");
  });

  add("empty_max_min_error", (c) => {
    const e = c.xp.zeros([0], { dtype: c.dt }), e03 = c.xp.zeros([0, 3], { dtype: c.dt });
    throws("max of (0,)", () => c.xp.max(e), "RangeError", ["(0,)"]);
    throws("min of (0,)", () => c.xp.min(e), "RangeError", ["(0,)"]);
    throws("max((0, 3), axis 0)", () => c.xp.max(e03, { axis: 0 }), "RangeError", ["(0, 3)"]);
  });

  add("max_min_nan", async (c) => {
    const x = c.a([[NaN, 1, 2], [1, NaN, 2], [1, 2, NaN], [1, 3, 2]]);
    await c.same(
      "max with NaN first/middle/last",
      c.xp.max(x, { axis: 1 }),
      [4],
      [NaN, NaN, NaN, 3],
    );
    await c.same(
      "min with NaN first/middle/last",
      c.xp.min(x, { axis: 1 }),
      [4],
      [NaN, NaN, NaN, 1],
    );
    await c.same("sum with NaN", c.xp.sum(x, { axis: 1 }), [4], [NaN, NaN, NaN, 6]);
    const inf = c.a([-Infinity, Infinity, 1]);
    await c.same("max with ±Inf", c.xp.max(inf), [], [Infinity]);
    await c.same("sum(-Inf, Inf)", c.xp.sum(inf), [], [NaN]);
  });

  add("dtype_option", async (c) => {
    const x = c.a([1, 2, 3.5]);
    await c.expect("sum(x, { dtype })", c.xp.sum(x, { dtype: c.dt }), [], [6.5]);
    const o = otherFloat(c);
    if (o) {
      await c.expect(
        `sum(x, { dtype: ${o} })`,
        c.xp.sum(x, { dtype: o }),
        [],
        [6.5],
        { dtype: o },
      );
      await c.expect(
        `prod(x, { dtype: ${o} })`,
        c.xp.prod(x, { dtype: o }),
        [],
        [7],
        { dtype: o },
      );
    }
    const di = c.raw.__array_namespace_info__().default_dtypes().integral;
    const i = c.xp.asarray([1, 2, 3], { dtype: "int32" });
    const si = c.xp.sum(i);
    ok(
      si.dtype === "int32" || si.dtype === di,
      `sum(int32) has dtype ${si.dtype}, expected int32 or the default integer dtype ${di}`,
    );
    checkValues("sum(int32)", [], await c.xp.toHost(si), [6], 0, 0, true);
    const sb = c.xp.sum(c.xp.asarray([true, false, true]));
    ok(refIsdtype(sb.dtype, "integral"), `sum(bool) has dtype ${sb.dtype}, expected an integer`);
    checkValues("sum(bool)", [], await c.xp.toHost(sb), [2], 0, 0, true);
  });

  add("all_any", async (c) => {
    const b = c.xp.asarray([[true, false, true], [true, true, true]]);
    const o = { dtype: "bool" as DType, exact: true };
    await c.expect("all", c.xp.all(b), [], [0], o);
    await c.expect("any", c.xp.any(b), [], [1], o);
    await c.expect("all(axis 1)", c.xp.all(b, { axis: 1 }), [2], [0, 1], o);
    await c.expect(
      "any(axis 0, keepdims)",
      c.xp.any(b, { axis: 0, keepdims: true }),
      [1, 3],
      [1, 1, 1],
      o,
    );
    const f = c.a([1, 0.5, NaN]);
    await c.expect("all(float with NaN)", c.xp.all(f), [], [1], o);
    await c.expect("any(zeros)", c.xp.any(c.xp.zeros([3], { dtype: c.dt })), [], [0], o);
  });

  add("argmax_argmin", async (c) => {
    const x = c.a([[3, 7, 7, 1], [5, 5, -2, -2]]);
    const di = c.raw.__array_namespace_info__().default_dtypes().indexing;
    const chk = async (what: string, r: Arr, shape: number[], want: number[]) => {
      ok(refIsdtype(r.dtype, "integral"), `${what}: dtype ${r.dtype} is not an integer dtype`);
      ok(r.dtype === di, `${what}: dtype ${r.dtype}, expected the default indexing dtype ${di}`);
      await c.expect(what, r, shape, want, { dtype: null, exact: true });
    };
    await chk("argmax (flattened, first of ties)", c.xp.argmax(x), [], [1]);
    await chk("argmin (flattened, first of ties)", c.xp.argmin(x), [], [6]);
    await chk("argmax(axis 1)", c.xp.argmax(x, { axis: 1 }), [2], [1, 0]);
    await chk("argmin(axis -1)", c.xp.argmin(x, { axis: -1 }), [2], [3, 2]);
    await chk("argmax(axis 0, keepdims)", c.xp.argmax(x, { axis: 0, keepdims: true }), [1, 4], [
      1,
      0,
      0,
      0,
    ]);
  });

  add("cumulative_sum", async (c) => {
    const v = c.a([1, 2, 3, 4]);
    await c.same("cumulative_sum 1-D", c.xp.cumulative_sum(v), [4], [1, 3, 6, 10]);
    await c.same(
      "cumulative_sum include_initial",
      c.xp.cumulative_sum(v, { include_initial: true }),
      [5],
      [0, 1, 3, 6, 10],
    );
    const m = c.a([[1, 2, 3], [4, 5, 6]]);
    await c.same(
      "cumulative_sum axis 0",
      c.xp.cumulative_sum(m, { axis: 0 }),
      [2, 3],
      [1, 2, 3, 5, 7, 9],
    );
    await c.same(
      "cumulative_sum axis -1",
      c.xp.cumulative_sum(m, { axis: -1 }),
      [2, 3],
      [1, 3, 6, 4, 9, 15],
    );
    await c.same(
      "cumulative_sum axis 0 include_initial",
      c.xp.cumulative_sum(m, { axis: 0, include_initial: true }),
      [3, 3],
      [0, 0, 0, 1, 2, 3, 5, 7, 9],
    );
    const e = c.xp.zeros([0], { dtype: c.dt });
    await c.expect("cumulative_sum of (0,)", c.xp.cumulative_sum(e), [0], []);
    await c.same(
      "cumulative_sum of (0,) include_initial",
      c.xp.cumulative_sum(e, { include_initial: true }),
      [1],
      [0],
    );
    throws(
      "cumulative_sum of a 2-D array without axis",
      () => c.xp.cumulative_sum(m),
      "RangeError|TypeError",
    );
  });

  add("sum_accuracy", async (c) => {
    // Accumulation error: pairwise or wider accumulation stays within ~log2(n) ulps.
    const n = medium ? 65536 : 4096;
    const v = rand(n, 3, (q) => c.r(0.5 + 0.25 * q));
    const s = v.reduce((p, q) => p + q, 0);
    const got = await c.get(c.xp.sum(c.a(v)));
    const bound = c.tol * Math.max(1, Math.log2(n) / 4);
    ok(
      Math.abs(got[0] - s) <= bound * Math.abs(s),
      `sum of ${n} values in [0.25, 0.75) is ${got[0]}, expected ${s} (relative error ` +
        `${Math.abs(got[0] - s) / s} > ${bound})`,
    );
  });

  return d;
}

// ---------------------------------------------------------------------- matmul & vecdot

function batchedMatmulRef(
  a: number[],
  aShape: number[],
  b: number[],
  bShape: number[],
): { shape: number[]; values: number[] } {
  const [m, k] = aShape.slice(-2), [k2, n] = bShape.slice(-2);
  if (k !== k2) throw new Error("bad reference shapes");
  const ab = aShape.slice(0, -2), bb = bShape.slice(0, -2);
  const nd = Math.max(ab.length, bb.length);
  const pa = [...new Array(nd - ab.length).fill(1), ...ab],
    pb = [...new Array(nd - bb.length).fill(1), ...bb];
  const batch = pa.map((p, i) => Math.max(p, pb[i]));
  const nb = batch.reduce((p, q) => p * q, 1);
  const out: number[] = [];
  for (let t = 0; t < nb; t++) {
    let ia = 0, ib = 0, rem = t;
    const idx: number[] = new Array(nd);
    for (let i = nd - 1; i >= 0; i--) {
      idx[i] = rem % batch[i];
      rem = Math.floor(rem / batch[i]);
    }
    for (let i = 0; i < nd; i++) {
      ia = ia * pa[i] + (pa[i] === 1 ? 0 : idx[i]);
      ib = ib * pb[i] + (pb[i] === 1 ? 0 : idx[i]);
    }
    out.push(...hmatmul(block(a, ia, m * k), block(b, ib, k * n), m, k, n));
  }
  return { shape: [...batch, m, n], values: out };
}

function matmulCases(medium: boolean): Def[] {
  const d: Def[] = [];
  const add = (name: string, body: Body) => d.push([`matmul.${name}`, body]);
  const mat = (c: Ctx, shape: number[], seed: number): [Arr, number[]] => {
    const v = rand(shape.reduce((p, q) => p * q, 1), seed, c.r);
    return [c.xp.reshape(c.a(v), shape), v];
  };

  add("two_d", async (c) => {
    const [m, k, n] = medium ? [37, 129, 23] : [3, 4, 2];
    const [a, av] = mat(c, [m, k], 1), [b, bv] = mat(c, [k, n], 2);
    await c.expect(
      `matmul((${m}, ${k}), (${k}, ${n}))`,
      c.xp.matmul(a, b),
      [m, n],
      hmatmul(av, bv, m, k, n),
      { atol: c.tol * Math.sqrt(k) },
    );
  });

  add("batched_broadcast", async (c) => {
    const [a, av] = mat(c, [2, 1, 3, 4], 3), [b, bv] = mat(c, [5, 4, 2], 4);
    const ref = batchedMatmulRef(av, [2, 1, 3, 4], bv, [5, 4, 2]);
    await c.expect(
      "matmul((2, 1, 3, 4), (5, 4, 2))",
      c.xp.matmul(a, b),
      ref.shape,
      ref.values,
      { atol: c.tol },
    );
    const ref2 = batchedMatmulRef(bv, [5, 4, 2], block(av, 0, 6).concat(), [2, 3]);
    const a23 = c.xp.reshape(c.a(block(av, 0, 6)), [2, 3]);
    await c.expect(
      "matmul((5, 4, 2), (2, 3))",
      c.xp.matmul(b, a23),
      ref2.shape,
      ref2.values,
      { atol: c.tol },
    );
  });

  add("one_d_rules", async (c) => {
    const v = c.a([1, 2, 3]);
    const m34 = c.xp.reshape(c.xp.arange(0, 12, 1, { dtype: c.dt }), [3, 4]);
    const m23 = c.xp.reshape(c.xp.arange(0, 6, 1, { dtype: c.dt }), [2, 3]);
    const s223 = c.xp.reshape(c.xp.arange(0, 12, 1, { dtype: c.dt }), [2, 2, 3]);
    const s234 = c.xp.reshape(c.xp.arange(0, 24, 1, { dtype: c.dt }), [2, 3, 4]);
    await c.same("matmul((3,), (3,))", c.xp.matmul(v, v), [], [14]);
    await c.same("matmul((3,), (3, 4))", c.xp.matmul(v, m34), [4], [32, 38, 44, 50]);
    await c.same("matmul((2, 3), (3,))", c.xp.matmul(m23, v), [2], [8, 26]);
    await c.same("matmul((2, 2, 3), (3,))", c.xp.matmul(s223, v), [2, 2], [8, 26, 44, 62]);
    await c.same(
      "matmul((3,), (2, 3, 4))",
      c.xp.matmul(v, s234),
      [2, 4],
      [32, 38, 44, 50, 104, 110, 116, 122],
    );
  });

  add("empty", async (c) => {
    const z = (s: number[]) => c.xp.zeros(s, { dtype: c.dt });
    await c.expect("matmul((0, 3), (3, 2))", c.xp.matmul(z([0, 3]), z([3, 2])), [0, 2], []);
    await c.same(
      "matmul((2, 0), (0, 3))",
      c.xp.matmul(c.xp.ones([2, 0], { dtype: c.dt }), z([0, 3])),
      [2, 3],
      new Array(6).fill(0),
    );
    await c.expect(
      "matmul((0, 2, 3), (3, 4))",
      c.xp.matmul(z([0, 2, 3]), z([3, 4])),
      [0, 2, 4],
      [],
    );
  });

  add("errors", (c) => {
    const z = (s: number[]) => c.xp.zeros(s, { dtype: c.dt });
    throws(
      "matmul((2, 3), (4, 2))",
      () => c.xp.matmul(z([2, 3]), z([4, 2])),
      "RangeError",
      ["(2, 3)", "(4, 2)"],
    );
    throws(
      "matmul((2, 3, 3), (4, 3, 3))",
      () => c.xp.matmul(z([2, 3, 3]), z([4, 3, 3])),
      "RangeError",
      ["(2, 3, 3)", "(4, 3, 3)"],
    );
    throws("matmul((3,), (4,))", () => c.xp.matmul(z([3]), z([4])), "RangeError", ["(3,)", "(4,)"]);
    throws("matmul((), (3,))", () => c.xp.matmul(z([]), z([3])), "RangeError", ["()"]);
    throws("matrix_transpose((3,))", () => c.xp.matrix_transpose(z([3])), "RangeError", ["(3,)"]);
  });

  add("vecdot", async (c) => {
    const a = c.a([1, 2, 3]), b = c.a([4, -5, 6]);
    await c.same("vecdot((3,), (3,))", c.xp.vecdot(a, b), [], [12]);
    const m = c.a([[1, 0, 0], [1, 1, 1]]);
    await c.same("vecdot((2, 3), (3,))", c.xp.vecdot(m, b), [2], [4, 5]);
    const p = c.a([[1, 2], [3, 4], [5, 6]]), q = c.a([[1, 1], [0, 1], [2, 0]]);
    await c.same("vecdot((3, 2), (3, 2), axis 0)", c.xp.vecdot(p, q, { axis: 0 }), [2], [11, 6]);
    const r = c.xp.reshape(c.xp.arange(0, 12, 1, { dtype: c.dt }), [4, 1, 3]);
    const want: number[] = [];
    for (let i = 0; i < 4; i++) {
      want.push(3 * i + 0 + (3 * i + 1) * 0 + 0, (3 * i) * 1 + (3 * i + 1) + (3 * i + 2));
    }
    await c.same("vecdot((4, 1, 3), (2, 3))", c.xp.vecdot(r, m), [4, 2], want);
    await c.same("linalg.vecdot", c.xp.linalg.vecdot(m, b), [2], [4, 5]);
    const e = c.xp.zeros([2, 0], { dtype: c.dt });
    await c.same("vecdot over a length-0 axis", c.xp.vecdot(e, e), [2], [0, 0]);
    throws(
      "vecdot((3,), (4,))",
      () => c.xp.vecdot(a, c.a([1, 2, 3, 4])),
      "RangeError",
      ["(3,)", "(4,)"],
    );
  });

  add("linalg_aliases", async (c) => {
    const [a, av] = mat(c, [2, 3], 5), [b, bv] = mat(c, [3, 2], 6);
    await c.expect(
      "linalg.matmul",
      c.xp.linalg.matmul(a, b),
      [2, 2],
      hmatmul(av, bv, 2, 3, 2),
      { atol: c.tol },
    );
    await c.same(
      "linalg.matrix_transpose",
      c.xp.linalg.matrix_transpose(a),
      [3, 2],
      htrans(av, 2, 3),
    );
  });

  return d;
}

// ---------------------------------------------------------------------- linalg

/** A symmetric positive definite 3×3 matrix (eigenvalues ≈ 2.71, 4.40, 7.90; det 94). */
const SPD3 = [4, 1, 2, 1, 5, 1, 2, 1, 6];
const SPD3_EIG = [2.707598414775378, 4.3972950692970905, 7.89510651592753];
/** A non-symmetric well-conditioned 3×3 matrix (det 32.75). */
const NS3 = [2, -1, 0.5, 1, 3, -2, 0.5, 1, 4];

function linalgCases(): Def[] {
  const d: Def[] = [];
  const add = (name: string, body: Body) => d.push([`linalg.${name}`, body]);
  const m = (c: Ctx, v: number[], shape: number[]) => c.xp.reshape(c.a(v.map(c.r)), shape);

  add("solve_vector", async (c) => {
    const b = [1, 2, 3];
    const x = c.xp.linalg.solve(m(c, NS3, [3, 3]), c.a(b));
    await c.expect(
      "solve((3, 3), (3,))",
      x,
      [3],
      hsolve(NS3.map(c.r), b, 3, 1),
      { rtol: c.ltol, atol: c.ltol },
    );
  });

  add("solve_matrix", async (c) => {
    const b = [1, 0, 2, -1, 3, 0.5];
    const x = c.xp.linalg.solve(m(c, NS3, [3, 3]), m(c, b, [3, 2]));
    await c.expect(
      "solve((3, 3), (3, 2))",
      x,
      [3, 2],
      hsolve(NS3.map(c.r), b.map(c.r), 3, 2),
      { rtol: c.ltol, atol: c.ltol },
    );
  });

  add("solve_batched", async (c) => {
    const A = m(c, [...SPD3, ...NS3], [2, 3, 3]);
    const b = [1, 2, 3, -1, 0, 1];
    const w0 = hsolve(SPD3.map(c.r), b.slice(0, 3), 3, 1),
      w1 = hsolve(NS3.map(c.r), b.slice(3), 3, 1);
    const o = { rtol: c.ltol, atol: c.ltol };
    await c.expect(
      "solve((2, 3, 3), (2, 3))",
      c.xp.linalg.solve(A, m(c, b, [2, 3])),
      [2, 3],
      [...w0, ...w1],
      o,
    );
    const v0 = hsolve(SPD3.map(c.r), [1, 2, 3], 3, 1), v1 = hsolve(NS3.map(c.r), [1, 2, 3], 3, 1);
    await c.expect(
      "solve((2, 3, 3), (3,))",
      c.xp.linalg.solve(A, c.a([1, 2, 3])),
      [2, 3],
      [...v0, ...v1],
      o,
    );
    await c.expect(
      "solve((2, 3, 3), (2, 3, 1))",
      c.xp.linalg.solve(A, m(c, b, [2, 3, 1])),
      [2, 3, 1],
      [...w0, ...w1],
      o,
    );
    const B = range(12, (i) => c.r((i % 5) - 2));
    const want: number[] = [];
    for (let t = 0; t < 2; t++) want.push(...hsolve(NS3.map(c.r), block(B, t, 6), 3, 2));
    await c.expect(
      "solve((3, 3), (2, 3, 2))",
      c.xp.linalg.solve(m(c, NS3, [3, 3]), m(c, B, [2, 3, 2])),
      [2, 3, 2],
      want,
      o,
    );
    const e = c.xp.linalg.solve(
      c.xp.zeros([0, 3, 3], { dtype: c.dt }),
      c.xp.zeros([0, 3], { dtype: c.dt }),
    );
    await c.expect("solve with an empty batch", e, [0, 3], []);
  });

  add("solve_errors", async (c) => {
    await throwsOrRejects(
      c.xp,
      "solve(singular)",
      () => c.xp.linalg.solve(c.a([[1, 2], [2, 4]]), c.a([1, 2])),
    );
    throws(
      "solve((2, 3), (2,))",
      () => c.xp.linalg.solve(c.xp.ones([2, 3], { dtype: c.dt }), c.a([1, 2])),
      "RangeError",
      [
        "(2, 3)",
      ],
    );
    throws(
      "solve((3, 3), (4,))",
      () => c.xp.linalg.solve(m(c, NS3, [3, 3]), c.a([1, 2, 3, 4])),
      "RangeError",
      ["(3, 3)", "(4,)"],
    );
  });

  add("inv", async (c) => {
    const A = NS3.map(c.r);
    const inv = await c.get(c.xp.linalg.inv(m(c, NS3, [3, 3])));
    near("inv(A) · A = I", [3, 3], hmatmul(inv, A, 3, 3, 3), heye(3), c.ltol);
    near("inv(A)", [3, 3], inv, hsolve(A, heye(3), 3, 3), c.ltol);
    const Bi = c.xp.linalg.inv(m(c, [...SPD3, ...NS3], [2, 3, 3]));
    await c.expect(
      "inv((2, 3, 3))",
      Bi,
      [2, 3, 3],
      [...hsolve(SPD3.map(c.r), heye(3), 3, 3), ...hsolve(A, heye(3), 3, 3)],
      { rtol: c.ltol, atol: c.ltol },
    );
    await c.expect("inv((1, 1))", c.xp.linalg.inv(c.a([[4]])), [1, 1], [0.25]);
    await c.expect(
      "inv of an empty batch",
      c.xp.linalg.inv(c.xp.zeros([0, 2, 2], { dtype: c.dt })),
      [0, 2, 2],
      [],
    );
    await throwsOrRejects(c.xp, "inv(singular)", () => c.xp.linalg.inv(c.a([[1, 2], [2, 4]])));
    throws("inv((2, 3))", () => c.xp.linalg.inv(c.xp.ones([2, 3], { dtype: c.dt })), "RangeError", [
      "(2, 3)",
    ]);
  });

  add("det", async (c) => {
    const o = { rtol: c.ltol, atol: c.ltol };
    await c.expect("det([[1, 2], [3, 4]])", c.xp.linalg.det(c.a([[1, 2], [3, 4]])), [], [-2], o);
    await c.expect("det(SPD3)", c.xp.linalg.det(m(c, SPD3, [3, 3])), [], [94], o);
    await c.expect("det(permutation)", c.xp.linalg.det(c.a([[0, 1], [1, 0]])), [], [-1], o);
    await c.expect("det(I4)", c.xp.linalg.det(c.xp.eye(4, null, { dtype: c.dt })), [], [1], o);
    await c.expect("det(singular)", c.xp.linalg.det(c.a([[1, 2], [2, 4]])), [], [0], o);
    await c.expect(
      "det((2, 3, 3))",
      c.xp.linalg.det(m(c, [...SPD3, ...NS3], [2, 3, 3])),
      [2],
      [94, hdet(NS3.map(c.r), 3)],
      o,
    );
    throws("det((2, 3))", () => c.xp.linalg.det(c.xp.ones([2, 3], { dtype: c.dt })), "RangeError", [
      "(2, 3)",
    ]);
  });

  add("cholesky", async (c) => {
    const A = SPD3.map(c.r);
    const L = await c.get(c.xp.linalg.cholesky(m(c, SPD3, [3, 3])));
    checkTriangular("cholesky lower factor", L, 3, 3, "above", 0);
    ok(L[0] > 0 && L[4] > 0 && L[8] > 0, `cholesky diagonal should be positive: ${L}`);
    near("L · Lᵀ = A", [3, 3], hmatmul(L, htrans(L, 3, 3), 3, 3, 3), A, c.ltol);
    const Ux = c.xp.linalg.cholesky(m(c, SPD3, [3, 3]), { upper: true });
    const U = await c.get(Ux);
    checkTriangular("cholesky upper factor", U, 3, 3, "below", 0);
    near("Uᵀ · U = A", [3, 3], hmatmul(htrans(U, 3, 3), U, 3, 3, 3), A, c.ltol);
    near("U = Lᵀ", [3, 3], U, htrans(L, 3, 3), c.ltol);
    const S2 = [2, 1, 1, 2];
    const Lb = await c.get(c.xp.linalg.cholesky(m(c, [...S2, 9, 0, 0, 4], [2, 2, 2])));
    near("batched cholesky", [2, 2, 2], Lb, [
      Math.SQRT2,
      0,
      1 / Math.SQRT2,
      Math.sqrt(1.5),
      3,
      0,
      0,
      2,
    ], c.ltol);
    await throwsOrRejects(
      c.xp,
      "cholesky(indefinite)",
      () => c.xp.linalg.cholesky(c.a([[1, 2], [2, 1]])),
    );
  });

  const qrCheck = async (
    c: Ctx,
    rows: number,
    cols: number,
    mode: "reduced" | "complete",
    batch = 1,
  ) => {
    const v = rand(batch * rows * cols, 7, c.r);
    const shape = batch > 1 ? [batch, rows, cols] : [rows, cols];
    const { Q, R } = c.xp.linalg.qr(c.xp.reshape(c.a(v), shape), { mode });
    const k = mode === "complete" ? rows : Math.min(rows, cols);
    const lbl = `qr(${fmtShape(shape)}, ${mode})`;
    checkShape(`${lbl} Q`, Q, batch > 1 ? [batch, rows, k] : [rows, k]);
    checkShape(`${lbl} R`, R, batch > 1 ? [batch, k, cols] : [k, cols]);
    ok(Q.dtype === c.dt && R.dtype === c.dt, `${lbl}: dtypes ${Q.dtype}, ${R.dtype}`);
    const q = await c.get(Q), r = await c.get(R);
    for (let t = 0; t < batch; t++) {
      const qt = block(q, t, rows * k), rt = block(r, t, k * cols);
      checkOrthonormalColumns(`${lbl} Q`, qt, rows, k, c.ltol);
      checkTriangular(`${lbl} R`, rt, k, cols, "below", c.ltol);
      near(
        `${lbl} Q · R = A`,
        [rows, cols],
        hmatmul(qt, rt, rows, k, cols),
        block(v, t, rows * cols),
        c.ltol,
      );
    }
  };
  add("qr_reduced_tall", (c) => qrCheck(c, 4, 3, "reduced"));
  add("qr_complete_tall", (c) => qrCheck(c, 4, 3, "complete"));
  add("qr_reduced_wide", (c) => qrCheck(c, 2, 4, "reduced"));
  add("qr_batched", (c) => qrCheck(c, 3, 2, "reduced", 2));
  add("qr_default_mode", async (c) => {
    const { Q, R } = c.xp.linalg.qr(c.xp.ones([4, 2], { dtype: c.dt }));
    checkShape("qr((4, 2)) default mode Q", Q, [4, 2]);
    checkShape("qr((4, 2)) default mode R", R, [2, 2]);
    const r = await c.get(R);
    ok(
      Math.abs(Math.abs(r[0]) - 2) <= c.ltol * 2,
      `qr(ones(4, 2)): |R[0, 0]| is ${r[0]}, expected 2`,
    );
  });

  add("eigh", async (c) => {
    const A = SPD3.map(c.r);
    const { eigenvalues, eigenvectors } = c.xp.linalg.eigh(m(c, SPD3, [3, 3]));
    await c.expect(
      "eigh eigenvalues (ascending)",
      eigenvalues,
      [3],
      SPD3_EIG,
      { rtol: c.ltol, atol: c.ltol },
    );
    checkShape("eigh eigenvectors", eigenvectors, [3, 3]);
    const V = await c.get(eigenvectors), w = await c.get(eigenvalues);
    checkOrthonormalColumns("eigh eigenvectors", V, 3, 3, c.ltol);
    const AV = hmatmul(A, V, 3, 3, 3), VL = V.map((x, i) => x * w[i % 3]);
    near("A · V = V · diag(w)", [3, 3], AV, VL, c.ltol * 8);
    await c.expect(
      "eigvalsh",
      c.xp.linalg.eigvalsh(m(c, SPD3, [3, 3])),
      [3],
      SPD3_EIG,
      { rtol: c.ltol, atol: c.ltol },
    );
    await c.expect(
      "eigvalsh([[2, 1], [1, 2]])",
      c.xp.linalg.eigvalsh(c.a([[2, 1], [1, 2]])),
      [2],
      [1, 3],
      { rtol: c.ltol, atol: c.ltol },
    );
  });

  add("eigh_lower_triangle_only", async (c) => {
    // Only the lower triangle is read: garbage above the diagonal must not matter.
    const G = [4, 99, -7, 1, 5, 42, 2, 1, 6];
    await c.expect(
      "eigvalsh reads the lower triangle",
      c.xp.linalg.eigvalsh(m(c, G, [3, 3])),
      [3],
      SPD3_EIG,
      { rtol: c.ltol, atol: c.ltol },
    );
  });

  add("eigh_batched_repeated", async (c) => {
    const { eigenvalues, eigenvectors } = c.xp.linalg.eigh(m(c, [...heye(3), ...SPD3], [2, 3, 3]));
    await c.expect(
      "eigh batched eigenvalues",
      eigenvalues,
      [2, 3],
      [1, 1, 1, ...SPD3_EIG],
      { rtol: c.ltol, atol: c.ltol },
    );
    checkShape("eigh batched eigenvectors", eigenvectors, [2, 3, 3]);
    const V = await c.get(eigenvectors);
    checkOrthonormalColumns(
      "eigh eigenvectors of I (repeated eigenvalue)",
      block(V, 0, 9),
      3,
      3,
      c.ltol,
    );
    checkOrthonormalColumns("eigh eigenvectors of SPD3", block(V, 1, 9), 3, 3, c.ltol);
  });

  const svdCheck = async (c: Ctx, rows: number, cols: number, batch = 1) => {
    const v = rand(batch * rows * cols, 11, c.r);
    const shape = batch > 1 ? [batch, rows, cols] : [rows, cols];
    const X = c.xp.reshape(c.a(v), shape);
    const { U, S, Vh } = c.xp.linalg.svd(X);
    const k = Math.min(rows, cols), bs = batch > 1 ? [batch] : [];
    const lbl = `svd(${fmtShape(shape)})`;
    checkShape(`${lbl} U`, U, [...bs, rows, k]);
    checkShape(`${lbl} S`, S, [...bs, k]);
    checkShape(`${lbl} Vh`, Vh, [...bs, k, cols]);
    const u = await c.get(U), s = await c.get(S), vh = await c.get(Vh);
    const sv = await c.get(c.xp.linalg.svdvals(X));
    near(`${lbl} svdvals = S`, [...bs, k], sv, s, c.ltol);
    for (let t = 0; t < batch; t++) {
      const ut = block(u, t, rows * k), st = block(s, t, k), vt = block(vh, t, k * cols);
      for (let i = 0; i < k; i++) {
        ok(
          st[i] >= 0 && (i === 0 || st[i] <= st[i - 1]),
          `${lbl}: S is not descending and ≥ 0: ${st}`,
        );
      }
      checkOrthonormalColumns(`${lbl} U`, ut, rows, k, c.ltol);
      checkOrthonormalColumns(`${lbl} Vhᵀ`, htrans(vt, k, cols), cols, k, c.ltol);
      const us = ut.map((x, i) => x * st[i % k]);
      near(
        `${lbl} U · diag(S) · Vh = A`,
        [rows, cols],
        hmatmul(us, vt, rows, k, cols),
        block(v, t, rows * cols),
        c.ltol,
      );
    }
  };
  add("svd_tall", (c) => svdCheck(c, 4, 3));
  add("svd_wide", (c) => svdCheck(c, 2, 3));
  add("svd_batched", (c) => svdCheck(c, 3, 3, 2));
  add("svd_known", async (c) => {
    const o = { rtol: c.ltol, atol: c.ltol };
    await c.expect(
      "svdvals([[3, 0], [0, 4]])",
      c.xp.linalg.svdvals(c.a([[3, 0], [0, -4]])),
      [2],
      [4, 3],
      o,
    );
    await c.expect(
      "svdvals(ones(3, 2)) (rank 1)",
      c.xp.linalg.svdvals(c.xp.ones([3, 2], { dtype: c.dt })),
      [2],
      [Math.sqrt(6), 0],
      o,
    );
  });

  add("lstsq_full_rank", async (c) => {
    const A = m(c, [1, 0, 1, 1, 1, 2, 1, 3], [4, 2]);
    const r = c.xp.linalg.lstsq(A, c.a([1, 2, 2, 4]));
    const o = { rtol: c.ltol, atol: c.ltol };
    await c.expect("lstsq solution", r.solution, [2], [0.9, 0.9], o);
    await c.expect("lstsq residuals (1-D b: 0-d)", r.residuals, [], [0.7], o);
    ok(isArrayObject(r.rank), `lstsq rank should be an array, got ${describe(r.rank)}`);
    await c.same("lstsq rank", r.rank, [], [2], "int32");
    await c.expect(
      "lstsq singular_values",
      r.singular_values,
      [2],
      [4.10003044816824, 1.090756766696107],
      o,
    );
    const r2 = c.xp.linalg.lstsq(A, m(c, [1, 2, 0, 1, 3, -1, 2, 2], [4, 2]));
    await c.expect("lstsq solution (2-D b)", r2.solution, [2, 2], [0.6, 1.3, 0.6, -0.2], o);
    await c.expect("lstsq residuals (2-D b)", r2.residuals, [2], [3.2, 5.8], o);
  });

  add("lstsq_rank_deficient", async (c) => {
    const o = { rtol: c.ltol, atol: c.ltol };
    const r = c.xp.linalg.lstsq(c.xp.ones([3, 2], { dtype: c.dt }), c.a([1, 2, 3]));
    await c.expect("lstsq minimum-norm solution (rank 1)", r.solution, [2], [1, 1], o);
    await c.same("lstsq rank (rank-deficient)", r.rank, [], [1], "int32");
    await c.same("lstsq residuals (rank-deficient: zeros)", r.residuals, [], [0]);
    const u = c.xp.linalg.lstsq(c.a([[1, 0, 1], [0, 1, 1]]), c.a([1, 2]));
    await c.expect("lstsq underdetermined (minimum norm)", u.solution, [3], [0, 1, 1], o);
    await c.same("lstsq rank (underdetermined)", u.rank, [], [2], "int32");
    const small = c.dt === "float64" ? 1e-10 : 1e-4;
    const rc = c.xp.linalg.lstsq(c.a([[1, 0], [0, small]]), c.a([2, 1]), { rcond: small * 10 });
    await c.expect("lstsq with rcond cutting a singular value", rc.solution, [2], [2, 0], o);
    await c.same("lstsq rank with rcond", rc.rank, [], [1], "int32");
  });

  add("lstsq_batched", async (c) => {
    const A = m(c, [1, 0, 1, 1, 1, 2, 1, 3, 1, 1, 1, 1, 1, 1, 1, 1], [2, 4, 2]);
    const r = c.xp.linalg.lstsq(A, m(c, [1, 2, 2, 4, 1, 2, 3, 4], [2, 4]));
    const o = { rtol: c.ltol, atol: c.ltol };
    await c.expect("batched lstsq solution", r.solution, [2, 2], [0.9, 0.9, 1.25, 1.25], o);
    await c.same("batched lstsq rank", r.rank, [2], [2, 1], "int32");
    await c.expect(
      "batched lstsq singular_values",
      r.singular_values,
      [2, 2],
      [4.10003044816824, 1.090756766696107, Math.SQRT2 * 2, 0],
      o,
    );
  });

  add("vector_norm", async (c) => {
    const x = c.a([3, -4, 0, 1]);
    const o = { rtol: c.ltol, atol: c.ltol };
    const ords: [number | undefined, number][] = [
      [undefined, 5.0990195135927845],
      [2, 5.0990195135927845],
      [1, 8],
      [Infinity, 4],
      [-Infinity, 0],
      [0, 3],
      [3, 4.514357435474001],
      [0.5, 22.392304845413257],
      [-1, 0],
    ];
    for (const [ord, want] of ords) {
      const r = ord === undefined
        ? c.xp.linalg.vector_norm(x)
        : c.xp.linalg.vector_norm(x, { ord });
      await c.expect(`vector_norm([3, -4, 0, 1], ord ${ord})`, r, [], [want], o);
    }
    await c.expect(
      "vector_norm([3, -4, 2, 1], ord -1)",
      c.xp.linalg.vector_norm(c.a([3, -4, 2, 1]), { ord: -1 }),
      [],
      [0.48],
      o,
    );
    await c.same(
      "vector_norm of (0,)",
      c.xp.linalg.vector_norm(c.xp.zeros([0], { dtype: c.dt })),
      [],
      [0],
    );
  });

  add("vector_norm_axes", async (c) => {
    const x = c.a([[3, 4, 0], [1, 2, 2]]);
    const o = { rtol: c.ltol, atol: c.ltol };
    await c.expect(
      "vector_norm(axis -1)",
      c.xp.linalg.vector_norm(x, { axis: -1 }),
      [2],
      [5, 3],
      o,
    );
    await c.expect(
      "vector_norm(axis 0, ord 1)",
      c.xp.linalg.vector_norm(x, { axis: 0, ord: 1 }),
      [3],
      [4, 6, 2],
      o,
    );
    await c.expect(
      "vector_norm(axis null) flattens",
      c.xp.linalg.vector_norm(x, { axis: null }),
      [],
      [Math.sqrt(34)],
      o,
    );
    await c.expect(
      "vector_norm(axis [0, 1], keepdims)",
      c.xp.linalg.vector_norm(x, { axis: [0, 1], keepdims: true }),
      [1, 1],
      [Math.sqrt(34)],
      o,
    );
    await c.expect(
      "vector_norm(axis 1, keepdims, ord inf)",
      c.xp.linalg.vector_norm(x, { axis: 1, keepdims: true, ord: Infinity }),
      [2, 1],
      [4, 2],
      o,
    );
  });

  add("vector_norm_no_overflow", async (c) => {
    const big = c.dt === "float64" ? 1e200 : c.dt === "float32" ? 1e30 : 1e3;
    const tiny = c.dt === "float64" ? 1e-200 : c.dt === "float32" ? 1e-30 : 1e-3;
    const o = { rtol: c.ltol };
    await c.expect(
      "vector_norm of huge entries",
      c.xp.linalg.vector_norm(c.a([3 * big, 4 * big])),
      [],
      [c.r(5 * big)],
      o,
    );
    await c.expect(
      "vector_norm of tiny entries",
      c.xp.linalg.vector_norm(c.a([3 * tiny, 4 * tiny])),
      [],
      [c.r(5 * tiny)],
      o,
    );
  });

  add("matrix_norm", async (c) => {
    const x = c.a([[1, -2, 3], [4, 5, -6]]);
    const o = { rtol: c.ltol, atol: c.ltol };
    const ords: [number | "fro" | "nuc" | undefined, number][] = [
      [undefined, 9.539392014169456],
      ["fro", 9.539392014169456],
      ["nuc", 11.653785350898485],
      [1, 9],
      [-1, 5],
      [2, 9.225027715260927],
      [-2, 2.4287576356375586],
      [Infinity, 15],
      [-Infinity, 6],
    ];
    for (const [ord, want] of ords) {
      const r = ord === undefined
        ? c.xp.linalg.matrix_norm(x)
        : c.xp.linalg.matrix_norm(x, { ord });
      await c.expect(`matrix_norm ord ${ord}`, r, [], [want], o);
    }
    await c.expect(
      "matrix_norm keepdims",
      c.xp.linalg.matrix_norm(x, { keepdims: true }),
      [1, 1],
      [9.539392014169456],
      o,
    );
    const b = c.xp.stack([x, c.xp.multiply(x, 2)]);
    await c.expect(
      "matrix_norm batched ord 1",
      c.xp.linalg.matrix_norm(b, { ord: 1 }),
      [2],
      [9, 18],
      o,
    );
  });

  add("diagonal", async (c) => {
    const x = c.xp.reshape(c.xp.arange(0, 12, 1, { dtype: c.dt }), [3, 4]);
    const ex = { exact: true };
    await c.expect("diagonal", c.xp.linalg.diagonal(x), [3], [0, 5, 10], ex);
    await c.expect(
      "diagonal(offset 1)",
      c.xp.linalg.diagonal(x, { offset: 1 }),
      [3],
      [1, 6, 11],
      ex,
    );
    await c.expect("diagonal(offset -1)", c.xp.linalg.diagonal(x, { offset: -1 }), [2], [4, 9], ex);
    await c.expect("diagonal(offset 3)", c.xp.linalg.diagonal(x, { offset: 3 }), [1], [3], ex);
    await c.expect("diagonal(offset 4)", c.xp.linalg.diagonal(x, { offset: 4 }), [0], [], ex);
    await c.expect("diagonal(offset -3)", c.xp.linalg.diagonal(x, { offset: -3 }), [0], [], ex);
    const b = c.xp.reshape(c.xp.arange(0, 24, 1, { dtype: c.dt }), [2, 3, 4]);
    await c.expect(
      "diagonal of (2, 3, 4)",
      c.xp.linalg.diagonal(b),
      [2, 3],
      [0, 5, 10, 12, 17, 22],
      ex,
    );
  });

  return d;
}

// ---------------------------------------------------------------------- toHost & dispose

const DOUBLE_PLUS_ONE = defineFused("conformance.double_plus_one", { x: "float" }, (v) => ({
  x: v.x.mul(2).add(1),
}));

function hostCases(): Def[] {
  const d: Def[] = [];
  const add = (name: string, body: Body) => d.push([name, body]);

  add("host.class_and_layout", async (c) => {
    const x = c.a([[1, 2, 3], [4, 5, 6]]);
    const h = await c.xp.toHost(x);
    ok(
      className(h) === hostClass(c.dt),
      `toHost of ${c.dt} returned ${className(h)}, expected ${hostClass(c.dt)}`,
    );
    checkValues("toHost row-major", [2, 3], h, [1, 2, 3, 4, 5, 6], 0, 0, true);
    const t = await c.xp.toHost(c.xp.matrix_transpose(x));
    checkValues("toHost of a transpose is row-major", [3, 2], t, [1, 4, 2, 5, 3, 6], 0, 0, true);
    const f = await c.xp.toHost(c.xp.flip(x, { axis: 1 }));
    checkValues("toHost of a flip", [2, 3], f, [3, 2, 1, 6, 5, 4], 0, 0, true);
    const b = await c.xp.toHost(c.xp.broadcast_to(c.a([1, 2]), [2, 2]));
    checkValues("toHost of a broadcast", [2, 2], b, [1, 2, 1, 2], 0, 0, true);
    const z = await c.xp.toHost(c.xp.asarray(4, { dtype: c.dt }));
    checkValues("toHost of a 0-d array", [], z, [4], 0, 0, true);
    const e = await c.xp.toHost(c.xp.zeros([0, 3], { dtype: c.dt }));
    ok(e.length === 0, `toHost of an empty array has ${e.length} values`);
  });

  add("host.returns_a_copy", async (c) => {
    const x = c.a([1, 2, 3]);
    const h = await c.xp.toHost(x);
    h[0] = 99;
    await c.same("array unchanged after mutating a toHost result", x, [3], [1, 2, 3]);
  });

  add("host.value_captured_at_call", async (c) => {
    const x = c.a([1, 2, 3]);
    const pending = c.xp.toHost(x);
    const r = runFused(c.xp, DOUBLE_PLUS_ONE, { x }, { out: { x } }); // donates x
    const before = await pending;
    checkValues("toHost called before x was donated", [3], before, [1, 2, 3], 0, 0, true);
    await c.same("fused result written into the donated array", r.x, [3], [3, 5, 7]);
  });

  add("host.concurrent", async (c) => {
    const x = c.a([1, 2]), y = c.xp.add(x, 1);
    const [p, q, s] = await Promise.all([c.xp.toHost(x), c.xp.toHost(y), c.xp.toHost(x)]);
    checkValues("concurrent toHost (x)", [2], p, [1, 2], 0, 0, true);
    checkValues("concurrent toHost (x + 1)", [2], q, [2, 3], 0, 0, true);
    checkValues("concurrent toHost (x again)", [2], s, [1, 2], 0, 0, true);
  });

  add("dispose.double_and_empty", (c) => {
    const x = c.xp.zeros([3], { dtype: c.dt }), y = c.xp.ones([2], { dtype: c.dt });
    c.xp.dispose(x);
    c.xp.dispose(x);
    c.xp.dispose();
    c.xp.dispose(x, y, y);
  });

  add("dispose.inputs_of_pending_work", async (c) => {
    // A lazy backend must keep the data that recorded work still needs.
    const x = c.a([1, 2, 3]);
    const y = c.xp.add(x, 1);
    const z = c.xp.multiply(y, 2);
    c.xp.dispose(x, y);
    await c.same("result computed from disposed inputs", z, [3], [4, 6, 8]);
  });

  return d;
}

// ---------------------------------------------------------------------- fused programs

const AXPY = defineFused(
  "conformance.axpy",
  { x: "float", y: "float", a: "float", active: "bool" },
  (v, f) => {
    const y = f.where(v.active, v.y.add(v.a.mul(v.x)), v.y);
    return { y, yy: f.sum(y.mul(y)), xy: f.sum(v.x.mul(v.y)) };
  },
);

const ALL_OPS = defineFused("conformance.all_ops", { x: "float", y: "float" }, (v, f) => ({
  add: v.x.add(v.y),
  sub: v.x.sub(v.y),
  mul: v.x.mul(v.y),
  div: v.x.div(v.y),
  max: v.x.max(v.y),
  min: v.x.min(v.y),
  hypot: v.x.hypot(v.y),
  neg: v.x.neg(),
  abs: v.x.abs(),
  sqrt: v.x.sqrt(),
  sign: v.x.sign(),
  lt: v.x.lt(v.y),
  le: v.x.le(v.y),
  gt: v.x.gt(v.y),
  ge: v.x.ge(v.y),
  eq: v.x.eq(v.y),
  ne: v.x.ne(v.y),
  and: v.x.gt(0).and(v.y.gt(0)),
  or: v.x.gt(0).or(v.y.gt(0)),
  not: v.x.gt(0).not(),
  isfinite: v.x.isfinite(),
  where: f.where(v.x.gt(v.y), v.x, 7),
  toInt: v.x.toInt(),
  roundTrip: v.x.toInt().toFloat(),
  fromBool: v.x.lt(0).toFloat(),
}));

/** Host semantics of {@linkcode ALL_OPS} outputs. */
const ALL_OPS_REF: Record<string, [(x: number, y: number) => number, "float" | "int" | "bool"]> = {
  add: [(x, y) => x + y, "float"],
  sub: [(x, y) => x - y, "float"],
  mul: [(x, y) => x * y, "float"],
  div: [(x, y) => x / y, "float"],
  max: [(x, y) => Math.max(x, y), "float"],
  min: [(x, y) => Math.min(x, y), "float"],
  hypot: [Math.hypot, "float"],
  neg: [(x) => -x, "float"],
  abs: [Math.abs, "float"],
  sqrt: [Math.sqrt, "float"],
  sign: [(x) => (Number.isNaN(x) ? NaN : Math.sign(x)), "float"],
  lt: [(x, y) => +(x < y), "bool"],
  le: [(x, y) => +(x <= y), "bool"],
  gt: [(x, y) => +(x > y), "bool"],
  ge: [(x, y) => +(x >= y), "bool"],
  eq: [(x, y) => +(x === y), "bool"],
  ne: [(x, y) => +(x !== y), "bool"],
  and: [(x, y) => +(x > 0 && y > 0), "bool"],
  or: [(x, y) => +(x > 0 || y > 0), "bool"],
  not: [(x) => +!(x > 0), "bool"],
  isfinite: [(x) => +Number.isFinite(x), "bool"],
  where: [(x, y) => (x > y ? x : 7), "float"],
  toInt: [(x) => Math.trunc(x), "int"],
  roundTrip: [(x) => Math.trunc(x), "float"],
  fromBool: [(x) => +(x < 0), "float"],
};

const INT_BOOL = defineFused(
  "conformance.int_bool",
  { x: "float", k: "int", m: "bool" },
  (v, f) => ({
    k1: v.k.add(1).mul(v.k),
    kmax: v.k.max(2),
    neg: v.x.lt(0).and(v.m),
    scaled: v.k.toFloat().mul(v.x),
    pick: f.where(v.m, v.k, -1),
    total: f.sum(v.k.toFloat().add(v.x)),
  }),
);

const SUMS_ONLY = defineFused("conformance.sums_only", { x: "float", y: "float" }, (v, f) => ({
  dot: f.sum(v.x.mul(v.y)),
  nrm: f.sum(v.x.mul(v.x)),
}));

const SAXPY = defineFused("conformance.saxpy", { x: "float", y: "float", a: "float" }, (v, f) => {
  const y = v.y.add(v.a.mul(v.x));
  return { y, old: v.y.mul(3), oldSum: f.sum(v.y.mul(v.y)), newSum: f.sum(y.mul(y)) };
});

const SAFE_DIV = defineFused(
  "conformance.safe_div",
  { x: "float", y: "float", active: "bool" },
  (v, f) => ({
    q: f.where(v.active, v.x.div(v.y), v.x),
    s: f.sum(f.where(v.active, v.x.div(v.y), 0)),
  }),
);

function fuseCases(medium: boolean): Def[] {
  const d: Def[] = [];
  const add = (name: string, body: Body) => d.push([`fuse.${name}`, body]);

  const compare = async (
    c: Ctx,
    what: string,
    got: Record<string, Arr>,
    ref: Record<string, Arr>,
    tol = c.tol,
  ) => {
    for (const name of Object.keys(ref)) {
      const g = got[name], r = ref[name];
      ok(g !== undefined, `${what}: output ${name} is missing`);
      await c.expect(
        `${what}: ${name} vs evaluateFused`,
        g,
        r.shape,
        await c.get(r),
        { dtype: r.dtype, rtol: tol, atol: tol },
      );
    }
  };

  add("axpy_vs_reference", async (c) => {
    const [B, n] = medium ? [6, 1000] : [3, 4];
    const xv = rand(B * n, 1, c.r), yv = rand(B * n, 2, c.r), av = rand(B, 3, c.r);
    const act = Array.from({ length: B }, (_, i) => i % 3 !== 1);
    const inputs = () => ({
      x: c.xp.reshape(c.a(xv), [B, n]),
      y: c.xp.reshape(c.a(yv), [B, n]),
      a: c.xp.reshape(c.a(av), [B, 1]),
      active: c.xp.reshape(c.xp.asarray(act), [B, 1]),
    });
    const i1 = inputs(), i2 = inputs();
    const got = runFused(c.xp, AXPY, i1);
    const ref = evaluateFused(c.xp, AXPY.program, [i2.x, i2.y, i2.a, i2.active], { dtype: c.dt });
    const stol = c.tol * Math.max(1, Math.log2(n));
    await compare(c, "axpy", got, ref, stol);
    const y = range(
      B * n,
      (i) => (act[Math.floor(i / n)] ? yv[i] + av[Math.floor(i / n)] * xv[i] : yv[i]),
    );
    await c.expect("axpy y vs host", got.y, [B, n], y.map(c.r), { atol: c.tol });
    const yy = range(B, (b) => block(y, b, n).reduce((p, q) => p + q * q, 0));
    await c.expect("axpy sum(y·y) vs host", got.yy, [B], yy, { rtol: stol, atol: stol });
  });

  add("every_op", async (c) => {
    const xs = [1.5, -2.5, 0, 4, NaN, Infinity, -0.5, 3];
    const ys = [2, -2.5, 0, -1, 1, 2, NaN, 3];
    const x = c.a(xs), y = c.a(ys);
    const got = runFused(c.xp, ALL_OPS, { x, y });
    for (const [name, [f, type]] of Object.entries(ALL_OPS_REF)) {
      const dtype: DType = type === "float" ? c.dt : type === "int" ? "int32" : "bool";
      const want = xs.map((p, i) => {
        const v = f(c.r(p), c.r(ys[i]));
        return type === "float" ? c.r(v) : v;
      });
      // float → int of NaN/Inf is unspecified: compare finite inputs only
      const keep = name === "toInt" || name === "roundTrip"
        ? xs.map(Number.isFinite)
        : xs.map(() => true);
      const g = got[name as keyof typeof got];
      ok(g !== undefined, `fused output ${name} is missing`);
      checkShape(`fused ${name}`, g, [xs.length]);
      ok(g.dtype === dtype, `fused ${name}: dtype ${g.dtype}, expected ${dtype}`);
      const h = await c.get(g);
      checkValues(
        `fused ${name}(x, y) for x = [${xs}], y = [${ys}]`,
        [keep.filter(Boolean).length],
        h.filter((_, i) => keep[i]),
        want.filter((_, i) => keep[i]),
        c.tol,
        0,
      );
    }
  });

  add("int_bool_outputs", async (c) => {
    const x = c.a([[-1.5, 2], [0.5, -3]]);
    const k = c.xp.asarray([[2], [-3]], { dtype: "int32" });
    const m = c.xp.asarray([true, false]);
    const r = runFused(c.xp, INT_BOOL, { x, k, m });
    await c.same("int output k·(k+1)", r.k1, [2, 2], [6, 6, 6, 6], "int32");
    await c.same("int output max(k, 2)", r.kmax, [2, 2], [2, 2, 2, 2], "int32");
    await c.same("bool output", r.neg, [2, 2], [1, 0, 0, 0], "bool");
    await c.same("float from int", r.scaled, [2, 2], [-3, 4, -1.5, 9]);
    await c.same("int where", r.pick, [2, 2], [2, -1, -3, -1], "int32");
    await c.expect("sum of a mixed expression", r.total, [2], [4.5, -8.5]);
    const u = runFused(c.xp, INT_BOOL, { x, k: 5, m });
    await c.same("int uniform", u.k1, [2, 2], [30, 30, 30, 30], "int32");
  });

  add("uniforms_and_broadcast", async (c) => {
    const x = c.a([[1], [2], [3]]), y = c.a([10, 20, 30, 40]);
    const r = runFused(c.xp, SAXPY, { x, y, a: 0.5 });
    const want = range(12, (i) => (i % 4 + 1) * 10 + 0.5 * (Math.floor(i / 4) + 1));
    await c.same("saxpy with broadcast (3, 1) × (4,)", r.y, [3, 4], want);
    await c.expect("sum over the broadcast axis", r.oldSum, [3], [3000, 3000, 3000]);
    const s = runFused(c.xp, SAXPY, { x: c.a([1, 2]), y: 1, a: 2 });
    await c.same("array and uniform inputs", s.y, [2], [3, 5]);
  });

  add("donation_in_place", async (c) => {
    const x = c.a([[1, 2, 3], [4, 5, 6]]);
    const y = c.a([[1, 1, 1], [2, 2, 2]]);
    const r = runFused(c.xp, SAXPY, { x, y, a: 2 }, { out: { y } });
    await c.same("y ← y + 2x (in place)", r.y, [2, 3], [3, 5, 7, 10, 12, 14]);
    await c.same("an output of the old y", r.old, [2, 3], [3, 3, 3, 6, 6, 6]);
    await c.expect("a sum of the old y", r.oldSum, [2], [3, 12]);
    await c.expect("a sum of the new y", r.newSum, [2], [83, 440]);
  });

  add("donation_not_an_input", async (c) => {
    const x = c.a([1, 2]), y = c.a([3, 4]);
    const sink = c.xp.zeros([2], { dtype: c.dt });
    const r = runFused(c.xp, SAXPY, { x, y, a: -1 }, { out: { old: sink } });
    await c.same("output written into a donated spare", r.old, [2], [9, 12]);
    await c.same("inputs untouched", y, [2], [3, 4]);
  });

  add("sums_only", async (c) => {
    const [B, n] = medium ? [4, 4096] : [2, 5];
    const xv = rand(B * n, 5, c.r), yv = rand(B * n, 6, c.r);
    const r = runFused(c.xp, SUMS_ONLY, {
      x: c.xp.reshape(c.a(xv), [B, n]),
      y: c.xp.reshape(c.a(yv), [B, n]),
    });
    const dot = range(B, (b) => block(xv, b, n).reduce((p, q, i) => p + q * yv[b * n + i], 0));
    const stol = c.tol * Math.max(1, Math.log2(n));
    await c.expect("sum(x·y)", r.dot, [B], dot, { rtol: stol, atol: stol * Math.sqrt(n) });
    const v = runFused(c.xp, SUMS_ONLY, { x: c.a(xv.slice(0, n)), y: c.a(yv.slice(0, n)) });
    await c.expect(
      "sum over a 1-D iteration shape is 0-d",
      v.dot,
      [],
      [dot[0]],
      { rtol: stol, atol: stol * Math.sqrt(n) },
    );
  });

  add("empty_batch", async (c) => {
    const z = (s: number[]) => c.xp.zeros(s, { dtype: c.dt });
    const act = c.xp.zeros([0, 1], { dtype: "bool" });
    const r = runFused(c.xp, AXPY, { x: z([0, 4]), y: z([0, 4]), a: z([0, 1]), active: act });
    await c.expect("empty batch output", r.y, [0, 4], []);
    await c.expect("empty batch sum", r.yy, [0], []);
    const s = runFused(c.xp, SUMS_ONLY, { x: z([3, 0]), y: z([3, 0]) });
    await c.same("sum over a length-0 axis", s.dot, [3], [0, 0, 0]);
  });

  add("where_masks_nan", async (c) => {
    const x = c.a([1, 2, 3]), y = c.a([2, 0, 0]), active = c.xp.asarray([true, false, false]);
    const r = runFused(c.xp, SAFE_DIV, { x, y, active });
    await c.same("where(active, x / y, x)", r.q, [3], [0.5, 2, 3]);
    await c.same("sum of where(active, x / y, 0)", r.s, [], [0.5]);
  });

  return d;
}

// ---------------------------------------------------------------------- sparse kernels

interface HostCsr {
  m: number;
  n: number;
  indptr: number[];
  indices: number[];
  data: number[];
}

/** A 4×5 pattern with an empty row and an unsorted-free layout. */
function csrPattern(): { m: number; n: number; indptr: number[]; indices: number[] } {
  return { m: 4, n: 5, indptr: [0, 2, 2, 5, 6], indices: [0, 3, 1, 2, 4, 0] };
}

/** A random sparse m×n matrix in CSR form (seeded; about `density` of the entries stored). */
function randomCsr(
  m: number,
  n: number,
  density: number,
  seed: number,
  r: (v: number) => number,
): HostCsr {
  const u = rand(m * n, seed), vals = rand(m * n, seed + 1, r);
  const indptr = [0], indices: number[] = [], data: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      if ((u[i * n + j] + 1) / 2 < density) {
        indices.push(j);
        data.push(vals[i * n + j]);
      }
    }
    indptr.push(indices.length);
  }
  return { m, n, indptr, indices, data };
}

function csrDense(
  h: { m: number; n: number; indptr: number[]; indices: number[] },
  data: number[],
): number[] {
  const out = new Array<number>(h.m * h.n).fill(0);
  for (let i = 0; i < h.m; i++) {
    for (let p = h.indptr[i]; p < h.indptr[i + 1]; p++) out[i * h.n + h.indices[p]] += data[p];
  }
  return out;
}

function csrCases(raw: X, medium: boolean): Def[] {
  const d: Def[] = [];
  const noMv = typeof raw.csrMatvec === "function" ? undefined : "the namespace has no csrMatvec";
  const noMm = typeof raw.csrMatmat === "function" ? undefined : "the namespace has no csrMatmat";
  const add = (name: string, body: Body, skip?: string) => d.push([`csr.${name}`, body, skip]);
  const i32 = (c: Ctx, v: number[]) => c.xp.asarray(new Int32Array(v));
  /** Dense equivalent through the namespace's own matmul. */
  const viaMatmul = async (c: Ctx, dense: number[], dShape: number[], x: Arr) => {
    return await c.get(c.xp.matmul(c.xp.reshape(c.a(dense), dShape), x));
  };

  add("matvec_shared", async (c) => {
    const p = csrPattern();
    const data = [1, 2, 3, 4, 5, 6].map(c.r);
    const A: CsrData<Arr> = {
      shape: [4, 5],
      layout: "shared",
      nnz: 6,
      indptr: i32(c, p.indptr),
      indices: i32(c, p.indices),
      data: c.a(data),
    };
    const dense = csrDense(p, data);
    const xv = [1, -1, 2, 0.5, 3];
    const y = c.xp.csrMatvec!(A, c.a(xv));
    await c.expect("csrMatvec (4, 5) · (5,)", y, [4], hmatmul(dense, xv, 4, 5, 1), { atol: c.tol });
    await c.expect(
      "csrMatvec vs matmul of the dense matrix",
      y,
      [4],
      await viaMatmul(c, dense, [4, 5], c.a(xv)),
      { atol: c.tol },
    );
    const X = rand(15, 3, c.r);
    const Y = c.xp.csrMatvec!(A, c.xp.reshape(c.a(X), [3, 5]));
    const want = htrans(hmatmul(dense, htrans(X, 3, 5), 4, 5, 3), 4, 3);
    await c.expect(
      "csrMatvec (4, 5) · (3, 5) (one matrix, batch of vectors)",
      Y,
      [3, 4],
      want,
      { atol: c.tol },
    );
  }, noMv);

  add("matvec_shared_batched", async (c) => {
    const p = csrPattern();
    const data = rand(12, 4, c.r);
    const A: CsrData<Arr> = {
      shape: [2, 4, 5],
      layout: "shared",
      nnz: 6,
      indptr: i32(c, p.indptr),
      indices: i32(c, p.indices),
      data: c.xp.reshape(c.a(data), [2, 6]),
    };
    const X = rand(10, 5, c.r);
    const want = [
      ...hmatmul(csrDense(p, block(data, 0, 6)), block(X, 0, 5), 4, 5, 1),
      ...hmatmul(csrDense(p, block(data, 1, 6)), block(X, 1, 5), 4, 5, 1),
    ];
    const x = c.xp.reshape(c.a(X), [2, 5]);
    await c.expect(
      "csrMatvec (2, 4, 5) · (2, 5)",
      c.xp.csrMatvec!(A, x),
      [2, 4],
      want,
      { atol: c.tol },
    );
    const out = c.xp.full([2, 4], NaN, { dtype: c.dt });
    const y = c.xp.csrMatvec!(A, x, out);
    await c.expect("csrMatvec with a donated out", y, [2, 4], want, { atol: c.tol });
    const E: CsrData<Arr> = { ...A, shape: [0, 4, 5], data: c.xp.zeros([0, 6], { dtype: c.dt }) };
    await c.expect(
      "csrMatvec with an empty batch",
      c.xp.csrMatvec!(E, c.xp.zeros([0, 5], { dtype: c.dt })),
      [0, 4],
      [],
    );
  }, noMv);

  add("matvec_stacked", async (c) => {
    const a0 = randomCsr(3, 4, 0.5, 6, c.r), a1 = randomCsr(3, 4, 0.6, 8, c.r);
    const indptr = [...a0.indptr, ...a1.indptr.slice(1).map((q) => q + a0.indices.length)];
    const A: CsrData<Arr> = {
      shape: [2, 3, 4],
      layout: "stacked",
      nnz: indptr[6],
      indptr: i32(c, indptr),
      indices: i32(c, [...a0.indices, ...a1.indices]),
      data: c.a([...a0.data, ...a1.data]),
    };
    const X = rand(8, 9, c.r);
    const d0 = csrDense(a0, a0.data), d1 = csrDense(a1, a1.data);
    const want = [...hmatmul(d0, block(X, 0, 4), 3, 4, 1), ...hmatmul(d1, block(X, 1, 4), 3, 4, 1)];
    const x = c.xp.reshape(c.a(X), [2, 4]);
    const y = c.xp.csrMatvec!(A, x);
    await c.expect("csrMatvec stacked (2, 3, 4) · (2, 4)", y, [2, 3], want, { atol: c.tol });
    const mm = await c.get(
      c.xp.matmul(c.xp.reshape(c.a([...d0, ...d1]), [2, 3, 4]), c.xp.expand_dims(x, { axis: -1 })),
    );
    await c.expect("csrMatvec stacked vs matmul", y, [2, 3], mm, { atol: c.tol });
  }, noMv);

  add("matvec_medium", async (c) => {
    const [m, n] = medium ? [300, 400] : [20, 30];
    const h = randomCsr(m, n, 0.05, 12, c.r);
    const A: CsrData<Arr> = {
      shape: [m, n],
      layout: "shared",
      nnz: h.indices.length,
      indptr: i32(c, h.indptr),
      indices: i32(c, h.indices),
      data: c.a(h.data),
    };
    const xv = rand(n, 13, c.r);
    await c.expect(
      `csrMatvec (${m}, ${n})`,
      c.xp.csrMatvec!(A, c.a(xv)),
      [m],
      hmatmul(csrDense(h, h.data), xv, m, n, 1),
      { atol: 4 * c.tol },
    );
  }, noMv);

  add("matmat_shared", async (c) => {
    const p = csrPattern();
    const data = [1, 2, 3, 4, 5, 6].map(c.r);
    const A: CsrData<Arr> = {
      shape: [4, 5],
      layout: "shared",
      nnz: 6,
      indptr: i32(c, p.indptr),
      indices: i32(c, p.indices),
      data: c.a(data),
    };
    const dense = csrDense(p, data);
    const X = rand(10, 14, c.r);
    const x = c.xp.reshape(c.a(X), [5, 2]);
    const Y = c.xp.csrMatmat!(A, x);
    await c.expect(
      "csrMatmat (4, 5) · (5, 2)",
      Y,
      [4, 2],
      hmatmul(dense, X, 4, 5, 2),
      { atol: c.tol },
    );
    await c.expect(
      "csrMatmat vs matmul",
      Y,
      [4, 2],
      await viaMatmul(c, dense, [4, 5], x),
      { atol: c.tol },
    );
    const X3 = rand(30, 15, c.r);
    const want: number[] = [];
    for (let t = 0; t < 3; t++) want.push(...hmatmul(dense, block(X3, t, 10), 4, 5, 2));
    const Y3 = c.xp.csrMatmat!(A, c.xp.reshape(c.a(X3), [3, 5, 2]));
    await c.expect("csrMatmat (4, 5) · (3, 5, 2)", Y3, [3, 4, 2], want, { atol: c.tol });
  }, noMm);

  add("matmat_shared_batched", async (c) => {
    const p = csrPattern();
    const data = rand(12, 16, c.r);
    const A: CsrData<Arr> = {
      shape: [2, 4, 5],
      layout: "shared",
      nnz: 6,
      indptr: i32(c, p.indptr),
      indices: i32(c, p.indices),
      data: c.xp.reshape(c.a(data), [2, 6]),
    };
    const X = rand(20, 17, c.r);
    const want = [
      ...hmatmul(csrDense(p, block(data, 0, 6)), block(X, 0, 10), 4, 5, 2),
      ...hmatmul(csrDense(p, block(data, 1, 6)), block(X, 1, 10), 4, 5, 2),
    ];
    const x = c.xp.reshape(c.a(X), [2, 5, 2]);
    await c.expect(
      "csrMatmat (2, 4, 5) · (2, 5, 2)",
      c.xp.csrMatmat!(A, x),
      [2, 4, 2],
      want,
      { atol: c.tol },
    );
    const out = c.xp.zeros([2, 4, 2], { dtype: c.dt });
    await c.expect(
      "csrMatmat with a donated out",
      c.xp.csrMatmat!(A, x, out),
      [2, 4, 2],
      want,
      { atol: c.tol },
    );
  }, noMm);

  add("matmat_stacked", async (c) => {
    const a0 = randomCsr(3, 4, 0.5, 18, c.r), a1 = randomCsr(3, 4, 0.6, 20, c.r);
    const indptr = [...a0.indptr, ...a1.indptr.slice(1).map((q) => q + a0.indices.length)];
    const A: CsrData<Arr> = {
      shape: [2, 3, 4],
      layout: "stacked",
      nnz: indptr[6],
      indptr: i32(c, indptr),
      indices: i32(c, [...a0.indices, ...a1.indices]),
      data: c.a([...a0.data, ...a1.data]),
    };
    const X = rand(16, 21, c.r);
    const want = [
      ...hmatmul(csrDense(a0, a0.data), block(X, 0, 8), 3, 4, 2),
      ...hmatmul(csrDense(a1, a1.data), block(X, 1, 8), 3, 4, 2),
    ];
    await c.expect(
      "csrMatmat stacked (2, 3, 4) · (2, 4, 2)",
      c.xp.csrMatmat!(A, c.xp.reshape(c.a(X), [2, 4, 2])),
      [2, 3, 2],
      want,
      { atol: c.tol },
    );
  }, noMm);

  return d;
}

// ---------------------------------------------------------------------- errors

function errorCases(): Def[] {
  const d: Def[] = [];
  const add = (name: string, body: Body) => d.push([`errors.${name}`, body]);
  const binaries: [string, (xp: X, a: Arr, b: Arr) => Arr][] = [
    ["add", (xp, a, b) => xp.add(a, b)],
    ["subtract", (xp, a, b) => xp.subtract(a, b)],
    ["multiply", (xp, a, b) => xp.multiply(a, b)],
    ["divide", (xp, a, b) => xp.divide(a, b)],
    ["pow", (xp, a, b) => xp.pow(a, b)],
    ["maximum", (xp, a, b) => xp.maximum(a, b)],
    ["hypot", (xp, a, b) => xp.hypot(a, b)],
    ["less", (xp, a, b) => xp.less(a, b)],
    ["equal", (xp, a, b) => xp.equal(a, b)],
  ];
  for (const [name, f] of binaries) {
    add(`shape_mismatch_${name}`, (c) => {
      const a = c.xp.zeros([3, 4], { dtype: c.dt }), b = c.xp.zeros([2, 4], { dtype: c.dt });
      throws(`${name}((3, 4), (2, 4))`, () => f(c.xp, a, b), "RangeError", ["(3, 4)", "(2, 4)"]);
    });
  }
  add("shape_mismatch_where", (c) => {
    const cond = c.xp.zeros([2], { dtype: "bool" }), x = c.xp.zeros([3], { dtype: c.dt });
    throws("where((2,), (3,), 0)", () => c.xp.where(cond, x, 0), "RangeError", ["(2,)", "(3,)"]);
  });
  add("shape_mismatch_clip", (c) => {
    const x = c.xp.zeros([3], { dtype: c.dt }), lo = c.xp.zeros([2], { dtype: c.dt });
    throws("clip((3,), min (2,))", () => c.xp.clip(x, { min: lo }), "RangeError", ["(3,)", "(2,)"]);
  });
  add("axis_out_of_range", (c) => {
    const x = c.xp.zeros([2, 3], { dtype: c.dt });
    throws("sum((2, 3), axis 2)", () => c.xp.sum(x, { axis: 2 }), "RangeError", ["2"]);
    throws("max((2, 3), axis -3)", () => c.xp.max(x, { axis: -3 }), "RangeError", ["-3"]);
    throws("flip((2, 3), axis 5)", () => c.xp.flip(x, { axis: 5 }), "RangeError", ["5"]);
    throws("concat(axis 2)", () => c.xp.concat([x, x], { axis: 2 }), "RangeError", ["2"]);
    throws("vecdot(axis 3)", () => c.xp.vecdot(x, x, { axis: 3 }), "RangeError", ["3"]);
  });

  const mixes: [string, (xp: X, x: Arr, f: Arr) => unknown][] = [
    ["add", (xp, x, f) => xp.add(x, f)],
    ["add_left", (xp, x, f) => xp.add(f, x)],
    ["multiply_scalar", (xp, _x, f) => xp.multiply(f, 2)],
    ["matmul", (xp, x, f) => xp.matmul(x, f)],
    ["vecdot", (xp, x, f) => xp.vecdot(x, f)],
    ["where", (xp, x, f) => xp.where(xp.less(x, 1), x, f)],
    ["concat", (xp, x, f) => xp.concat([x, f])],
    ["stack", (xp, x, f) => xp.stack([x, f])],
    ["sum", (xp, _x, f) => xp.sum(f)],
    ["linalg_solve", (xp, x, f) => xp.linalg.solve(xp.eye(3, null, { dtype: x.dtype }), f)],
  ];
  for (const [name, f] of mixes) {
    add(`foreign_array_${name}`, (c) => {
      const x = c.a([1, 2, 3]);
      const fake = foreignArray(x);
      throws(`${name} with an array of another namespace`, () => f(c.xp, x, fake), "TypeError");
    });
  }
  return d;
}
