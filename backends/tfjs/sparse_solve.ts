/**
 * `sparseSolve`: a sparse linear solve `x = A(data)⁻¹ b` that tfjs can differentiate
 * (`tf.grad`, `tf.valueAndGrad`, optimizers), by the adjoint method.
 *
 * @module
 */
import { fmtShape } from "../../array_api/shapes.ts";
import { cpu } from "../cpu/mod.ts";
import { CsrArray, csrArray } from "../../sparse/csr_array.ts";
import { cgSync } from "../../linalg/cg.ts";
import { gmresSync } from "../../linalg/gmres.ts";
import { solveVjpSync } from "../../linalg/solve_vjp.ts";
import type { SolveResult } from "../../linalg/types.ts";
import { fromTfjs } from "./from_tfjs.ts";
import type { TfjsArray } from "./tfjs_array.ts";
import { type TfjsNamespace, tfjsNamespace } from "./tfjs_namespace.ts";
import type { TfModule, TfTensor } from "./tf_like.ts";

/**
 * The `tf` module members {@linkcode sparseSolve} needs beyond {@linkcode TfModule}: the full
 * `@tensorflow/tfjs` package satisfies it (tfjs-core alone lacks gradient registrations in Deno).
 *
 * @typeParam T the module's tensor type.
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * import type { TfGradModule } from "./sparse_solve.ts";
 * const m: TfGradModule<tf.Tensor> = tf;
 * ```
 */
export interface TfGradModule<T extends TfTensor = TfTensor> extends TfModule<T> {
  /** `tf.customGrad`: an op with a user-defined gradient (one tape node). */
  // deno-lint-ignore no-explicit-any
  customGrad(f: (...args: any[]) => { value: T; gradFunc: (dy: T, saved: T[]) => T | T[] }): (
    ...args: T[]
  ) => T;
}

/**
 * The sparsity pattern of {@linkcode sparseSolve}'s matrix: CSR structure on the host, shared
 * by every batch member. Duplicate and unsorted entries are allowed (each stored entry is one
 * value of `data`).
 *
 * @example
 * ```ts
 * import type { SparsePattern } from "./sparse_solve.ts";
 * const p: SparsePattern = { indptr: [0, 1, 2], indices: [0, 1], shape: [2, 2] };
 * ```
 */
export interface SparsePattern {
  /** Row pointers, `n + 1` non-decreasing integers from 0. */
  readonly indptr: ArrayLike<number>;
  /** Column of each stored entry. */
  readonly indices: ArrayLike<number>;
  /** `[n, n]` (the matrix must be square). */
  readonly shape: readonly [number, number] | readonly number[];
}

/**
 * Options of {@linkcode sparseSolve}.
 *
 * @example
 * ```ts
 * import type { SparseSolveOptions } from "./sparse_solve.ts";
 * const o: SparseSolveOptions = { method: "cg", rtol: 1e-6 };
 * ```
 */
export interface SparseSolveOptions {
  /** `"cg"` for symmetric positive definite matrices (the adjoint system is the same matrix),
   * `"gmres"` (default) for general ones (the adjoint solve runs on the transpose). */
  readonly method?: "cg" | "gmres";
  /** Relative tolerance of the forward solve (default 1e-5). */
  readonly rtol?: number;
  /** Absolute tolerance of the forward solve (default 0). */
  readonly atol?: number;
  /** Iteration limit of the forward solve (the solver's default when absent; gmres: inner
   * iterations in total). */
  readonly maxiter?: number;
  /** gmres only: inner iterations between restarts (default `min(20, n)`). */
  readonly restart?: number;
  /** Relative tolerance of the adjoint (backward) solve (default: `rtol`). */
  readonly adjointRtol?: number;
  /** Absolute tolerance of the adjoint solve (default: `atol`). */
  readonly adjointAtol?: number;
}

/**
 * Statistics of the last forward and adjoint solves of a {@linkcode SparseSolveFn}.
 *
 * @example
 * ```ts
 * import type { SparseSolveStats } from "./sparse_solve.ts";
 * const show = (s: SparseSolveStats) => console.log(s.forwardIterations, s.adjointIterations);
 * ```
 */
export interface SparseSolveStats {
  /** Iterations of the last forward solve, per system (null before the first call). */
  readonly forwardIterations: Int32Array | null;
  /** True residual norms `‖b − A x‖` of the last forward solve, per system. */
  readonly forwardResidual: Float64Array | null;
  /** Iterations of the last adjoint solve, per system (null before the first gradient). */
  readonly adjointIterations: Int32Array | null;
}

/**
 * The differentiable solve returned by {@linkcode sparseSolve}: `solve(data, b)` returns
 * `x` with `A(data) x = b`.
 *
 * @typeParam T the tfjs tensor type.
 *
 * @example
 * ```ts
 * import type { SparseSolveFn } from "./sparse_solve.ts";
 * import type * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * const use = (solve: SparseSolveFn<tf.Tensor>, d: tf.Tensor, b: tf.Tensor) => solve(d, b);
 * ```
 */
export interface SparseSolveFn<T extends TfTensor = TfTensor> {
  /** Solves: `data` `[...batchA, nnz]`, `b` `[...batchB, n]` (float32) → `x`
   * `[...broadcast(batchA, batchB), n]`, a new tensor. */
  (data: T, b: T): T;
  /** Statistics of the last forward and adjoint solves. */
  readonly stats: SparseSolveStats;
  /** Releases the index tensors cached for the pattern (the function stays usable: they are
   * rebuilt on the next call). */
  dispose(): void;
}

/**
 * Makes a sparse solve `x = A(data)⁻¹ b` usable inside `tf.grad` / `tf.valueAndGrad` /
 * optimizers, for a fixed sparsity pattern and values `data` computed by tf ops.
 *
 * - **Forward**: `cgSync` / `gmresSync` on the tfjs namespace of `tf` (readbacks with
 *   `dataSync()` at every convergence check). If any system does not converge the call throws
 *   a `RangeError` naming the systems, `info` and residuals: it never returns an inaccurate `x`.
 * - **Backward**: built with `tf.customGrad`, so the solve is **one** tape node whatever the
 *   iteration count; the gradient runs **one** adjoint solve `Aᵀ λ = ∂L/∂x`
 *   ({@linkcode solveVjpSync}) and returns `∂L/∂b = λ` and `∂L/∂data = −λ_i x_j` on the
 *   pattern (summed over broadcast batch axes). A non-converged adjoint solve is a
 *   `RangeError` too.
 * - **Batches**: `data` `[...batchA, nnz]` (one matrix per batch member, shared pattern) and
 *   `b` `[...batchB, n]` broadcast against each other.
 * - **Memory**: no tensor leaks per call; the pattern's index tensors are cached (kept) for the
 *   function's lifetime: `solve.dispose()` releases them.
 * - float32 only (tfjs has no float64). This module never imports tfjs: pass your `tf`.
 *
 * @param tf the full tfjs module (`import * as tf from "@tensorflow/tfjs"`).
 * @param pattern the CSR structure `{ indptr, indices, shape: [n, n] }`.
 * @param options solver and tolerances (see {@linkcode SparseSolveOptions}).
 * @returns the differentiable solve.
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * import { sparseSolve } from "./sparse_solve.ts";
 * await tf.setBackend("cpu");
 * // A = [[4, 1], [1, 3]]
 * const solve = sparseSolve(tf, { indptr: [0, 2, 4], indices: [0, 1, 0, 1], shape: [2, 2] }, {
 *   method: "cg",
 *   rtol: 1e-6,
 * });
 * const data = tf.tensor1d([4, 1, 1, 3]);
 * const b = tf.tensor1d([1, 2]);
 * const [gData, gB] = tf.grads((d: tf.Tensor, bb: tf.Tensor) => tf.sum(solve(d, bb)))([data, b]);
 * gB.print(); // λ = A⁻ᵀ 1
 * solve.dispose();
 * ```
 */
export function sparseSolve<T extends TfTensor>(
  tf: { readonly Tensor: { readonly prototype: T } } & NoInfer<TfGradModule<T>>,
  pattern: SparsePattern,
  options: SparseSolveOptions = {},
): SparseSolveFn<T> {
  const label = "sparseSolve";
  if (tf === null || typeof tf !== "object" && typeof tf !== "function") {
    throw new TypeError(`${label}: pass the tfjs module (import * as tf from ...)`);
  }
  if (typeof (tf as { customGrad?: unknown }).customGrad !== "function") {
    throw new TypeError(
      `${label}: the tf module lacks tf.customGrad; pass the full @tensorflow/tfjs package`,
    );
  }
  if (pattern === null || typeof pattern !== "object") {
    throw new TypeError(`${label}: pattern must be { indptr, indices, shape }`);
  }
  const shape = Array.from(pattern.shape ?? []);
  if (shape.length !== 2 || shape[0] !== shape[1]) {
    throw new RangeError(
      `${label}: the matrix must be square (n, n), got shape ${fmtShape(shape)}`,
    );
  }
  const method = options.method ?? "gmres";
  if (method !== "cg" && method !== "gmres") {
    throw new RangeError(`${label}: method must be "cg" or "gmres", got ${JSON.stringify(method)}`);
  }
  const n = shape[0];
  // validates the pattern once; the host structure is shared by every call
  const nnz0 = pattern.indices?.length ?? 0;
  const template = csrArray({
    indptr: Array.from(pattern.indptr),
    indices: Array.from(pattern.indices),
    data: new Float64Array(nnz0),
  }, { shape: [n, n], xp: cpu });
  const s = template._s;
  const nnz = s.nnz;
  const xp = tfjsNamespace(tf as unknown as TfModule<T>) as TfjsNamespace<T>;
  const tfm = tf as unknown as TfGradModule<T>;

  // Index tensors cached on the structure (and its transpose, for the gmres adjoint) are made
  // now and kept: made lazily inside tfjs's customGrad scope they would be disposed at its end.
  // (The adjoint of gmres also permutes data with the transpose's plan, whose index tensors are
  // cached the same way.)
  const structures = method === "gmres" ? [s, s.transpose().structure] : [s];
  const plan = method === "gmres" ? s.transpose().plan : null;
  const warm = () => {
    for (const st of structures) {
      for (const which of ["indptr", "indices"] as const) tfm.keep(st.device(xp, which).tensor);
    }
    plan?.levels.forEach((lv, i) => {
      if (!lv.identity) tfm.keep(plan.indexOn(xp, i).tensor);
    });
  };

  const stats: {
    forwardIterations: Int32Array | null;
    forwardResidual: Float64Array | null;
    adjointIterations: Int32Array | null;
  } = { forwardIterations: null, forwardResidual: null, adjointIterations: null };
  const solverOptions: Record<string, unknown> = {};
  for (const k of ["rtol", "atol", "maxiter"] as const) {
    if (options[k] !== undefined) solverOptions[k] = options[k];
  }
  if (method === "gmres" && options.restart !== undefined) solverOptions.restart = options.restart;

  const checkInputs = (data: T, b: T): void => {
    for (const [name, t] of [["data", data], ["b", b]] as const) {
      if (t === null || typeof t !== "object" || !Array.isArray((t as TfTensor).shape)) {
        throw new TypeError(`${label}: ${name} must be a tf.Tensor, got ${String(t)}`);
      }
      if (t.dtype !== "float32") {
        throw new TypeError(`${label}: ${name} must be float32, got ${t.dtype}`);
      }
    }
    if (data.rank < 1 || data.shape[data.rank - 1] !== nnz) {
      throw new RangeError(
        `${label}: data must have shape (..., ${nnz}) for ${nnz} stored entries, got ${
          fmtShape(data.shape)
        }`,
      );
    }
    if (b.rank < 1 || b.shape[b.rank - 1] !== n) {
      throw new RangeError(
        `${label}: b must have shape (..., ${n}) for a (${n}, ${n}) matrix, got ${
          fmtShape(b.shape)
        }`,
      );
    }
  };

  const failures = (r: SolveResult<TfjsArray<T>>): string | null => {
    const bad: string[] = [];
    for (let i = 0; i < r.info.length && bad.length < 4; i++) {
      if (r.info[i] !== 0) {
        bad.push(`system ${i}: info ${r.info[i]}, residual ${r.residualNorm[i].toPrecision(3)}`);
      }
    }
    if (bad.length === 0) return null;
    const count = r.info.filter((v) => v !== 0).length;
    return `${count} of ${r.info.length} systems did not converge (${bad.join("; ")}` +
      `${count > bad.length ? "; …" : ""})`;
  };

  const op = tfm.customGrad(
    ((data: T, b: T, save: (ts: T[]) => void) => {
      const dA = fromTfjs(xp, data);
      const bA = fromTfjs(xp, b);
      let r: SolveResult<TfjsArray<T>>;
      try {
        const A = new CsrArray(xp, s, dA);
        r = (method === "cg"
          ? cgSync(A, bA, solverOptions)
          : gmresSync(A, bA, solverOptions)) as SolveResult<TfjsArray<T>>;
      } finally {
        xp.dispose(dA, bA);
      }
      stats.forwardIterations = r.iterations;
      stats.forwardResidual = r.residualNorm;
      const fail = failures(r);
      if (fail) {
        xp.dispose(r.x);
        throw new RangeError(
          `${label}: the forward ${method} solve did not converge: ${fail}; raise maxiter, ` +
            `loosen rtol/atol, or check that A(data) is ${
              method === "cg" ? "symmetric positive definite" : "nonsingular"
            }`,
        );
      }
      const x = tfm.clone(r.x.tensor);
      xp.dispose(r.x);
      save([data, x]);
      const bShape = b.shape.slice();
      return {
        value: x,
        gradFunc: (dy: T, saved: T[]): T[] => {
          const [dSaved, xSaved] = saved;
          const dA2 = fromTfjs(xp, dSaved);
          const xA = fromTfjs(xp, xSaved);
          const gA = fromTfjs(xp, dy);
          try {
            const A = new CsrArray(xp, s, dA2);
            const g = solveVjpSync(A, xA, gA, {
              method,
              rtol: options.adjointRtol ?? options.rtol,
              atol: options.adjointAtol ?? options.atol,
              maxiter: options.maxiter,
              restart: options.restart,
              bShape,
            });
            stats.adjointIterations = g.iterations;
            const fail = failures({ ...g, x: g.gb });
            if (fail) {
              xp.dispose(g.gb, g.gdata);
              throw new RangeError(
                `${label}: the adjoint ${method} solve (gradient) did not converge: ${fail}`,
              );
            }
            const out = [tfm.clone(g.gdata.tensor), tfm.clone(g.gb.tensor)];
            xp.dispose(g.gb, g.gdata);
            return out;
          } finally {
            xp.dispose(dA2, xA, gA);
          }
        },
      };
    }) as never,
  );

  const fn = ((data: T, b: T): T => {
    checkInputs(data, b);
    warm();
    return op(data, b);
  }) as SparseSolveFn<T>;
  Object.defineProperty(fn, "stats", { get: (): SparseSolveStats => ({ ...stats }) });
  Object.defineProperty(fn, "dispose", {
    value: (): void => {
      for (const st of structures) st.release(xp);
      plan?.release(xp);
    },
  });
  return fn;
}
