/**
 * Test helpers for the LinearOperator family (not exported from `linalg/mod.ts`): a host-side
 * dense reference (batched matmul, transposes, broadcasting arithmetic written in plain JS,
 * independent of any namespace) and a closeness assertion.
 *
 * @module
 */
import type { ArrayNamespace, ArrayObject, Shape } from "../array_api/types.ts";
import { broadcastShapes, fmtShape, shapesEqual, shapeSize } from "../array_api/shapes.ts";
import type { LinearOperator } from "./linear_operator.ts";

/** A dense row-major host array. */
export interface Dense {
  /** Shape. */
  readonly shape: number[];
  /** Row-major values. */
  readonly data: Float64Array;
}

/** A seeded generator of standard normal numbers (mulberry32 + Box–Muller). */
export function normalRng(seed: number): () => number {
  let s = seed >>> 0;
  const uni = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => {
    const u = uni() || 1e-12, v = uni();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

/** A random dense array (standard normal entries). */
export function randDense(shape: number[], rand: () => number): Dense {
  const data = new Float64Array(shapeSize(shape));
  for (let i = 0; i < data.length; i++) data[i] = rand();
  return { shape, data };
}

/** Rounds every entry to float32 (so a float32 array and its reference hold equal values). */
export function roundF32(d: Dense): Dense {
  return { shape: d.shape, data: d.data.map((v) => Math.fround(v)) };
}

/** Maps a flat index of `out` to the flat index of `shape` broadcast to `out`. */
function indexer(shape: readonly number[], out: readonly number[]): (i: number) => number {
  const nd = out.length, off = nd - shape.length;
  const strides = new Array<number>(nd).fill(0);
  let st = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[off + i] = shape[i] === 1 ? 0 : st;
    st *= shape[i];
  }
  return (flat: number) => {
    let r = 0;
    for (let ax = nd - 1; ax >= 0; ax--) {
      const c = flat % out[ax];
      flat = (flat - c) / out[ax];
      r += c * strides[ax];
    }
    return r;
  };
}

/** Elementwise `f(a, b)` with broadcasting. */
export function refBinary(a: Dense, b: Dense, f: (x: number, y: number) => number): Dense {
  const shape = broadcastShapes([a.shape, b.shape]);
  const ia = indexer(a.shape, shape), ib = indexer(b.shape, shape);
  const data = new Float64Array(shapeSize(shape));
  for (let i = 0; i < data.length; i++) data[i] = f(a.data[ia(i)], b.data[ib(i)]);
  return { shape, data };
}

/** `alpha · a`. */
export function refScale(a: Dense, alpha: number): Dense {
  return { shape: a.shape, data: a.data.map((v) => v * alpha) };
}

/** Batched matrix product `(..., M, K) @ (..., K, N)` with batch broadcasting. */
export function refMatmul(a: Dense, b: Dense): Dense {
  const [M, K] = a.shape.slice(-2), [K2, N] = b.shape.slice(-2);
  if (K !== K2) throw new Error(`refMatmul: ${fmtShape(a.shape)} @ ${fmtShape(b.shape)}`);
  const batch = broadcastShapes([a.shape.slice(0, -2), b.shape.slice(0, -2)]);
  const nb = shapeSize(batch);
  const ia = indexer(a.shape.slice(0, -2), batch), ib = indexer(b.shape.slice(0, -2), batch);
  const data = new Float64Array(nb * M * N);
  for (let t = 0; t < nb; t++) {
    const ao = ia(t) * M * K, bo = ib(t) * K * N, oo = t * M * N;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a.data[ao + i * K + k] * b.data[bo + k * N + j];
        data[oo + i * N + j] = s;
      }
    }
  }
  return { shape: [...batch, M, N], data };
}

/** Swaps the last two axes. */
export function refTranspose(a: Dense): Dense {
  const [M, N] = a.shape.slice(-2);
  const nb = shapeSize(a.shape.slice(0, -2));
  const data = new Float64Array(a.data.length);
  for (let t = 0; t < nb; t++) {
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) data[t * M * N + j * M + i] = a.data[t * M * N + i * N + j];
    }
  }
  return { shape: [...a.shape.slice(0, -2), N, M], data };
}

/** Main diagonals `(..., min(M, N))`. */
export function refDiagonal(a: Dense): Dense {
  const [M, N] = a.shape.slice(-2), k = Math.min(M, N);
  const nb = shapeSize(a.shape.slice(0, -2));
  const data = new Float64Array(nb * k);
  for (let t = 0; t < nb; t++) {
    for (let i = 0; i < k; i++) data[t * k + i] = a.data[t * M * N + i * N + i];
  }
  return { shape: [...a.shape.slice(0, -2), k], data };
}

/** `diag(d)` for `d` `(..., n)` → `(..., n, n)`. */
export function refDiagMatrix(d: Dense): Dense {
  const n = d.shape[d.shape.length - 1];
  const nb = shapeSize(d.shape.slice(0, -1));
  const data = new Float64Array(nb * n * n);
  for (let t = 0; t < nb; t++) {
    for (let i = 0; i < n; i++) data[t * n * n + i * n + i] = d.data[t * n + i];
  }
  return { shape: [...d.shape, n], data };
}

/** The `n × n` identity broadcast to `batch`. */
export function refEye(n: number, batch: number[] = []): Dense {
  const ones = { shape: [...batch, n], data: new Float64Array(shapeSize(batch) * n).fill(1) };
  return refDiagMatrix(ones);
}

/** Applies a dense operator: `"vec"` `(..., N)` → `(..., M)`, `"mat"` `(..., N, K)` →
 * `(..., M, K)`; `adjoint` applies the transpose (real data). */
export function refApply(a: Dense, x: Dense, kind: "vec" | "mat", adjoint = false): Dense {
  const op = adjoint ? refTranspose(a) : a;
  if (kind === "mat") return refMatmul(op, x);
  const xc = { shape: [...x.shape, 1], data: x.data };
  const y = refMatmul(op, xc);
  return { shape: y.shape.slice(0, -1), data: y.data };
}

/** Uploads a dense reference as an array of `xp`. */
export function upload<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
  d: Dense,
  dtype: "float32" | "float64",
): A {
  const flat = xp.asarray(dtype === "float32" ? Float32Array.from(d.data) : d.data, { dtype });
  const r = xp.reshape(flat, d.shape);
  return r;
}

/**
 * Asserts that `actual` has the reference's shape, the given dtype (when given) and values
 * within `atol + rtol·max|expected|` (a norm-wise tolerance suited to matrix products).
 */
export async function assertAllClose<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
  actual: A,
  expected: Dense,
  opts: { rtol?: number; atol?: number; dtype?: string; msg?: string } = {},
): Promise<void> {
  const msg = opts.msg ? `${opts.msg}: ` : "";
  if (!shapesEqual(actual.shape, expected.shape)) {
    throw new Error(
      `${msg}shape ${fmtShape(actual.shape)} differs from expected ${fmtShape(expected.shape)}`,
    );
  }
  if (opts.dtype !== undefined && actual.dtype !== opts.dtype) {
    throw new Error(`${msg}dtype ${actual.dtype} differs from expected ${opts.dtype}`);
  }
  const h = await xp.toHost(actual);
  let scale = 0;
  for (const v of expected.data) scale = Math.max(scale, Math.abs(v));
  const tol = (opts.atol ?? 0) + (opts.rtol ?? 1e-12) * Math.max(scale, 1);
  for (let i = 0; i < expected.data.length; i++) {
    const a = h[i], e = expected.data[i];
    if (!(Math.abs(a - e) <= tol)) {
      throw new Error(
        `${msg}entry ${i} of shape ${fmtShape(expected.shape)} is ${a}, expected ${e} ` +
          `(tolerance ${tol})`,
      );
    }
  }
}

/** Shapes helper: `[...batch, ...core]`. */
export function withBatch(batch: Shape, ...core: number[]): number[] {
  return [...batch, ...core];
}

/** Default batch shapes of test vectors: none, `(5,)`, `(3, 1)`, `(0,)`, `(2, 1, 1)`. */
export const X_BATCHES: readonly (readonly number[])[] = [[], [5], [3, 1], [0], [2, 1, 1]];

/**
 * Checks `matvec`, `matmat` (K = 2), and, when `adjoint`, `rmatvec`/`rmatmat`, `.H` and `.T`
 * of `op` against the dense reference `dense` (shape: the operator's full shape, batch dims
 * materialised), for every test batch shape that broadcasts with the operator's, plus the
 * diagonal when `op.diagonal` exists. Returns the number of applications checked.
 */
export async function checkOperator<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
  op: LinearOperator<A>,
  dense: Dense,
  dtype: "float32" | "float64",
  label: string,
  options: { adjoint?: boolean; xBatches?: readonly (readonly number[])[]; seed?: number } = {},
): Promise<number> {
  const adjoint = options.adjoint ?? true;
  const tol = dtype === "float32" ? { rtol: 5e-5 } : { rtol: 1e-12 };
  if (!shapesEqual(op.shape, dense.shape)) {
    throw new Error(
      `${label}: operator shape ${fmtShape(op.shape)} vs reference ${fmtShape(dense.shape)}`,
    );
  }
  const [M, N] = dense.shape.slice(-2);
  const batch = dense.shape.slice(0, -2);
  const rand = normalRng(options.seed ?? 12345);
  let n = 0;
  for (const xb of options.xBatches ?? X_BATCHES) {
    try {
      broadcastShapes([batch, xb]);
    } catch {
      continue;
    }
    const at = `${label}, x batch ${fmtShape(xb)}, ${dtype}`;
    const cases: [string, number[], "vec" | "mat", boolean][] = [
      ["matvec", [...xb, N], "vec", false],
      ["matmat", [...xb, N, 2], "mat", false],
    ];
    if (adjoint) {
      cases.push(["rmatvec", [...xb, M], "vec", true], ["rmatmat", [...xb, M, 2], "mat", true]);
    }
    for (const [kind, shape, k, adj] of cases) {
      const x = dtype === "float32" ? roundF32(randDense(shape, rand)) : randDense(shape, rand);
      const xa = upload(xp, x, dtype);
      const expected = refApply(dense, x, k, adj);
      const y = kind === "matvec"
        ? op.matvec(xa)
        : kind === "matmat"
        ? op.matmat(xa)
        : kind === "rmatvec"
        ? op.rmatvec(xa)
        : op.rmatmat(xa);
      await assertAllClose(xp, y, expected, { ...tol, dtype, msg: `${at}: ${kind}` });
      if (adj) {
        // .H applies the adjoint, .T the transpose (equal for real data)
        const yh = k === "vec" ? op.H.matvec(xa) : op.H.matmat(xa);
        await assertAllClose(xp, yh, expected, { ...tol, dtype, msg: `${at}: H.${kind}` });
        const yt = k === "vec" ? op.T.matvec(xa) : op.T.matmat(xa);
        await assertAllClose(xp, yt, expected, { ...tol, dtype, msg: `${at}: T.${kind}` });
        xp.dispose(yh, yt);
      }
      xp.dispose(xa, y);
      n++;
    }
  }
  if (op.diagonal) {
    const d = op.diagonal();
    await assertAllClose(xp, d, refDiagonal(dense), { ...tol, msg: `${label}: diagonal()` });
    xp.dispose(d);
  }
  return n;
}
