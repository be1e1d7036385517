/**
 * Training through a sparse solve: recover a diffusion coefficient field κ(x, y) from
 * observations of the solution, with TensorFlow.js gradients and `sparseSolve`.
 *
 * The forward model is the 2-D diffusion equation `−∇·(κ ∇u) = f` on the unit square with
 * `u = 0` on the boundary, discretised with the 5-point finite-volume stencil on a `g × g` grid
 * of interior nodes (face coefficients are the mean of the two nodes' κ). The sparse matrix
 * `A(κ)` has a fixed pattern; its values are assembled from `κ = exp(θ)` by tf ops (gathers and
 * a product with the node–face incidence matrix), so `tf.grad` flows from the loss through the
 * solve (`sparseSolve`: one adjoint CG solve per step, not a backprop through CG iterations)
 * into `θ`. Several source terms `f` are solved at once as a batch of right-hand sides.
 *
 * Run it (Deno 2.9; tfjs is fetched from npm):
 *
 * ```sh
 * deno run -A examples/train_diffusion.ts              # 12 × 12 grid, 100 Adam steps
 * deno run -A examples/train_diffusion.ts --grid 16 --steps 200 --lr 0.05
 * ```
 *
 * It prints the step, the loss (relative misfit of the solutions) and the relative error of
 * κ against the field that generated the observations.
 *
 * @module
 */
import * as tf from "npm:@tensorflow/tfjs@4.22.0";
import { parseArgs } from "node:util";
import { sparseSolve } from "../backends/tfjs/sparse_solve.ts";

/**
 * Options of {@linkcode trainDiffusion}.
 *
 * @example
 * ```ts
 * import type { TrainOptions } from "./train_diffusion.ts";
 * const o: TrainOptions = { grid: 8, steps: 20 };
 * ```
 */
export interface TrainOptions {
  /** Interior nodes per side (default 12). */
  grid?: number;
  /** Adam steps (default 100). */
  steps?: number;
  /** Adam learning rate (default 0.05). */
  lr?: number;
  /** Source terms solved per step (default 4). */
  sources?: number;
  /** Weight of the smoothness penalty on θ = log κ (default 1e-4). */
  smoothness?: number;
  /** Called after each step with the step number and the loss. */
  onStep?: (step: number, loss: number, kappaError: number) => void;
}

/**
 * Result of {@linkcode trainDiffusion}.
 *
 * @example
 * ```ts
 * import type { TrainResult } from "./train_diffusion.ts";
 * const show = (r: TrainResult) => console.log(r.losses.at(-1), r.kappaError.at(-1));
 * ```
 */
export interface TrainResult {
  /** Loss before each step. */
  losses: number[];
  /** Relative error ‖κ − κ_true‖ / ‖κ_true‖ before each step. */
  kappaError: number[];
  /** The recovered κ, row-major `g × g`. */
  kappa: Float32Array;
  /** The true κ, row-major `g × g`. */
  kappaTrue: Float32Array;
}

/** The 5-point pattern on a g × g grid and the maps from κ to the stored values. */
function assembly(g: number) {
  const n = g * g;
  const id = (r: number, c: number) => r * g + c;
  // interior faces (between two interior nodes)
  const faces: [number, number][] = [];
  for (let r = 0; r < g; r++) {
    for (let c = 0; c < g; c++) {
      if (c + 1 < g) faces.push([id(r, c), id(r, c + 1)]);
      if (r + 1 < g) faces.push([id(r, c), id(r + 1, c)]);
    }
  }
  const faceOf = new Map<string, number>();
  faces.forEach(([a, b], f) => {
    faceOf.set(`${a},${b}`, f);
    faceOf.set(`${b},${a}`, f);
  });
  // boundary faces per node (their coefficient is the node's own κ)
  const boundary = new Float32Array(n);
  for (let r = 0; r < g; r++) {
    for (let c = 0; c < g; c++) {
      boundary[id(r, c)] = Number(r === 0) + Number(r === g - 1) + Number(c === 0) +
        Number(c === g - 1);
    }
  }
  const indptr = [0], indices: number[] = [];
  // value k = (k < F ? −κ_face[k] : diag[k − F]); src[e] picks it for stored entry e
  const src: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = Math.floor(i / g), c = i % g;
    const cols = [
      r > 0 ? id(r - 1, c) : -1,
      c > 0 ? id(r, c - 1) : -1,
      i,
      c + 1 < g ? id(r, c + 1) : -1,
      r + 1 < g ? id(r + 1, c) : -1,
    ].filter((j) => j >= 0);
    for (const j of cols) {
      indices.push(j);
      src.push(j === i ? faces.length + i : faceOf.get(`${i},${j}`)!);
    }
    indptr.push(indices.length);
  }
  const incidence = new Float32Array(n * faces.length);
  faces.forEach(([a, b], f) => {
    incidence[a * faces.length + f] = 1;
    incidence[b * faces.length + f] = 1;
  });
  return {
    n,
    pattern: { indptr, indices, shape: [n, n] },
    faceA: faces.map((f) => f[0]),
    faceB: faces.map((f) => f[1]),
    boundary,
    src,
    incidence,
    nFaces: faces.length,
  };
}

/**
 * Recovers κ on a `g × g` grid from the solutions of `−∇·(κ∇u) = f` for a few sources, by Adam
 * on `θ = log κ`, starting from κ = 1. Every tensor it makes is disposed before it returns.
 *
 * @param options grid size, steps, learning rate (see {@linkcode TrainOptions}).
 * @returns the loss and κ error history and the recovered field.
 *
 * @example
 * ```ts
 * import { trainDiffusion } from "./train_diffusion.ts";
 * const r = trainDiffusion({ grid: 8, steps: 10 });
 * console.log(r.losses[0], r.losses.at(-1));
 * ```
 */
export function trainDiffusion(options: TrainOptions = {}): TrainResult {
  const g = options.grid ?? 12, steps = options.steps ?? 100, lr = options.lr ?? 0.05;
  const S = options.sources ?? 4, smooth = options.smoothness ?? 1e-4;
  const asm = assembly(g);
  const solve = sparseSolve(tf, asm.pattern, { method: "cg", rtol: 1e-6, maxiter: 10 * asm.n });

  // the true field: a smooth background with one high and one low blob
  const kappaTrue = new Float32Array(asm.n);
  for (let i = 0; i < asm.n; i++) {
    const x = ((i % g) + 1) / (g + 1), y = (Math.floor(i / g) + 1) / (g + 1);
    kappaTrue[i] = 1 + 0.3 * x + 1.5 * Math.exp(-((x - 0.3) ** 2 + (y - 0.65) ** 2) / 0.02) -
      0.6 * Math.exp(-((x - 0.7) ** 2 + (y - 0.3) ** 2) / 0.03);
  }
  // sources: smooth bumps at different places (rows of the batch)
  const f = new Float32Array(S * asm.n);
  for (let s = 0; s < S; s++) {
    const cx = 0.25 + 0.5 * (s % 2), cy = 0.25 + 0.5 * (Math.floor(s / 2) % 2);
    for (let i = 0; i < asm.n; i++) {
      const x = ((i % g) + 1) / (g + 1), y = (Math.floor(i / g) + 1) / (g + 1);
      f[s * asm.n + i] = Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 0.05) / (g + 1) ** 2;
    }
  }

  const fA = tf.tensor1d(asm.faceA, "int32"), fB = tf.tensor1d(asm.faceB, "int32");
  const src = tf.tensor1d(asm.src, "int32");
  const inc = tf.tensor2d(asm.incidence, [asm.n, asm.nFaces]);
  const bnd = tf.tensor1d(asm.boundary);
  const b = tf.tensor2d(f, [S, asm.n]);
  const kTrue = tf.tensor1d(kappaTrue);
  const gridIdx = (dr: number, dc: number) => {
    const a: number[] = [], c: number[] = [];
    for (let r = 0; r + dr < g; r++) {
      for (let q = 0; q + dc < g; q++) {
        a.push(r * g + q);
        c.push((r + dr) * g + q + dc);
      }
    }
    return [tf.tensor1d(a, "int32"), tf.tensor1d(c, "int32")];
  };
  const [hA, hB] = gridIdx(0, 1), [vA, vB] = gridIdx(1, 0);

  /** Stored values of A(κ) in pattern order, by tf ops. */
  const data = (kappa: tf.Tensor1D): tf.Tensor1D =>
    tf.tidy(() => {
      const kFace = tf.mul(0.5, tf.add(tf.gather(kappa, fA), tf.gather(kappa, fB)));
      const diag = tf.add(
        tf.reshape(tf.matMul(inc, tf.reshape(kFace, [-1, 1])), [-1]),
        tf.mul(bnd, kappa),
      );
      return tf.gather(tf.concat([tf.neg(kFace), diag]), src) as tf.Tensor1D;
    });

  const uObs = tf.tidy(() => solve(data(kTrue), b));
  const obsScale = tf.tidy(() => tf.mean(tf.square(uObs)));
  const theta0 = tf.zeros([asm.n]);
  const theta = tf.variable(theta0);
  theta0.dispose();
  const opt = tf.train.adam(lr);
  const losses: number[] = [], kappaError: number[] = [];
  const lossFn = (): tf.Scalar =>
    tf.tidy(() => {
      const kappa = tf.exp(theta) as tf.Tensor1D;
      const u = solve(data(kappa), b);
      const misfit = tf.div(tf.mean(tf.square(tf.sub(u, uObs))), obsScale);
      const dh = tf.sub(tf.gather(theta, hA), tf.gather(theta, hB));
      const dv = tf.sub(tf.gather(theta, vA), tf.gather(theta, vB));
      const reg = tf.mul(smooth, tf.add(tf.sum(tf.square(dh)), tf.sum(tf.square(dv))));
      return tf.add(misfit, reg) as tf.Scalar;
    });
  const kErr = () =>
    tf.tidy(() => tf.div(tf.norm(tf.sub(tf.exp(theta), kTrue)), tf.norm(kTrue)).dataSync()[0]);
  try {
    for (let step = 0; step < steps; step++) {
      const e = kErr();
      const loss = opt.minimize(lossFn, true)!;
      const l = loss.dataSync()[0];
      loss.dispose();
      losses.push(l);
      kappaError.push(e);
      options.onStep?.(step, l, e);
    }
    const k = tf.exp(theta);
    const kappa = Float32Array.from(k.dataSync() as Float32Array);
    k.dispose();
    return { losses, kappaError, kappa, kappaTrue };
  } finally {
    opt.dispose();
    tf.dispose([theta, fA, fB, src, inc, bnd, b, kTrue, uObs, obsScale, hA, hB, vA, vB]);
    solve.dispose();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      grid: { type: "string", default: "12" },
      steps: { type: "string", default: "100" },
      lr: { type: "string", default: "0.05" },
      backend: { type: "string", default: "cpu" },
    },
  });
  await tf.setBackend(values.backend);
  const t0 = performance.now();
  const steps = Number(values.steps);
  const r = trainDiffusion({
    grid: Number(values.grid),
    steps,
    lr: Number(values.lr),
    onStep: (s, l, e) => {
      if (s % 10 === 0 || s === steps - 1) {
        console.log(
          `step ${String(s).padStart(4)}  loss ${l.toExponential(3)}  κ error ${e.toFixed(4)}`,
        );
      }
    },
  });
  const ms = performance.now() - t0;
  console.log(
    `loss ${r.losses[0].toExponential(3)} → ${r.losses.at(-1)!.toExponential(3)} ` +
      `(×${(r.losses[0] / r.losses.at(-1)!).toFixed(0)} lower); κ error ` +
      `${r.kappaError[0].toFixed(3)} → ${r.kappaError.at(-1)!.toFixed(3)}; ` +
      `${(ms / 1000).toFixed(1)} s, ${tf.memory().numTensors} tensors alive`,
  );
}
