/**
 * WebGPU CG benchmark: the fused CG fast path (`xp.solvers.cg`) on 2-D Poisson problems.
 *
 * Prints one markdown report: device/adapter, copy bandwidth, SpMV bandwidth (CSR and DIA
 * kernels, GPU timestamps) at each size, CG per size (iterations, wall ms cold/warm, GPU µs
 * per iteration from timestamps, the memory-traffic floor µs = modelled bytes per iteration /
 * measured copy bandwidth, their ratio, GPU bytes per unknown, true relative residual), a batch
 * of many small systems, and optional tuning sweeps (format, workgroups per system, chunk
 * length, queue depth).
 *
 * ```sh
 * deno run -A bench/gpu_cg.ts                       # 1000² and 4096², batch 4096 × 32²
 * deno run -A bench/gpu_cg.ts --sizes 64,128 --batch 64 --quick   # a software adapter
 * deno run -A bench/gpu_cg.ts --sweep               # plus the tuning sweeps
 * ```
 *
 * Problem: `A = poisson2d(N)` (float32), `b = A·1`, `x0 = 0`, `rtol = 1e-6`, `atol = 0`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { webgpu, type WebGpuNamespace } from "../backends/webgpu/mod.ts";
import type { WebGpuArray } from "../backends/webgpu/mod.ts";
import type { WebGpuCgStats, WebGpuCgTuning } from "../backends/webgpu/mod.ts";
import { poisson2d } from "../sparse/gallery.ts";
import type { CsrArray } from "../sparse/csr_array.ts";
import { cg } from "../linalg/cg.ts";

const args = parseArgs({
  args: Deno.args,
  options: {
    sizes: { type: "string", default: "1000,4096" },
    batch: { type: "string", default: "4096" },
    "batch-grid": { type: "string", default: "32" },
    rtol: { type: "string", default: "1e-6" },
    warm: { type: "string", default: "3" },
    sweep: { type: "boolean", default: false },
    quick: { type: "boolean", default: false },
  },
});
const sizes = args.values.sizes!.split(",").map(Number).filter((v) => v > 0);
const nBatch = Number(args.values.batch);
const batchGrid = Number(args.values["batch-grid"]);
const rtol = Number(args.values.rtol);
const warmRuns = Math.max(1, Number(args.values.warm));

const xp: WebGpuNamespace = await webgpu({ powerPreference: "high-performance" });
const dev = xp.gpuDevice;
const hasTs = dev.features.has("timestamp-query");
const out: string[] = [];
const log = (s = "") => {
  out.push(s);
  console.log(s);
};

log(`# WebGPU CG benchmark — ${new Date().toISOString()}`);
log();
log(`- adapter: ${xp.name}; Deno ${Deno.version.deno}; timestamps: ${hasTs}`);
log(`- command: deno run -A bench/gpu_cg.ts ${Deno.args.join(" ")}`);
log(
  `- limits: maxStorageBufferBindingSize ${dev.limits.maxStorageBufferBindingSize}, ` +
    `maxBufferSize ${dev.limits.maxBufferSize}`,
);

// ------------------------------------------------------------------ GPU timing helpers
/** Runs `reps` dispatches of `pipeline` in one timestamped pass; returns µs per dispatch. */
async function timeDispatches(
  pipeline: GPUComputePipeline,
  bg: GPUBindGroup,
  groups: [number, number],
  reps: number,
): Promise<number> {
  const t0 = performance.now();
  const qs = hasTs ? dev.createQuerySet({ type: "timestamp", count: 2 }) : null;
  const qb = hasTs
    ? dev.createBuffer({ size: 256, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC })
    : null;
  const rb = hasTs
    ? dev.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST })
    : null;
  const enc = dev.createCommandEncoder();
  const pass = enc.beginComputePass(
    qs
      ? { timestampWrites: { querySet: qs, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } }
      : undefined,
  );
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bg);
  for (let i = 0; i < reps; i++) pass.dispatchWorkgroups(groups[0], groups[1]);
  pass.end();
  if (qs && qb && rb) {
    enc.resolveQuerySet(qs, 0, 2, qb, 0);
    enc.copyBufferToBuffer(qb, 0, rb, 0, 16);
  }
  dev.queue.submit([enc.finish()]);
  if (rb) {
    await rb.mapAsync(GPUMapMode.READ);
    const t = new BigUint64Array(rb.getMappedRange());
    const us = Number(t[1] - t[0]) / 1000 / reps;
    rb.unmap();
    rb.destroy();
    qb!.destroy();
    qs!.destroy();
    return us;
  }
  await dev.queue.onSubmittedWorkDone();
  return ((performance.now() - t0) * 1000) / reps;
}

function pipe(code: string): GPUComputePipeline {
  return dev.createComputePipeline({
    layout: "auto",
    compute: { module: dev.createShaderModule({ code }), entryPoint: "main" },
  });
}

function grid(groups: number): [number, number] {
  const m = dev.limits.maxComputeWorkgroupsPerDimension;
  if (groups <= m) return [groups, 1];
  const gy = Math.ceil(groups / m);
  return [Math.ceil(groups / gy), gy];
}

const storage = (bytes: number) =>
  dev.createBuffer({
    size: Math.max(16, Math.ceil(bytes / 16) * 16),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });

// ------------------------------------------------------------------ copy bandwidth
const copyMB = args.values.quick ? 16 : 268;
let copyGBs: number;
{
  const words = Math.floor((copyMB * 1e6) / 16);
  const a = storage(words * 16), b = storage(words * 16);
  const p = pipe(`
@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> b: array<vec4<f32>>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  let i = g.x + g.y * n.x * 256u;
  if (i < ${words}u) { b[i] = a[i]; }
}`);
  const bg = dev.createBindGroup({
    layout: p.getBindGroupLayout(0),
    entries: [{ binding: 0, resource: { buffer: a } }, { binding: 1, resource: { buffer: b } }],
  });
  await timeDispatches(p, bg, grid(Math.ceil(words / 256)), 2);
  const us = await timeDispatches(p, bg, grid(Math.ceil(words / 256)), args.values.quick ? 5 : 50);
  copyGBs = (2 * words * 16) / us / 1e3;
  log(
    `- copy: ${copyMB} MB buffer (read + write ${2 * copyMB} MB) in ${us.toFixed(1)} µs → ` +
      `${copyGBs.toFixed(0)} GB/s`,
  );
  a.destroy();
  b.destroy();
}
log();

// ------------------------------------------------------------------ problems
interface Problem {
  N: number;
  n: number;
  A: CsrArray<WebGpuArray>;
  b: WebGpuArray;
  bnorm: number;
}

async function problem(N: number): Promise<Problem> {
  const A = poisson2d(N, N, { xp, dtype: "float32" });
  const ones = xp.ones([N * N]);
  const b = A.matvec(ones) as WebGpuArray;
  xp.dispose(ones);
  const bh = await xp.toHost(b);
  let s = 0;
  for (let i = 0; i < bh.length; i++) s += bh[i] * bh[i];
  return { N, n: N * N, A, b, bnorm: Math.sqrt(s) };
}

/** SpMV GB/s of one-thread-per-row CSR and DIA kernels on the problem's matrix. */
async function spmv(pr: Problem): Promise<{ csr: [number, number]; dia: [number, number] }> {
  const n = pr.n, N = pr.N;
  const d = pr.A.toCsrData();
  const nnz = d.nnz;
  const reps = args.values.quick ? 5 : 50;
  const x = storage(4 * n), y = storage(4 * n);
  const csrP = pipe(`
@group(0) @binding(0) var<storage, read> ip: array<i32>;
@group(0) @binding(1) var<storage, read> ix: array<i32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = g.x + g.y * nw.x * 256u;
  if (i >= ${n}u) { return; }
  var acc = 0.0;
  for (var k = u32(ip[i]); k < u32(ip[i + 1u]); k = k + 1u) { acc = acc + v[k] * x[u32(ix[k])]; }
  y[i] = acc;
}`);
  const buf = (a: WebGpuArray) => ({ buffer: a.buffer, offset: a.offset * 4, size: a.size * 4 });
  const csrBg = dev.createBindGroup({
    layout: csrP.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: buf(d.indptr) },
      { binding: 1, resource: buf(d.indices) },
      { binding: 2, resource: buf(d.data) },
      { binding: 3, resource: { buffer: x } },
      { binding: 4, resource: { buffer: y } },
    ],
  });
  const g = grid(Math.ceil(n / 256));
  await timeDispatches(csrP, csrBg, g, 2);
  const csrUs = await timeDispatches(csrP, csrBg, g, reps);
  const csrBytes = 8 * nnz + 4 * (n + 1) + 8 * n;
  const offs = [-N, -1, 0, 1, N];
  const dv = storage(4 * 5 * n);
  const diaP = pipe(`
@group(0) @binding(0) var<storage, read> v: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = g.x + g.y * nw.x * 256u;
  let n = ${n}u;
  if (i >= n) { return; }
  var acc = 0.0;
${
    offs.map((o, k) =>
      o === 0
        ? `  acc = acc + v[${k}u * n + i] * x[i];`
        : o < 0
        ? `  if (i >= ${-o}u) { acc = acc + v[${k}u * n + i] * x[i - ${-o}u]; }`
        : `  if (i + ${o}u < n) { acc = acc + v[${k}u * n + i] * x[i + ${o}u]; }`
    ).join("\n")
  }
  y[i] = acc;
}`);
  const diaBg = dev.createBindGroup({
    layout: diaP.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer: dv } },
      { binding: 1, resource: { buffer: x } },
      { binding: 2, resource: { buffer: y } },
    ],
  });
  await timeDispatches(diaP, diaBg, g, 2);
  const diaUs = await timeDispatches(diaP, diaBg, g, reps);
  const diaBytes = 4 * 5 * n + 8 * n;
  x.destroy();
  y.destroy();
  dv.destroy();
  return {
    csr: [csrUs, csrBytes / csrUs / 1e3],
    dia: [diaUs, diaBytes / diaUs / 1e3],
  };
}

interface Run {
  wall: number;
  its: number;
  info: number;
  res: number;
  stats: WebGpuCgStats;
}

async function solveOnce(pr: Problem, tuning: WebGpuCgTuning = {}): Promise<Run> {
  xp.solvers.tuning = tuning;
  await xp.sync();
  const t = performance.now();
  const r = await cg(pr.A, pr.b, { rtol, atol: 0 });
  const wall = performance.now() - t;
  const stats = xp.solvers.lastCgStats!;
  xp.dispose(r.x as WebGpuArray);
  xp.solvers.tuning = {};
  return { wall, its: r.iterations[0], info: r.info[0], res: r.residualNorm[0] / pr.bnorm, stats };
}

const fmt = (v: number | null | undefined, d = 1) => (v == null ? "–" : v.toFixed(d));

/** Where the wall time of a run went, from the per-chunk log. */
function timeline(st: WebGpuCgStats): string {
  const cs = st.chunks;
  if (cs.length === 0) return "no chunks";
  const first = cs[0], last = cs[cs.length - 1];
  let busy = 0, worstGap = 0, worstAt = 0;
  for (let i = 0; i < cs.length; i++) {
    busy += cs[i].gpuUs ?? 0;
    if (i > 0 && cs[i].gpuStartUs !== null && cs[i - 1].gpuStartUs !== null) {
      const gap = cs[i].gpuStartUs! - (cs[i - 1].gpuStartUs! + cs[i - 1].gpuUs!);
      if (gap > worstGap) {
        worstGap = gap;
        worstAt = cs[i].from;
      }
    }
  }
  const endUs = last.gpuStartUs === null ? null : last.gpuStartUs + (last.gpuUs ?? 0);
  // GPU clock → host clock: the idle GPU starts the first chunk at its submit
  const endHost = endUs === null ? null : first.submitMs + endUs / 1000;
  const perIt = (ms: number) => fmt((ms * 1000) / Math.max(1, st.encodedIterations), 2);
  return `host encode ${perIt(st.hostEncodeMs)} µs/it + submit ${
    perIt(st.hostSubmitMs)
  } µs/it; setup ${fmt(st.setupMs)} ms, first submit ${fmt(first.submitMs)} ms, GPU busy ${
    fmt(busy / 1000)
  } ms of ${fmt(endUs === null ? null : endUs / 1000)} ms (largest gap ${
    fmt(worstGap / 1000, 2)
  } ms before iteration ${worstAt}), final snapshot (iteration ${last.to}) done on the GPU at ≈${
    fmt(endHost)
  } ms, read at ${fmt(last.readMs)} ms, returned at ${fmt(st.wallMs)} ms; chunks ${
    cs.map((c) => `${c.from}→${c.to}@${fmt(c.submitMs, 0)}/${fmt(c.readMs, 0)}`).join(" ")
  }`;
}

// ------------------------------------------------------------------ CG per size
const cgRows: string[] = [];
const spmvRows: string[] = [];
const sweepRows: string[] = [];
const trade: string[] = [];
for (const N of sizes) {
  const tb = performance.now();
  const pr = await problem(N);
  const buildMs = performance.now() - tb;
  const sp = await spmv(pr);
  spmvRows.push(
    `| ${N}² = ${pr.n} | ${fmt(sp.csr[0])} µs, ${fmt(sp.csr[1], 0)} GB/s | ${fmt(sp.dia[0])} µs, ${
      fmt(sp.dia[1], 0)
    } GB/s |`,
  );
  const cold = await solveOnce(pr);
  const warm: Run[] = [];
  for (let i = 0; i < warmRuns; i++) warm.push(await solveOnce(pr));
  warm.sort((a, b) => a.wall - b.wall);
  const w = warm[Math.floor(warm.length / 2)];
  const st = w.stats;
  const floorUs = st.bytesPerIteration / (copyGBs * 1e3);
  // GPU memory: solver vectors + scratch + DIA copy + the CSR arrays + b
  const d = pr.A.toCsrData();
  const csrBytes = 4 * (d.nnz * 2 + pr.n + 1);
  const bdofSolver = (st.solverBytes + st.diaBytes) / pr.n;
  const bdofTotal = (st.solverBytes + st.diaBytes + csrBytes + 4 * pr.n) / pr.n;
  const fmtsSeen = `${st.format}${st.diagonals ? `(${st.diagonals})` : ""}`;
  cgRows.push(
    `| ${N}² = ${pr.n} | ${fmtsSeen} | ${w.its} (info ${w.info}) | ${fmt(cold.wall)} | ${
      fmt(w.wall)
    } (min ${fmt(warm[0].wall)}) | ${fmt(st.gpuUsPerIteration, 2)} | ${fmt(floorUs, 2)} | ${
      st.gpuUsPerIteration ? fmt(st.gpuUsPerIteration / floorUs, 2) : "–"
    } | ${fmt(bdofSolver, 0)} / ${fmt(bdofTotal, 0)} | ${
      w.res.toExponential(2)
    } | ${st.encodedIterations} / ${st.chunkCount} / ${st.snapshots} | ${fmt(st.setupMs)} |`,
  );
  log(
    `(built ${N}² in ${buildMs.toFixed(0)} ms; cold setup ${fmt(cold.stats.setupMs)} ms, ` +
      `cold iterations ${cold.its}; warm walls ${warm.map((r) => fmt(r.wall)).join(", ")})`,
  );
  if (args.values.sweep) {
    const variants: [string, WebGpuCgTuning][] = [
      ["csr", { format: "csr" }],
      ["unroll=1", { unroll: 1 }],
      ["unroll=2", { unroll: 2 }],
      ["maxChunk=32", { maxChunk: 32 }],
      ["maxChunk=64", { maxChunk: 64 }],
      ["maxChunk=256", { maxChunk: 256 }],
      ["aheadMs=12", { aheadMs: 12 }],
      ["aheadMs=50", { aheadMs: 50 }],
      ["margin=0", { margin: 0 }],
      ["margin=0.3", { margin: 0.3 }],
    ];
    for (const [name, t] of variants) {
      if (pr.n > 4e6 && !["csr", "unroll=1"].includes(name)) continue;
      await solveOnce(pr, t); // compile / calibrate
      const r = await solveOnce(pr, t);
      const s = r.stats;
      sweepRows.push(
        `| ${N}² | ${name} (wg ${s.workgroupSize}, G ${s.workgroupsPerSystem}) | ${r.its} | ${
          fmt(r.wall)
        } | ${fmt(s.gpuUsPerIteration, 2)} | ${
          s.encodedIterations - r.its
        } | ${s.chunkCount} | ${s.snapshots} |`,
      );
    }
  }
  trade.push(`${N}² (warm, median run): ${timeline(w.stats)}`);
  xp.dispose(pr.b, pr.A.data as WebGpuArray);
}

log();
log("## SpMV (one thread per row, GPU timestamps, 5-point Poisson)");
log();
log("| size | CSR | DIA (5 diagonals) |");
log("| --- | --- | --- |");
for (const r of spmvRows) log(r);
log();
log(`## CG (b = A·1, x0 = 0, rtol ${rtol}, float32)`);
log();
log(
  "| size | format | iterations | wall cold ms | wall warm ms | GPU µs/it | floor µs/it | " +
    "ratio | B/DOF solver / total | true ‖b−Ax‖/‖b‖ | encoded / chunks / snapshots | setup ms |",
);
log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const r of cgRows) log(r);
log();
for (const t of trade) log(`- ${t}`);

// ------------------------------------------------------------------ batch
if (nBatch > 0) {
  const N = batchGrid, n = N * N;
  const A = poisson2d(N, N, { xp, dtype: "float32" });
  // b_k = A·(1 + k/B): different right-hand sides, one shared matrix
  const scale = xp.reshape(
    xp.asarray(Float32Array.from({ length: nBatch }, (_, k) => 1 + k / nBatch)),
    [nBatch, 1],
  );
  const xs = xp.multiply(xp.ones([nBatch, n]), scale);
  const b = A.matvec(xs) as WebGpuArray;
  xp.dispose(scale, xs);
  const runs: { wall: number; its: Int32Array; info: Int32Array; st: WebGpuCgStats }[] = [];
  for (let i = 0; i < 1 + warmRuns; i++) {
    await xp.sync();
    const t = performance.now();
    const r = await cg(A, b, { rtol, atol: 0 });
    const wall = performance.now() - t;
    runs.push({ wall, its: r.iterations, info: r.info, st: xp.solvers.lastCgStats! });
    xp.dispose(r.x as WebGpuArray);
  }
  const w = runs.slice(1).sort((a, b) => a.wall - b.wall)[Math.floor(warmRuns / 2)];
  let lo = Infinity, hi = 0, bad = 0;
  for (let k = 0; k < nBatch; k++) {
    lo = Math.min(lo, w.its[k]);
    hi = Math.max(hi, w.its[k]);
    if (w.info[k] !== 0) bad++;
  }
  const floorUs = w.st.bytesPerIteration / (copyGBs * 1e3);
  log();
  log(`## Batch: ${nBatch} systems of ${N}² Poisson (shared A), one call`);
  log();
  log(
    "| systems × n | wall cold ms | wall warm ms | iterations min/max | info ≠ 0 | GPU µs/it | " +
      "floor µs/it | B/DOF solver |",
  );
  log("| --- | --- | --- | --- | --- | --- | --- | --- |");
  log(
    `| ${nBatch} × ${n} | ${fmt(runs[0].wall)} | ${fmt(w.wall)} | ${lo} / ${hi} | ${bad} | ${
      fmt(w.st.gpuUsPerIteration, 2)
    } | ${fmt(floorUs, 2)} | ${fmt((w.st.solverBytes + w.st.diaBytes) / (nBatch * n), 0)} |`,
  );
}

if (sweepRows.length > 0) {
  log();
  log("## Tuning sweeps (second run of each variant)");
  log();
  log("| size | variant | iterations | wall ms | GPU µs/it | frozen its | chunks | snapshots |");
  log("| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const r of sweepRows) log(r);
}
const dir = Deno.env.get("OUT");
if (dir) Deno.writeTextFileSync(`${dir}/gpu_cg.md`, out.join("\n") + "\n");
xp.destroy();
