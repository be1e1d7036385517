// Small batch helpers shared by the solvers.
import type { ArrayNamespace, ArrayObject, FloatDType } from "../array_api/types.ts";
import { defineFused, runFused } from "../array_api/fuse.ts";
import type { OperatorLike } from "./types.ts";
import type { PreparedSystem } from "./_prepare.ts";

/** `[...batch]` → `[...batch, 1]` (a per-system scalar that broadcasts against vectors). */
export function col<A extends ArrayObject>(xp: ArrayNamespace<A>, a: A): A {
  return xp.reshape(a, [...a.shape, 1]);
}

/** Collects `[...batch, 1]` views made with {@linkcode col} so that they can be disposed
 * together once the work that reads them has been recorded (each view is a handle of its own:
 * on tfjs and WebGPU an undisposed one leaks). */
export class Cols<A extends ArrayObject> {
  private views: A[] = [];
  /** @param xp the namespace of the arrays. */
  constructor(readonly xp: ArrayNamespace<A>) {}
  /** `[...batch]` → `[...batch, 1]`, disposed at the next {@linkcode Cols.release}. */
  col(a: A): A {
    const v = col(this.xp, a);
    if (v !== a) this.views.push(v);
    return v;
  }
  /** Disposes the views made since the last release. */
  release(): void {
    if (this.views.length > 0) this.xp.dispose(...this.views);
    this.views = [];
  }
}

/** The arrays `prepareSystem` made that the solver owns and that no result keeps: the
 * finiteness flags, and `b` when it is not the caller's own array (converted from JS arrays,
 * cast, or broadcast over the batch). `bIn` is what was passed to `prepareSystem`. */
export function preparedTemps<A extends ArrayObject>(sys: PreparedSystem<A>, bIn: unknown): A[] {
  const out = sys.finite.map((f) => f.ok);
  if ((sys.b as unknown) !== bIn) out.push(sys.b);
  return out;
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
