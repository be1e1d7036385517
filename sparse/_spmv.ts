/**
 * Batched sparse products `A @ x` / `A @ X` for CSR structures: argument checks, SciPy 1.18
 * batch broadcasting, dispatch to the namespace's `csrMatvec`/`csrMatmat` kernels (reducing
 * every broadcast to the two cases the interface requires), and the portable fallback built
 * from standard functions (ELL-style gather with `take`, multiply, segmented `sum`).
 *
 * @module
 */
import type { ArrayNamespace, ArrayObject, CsrData, DType, Shape } from "../array_api/types.ts";
import { broadcastShapes, fmtShape, shapesEqual, shapeSize } from "../array_api/shapes.ts";
import { isArrayObject } from "../array_api/namespace_of.ts";
import type { CsrStructure } from "./_structure.ts";

/** What a product needs to know about the operator. */
export interface CsrOperand<A extends ArrayObject> {
  /** Namespace of `data` and of the vectors. */
  readonly xp: ArrayNamespace<A>;
  /** Structure (`B` > 1: stacked layout). */
  readonly s: CsrStructure;
  /** `[...batch, nnz]` (shared) or `[nnz]` (stacked). */
  readonly data: A;
  /** Operator batch shape (`[B]` for stacked). */
  readonly batch: Shape;
  /** Full operator shape, for messages. */
  readonly shape: Shape;
  /** `data` gathered into the SpMV plan's level-1 (ELL) order; cached by the caller. */
  ell(): A;
}

/** Options of {@linkcode csrApply}. */
export interface ApplyOptions<A> {
  /** Matrix product (`X` is `[..., N, K]`) instead of matrix-vector. */
  readonly mat: boolean;
  /** Donated output. */
  readonly out?: A;
  /** Name used in error messages (`"CsrArray.matvec"`). */
  readonly label: string;
  /** Use the namespace's kernel hooks when present (false: always the portable path). */
  readonly kernels?: boolean;
}

/** Converts `x` to an array of `xp` (host input is accepted) or throws a `TypeError`. */
export function asOperand<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
  x: unknown,
  label: string,
): A {
  if (isArrayObject(x)) {
    const ns = x.__array_namespace__();
    if (ns !== xp) {
      throw new TypeError(
        `${label}: x belongs to namespace ${ns.name} but the operator to ${xp.name} ` +
          `(move one of them, e.g. with A.to(xp))`,
      );
    }
    return x as A;
  }
  if (
    Array.isArray(x) || ArrayBuffer.isView(x) || typeof x === "number"
  ) {
    // deno-lint-ignore no-explicit-any
    return xp.asarray(x as any);
  }
  throw new TypeError(`${label}: x must be an array of namespace ${xp.name}, got ${typeof x}`);
}

/** Computes `A @ x` (see the module documentation). */
export function csrApply<A extends ArrayObject>(
  a: CsrOperand<A>,
  xIn: unknown,
  opts: ApplyOptions<A>,
): A {
  const { xp, s } = a;
  const { mat, label } = opts;
  const x = asOperand(xp, xIn, label);
  const tail = mat ? 1 : 0;
  const need = 1 + tail;
  const nAxis = x.ndim - need;
  if (x.ndim < need || x.shape[nAxis] !== s.N) {
    throw new RangeError(
      `${label}: x has shape ${fmtShape(x.shape)} but the operator of shape ${
        fmtShape(a.shape)
      } needs ${mat ? `(..., ${s.N}, K)` : `(..., ${s.N})`}`,
    );
  }
  if (x.dtype === "bool" || x.dtype.startsWith("complex")) {
    throw new TypeError(`${label}: x has dtype ${x.dtype}; real numeric input is required`);
  }
  const K = mat ? x.shape[x.ndim - 1] : 1;
  const bX = x.shape.slice(0, nAxis);
  const bA = a.batch;
  let bR: number[];
  try {
    bR = broadcastShapes([bA, bX]);
  } catch {
    throw new RangeError(
      `${label}: the operator's batch shape ${fmtShape(bA)} (shape ${fmtShape(a.shape)}) and ` +
        `x's batch shape ${fmtShape(bX)} (shape ${fmtShape(x.shape)}) cannot be broadcast`,
    );
  }
  const rt: DType = xp.result_type(a.data.dtype, x.dtype);
  const outShape = mat ? [...bR, s.M, K] : [...bR, s.M];
  let out = opts.out;
  if (out !== undefined) {
    if (!isArrayObject(out) || out.__array_namespace__() !== xp) {
      throw new TypeError(`${label}: out must be an array of namespace ${xp.name}`);
    }
    if (!shapesEqual(out.shape, outShape)) {
      throw new RangeError(
        `${label}: out has shape ${fmtShape(out.shape)}, expected ${fmtShape(outShape)}`,
      );
    }
    if (out.dtype !== rt) {
      throw new TypeError(`${label}: out has dtype ${out.dtype}, expected ${rt}`);
    }
    if (out === x) out = undefined; // never write into an input that is still being read
  }
  let y: A;
  if (shapeSize(outShape) === 0 || s.nnz === 0) {
    y = xp.zeros(outShape, { dtype: rt });
  } else {
    const kernelY = opts.kernels === false
      ? undefined
      : viaKernel(a, x, bX, bR, mat, K, rt, outShape, out);
    y = kernelY ?? portable(a, x, bX, bR, mat, K, outShape);
  }
  if (opts.out !== undefined && opts.out !== y && opts.out !== x) xp.dispose(opts.out);
  return y;
}

function padLeft(shape: Shape, n: number): number[] {
  return [...new Array<number>(n - shape.length).fill(1), ...shape];
}

function viaKernel<A extends ArrayObject>(
  a: CsrOperand<A>,
  x0: A,
  bX: Shape,
  bR: number[],
  mat: boolean,
  K: number,
  rt: DType,
  outShape: number[],
  out: A | undefined,
): A | undefined {
  const { xp, s } = a;
  const matvecHook = xp.csrMatvec?.bind(xp);
  const matmatHook = xp.csrMatmat?.bind(xp);
  const hook = mat ? matmatHook : matvecHook;
  if (!hook) return undefined;
  const stacked = s.B > 1;
  const nb = bR.length;
  const pA = padLeft(a.batch, nb);
  const aDims: number[] = [], xDims: number[] = [];
  for (let d = 0; d < nb; d++) {
    if (bR[d] === 1) continue;
    if (pA[d] === bR[d]) aDims.push(d);
    else xDims.push(d);
  }
  if (xDims.length > 0 && aDims.length > 0 && !matmatHook && stacked) return undefined;
  // every intermediate handle (reshape/broadcast views included: on tfjs they are tensors)
  // is released at the end
  const fresh: A[] = [];
  const tmp = (v: A, base: A): A => {
    if (v !== base) fresh.push(v);
    return v;
  };
  const x = tmp(x0.dtype === rt ? x0 : xp.astype(x0, rt), x0);
  const data = tmp(a.data.dtype === rt ? a.data : xp.astype(a.data, rt), a.data);
  const csr = (shape: Shape, d: A): CsrData<A> => ({
    shape,
    layout: stacked ? "stacked" : "shared",
    nnz: s.nnz,
    indptr: s.device(xp, "indptr"),
    indices: s.device(xp, "indices"),
    data: d,
  });
  const tailIn = mat ? [s.N, K] : [s.N];
  const tailOut = mat ? [s.M, K] : [s.M];
  // `r` (a kernel's result) is an intermediate when it is reshaped into y
  const shaped = (r: A, shape: Shape): A => {
    const v = xp.reshape(r, shape);
    if (v !== r) fresh.push(r);
    return v;
  };
  let y: A;
  if (aDims.length === 0) {
    // One matrix for every vector (stacked arrays always have an operator batch axis).
    const d = tmp(xp.reshape(data, [s.nnz]), data);
    const direct = shapesEqual(bX, bR);
    const r = hook(csr([s.M, s.N], d), x, direct ? out : undefined);
    y = direct ? r : shaped(r, outShape);
  } else if (xDims.length === 0) {
    // Every non-trivial batch axis belongs to the operator: the batches match after
    // broadcasting x.
    const xb = shapesEqual(bX, bR) ? x : tmp(xp.broadcast_to(x, [...bR, ...tailIn]), x);
    if (stacked) {
      const xs = tmp(xp.reshape(xb, [s.B, ...tailIn]), xb);
      const direct = shapesEqual(outShape, [s.B, ...tailOut]);
      const r = hook(csr([s.B, s.M, s.N], data), xs, direct ? out : undefined);
      y = direct ? r : shaped(r, outShape);
    } else {
      const d = shapesEqual(data.shape.slice(0, -1), bR)
        ? data
        : tmp(xp.reshape(data, [...bR, s.nnz]), data);
      y = hook(csr([...bR, s.M, s.N], d), xb, out);
    }
  } else if (!matmatHook) {
    // Mixed broadcast without a matmat kernel: materialise the operator batch.
    const dr = tmp(xp.reshape(data, [...pA, s.nnz]), data);
    const d = tmp(xp.broadcast_to(dr, [...bR, s.nnz]), dr);
    const xb = shapesEqual(bX, bR) ? x : tmp(xp.broadcast_to(x, [...bR, ...tailIn]), x);
    y = hook(csr([...bR, s.M, s.N], d), xb, out);
  } else {
    // Mixed broadcast: move the vector-only batch axes into the columns of one matmat.
    const keep = [...aDims, ...xDims].sort((p, q) => p - q);
    const xb = shapesEqual(bX, bR) ? x : tmp(xp.broadcast_to(x, [...bR, ...tailIn]), x);
    const xr = tmp(xp.reshape(xb, [...keep.map((d) => bR[d]), ...tailIn]), xb);
    const na = aDims.length, nx = xDims.length, nk = keep.length;
    const perm: number[] = [];
    for (const d of aDims) perm.push(keep.indexOf(d));
    perm.push(nk);
    for (const d of xDims) perm.push(keep.indexOf(d));
    if (mat) perm.push(nk + 1);
    const xt = tmp(xp.permute_dims(xr, perm), xr);
    const P = shapeSize(aDims.map((d) => bR[d]));
    const Q = shapeSize(xDims.map((d) => bR[d])) * K;
    const X2 = tmp(xp.reshape(xt, [P, s.N, Q]), xt);
    const d2 = stacked ? data : tmp(xp.reshape(data, [P, s.nnz]), data);
    const Y = tmp(matmatHook!(csr([P, s.M, s.N], d2), X2), X2);
    const Y2 = tmp(
      xp.reshape(Y, [
        ...aDims.map((d) => bR[d]),
        s.M,
        ...xDims.map((d) => bR[d]),
        ...(mat ? [K] : []),
      ]),
      Y,
    );
    const inv: number[] = [];
    for (const d of keep) {
      const ia = aDims.indexOf(d);
      inv.push(ia >= 0 ? ia : na + 1 + xDims.indexOf(d));
    }
    inv.push(na);
    if (mat) inv.push(na + 1 + nx);
    y = shaped(tmp(xp.permute_dims(Y2, inv), Y2), outShape);
  }
  xp.dispose(...fresh.filter((t) => t !== y));
  return y;
}

function portable<A extends ArrayObject>(
  a: CsrOperand<A>,
  x: A,
  bX: Shape,
  bR: number[],
  mat: boolean,
  K: number,
  outShape: number[],
): A {
  const { xp, s } = a;
  const plan = s.spmvPlan();
  const tail: 0 | 1 = mat ? 1 : 0;
  const tailIn = mat ? [s.N, K] : [s.N];
  const fresh: A[] = [];
  let xs = x;
  if (s.B > 1) {
    const xb = shapesEqual(bX, bR) ? x : xp.broadcast_to(x, [...bR, ...tailIn]);
    xs = xp.reshape(xb, [...bR.slice(0, -1), s.B * s.N, ...(mat ? [K] : [])]);
  }
  const axis = xs.ndim - 1 - tail;
  if (plan.colPadded) {
    const zs = xs.shape.slice();
    zs[axis] = 1;
    const z = xp.zeros(zs, { dtype: xs.dtype });
    xs = xp.concat([xs, z], { axis });
    fresh.push(z, xs);
  }
  const xg = xp.take(xs, s.device(xp, "cols"), { axis });
  fresh.push(xg);
  let e = a.ell();
  if (mat) {
    e = xp.expand_dims(e, { axis: -1 });
  }
  const prod = xp.multiply(e, xg);
  fresh.push(prod);
  const y0 = plan.sum.apply(xp, prod, tail, 1);
  const y = shapesEqual(y0.shape, outShape) ? y0 : xp.reshape(y0, outShape);
  xp.dispose(...fresh.filter((t) => t !== y && t !== y0));
  return y;
}

/** `data` gathered into the level-1 (ELL) order of the SpMV plan (last axis). */
export function ellOf<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
  s: CsrStructure,
  data: A,
): A {
  const lv = s.spmvPlan().sum.levels[0];
  if (lv.identity) return data;
  let src = data;
  if (lv.padded) {
    const zs = data.shape.slice();
    zs[zs.length - 1] = 1;
    src = xp.concat([data, xp.zeros(zs, { dtype: data.dtype })], { axis: -1 });
  }
  const g = xp.take(src, s.spmvPlan().sum.indexOn(xp, 0), { axis: -1 });
  if (src !== data) xp.dispose(src);
  return g;
}
