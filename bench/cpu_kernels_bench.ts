/**
 * CPU backend building blocks on the 512×512 2-D Poisson problem (5-point stencil, 262144
 * unknowns, 1308672 stored entries): vecdot, a fused axpy+norm² program, and one
 * conjugate-gradient iteration assembled from namespace calls (`csrMatvec`, `vecdot`, two fused
 * programs) the way a portable solver writes it — compare with the fused whole-loop CG in
 * bench/cg_bench.ts. SpMV itself is in bench/spmv_bench.ts.
 *
 *     deno bench -A bench/cpu_kernels_bench.ts
 *
 * @module
 */
import { cpu as xp, type CpuArray } from "../backends/cpu/mod.ts";
import type { CsrData } from "../array_api/types.ts";
import { defineFused, runFused } from "../array_api/fuse.ts";
import { poisson5 } from "./_problems.ts";

const n = 512, N = n * n;

function poisson2d(dtype: "float64" | "float32"): CsrData<CpuArray> {
  return poisson5(n, dtype).toCsrData();
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
