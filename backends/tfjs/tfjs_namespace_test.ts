/**
 * Tests of the tfjs namespace (tfjs CPU backend): parity with the CPU backend on random
 * inputs, CSR products against dense references, fused programs against the portable
 * evaluation, leak checks (`tf.memory().numTensors`), the float64 refusal, interop ownership,
 * and error paths. The cross-backend conformance suite runs in tests/conformance_tfjs_test.ts.
 */
import * as tf from "npm:@tensorflow/tfjs@4.22.0";
import assert from "node:assert/strict";
import { cpu } from "../cpu/mod.ts";
import { defineFused, evaluateFused, runFused } from "../../array_api/fuse.ts";
import type { ArrayNamespace, ArrayObject, CsrData } from "../../array_api/types.ts";
import { fromTfjs, type TfjsArray, tfjsNamespace, toTfjs } from "./mod.ts";

await tf.setBackend("cpu");
const xp = tfjsNamespace(tf);
type T = TfjsArray<tf.Tensor>;

/** Deterministic uniform numbers in [lo, hi), rounded to float32. */
function rand(n: number, seed: number, lo = -1, hi = 1): number[] {
  let s = (seed * 2654435761) >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.fround(lo + (hi - lo) * (s / 2 ** 32));
  });
}

/** `xp.asarray(values)` reshaped to `shape` (the flat intermediate is disposed). */
function arr(values: number[], shape: number[]): T {
  const flat = xp.asarray(values);
  const r = xp.reshape(flat, shape);
  xp.dispose(flat);
  return r;
}

function size(shape: readonly number[]): number {
  return shape.reduce((p, q) => p * q, 1);
}

/** The same float32-rounded data on both namespaces (float32 here, float64 on the CPU). */
function pair(shape: number[], seed: number, lo = -1, hi = 1): [T, ArrayObject, number[]] {
  const v = rand(size(shape), seed, lo, hi);
  const t = arr(v, shape);
  const c = cpu.reshape(cpu.asarray(new Float64Array(v)), shape);
  return [t, c, v];
}

function assertClose(
  what: string,
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  rtol = 2e-6,
  atol = 2e-6,
): void {
  assert.equal(got.length, want.length, `${what}: length ${got.length} vs ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i], w = want[i];
    if (Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w))) continue;
    assert.ok(
      Math.abs(g - w) <= atol + rtol * Math.abs(w),
      `${what}: element ${i} is ${g}, expected ${w}`,
    );
  }
}

/** Runs `f` and checks that the number of live tfjs tensors is unchanged afterwards. */
async function noLeak(what: string, f: () => Promise<void> | void): Promise<void> {
  const before = tf.memory().numTensors;
  await f();
  const after = tf.memory().numTensors;
  assert.equal(after, before, `${what}: ${after - before} tensor(s) leaked`);
}

// ------------------------------------------------------------------ parity with the CPU backend

type AnyNs = ArrayNamespace<ArrayObject>;
const CPU = cpu as unknown as AnyNs;
const XP = xp as unknown as AnyNs;

/** Unary/binary/reduction functions compared on random inputs (shapes exercise broadcasting). */
const PARITY: [string, number[][], (ns: AnyNs, ...a: ArrayObject[]) => ArrayObject, number?][] = [
  ["add", [[3, 4], [4]], (ns, a, b) => ns.add(a, b)],
  ["subtract", [[2, 1, 4], [3, 1]], (ns, a, b) => ns.subtract(a, b)],
  ["multiply", [[5], [3, 1]], (ns, a, b) => ns.multiply(a, b)],
  ["divide", [[3, 4], [3, 4]], (ns, a, b) => ns.divide(a, ns.add(ns.abs(b), 0.5))],
  ["maximum", [[3, 4], [4]], (ns, a, b) => ns.maximum(a, b)],
  ["minimum", [[3, 4], [3, 1]], (ns, a, b) => ns.minimum(a, b)],
  ["hypot", [[6], [6]], (ns, a, b) => ns.hypot(a, b)],
  ["pow", [[6], [6]], (ns, a, b) => ns.pow(ns.abs(a), b)],
  ["exp", [[7]], (ns, a) => ns.exp(a)],
  ["log", [[7]], (ns, a) => ns.log(ns.abs(a))],
  ["sqrt", [[7]], (ns, a) => ns.sqrt(ns.abs(a))],
  ["square", [[7]], (ns, a) => ns.square(a)],
  ["sign", [[7]], (ns, a) => ns.sign(a)],
  ["floor", [[7]], (ns, a) => ns.floor(ns.multiply(a, 10))],
  ["clip", [[9]], (ns, a) => ns.clip(a, { min: -0.5, max: 0.25 })],
  ["where", [[3, 4], [4]], (ns, a, b) => ns.where(ns.less(a, b), a, b)],
  ["sum axis 1", [[3, 5, 2]], (ns, a) => ns.sum(a, { axis: 1 })],
  ["sum all", [[3, 5, 2]], (ns, a) => ns.sum(a)],
  ["prod", [[4, 3]], (ns, a) => ns.prod(a, { axis: -1, keepdims: true })],
  ["mean", [[4, 3]], (ns, a) => ns.mean(a, { axis: [0, 1] })],
  ["max", [[4, 3]], (ns, a) => ns.max(a, { axis: 0 })],
  ["min", [[4, 3]], (ns, a) => ns.min(a)],
  ["argmax", [[4, 5]], (ns, a) => ns.argmax(a, { axis: 1 })],
  ["argmin", [[4, 5]], (ns, a) => ns.argmin(a)],
  ["cumulative_sum", [[3, 4]], (ns, a) => ns.cumulative_sum(a, { axis: 1, include_initial: true })],
  ["matmul", [[2, 3, 4], [4, 5]], (ns, a, b) => ns.matmul(a, b)],
  ["matmul batched", [[2, 1, 3, 4], [5, 4, 2]], (ns, a, b) => ns.matmul(a, b)],
  ["matmul vec", [[6], [3, 6, 2]], (ns, a, b) => ns.matmul(a, b)],
  ["vecdot", [[3, 4], [4]], (ns, a, b) => ns.vecdot(a, b)],
  ["matrix_transpose", [[2, 3, 4]], (ns, a) => ns.matrix_transpose(a)],
  ["permute_dims", [[2, 3, 4]], (ns, a) => ns.permute_dims(a, [2, 0, 1])],
  ["moveaxis", [[2, 3, 4]], (ns, a) => ns.moveaxis(a, 0, -1)],
  ["flip", [[2, 3, 4]], (ns, a) => ns.flip(a, { axis: [0, 2] })],
  ["tile", [[2, 3]], (ns, a) => ns.tile(a, [2, 1, 2])],
  ["concat", [[2, 3], [1, 3]], (ns, a, b) => ns.concat([a, b])],
  ["stack", [[2, 3], [2, 3]], (ns, a, b) => ns.stack([a, b], { axis: 1 })],
  ["broadcast_to", [[3, 1]], (ns, a) => ns.broadcast_to(a, [2, 3, 4])],
  ["diagonal", [[2, 4, 3]], (ns, a) => ns.linalg.diagonal(a, { offset: -1 })],
  ["vector_norm", [[4, 5]], (ns, a) => ns.linalg.vector_norm(a, { axis: 1 })],
  ["vector_norm ord 3", [[4, 5]], (ns, a) => ns.linalg.vector_norm(a, { ord: 3 })],
  ["matrix_norm fro", [[3, 4, 5]], (ns, a) => ns.linalg.matrix_norm(a)],
  ["matrix_norm 1", [[3, 4, 5]], (ns, a) => ns.linalg.matrix_norm(a, { ord: 1 })],
  ["matrix_norm inf", [[3, 4, 5]], (ns, a) => ns.linalg.matrix_norm(a, { ord: Infinity })],
  ["matrix_norm 2", [[2, 4, 3]], (ns, a) => ns.linalg.matrix_norm(a, { ord: 2 })],
  ["matrix_norm nuc", [[2, 3, 4]], (ns, a) => ns.linalg.matrix_norm(a, { ord: "nuc" })],
  [
    "solve",
    [[3, 4, 4], [3, 4]],
    (ns, a, b) => ns.linalg.solve(ns.add(a, ns.multiply(ns.eye(4), 4)), b),
    1e-5,
  ],
  ["inv", [[2, 3, 3]], (ns, a) => ns.linalg.inv(ns.add(a, ns.multiply(ns.eye(3), 3))), 1e-5],
  ["det", [[4, 3, 3]], (ns, a) => ns.linalg.det(a), 1e-5],
  ["svdvals", [[2, 5, 3]], (ns, a) => ns.linalg.svdvals(a), 1e-5],
  ["eigvalsh", [[2, 4, 4]], (ns, a) => ns.linalg.eigvalsh(a), 1e-5],
];

for (const [name, shapes, f, tol] of PARITY) {
  Deno.test(`tfjs vs cpu: ${name} on random inputs`, async () => {
    const ins = shapes.map((s, i) => pair(s, 17 * i + name.length));
    const got = f(XP, ...ins.map((p) => p[0]));
    const want = f(CPU, ...ins.map((p) => p[1]));
    assert.deepEqual(got.shape, want.shape, `${name}: shape`);
    const wantDType = want.dtype === "float64" ? "float32" : want.dtype;
    assert.equal(got.dtype, wantDType, `${name}: dtype`);
    assertClose(name, await xp.toHost(got as T), await cpu.toHost(want as never), tol, tol);
    xp.dispose(got as T, ...ins.map((p) => p[0]));
  });
}

Deno.test("tfjs vs cpu: qr, eigh, svd, cholesky, lstsq reconstruct their input", async () => {
  await noLeak("factorizations", async () => {
    const made: T[] = [];
    const k = (a: T): T => (made.push(a), a);
    const [a] = pair([2, 5, 3], 3);
    k(a);
    const { Q, R } = xp.linalg.qr(a);
    const qr = k(xp.matmul(k(Q), k(R)));
    assertClose("Q·R", await xp.toHost(qr), await xp.toHost(a), 1e-5, 1e-5);
    const { U, S, Vh } = xp.linalg.svd(a);
    const usv = k(xp.matmul(k(xp.multiply(k(U), k(xp.expand_dims(k(S), { axis: -2 })))), k(Vh)));
    assertClose("U·S·Vh", await xp.toHost(usv), await xp.toHost(a), 1e-5, 1e-5);
    const ata = k(xp.matmul(k(xp.matrix_transpose(a)), a));
    const spd = k(xp.add(ata, k(xp.eye(3))));
    const L = k(xp.linalg.cholesky(spd));
    const llt = k(xp.matmul(L, k(xp.matrix_transpose(L))));
    assertClose("L·Lᵀ", await xp.toHost(llt), await xp.toHost(spd), 1e-5, 1e-5);
    const { eigenvalues: w, eigenvectors: V } = xp.linalg.eigh(spd);
    const av = k(xp.matmul(spd, k(V)));
    const vw = k(xp.multiply(V, k(xp.expand_dims(k(w), { axis: -2 }))));
    assertClose("A·V = V·diag(w)", await xp.toHost(av), await xp.toHost(vw), 1e-5, 1e-5);
    const [b] = pair([2, 5], 4);
    k(b);
    const ls = xp.linalg.lstsq(a, b);
    assert.deepEqual(ls.solution.shape, [2, 3]);
    assert.deepEqual(Array.from(await xp.toHost(ls.rank)), [3, 3]);
    assert.equal(ls.rank.dtype, "int32");
    xp.dispose(...made, ls.solution, ls.residuals, ls.rank, ls.singular_values);
  });
});

// ------------------------------------------------------------------ float64 refusal

Deno.test("float64 is refused with a TypeError pointing to the CPU backend", () => {
  const info = xp.__array_namespace_info__();
  assert.equal(info.capabilities().float64, false);
  assert.deepEqual(Object.keys(info.dtypes()).sort(), ["bool", "float32", "int32"]);
  assert.equal(info.default_dtypes()["real floating"], "float32");
  const cpuHint = /float64.*CPU backend/;
  assert.throws(
    () => xp.zeros([2], { dtype: "float64" }),
    (e) => e instanceof TypeError && cpuHint.test(e.message),
  );
  assert.throws(
    () => xp.asarray(new Float64Array([0.1])),
    (e) => e instanceof TypeError && cpuHint.test(e.message) && /Float64Array/.test(e.message),
  );
  assert.throws(() => xp.asarray([1], { dtype: "float64" }), TypeError);
  assert.throws(() => xp.linspace(0, 1, 3, { dtype: "float64" }), TypeError);
  assert.throws(
    () => xp.finfo("float64"),
    (e) => e instanceof TypeError && cpuHint.test(e.message),
  );
  assert.throws(() => xp.result_type("float32", "float64"), TypeError);
  const x = xp.ones([2]);
  assert.throws(
    () => xp.astype(x, "float64"),
    (e) => e instanceof TypeError && cpuHint.test(e.message),
  );
  assert.throws(() => xp.sum(x, { dtype: "float64" }), TypeError);
  const twice = defineFused("twice", { x: "float" }, (v) => ({ y: v.x.mul(2) }));
  assert.throws(() => xp.fuse(twice.program, [x], { dtype: "float64" }), TypeError);
  xp.dispose(x);
});

Deno.test("Float64Array with an explicit float32 dtype converts (rounding to float32)", async () => {
  const x = xp.asarray(new Float64Array([0.1, 1e40, -2]), { dtype: "float32" });
  assert.equal(x.dtype, "float32");
  assert.deepEqual(Array.from(await xp.toHost(x)), [Math.fround(0.1), Infinity, -2]);
  const i = xp.asarray(new Float64Array([1.9, -1.9]), { dtype: "int32" });
  assert.deepEqual(Array.from(await xp.toHost(i)), [1, -1]);
  xp.dispose(x, i);
});

// ------------------------------------------------------------------ leaks

Deno.test("no leaks: a long sequence of namespace functions", async () => {
  await noLeak("sequence", async () => {
    const made: T[] = [];
    const k = <A extends T>(a: A): A => {
      made.push(a);
      return a;
    };
    const x = k(xp.reshape(k(xp.arange(0, 24, 1, { dtype: "float32" })), [2, 3, 4]));
    const y = k(xp.linspace(-1, 1, 4));
    const z = k(xp.hypot(k(xp.maximum(x, y)), k(xp.sign(k(xp.subtract(y, 0.5))))));
    k(xp.where(k(xp.isfinite(z)), z, 0));
    k(xp.sum(z, { axis: [0, 2], keepdims: true }));
    k(xp.argmax(z, { axis: 1 }));
    k(xp.max(z));
    k(xp.all(k(xp.greater(z, -1))));
    k(xp.cumulative_sum(x, { axis: 1, include_initial: true }));
    k(xp.matmul(x, k(xp.matrix_transpose(x))));
    k(xp.vecdot(x, y));
    k(xp.linalg.vector_norm(x, { axis: -1 }));
    k(xp.linalg.matrix_norm(x, { ord: 1 }));
    k(xp.linalg.diagonal(x));
    k(xp.take(x, k(xp.asarray([-1, 0], { dtype: "int32" })), { axis: 2 }));
    k(xp.concat([x, x], { axis: null }));
    k(xp.stack([y, y]));
    k(xp.clip(x, { min: y, max: 10 }));
    k(xp.astype(x, "int32"));
    const [p, q] = xp.broadcast_arrays(x, y);
    k(p);
    k(q);
    await xp.toHost(z);
    xp.dispose(...made);
  });
});

Deno.test("no leaks: failing calls release their intermediates", async () => {
  const x = xp.asarray([1, 2, 3]);
  await noLeak("errors", () => {
    // tfjs's gather throws on an out-of-range index (CPU backend) inside our tidy
    const bad = xp.asarray([7], { dtype: "int32" });
    assert.throws(() => xp.take(x, bad), RangeError);
    const z = xp.zeros([2, 2]);
    assert.throws(() => xp.linalg.inv(z), RangeError);
    xp.dispose(bad, z);
  });
  xp.dispose(x);
});

Deno.test("no leaks: fused programs, with and without donation", async () => {
  const upd = defineFused(
    "test.update",
    { x: "float", p: "float", alpha: "float", active: "bool" },
    (v, f) => {
      const x = f.where(v.active, v.x.add(v.alpha.mul(v.p)), v.x);
      return { x, nrm: f.sum(x.mul(x)), same: v.p };
    },
  );
  await noLeak("fuse", async () => {
    let x = xp.zeros([3, 5]);
    const p = xp.ones([3, 5]);
    const alpha = xp.asarray([[1], [2], [3]]);
    const active = xp.asarray([[true], [false], [true]]);
    for (let it = 0; it < 5; it++) {
      const r = runFused(xp, upd, { x, p, alpha, active }, { out: { x } });
      assert.ok(x.isDisposed, "the donated array is released");
      x = r.x;
      assert.notEqual(r.same.tensor, p.tensor, "an output never aliases an input");
      xp.dispose(r.nrm, r.same);
    }
    assert.deepEqual(Array.from(await xp.toHost(x)).slice(0, 5), [5, 5, 5, 5, 5]);
    xp.dispose(x, p, alpha, active);
  });
});

Deno.test("fuse matches the portable evaluation on broadcast inputs and uniforms", async () => {
  const prog = defineFused(
    "test.mixed",
    { x: "float", y: "float", k: "int", m: "bool" },
    (v, f) => ({
      a: v.x.hypot(v.y).add(v.x.max(v.y)).sub(v.x.min(1)),
      b: f.where(v.m.and(v.x.gt(0)), v.x.div(v.y), v.y.abs().sqrt()),
      c: v.k.mul(3).max(v.x.toInt()),
      d: v.x.sign().add(v.k.toFloat()),
      e: v.x.isfinite().or(v.m).not(),
      s: f.sum(v.x.mul(v.y).add(v.k.toFloat())),
    }),
  );
  await noLeak("fuse vs evaluateFused", async () => {
    const x = xp.asarray([[1.5, -2, NaN, 4], [0, 3, -0.5, Infinity]]);
    const y = xp.asarray([2, -1, 0.5, NaN]);
    const k = xp.asarray([[2], [-3]], { dtype: "int32" });
    const m = xp.asarray([true, false, true, true]);
    const got = runFused(xp, prog, { x, y, k, m });
    const ref = evaluateFused(xp, prog.program, [x, y, k, m], { dtype: "float32" });
    for (const name of Object.keys(ref)) {
      assert.equal(got[name as keyof typeof got].dtype, ref[name].dtype, name);
      assert.deepEqual(got[name as keyof typeof got].shape, ref[name].shape, name);
      assertClose(name, await xp.toHost(got[name as keyof typeof got]), await xp.toHost(ref[name]));
    }
    const u = runFused(xp, prog, { x, y: 2, k: 1, m });
    assert.deepEqual(u.a.shape, [2, 4]);
    xp.dispose(x, y, k, m, ...Object.values(got), ...Object.values(ref), ...Object.values(u));
  });
});

// ------------------------------------------------------------------ CSR products

/** A random CSR pattern: M×N, ~density, sorted columns, some empty rows. */
function randomPattern(M: number, N: number, seed: number, density = 0.3) {
  const r = rand(M * N, seed, 0, 1);
  const indptr = [0], indices: number[] = [];
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) if (r[i * N + j] < density && i % 4 !== 3) indices.push(j);
    indptr.push(indices.length);
  }
  return { indptr, indices };
}

/** Dense (M×N) matrix of one CSR block. */
function dense(
  indptr: number[],
  indices: number[],
  data: number[],
  M: number,
  N: number,
  row0 = 0,
  off = 0,
) {
  const d = new Array<number>(M * N).fill(0);
  for (let i = 0; i < M; i++) {
    for (let k = indptr[row0 + i]; k < indptr[row0 + i + 1]; k++) {
      d[i * N + indices[k]] += data[k - off];
    }
  }
  return d;
}

/** Host (M×N)·(N×K) product. */
function hmm(a: number[], b: number[], M: number, N: number, K: number): number[] {
  const out = new Array<number>(M * K).fill(0);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < K; j++) {
      let s = 0;
      for (let p = 0; p < N; p++) s += a[i * N + p] * b[p * K + j];
      out[i * K + j] = s;
    }
  }
  return out;
}

function shared(M: number, N: number, batch: number[], seed: number) {
  const { indptr, indices } = randomPattern(M, N, seed);
  const nnz = indices.length;
  const data = rand(size(batch) * nnz, seed + 1);
  const a: CsrData<T> = {
    shape: [...batch, M, N],
    layout: "shared",
    nnz,
    indptr: xp.asarray(indptr, { dtype: "int32" }),
    indices: xp.asarray(indices, { dtype: "int32" }),
    data: arr(data, [...batch, nnz]),
  };
  const mats = Array.from(
    { length: size(batch) },
    (_, b) => dense(indptr, indices, data.slice(b * nnz, (b + 1) * nnz), M, N),
  );
  return { a, mats };
}

function stacked(B: number, M: number, N: number, seed: number) {
  const indptr = [0], indices: number[] = [];
  const mats: number[][] = [];
  const data: number[] = [];
  for (let b = 0; b < B; b++) {
    const p = randomPattern(M, N, seed + 7 * b, 0.2 + 0.2 * b);
    const vals = rand(p.indices.length, seed + 13 * b);
    for (let i = 0; i < M; i++) indptr.push(indices.length + p.indptr[i + 1]);
    indices.push(...p.indices);
    data.push(...vals);
    mats.push(dense(p.indptr, p.indices, vals, M, N));
  }
  const a: CsrData<T> = {
    shape: [B, M, N],
    layout: "stacked",
    nnz: indices.length,
    indptr: xp.asarray(indptr, { dtype: "int32" }),
    indices: xp.asarray(indices, { dtype: "int32" }),
    data: xp.asarray(data),
  };
  return { a, mats };
}

function disposeCsr(a: CsrData<T>): void {
  xp.dispose(a.indptr, a.indices, a.data);
}

Deno.test("csrMatvec/csrMatmat match dense products: both layouts, both batch cases", async () => {
  await noLeak("csr", async () => {
    const M = 7, N = 5, B = 3, K = 2;
    const cases = [
      { label: "shared, unbatched A", ...shared(M, N, [], 1), batch: [] as number[] },
      { label: "shared, batched A", ...shared(M, N, [B], 2), batch: [B] },
      { label: "stacked", ...stacked(B, M, N, 3), batch: [B] },
    ];
    for (const { label, a, mats, batch } of cases) {
      for (const xBatch of [[], [B]]) {
        const nb = Math.max(size(batch), size(xBatch));
        const outBatch = batch.length ? batch : xBatch;
        const xv = rand(size(xBatch) * N * K, 9);
        const X = arr(xv, [...xBatch, N, K]);
        const xvec = rand(size(xBatch) * N, 10);
        const x = arr(xvec, [...xBatch, N]);
        const y = xp.csrMatvec(a, x);
        const Y = xp.csrMatmat(a, X);
        assert.deepEqual(y.shape, [...outBatch, M], `${label} matvec shape`);
        assert.deepEqual(Y.shape, [...outBatch, M, K], `${label} matmat shape`);
        const wy: number[] = [], wY: number[] = [];
        for (let b = 0; b < nb; b++) {
          const A = mats[mats.length === 1 ? 0 : b];
          const xb = xBatch.length ? xvec.slice(b * N, (b + 1) * N) : xvec;
          const Xb = xBatch.length ? xv.slice(b * N * K, (b + 1) * N * K) : xv;
          wy.push(...hmm(A, xb, M, N, 1));
          wY.push(...hmm(A, Xb, M, N, K));
        }
        const lbl = `${label}, x batch ${JSON.stringify(xBatch)}`;
        assertClose(`${lbl} matvec`, await xp.toHost(y), wy, 1e-6, 1e-6);
        assertClose(`${lbl} matmat`, await xp.toHost(Y), wY, 1e-6, 1e-6);
        // donated out is released
        const out = xp.zeros(y.shape);
        const y2 = xp.csrMatvec(a, x, out);
        assert.ok(out.isDisposed);
        assertClose(`${lbl} matvec with out`, await xp.toHost(y2), wy, 1e-6, 1e-6);
        xp.dispose(X, x, y, Y, y2);
      }
      disposeCsr(a);
    }
  });
});

Deno.test("csr: index tables are cached per indptr and released with it", () => {
  const before = tf.memory().numTensors;
  const { a } = shared(9, 6, [], 5);
  const x = xp.ones([6]);
  const made = tf.memory().numTensors - before; // indptr, indices, data, x
  const y1 = xp.csrMatvec(a, x);
  const cached = tf.memory().numTensors - before - made - 1;
  assert.ok(cached >= 1 && cached <= 9, `${cached} cached tensors (one per bucket + perm)`);
  const y2 = xp.csrMatvec(a, x);
  const xc = xp.expand_dims(x, { axis: -1 });
  const Y = xp.csrMatmat(a, xc);
  assert.equal(tf.memory().numTensors - before, made + cached + 4, "the cache is reused");
  xp.dispose(y1, y2, Y, x, xc);
  disposeCsr(a);
  assert.equal(tf.memory().numTensors, before, "disposing indptr releases the cache");
});

Deno.test("csr: skewed row lengths (geometric buckets) and padding are exact", async () => {
  await noLeak("skewed", async () => {
    // row i has i % 12 entries (12 distinct lengths > 8 → geometric buckets), plus a dense row
    const M = 40, N = 30;
    const indptr = [0], indices: number[] = [];
    for (let i = 0; i < M; i++) {
      const len = i === 17 ? N : i % 12;
      for (let t = 0; t < len; t++) indices.push((i * 7 + t * 3) % N);
      indices.splice(indptr[i], len, ...indices.slice(indptr[i]).sort((p, q) => p - q));
      indptr.push(indices.length);
    }
    const nnz = indices.length;
    const data = rand(nnz, 21);
    const a: CsrData<T> = {
      shape: [M, N],
      layout: "shared",
      nnz,
      indptr: xp.asarray(indptr, { dtype: "int32" }),
      indices: xp.asarray(indices, { dtype: "int32" }),
      data: xp.asarray(data),
    };
    const xv = rand(N * 3, 22);
    const X = arr(xv, [N, 3]);
    const Y = xp.csrMatmat(a, X);
    const want = hmm(dense(indptr, indices, data, M, N), xv, M, N, 3);
    assertClose("skewed matmat", await xp.toHost(Y), want, 1e-6, 1e-6);
    xp.dispose(X, Y);
    disposeCsr(a);
  });
});

Deno.test("csr: int32 data, empty matrices, and the CPU backend's kernel agree", async () => {
  await noLeak("csr edge cases", async () => {
    const a: CsrData<T> = {
      shape: [3, 3],
      layout: "shared",
      nnz: 3,
      indptr: xp.asarray([0, 2, 2, 3], { dtype: "int32" }),
      indices: xp.asarray([0, 2, 1], { dtype: "int32" }),
      data: xp.asarray([2, -1, 5], { dtype: "int32" }),
    };
    const x = xp.asarray([1, 2, 3], { dtype: "int32" });
    const y = xp.csrMatvec(a, x);
    assert.equal(y.dtype, "int32");
    assert.deepEqual(Array.from(await xp.toHost(y)), [-1, 0, 10]);
    const e: CsrData<T> = {
      shape: [2, 3],
      layout: "shared",
      nnz: 0,
      indptr: xp.asarray([0, 0, 0], { dtype: "int32" }),
      indices: xp.zeros([0], { dtype: "int32" }),
      data: xp.zeros([0]),
    };
    const ones = xp.ones([4, 3, 2]);
    const z = xp.csrMatmat(e, ones);
    assert.deepEqual(z.shape, [4, 2, 2]);
    assert.deepEqual(Array.from(await xp.toHost(z)), new Array(16).fill(0));
    if (cpu.csrMatvec) {
      const ca = {
        shape: [3, 3],
        layout: "shared" as const,
        nnz: 3,
        indptr: cpu.asarray([0, 2, 2, 3], { dtype: "int32" }),
        indices: cpu.asarray([0, 2, 1], { dtype: "int32" }),
        data: cpu.asarray([2, -1, 5]),
      };
      const cy = cpu.csrMatvec(ca, cpu.asarray([1, 2, 3]));
      assert.deepEqual(Array.from(await cpu.toHost(cy)), [-1, 0, 10]);
    }
    xp.dispose(x, y, z, ones, ...[a, e].flatMap((m) => [m.indptr, m.indices, m.data]));
  });
});

Deno.test("csr: invalid patterns and shapes are RangeErrors naming the problem", () => {
  const x = xp.ones([3]);
  const mk = (indptr: number[], indices: number[], N = 3): CsrData<T> => ({
    shape: [indptr.length - 1, N],
    layout: "shared",
    nnz: indices.length,
    indptr: xp.asarray(indptr, { dtype: "int32" }),
    indices: xp.asarray(indices, { dtype: "int32" }),
    data: xp.ones([indices.length]),
  });
  const dec = mk([0, 2, 1, 3], [0, 1, 2]);
  assert.throws(() => xp.csrMatvec(dec, x), /indptr decreases at row 1/);
  const oob = mk([0, 1, 2], [0, 3]);
  assert.throws(
    () => xp.csrMatvec(oob, x),
    (e) => e instanceof RangeError && /column index 3/.test(e.message),
  );
  const ok = mk([0, 1, 2], [0, 2]);
  assert.throws(
    () => xp.csrMatvec(ok, xp.ones([4])),
    (e) => e instanceof RangeError && e.message.includes("(4,)") && e.message.includes("(2, 3)"),
  );
  assert.throws(() => xp.csrMatmat(ok, xp.ones([3])), RangeError);
  assert.throws(() => xp.csrMatvec({ ...ok, data: xp.ones([5]) }, x), /data has shape \(5,\)/);
  assert.throws(() => xp.csrMatvec(ok, xp.asarray([true, false, true])), TypeError);
  xp.dispose(x, ...[dec, oob, ok].flatMap((m) => [m.indptr, m.indices, m.data]));
});

// ------------------------------------------------------------------ interop & ownership

Deno.test("fromTfjs/toTfjs: independent handles, either disposal order", async () => {
  await noLeak("interop", async () => {
    const t = tf.tensor2d([[1, 2], [3, 4]]);
    const x = fromTfjs(xp, t);
    assert.equal(x.dtype, "float32");
    assert.deepEqual(x.shape, [2, 2]);
    t.dispose();
    assert.deepEqual(Array.from(await xp.toHost(x)), [1, 2, 3, 4]);
    const u = toTfjs(x);
    xp.dispose(x);
    assert.deepEqual(Array.from(await u.data()), [1, 2, 3, 4]);
    u.dispose();
    const ti = tf.tensor1d([1, 2], "int32");
    const i = fromTfjs(xp, ti);
    assert.equal(i.dtype, "int32");
    xp.dispose(i);
    assert.ok(!ti.isDisposed, "disposing the array leaves the caller's tensor alone");
    ti.dispose();
  });
  const c = tf.complex([1], [2]);
  assert.throws(
    () => fromTfjs(xp, c as tf.Tensor),
    (e) => e instanceof TypeError && /complex64/.test(e.message),
  );
  c.dispose();
  const d = tf.scalar(1);
  d.dispose();
  assert.throws(() => fromTfjs(xp, d), /disposed/);
});

Deno.test("arrays made inside a user's tf.tidy follow tfjs rules; fromTfjs survives it", () => {
  let inner: T | undefined, kept: T | undefined;
  tf.tidy(() => {
    inner = xp.ones([2]);
    kept = fromTfjs(xp, tf.ones([2]));
  });
  assert.ok(inner?.isDisposed, "a namespace result is disposed by the enclosing tidy");
  assert.ok(kept && !kept.isDisposed, "fromTfjs keeps its handle");
  xp.dispose(kept!);
});

// ------------------------------------------------------------------ errors

Deno.test("errors: foreign arrays, raw tensors and disposed arrays are TypeErrors", () => {
  const other = tfjsNamespace(tf);
  const a = xp.ones([2]), b = other.ones([2]);
  assert.throws(
    () => xp.add(a, b as unknown as T),
    (e) => e instanceof TypeError && /another namespace/.test(e.message),
  );
  const raw = tf.ones([2]);
  assert.throws(
    () => xp.add(a, raw as unknown as T),
    (e) => e instanceof TypeError && /fromTfjs/.test(e.message),
  );
  raw.dispose();
  xp.dispose(a);
  assert.throws(() => xp.negative(a), (e) => e instanceof TypeError && /disposed/.test(e.message));
  assert.doesNotThrow(() => xp.dispose(a), "disposing twice is harmless");
  assert.throws(() => xp.dispose(b as unknown as T), TypeError);
  other.dispose(b);
});

Deno.test("errors: shapes and values are RangeErrors naming them", () => {
  const x = xp.ones([2, 3]);
  assert.throws(
    () => xp.add(x, xp.ones([4])),
    (e) => e instanceof RangeError && e.message.includes("(2, 3)") && e.message.includes("(4,)"),
  );
  assert.throws(() => xp.reshape(x, [4, 2]), /\(2, 3\)/);
  assert.throws(() => xp.squeeze(x, 0), /\(2, 3\)/);
  assert.throws(() => xp.max(xp.zeros([0, 3]), { axis: 0 }), RangeError);
  assert.throws(() => xp.argmax(xp.zeros([0])), RangeError);
  assert.throws(
    () => xp.linalg.solve(x, xp.ones([2])),
    (e) => e instanceof RangeError && e.message.includes("(2, 3)"),
  );
  assert.throws(() => xp.take(x, xp.asarray([0], { dtype: "int32" })), /axis is required/);
  assert.throws(() => xp.asarray([[1, 2], [3]]), RangeError);
  assert.throws(() => xp.asarray([1, true] as never), TypeError);
  assert.throws(() => xp.eye(-1), RangeError);
  assert.throws(() => xp.arange(0, 1, 0), RangeError);
  assert.throws(() => xp.zeros([2], { device: "webgpu:0" }), TypeError);
  xp.dispose(x);
});

Deno.test("semantics: NaN-aware max/argmax/sign, all() of empty, mean of empty", async () => {
  await noLeak("semantics", async () => {
    const x = xp.asarray([[1, NaN, 3], [2, 5, 4]]);
    const h = (a: T) => xp.toHost(a).then((v) => Array.from(v));
    const r: T[] = [];
    const k = (a: T) => (r.push(a), a);
    assert.deepEqual(await h(k(xp.max(x, { axis: 1 }))), [NaN, 5]);
    assert.deepEqual(await h(k(xp.argmax(x, { axis: 1 }))), [1, 1]);
    assert.deepEqual(await h(k(xp.argmin(x))), [1]);
    assert.deepEqual(await h(k(xp.sign(k(xp.asarray([-2, 0, NaN]))))), [-1, 0, NaN]);
    assert.deepEqual(await h(k(xp.all(k(xp.zeros([0], { dtype: "bool" }))))), [1]);
    assert.deepEqual(await h(k(xp.mean(k(xp.zeros([0]))))), [NaN]);
    // default dtypes of creation functions match the CPU backend's
    assert.equal(k(xp.full([2], 3)).dtype, cpu.full([2], 3).dtype);
    assert.equal(k(xp.full([2], 1.5)).dtype, "float32");
    assert.equal(k(xp.arange(4)).dtype, cpu.arange(4).dtype);
    assert.deepEqual(await h(k(xp.linalg.vector_norm(k(xp.asarray([3e30, 4e30]))))), [
      Math.fround(5e30),
    ]);
    assert.deepEqual(await h(k(xp.linalg.vector_norm(k(xp.asarray([Infinity, 1]))))), [Infinity]);
    xp.dispose(x, ...r);
  });
});
