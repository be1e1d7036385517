/**
 * Micro-benchmarks of the WebGPU namespace: host cost of recording ops, and throughput of the
 * kernels the solvers lean on (fused update + row sums, CSR SpMV, reductions). Each GPU bench
 * records `REPS` operations and then waits once (`xp.sync()`), so the fixed read-back latency
 * of Deno (one poll tick, ~11 ms) is amortized: divide the reported time by `REPS`.
 *
 * Sizes: `KRYLOV_BENCH_N` (default 65536, small enough for lavapipe; use 1048576 or 16777216
 * on a real GPU), `KRYLOV_BENCH_REPS` (default 200).
 *
 * ```sh
 * KRYLOV_BENCH_N=16777216 KRYLOV_BENCH_REPS=2000 deno bench -A backends/webgpu/webgpu_bench.ts
 * ```
 *
 * @module
 */
import { defineFused, runFused } from "../../array_api/fuse.ts";
import { webgpu } from "./webgpu.ts";
import type { WebGpuArray } from "./webgpu_array.ts";

const N = Number(Deno.env.get("KRYLOV_BENCH_N") ?? 65536);
const REPS = Number(Deno.env.get("KRYLOV_BENCH_REPS") ?? 200);

let xp: Awaited<ReturnType<typeof webgpu>> | null = null;
try {
  xp = await webgpu();
} catch (e) {
  console.warn(`webgpu_bench: skipped (${(e as Error).message})`);
}

const update = defineFused(
  "cg.update",
  { x: "float", p: "float", r: "float", q: "float", alpha: "float" },
  (v, f) => {
    const x = v.x.add(v.alpha.mul(v.p));
    const r = v.r.sub(v.alpha.mul(v.q));
    return { x, r, rr: f.sum(r.mul(r)) };
  },
);

if (xp) {
  const ns = xp;
  const fresh = () => {
    const t = ns.ones([N]);
    const v = ns.reshape(t, [1, N]);
    ns.dispose(t);
    return v;
  };
  let x = fresh(), r = fresh();
  const p = fresh(), q = fresh();
  const alpha = ns.full([1, 1], 1e-6);
  // tridiagonal CSR with N rows
  const ip = new Int32Array(N + 1), ix: number[] = [], dv: number[] = [];
  for (let i = 0; i < N; i++) {
    for (const j of [i - 1, i, i + 1]) {
      if (j < 0 || j >= N) continue;
      ix.push(j);
      dv.push(j === i ? 2 : -1);
    }
    ip[i + 1] = ix.length;
  }
  const A = {
    shape: [N, N],
    layout: "shared" as const,
    nnz: ix.length,
    indptr: ns.asarray(ip),
    indices: ns.asarray(Int32Array.from(ix)),
    data: ns.asarray(Float32Array.from(dv)),
  };
  const v1 = ns.ones([N]);
  // tiny arrays for the host-cost benches (GPU work negligible even on a software adapter)
  const small = {
    x: ns.ones([1, 256]),
    p: ns.ones([1, 256]),
    r: ns.ones([1, 256]),
    q: ns.ones([1, 256]),
  };
  const s1 = ns.ones([256]);
  await ns.sync();

  Deno.bench(
    `host cost: fused CG update + row sum (N=256), ×${REPS}`,
    { group: "host" },
    async (b) => {
      b.start();
      for (let i = 0; i < REPS; i++) {
        const o = runFused(ns, update, { ...small, alpha }, { out: { x: small.x, r: small.r } });
        small.x = o.x;
        small.r = o.r;
        ns.dispose(o.rr);
      }
      b.end();
      await ns.sync();
    },
  );

  Deno.bench(`host cost: add(x, 1) (N=256), ×${REPS}`, { group: "host" }, async (b) => {
    b.start();
    for (let i = 0; i < REPS; i++) ns.dispose(ns.add(s1, 1));
    b.end();
    await ns.sync();
  });

  Deno.bench(
    `GPU: fused CG update + row sum, N=${N}, ×${REPS} + sync`,
    { group: "gpu" },
    async () => {
      for (let i = 0; i < REPS; i++) {
        const o = runFused(ns, update, { x, p, r, q, alpha }, { out: { x, r } });
        x = o.x;
        r = o.r;
        ns.dispose(o.rr);
      }
      await ns.sync();
    },
  );

  let y: WebGpuArray = ns.zeros([N]);
  Deno.bench(`GPU: csrMatvec tridiagonal, N=${N}, ×${REPS} + sync`, { group: "gpu" }, async () => {
    for (let i = 0; i < REPS; i++) y = ns.csrMatvec(A, v1, y);
    await ns.sync();
  });

  Deno.bench(`GPU: sum of N=${N}, ×${REPS} + sync`, { group: "gpu" }, async () => {
    for (let i = 0; i < REPS; i++) ns.dispose(ns.sum(v1));
    await ns.sync();
  });

  Deno.bench("read-back latency: toHost of one element", { group: "latency" }, async () => {
    await ns.toHost(alpha);
  });
}
