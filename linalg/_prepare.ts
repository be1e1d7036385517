// Shared system preparation for every solver: namespace resolution, operator wrapping, shape and
// dtype checks, batch broadcasting, x0 / M handling, tolerance validation.
import { ndarrayInto } from "../backends/cpu/_ndarray_interop.ts";
import type { ArrayNamespace, ArrayObject, FloatDType, Shape } from "../array_api/types.ts";
import { isFloatDType } from "../array_api/dtypes.ts";
import { broadcastShapes, fmtShape, shapeSize } from "../array_api/shapes.ts";
import { isArrayObject, namespaceOf } from "../array_api/namespace_of.ts";
import { cpu } from "../backends/cpu/mod.ts";
import { aslinearoperator } from "./aslinearoperator.ts";
import type { OperatorLike } from "./types.ts";

/** A validated, batch-broadcast linear system. */
export interface PreparedSystem<A extends ArrayObject> {
  readonly xp: ArrayNamespace<A>;
  readonly A: OperatorLike<A>;
  readonly M: OperatorLike<A> | null;
  /** Right-hand sides `[...batch, m]`. */
  readonly b: A;
  /** Initial guess `[...batch, n]`, a fresh array owned by the solver (zeros when absent). */
  readonly x: A;
  /** Whether a non-zero initial guess was given (x0 array or "Mb"). */
  readonly x0Given: boolean;
  readonly dtype: FloatDType;
  /** Rows (length of b) and columns (length of x). */
  readonly m: number;
  readonly n: number;
  readonly batch: number[];
  readonly nSys: number;
  /** Bool `[...batch]` flags, true where each input is finite; checked at the first readback.
   * Owned by the solver, which disposes them when it is done. */
  readonly finite: { readonly name: string; readonly ok: A }[];
}

/** Options of {@linkcode prepareSystem}. */
export interface PrepareOptions<A extends ArrayObject> {
  /** Require a square operator (everything but lsqr/lsmr). */
  square: boolean;
  x0?: unknown;
  M?: unknown;
  /** Whether the solver needs the adjoint (`rmatvec`) of A. */
  adjoint?: boolean;
  /** Namespace to use when no input carries one. */
  xp?: ArrayNamespace<A>;
}

function isOperatorLike(v: unknown): v is OperatorLike {
  return typeof v === "object" && v !== null && !isArrayObject(v) &&
    typeof (v as OperatorLike).matvec === "function" && Array.isArray((v as OperatorLike).shape);
}

function nsOfInput(v: unknown): ArrayNamespace | undefined {
  if (isArrayObject(v)) return v.__array_namespace__();
  if (isOperatorLike(v) && (v as OperatorLike).xp) return (v as OperatorLike).xp;
  return undefined;
}

/** Resolves the one namespace of the inputs (TypeError when they disagree; cpu when none). */
export function resolveNamespace<A extends ArrayObject>(
  label: string,
  inputs: Record<string, unknown>,
  fallback?: ArrayNamespace<A>,
): ArrayNamespace<A> {
  let found: ArrayNamespace | undefined;
  let foundName = "";
  for (const [name, v] of Object.entries(inputs)) {
    const ns = nsOfInput(v);
    if (!ns) continue;
    if (!found) {
      found = ns;
      foundName = name;
    } else if (ns !== found) {
      throw new TypeError(
        `${label}: ${foundName} lives on namespace "${found.name}" but ${name} on "${ns.name}"; ` +
          `move them to one namespace first`,
      );
    }
  }
  return (found ?? fallback ?? cpu) as unknown as ArrayNamespace<A>;
}

/** Converts a vector-like input (array of the namespace, nested JS arrays, typed array). */
export function toArray<A extends ArrayObject>(
  label: string,
  name: string,
  xp: ArrayNamespace<A>,
  v: unknown,
  dtype: FloatDType,
): A {
  if (isArrayObject(v)) {
    namespaceOf(v); // validates
    if (v.__array_namespace__() !== xp) {
      throw new TypeError(
        `${label}: ${name} is from namespace "${v.__array_namespace__().name}", expected "${xp.name}"`,
      );
    }
    if (isFloatDType(v.dtype)) {
      if (v.dtype !== dtype) {
        throw new TypeError(
          `${label}: ${name} has dtype ${v.dtype} but the operator has dtype ${dtype} ` +
            `(convert one of them with astype)`,
        );
      }
      return v as A;
    }
    if (v.dtype === "bool" || v.dtype.startsWith("int") || v.dtype.startsWith("uint")) {
      return xp.astype(v as A, dtype);
    }
    throw new TypeError(`${label}: ${name} has unsupported dtype ${v.dtype}`);
  }
  if (v instanceof Float64Array && dtype !== "float64") {
    throw new TypeError(`${label}: ${name} is a Float64Array but the operator has dtype ${dtype}`);
  }
  if (v instanceof Float32Array && dtype !== "float32") {
    throw new TypeError(`${label}: ${name} is a Float32Array but the operator has dtype ${dtype}`);
  }
  if (typeof v === "number" || Array.isArray(v) || ArrayBuffer.isView(v)) {
    // deno-lint-ignore no-explicit-any
    return xp.asarray(v as any, { dtype });
  }
  // an `ndarray`-package array or numjs NdArray: read on the host through its strides
  const nd = ndarrayInto(v, xp, dtype, label);
  if (nd) return nd;
  throw new TypeError(`${label}: ${name} must be an array, got ${describe(v)}`);
}

/** Short description of a value for error messages. */
export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a JS array";
  if (typeof v === "object") return (v as object).constructor?.name ?? "an object";
  return typeof v;
}

/** Validates rtol/atol-like tolerances: finite-or-infinite numbers >= 0. */
export function checkTolerance(label: string, name: string, v: unknown, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== "number" || Number.isNaN(v) || v < 0) {
    throw new RangeError(`${label}: ${name} must be a number >= 0, got ${String(v)}`);
  }
  return v;
}

/** Validates an iteration limit: an integer >= 1 (`min` may allow 0). */
export function checkMaxiter(
  label: string,
  name: string,
  v: unknown,
  dflt: number,
  min = 1,
): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
    throw new RangeError(`${label}: ${name} must be an integer >= ${min}, got ${String(v)}`);
  }
  return v;
}

/** Wraps an operator input as an OperatorLike on `xp` with the given error label. */
export function asOperator<A extends ArrayObject>(
  label: string,
  name: string,
  xp: ArrayNamespace<A>,
  v: unknown,
): OperatorLike<A> {
  if (v === null || v === undefined) throw new TypeError(`${label}: ${name} is missing`);
  try {
    // deno-lint-ignore no-explicit-any
    return aslinearoperator(v as any, { xp } as any) as unknown as OperatorLike<A>;
  } catch (e) {
    if (e instanceof Error) e.message = `${label}: ${name}: ${e.message}`;
    throw e;
  }
}

/** Prepares `A x = b` for a solver (see {@linkcode PreparedSystem}). */
export function prepareSystem<A extends ArrayObject>(
  label: string,
  Ain: unknown,
  bin: unknown,
  opts: PrepareOptions<A>,
): PreparedSystem<A> {
  const x0in = opts.x0 === "Mb" ? undefined : opts.x0;
  const xp = resolveNamespace<A>(label, { A: Ain, b: bin, x0: x0in, M: opts.M }, opts.xp);
  const A = asOperator(label, "A", xp, Ain);
  const shapeA = A.shape;
  if (shapeA.length < 2) {
    throw new RangeError(`${label}: A must have shape (..., M, N), got ${fmtShape(shapeA)}`);
  }
  const m = shapeA[shapeA.length - 2], n = shapeA[shapeA.length - 1];
  if (opts.square && m !== n) {
    throw new RangeError(`${label} needs a square operator, got A with shape ${fmtShape(shapeA)}`);
  }
  if (!isFloatDType(A.dtype)) {
    throw new TypeError(
      `${label}: A has dtype ${A.dtype}; the solvers need float32 or float64 (use astype)`,
    );
  }
  const dtype = A.dtype;
  const caps = xp.__array_namespace_info__().capabilities();
  if (dtype === "float64" && !caps.float64) {
    throw new TypeError(`${label}: namespace "${xp.name}" has no float64`);
  }
  if (opts.adjoint && (typeof A.rmatvec !== "function" || A.hasAdjoint === false)) {
    throw new TypeError(`${label} needs the adjoint of A: give the operator an rmatvec`);
  }
  const b = toArray(label, "b", xp, bin, dtype);
  if (b.ndim < 1 || b.shape[b.ndim - 1] !== m) {
    throw new RangeError(
      `${label}: b with shape ${fmtShape(b.shape)} does not match A with shape ${
        fmtShape(shapeA)
      } (b must be (..., ${m}))`,
    );
  }
  let M: OperatorLike<A> | null = null;
  if (opts.M !== undefined && opts.M !== null) {
    M = asOperator(label, "M", xp, opts.M);
    const sM = M.shape;
    if (sM.length < 2 || sM[sM.length - 1] !== m || sM[sM.length - 2] !== m) {
      throw new RangeError(
        `${label}: preconditioner M with shape ${fmtShape(sM)} does not match A with shape ${
          fmtShape(shapeA)
        }`,
      );
    }
    if (M.dtype !== dtype && isFloatDType(M.dtype)) {
      throw new TypeError(`${label}: M has dtype ${M.dtype} but A has dtype ${dtype}`);
    }
  }
  let x0: A | null = null;
  if (x0in !== undefined && x0in !== null) {
    x0 = toArray(label, "x0", xp, x0in, dtype);
    if (x0.ndim < 1 || x0.shape[x0.ndim - 1] !== n) {
      throw new RangeError(
        `${label}: x0 with shape ${fmtShape(x0.shape)} does not match A with shape ${
          fmtShape(shapeA)
        } (x0 must be (..., ${n}))`,
      );
    }
  } else if (opts.x0 !== undefined && opts.x0 !== null && opts.x0 !== "Mb") {
    throw new TypeError(`${label}: x0 must be an array or "Mb"`);
  }
  const shapes: Shape[] = [shapeA.slice(0, -2), b.shape.slice(0, -1)];
  if (x0) shapes.push(x0.shape.slice(0, -1));
  if (M) shapes.push(M.shape.slice(0, -2));
  let batch: number[];
  try {
    batch = broadcastShapes(shapes);
  } catch {
    throw new RangeError(
      `${label}: batch shapes do not broadcast: A ${fmtShape(shapeA)}, b ${fmtShape(b.shape)}` +
        (x0 ? `, x0 ${fmtShape(x0.shape)}` : "") + (M ? `, M ${fmtShape(M.shape)}` : ""),
    );
  }
  const nSys = shapeSize(batch);
  const bFull = sameShape(b.shape, [...batch, m]) ? b : xp.broadcast_to(b, [...batch, m]);
  let x: A;
  let x0Given = false;
  if (opts.x0 === "Mb") {
    if (m !== n) throw new RangeError(`${label}: x0="Mb" needs a square operator`);
    x = M ? M.matvec(bFull) : xp.astype(bFull, dtype, { copy: true });
    if (!sameShape(x.shape, [...batch, n])) {
      // the iterate is written in place by the solvers: own memory, not a broadcast view
      const v = xp.broadcast_to(x, [...batch, n]);
      const own = xp.astype(v, dtype, { copy: true });
      xp.dispose(...(v === x ? [x] : [v, x]));
      x = own;
    }
    x0Given = true;
  } else if (x0) {
    const v = sameShape(x0.shape, [...batch, n]) ? x0 : xp.broadcast_to(x0, [...batch, n]);
    x = xp.astype(v, dtype, { copy: true });
    if (v !== x0) xp.dispose(v);
    // x0 converted here from a host value or another dtype is ours to release
    if ((x0 as unknown) !== x0in) xp.dispose(x0);
    x0Given = true;
  } else {
    x = xp.zeros([...batch, n], { dtype });
  }
  const finite: { name: string; ok: A }[] = [];
  if (nSys > 0) {
    finite.push({ name: "b", ok: allFinite(xp, bFull) });
    if (x0) finite.push({ name: "x0", ok: allFinite(xp, x) });
    const data = denseOrSparseValues(Ain, xp);
    if (data) {
      const f = xp.isfinite(data.values);
      let ok = xp.all(f, { axis: data.axes });
      xp.dispose(f);
      if (!sameShape(ok.shape, batch)) {
        const full = xp.broadcast_to(ok, batch);
        xp.dispose(ok);
        ok = full;
      }
      finite.push({ name: "A", ok });
    }
  }
  return { xp, A, M, b: bFull, x, x0Given, dtype, m, n, batch, nSys, finite };
}

function allFinite<A extends ArrayObject>(xp: ArrayNamespace<A>, v: A): A {
  const f = xp.isfinite(v);
  const r = xp.all(f, { axis: -1 });
  xp.dispose(f);
  return r;
}

/** The stored values of a dense or sparse A (for the NaN/Inf input check), if reachable. */
function denseOrSparseValues<A extends ArrayObject>(
  Ain: unknown,
  xp: ArrayNamespace<A>,
): { values: A; axes: number[] } | null {
  if (isArrayObject(Ain) && Ain.ndim >= 2) {
    return { values: Ain as A, axes: [-2, -1] };
  }
  const data = (Ain as { data?: unknown; layout?: string } | null)?.data;
  if (isArrayObject(data) && data.__array_namespace__() === xp) {
    // "stacked" sparse batches keep all values in one 1-D array: the check is then global.
    return { values: data as A, axes: [-1] };
  }
  return null;
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
