// Cross-backend SciPy parity suite for lsqr and lsmr (and minres's mid-size runs): SciPy 1.17
// reference runs from tests/fixtures/isolve.json (leastSquares) and
// tests/fixtures/least_squares.json, SciPy's test_lsqr.py / test_lsmr.py behaviours, batched
// variants and bad input. Parametrised by namespace and dtypes; registered per backend by
// tests/least_squares_*_test.ts.
//
// Tolerances: least_squares.json runs every SciPy reference four ways (A as CSR, dense, with
// exactly summed products, and with sequentially summed inner products) and records how far
// SciPy's own outputs move (`spread`) and the range of its iteration counts (`itnRange`).
// Quantities at the rounding level (residual estimates below the stopping threshold, anything
// after the Lanczos vectors lose orthogonality) are only reproducible to that spread, so each
// output is compared at max(1e-8, 10·spread) relative, and itn within itnRange ± 2.
import type { ArrayNamespace, ArrayObject, FloatDType } from "../array_api/types.ts";
import { LinearOperator } from "../linalg/linear_operator.ts";
import { csrArray } from "../sparse/csr_array.ts";
import { decode, type Encoded, isolveFixture, norm2, relDiff } from "./_fixtures.ts";
import type { ParityCase } from "./isolve_cases.ts";

/** A least-squares solver under test. */
export interface LsSolverEntry {
  /** SciPy's name. */
  name: "lsqr" | "lsmr";
  // deno-lint-ignore no-explicit-any
  solve(A: any, b: any, options: Record<string, unknown>): Promise<any>;
}

/** minres as the mid-size fixture cases call it. */
export interface MinresEntry {
  // deno-lint-ignore no-explicit-any
  solve(A: any, b: any, options: Record<string, unknown>): Promise<any>;
}

interface CsrJson {
  shape: [number, number];
  data: Encoded;
  indices: number[];
  indptr: number[];
}

interface SpreadInfo {
  spread: Record<string, number>;
  itnRange: [number, number];
  istopAll: number[] | null;
}

interface RunJson extends SpreadInfo {
  [k: string]: unknown;
  x: Encoded;
  istop?: number;
  itn?: number;
  info?: number;
  iterations?: number;
  residualNorm?: number;
  options: Record<string, number | boolean>;
  x0?: Encoded;
  var?: Encoded;
}

interface LsFixture {
  leastSquares: {
    name: string;
    A: CsrJson;
    b: Encoded;
    bInconsistent?: Encoded;
    which?: Record<string, string[]>;
    runs: Record<"lsqr" | "lsmr", RunJson[]>;
  }[];
  minres: {
    name: string;
    A: CsrJson;
    b: Encoded;
    M: Encoded;
    runs: RunJson[];
    operator: string[];
    singular: boolean[];
  }[];
  isolveSpread: {
    lsqr: SpreadInfo[];
    lsmr: SpreadInfo[];
    bidiag: SpreadInfo;
    rect: SpreadInfo;
  };
}

let cached: LsFixture | undefined;
function lsFixture(): LsFixture {
  cached ??= JSON.parse(
    Deno.readTextFileSync(new URL("./fixtures/least_squares.json", import.meta.url)),
  ) as LsFixture;
  return cached;
}

const KEYS = {
  lsqr: ["r1norm", "r2norm", "anorm", "acond", "arnorm", "xnorm"],
  lsmr: ["normr", "normar", "norma", "conda", "normx"],
} as const;

class Fail extends Error {}
function check(cond: boolean, msg: string): void {
  if (!cond) throw new Fail(msg);
}

async function hostOf<A extends ArrayObject>(xp: ArrayNamespace<A>, a: A): Promise<Float64Array> {
  return Float64Array.from(await xp.toHost(a) as ArrayLike<number>);
}

/** SciPy's option names → ours. */
function ourOptions(kind: "lsqr" | "lsmr", o: Record<string, number | boolean>) {
  const r: Record<string, unknown> = {};
  if (o.damp !== undefined) r.damp = o.damp;
  if (o.atol !== undefined) r.atol = o.atol;
  if (o.btol !== undefined) r.btol = o.btol;
  if (o.conlim !== undefined) r.conlim = o.conlim;
  if (o.iter_lim !== undefined) r.iterLim = o.iter_lim;
  if (o.maxiter !== undefined) r[kind === "lsqr" ? "iterLim" : "maxiter"] = o.maxiter;
  if (o.calc_var) r.calcVar = true;
  return r;
}

const relErr = (a: number, b: number) =>
  a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

/** Compares one float64 run with SciPy's (see the file comment for the tolerances). */
function compareF64(
  kind: "lsqr" | "lsmr",
  // deno-lint-ignore no-explicit-any
  res: any,
  x: Float64Array | null,
  ref: Record<string, unknown>,
  refX: Float64Array | null,
  spreadOf: SpreadInfo,
): void {
  const [lo, hi] = spreadOf.itnRange;
  const istops = new Set([ref.istop as number, ...(spreadOf.istopAll ?? [])]);
  check(istops.has(res.istop[0]), `istop ${res.istop[0]}, SciPy ${[...istops]}`);
  check(
    res.itn[0] >= lo - 2 && res.itn[0] <= hi + 2,
    `itn ${res.itn[0]}, SciPy ${ref.itn} (range ${lo}..${hi} over summation orders)`,
  );
  const tol = (k: string) => Math.max(1e-8, 10 * (spreadOf.spread[k] ?? 0));
  if (x && refX) {
    const d = relDiff(x, refX);
    check(d <= tol("x"), `x differs from SciPy by ${d} (SciPy's own spread ${spreadOf.spread.x})`);
  }
  for (const k of KEYS[kind]) {
    const e = relErr(res[k][0], ref[k] as number);
    check(
      e <= tol(k),
      `${k} ${res[k][0]} vs SciPy ${ref[k]}: relative ${e} (SciPy's own spread ${
        spreadOf.spread[k]
      })`,
    );
  }
}

/** Builds the least-squares parity cases for `xp`. */
export function leastSquaresCases<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
  solvers: readonly LsSolverEntry[],
  dtypes: readonly FloatDType[],
): ParityCase[] {
  const fx = isolveFixture().leastSquares;
  const lf = lsFixture();
  const cases: ParityCase[] = [];
  const add = (name: string, fn: () => Promise<void>) => cases.push({ name, fn });

  for (const s of solvers) {
    const kind = s.name;
    for (const dtype of dtypes) {
      const f64 = dtype === "float64";
      const p = `${kind}/${dtype}`;
      const mat = (rows: number[][]) => xp.asarray(rows, { dtype });
      const vec = (v: ArrayLike<number>) => xp.asarray(Array.from(v), { dtype });
      const csr = (m: CsrJson) =>
        csrArray(
          { data: xp.asarray(decode(m.data), { dtype }), indices: m.indices, indptr: m.indptr },
          { shape: m.shape, xp },
        );

      // ---- isolve.json: SciPy's test_lsqr G problem, damp 0/1.5 × tol 2e-10/1e-6
      fx[kind].forEach((ref, i) => {
        const tag = `damp${ref.damp}-tol${ref.atol}`;
        add(`${p}/G-${tag}`, async () => {
          const r = await s.solve(mat(fx.G), vec(fx.b), {
            damp: ref.damp,
            atol: ref.atol,
            btol: ref.btol,
          });
          const x = await hostOf(xp, r.x as A);
          if (f64) {
            compareF64(kind, r, x, ref, Float64Array.from(ref.x), lf.isolveSpread[kind][i]);
          } else {
            // float32: SciPy's iteration in float64 is the reference; converged the same way
            check(r.istop[0] === ref.istop || r.istop[0] === ref.istop! + 3, `istop ${r.istop}`);
            check(Math.abs(r.itn[0] - ref.itn) <= 3, `itn ${r.itn[0]} vs SciPy ${ref.itn}`);
            check(relDiff(x, Float64Array.from(ref.x)) <= 1e-4, `x ${relDiff(x, ref.x)}`);
          }
          // the estimates describe the returned x (true residual recomputed on the host)
          const rn = kind === "lsqr" ? r.r1norm[0] : null;
          if (rn !== null && ref.damp === 0 && f64) {
            check(Math.abs(rn - r.residualNorm[0]) <= 1e-12 * norm2(fx.b), "r1norm vs ‖b − Ax‖");
          }
        });
      });
      if (kind === "lsmr") {
        add(`${p}/bidiag-20x10`, async () => {
          const { A, b, xtrue, lsmr: ref } = fx.bidiag;
          // float32: the default maxiter = min(m, n) = 10 leaves x 17% off, in SciPy's float32
          // lsmr as in ours (orthogonality is lost); allow more iterations
          const r = await s.solve(mat(A), vec(b), f64 ? {} : { maxiter: 40 });
          const x = await hostOf(xp, r.x as A);
          if (f64) compareF64(kind, r, x, ref, Float64Array.from(ref.x), lf.isolveSpread.bidiag);
          // SciPy's testBidiagonalA: ‖x − xtrue‖ ≈ 0 (abs 1e-5)
          check(
            norm2(x.map((v, k) => v - xtrue[k])) <= (f64 ? 1e-5 : 1e-3) * norm2(xtrue),
            "x ≠ xtrue",
          );
        });
      } else {
        add(`${p}/rect-30x12`, async () => {
          const { A, b, lsqr: ref } = fx.rect;
          const r = await s.solve(mat(A), vec(b), { atol: 1e-10, btol: 1e-10 });
          const x = await hostOf(xp, r.x as A);
          if (f64) compareF64(kind, r, x, ref, Float64Array.from(ref.x), lf.isolveSpread.rect);
          else check(relDiff(x, Float64Array.from(ref.x)) <= 1e-4, "x");
        });
      }

      // ---- least_squares.json: mid-size problems, every stop code
      for (const prob of lf.leastSquares) {
        prob.runs[kind].forEach((ref, i) => {
          const opts = ourOptions(kind, ref.options);
          const tag = Object.entries(ref.options).map(([k, v]) => `${k}=${v}`).join(",");
          const bKey = (prob.which?.[kind][i] ?? "b") as "b" | "bInconsistent";
          // float32: only the runs whose tolerances float32 can meet
          const tight = (ref.options.atol as number ?? 1e-6) < 1e-6;
          if (!f64 && (tight || ref.x0)) return;
          add(`${p}/${prob.name}/${i}:${tag || "defaults"}`, async () => {
            const A = csr(prob.A);
            const b = vec(decode(prob[bKey]!));
            if (ref.x0) opts.x0 = vec(decode(ref.x0));
            const r = await s.solve(A, b, opts);
            const x = await hostOf(xp, r.x as A);
            const refX = decode(ref.x);
            if (f64) {
              compareF64(kind, r, x, ref, refX, ref);
              if (ref.var) {
                const v = await hostOf(xp, r.var as A);
                const d = relDiff(v, decode(ref.var));
                check(d <= Math.max(1e-8, 10 * ref.spread.var), `var differs by ${d}`);
              }
            } else {
              check(
                r.istop[0] === ref.istop || r.istop[0] === ref.istop! + 3,
                `istop ${r.istop[0]} vs SciPy (float64) ${ref.istop}`,
              );
              check(
                Math.abs(r.itn[0] - (ref.itn as number)) <= Math.max(3, 0.2 * (ref.itn as number)),
                `itn ${r.itn[0]} vs SciPy (float64) ${ref.itn}`,
              );
              check(
                relDiff(x, refX) <= 1e-4,
                `x differs from SciPy (float64) by ${relDiff(x, refX)}`,
              );
            }
          });
        });
      }

      // ---- SciPy's test_lsqr.py / test_lsmr.py behaviours
      if (f64) {
        add(`${p}/G-vs-dense-solution`, async () => {
          // test_lsqr_basic: compare with the dense (damped) least-squares solution
          const n = fx.G.length;
          for (const damp of [0, 1.5]) {
            const rows = damp === 0 ? fx.G : [
              ...fx.G,
              ...Array.from({ length: n }, (_, i) => fx.G[0].map((_, j) => (i === j ? damp : 0))),
            ];
            const rhs = damp === 0 ? fx.b : [...fx.b, ...new Array(n).fill(0)];
            const ref = xp.linalg.lstsq(mat(rows), vec(rhs));
            const xs = await hostOf(xp, ref.solution);
            xp.dispose(ref.solution, ref.residuals, ref.rank, ref.singular_values);
            const b0 = vec(fx.b);
            const r = await s.solve(mat(fx.G), b0, { damp, atol: 2e-10, btol: 2e-10 });
            const x = await hostOf(xp, r.x as A);
            for (let k = 0; k < n; k++) {
              check(
                Math.abs(x[k] - xs[k]) <= 4e-10 + 2e-8 * Math.abs(xs[k]),
                `damp ${damp}: x[${k}] ${x[k]} vs dense ${xs[k]}`,
              );
            }
            const bAfter = await hostOf(xp, b0);
            check(bAfter.every((v, k) => v === fx.b[k]), "b was modified");
          }
        });
      }

      add(`${p}/identity-problems`, async () => {
        // test_well_conditioned_problems (lsqr) / testIdentityACase* (lsmr): 30 random
        // right-hand sides with A = I (sparse), one batched solve, istop 1, x = b
        const n = 10;
        const rows: number[][] = [];
        let seed = 1;
        const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
        for (let k = 0; k < 30; k++) rows.push(Array.from({ length: n }, () => rnd() + 1e-5));
        const I = csrArray(
          {
            data: xp.ones([n], { dtype }),
            indices: Array.from({ length: n }, (_, i) => i),
            indptr: Array.from({ length: n + 1 }, (_, i) => i),
          },
          { shape: [n, n], xp },
        );
        const r = await s.solve(I, mat(rows), {});
        const x = await hostOf(xp, r.x as A);
        for (let k = 0; k < 30; k++) {
          check(r.istop[k] === 1, `rhs ${k}: istop ${r.istop[k]}`);
          check(r.itn[k] === 1, `rhs ${k}: itn ${r.itn[k]}`);
          for (let i = 0; i < n; i++) {
            check(
              Math.abs(x[k * n + i] - rows[k][i]) <= (f64 ? 1e-7 : 1e-5) * Math.abs(rows[k][i]),
              `rhs ${k}: x[${i}] ${x[k * n + i]} vs ${rows[k][i]}`,
            );
          }
        }
        // testIdentityACase1: xtrue = 0 → b = 0 → istop 0, x = 0
        const z = await s.solve(I, xp.zeros([n], { dtype }), {});
        check(z.istop[0] === 0 && z.itn[0] === 0, `b = 0: istop ${z.istop[0]} itn ${z.itn[0]}`);
        check((await hostOf(xp, z.x as A)).every((v) => v === 0), "b = 0: x ≠ 0");
      });

      add(`${p}/b-shapes`, async () => {
        // test_b_shapes / testScalarB / testColumnB
        const r = await s.solve(mat([[1, 2]]), 3, {});
        const x = await hostOf(xp, r.x as A);
        check(r.x.shape.join() === "2", `scalar b: x shape ${r.x.shape}`);
        check(
          Math.abs(x[0] + 2 * x[1] - 3) <= (f64 ? 1e-12 : 1e-5),
          `scalar b: Ax = ${x[0] + 2 * x[1]}`,
        );
        const col = await s.solve(xp.eye(10, 10, { dtype }), xp.ones([10, 1], { dtype }), {});
        check(col.x.shape.join() === "10", `column b: x shape ${col.x.shape}`);
        const xc = await hostOf(xp, col.x as A);
        check(xc.every((v) => Math.abs(v - 1) <= (f64 ? 1e-12 : 1e-5)), `column b: x ${xc}`);
        // gh-2466: 1×2 sparse operator with integer data
        const g = csrArray(
          { data: xp.asarray([1, -1], { dtype }), indices: [0, 1], indptr: [0, 2] },
          { shape: [1, 2], xp },
        );
        const r2 = await s.solve(g, vec([4]), {});
        const x2 = await hostOf(xp, r2.x as A);
        check(Math.abs(x2[0] - 2) <= 1e-5 && Math.abs(x2[1] + 2) <= 1e-5, `gh-2466: x ${x2}`);
      });

      add(`${p}/x0-warm-start`, async () => {
        // test_initialization / testInitialization
        const tol = f64 ? 2e-10 : 1e-6;
        const o = kind === "lsqr" ? { atol: tol, btol: tol } : {};
        const ref = await s.solve(mat(fx.G), vec(fx.b), o);
        const xRef = await hostOf(xp, ref.x as A);
        const z = await s.solve(mat(fx.G), vec(fx.b), { ...o, x0: xp.zeros([35], { dtype }) });
        check(relDiff(await hostOf(xp, z.x as A), xRef) <= 1e-12, "x0 = 0 differs from default");
        const one = await s.solve(mat(fx.G), vec(fx.b), {
          ...o,
          [kind === "lsqr" ? "iterLim" : "maxiter"]: 1,
        });
        check(one.istop[0] === 7 && one.itn[0] === 1, `1 iteration: istop ${one.istop[0]}`);
        const x0 = one.x as A;
        const x0Before = await hostOf(xp, x0);
        const w = await s.solve(mat(fx.G), vec(fx.b), { ...o, x0 });
        const xw = await hostOf(xp, w.x as A);
        check(
          (await hostOf(xp, x0)).every((v, k) => v === x0Before[k]),
          "x0 was modified",
        );
        if (kind === "lsqr") {
          check(relDiff(xw, xRef) <= (f64 ? 1e-7 : 1e-3), `warm start: x ${relDiff(xw, xRef)}`);
        } else {
          // SciPy: itn − itn_ref ∈ {0, 1}; normr matches ‖b − Ax‖ to 1e-6; normr ≤ reference
          check(
            [0, 1].includes(w.itn[0] - ref.itn[0]),
            `warm start itn ${w.itn[0]} vs ${ref.itn[0]}`,
          );
          check(Math.abs(w.normr[0] - w.residualNorm[0]) <= (f64 ? 1e-6 : 1e-3), "normr");
          check(w.normr[0] <= ref.normr[0] * (1 + 1e-6) + (f64 ? 0 : 1e-4), "warm start normr");
        }
      });

      if (kind === "lsmr") {
        add(`${p}/returns-consistent`, async () => {
          // TestLSMRReturns: normr = ‖b − Ax‖, normar = ‖Aᵀ(b − Ax)‖, normx = ‖x‖
          const { A, b } = fx.bidiag;
          const r = await s.solve(mat(A), vec(b), {});
          const x = await hostOf(xp, r.x as A);
          const m = A.length, n = A[0].length;
          const res = b.map((bi, i) => bi - A[i].reduce((t, a, j) => t + a * x[j], 0));
          const ar = Array.from(
            { length: n },
            (_, j) => res.reduce((t, ri, i) => t + A[i][j] * ri, 0),
          );
          void m;
          const rt = f64 ? 1e-6 : 2e-2;
          check(relErr(r.normr[0], norm2(res)) <= rt, `normr ${r.normr[0]} vs ${norm2(res)}`);
          check(relErr(r.normar[0], norm2(ar)) <= rt, `normar ${r.normar[0]} vs ${norm2(ar)}`);
          check(relErr(r.normx[0], norm2(x)) <= (f64 ? 1e-12 : 1e-6), `normx ${r.normx[0]}`);
          // with x0 = ones: x0 unchanged, same solution
          const x0 = xp.ones([n], { dtype });
          const r0 = await s.solve(mat(A), vec(b), f64 ? { x0 } : { x0, maxiter: 40 });
          check((await hostOf(xp, x0)).every((v) => v === 1), "x0 modified");
          const xt = fx.bidiag.xtrue;
          const x1 = await hostOf(xp, r0.x as A);
          check(norm2(x1.map((v, k) => v - xt[k])) <= (f64 ? 1e-5 : 1e-3) * norm2(xt), "x0 run");
        });
      }

      add(`${p}/zero-rhs`, async () => {
        const A = mat(fx.rect.A);
        const r = await s.solve(A, xp.zeros([30], { dtype }), {});
        check(r.istop[0] === 0 && r.itn[0] === 0, `istop ${r.istop[0]} itn ${r.itn[0]}`);
        check((await hostOf(xp, r.x as A)).every((v) => v === 0), "x ≠ 0");
        if (kind === "lsmr") {
          // SciPy: b = 0 → x = 0 even with x0
          const r2 = await s.solve(A, xp.zeros([30], { dtype }), { x0: xp.ones([12], { dtype }) });
          check(r2.istop[0] === 0 && r2.itn[0] === 0, `x0: istop ${r2.istop[0]}`);
          check((await hostOf(xp, r2.x as A)).every((v) => v === 0), "x0: x ≠ 0");
          check(r2.normr[0] === 0 && r2.residualNorm[0] === 0, "x0: normr ≠ 0");
        }
        // b = A·x0 exactly: x0 is returned after 0 iterations
        const x0 = vec(Array.from({ length: 12 }, (_, k) => k - 5));
        const bx = xp.matmul(A, x0);
        const r3 = await s.solve(A, bx, { x0 });
        check(
          r3.istop[0] === 0 && r3.itn[0] === 0,
          `b = A x0: istop ${r3.istop[0]} itn ${r3.itn[0]}`,
        );
      });

      add(`${p}/batched-mixed-stops`, async () => {
        // one batch, systems that stop differently; each equals its unbatched solve
        const { A, b } = fx.rect;
        const Ad = mat(A);
        const xt = Array.from({ length: 12 }, (_, k) => Math.sin(k + 1));
        const bc = A.map((row) => row.reduce((t, a, j) => t + a * xt[j], 0));
        const rows = [
          b,
          bc,
          new Array(30).fill(0),
          b.map((v) => 1e3 * v),
          bc.map((v, i) => v + 1e-3 * b[i]),
        ];
        const opts = { atol: f64 ? 1e-10 : 1e-6, btol: f64 ? 1e-10 : 1e-6 };
        const r = await s.solve(Ad, mat(rows), opts);
        check(r.x.shape.join() === "5,12", `x shape ${r.x.shape}`);
        const x = await hostOf(xp, r.x as A);
        const seen = new Set<number>();
        for (let k = 0; k < rows.length; k++) {
          const r1 = await s.solve(Ad, vec(rows[k]), opts);
          seen.add(r1.istop[0]);
          check(r1.istop[0] === r.istop[k], `system ${k}: istop ${r.istop[k]} vs ${r1.istop[0]}`);
          check(r1.itn[0] === r.itn[k], `system ${k}: itn ${r.itn[k]} vs ${r1.itn[0]}`);
          const x1 = await hostOf(xp, r1.x as A);
          const d = relDiff(x.subarray(k * 12, (k + 1) * 12), x1);
          check(d <= (f64 ? 1e-13 : 1e-6), `system ${k}: x differs from unbatched by ${d}`);
          for (const key of KEYS[kind]) {
            check(relErr(r[key][k], r1[key][0]) <= 1e-12, `system ${k}: ${key} differs`);
          }
        }
        check(seen.size >= 3, `expected different stop codes, got ${[...seen]}`);
      });

      add(`${p}/batched-operators`, async () => {
        // A batch (3, m, n) scaled per system, b broadcast, damp: each equals its own solve
        const { A, b } = fx.rect;
        const scales = [1, 0.25, 4];
        const Ab = xp.asarray(scales.map((c) => A.map((row) => row.map((v) => c * v))), { dtype });
        const opts = { damp: 0.7, atol: 1e-8, btol: 1e-8 };
        const r = await s.solve(Ab, vec(b), opts);
        check(r.x.shape.join() === "3,12", `x shape ${r.x.shape}`);
        const x = await hostOf(xp, r.x as A);
        for (let k = 0; k < 3; k++) {
          const r1 = await s.solve(
            mat(A.map((row) => row.map((v) => scales[k] * v))),
            vec(b),
            opts,
          );
          check(r1.itn[0] === r.itn[k], `system ${k}: itn ${r.itn[k]} vs ${r1.itn[0]}`);
          const d = relDiff(x.subarray(k * 12, (k + 1) * 12), await hostOf(xp, r1.x as A));
          check(d <= (f64 ? 1e-12 : 1e-5), `system ${k}: x differs by ${d}`);
        }
        // empty batch
        const e = await s.solve(Ab, xp.zeros([0, 1, 30], { dtype }), opts);
        check(e.x.shape.join() === "0,3,12" && e.istop.length === 0, `empty: ${e.x.shape}`);
      });

      add(`${p}/nan-mid-iteration`, async () => {
        // system 1's operator turns NaN after the first products: istop −12 for it only
        const { A, b } = fx.rect;
        const D = mat(A);
        let calls = 0;
        const poison = xp.asarray([[0], [NaN]], { dtype });
        const op = new LinearOperator({
          shape: [2, 30, 12],
          dtype,
          xp,
          matvec: (v: A) => {
            calls++;
            const y = xp.matmul(v, xp.matrix_transpose(D));
            return calls >= 3 ? xp.add(y, poison) : y;
          },
          rmatvec: (u: A) => xp.matmul(u, D),
        });
        const tol = f64 ? 1e-10 : 1e-6;
        const r = await s.solve(op, vec(b), { atol: tol, btol: tol });
        check(r.istop[1] === -12, `poisoned system: istop ${r.istop[1]}`);
        check(r.istop[0] === 2 || r.istop[0] === 5, `healthy system: istop ${r.istop[0]}`);
        const x = await hostOf(xp, r.x as A);
        check(x.every(Number.isFinite), "x has NaN (the poisoned system must keep its last x)");
      });

      add(`${p}/history-callback`, async () => {
        const its: number[] = [];
        const r = await s.solve(mat(fx.rect.A), vec(fx.rect.b), {
          atol: 1e-10,
          btol: 1e-10,
          history: true,
          callback: (_x: A, it: number) => void its.push(it),
        });
        check(its.length === r.itn[0] && its.every((v, k) => v === k + 1), `callback ${its}`);
        const h = r.residualHistory[0];
        check(h.length === r.itn[0] + 1, `history length ${h.length}`);
        check(Math.abs(h[0] - norm2(fx.rect.b)) <= 1e-5 * norm2(fx.rect.b), `history[0] ${h[0]}`);
        for (let k = 1; k < h.length; k++) check(h[k] <= h[k - 1] * (1 + 1e-6), "not monotone");
      });

      add(`${p}/bad-input`, async () => {
        const A = mat([[1, 0], [0, 1], [1, 1]]);
        const expectErr = async (
          what: string,
          f: () => Promise<unknown>,
          cls: typeof TypeError | typeof RangeError,
          re: RegExp,
        ) => {
          try {
            await f();
          } catch (e) {
            check(e instanceof cls, `${what}: expected ${cls.name}, got ${(e as Error).message}`);
            check(re.test((e as Error).message), `${what}: message "${(e as Error).message}"`);
            return;
          }
          throw new Fail(`${what}: no error`);
        };
        const b3 = vec([1, 2, 3]);
        await expectErr("b shape", () => s.solve(A, vec([1, 2]), {}), RangeError, /\(2,\)/);
        await expectErr("x0 shape", () => s.solve(A, b3, { x0: vec([1, 2, 3]) }), RangeError, /x0/);
        await expectErr("damp", () => s.solve(A, b3, { damp: -1 }), RangeError, /damp/);
        await expectErr("atol", () => s.solve(A, b3, { atol: -1 }), RangeError, /atol/);
        await expectErr("btol", () => s.solve(A, b3, { btol: NaN }), RangeError, /btol/);
        await expectErr("conlim", () => s.solve(A, b3, { conlim: -2 }), RangeError, /conlim/);
        const lim = kind === "lsqr" ? "iterLim" : "maxiter";
        await expectErr(lim, () => s.solve(A, b3, { [lim]: 0 }), RangeError, new RegExp(lim));
        await expectErr("Mb", () => s.solve(A, b3, { x0: "Mb" }), TypeError, /x0/);
        await expectErr("NaN b", () => s.solve(A, vec([1, NaN, 3]), {}), RangeError, /NaN/);
        await expectErr(
          "no adjoint",
          () => s.solve({ shape: [3, 2], dtype, xp, matvec: (v: A) => v }, b3, {}),
          TypeError,
          /adjoint/,
        );
        if (xp.__array_namespace_info__().capabilities().float64) {
          const other = f64 ? "float32" : "float64";
          await expectErr(
            "dtype",
            () => s.solve(A, xp.ones([3], { dtype: other }), {}),
            TypeError,
            /float/,
          );
        }
      });
    }
  }
  return cases;
}

/** minres on least_squares.json's mid-size problems (float64: SciPy parity; float32: the
 * rtol 1e-5 runs, loosely). */
export function minresFixtureCases<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
  m: MinresEntry,
  dtypes: readonly FloatDType[],
): ParityCase[] {
  const lf = lsFixture();
  const cases: ParityCase[] = [];
  for (const dtype of dtypes) {
    const f64 = dtype === "float64";
    for (const prob of lf.minres) {
      prob.runs.forEach((ref, i) => {
        const tag = Object.entries(ref.options).map(([k, v]) => `${k}=${v}`).join(",");
        if (!f64 && (ref.options.rtol as number) < 1e-5) return;
        cases.push({
          name: `minres/${dtype}/${prob.name}/${i}:${tag}${i === 3 ? ",M" : ""}${
            ref.x0 ? ",x0" : ""
          }`,
          fn: async () => {
            const A = csrArray(
              {
                data: xp.asarray(decode(prob.A.data), { dtype }),
                indices: prob.A.indices,
                indptr: prob.A.indptr,
              },
              { shape: prob.A.shape, xp },
            );
            const o: Record<string, unknown> = { rtol: ref.options.rtol };
            if (ref.options.shift !== undefined) o.shift = ref.options.shift;
            if (ref.options.maxiter !== undefined) o.maxiter = ref.options.maxiter;
            if (prob.operator[i] === "A-0.8I") o.shift = 0.8;
            if (ref.x0) o.x0 = xp.asarray(decode(ref.x0), { dtype });
            if (i === 3) {
              const d = xp.asarray(decode(prob.M), { dtype });
              o.M = new LinearOperator({
                shape: prob.A.shape,
                dtype,
                xp,
                matvec: (v: A) => xp.multiply(v, d),
              });
            }
            const r = await m.solve(A, xp.asarray(decode(prob.b), { dtype }), o);
            const [lo, hi] = ref.itnRange;
            const its = r.iterations[0];
            check(
              r.info[0] === ref.info || (ref.info! > 0 && r.info[0] > 0),
              `info ${r.info[0]} vs SciPy ${ref.info}`,
            );
            if (f64) {
              check(
                its >= lo - 2 && its <= hi + 2,
                `iterations ${its}, SciPy ${ref.iterations} (${lo}..${hi})`,
              );
              const tol = (k: string) => Math.max(1e-8, 10 * ref.spread[k]);
              if (!prob.singular[i]) {
                const d = relDiff(await hostOf(xp, r.x as A), decode(ref.x));
                check(d <= tol("x"), `x differs from SciPy by ${d} (spread ${ref.spread.x})`);
              }
              // singular systems: x is not unique, the least-squares residual is
              const e = relErr(r.residualNorm[0], ref.residualNorm!);
              check(
                e <= tol("residualNorm"),
                `residual ${r.residualNorm[0]} vs ${ref.residualNorm}`,
              );
              if (prob.singular[i]) {
                check(r.istop[0] === 1 || r.istop[0] === 2, `istop ${r.istop[0]}`);
              }
            } else {
              check(
                Math.abs(its - ref.iterations!) <= Math.max(4, 0.35 * ref.iterations!),
                `iterations ${its} vs SciPy (float64) ${ref.iterations}`,
              );
            }
          },
        });
      });
    }
  }
  return cases;
}
