// Golub–Kahan bidiagonalization shared by lsqr and lsmr (batched, per-system scalars on the
// device), plus the fused-expression helpers both solvers use (SciPy's `_sym_ortho`, the
// "1 + t <= 1" machine-precision tests).
//
// The Lanczos vectors are kept *unnormalised* with a per-system scale: `u = uscale·uRaw`,
// `v = vscale·vRaw`. SciPy normalises them in place (`u = (1/beta)·u`); applying the scale
// lazily inside the next fused pass gives the same vectors up to rounding and saves two full
// vector passes per iteration. The scale is 1 where SciPy skips the normalisation (beta = 0 or
// alpha = 0).
import type { ArrayNamespace, ArrayObject } from "../array_api/types.ts";
import { defineFused, type Expr, type FuseOps, runFused } from "../array_api/fuse.ts";
import { isArrayObject } from "../array_api/namespace_of.ts";
import { col } from "./_batch.ts";
import type { OperatorLike } from "./types.ts";

/** 2^-53: `1 + t <= 1` in float64 exactly when `t <= 2^-53` (for t >= 0 or NaN-free t). */
export const HALF_ULP_ONE = 2 ** -53;

/** SciPy's `np.finfo(np.float64).eps`, used by lsqr whatever the dtype. */
export const EPS64 = 2 ** -52;

/** SciPy's `1 + t <= 1` test with float64 semantics in any precision. */
export function machineSmall(t: Expr): Expr {
  return t.le(HALF_ULP_ONE);
}

/**
 * SciPy's `_sym_ortho(a, b)` (stable Givens rotation, S.-C. Choi) as fused expressions:
 * `c, s, r` with `[c s; −s c]·[a; b] = [r; 0]`. Both branches are evaluated and selected with
 * `where`, so the selected values equal SciPy's operation by operation.
 */
export function symOrtho(
  f: FuseOps,
  a: Expr,
  b: Expr | number,
): { c: Expr; s: Expr; r: Expr } {
  if (typeof b === "number") b = f.const(b);
  const bZero = b.eq(0), aZero = a.eq(0);
  const bBig = b.abs().gt(a.abs());
  // |b| > |a|
  const tauB = a.div(b);
  const sB = b.sign().div(tauB.mul(tauB).add(1).sqrt());
  const cB = sB.mul(tauB);
  const rB = b.div(sB);
  // |a| >= |b|
  const tauA = b.div(a);
  const cA = a.sign().div(tauA.mul(tauA).add(1).sqrt());
  const sA = cA.mul(tauA);
  const rA = a.div(cA);
  const c = f.where(bZero, a.sign(), f.where(aZero, 0, f.where(bBig, cB, cA)));
  const s = f.where(bZero, 0, f.where(aZero, b.sign(), f.where(bBig, sB, sA)));
  const r = f.where(bZero, a.abs(), f.where(aZero, b.abs(), f.where(bBig, rB, rA)));
  return { c, s, r };
}

/** Per-system Golub–Kahan state (arrays of the batch shape unless noted). */
export interface GkState<A extends ArrayObject> {
  /** `[...batch, m]`, unnormalised (`u = uscale·u`). */
  u: A;
  /** `[...batch, n]`, unnormalised (`v = vscale·v`). */
  v: A;
  uscale: A;
  vscale: A;
  alpha: A;
  beta: A;
  /** ‖b‖ per system. */
  bnorm: A;
}

const initSums = defineFused("gk.init.sums", { b: "float", u: "float" }, (v, f) => ({
  bb: f.sum(v.b.mul(v.b)),
  uu: f.sum(v.u.mul(v.u)),
}));

const initBeta = defineFused("gk.init.beta", { bb: "float", uu: "float" }, (v, f) => {
  const beta = v.uu.sqrt();
  return {
    beta,
    bnorm: v.bb.sqrt(),
    uscale: f.where(beta.gt(0), f.const(1).div(beta), 1),
  };
});

// v = Aᴴu (SciPy: A.rmatvec((1/beta)·u)); zero where beta = 0 (SciPy then exits at once).
const initV = defineFused("gk.init.v", { atu: "float", uscale: "float", beta: "float" }, (v, f) => {
  const vv = f.where(v.beta.gt(0), v.atu.mul(v.uscale), 0);
  return { v: vv, aa: f.sum(vv.mul(vv)) };
});

const initAlpha = defineFused("gk.init.alpha", { aa: "float" }, (v, f) => {
  const alpha = v.aa.sqrt();
  return { alpha, vscale: f.where(alpha.gt(0), f.const(1).div(alpha), 1) };
});

// u ← A·v − alpha·u (normalised vectors; raw ones times their scales), ‖u‖² in the same pass.
const stepU = defineFused(
  "gk.u",
  { av: "float", u: "float", vscale: "float", uscale: "float", alpha: "float", act: "bool" },
  (v, f) => {
    const u = f.where(v.act, v.av.mul(v.vscale).sub(v.alpha.mul(v.u.mul(v.uscale))), v.u);
    return { u, uu: f.sum(u.mul(u)) };
  },
);

// v ← Aᴴu − beta·v where beta = ‖u‖ > 0 (else SciPy keeps v), ‖v‖² in the same pass.
const stepV = defineFused(
  "gk.v",
  { atu: "float", v: "float", uu: "float", vscale: "float", act: "bool" },
  (v, f) => {
    const beta = v.uu.sqrt();
    const go = v.act.and(beta.gt(0));
    const vv = f.where(
      go,
      v.atu.mul(f.const(1).div(beta)).sub(beta.mul(v.v.mul(v.vscale))),
      v.v,
    );
    return { v: vv, aa: f.sum(vv.mul(vv)) };
  },
);

// New beta, alpha and scales (frozen where inactive). `alpha` is a fresh output: the caller
// still holds the previous alpha (lsqr's ‖A‖ estimate needs it).
const stepScalars = defineFused(
  "gk.scalars",
  {
    uu: "float",
    aa: "float",
    alpha: "float",
    beta: "float",
    uscale: "float",
    vscale: "float",
    act: "bool",
  },
  (v, f) => {
    const betaNew = v.uu.sqrt();
    const go = v.act.and(betaNew.gt(0));
    const alphaNew = v.aa.sqrt();
    return {
      beta: f.where(v.act, betaNew, v.beta),
      uscale: f.where(v.act, f.where(betaNew.gt(0), f.const(1).div(betaNew), 1), v.uscale),
      alphaNew: f.where(go, alphaNew, v.alpha),
      vscale: f.where(go, f.where(alphaNew.gt(0), f.const(1).div(alphaNew), 1), v.vscale),
    };
  },
);

const subProg = defineFused("gk.residual", { b: "float", ax: "float" }, (v) => ({
  r: v.b.sub(v.ax),
}));

/**
 * Starts the bidiagonalization: `beta·u = b − A·x0`, `alpha·v = Aᴴu` (SciPy's lsqr/lsmr set
 * up). `x` is the prepared initial guess; `x0Given` says whether it is non-zero.
 */
export function gkInit<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
  op: OperatorLike<A>,
  b: A,
  x: A,
  x0Given: boolean,
): GkState<A> {
  let u: A;
  if (x0Given) {
    const ax = op.matvec(x);
    ({ r: u } = runFused(xp, subProg, { b, ax }, { out: { r: ax } }));
  } else {
    u = xp.astype(b, b.dtype, { copy: true });
  }
  const s = runFused(xp, initSums, { b, u });
  const { beta, bnorm, uscale } = runFused(xp, initBeta, { bb: s.bb, uu: s.uu });
  xp.dispose(s.bb, s.uu);
  const atu = op.rmatvec!(u);
  const cv = colViews(xp);
  const iv = runFused(xp, initV, { atu, uscale: cv(uscale), beta: cv(beta) }, {
    out: { v: atu },
  });
  cv.release();
  const { alpha, vscale } = runFused(xp, initAlpha, { aa: iv.aa });
  xp.dispose(iv.aa);
  return { u, v: iv.v, uscale, vscale, alpha, beta, bnorm };
}

/** Column views `[...batch, 1]` of per-system scalars, released together after the fused pass
 * that reads them (a live view keeps a GPU backend from updating the scalar in place). */
export interface ColViews<A extends ArrayObject> {
  /** `[...batch]` → a `[...batch, 1]` view, remembered for {@linkcode ColViews.release}. */
  (a: A): A;
  /** Disposes the views made since the last release. */
  release(): void;
}

/** Makes a {@linkcode ColViews} for `xp`. */
export function colViews<A extends ArrayObject>(xp: ArrayNamespace<A>): ColViews<A> {
  const views: A[] = [];
  const f = ((a: A): A => {
    const c = col(xp, a);
    if (c !== a) views.push(c);
    return c;
  }) as ColViews<A>;
  f.release = () => {
    xp.dispose(...views);
    views.length = 0;
  };
  return f;
}

/** Scratch buffers reused across iterations (donated to the operator products). */
export interface GkScratch<A extends ArrayObject> {
  av?: A;
  atu?: A;
}

/**
 * One bidiagonalization step on the systems where `act` is true (others frozen):
 * `beta·u = A·v − alpha·u`, `alpha·v = Aᴴ·u − beta·v`. Updates `st` in place and returns the
 * previous alpha (owned by the caller).
 */
export function gkStep<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
  op: OperatorLike<A>,
  st: GkState<A>,
  act: A,
  scratch: GkScratch<A>,
): A {
  const cv = colViews(xp);
  const actC = cv(act);
  const av = op.matvec(st.v, scratch.av);
  scratch.av = undefined;
  const pu = runFused(
    xp,
    stepU,
    {
      av,
      u: st.u,
      vscale: cv(st.vscale),
      uscale: cv(st.uscale),
      alpha: cv(st.alpha),
      act: actC,
    },
    { out: { u: st.u } },
  );
  st.u = pu.u;
  scratch.av = av;
  const atu = op.rmatvec!(st.u, scratch.atu);
  scratch.atu = undefined;
  const pv = runFused(
    xp,
    stepV,
    { atu, v: st.v, uu: cv(pu.uu), vscale: cv(st.vscale), act: actC },
    { out: { v: st.v } },
  );
  cv.release();
  st.v = pv.v;
  scratch.atu = atu;
  const sc = runFused(
    xp,
    stepScalars,
    {
      uu: pu.uu,
      aa: pv.aa,
      alpha: st.alpha,
      beta: st.beta,
      uscale: st.uscale,
      vscale: st.vscale,
      act,
    },
    { out: { beta: st.beta, uscale: st.uscale, vscale: st.vscale } },
  );
  xp.dispose(pu.uu, pv.aa);
  const alphaOld = st.alpha;
  st.beta = sc.beta;
  st.uscale = sc.uscale;
  st.vscale = sc.vscale;
  st.alpha = sc.alphaNew;
  return alphaOld;
}

/** Disposes the state's arrays and scratch buffers. */
export function gkDispose<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
  st: GkState<A>,
  scratch: GkScratch<A>,
): void {
  xp.dispose(st.u, st.v, st.uscale, st.vscale, st.alpha, st.beta, st.bnorm);
  xp.dispose(...[scratch.av, scratch.atu].filter((a): a is A => a !== undefined));
}

/**
 * SciPy accepts `b` of shape `(m, 1)` (a column) and a scalar `b` when `m = 1`, and squeezes
 * them. With batch semantics `(m, 1)` would be a batch of m vectors of length 1, which only
 * matches an operator with m = 1 rows; so the column form is recognised exactly when A has no
 * batch axes, `m != 1` and `b` is `(m, 1)`. Returns the (possibly reshaped) b.
 */
export function squeezeColumnRhs<A extends ArrayObject>(Ain: unknown, b: unknown): unknown {
  let shapeA: readonly number[] | undefined;
  const sa = (Ain as { shape?: unknown } | null)?.shape;
  if (Array.isArray(sa)) shapeA = sa as number[];
  else if (Array.isArray(Ain) && Array.isArray(Ain[0])) shapeA = [Ain.length, Ain[0].length];
  if (!shapeA || shapeA.length !== 2) return b;
  const m = shapeA[0];
  if (typeof b === "number") return m === 1 ? [b] : b;
  if (m === 1) return b;
  if (isArrayObject(b)) {
    if (b.ndim === 2 && b.shape[0] === m && b.shape[1] === 1) {
      return (b.__array_namespace__() as unknown as ArrayNamespace<A>).reshape(b as A, [m]);
    }
    return b;
  }
  if (
    Array.isArray(b) && b.length === m &&
    b.every((r) => Array.isArray(r) && r.length === 1 && typeof r[0] === "number")
  ) {
    return (b as number[][]).map((r) => r[0]);
  }
  return b;
}

/** Validates a float option that must be finite and >= 0 (damp). */
export function checkNonNegative(label: string, name: string, v: unknown, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
    throw new RangeError(`${label}: ${name} must be a finite number >= 0, got ${String(v)}`);
  }
  return v;
}
