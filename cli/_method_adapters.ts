// Adapters from the solvers' own call shapes and results to the CLI registry's uniform
// `MethodSpec` / `MethodOutcome` (see methods.ts).
import type { ArrayObject } from "../array_api/types.ts";
import type { SolveResult } from "../linalg/types.ts";
import type { MethodName, MethodOption, MethodSpec } from "./methods.ts";

// deno-lint-ignore no-explicit-any
export type AnySolver = (A: any, b: any, options: any) => Promise<any>;

export function krylovStatus(code: number, codes: Record<number, string> = {}): string {
  if (codes[code] !== undefined) return codes[code];
  if (code === 0) return "converged";
  if (code > 0) return "not converged (iteration limit reached)";
  if (code === -10) return "breakdown (ρ recurrence)";
  if (code === -11) return "breakdown (ω or a dot product)";
  if (code === -12) return "non-finite value (NaN/Inf) in the iteration";
  return `breakdown (info ${code})`;
}

/** An entry for a solver of the cg family (`SolveResult`, `info` 0 = converged). */
export function krylovMethod(
  name: MethodName,
  summary: string,
  solver: AnySolver,
  spec: {
    symmetric?: boolean;
    residualTest?: boolean;
    preconditioner?: boolean;
    options?: MethodOption[];
    /** Solver option receiving `--restart` (default `restart`). */
    restartKey?: string;
    /** Solver option receiving the preconditioner (default `M`). */
    preconditionerKey?: string;
    /** Solver-specific `info` codes, in words. */
    codes?: Record<number, string>;
  } = {},
): MethodSpec {
  const accepts = spec.options ?? ["rtol", "atol"];
  return {
    name,
    summary,
    square: true,
    symmetric: spec.symmetric ?? false,
    residualTest: spec.residualTest ?? true,
    preconditioner: spec.preconditioner ?? true,
    options: accepts,
    async solve(A, b, o) {
      const opts: Record<string, unknown> = {};
      if (o.rtol !== undefined) opts.rtol = o.rtol;
      if (o.atol !== undefined && accepts.includes("atol")) opts.atol = o.atol;
      if (o.maxiter !== undefined) opts.maxiter = o.maxiter;
      if (o.restart !== undefined && accepts.includes("restart")) {
        opts[spec.restartKey ?? "restart"] = o.restart;
      }
      if (o.M) opts[spec.preconditionerKey ?? "M"] = o.M;
      if (o.onProgress) opts.onProgress = o.onProgress;
      if (o.history) opts.history = true;
      const r = await solver(A, b, opts) as SolveResult<ArrayObject>;
      const info = Int32Array.from(r.info);
      return {
        x: r.x,
        info,
        iterations: Int32Array.from(r.iterations),
        residualNorm: Float64Array.from(r.residualNorm),
        converged: Array.from(info, (c) => c === 0),
        status: Array.from(info, (c) => krylovStatus(c, spec.codes)),
        residualHistory: r.residualHistory,
      };
    },
  };
}

const ISTOP = [
  "x = 0 is a solution",
  "converged: A x ≈ b within atol/btol",
  "converged: least-squares solution within atol",
  "cond(A) estimate exceeded conlim",
  "converged: A x ≈ b to machine precision",
  "converged: least-squares solution to machine precision",
  "cond(A) estimate exceeded 1/eps",
  "not converged (iteration limit reached)",
];

/** An entry for lsqr/lsmr (`istop` codes; 0, 1, 2, 4, 5 mean a solution was found; −12 a
 * non-finite value). */
export function leastSquaresMethod(
  name: "lsqr" | "lsmr",
  summary: string,
  solver: AnySolver,
): MethodSpec {
  const keys = name === "lsqr"
    ? ["r1norm", "r2norm", "anorm", "acond", "arnorm", "xnorm"]
    : ["normr", "normar", "norma", "conda", "normx"];
  const estimate = keys[0]; // the solver's estimate of ‖b − A x‖
  return {
    name,
    summary,
    square: false,
    symmetric: false,
    residualTest: false,
    preconditioner: false,
    options: ["rtol", "atol", "btol"],
    async solve(A, b, o) {
      const opts: Record<string, unknown> = {};
      const atol = o.atol ?? o.rtol, btol = o.btol ?? o.rtol;
      if (atol !== undefined) opts.atol = atol;
      if (btol !== undefined) opts.btol = btol;
      // SciPy's names: lsqr iter_lim (iterLim here), lsmr maxiter
      if (o.maxiter !== undefined) opts[name === "lsqr" ? "iterLim" : "maxiter"] = o.maxiter;
      if (o.onProgress) opts.onProgress = o.onProgress;
      if (o.history) opts.history = true;
      // deno-lint-ignore no-explicit-any
      const r = await solver(A, b, opts) as Record<string, any>;
      const istop = Int32Array.from(r.istop as ArrayLike<number>);
      const extra: Record<string, ArrayLike<number>> = {};
      for (const k of keys) if (r[k] !== undefined) extra[k] = Float64Array.from(r[k]);
      return {
        x: r.x as ArrayObject,
        info: istop,
        iterations: Int32Array.from(r.itn as ArrayLike<number>),
        // the true ‖b − A x‖ when the solver recomputes it, else its estimate
        residualNorm: Float64Array.from((r.residualNorm ?? r[estimate]) as ArrayLike<number>),
        converged: Array.from(istop, (c) => c >= 0 && (c <= 2 || c === 4 || c === 5)),
        status: Array.from(
          istop,
          (c) =>
            ISTOP[c] ?? (c === -12 ? "non-finite value (NaN/Inf) in the iteration" : `istop ${c}`),
        ),
        residualHistory: r.residualHistory as Float64Array[] | undefined,
        extra,
      };
    },
  };
}
