/**
 * Test helpers of sparse/ (not exported): host dense references, random sparse patterns, and
 * a kernel-less view of a namespace that forces the portable product path.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { ArrayNamespace, ArrayObject, Shape } from "../array_api/types.ts";
import { broadcastShapes, shapeSize } from "../array_api/shapes.ts";
import { isArrayObject } from "../array_api/namespace_of.ts";
import { mulberry32 } from "./gallery.ts";

/** A dense row-major host array. */
export interface Dense {
  /** Shape. */
  shape: number[];
  /** Values. */
  data: Float64Array;
}

/** Seeded uniform generator in [0, 1). */
export const rng = mulberry32;

/** Random integer in [0, n). */
export function randInt(rand: () => number, n: number): number {
  return Math.floor(rand() * n);
}

/** Random COO triplets of an M × N matrix (duplicates when `dups`). */
export function randomCoo(
  M: number,
  N: number,
  nnz: number,
  rand: () => number,
  dups = false,
): { row: number[]; col: number[] } {
  const row: number[] = [], col: number[] = [];
  const seen = new Set<number>();
  let guard = 0;
  while (row.length < nnz && guard++ < 100 * nnz + 100) {
    const i = randInt(rand, M), j = randInt(rand, N);
    if (!dups && seen.has(i * N + j)) continue;
    seen.add(i * N + j);
    row.push(i);
    col.push(j);
  }
  return { row, col };
}

/** Dense `[...batch, M, N]` from COO triplets with data `[...batch, nnz]` (duplicates add). */
export function cooDense(
  batch: number[],
  M: number,
  N: number,
  row: ArrayLike<number>,
  col: ArrayLike<number>,
  data: ArrayLike<number>,
): Dense {
  const nb = shapeSize(batch), nnz = row.length;
  const out = new Float64Array(nb * M * N);
  for (let b = 0; b < nb; b++) {
    for (let k = 0; k < nnz; k++) out[b * M * N + row[k] * N + col[k]] += data[b * nnz + k];
  }
  return { shape: [...batch, M, N], data: out };
}

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

/** Batched dense `A @ X` with broadcasting (`X` `[..., N, K]`), or `Aᵀ @ X` with `trans`. */
export function refMatmat(A: Dense, X: Dense, trans = false): Dense {
  const nA = A.shape.length;
  let M = A.shape[nA - 2], N = A.shape[nA - 1];
  if (trans) [M, N] = [N, M];
  const K = X.shape[X.shape.length - 1];
  const bA = A.shape.slice(0, -2), bX = X.shape.slice(0, -2);
  const bR = broadcastShapes([bA, bX]);
  const nb = shapeSize(bR);
  const ia = indexer(bA, bR), ix = indexer(bX, bR);
  const out = new Float64Array(nb * M * K);
  const rows = A.shape[nA - 2], cols = A.shape[nA - 1];
  for (let b = 0; b < nb; b++) {
    const ao = ia(b) * rows * cols, xo = ix(b) * N * K;
    for (let i = 0; i < M; i++) {
      for (let k = 0; k < K; k++) {
        let s = 0;
        for (let j = 0; j < N; j++) {
          const a = trans ? A.data[ao + j * cols + i] : A.data[ao + i * cols + j];
          s += a * X.data[xo + j * K + k];
        }
        out[(b * M + i) * K + k] = s;
      }
    }
  }
  return { shape: [...bR, M, K], data: out };
}

/** Batched dense `A @ x` (`x` `[..., N]`), or `Aᵀ @ x` with `trans`. */
export function refMatvec(A: Dense, x: Dense, trans = false): Dense {
  const X = { shape: [...x.shape, 1], data: x.data };
  const r = refMatmat(A, X, trans);
  return { shape: r.shape.slice(0, -1), data: r.data };
}

/** Random dense values of a shape (uniform in [-1, 1)), rounded to float32 when asked. */
export function randDense(shape: number[], rand: () => number, f32 = false): Dense {
  const data = new Float64Array(shapeSize(shape));
  for (let i = 0; i < data.length; i++) {
    const v = 2 * rand() - 1;
    data[i] = f32 ? Math.fround(v) : v;
  }
  return { shape, data };
}

/** Asserts shape equality and closeness (`|a − b| ≤ tol·(1 + |b|)`). */
export function assertClose(
  actual: { shape: Shape; data: ArrayLike<number> },
  expected: Dense,
  tol: number,
  msg = "",
): void {
  assert.deepEqual([...actual.shape], expected.shape, `${msg} shape`);
  assert.equal(actual.data.length, expected.data.length, `${msg} size`);
  for (let i = 0; i < expected.data.length; i++) {
    const a = actual.data[i], e = expected.data[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (!(Math.abs(a - e) <= tol * (1 + Math.abs(e)))) {
      assert.fail(`${msg} entry ${i}: got ${a}, expected ${e} (tol ${tol})`);
    }
  }
}

/** Reads an array to the host as `{ shape, data }`. */
export async function host<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
  x: A,
): Promise<Dense> {
  return { shape: [...x.shape], data: Float64Array.from(await xp.toHost(x)) };
}

/**
 * A view of `xp` without the optional kernel hooks (`csrMatvec`, `csrMatmat`), whose arrays
 * are wrappers reporting the view as their namespace: everything sparse then goes through
 * the portable path built from standard functions.
 */
export function withoutKernels<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
): ArrayNamespace<ArrayObject> {
  const wrapped = new WeakMap<object, ArrayObject>();
  const inner = new WeakMap<object, A>();
  const wrap = (v: unknown): unknown => {
    if (isArrayObject(v)) {
      let w = wrapped.get(v);
      if (!w) {
        const a = v as A;
        w = {
          get shape() {
            return a.shape;
          },
          get dtype() {
            return a.dtype;
          },
          get device() {
            return a.device;
          },
          get ndim() {
            return a.ndim;
          },
          get size() {
            return a.size;
          },
          __array_namespace__: () => ns,
        };
        wrapped.set(v, w);
        inner.set(w, a);
      }
      return w;
    }
    if (Array.isArray(v)) return v.map(wrap);
    if (v && typeof v === "object" && !ArrayBuffer.isView(v) && !(v instanceof Promise)) {
      const proto = Object.getPrototypeOf(v);
      if (proto === Object.prototype || proto === null) {
        const o: Record<string, unknown> = {};
        for (const [k, val] of Object.entries(v)) o[k] = wrap(val);
        return o;
      }
    }
    return v;
  };
  const unwrap = (v: unknown): unknown => {
    if (v && typeof v === "object" && inner.has(v)) return inner.get(v);
    if (Array.isArray(v)) return v.map(unwrap);
    if (v && typeof v === "object" && !ArrayBuffer.isView(v)) {
      const proto = Object.getPrototypeOf(v);
      if (proto === Object.prototype) {
        const o: Record<string, unknown> = {};
        for (const [k, val] of Object.entries(v)) o[k] = unwrap(val);
        return o;
      }
    }
    return v;
  };
  const ns: ArrayNamespace<ArrayObject> = new Proxy(xp as ArrayNamespace<ArrayObject>, {
    get(target, prop) {
      if (prop === "csrMatvec" || prop === "csrMatmat" || prop === "fuse") return undefined;
      if (prop === "name") return `${target.name} (no kernels)`;
      // deno-lint-ignore no-explicit-any
      const v = (target as any)[prop];
      if (prop === "linalg") {
        return new Proxy(v, {
          get(t, p) {
            const f = t[p];
            return typeof f === "function"
              ? (...args: unknown[]) => wrap(f.apply(t, args.map(unwrap)))
              : f;
          },
        });
      }
      if (typeof v !== "function") return v;
      if (prop === "toHost") return (x: unknown) => target.toHost(unwrap(x) as A);
      return (...args: unknown[]) => wrap(v.apply(target, args.map(unwrap)));
    },
  });
  return ns;
}
