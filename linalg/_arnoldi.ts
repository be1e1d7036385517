// Batched Arnoldi building blocks shared by gmres, lgmres and gcrotmk.
//
// The Krylov basis is a list of `[...batch, n]` arrays (one per basis vector, every system of
// the batch at once). Orthogonalisation is modified Gram–Schmidt, in SciPy's order, with each
// projection fused with the next dot product (one pass over the vectors per basis vector).
// Per-system scalars (Hessenberg entries, Givens cosines/sines, residual estimates) are arrays
// of the batch shape, updated by small fused programs; the triangular factors used at the end
// of a cycle are stacked column by column into `[...batch, K]` arrays so that back substitution
// and least-squares solves take a handful of batched calls.
//
// Masking conventions: a system that does not take part in an Arnoldi step gets a zero basis
// vector (`where`, so NaN/Inf from an operator never leaks), unused columns are masked out of
// the stacked matrices, and combinations skip zero coefficients, so systems that stopped early
// keep exactly what SciPy would have computed for them alone.
import type { ArrayNamespace, ArrayObject, FloatDType } from "../array_api/types.ts";
import { defineFused, type Expr, type FuseOps, runFused } from "../array_api/fuse.ts";
import { col } from "./_batch.ts";
import type { ConvergenceMonitor } from "./_convergence.ts";

// ---------------------------------------------------------------------------- vector passes

/** `‖w‖²` and `v·w` in one pass. */
export const dotNorm = defineFused("arnoldi.dotNorm", { w: "float", v: "float" }, (v, f) => ({
  ww: f.sum(v.w.mul(v.w)),
  d: f.sum(v.v.mul(v.w)),
}));

/** `‖w‖²`. */
export const normSq = defineFused("arnoldi.normSq", { w: "float" }, (v, f) => ({
  ww: f.sum(v.w.mul(v.w)),
}));

/** One modified Gram–Schmidt projection `w ← w − h·v`, fused with the next dot `vn·w`. */
export const mgsStep = defineFused(
  "arnoldi.mgs",
  { w: "float", v: "float", h: "float", vn: "float" },
  (v, f) => {
    const w = v.w.sub(v.h.mul(v.v));
    return { w, d: f.sum(v.vn.mul(w)) };
  },
);

/** The last projection `w ← w − h·v`, fused with `‖w‖²`. */
export const mgsLast = defineFused(
  "arnoldi.mgsLast",
  { w: "float", v: "float", h: "float" },
  (v, f) => {
    const w = v.w.sub(v.h.mul(v.v));
    return { w, ww: f.sum(w.mul(w)) };
  },
);

/** `v = keep ? w·s : 0` (a `where`, so a non-finite `w` of a dropped system never leaks). */
export const scaleKeep = defineFused(
  "arnoldi.scale",
  { w: "float", s: "float", keep: "bool" },
  (v, f) => ({ v: f.where(v.keep, v.w.mul(v.s), 0) }),
);

/** `acc + ca·a + cb·b` where `keep`, else `acc`; `‖result‖²` in the same pass. */
export const comb2 = defineFused(
  "arnoldi.comb2",
  { acc: "float", a: "float", b: "float", ca: "float", cb: "float", keep: "bool" },
  (v, f) => {
    const r = f.where(v.keep, v.acc.add(v.ca.mul(v.a)).add(v.cb.mul(v.b)), v.acc);
    return { r, rr: f.sum(r.mul(r)) };
  },
);

/** `acc + ca·a` where `keep`, else `acc`; `‖result‖²` in the same pass. */
export const comb1 = defineFused(
  "arnoldi.comb1",
  { acc: "float", a: "float", ca: "float", keep: "bool" },
  (v, f) => {
    const r = f.where(v.keep, v.acc.add(v.ca.mul(v.a)), v.acc);
    return { r, rr: f.sum(r.mul(r)) };
  },
);

// ---------------------------------------------------------------------------- scalar programs

/**
 * LAPACK's `lartg` (3.10+ convention, as SciPy's bundled LAPACK): `c = |f|/d`, `r = sign(f)·d`,
 * `s = g/r` with `d = hypot(f, g)`; `g = 0` gives `(1, 0, f)`, `f = 0` gives `(0, sign g, |g|)`.
 */
export function lartg(f: Expr, g: Expr, F: FuseOps): { c: Expr; s: Expr; r: Expr } {
  const gz = g.eq(0), fz = f.eq(0);
  const d = f.hypot(g);
  const r = F.where(gz, f, F.where(fz, g.abs(), F.where(f.lt(0), d.neg(), d)));
  const c = F.where(gz, 1, F.where(fz, 0, f.abs().div(d)));
  const s = F.where(gz, 0, F.where(fz, g.sign(), g.div(r)));
  return { c, s, r };
}

/** Applies a past Givens rotation to two entries of the new Hessenberg column. */
export const rotate = defineFused(
  "arnoldi.rotate",
  { c: "float", s: "float", a: "float", b: "float" },
  (v) => ({
    a: v.c.mul(v.a).add(v.s.mul(v.b)),
    b: v.c.mul(v.b).sub(v.s.mul(v.a)),
  }),
);

/** Applies two consecutive past rotations (k, k+1) to entries k, k+1, k+2 in one call. */
export const rotate2 = defineFused(
  "arnoldi.rotate2",
  { c0: "float", s0: "float", c1: "float", s1: "float", a: "float", b: "float", d: "float" },
  (v) => {
    const b1 = v.c0.mul(v.b).sub(v.s0.mul(v.a));
    return {
      a: v.c0.mul(v.a).add(v.s0.mul(v.b)),
      b: v.c1.mul(b1).add(v.s1.mul(v.d)),
      d: v.c1.mul(v.d).sub(v.s1.mul(b1)),
    };
  },
);

/**
 * Applies the past rotations `0 … col−1` to the new column `h[0 … col]` (in place in the
 * list; `h[col]` ends up as the entry the new rotation acts on). Disposes replaced arrays
 * except those in `keep`.
 */
export function applyRotations<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
  h: A[],
  cs: readonly A[],
  sn: readonly A[],
  dtype: FloatDType,
  keep?: ReadonlySet<A>,
): void {
  const ncol = h.length - 1;
  const drop = (...a: A[]) => xp.dispose(...(keep ? a.filter((e) => !keep.has(e)) : a));
  let k = 0;
  for (; k + 1 < ncol; k += 2) {
    const r = runFused(xp, rotate2, {
      c0: cs[k],
      s0: sn[k],
      c1: cs[k + 1],
      s1: sn[k + 1],
      a: h[k],
      b: h[k + 1],
      d: h[k + 2],
    }, { dtype });
    drop(h[k], h[k + 1], h[k + 2]);
    h[k] = r.a;
    h[k + 1] = r.b;
    h[k + 2] = r.d;
  }
  if (k < ncol) {
    const r = runFused(xp, rotate, { c: cs[k], s: sn[k], a: h[k], b: h[k + 1] }, { dtype });
    drop(h[k], h[k + 1]);
    h[k] = r.a;
    h[k + 1] = r.b;
  }
}

// ---------------------------------------------------------------------------- small helpers

/** Per-solve cache of small index arrays (`[i]` as int32, `arange(K)`). */
export class IndexCache<A extends ArrayObject> {
  private readonly xp: ArrayNamespace<A>;
  private readonly single = new Map<number, A>();
  private readonly ranges = new Map<string, A>();
  constructor(xp: ArrayNamespace<A>) {
    this.xp = xp;
  }
  /** The int32 array `[i]`. */
  at(i: number): A {
    let a = this.single.get(i);
    if (!a) {
      a = this.xp.asarray([i], { dtype: "int32" });
      this.single.set(i, a);
    }
    return a;
  }
  /** The int32 array `arange(K)` with shape `shape` (default `[K]`). */
  range(K: number, shape?: readonly number[]): A {
    const key = `${K}:${shape ? shape.join(",") : ""}`;
    let a = this.ranges.get(key);
    if (!a) {
      a = this.xp.arange(0, K, 1, { dtype: "int32" });
      if (shape) {
        const flat = a;
        a = this.xp.reshape(flat, shape);
        if (a !== flat) this.xp.dispose(flat);
      }
      this.ranges.set(key, a);
    }
    return a;
  }
  /** Releases every cached array. */
  dispose(): void {
    this.xp.dispose(...this.single.values(), ...this.ranges.values());
    this.single.clear();
    this.ranges.clear();
  }
}

/** Stacks per-system scalars `[...batch]` into `[...batch, K]`, padding with `zero`. */
export function stackPadded<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
  vals: readonly A[],
  K: number,
  zero: A,
): A {
  const parts: A[] = vals.slice(0, K);
  while (parts.length < K) parts.push(zero);
  return xp.stack(parts, { axis: -1 });
}

/** `M @ y` for `M` `[...batch, P, J]` and `y` `[...batch, J]`: a fresh `[...batch, P]` array. */
export function matvecSmall<A extends ArrayObject>(xp: ArrayNamespace<A>, M: A, y: A): A {
  const yc = xp.expand_dims(y, { axis: -1 });
  const p = xp.matmul(M, yc);
  const r = xp.squeeze(p, -1);
  xp.dispose(yc, p);
  return r;
}

/** Entry `i` of the last axis of `y` as a `[...batch, 1]` array (a fresh array). */
export function entry<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
  y: A,
  i: number,
  idx: IndexCache<A>,
): A {
  return xp.take(y, idx.at(i), { axis: -1 });
}

/**
 * `acc + Σ_{i<J} y[..., i]·vecs[i]` where `keep` (`[...batch, 1]` bool), else `acc`; also
 * returns `‖result‖²`. `acc` is donated; `y` is `[...batch, ≥J]`. Zero coefficients
 * contribute nothing as long as the vectors are finite (the solvers zero unused vectors).
 */
export function combine<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
  acc: A,
  vecs: readonly A[],
  y: A,
  J: number,
  keep: A,
  idx: IndexCache<A>,
  dtype: FloatDType,
): { r: A; rr: A } {
  let r = acc;
  let rr: A | null = null;
  let i = 0;
  if (J === 0) {
    const o = runFused(xp, normSq, { w: r }, { dtype });
    return { r, rr: o.ww };
  }
  for (; i + 1 < J; i += 2) {
    const ca = entry(xp, y, i, idx), cb = entry(xp, y, i + 1, idx);
    if (rr) xp.dispose(rr);
    ({ r, rr } = runFused(
      xp,
      comb2,
      { acc: r, a: vecs[i], b: vecs[i + 1], ca, cb, keep },
      { dtype, out: { r } },
    ));
    xp.dispose(ca, cb);
  }
  if (i < J) {
    const ca = entry(xp, y, i, idx);
    if (rr) xp.dispose(rr);
    ({ r, rr } = runFused(xp, comb1, { acc: r, a: vecs[i], ca, keep }, { dtype, out: { r } }));
    xp.dispose(ca);
  }
  return { r, rr: rr! };
}

/**
 * Modified Gram–Schmidt of `w` against `basis` (in order), SciPy's order of operations.
 * Returns the projection coefficients (per-system `[...batch]` arrays), the new `w`
 * (`w` is donated when `ownW`), `‖w‖²` before the projections and after them.
 */
export function mgs<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
  w: A,
  ownW: boolean,
  basis: readonly A[],
  dtype: FloatDType,
): { w: A; h: A[]; ww0: A; ww: A } {
  const h: A[] = [];
  if (basis.length === 0) {
    const o = runFused(xp, normSq, { w }, { dtype });
    return { w: ownW ? w : xp.astype(w, w.dtype, { copy: true }), h, ww0: o.ww, ww: o.ww };
  }
  const first = runFused(xp, dotNorm, { w, v: basis[0] }, { dtype });
  const ww0 = first.ww;
  let d = first.d;
  let owned = ownW;
  for (let k = 0; k < basis.length; k++) {
    h.push(d);
    const hc = col(xp, d);
    const out = owned ? { out: { w } } : {};
    if (k + 1 < basis.length) {
      const o = runFused(
        xp,
        mgsStep,
        { w, v: basis[k], h: hc, vn: basis[k + 1] },
        { dtype, ...out },
      );
      w = o.w;
      d = o.d;
    } else {
      const o = runFused(xp, mgsLast, { w, v: basis[k], h: hc }, { dtype, ...out });
      w = o.w;
      xp.dispose(hc);
      return { w, h, ww0, ww: o.ww };
    }
    owned = true;
    xp.dispose(hc);
  }
  throw new Error("unreachable");
}

/** Per-system residual history without the idle markers (negative entries). */
export function historyOf<A extends ArrayObject>(mon: ConvergenceMonitor<A>): Float64Array[] {
  return mon.historyPerSystem().map((h) => h.filter((v) => !(v < 0)));
}
