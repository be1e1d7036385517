// Test helpers shared by gmres_test.ts, lgmres_test.ts and gcrotmk_test.ts.
import { cpu as xp, type CpuArray } from "../backends/cpu/mod.ts";
import { LinearOperator } from "./linear_operator.ts";

/** The formula-defined test matrix of _arnoldi_refs_test_data.ts (full rank, non-symmetric). */
export function formulaMatrix(n: number, shift: number): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row: number[] = [];
    for (let j = 0; j < n; j++) {
      row.push(
        Math.sin(1.3 + 0.37 * i * j + 0.11 * j * j + 0.05 * i) / Math.sqrt(n) +
          (i === j ? shift : 0),
      );
    }
    rows.push(row);
  }
  return rows;
}

/** The formula-defined right-hand side `cos(0.3 + 0.7 i)`. */
export function formulaVector(n: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.cos(0.3 + 0.7 * i));
}

/** Host copy as float64. */
export async function host(a: CpuArray): Promise<Float64Array> {
  return Float64Array.from(await xp.toHost(a));
}

/** `‖b − A x‖` for a dense host matrix. */
export function residual(A: number[][], b: ArrayLike<number>, x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < A.length; i++) {
    let t = b[i];
    for (let j = 0; j < A[i].length; j++) t -= A[i][j] * x[j];
    s += t * t;
  }
  return Math.sqrt(s);
}

/** `A x` for a dense host matrix. */
export function matvecHost(A: number[][], x: ArrayLike<number>): number[] {
  return A.map((row) => row.reduce((s, a, j) => s + a * x[j], 0));
}

/** Max-abs difference over max(1, max-abs of the reference). */
export function rel(a: ArrayLike<number>, ref: ArrayLike<number>): number {
  let d = 0, m = 0;
  for (let i = 0; i < ref.length; i++) {
    d = Math.max(d, Math.abs(a[i] - ref[i]));
    m = Math.max(m, Math.abs(ref[i]));
  }
  return d / Math.max(m, 1);
}

/** A dense operator that counts its matvecs (`counter.n`). */
export function counting(
  A: number[][],
  counter: { n: number },
): LinearOperator<CpuArray> {
  const n = A.length;
  const Ad = xp.asarray(A);
  return new LinearOperator({
    shape: [n, n],
    dtype: "float64",
    xp,
    matvec: (v: CpuArray) => {
      counter.n++;
      return xp.squeeze(xp.matmul(Ad, xp.expand_dims(v, { axis: -1 })), -1);
    },
  });
}

/** Inverse of a small dense matrix (Gauss–Jordan with partial pivoting), for exact M. */
export function inverse(A: number[][]): number[][] {
  const n = A.length;
  const M = A.map((r, i) => [...r, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    const d = M[c][c];
    for (let j = 0; j < 2 * n; j++) M[c][j] /= d;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r][c];
      for (let j = 0; j < 2 * n; j++) M[r][j] -= f * M[c][j];
    }
  }
  return M.map((r) => r.slice(n));
}

/** Awaits `f` and checks it rejects with `cls` and a message matching `re`. */
export async function rejects(
  f: () => Promise<unknown>,
  cls: typeof TypeError | typeof RangeError,
  re: RegExp,
): Promise<void> {
  try {
    await f();
  } catch (e) {
    if (!(e instanceof cls)) {
      throw new Error(`expected ${cls.name}, got ${(e as Error)?.constructor?.name}: ${e}`);
    }
    if (!re.test((e as Error).message)) {
      throw new Error(`message "${(e as Error).message}" lacks ${re}`);
    }
    return;
  }
  throw new Error("no error");
}

/**
 * Runs `fn` while `cpu.toHost` takes `ms` longer, like a GPU readback: the convergence monitor
 * then measures a latency much larger than an iteration and switches to its pipelined schedule
 * (checks every k iterations, decisions one check late).
 */
export async function withSlowReadback<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  const orig = xp.toHost;
  // deno-lint-ignore no-explicit-any
  (xp as any).toHost = async (a: CpuArray) => {
    const h = orig.call(xp, a);
    await new Promise((r) => setTimeout(r, ms));
    return h;
  };
  try {
    return await fn();
  } finally {
    // deno-lint-ignore no-explicit-any
    (xp as any).toHost = orig;
  }
}

/** Three systems of very different difficulty (`[3, n, n]`, `[3, n]`) as host arrays. */
export function mixedBatch(n: number): { mats: number[][][]; bs: number[][] } {
  const mats = [formulaMatrix(n, 4), formulaMatrix(n, 2), formulaMatrix(n, 0.8)];
  const bd = formulaVector(n);
  return { mats, bs: [bd, bd.map((v) => 2 * v), bd.map((v, i) => v + i / n)] };
}

/**
 * Solves the mixed batch with eager checks and with pipelined ones (slow readback) and checks
 * that iterations, info and x are identical.
 */
export async function checkPipelined(
  // deno-lint-ignore no-explicit-any
  solve: (A: any, b: any, o: Record<string, unknown>) => Promise<any>,
  options: Record<string, unknown>,
): Promise<void> {
  const { mats, bs } = mixedBatch(40);
  const eager = await solve(xp.asarray(mats), xp.asarray(bs), options);
  let progress = 0;
  const piped = await withSlowReadback(
    8,
    () => solve(xp.asarray(mats), xp.asarray(bs), { ...options, onProgress: () => progress++ }),
  );
  if (Array.from(eager.iterations).join() !== Array.from(piped.iterations).join()) {
    throw new Error(`iterations ${eager.iterations} vs pipelined ${piped.iterations}`);
  }
  if (Array.from(eager.info).join() !== Array.from(piped.info).join()) {
    throw new Error(`info ${eager.info} vs pipelined ${piped.info}`);
  }
  const d = rel(await host(piped.x), await host(eager.x));
  if (d !== 0) throw new Error(`pipelined x differs by ${d}`);
  // pipelined: far fewer checks than iterations
  if (!(progress > 0 && progress < 20)) throw new Error(`${progress} pipelined checks`);
}
