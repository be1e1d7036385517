/**
 * The fused CG fast path of the WebGPU namespace (`xp.solvers.cg`, see `SolverHooks`): the
 * whole conjugate-gradient loop of `linalg/cg.ts` with pre-built kernels (`_cg_wgsl.ts`).
 *
 * - Setup (once per solve): storage format (DIA when the pattern allows, cached per pattern and
 *   per values array; else the CSR arrays as given), vectors `x, r, p₀, p₁, q` and a small
 *   scratch buffer from the pool, pipelines (cached per namespace), bind groups for both
 *   parities of the ping-pong buffers, and two uniform slots.
 * - Iterations are encoded two dispatches each (`K1`, `K2`) into command buffers of 16–128
 *   iterations ("chunks"); each chunk ends with the true-residual and snapshot kernels and a
 *   copy of the per-system status (and the residual-history rows) into its own staging buffer.
 *   No JS allocation per iteration.
 * - Read-back schedule. In Deno, `mapAsync` blocks the calling thread until *all* submitted
 *   GPU work is done and resolves about 10–11 ms later (a poll tick), however idle the GPU is
 *   (measured; `onSubmittedWorkDone` does not block but resolves on the same tick). So each
 *   cycle pre-encodes the next batch of chunks (about `aheadMs` of GPU time, from timestamp
 *   queries or the wall clock), maps every submitted snapshot (the first call waits for the
 *   GPU to drain), submits the pre-encoded batch at once (the GPU idles only for that call),
 *   and reads the snapshots when the tick resolves them, while the GPU works on the batch.
 *   Snapshots give each system's residual; log-linear extrapolation predicts the iteration at
 *   which all converge, and nothing is encoded beyond it (plus a margin) until a later snapshot
 *   asks for more. The first snapshot with no active system (or at `maxiter`) is final: chunks
 *   submitted after it run frozen (every workgroup of a converged system exits after reading
 *   its state) and change nothing.
 *
 * @module
 */
import type { CgKernelProblem, CgKernelResult } from "../../array_api/types.ts";
import type { Ctx } from "./_ctx.ts";
import { sizeClass, type Storage } from "./_pool.ts";
import { contiguous } from "./_manip.ts";
import {
  CG_PARAM,
  CG_PARAM_WORDS,
  CG_WG,
  type CgFormat,
  type CgSource,
  type CgVariant,
  i1Source,
  i2Source,
  i3Source,
  k1Source,
  k2Source,
  p2Stride,
  t1Source,
  t2Source,
  variantKey,
} from "./_cg_wgsl.ts";
import { diaBuildWgsl, diagonalOffsets, type DiaPlan, preferDia } from "./_dia.ts";
import type { WebGpuArray } from "./webgpu_array.ts";
import type { WebGpuCgChunk, WebGpuCgStats, WebGpuCgTuning, WebGpuSolvers } from "./solvers.ts";

type A = WebGpuArray;

/** Timestamp slots (chunks in flight at most before reuse). */
const TS_SLOTS = 64;

/** Per-device speed model for the first queue of a solve (calibrated by later solves). */
interface SpeedModel {
  /** Fixed µs per iteration (dispatch gaps, prologues). */
  fixedUs: number;
  /** Bytes per µs. */
  bytesPerUs: number;
  /** Calibration factor from measured runs. */
  factor: number;
  /** Whether a measured run set `factor`. */
  calibrated: boolean;
}

/** A compiled kernel of this module: its own layout (a static uniform at binding 0). */
interface CgKernel {
  readonly pipeline: GPUComputePipeline;
  readonly bgl: GPUBindGroupLayout;
  readonly names: readonly string[];
  readonly label: string;
}

/** The cached kernel `key`, compiled from `src()` on first use. */
function kernelOf(
  dev: GPUDevice,
  pipes: Map<string, CgKernel>,
  key: string,
  src: () => CgSource,
): CgKernel {
  const hit = pipes.get(key);
  if (hit) return hit;
  const s = src();
  const entries: GPUBindGroupLayoutEntry[] = [{
    binding: 0,
    visibility: GPUShaderStage.COMPUTE,
    buffer: { type: "uniform" },
  }];
  for (let i = 0; i < s.sig.length; i++) {
    entries.push({
      binding: i + 1,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type: s.sig[i] === "w" ? "storage" : "read-only-storage" },
    });
  }
  const bgl = dev.createBindGroupLayout({ entries, label: s.label });
  const pipeline = dev.createComputePipeline({
    layout: dev.createPipelineLayout({ bindGroupLayouts: [bgl] }),
    compute: {
      module: dev.createShaderModule({ code: s.code, label: s.label }),
      entryPoint: "main",
    },
    label: s.label,
  });
  const k: CgKernel = { pipeline, bgl, names: s.names, label: s.label };
  pipes.set(key, k);
  return k;
}

/** DIA values built from one CSR values array (for one pattern: its host indices). */
interface DiaCache {
  readonly indices: Int32Array;
  readonly key: string;
  readonly storage: Storage;
}

/** One chunk: a command buffer of iterations `(from, to]` ending in a status snapshot. */
interface Pending {
  readonly from: number;
  readonly to: number;
  /** The finished command buffer until it is submitted. */
  cb: GPUCommandBuffer | null;
  /** Host time of the submit (ms after the call). */
  submitMs: number;
  readonly histFrom: number;
  readonly staging: GPUBuffer;
  readonly bytes: number;
  readonly tsOffset: number;
  /** The staging map, once requested. */
  promise: Promise<void> | null;
  failed: unknown;
}

/** Builds the `solvers` object of a namespace. @internal */
export function webgpuSolvers(ctx: Ctx): WebGpuSolvers {
  const plans = new WeakMap<Int32Array, DiaPlan | null>();
  const diaValues = new WeakMap<A, DiaCache>();
  const registry = new FinalizationRegistry<Storage>((s) => ctx.unref(s));
  const stagingFree = new Map<number, GPUBuffer[]>();
  const model: SpeedModel = { fixedUs: 5, bytesPerUs: 2e6, factor: 1, calibrated: false };
  const pipes = new Map<string, CgKernel>();
  let lastStats: WebGpuCgStats | null = null;
  const self: WebGpuSolvers = {
    tuning: {},
    get lastCgStats(): WebGpuCgStats | null {
      return lastStats;
    },
    cg(problem: CgKernelProblem<A>): Promise<CgKernelResult<A>> | null {
      const plan = accept(ctx, problem);
      if (!plan) return null;
      return solve(ctx, problem, plan, {
        tuning: self.tuning,
        plans,
        diaValues,
        registry,
        stagingFree,
        model,
        pipes,
        report: (s) => (lastStats = s),
      });
    },
  };
  return self;
}

interface Shared {
  readonly tuning: WebGpuCgTuning;
  readonly plans: WeakMap<Int32Array, DiaPlan | null>;
  readonly diaValues: WeakMap<A, DiaCache>;
  readonly registry: FinalizationRegistry<Storage>;
  readonly stagingFree: Map<number, GPUBuffer[]>;
  readonly model: SpeedModel;
  readonly pipes: Map<string, CgKernel>;
  readonly report: (s: WebGpuCgStats) => void;
}

interface Accepted {
  readonly n: number;
  readonly nSys: number;
  readonly aBatched: boolean;
}

/** Whether the fast path handles the problem (else the portable loop runs). */
function accept(ctx: Ctx, p: CgKernelProblem<A>): Accepted | null {
  const a = p.a;
  if (a.layout !== "shared" || a.data.dtype !== "float32" || p.b.dtype !== "float32") return null;
  if (a.indptr.dtype !== "int32" || a.indices.dtype !== "int32") return null;
  if (p.minv && p.minv.dtype !== "float32") return null;
  if (p.x0 && p.x0.dtype !== "float32") return null;
  const shape = a.shape;
  if (shape.length < 2) return null;
  const n = shape[shape.length - 1];
  if (shape[shape.length - 2] !== n) return null;
  const aBatch = shape.slice(0, -2);
  const batch = p.batch;
  const aBatched = aBatch.length > 0;
  if (aBatched && aBatch.join() !== batch.join()) return null;
  if (p.b.shape.join() !== [...batch, n].join()) return null;
  if (p.indptrHost.length !== n + 1 || p.indicesHost.length < a.nnz) return null;
  const nSys = batch.reduce((x, d) => x * d, 1);
  if (nSys === 0 || n === 0) return null;
  const lim = ctx.engine.limits;
  if (lim.maxStorageBuffersPerShaderStage < 9) return null;
  if (nSys * n * 4 > lim.maxStorageBufferBindingSize || nSys * n >= 2 ** 31) return null;
  for (const v of [p.b, p.x0, p.minv, a.data, a.indptr, a.indices]) {
    if (v) ctx.live(v, "cg");
  }
  return { n, nSys, aBatched };
}

/** Workgroup grid for `groups` workgroups. */
function grid(groups: number, maxPerDim: number): [number, number] {
  if (groups <= maxPerDim) return [groups, 1];
  const gy = Math.ceil(groups / maxPerDim);
  return [Math.ceil(groups / gy), gy];
}

async function solve(
  ctx: Ctx,
  p: CgKernelProblem<A>,
  acc: Accepted,
  sh: Shared,
): Promise<CgKernelResult<A>> {
  const t0 = performance.now();
  const eng = ctx.engine;
  const dev = eng.device;
  const { n, nSys, aBatched } = acc;
  const lim = eng.limits;
  const tun = sh.tuning;
  const a = p.a;
  const maxiter = p.maxiter;
  const owned: Storage[] = [];
  const temps: A[] = [];
  let solverBytes = 0;
  const alloc = (bytes: number): Storage => {
    const s = eng.pool.acquire(Math.max(4, bytes));
    owned.push(s);
    solverBytes += s.bytes;
    return s;
  };

  // ---- storage format
  let plan: DiaPlan | null | undefined = undefined;
  const wantFmt = tun.format ?? "auto";
  if (wantFmt !== "csr") {
    plan = sh.plans.get(p.indicesHost);
    if (plan === undefined) {
      plan = diagonalOffsets(p.indptrHost, p.indicesHost, n);
      sh.plans.set(p.indicesHost, plan);
    }
  }
  const nb = aBatched ? nSys : 1;
  const useDia = plan != null &&
    (wantFmt === "dia" ? plan.offsets.length > 0 : preferDia(plan)) &&
    nb * plan.offsets.length * n * 4 <= lim.maxStorageBufferBindingSize;
  const fmt: CgFormat = useDia ? { kind: "dia", offsets: plan!.offsets } : { kind: "csr" };
  const jacobi = p.minv !== null;
  const wgRaw = Math.floor(tun.workgroupSize ?? CG_WG);
  const wg = Math.min(
    lim.maxComputeInvocationsPerWorkgroup,
    1 << Math.round(Math.log2(Math.max(64, Math.min(1024, wgRaw)))),
  );
  const unroll = Math.max(1, Math.min(8, Math.floor(tun.unroll ?? 4)));
  const variant: CgVariant = { fmt, jacobi, wg, unroll };
  const nnz = a.nnz;

  // matrix bindings
  let matBufs: Storage[];
  let valsOff = 0, valsStride = 0, ipOff = 0, ixOff = 0, diaBytes = 0;
  const ip = contiguous(ctx, a.indptr), ix = contiguous(ctx, a.indices);
  if (ip !== a.indptr) temps.push(ip);
  if (ix !== a.indices) temps.push(ix);
  const data = contiguous(ctx, a.data);
  if (data !== a.data) temps.push(data);
  if (fmt.kind === "dia") {
    const nd = fmt.offsets.length;
    const key = fmt.offsets.join(",");
    let c = sh.diaValues.get(a.data);
    if (!c || c.key !== key || c.indices !== p.indicesHost) {
      const st = eng.pool.acquire(Math.max(4, nb * nd * n * 4));
      const k = eng.kernel(`cg.diabuild[${key}]`, () => ({
        code: diaBuildWgsl(fmt.offsets),
        sig: "rrrw",
        label: "cg: DIA build",
      }));
      eng.run(
        k,
        [ip._s!, ix._s!, data._s!, st],
        [n, nb, aBatched ? nnz : 0, ip._off, ix._off, data._off, 0, 0],
        Math.ceil((nb * n) / 256),
      );
      c = { indices: p.indicesHost, key, storage: st };
      sh.diaValues.set(a.data, c);
      sh.registry.register(a.data, st);
    }
    diaBytes = c.storage.bytes;
    matBufs = [c.storage];
    valsStride = aBatched ? nd * n : 0;
  } else {
    matBufs = [data._s!, ip._s!, ix._s!];
    valsOff = data._off;
    valsStride = aBatched ? nnz : 0;
    ipOff = ip._off;
    ixOff = ix._off;
  }

  // ---- inputs
  const b = contiguous(ctx, p.b);
  if (b !== p.b) temps.push(b);
  let x0: A | null = null;
  if (p.x0) {
    x0 = contiguous(ctx, p.x0);
    if (x0 !== p.x0) temps.push(x0);
  }
  let minv: A | null = null;
  let minvStride = 0;
  if (p.minv) {
    const m = p.minv;
    if (m.size === n) {
      minv = contiguous(ctx, m);
      minvStride = 0;
    } else if (m.shape.join() === [...p.batch, n].join()) {
      minv = contiguous(ctx, m);
      minvStride = n;
    } else {
      const full = ctx.ns.broadcast_to(m, [...p.batch, n]);
      minv = contiguous(ctx, full);
      if (minv !== full) ctx.dispose(full);
      minvStride = n;
    }
    if (minv !== m) temps.push(minv);
  }

  // ---- layout
  // about two unrolled trips per thread, at most 2¹⁸ threads per system (measured on an H100:
  // 1000² Poisson 24.8 µs/iteration with 489 workgroups of 256 and unroll 4, 31 µs without)
  const Gdefault = Math.min(
    (1024 * 256) / wg,
    Math.max(1, Math.ceil(n / (wg * Math.max(unroll, 2) * 2))),
  );
  const G = Math.max(1, Math.min(Math.floor(tun.workgroupsPerSystem ?? Gdefault), 4096));
  const firstChunk = Math.max(1, Math.floor(tun.firstChunk ?? 16));
  const maxChunk = Math.max(firstChunk, Math.floor(tun.maxChunk ?? 128));
  const ring = p.history ? maxChunk + 2 : 0;
  const ps2 = p2Stride(jacobi);
  let wOff = 0;
  const take = (words: number) => {
    const o = wOff;
    wOff += words;
    return o;
  };
  const S0 = take(8 * nSys), S1 = take(8 * nSys);
  const P1 = take(2 * nSys * G), P2 = take(ps2 * nSys * G);
  const PT = take(2 * nSys * G), PB = take(2 * nSys * G);
  const SNAP = take(8 * nSys);
  const HIST = take(ring * nSys);
  if (wOff * 4 > lim.maxStorageBufferBindingSize) {
    ctx.dispose(...temps);
    throw new RangeError(
      `cg: the solver state of ${nSys} systems (${wOff * 4} bytes) exceeds ` +
        `maxStorageBufferBindingSize (${lim.maxStorageBufferBindingSize})`,
    );
  }
  const N = nSys * n;
  const X = alloc(4 * N), R = alloc(4 * N), Pa = alloc(4 * N), Pb = alloc(4 * N);
  const Qv = alloc(4 * N), W = alloc(wOff * 4);

  // ---- uniforms: slot 1 = odd iterations (S0 → S1), slot 0 = even (S1 → S0) and the init
  const slotBytes = Math.max(256, lim.minUniformBufferOffsetAlignment);
  const uni = dev.createBuffer({
    size: 2 * slotBytes,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    label: "cg params",
  });
  const f32bits = (v: number) => new Uint32Array(new Float32Array([v]).buffer)[0];
  const params = new Uint32Array((2 * slotBytes) / 4);
  for (const slot of [0, 1]) {
    const w = new Uint32Array(CG_PARAM_WORDS);
    w[CG_PARAM.n] = n;
    w[CG_PARAM.G] = G;
    w[CG_PARAM.nSys] = nSys;
    w[CG_PARAM.valsStride] = valsStride;
    w[CG_PARAM.minvStride] = minvStride;
    w[CG_PARAM.sIn] = slot === 1 ? S0 : S1;
    w[CG_PARAM.sOut] = slot === 1 ? S1 : S0;
    w[CG_PARAM.p1] = P1;
    w[CG_PARAM.p2] = P2;
    w[CG_PARAM.pt] = PT;
    w[CG_PARAM.hist] = HIST;
    w[CG_PARAM.ring] = ring;
    w[CG_PARAM.valsOff] = valsOff;
    w[CG_PARAM.ipOff] = ipOff;
    w[CG_PARAM.ixOff] = ixOff;
    w[CG_PARAM.minvOff] = minv ? minv._off : 0;
    w[CG_PARAM.bOff] = b._off;
    w[CG_PARAM.snap] = SNAP;
    w[CG_PARAM.rtol] = f32bits(p.rtol);
    w[CG_PARAM.atol] = f32bits(p.atol);
    w[CG_PARAM.pb] = PB;
    w[CG_PARAM.x0Off] = x0 ? x0._off : 0;
    params.set(w, (slot * slotBytes) / 4);
  }
  dev.queue.writeBuffer(uni, 0, params);

  // ---- pipelines and bind groups
  dev.pushErrorScope("out-of-memory");
  dev.pushErrorScope("validation");
  const vk = variantKey(variant);
  const kern = (key: string, src: () => CgSource) => kernelOf(dev, sh.pipes, key, src);
  const bufOf: Record<string, Storage> = { x: X, r: R, q: Qv, W, b: b._s! };
  if (minv) bufOf.minv = minv._s!;
  if (x0) bufOf.x0 = x0._s!;
  bufOf.vals = matBufs[0];
  if (fmt.kind === "csr") {
    bufOf.ip = matBufs[1];
    bufOf.ix = matBufs[2];
  }
  // p_k lives in P[k & 1]: K1(k) reads P[(k + 1) & 1] and writes P[k & 1]
  const Pk = [Pa, Pb];
  const bind = (kk: CgKernel, slot: number): GPUBindGroup => {
    const extra: Record<string, Storage> = {
      pOld: Pk[(slot + 1) & 1],
      pNew: Pk[slot],
      p: Pk[slot],
    };
    const entries: GPUBindGroupEntry[] = [{
      binding: 0,
      resource: { buffer: uni, offset: slot * slotBytes, size: CG_PARAM_WORDS * 4 },
    }];
    kk.names.forEach((nm, i) => {
      const s = extra[nm] ?? bufOf[nm];
      if (!s) throw new Error(`cg: internal: no buffer for binding ${nm}`);
      entries.push({ binding: i + 1, resource: { buffer: s.buffer } });
    });
    return dev.createBindGroup({ layout: kk.bgl, entries, label: kk.label });
  };
  const K1 = kern(`k1:${vk}`, () => k1Source(variant));
  const K2 = kern(`k2:${vk}`, () => k2Source(variant));
  const I1 = kern(`i1:${vk}:${x0 ? 1 : 0}`, () => i1Source(variant, x0 !== null));
  const I2 = kern(`i2:${jacobi}:${wg}`, () => i2Source(jacobi, wg));
  const I3 = kern(`i3:${wg}`, () => i3Source(wg));
  const fmtKey = fmt.kind === "dia" ? `dia[${fmt.offsets.join(",")}]` : "csr";
  const T1 = kern(`t1:${fmtKey}:${wg}`, () => t1Source(fmt, wg));
  const T2 = kern(`t2:${jacobi}:${wg}`, () => t2Source(jacobi, wg));
  const bgK1 = [bind(K1, 0), bind(K1, 1)];
  const bgK2 = [bind(K2, 0), bind(K2, 1)];
  const bgT2 = [bind(T2, 0), bind(T2, 1)];
  const bgI1 = bind(I1, 0), bgI2 = bind(I2, 0), bgI3 = bind(I3, 0), bgT1 = bind(T1, 0);
  const setupErrors = Promise.all([dev.popErrorScope(), dev.popErrorScope()]);

  const [gx, gy] = grid(nSys * G, eng.maxGroups);
  const [sx, sy] = grid(nSys, eng.maxGroups);

  // ---- timestamps
  const hasTs = dev.features.has("timestamp-query");
  const qs = hasTs ? dev.createQuerySet({ type: "timestamp", count: 2 * TS_SLOTS }) : null;
  const qResolve = hasTs
    ? dev.createBuffer({
      size: 256 * TS_SLOTS,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
      label: "cg timestamps",
    })
    : null;
  let tsNext = 0;

  // ---- traffic model (bytes per iteration)
  const matBytes = fmt.kind === "dia" ? 4 * fmt.offsets.length * n : 8 * nnz + 4 * (n + 1);
  const bytesPerIter = (aBatched ? nSys : 1) * matBytes + nSys * n * 40 +
    (jacobi ? (minvStride ? nSys : 1) * n * 8 : 0);

  // everything the namespace recorded (copies, DIA build, finiteness flags) goes first
  eng.flush();
  const finiteHost = p.finite.map((f) => ctx.ns.toHost(f.ok));
  finiteHost.forEach((h) => h.catch(() => {}));

  // ---- encoding
  const snapBytes = 8 * nSys * 4;
  const acquireStaging = (bytes: number): GPUBuffer => {
    const cls = sizeClass(bytes);
    const list = sh.stagingFree.get(cls);
    if (list && list.length > 0) return list.pop()!;
    return dev.createBuffer({
      size: cls,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      label: "cg staging",
    });
  };
  const releaseStaging = (buf: GPUBuffer) => {
    let list = sh.stagingFree.get(buf.size);
    if (!list) sh.stagingFree.set(buf.size, list = []);
    if (list.length < 16) list.push(buf);
    else buf.destroy();
  };
  const submitted: Pending[] = [];
  const mapping: Pending[] = [];
  const chunkLog: WebGpuCgChunk[] = [];
  let kEnc = 0;
  let histNext = 0;

  let hostEncodeMs = 0, hostSubmitMs = 0;
  const encodeChunk = (from: number, to: number): Pending => {
    const tEnc = performance.now();
    const enc = dev.createCommandEncoder({ label: "cg chunk" });
    const tsSlot = tsNext++ % TS_SLOTS;
    const pass = enc.beginComputePass(
      qs
        ? {
          timestampWrites: {
            querySet: qs,
            beginningOfPassWriteIndex: 2 * tsSlot,
            endOfPassWriteIndex: 2 * tsSlot + 1,
          },
        }
        : undefined,
    );
    if (from === 0) {
      pass.setPipeline(I1.pipeline);
      pass.setBindGroup(0, bgI1);
      pass.dispatchWorkgroups(gx, gy);
      pass.setPipeline(I2.pipeline);
      pass.setBindGroup(0, bgI2);
      pass.dispatchWorkgroups(sx, sy);
      if (x0) {
        pass.setPipeline(I3.pipeline);
        pass.setBindGroup(0, bgI3);
        pass.dispatchWorkgroups(gx, gy);
      }
    }
    const k1p = K1.pipeline, k2p = K2.pipeline;
    for (let k = from + 1; k <= to; k++) {
      const sl = k & 1;
      pass.setPipeline(k1p);
      pass.setBindGroup(0, bgK1[sl]);
      pass.dispatchWorkgroups(gx, gy);
      pass.setPipeline(k2p);
      pass.setBindGroup(0, bgK2[sl]);
      pass.dispatchWorkgroups(gx, gy);
    }
    pass.setPipeline(T1.pipeline);
    pass.setBindGroup(0, bgT1);
    pass.dispatchWorkgroups(gx, gy);
    pass.setPipeline(T2.pipeline);
    pass.setBindGroup(0, bgT2[to & 1]);
    pass.dispatchWorkgroups(sx, sy);
    pass.end();
    const histRows = ring > 0 ? to - histNext + 1 : 0;
    const histBytes = histRows * nSys * 4;
    const tsOffset = Math.ceil((snapBytes + histBytes) / 8) * 8;
    const total = tsOffset + (qs ? 16 : 0);
    const staging = acquireStaging(total);
    enc.copyBufferToBuffer(W.buffer, SNAP * 4, staging, 0, snapBytes);
    if (histRows > 0) {
      // rows histNext..to of the ring (row t at t % ring), in at most two pieces
      let t = histNext, dst = snapBytes;
      while (t <= to) {
        const r0 = t % ring;
        const cnt = Math.min(to - t + 1, ring - r0);
        enc.copyBufferToBuffer(W.buffer, (HIST + r0 * nSys) * 4, staging, dst, cnt * nSys * 4);
        dst += cnt * nSys * 4;
        t += cnt;
      }
    }
    if (qs && qResolve) {
      enc.resolveQuerySet(qs, 2 * tsSlot, 2, qResolve, 256 * tsSlot);
      enc.copyBufferToBuffer(qResolve, 256 * tsSlot, staging, tsOffset, 16);
    }
    const pe: Pending = {
      from,
      to,
      cb: enc.finish(),
      submitMs: 0,
      histFrom: histNext,
      staging,
      bytes: total,
      tsOffset,
      promise: null,
      failed: null,
    };
    hostEncodeMs += performance.now() - tEnc;
    if (ring > 0) histNext = to + 1;
    kEnc = to;
    return pe;
  };
  const submit = (pe: Pending) => {
    const t = performance.now();
    dev.queue.submit([pe.cb!]);
    pe.cb = null;
    hostSubmitMs += performance.now() - t;
    pe.submitMs = performance.now() - t0;
    submitted.push(pe);
  };
  // In Deno, mapAsync blocks until *all* submitted work is done and resolves a poll tick
  // later: map every submitted snapshot at once (the first call waits for the GPU), then submit
  // the pre-encoded next batch, so the GPU works while the maps resolve.
  const mapAll = (): Pending[] => {
    const list = submitted.splice(0);
    for (const pe of list) {
      pe.promise = pe.staging.mapAsync(GPUMapMode.READ, 0, pe.bytes).then(
        () => {},
        (e) => {
          pe.failed = e ?? new Error("map failed");
        },
      );
    }
    return list;
  };

  // ---- schedule state
  const model = sh.model;
  const guessUs = (model.fixedUs + bytesPerIter / model.bytesPerUs) * model.factor;
  let tauUs = guessUs;
  let tsSumUs = 0, tsIts = 0;
  const aheadUs = 1000 * (tun.aheadMs ?? 25);
  const margin = tun.margin ?? 0.1;
  // before the first snapshot: at most 2n + 16 iterations (CG's count in exact arithmetic is
  // at most n), and at most 256 while this device's speed is uncalibrated
  let limit = Math.min(maxiter, 2 * n + 16, model.calibrated ? Infinity : 256);
  let chunkLen = firstChunk;
  let gpuOrigin: bigint | null = null;
  const snaps: { k: number; res: Float32Array; active: Uint32Array }[] = [];
  let tol: Float32Array | null = null;
  const histRows: Float32Array[] = [];
  let final: { rows: ArrayBuffer; k: number } | null = null;
  let snapshots = 0;
  let setupMs = 0;
  let activeBefore = true;

  // The next batch: chunks of iterations worth about aheadMs of GPU time (capped by limit).
  const encodeBatch = (): Pending[] => {
    const out: Pending[] = [];
    let its = 0;
    while (kEnc < limit && (out.length === 0 || its * tauUs < aheadUs)) {
      const to = Math.min(kEnc + chunkLen, limit);
      its += to - kEnc;
      out.push(encodeChunk(kEnc, to));
      chunkLen = Math.min(maxChunk, chunkLen * 2);
    }
    return out;
  };

  const predict = () => {
    const last = snaps[snaps.length - 1];
    if (!last || !tol) return null;
    // baseline: the earlier snapshot closest to half-way (CG's early residuals are erratic)
    let base = null;
    for (const sn of snaps) {
      if (last.k - sn.k < 4) continue;
      if (!base || Math.abs(sn.k - last.k / 2) < Math.abs(base.k - last.k / 2)) base = sn;
    }
    if (!base) return null;
    let worst = last.k;
    for (let s = 0; s < nSys; s++) {
      if (last.active[s] === 0) continue;
      const r1 = base.res[s], r2 = last.res[s], th = tol[s];
      if (!(r1 > 0) || !(r2 > 0) || !(th > 0) || !(r2 < r1)) return null;
      const rate = Math.log(r2 / r1) / (last.k - base.k);
      worst = Math.max(worst, last.k + Math.log(th / r2) / rate);
    }
    return worst;
  };

  const release = () => {
    for (const pe of submitted) releaseStaging(pe.staging);
    for (const pe of mapping) {
      const st = pe.staging;
      pe.promise?.then(() => {
        if (pe.failed) return;
        try {
          st.unmap();
          releaseStaging(st);
        } catch {
          // the device went away meanwhile
        }
      });
    }
    submitted.length = 0;
    mapping.length = 0;
    uni.destroy();
    qs?.destroy();
    qResolve?.destroy();
  };

  // Setup errors and the finiteness flags are checked off the critical path: they resolve with
  // the first poll tick, and the loop must not wait a tick for them before queuing more work.
  let checked = false;
  let checkError: unknown = null;
  const checks = (async () => {
    const errs = (await setupErrors).filter((e) => e !== null);
    if (errs.length > 0) throw new Error(`webgpu: GPU error in the fused cg: ${errs[0]!.message}`);
    const flags = await Promise.all(finiteHost);
    flags.forEach((h, i) => {
      const bad = Array.prototype.findIndex.call(h, (v: number) => v === 0);
      if (bad >= 0) {
        throw new RangeError(
          `cg: ${p.finite[i].name} contains NaN or Inf` +
            (nSys > 1 ? ` (first affected system: ${bad})` : ""),
        );
      }
    });
    checked = true;
  })();
  checks.catch((e) => (checkError = e));

  let xOut: A | null = null;
  try {
    setupMs = performance.now() - t0;
    // first batch: submitted chunk by chunk, so the GPU starts on the first one at once
    {
      let its = 0;
      while (kEnc < limit && (submitted.length === 0 || its * tauUs < aheadUs)) {
        const to = Math.min(kEnc + chunkLen, limit);
        its += to - kEnc;
        submit(encodeChunk(kEnc, to));
        chunkLen = Math.min(maxChunk, chunkLen * 2);
      }
    }
    while (final === null) {
      const next = encodeBatch();
      if (submitted.length === 0) {
        if (next.length === 0) {
          limit = Math.min(maxiter, kEnc + chunkLen);
          if (kEnc >= limit) throw new Error("cg: internal scheduling error");
          continue;
        }
        for (const pe of next) submit(pe);
        continue;
      }
      mapping.push(...mapAll());
      for (const pe of next) submit(pe);
      while (mapping.length > 0 && final === null) {
        const pe = mapping[0];
        await pe.promise;
        if (checkError !== null) throw checkError;
        if (p.onProgress && !checked) await checks;
        if (pe.failed) {
          eng.check();
          throw new Error(`webgpu: read-back failed in the fused cg: ${pe.failed}`);
        }
        const buf = pe.staging.getMappedRange(0, pe.bytes).slice(0);
        pe.staging.unmap();
        mapping.shift();
        releaseStaging(pe.staging);
        snapshots++;
        const u32 = new Uint32Array(buf, 0, 8 * nSys);
        const f32 = new Float32Array(buf, 0, 8 * nSys);
        const active = u32.subarray(0, nSys);
        let nActive = 0;
        for (let s = 0; s < nSys; s++) if (active[s] !== 0) nActive++;
        let gpuUs: number | null = null;
        let gpuStartUs: number | null = null;
        if (qs) {
          const ts = new BigUint64Array(buf, pe.tsOffset, 2);
          gpuUs = Number(ts[1] - ts[0]) / 1000;
          if (gpuOrigin === null) gpuOrigin = ts[0];
          gpuStartUs = Number(ts[0] - gpuOrigin) / 1000;
          // iterations of chunks that started with an active system (the init is noise)
          if (activeBefore && gpuUs > 0) {
            tsSumUs += gpuUs;
            tsIts += pe.to - pe.from;
          }
        }
        chunkLog.push({
          from: pe.from,
          to: pe.to,
          gpuUs,
          gpuStartUs,
          submitMs: pe.submitMs,
          readMs: performance.now() - t0,
          active: nActive,
        });
        activeBefore = nActive > 0;
        if (ring > 0) {
          const rows = pe.to - pe.histFrom + 1;
          for (let t = 0; t < rows; t++) {
            histRows[pe.histFrom + t] = new Float32Array(buf, snapBytes + t * nSys * 4, nSys);
          }
        }
        const res = f32.slice(4 * nSys, 5 * nSys);
        if (!tol) tol = f32.slice(6 * nSys, 7 * nSys);
        snaps.push({ k: pe.to, res, active: active.slice() });
        if (p.onProgress) {
          p.onProgress({
            iteration: pe.to,
            active: nActive,
            residualNorm: Float64Array.from(res),
            threshold: Float64Array.from(tol),
          });
        }
        if (nActive === 0 || pe.to >= maxiter) final = { rows: buf, k: pe.to };
      }
      if (final !== null) break;
      // per-iteration time: GPU timestamps, else the wall clock of the first submit to the
      // last read-back (an upper bound)
      const lastK = snaps[snaps.length - 1].k;
      if (tsIts > 0) tauUs = tsSumUs / tsIts;
      else {
        const c0 = chunkLog[0];
        tauUs = Math.max(1, ((performance.now() - t0 - c0.submitMs) * 1000) / Math.max(1, lastK));
      }
      const pred = predict();
      limit = pred === null
        ? maxiter
        : Math.min(maxiter, Math.max(kEnc, Math.ceil(pred + margin * pred) + firstChunk));
    }
    await checks;
    // ---- result
    const fin = final!;
    const u32 = new Uint32Array(fin.rows, 0, 8 * nSys);
    const i32 = new Int32Array(fin.rows, 0, 8 * nSys);
    const f32 = new Float32Array(fin.rows, 0, 8 * nSys);
    const info = new Int32Array(nSys);
    const iterations = new Int32Array(nSys);
    const residualNorm = new Float64Array(nSys);
    let kStop = 0;
    for (let s = 0; s < nSys; s++) {
      const its = u32[nSys + s];
      const code = i32[2 * nSys + s];
      iterations[s] = its;
      info[s] = code < 0 ? code : its >= maxiter ? maxiter : 0;
      residualNorm[s] = f32[5 * nSys + s];
      kStop = Math.max(kStop, its);
    }
    if (tsIts > 0) {
      // calibrate the first-queue guess of the next solve on this device
      const measured = tsSumUs / tsIts;
      const raw = model.fixedUs + bytesPerIter / model.bytesPerUs;
      model.factor = Math.min(1e4, Math.max(0.05, measured / raw));
      model.calibrated = true;
    }
    let residualHistory: Float64Array[] | undefined;
    if (p.history) {
      residualHistory = [];
      for (let s = 0; s < nSys; s++) {
        const h = new Float64Array(kStop + 1);
        for (let t = 0; t <= kStop; t++) h[t] = histRows[t][s];
        residualHistory.push(h);
      }
    }
    // x leaves the owned list: it becomes the result array
    owned.splice(owned.indexOf(X), 1);
    xOut = ctx.make(X, [...p.batch, n], "float32");
    const wallMs = performance.now() - t0;
    sh.report({
      format: fmt.kind,
      diagonals: fmt.kind === "dia" ? fmt.offsets.length : 0,
      workgroupsPerSystem: G,
      workgroupSize: wg,
      systems: nSys,
      n,
      iterations: kStop,
      encodedIterations: kEnc,
      chunkCount: chunkLog.length + mapping.length + submitted.length,
      snapshots,
      setupMs,
      wallMs,
      gpuUsPerIteration: tsIts > 0 ? tsSumUs / tsIts : null,
      bytesPerIteration: bytesPerIter,
      solverBytes,
      diaBytes,
      hostEncodeMs,
      hostSubmitMs,
      chunks: chunkLog,
    });
    return {
      x: xOut,
      info,
      iterations,
      residualNorm,
      ...(residualHistory ? { residualHistory } : {}),
    };
  } finally {
    release();
    for (const s of owned) ctx.unref(s);
    ctx.dispose(...temps);
  }
}
