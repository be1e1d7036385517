/**
 * Helpers shared by the CPU backend's tests (not exported from `mod.ts`).
 *
 * @module
 */
import assert from "node:assert/strict";
import type { CpuArray } from "./cpu_array.ts";

/** Nested JS arrays holding the values of `a` (booleans for bool arrays). */
export function nested(a: CpuArray): unknown {
  const vals = Array.from(a.data, (v) => (a.dtype === "bool" ? v !== 0 : v));
  const build = (d: number, off: number): unknown => {
    if (d === a.ndim) return vals[off];
    const stride = a.shape.slice(d + 1).reduce((p, q) => p * q, 1);
    return Array.from({ length: a.shape[d] }, (_, i) => build(d + 1, off + i * stride));
  };
  return build(0, 0);
}

function flatten(v: unknown): number[] {
  if (Array.isArray(v)) return v.flatMap(flatten);
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  return [v as number];
}

/**
 * Asserts that `a` has `shape` (when given) and its values are within `tol` (relative to
 * max(1, |expected|)) of `expected` (nested arrays or a flat list). NaN matches NaN.
 */
export function assertClose(
  a: CpuArray,
  expected: unknown,
  tol = 1e-12,
  shape?: readonly number[],
): void {
  if (shape) assert.deepEqual(a.shape, shape, `shape ${a.shape} != ${shape}`);
  const e = flatten(expected);
  assert.equal(a.size, e.length, `size ${a.size} != ${e.length}`);
  for (let i = 0; i < e.length; i++) {
    const x = a.data[i], y = e[i];
    if (Number.isNaN(y)) {
      assert.ok(Number.isNaN(x), `element ${i}: ${x} is not NaN`);
      continue;
    }
    if (!Number.isFinite(y)) {
      assert.equal(x, y, `element ${i}: ${x} != ${y}`);
      continue;
    }
    const err = Math.abs(x - y) / Math.max(1, Math.abs(y));
    assert.ok(err <= tol, `element ${i}: ${x} != ${y} (rel. error ${err} > ${tol})`);
  }
}

/** A small deterministic PRNG (mulberry32) returning floats in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` uniform values in [lo, hi). */
export function randArray(r: () => number, n: number, lo = -1, hi = 1): number[] {
  return Array.from({ length: n }, () => lo + (hi - lo) * r());
}

/** Dense row-major matrix product of plain arrays (reference). */
export function denseMatmul(a: number[], b: number[], m: number, k: number, n: number): number[] {
  const c = new Array<number>(m * n).fill(0);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += a[i * k + t] * b[t * n + j];
      c[i * n + j] = s;
    }
  }
  return c;
}
