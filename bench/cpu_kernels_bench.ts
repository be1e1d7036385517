/**
 * CPU backend kernels on the 512×512 2-D Poisson problem (5-point stencil, 262144 unknowns,
 * 1308672 stored entries): CSR SpMV (float64/float32), vecdot, a fused axpy+norm² program,
 * and one conjugate-gradient iteration built from those pieces (what `linalg/cg` does).
 *
 * Run: `deno bench -A bench/cpu_kernels_bench.ts`. The SciPy reference is timed on the same
 * matrix (single thread): `OPENBLAS_NUM_THREADS=1 python3 -m timeit -s "import numpy as np,
 * scipy.sparse as sp; n=512; T=sp.diags_array([-1.,2.,-1.],offsets=[-1,0,1],shape=(n,n));
 * I=sp.eye_array(n); A=(sp.kron(I,T)+sp.kron(T,I)).tocsr(); x=np.random.rand(n*n)" "A @ x"`.
 * Results belong in bench/RESULTS.md.
 *
 * @module
 */
import { cpu as xp, type CpuArray } from "../backends/cpu/mod.ts";
import type { CsrData } from "../array_api/types.ts";
import { defineFused, runFused } from "../array_api/fuse.ts";

const n = 512, N = n * n;

function poisson2d(dtype: "float64" | "float32"): CsrData<CpuArray> {
  const indptr = new Int32Array(N + 1);
  const indices = new Int32Array(5 * N);
  const data = dtype === "float64" ? new Float64Array(5 * N) : new Float32Array(5 * N);
  let k = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const r = i * n + j;
      const put = (c: number, v: number) => {
        indices[k] = c;
        data[k++] = v;
      };
      if (i > 0) put(r - n, -1);
      if (j > 0) put(r - 1, -1);
      put(r, 4);
      if (j < n - 1) put(r + 1, -1);
      if (i < n - 1) put(r + n, -1);
      indptr[r + 1] = k;
    }
  }
  return {
    shape: [N, N],
    layout: "shared",
    nnz: k,
    indptr: xp.asarray(indptr),
    indices: xp.asarray(indices.slice(0, k)),
    data: xp.asarray(data.slice(0, k)),
  };
}

function randomVec(dtype: "float64" | "float32", seed: number): CpuArray {
  const a = dtype === "float64" ? new Float64Array(N) : new Float32Array(N);
  let s = seed >>> 0;
  for (let i = 0; i < N; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 32 - 0.5;
  }
  return xp.asarray(a);
}

const A64 = poisson2d("float64"), A32 = poisson2d("float32");
const x64 = randomVec("float64", 1), y64 = randomVec("float64", 2);
const x32 = randomVec("float32", 1), y32 = randomVec("float32", 2);
let out64 = xp.zeros([N]);
let out32 = xp.zeros([N], { dtype: "float32" });

Deno.bench({
  name: "csrMatvec f64 (512² Poisson, donated out)",
  group: "spmv",
  baseline: true,
  fn() {
    out64 = xp.csrMatvec(A64, x64, out64);
  },
});
Deno.bench({
  name: "csrMatvec f64 (512² Poisson, fresh out)",
  group: "spmv",
  fn() {
    xp.csrMatvec(A64, x64);
  },
});
Deno.bench({
  name: "csrMatvec f32 (512² Poisson, donated out)",
  group: "spmv",
  fn() {
    out32 = xp.csrMatvec(A32, x32, out32);
  },
});

let sink = 0;
Deno.bench({
  name: "vecdot f64 262144",
  group: "dot",
  baseline: true,
  fn() {
    sink += (xp.vecdot(x64, y64).data as Float64Array)[0];
  },
});
Deno.bench({
  name: "vecdot f32 262144",
  group: "dot",
  fn() {
    sink += (xp.vecdot(x32, y32).data as Float32Array)[0];
  },
});

const axpyNorm = defineFused("axpy+norm2", { x: "float", y: "float", a: "float" }, (v, f) => {
  const y = v.y.add(v.a.mul(v.x));
  return { y, nrm2: f.sum(y.mul(y)) };
});
let yy = xp.asarray(y64, { copy: true });
const alpha = xp.asarray([1e-9]);
Deno.bench({
  name: "fused axpy+norm2 f64 262144 (donated y)",
  group: "fuse",
  baseline: true,
  fn() {
    yy = runFused(xp, axpyNorm, { x: x64, y: yy, a: alpha }, { out: { y: yy } }).y;
  },
});
let yy32 = xp.asarray(y32, { copy: true });
const alpha32 = xp.asarray([1e-9], { dtype: "float32" });
Deno.bench({
  name: "fused axpy+norm2 f32 262144 (donated y)",
  group: "fuse",
  fn() {
    yy32 = runFused(xp, axpyNorm, { x: x32, y: yy32, a: alpha32 }, { out: { y: yy32 } }).y;
  },
});

// One CG iteration the way a batched solver writes it: per-system scalars are arrays.
const cgUpdate = defineFused(
  "cg.update",
  { x: "float", r: "float", p: "float", q: "float", rr: "float", pq: "float" },
  (v, f) => {
    const alpha = v.rr.div(v.pq);
    const x = v.x.add(alpha.mul(v.p));
    const r = v.r.sub(alpha.mul(v.q));
    return { x, r, rr: f.sum(r.mul(r)) };
  },
);
const cgDirection = defineFused(
  "cg.direction",
  { r: "float", p: "float", rrNew: "float", rrOld: "float" },
  (v) => ({ p: v.r.add(v.rrNew.div(v.rrOld).mul(v.p)) }),
);

function cgState(A: CsrData<CpuArray>, dtype: "float64" | "float32") {
  const b = randomVec(dtype, 3);
  const r = xp.asarray(b, { copy: true });
  return {
    A,
    x: xp.zeros([N], { dtype }),
    r,
    p: xp.asarray(b, { copy: true }),
    q: xp.zeros([N], { dtype }),
    rr: xp.reshape(xp.vecdot(r, r), [1]),
  };
}

function cgIteration(s: ReturnType<typeof cgState>): void {
  s.q = xp.csrMatvec(s.A, s.p, s.q);
  const pq = xp.reshape(xp.vecdot(s.p, s.q), [1]);
  const u = runFused(xp, cgUpdate, { x: s.x, r: s.r, p: s.p, q: s.q, rr: s.rr, pq }, {
    out: { x: s.x, r: s.r },
  });
  s.x = u.x;
  s.r = u.r;
  const rrNew = xp.reshape(u.rr, [1]);
  s.p = runFused(xp, cgDirection, { r: s.r, p: s.p, rrNew, rrOld: s.rr }, { out: { p: s.p } }).p;
  s.rr = rrNew;
}

const cg64 = cgState(A64, "float64"), cg32 = cgState(A32, "float32");
Deno.bench({
  name: "CG iteration f64 (512² Poisson)",
  group: "cg",
  baseline: true,
  fn() {
    cgIteration(cg64);
  },
});
Deno.bench({
  name: "CG iteration f32 (512² Poisson)",
  group: "cg",
  fn() {
    cgIteration(cg32);
  },
});

addEventListener("unload", () => {
  if (Number.isNaN(sink)) console.log("unreachable");
});
