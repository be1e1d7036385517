/**
 * Private helpers of the `LinearOperator` family: elementwise updates that write into donated
 * arrays, broadcast copies, shape arithmetic for operator application, and the wording of
 * error messages. Nothing here is exported from `linalg/mod.ts`.
 *
 * @module
 */
import type { ArrayNamespace, ArrayObject, DType, Shape } from "../array_api/types.ts";
import { defineFused, type FusedDefinition, runFused } from "../array_api/fuse.ts";
import { isFloatDType } from "../array_api/dtypes.ts";
import { broadcastShapes, fmtShape, shapesEqual } from "../array_api/shapes.ts";
import { isArrayObject } from "../array_api/namespace_of.ts";
import type { OperatorLike } from "./types.ts";
import type { LinearOperatorOptions } from "./linear_operator.ts";

/** Elementwise binary operations the operators need. */
export type BinaryOp = "add" | "sub" | "mul";

const PROGRAMS: Record<BinaryOp, FusedDefinition<"a" | "b", "y">> = {
  add: defineFused("linop.add", { a: "float", b: "float" }, (v) => ({ y: v.a.add(v.b) })),
  sub: defineFused("linop.sub", { a: "float", b: "float" }, (v) => ({ y: v.a.sub(v.b) })),
  mul: defineFused("linop.mul", { a: "float", b: "float" }, (v) => ({ y: v.a.mul(v.b) })),
};

/** Whether `dtype` is a complex floating dtype. */
export function isComplexDType(dtype: DType): boolean {
  return dtype === "complex64" || dtype === "complex128";
}

/**
 * `a op b` (broadcasting). When `out` is given it is donated: for real floating operands of
 * one dtype whose broadcast shape equals `out.shape`, the result is written through the
 * namespace's fused path into `out` (which may be `a` or `b` itself: inputs are read before
 * outputs are written); otherwise the result is a new array and `out` is disposed. `a` and `b`
 * are never consumed unless one of them is `out`.
 */
export function elementwise<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
  op: BinaryOp,
  a: A,
  b: A | number,
  out?: A,
): A {
  if (out !== undefined) {
    const bArr = typeof b !== "number";
    if (
      isFloatDType(a.dtype) && (!bArr || b.dtype === a.dtype) && out.dtype === a.dtype &&
      shapesEqual(out.shape, bArr ? broadcastShapes([a.shape, b.shape]) : a.shape)
    ) {
      return runFused(xp, PROGRAMS[op], { a, b }, { out: { y: out }, dtype: a.dtype }).y;
    }
  }
  const r = op === "add" ? xp.add(a, b) : op === "sub" ? xp.subtract(a, b) : xp.multiply(a, b);
  if (out !== undefined) xp.dispose(out);
  return r;
}

/**
 * A new array holding `x` broadcast to `shape` and cast to `dtype` (never aliases `x`).
 */
export function broadcastCopy<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
  x: A,
  shape: Shape,
  dtype: DType,
): A {
  if (shapesEqual(x.shape, shape)) return xp.astype(x, dtype, { copy: true });
  const b = xp.broadcast_to(x, shape);
  const r = xp.astype(b, dtype, { copy: true });
  xp.dispose(b);
  return r;
}

/** `conj(x)` as a new array for complex dtypes; `x` itself for real ones (check identity). */
export function conjIfComplex<A extends ArrayObject>(xp: ArrayNamespace<A>, x: A): A {
  return isComplexDType(x.dtype) ? xp.conj(x) : x;
}

/** Batch shape of an operator or matrix shape `[...batch, M, N]`. */
export function batchOf(shape: Shape): number[] {
  return shape.slice(0, shape.length - 2);
}

/**
 * Shape of `op · x` for an operator of shape `[...batch, M, N]`: `kind` `"vec"` for
 * `x = [...bx, N]` → `[...bc, M]`, `"mat"` for `x = [...bx, N, K]` → `[...bc, M, K]`; `adjoint`
 * swaps M and N. Returns undefined when the shapes do not fit (callers format the error).
 */
export function applyShape(
  opShape: Shape,
  xShape: Shape,
  kind: "vec" | "mat",
  adjoint = false,
): number[] | undefined {
  const M = opShape[opShape.length - 2], N = opShape[opShape.length - 1];
  const inDim = adjoint ? M : N, outDim = adjoint ? N : M;
  const core = kind === "vec" ? 1 : 2;
  if (xShape.length < core || xShape[xShape.length - core] !== inDim) return undefined;
  let bc: number[];
  try {
    bc = broadcastShapes([batchOf(opShape), xShape.slice(0, xShape.length - core)]);
  } catch {
    return undefined;
  }
  return kind === "vec" ? [...bc, outDim] : [...bc, outDim, xShape[xShape.length - 1]];
}

/** A short description of an arbitrary value for error messages. */
export function describe(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  if (isArrayObject(v)) {
    let ns = "?";
    try {
      ns = v.__array_namespace__().name;
    } catch { /* keep "?" */ }
    return `a ${ns} array of shape ${fmtShape(v.shape)} and dtype ${v.dtype}`;
  }
  if (Array.isArray(v)) return `a JS array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} (typed arrays have no shape)`;
  if (typeof v === "object") {
    const name = (v as object).constructor?.name;
    const keys = Object.keys(v as object).slice(0, 6);
    return `${name && name !== "Object" ? `a ${name}` : "an object"} with keys ` +
      `[${keys.join(", ")}]`;
  }
  if (typeof v === "function") return `a function`;
  if (typeof v === "string") return `the string ${JSON.stringify(v.slice(0, 40))}`;
  return `${typeof v} ${String(v)}`;
}

/** Whether `v` looks like an operator: an object (not an array) with a `shape` array and a
 * `matvec` function (SciPy's duck typing; `OperatorLike` objects qualify). */
export function isOperatorLike(v: unknown): v is { shape: Shape; matvec: unknown } {
  return typeof v === "object" && v !== null && !isArrayObject(v) &&
    typeof (v as { matvec?: unknown }).matvec === "function" &&
    (Array.isArray((v as { shape?: unknown }).shape) ||
      ArrayBuffer.isView((v as { shape?: unknown }).shape));
}

/**
 * `LinearOperator` options wrapping an operator-like object: its `matvec`, `matmat`,
 * `rmatvec`, `rmatmat` (called as methods, `out` passed through) and `diagonal` (copied, since
 * foreign objects may return arrays they keep). `xp` comes from the object, else `xpDefault`.
 */
export function operatorLikeOptions<A extends ArrayObject>(
  op: Partial<OperatorLike<A>> & { shape: Shape },
  xpDefault?: ArrayNamespace<A>,
): LinearOperatorOptions<A> {
  const o = op as Record<string, unknown>;
  const bind = (k: string) =>
    typeof o[k] === "function"
      ? (x: A, out?: A): A => (o[k] as (x: A, out?: A) => A).call(op, x, out)
      : undefined;
  const xp = (op.xp ?? xpDefault) as ArrayNamespace<A> | undefined;
  const diag = typeof op.diagonal === "function" && xp !== undefined
    ? (): A => {
      const d = op.diagonal!.call(op);
      if (!isArrayObject(d)) {
        throw new TypeError(`diagonal() of the wrapped operator returned ${describe(d)}`);
      }
      return xp.astype(d, d.dtype, { copy: true });
    }
    : undefined;
  return {
    shape: Array.from(op.shape),
    dtype: op.dtype,
    xp,
    matvec: bind("matvec"),
    matmat: bind("matmat"),
    rmatvec: bind("rmatvec"),
    rmatmat: bind("rmatmat"),
    diagonal: diag,
    selectBatch: typeof o.selectBatch === "function"
      ? (index: Int32Array) => (o.selectBatch as (i: Int32Array) => OperatorLike<A>).call(op, index)
      : undefined,
  };
}

/**
 * The leading batch members `index` (positions in the row-major flattened batch) of `a`, whose
 * last `core` axes are not batch axes: a new array `[index.length, ...a.shape.slice(-core)]`.
 */
export function takeBatch<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
  a: A,
  core: number,
  index: Int32Array,
): A {
  const tail = a.shape.slice(a.ndim - core);
  const nb = a.shape.slice(0, a.ndim - core).reduce((p, d) => p * d, 1);
  const flat = xp.reshape(a, [nb, ...tail]);
  const idx = xp.asarray(index, { dtype: "int32" });
  const out = xp.take(flat, idx, { axis: 0 });
  xp.dispose(idx);
  if (flat !== a) xp.dispose(flat);
  return out;
}
