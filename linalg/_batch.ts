// Small batch helpers shared by the solvers.
import type { ArrayNamespace, ArrayObject, FloatDType } from "../array_api/types.ts";
import { defineFused, runFused } from "../array_api/fuse.ts";
import type { OperatorLike } from "./types.ts";

/** `[...batch]` → `[...batch, 1]` (a per-system scalar that broadcasts against vectors). */
export function col<A extends ArrayObject>(xp: ArrayNamespace<A>, a: A): A {
  return xp.reshape(a, [...a.shape, 1]);
}

const residualSq = defineFused(
  "residual.norm2",
  { b: "float", ax: "float" },
  (v, f) => {
    const r = v.b.sub(v.ax);
    return { rr: f.sum(r.mul(r)) };
  },
);

const sqrtProg = defineFused("sqrt", { a: "float" }, (v) => ({ s: v.a.sqrt() }));

/** True residual norm `‖b − A x‖` per system, `[...batch]`. */
export function trueResidualNorm<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
  A: OperatorLike<A>,
  b: A,
  x: A,
): A {
  const ax = A.matvec(x);
  const { rr } = runFused(xp, residualSq, { b, ax });
  xp.dispose(ax);
  const { s } = runFused(xp, sqrtProg, { a: rr });
  xp.dispose(rr);
  return s;
}

/** `b − A x` as a fresh array `[...batch, m]`. */
export function residualVector<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
  A: OperatorLike<A>,
  b: A,
  x: A,
): A {
  const ax = A.matvec(x);
  const { r } = runFused(xp, subProg, { a: b, b: ax }, { out: { r: ax } });
  return r;
}

const subProg = defineFused("sub", { a: "float", b: "float" }, (v) => ({ r: v.a.sub(v.b) }));

/** A copy of `a`. */
export function copyOf<A extends ArrayObject>(xp: ArrayNamespace<A>, a: A): A {
  return xp.astype(a, a.dtype, { copy: true });
}

/** Empty result typed arrays for `nSys` systems. */
export function emptyStats(nSys: number): {
  info: Int32Array;
  iterations: Int32Array;
  residualNorm: Float64Array;
} {
  return {
    info: new Int32Array(nSys),
    iterations: new Int32Array(nSys),
    residualNorm: new Float64Array(nSys),
  };
}

/** The float dtype's machine epsilon. */
export function epsOf(dtype: FloatDType): number {
  return dtype === "float64" ? Number.EPSILON : dtype === "float32" ? 2 ** -23 : 2 ** -10;
}
