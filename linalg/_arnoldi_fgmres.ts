// Batched flexible GMRES Arnoldi process with optional projection (GCROT's C vectors) and
// augmentation (LGMRES's outer vectors): SciPy's `_fgmres` from `_gcrotmk.py`, for a whole
// batch of systems at once. Each system stops its own inner loop when its residual estimate is
// below its tolerance or on a breakdown; the others continue (see _arnoldi.ts for masking).
//
// SciPy keeps H = Q R with `qr_insert`; the same factorisation is maintained here with Givens
// rotations (one per column, LAPACK's `lartg`), so `res = |Q[0, -1]|` is the last entry of the
// rotated right-hand side and `y = lstsq(R, Q[0, :])` is a batched least-squares solve (SciPy's
// choice: it tolerates the singular R of a breakdown).
import type { ArrayNamespace, ArrayObject, FloatDType } from "../array_api/types.ts";
import { defineFused, runFused } from "../array_api/fuse.ts";
import { Cols } from "./_batch.ts";
import { applyRotations, type IndexCache, lartg, mgs, scaleKeep, stackPadded } from "./_arnoldi.ts";
import type { OperatorLike } from "./types.ts";
import type { Steps } from "./_drive.ts";

/** An augmentation vector of LGMRES: `z` and, when known, `w = L A z`. */
export interface OuterVector<A> {
  /** The vector. */
  readonly z: A;
  /** `lpsolve(A z)` when stored, else null (recomputed). */
  readonly w: A | null;
}

/** Inputs of {@linkcode fgmres}. */
export interface FgmresInput<A extends ArrayObject> {
  readonly xp: ArrayNamespace<A>;
  readonly op: OperatorLike<A>;
  /** Left preconditioner (lgmres) or null. */
  readonly lpsolve: OperatorLike<A> | null;
  /** Right preconditioner (gcrotmk) or null. */
  readonly rpsolve: OperatorLike<A> | null;
  /** Normalised start vector `[...batch, n]` (zero for systems not taking part); owned by the
   * process (returned as `vs[0]`). */
  readonly v0: A;
  /** Number of Krylov steps (the outer vectors come on top). */
  readonly m: number;
  /** Per-system tolerance on the relative residual estimate (`res < atol` stops). */
  readonly atol: A;
  /** Systems taking part (bool `[...batch]`). */
  readonly part: A;
  /** GCROT's C vectors (projected out of every new vector). */
  readonly cs: readonly A[];
  /** LGMRES's augmentation vectors. */
  readonly outer: readonly OuterVector<A>[];
  /** Whether the augmentation vectors come before the Krylov vectors. */
  readonly prepend: boolean;
  readonly dtype: FloatDType;
  readonly eps: number;
  readonly zero: A;
  readonly idx: IndexCache<A>;
  /** Called after every step with the inner-loop mask; returns true to end the process early
   * (every system done, or the whole solve stopped). */
  readonly onStep: (inner: A) => Steps<boolean, A>;
}

/** What {@linkcode fgmres} returns (all arrays owned by the caller). */
export interface FgmresResult<A> {
  /** Number of steps taken (the batch's maximum). */
  readonly J: number;
  /** Basis vectors `V` (`J + 1`). */
  readonly vs: A[];
  /** Search directions `Z` (`J`); entries flagged in `zsOwned` are fresh arrays, the others
   * alias `vs` or the outer vectors. */
  readonly zs: A[];
  /** Which `zs` entries the caller must dispose. */
  readonly zsOwned: boolean[];
  /** Least-squares solution `[...batch, J]` (zero beyond each system's own step count). */
  readonly y: A;
  /** Triangular factor `[...batch, J, J]` of H = Q R (unused columns replaced by identity). */
  readonly R: A;
  /** Hessenberg matrix `[...batch, J + 1, J]` (unused columns zero). */
  readonly H: A;
  /** Projection coefficients on C, `[...batch, len(cs), J]`, or null without cs. */
  readonly B: A | null;
  /** Final residual estimate per system (relative to the start vector). */
  readonly pres: A;
  /** Systems that took part and met no NaN/Inf (bool). */
  readonly ok: A;
}

// Per-system bookkeeping of one step: breakdown test, Givens rotation, residual estimate.
const step = defineFused(
  "fgmres.step",
  {
    f: "float",
    hh: "float",
    ww0: "float",
    g: "float",
    inner: "bool",
    ok: "bool",
    ncol: "int",
    res: "float",
    atol: "float",
    eps: "float",
  },
  (v, F) => {
    const h1 = v.hh.sqrt();
    const alpha = F.const(1).div(h1);
    const bk = h1.gt(v.eps.mul(v.ww0.sqrt())).not();
    const { c, s, r } = lartg(v.f, h1, F);
    const gn = s.neg().mul(v.g);
    const res = gn.abs();
    const bad = v.inner.and(r.isfinite().and(res.isfinite()).not());
    const exit = res.lt(v.atol).or(bk).or(bad);
    return {
      c,
      s,
      r,
      hn: h1,
      g: F.where(v.inner, c.mul(v.g), v.g),
      gn: F.where(v.inner, gn, 0),
      res: F.where(v.inner, res, v.res),
      inner: v.inner.and(exit.not()),
      ok: v.ok.and(bad.not()),
      ncol: v.ncol.add(F.where(v.inner, F.const(1, "int"), F.const(0, "int"))),
      vscale: F.where(alpha.isfinite(), alpha, 1),
    };
  },
);

// R with the columns a system did not use replaced by the identity (so lstsq gives y = 0 there).
const maskR = defineFused(
  "fgmres.maskR",
  { R: "float", ri: "int", ci: "int", n: "int" },
  (v, f) => ({ R: f.where(v.ci.lt(v.n), v.R, f.where(v.ri.eq(v.ci), 1, 0)) }),
);

const maskCols = defineFused(
  "fgmres.maskCols",
  { M: "float", ci: "int", n: "int" },
  (v, f) => ({ M: f.where(v.ci.lt(v.n), v.M, 0) }),
);

const effN = defineFused(
  "fgmres.effN",
  { ncol: "int", ok: "bool" },
  (v, f) => ({ n: f.where(v.ok, v.ncol, f.const(0, "int")) }),
);

const yCheck = defineFused("fgmres.yCheck", { y: "float" }, (v, f) => ({
  nf: f.sum(f.where(v.y.isfinite(), 0, 1)),
}));

const okAnd = defineFused(
  "fgmres.ok",
  { ok: "bool", nf: "float" },
  (v) => ({ ok: v.ok.and(v.nf.eq(0)) }),
);

/** Runs the batched FGMRES process (see the file comment). */
export function* fgmres<A extends ArrayObject>(p: FgmresInput<A>): Steps<FgmresResult<A>, A> {
  const { xp, op, dtype, eps, zero } = p;
  const views = new Cols(xp); // [...batch, 1] views, released once their use is recorded
  const L = p.outer.length;
  const m = p.m + L;
  const nC = p.cs.length;
  const vs: A[] = [p.v0];
  const zs: A[] = [];
  const zsOwned: boolean[] = [];
  const C: A[] = [], Sn: A[] = [];
  const g: A[] = [xp.astype(p.part, dtype)]; // Q[0, :] starts as e₁ (1 where taking part)
  const Rc: A[] = [], Hc: A[] = [], Bc: A[] = [];
  let inner = xp.astype(p.part, "bool", { copy: true });
  let ok = xp.astype(p.part, "bool", { copy: true });
  let ncol = xp.zeros(p.part.shape, { dtype: "int32" });
  let res = xp.zeros(p.part.shape, { dtype });
  let J = 0;
  for (let j = 0; j < m; j++) {
    // ---- the new direction z and w = L A z
    let z: A, wStored: A | null = null, zOwn = false;
    if (p.prepend && j < L) {
      z = p.outer[j].z;
      wStored = p.outer[j].w;
    } else if (p.prepend && j === L) {
      z = p.rpsolve ? p.rpsolve.matvec(p.v0) : p.v0;
      zOwn = p.rpsolve !== null;
    } else if (!p.prepend && j >= m - L) {
      z = p.outer[j - (m - L)].z;
      wStored = p.outer[j - (m - L)].w;
    } else {
      z = p.rpsolve ? p.rpsolve.matvec(vs[vs.length - 1]) : vs[vs.length - 1];
      zOwn = p.rpsolve !== null;
    }
    let w: A;
    if (wStored) w = wStored;
    else {
      const az = op.matvec(z);
      w = az;
      if (p.lpsolve) {
        w = p.lpsolve.matvec(az);
        xp.dispose(az);
      }
    }
    // ---- projections: against C (GCROT), then modified Gram–Schmidt against V
    const o = mgs(xp, w, wStored === null, [...p.cs, ...vs], dtype);
    const bcol = o.h.slice(0, nC);
    const hu = o.h.slice(nC); // unrotated column, j + 1 entries
    const hr = hu.slice();
    applyRotations(xp, hr, C, Sn, dtype, new Set(hu));
    const s = runFused(xp, step, {
      f: hr[j],
      hh: o.ww,
      ww0: o.ww0,
      g: g[j],
      inner,
      ok,
      ncol,
      res,
      atol: p.atol,
      eps,
    }, { dtype });
    xp.dispose(o.ww, o.ww0, g[j], ok, ncol, res);
    g[j] = s.g;
    g.push(s.gn);
    C.push(s.c);
    Sn.push(s.s);
    ({ ok, ncol, res } = s);
    Hc.push(stackPadded(xp, [...hu, s.hn], m + 1, zero));
    Rc.push(stackPadded(xp, [...hr.slice(0, j), s.r], m, zero));
    if (nC > 0) Bc.push(stackPadded(xp, bcol, nC, zero));
    const hrOwn = hr.filter((e) => !hu.includes(e));
    xp.dispose(...o.h, ...hrOwn, s.hn, s.r);
    const nv = runFused(
      xp,
      scaleKeep,
      { w: o.w, s: views.col(s.vscale), keep: views.col(inner) },
      { out: { v: o.w } },
    );
    views.release();
    xp.dispose(s.vscale, inner);
    inner = s.inner;
    vs.push(nv.v);
    zs.push(z);
    zsOwned.push(zOwn);
    J = j + 1;
    if (yield* p.onStep(inner)) break;
  }
  xp.dispose(inner, ...C, ...Sn);

  // ---- least squares: y = lstsq(R, Q[0, :]) per system, unused columns masked
  const nEff = runFused(xp, effN, { ncol, ok }).n;
  const nEff3 = xp.reshape(nEff, [...nEff.shape, 1, 1]);
  const ri = p.idx.range(J, [J, 1]), ci = p.idx.range(J);
  const rows = p.idx.range(J);
  const Rfull = xp.stack(Rc, { axis: -1 }); // [..., m, J]
  const Rsq = xp.take(Rfull, rows, { axis: -2 });
  const { R } = runFused(xp, maskR, { R: Rsq, ri, ci, n: nEff3 }, { dtype, out: { R: Rsq } });
  const gSt = stackPadded(xp, g, J, zero);
  const gm = runFused(xp, maskCols, { M: gSt, ci, n: views.col(nEff) }, { dtype, out: { M: gSt } })
    .M;
  views.release();
  const ls = xp.linalg.lstsq(R, gm, { rcond: eps });
  const y = ls.solution;
  xp.dispose(Rfull, gm, ls.residuals, ls.rank, ls.singular_values, ...Rc, ...g);
  const { nf } = runFused(xp, yCheck, { y });
  const ok2 = runFused(xp, okAnd, { ok, nf }).ok;
  xp.dispose(ok, nf);
  const Hfull = xp.stack(Hc, { axis: -1 }); // [..., m + 1, J]
  const Hsq = xp.take(Hfull, p.idx.range(J + 1), { axis: -2 });
  const H = runFused(xp, maskCols, { M: Hsq, ci, n: nEff3 }, { dtype, out: { M: Hsq } }).M;
  xp.dispose(Hfull, ...Hc);
  let B: A | null = null;
  if (nC > 0) {
    const Bfull = xp.stack(Bc, { axis: -1 }); // [..., nC, J]
    B = runFused(xp, maskCols, { M: Bfull, ci, n: nEff3 }, { dtype, out: { M: Bfull } }).M;
    xp.dispose(...Bc);
  }
  xp.dispose(nEff, nEff3, ncol);
  return { J, vs, zs, zsOwned, y, R, H, B, pres: res, ok: ok2 };
}
