/**
 * `webgpu()`: the array namespace over WebGPU buffers.
 *
 * @module
 */
import type {
  ArrayNamespace,
  Capabilities,
  CsrData,
  DefaultDTypes,
  DType,
  DTypeKind,
  FloatDType,
  FusedProgram,
  FusedResult,
  HostArray,
  NamespaceInfo,
  Scalar,
  Shape,
} from "../../array_api/types.ts";
import { canCast, finfo, iinfo, isdtype, resultType } from "../../array_api/dtypes.ts";
import { checkShape, fmtShape, stridesOf } from "../../array_api/shapes.ts";
import { Ctx, describe } from "./_ctx.ts";
import { Engine } from "./_engine.ts";
import { elementwiseOps } from "./_elementwise.ts";
import { creationOps } from "./_creation.ts";
import { copyOf, manipOps } from "./_manip.ts";
import { reduceOps } from "./_reduce.ts";
import { matmulOps } from "./_matmul.ts";
import { linalgOps } from "./_linalg.ts";
import { fuseOp } from "./_fuse.ts";
import { csrOps } from "./_csr.ts";
import { webgpuSolvers } from "./_cg.ts";
import type { WebGpuSolvers } from "./solvers.ts";
import { WebGpuArray } from "./webgpu_array.ts";

/**
 * Options of {@linkcode webgpu}.
 *
 * @example
 * ```ts
 * import { webgpu, type WebGpuOptions } from "./mod.ts";
 * const opts: WebGpuOptions = { powerPreference: "high-performance" };
 * const xp = await webgpu(opts);
 * ```
 */
export interface WebGpuOptions {
  /** An existing device to share (tfjs, a renderer); its limits and features are used as is. */
  device?: GPUDevice;
  /** The adapter to open a device on (default: `navigator.gpu.requestAdapter`). */
  adapter?: GPUAdapter;
  /** Adapter preference when no adapter/device is given. */
  powerPreference?: GPUPowerPreference;
  /** Enable float16 when the adapter has `shader-f16` (default true). */
  float16?: boolean;
  /** Dispatches recorded before an automatic submit (default 1024). */
  maxPendingDispatches?: number;
  /** Bytes of released buffers kept for reuse (default 1 GiB). */
  maxPoolBytes?: number;
}

/**
 * Memory and work counters of a WebGPU namespace (see {@linkcode WebGpuNamespace.stats}).
 *
 * @example
 * ```ts
 * import { webgpu } from "./mod.ts";
 * const xp = await webgpu();
 * console.log(xp.stats().liveBytes);
 * ```
 */
export interface WebGpuStats {
  /** Bytes held by live arrays (rounded to pool size classes). */
  readonly liveBytes: number;
  /** Bytes of released buffers kept for reuse. */
  readonly freeBytes: number;
  /** Buffers created. */
  readonly buffersCreated: number;
  /** Allocations served from the pool. */
  readonly buffersReused: number;
  /** Buffers destroyed because the pool was over budget. */
  readonly buffersDestroyed: number;
  /** Compute dispatches recorded. */
  readonly dispatches: number;
  /** Command buffers submitted. */
  readonly submits: number;
  /** Pipelines compiled. */
  readonly pipelines: number;
  /** Bind groups created. */
  readonly bindGroups: number;
  /** Read-backs (`toHost`). */
  readonly readbacks: number;
}

/**
 * The WebGPU namespace: the whole {@linkcode ArrayNamespace} over {@linkcode WebGpuArray}, with
 * the `fuse`, `csrMatvec` and `csrMatmat` kernels, plus device access and housekeeping.
 *
 * @example
 * ```ts
 * import { webgpu } from "./mod.ts";
 * const xp = await webgpu();
 * const y = xp.add(xp.arange(4, undefined, 1, { dtype: "float32" }), 1);
 * console.log(await xp.toHost(y)); // Float32Array [1, 2, 3, 4]
 * ```
 */
export interface WebGpuNamespace extends ArrayNamespace<WebGpuArray> {
  /** Runs a fused program as one kernel (sums over the last axis as row reductions). */
  fuse(
    program: FusedProgram,
    inputs: readonly (WebGpuArray | number)[],
    options: { dtype: FloatDType; out?: Readonly<Record<string, WebGpuArray>> },
  ): FusedResult<WebGpuArray>;
  /** CSR matrix–vector products (see {@linkcode ArrayNamespace.csrMatvec}). */
  csrMatvec(a: CsrData<WebGpuArray>, x: WebGpuArray, out?: WebGpuArray): WebGpuArray;
  /** CSR matrix–matrix products (see {@linkcode ArrayNamespace.csrMatmat}). */
  csrMatmat(a: CsrData<WebGpuArray>, x: WebGpuArray, out?: WebGpuArray): WebGpuArray;
  /** Whole-loop solver fast paths: the fused CG for shared-pattern CSR operators (see
   * {@linkcode WebGpuSolvers}). */
  readonly solvers: WebGpuSolvers;
  /** The `GPUDevice` (shared with the caller when one was passed in). */
  readonly gpuDevice: GPUDevice;
  /** Submits all recorded work now (without waiting). */
  flush(): void;
  /** Submits, waits until the GPU is idle, and rejects with pending GPU errors. */
  sync(): Promise<void>;
  /** Memory and work counters. */
  stats(): WebGpuStats;
  /**
   * Wraps an existing storage buffer (e.g. from tfjs or a renderer on the same device) as an
   * array without copying; the namespace never destroys or pools it. Work this namespace has
   * recorded is submitted lazily: call `flush()` before writing to the buffer by other means
   * (a `queue.writeBuffer` runs before commands that are still unsubmitted).
   */
  fromBuffer(
    buffer: GPUBuffer,
    shape: Shape,
    options?: { dtype?: DType; offset?: number },
  ): WebGpuArray;
  /** Frees pooled memory (and the device when this namespace created it). */
  destroy(): void;
}

const WANTED_LIMITS = [
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxStorageBuffersPerShaderStage",
  "maxComputeWorkgroupStorageSize",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupSizeX",
  "maxComputeWorkgroupsPerDimension",
] as const;

/**
 * Opens (or shares) a WebGPU device and returns the array namespace over it. Dtypes: float32
 * (default), int32, uint32, bool (stored as 32-bit words), and float16 when the adapter has
 * `shader-f16`. There is no float64: every float64 request is a `TypeError` pointing to the CPU
 * backend or to mixed-precision refinement. Work is recorded lazily into one compute pass and
 * submitted by `toHost` (or automatically after many dispatches). No adapter → `Error`.
 *
 * Limits: one array must fit one storage binding (`maxStorageBufferBindingSize`, a
 * `RangeError` names it); dense `linalg` works per matrix in one workgroup (see `linalg` docs
 * in the module README for the sizes).
 *
 * @example
 * ```ts
 * import { webgpu } from "./mod.ts";
 * const xp = await webgpu();
 * const A = xp.asarray([[4, 1], [1, 3]]);
 * const x = xp.linalg.solve(A, xp.asarray([1, 2]));
 * console.log(await xp.toHost(x)); // Float32Array [0.0909…, 0.6363…]
 * ```
 */
export async function webgpu(options: WebGpuOptions = {}): Promise<WebGpuNamespace> {
  let device = options.device;
  let adapterName = "shared device";
  const owns = !device;
  if (!device) {
    const gpu = (globalThis.navigator as Navigator & { gpu?: GPU }).gpu;
    if (!gpu) {
      throw new Error(
        "webgpu: navigator.gpu is not available in this runtime (Deno: built-in; browsers: a " +
          "secure context with WebGPU enabled)",
      );
    }
    const adapter = options.adapter ??
      await gpu.requestAdapter({ powerPreference: options.powerPreference });
    if (!adapter) {
      throw new Error(
        "webgpu: no WebGPU adapter is available (navigator.gpu.requestAdapter() returned null; " +
          "on Linux a Vulkan driver such as Mesa lavapipe or a GPU driver is needed)",
      );
    }
    const info = adapter.info;
    adapterName = info?.description || info?.device || info?.vendor || "adapter";
    const requiredLimits: Record<string, number> = {};
    for (const k of WANTED_LIMITS) requiredLimits[k] = adapter.limits[k];
    const requiredFeatures: GPUFeatureName[] = [];
    if (adapter.features.has("shader-f16") && options.float16 !== false) {
      requiredFeatures.push("shader-f16");
    }
    if (adapter.features.has("timestamp-query")) requiredFeatures.push("timestamp-query");
    device = await adapter.requestDevice({
      requiredFeatures,
      requiredLimits,
      label: "krylov webgpu",
    });
  }
  const engine = new Engine(device, {
    maxPendingDispatches: options.maxPendingDispatches ?? 1024,
    maxPoolBytes: options.maxPoolBytes ?? 2 ** 30,
    ownsDevice: owns,
  });
  const f16 = engine.hasF16 && options.float16 !== false;
  const ctx = new Ctx(engine, "webgpu:0");
  if (!f16) {
    (ctx as { dtypes: readonly DType[] }).dtypes = ctx.dtypes.filter((d) => d !== "float16");
  }
  return buildNamespace(ctx, `webgpu (${adapterName})`);
}

function buildNamespace(ctx: Ctx, name: string): WebGpuNamespace {
  type A = WebGpuArray;
  const engine = ctx.engine;
  const ew = elementwiseOps(ctx);
  const cr = creationOps(ctx, ew.astype);
  const mp = manipOps(ctx);
  const rd = reduceOps(ctx, (shape, v, o) => cr.full(shape, v, o));
  const mm = matmulOps(ctx);
  const capabilities: Capabilities = {
    "boolean indexing": false,
    "data-dependent shapes": false,
    "max dimensions": 16,
    float64: false,
  };
  const defaults: DefaultDTypes = {
    "real floating": "float32",
    "complex floating": "complex64",
    integral: "int32",
    indexing: "int32",
  };
  const info: NamespaceInfo = {
    capabilities: () => capabilities,
    default_device: () => ctx.device,
    default_dtypes: () => defaults,
    dtypes: (o = {}) => {
      const out: Record<string, DType> = {};
      for (const d of ctx.dtypes) {
        if (o.kind === undefined || isdtype(d, o.kind)) out[d] = d;
      }
      return out;
    },
    devices: () => [ctx.device],
  };
  const dtypeOf = (t: DType | A): DType => {
    if (t instanceof WebGpuArray) return t.dtype;
    if (typeof t === "object" && t !== null) {
      ctx.live(t, "dtype query");
    }
    return t as DType;
  };

  async function toHost(x: A): Promise<HostArray> {
    const s = ctx.live(x, "toHost");
    const dt = x.dtype;
    if (x.size === 0) return emptyHost(dt);
    const isz = ctx.itemBytes(dt);
    let src = x, st = s;
    const noCopySrc = s.external && !(s.buffer.usage & GPUBufferUsage.COPY_SRC);
    if (!x._contig || (x._off * isz) % 4 !== 0 || noCopySrc) {
      src = copyOf(ctx, x);
      st = src._s!;
    }
    const bytes = x.size * isz;
    const p = engine.read(st, src._off * isz, bytes);
    if (src !== x) ctx.dispose(src);
    const buf = await p;
    switch (dt) {
      case "float32":
        return new Float32Array(buf);
      case "float16":
        return Float32Array.from(new Float16Array(buf));
      case "int32":
        return new Int32Array(buf);
      case "uint32":
        return new Uint32Array(buf);
      default:
        return Uint8Array.from(new Uint32Array(buf));
    }
  }

  const ns = {
    __array_api_version__: "2025.12",
    name,
    __array_namespace_info__: (): NamespaceInfo => info,
    e: Math.E,
    pi: Math.PI,
    inf: Infinity,
    nan: NaN,
    newaxis: null,
    ...cr,
    ...ew,
    ...mp,
    ...rd,
    ...mm,
    can_cast: (from: DType | A, to: DType): boolean => canCast(dtypeOf(from), to),
    finfo: (t: DType | A) => finfo(dtypeOf(t)),
    iinfo: (t: DType | A) => iinfo(dtypeOf(t)),
    isdtype: (
      dtype: DType,
      kind: DTypeKind | DType | readonly (DTypeKind | DType)[],
    ): boolean => isdtype(dtype, kind),
    result_type: (...items: (A | DType | Scalar)[]): DType =>
      resultType(
        items.map((i) => (i instanceof WebGpuArray ? i.dtype : i) as DType | Scalar),
        "float32",
      ),
    toHost,
    dispose: (...arrays: A[]): void => {
      for (const a of arrays) {
        if (!(a instanceof WebGpuArray)) {
          throw new TypeError(`dispose: expected webgpu arrays, got ${describe(a)}`);
        }
        if (a._ns !== nsRef) throw new TypeError("dispose: the array belongs to another namespace");
        ctx.dispose(a);
      }
    },
    gpuDevice: engine.device,
    flush: (): void => engine.flush(),
    sync: (): Promise<void> => engine.sync(),
    stats: (): WebGpuStats => ({
      liveBytes: engine.pool.stats.liveBytes,
      freeBytes: engine.pool.stats.freeBytes,
      buffersCreated: engine.pool.stats.created,
      buffersReused: engine.pool.stats.reused,
      buffersDestroyed: engine.pool.stats.destroyed,
      ...engine.counters,
    }),
    fromBuffer: (
      buffer: GPUBuffer,
      shape: Shape,
      o: { dtype?: DType; offset?: number } = {},
    ): A => {
      const s = checkShape(shape);
      const dt = o.dtype ?? "float32";
      ctx.checkDType(dt, "fromBuffer");
      const off = o.offset ?? 0;
      const n = s.reduce((p, d) => p * d, 1);
      if (!Number.isSafeInteger(off) || off < 0 || (off + n) * ctx.itemBytes(dt) > buffer.size) {
        throw new RangeError(
          `fromBuffer: ${
            fmtShape(s)
          } ${dt} at offset ${off} does not fit a buffer of ${buffer.size} bytes`,
        );
      }
      if (!(buffer.usage & GPUBufferUsage.STORAGE)) {
        throw new TypeError("fromBuffer: the buffer needs GPUBufferUsage.STORAGE");
      }
      return ctx.make(engine.pool.wrap(buffer), s, dt, off, stridesOf(s));
    },
    destroy: (): void => engine.destroy(),
  };
  // deno-lint-ignore no-explicit-any
  const nsRef = ns as any as WebGpuNamespace;
  ctx.ns = nsRef;
  const la = linalgOps(ctx, nsRef);
  Object.assign(ns, {
    linalg: la,
    fuse: fuseOp(ctx),
    ...csrOps(ctx),
    solvers: webgpuSolvers(ctx),
  });
  return nsRef;
}

function emptyHost(dt: DType): HostArray {
  switch (dt) {
    case "float32":
    case "float16":
      return new Float32Array(0);
    case "int32":
      return new Int32Array(0);
    case "uint32":
      return new Uint32Array(0);
    default:
      return new Uint8Array(0);
  }
}
