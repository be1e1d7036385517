/**
 * Helpers shared by the WebGPU tests: one namespace per test file (or a skip reason when
 * there is no adapter), a seeded RNG, and float32 comparisons against host references.
 *
 * @module
 */
import assert from "node:assert/strict";
import { webgpu, type WebGpuNamespace } from "./webgpu.ts";
import type { WebGpuArray } from "./webgpu_array.ts";

/** The namespace, or null with the reason printed. */
export async function openOrSkip(file: string): Promise<WebGpuNamespace | null> {
  try {
    return await webgpu();
  } catch (e) {
    console.warn(`${file}: skipped, no WebGPU: ${(e as Error).message}`);
    Deno.test({ name: `${file} (no WebGPU adapter)`, ignore: true, fn: () => {} });
    return null;
  }
}

/** Seeded uniform RNG on [lo, hi). */
export function rng(seed: number): (lo?: number, hi?: number) => number {
  let s = seed >>> 0;
  return (lo = -1, hi = 1) => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return lo + (hi - lo) * u;
  };
}

/** `n` float32-representable random values. */
export function randn(
  r: (lo?: number, hi?: number) => number,
  n: number,
  lo = -1,
  hi = 1,
): number[] {
  return Array.from({ length: n }, () => Math.fround(r(lo, hi)));
}

/** Asserts elementwise closeness (NaN matches NaN, infinities must be equal). */
export function assertClose(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  what: string,
  rtol = 1e-5,
  atol = 1e-6,
): void {
  assert.equal(got.length, want.length, `${what}: length ${got.length} vs ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i], w = want[i];
    if (Number.isNaN(w)) {
      assert.ok(Number.isNaN(g), `${what}[${i}]: got ${g}, want NaN`);
    } else if (!Number.isFinite(w)) {
      assert.equal(g, w, `${what}[${i}]: got ${g}, want ${w}`);
    } else {
      assert.ok(
        Math.abs(g - w) <= atol + rtol * Math.abs(w),
        `${what}[${i}]: got ${g}, want ${w} (rtol ${rtol}, atol ${atol})`,
      );
    }
  }
}

/** Host values of an array as plain numbers. */
export async function host(xp: WebGpuNamespace, a: WebGpuArray): Promise<number[]> {
  return Array.from(await xp.toHost(a), Number);
}

/** Row-major strides. */
export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let k = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = k;
    k *= shape[i];
  }
  return s;
}

/** Evaluates `f` over every index of `shape` (row-major), returning the values. */
export function tabulate(shape: readonly number[], f: (idx: number[]) => number): number[] {
  const n = shape.reduce((p, d) => p * d, 1);
  const out: number[] = [];
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    out.push(f(idx));
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** Reads element `idx` of a row-major host array of `shape`, broadcasting from the right. */
export function at(
  data: readonly number[],
  shape: readonly number[],
  idx: readonly number[],
): number {
  const off = idx.length - shape.length;
  let k = 0, s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    const i = shape[d] === 1 ? 0 : idx[off + d];
    k += i * s;
    s *= shape[d];
  }
  return data[k];
}

/** Asserts that `fn` throws `kind` whose message contains every string of `parts`. */
export function assertThrowsKind(
  fn: () => unknown,
  kind: ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor,
  parts: string[] = [],
): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(
      e instanceof kind,
      `expected ${kind.name}, got ${(e as Error)?.constructor?.name}: ${e}`,
    );
    for (const p of parts) {
      assert.ok(
        (e as Error).message.includes(p),
        `message ${JSON.stringify((e as Error).message)} lacks ${p}`,
      );
    }
    return true;
  });
}
