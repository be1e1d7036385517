/**
 * The CLI's method registry: every solver the `--method` option can name, with what it
 * accepts and a uniform way to call it and read its result.
 *
 * @module
 */
import type { ArrayObject } from "../array_api/types.ts";
import type { AnyOperatorInput, ProgressInfo } from "../linalg/types.ts";
import { cg } from "../linalg/cg.ts";
import { krylovMethod as krylov, leastSquaresMethod as leastSquares } from "./_method_adapters.ts";
import { gmres } from "../linalg/gmres.ts";
import { minres } from "../linalg/minres.ts";
import { lsqr } from "../linalg/lsqr.ts";
import { bicgstab } from "../linalg/bicgstab.ts";
import { lsmr } from "../linalg/lsmr.ts";
import { bicg } from "../linalg/bicg.ts";
import { cgs } from "../linalg/cgs.ts";
import { qmr } from "../linalg/qmr.ts";
import { tfqmr } from "../linalg/tfqmr.ts";
import { lgmres } from "../linalg/lgmres.ts";
import { gcrotmk } from "../linalg/gcrotmk.ts";

/**
 * Names the `--method` option knows (SciPy's `scipy.sparse.linalg` solvers). Those missing
 * from {@linkcode methods} are not available in this build.
 *
 * @example
 * ```ts
 * import { METHOD_NAMES } from "./methods.ts";
 * console.log(METHOD_NAMES.includes("gmres")); // true
 * ```
 */
export const METHOD_NAMES = [
  "cg",
  "gmres",
  "minres",
  "lsqr",
  "bicgstab",
  "lsmr",
  "bicg",
  "cgs",
  "qmr",
  "tfqmr",
  "lgmres",
  "gcrotmk",
] as const;

/**
 * A solver name of {@linkcode METHOD_NAMES}.
 *
 * @example
 * ```ts
 * import type { MethodName } from "./methods.ts";
 * const m: MethodName = "cg";
 * ```
 */
export type MethodName = typeof METHOD_NAMES[number];

/**
 * CLI options a method may accept besides `--maxiter` (which all accept).
 *
 * @example
 * ```ts
 * import type { MethodOption } from "./methods.ts";
 * const o: MethodOption = "restart";
 * ```
 */
export type MethodOption = "rtol" | "atol" | "btol" | "restart";

/**
 * What the CLI passes to a method (absent values mean the solver's SciPy default).
 *
 * @example
 * ```ts
 * import type { MethodRunOptions } from "./methods.ts";
 * const o: MethodRunOptions = { rtol: 1e-8, maxiter: 500, history: true };
 * ```
 */
export interface MethodRunOptions {
  /** Relative tolerance (least-squares methods: their `atol` and `btol` when those are
   * absent). */
  readonly rtol?: number;
  /** Absolute tolerance (least-squares methods: SciPy's relative `atol`). */
  readonly atol?: number;
  /** Least-squares methods: SciPy's `btol`. */
  readonly btol?: number;
  /** Iteration limit (gmres: restart cycles, as SciPy). */
  readonly maxiter?: number;
  /** gmres: inner iterations per restart cycle; lgmres: `innerM`; gcrotmk: `m`. */
  readonly restart?: number;
  /** Preconditioner (methods with `preconditioner: true`). */
  readonly M?: AnyOperatorInput | null;
  /** Progress callback. */
  readonly onProgress?: (info: ProgressInfo) => void;
  /** Record residual histories. */
  readonly history?: boolean;
}

/**
 * A method's result in one shape for every solver (one entry per system).
 *
 * @example
 * ```ts
 * import type { MethodOutcome } from "./methods.ts";
 * const ok = (o: MethodOutcome) => o.converged.every(Boolean);
 * ```
 */
export interface MethodOutcome {
  /** Solution `[...batch, N]`. */
  readonly x: ArrayObject;
  /** The solver's status code (`info`; `istop` for lsqr/lsmr). */
  readonly info: Int32Array;
  /** Iterations done. */
  readonly iterations: Int32Array;
  /** `‖b − A x‖` (lsqr: `r1norm`, lsmr: `normr`). */
  readonly residualNorm: Float64Array;
  /** Whether each system met its stopping test. */
  readonly converged: readonly boolean[];
  /** What each status code means, in words. */
  readonly status: readonly string[];
  /** With `history: true` when the solver records it: residual norm per iteration. */
  readonly residualHistory?: readonly Float64Array[];
  /** Solver-specific per-system numbers (lsqr/lsmr norms and estimates). */
  readonly extra?: Readonly<Record<string, ArrayLike<number>>>;
}

/**
 * A registry entry.
 *
 * @example
 * ```ts
 * import { methods } from "./methods.ts";
 * console.log(methods.cg?.summary);
 * ```
 */
export interface MethodSpec {
  /** The `--method` name. */
  readonly name: MethodName;
  /** One-line description for `--help`. */
  readonly summary: string;
  /** Needs a square `A` (false for least-squares methods). */
  readonly square: boolean;
  /** Assumes a symmetric (Hermitian) `A` (used for hints only). */
  readonly symmetric: boolean;
  /** Stops when `‖r‖ ≤ max(atol, rtol·‖b‖)` (with x0 = 0); false for methods with their own
   * tests (minres, lsqr, lsmr). */
  readonly residualTest: boolean;
  /** Accepts a preconditioner (`--precond`). */
  readonly preconditioner: boolean;
  /** Options it accepts besides `--maxiter`. */
  readonly options: readonly MethodOption[];
  /** Runs the solver. */
  solve(A: AnyOperatorInput, b: ArrayObject, o: MethodRunOptions): Promise<MethodOutcome>;
}

/**
 * The available methods by name (a method of {@linkcode METHOD_NAMES} that is absent has not
 * landed in this build).
 *
 * @example
 * ```ts
 * import { methods } from "./methods.ts";
 * import { poisson2d } from "../sparse/gallery.ts";
 * import { cpu } from "../backends/cpu/mod.ts";
 * const out = await methods.cg!.solve(poisson2d(8), cpu.ones([64]), { rtol: 1e-8 });
 * console.log(out.converged, out.iterations);
 * ```
 */
export const methods: Readonly<Partial<Record<MethodName, MethodSpec>>> = {
  cg: krylov("cg", "conjugate gradient (symmetric positive definite A)", cg, { symmetric: true }),
  gmres: krylov(
    "gmres",
    "restarted GMRES (general A; --maxiter counts restart cycles)",
    gmres,
    { options: ["rtol", "atol", "restart"] },
  ),
  minres: krylov("minres", "MINRES (symmetric, possibly indefinite A; rtol only)", minres, {
    symmetric: true,
    options: ["rtol"],
    residualTest: false,
    codes: { [-20]: "indefinite preconditioner or non-symmetric A" },
  }),
  lsqr: leastSquares("lsqr", "LSQR least squares (any M×N A)", lsqr),
  bicgstab: krylov("bicgstab", "BiCGSTAB (general A)", bicgstab),
  lsmr: leastSquares("lsmr", "LSMR least squares (any M×N A)", lsmr),
  bicg: krylov("bicg", "BiCG (general A; uses Aᵀ)", bicg),
  cgs: krylov("cgs", "conjugate gradient squared (general A)", cgs),
  qmr: krylov("qmr", "quasi-minimal residual (general A; uses Aᵀ; Jacobi as M1)", qmr, {
    preconditionerKey: "M1",
    codes: {
      [-12]: "breakdown (γ) or a non-finite value",
      [-13]: "breakdown (δ)",
      [-14]: "breakdown (ε)",
      [-15]: "breakdown (ξ)",
    },
  }),
  tfqmr: krylov("tfqmr", "transpose-free QMR (general A; rtol relative to ‖r₀‖)", tfqmr, {
    codes: { [-1]: "breakdown (r*ᴴv = 0)" },
  }),
  lgmres: krylov("lgmres", "LGMRES (general A; --restart sets inner iterations)", lgmres, {
    options: ["rtol", "atol", "restart"],
    restartKey: "innerM",
    codes: { [-13]: "the preconditioner returned zero" },
  }),
  gcrotmk: krylov("gcrotmk", "GCROT(m,k) (general A; --restart sets m)", gcrotmk, {
    options: ["rtol", "atol", "restart"],
    restartKey: "m",
  }),
};
