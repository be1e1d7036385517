/**
 * The WebGPU execution engine behind the namespace: one open command encoder and compute pass
 * that every op records into, a uniform ring for op parameters (written once per submit with
 * a dynamic offset per dispatch), pipeline / bind-group-layout / bind-group caches, the buffer
 * pool, read-back through pooled MAP_READ staging buffers, a status buffer through which
 * kernels report data errors (singular matrix, index out of range), and GPU error capture.
 *
 * @module
 */
import { BufferPool, sizeClass, type Storage } from "./_pool.ts";

/** Bytes of the uniform binding every kernel sees (its parameter block must fit). */
export const UNIFORM_BYTES = 1024;
/** Largest parameter block in 32-bit words. */
export const MAX_PARAM_WORDS = UNIFORM_BYTES / 4;
/** Ring capacity in bytes (plus one binding of slack). */
const RING_BYTES = 1 << 20;
/** Number of status slots (data errors detected on the GPU). */
const STATUS_SLOTS = 1024;

/** A compiled kernel. @internal */
export interface Kernel {
  /** The pipeline. */
  readonly pipeline: GPUComputePipeline;
  /** Storage binding kinds after the uniform: `r` read-only, `w` read-write. */
  readonly sig: string;
  /** Label (op name) for error messages. */
  readonly label: string;
  /** Bind group layout. */
  readonly bgl: GPUBindGroupLayout;
}

/** What a kernel builder returns. @internal */
export interface KernelSource {
  /** WGSL source. */
  readonly code: string;
  /** Storage binding kinds after binding 0 (the uniform): `r` or `w`, in binding order. */
  readonly sig: string;
  /** Label. */
  readonly label: string;
}

/** Formats the value a kernel stored into a status slot as an error message. @internal */
export type StatusFormatter = (value: number) => RangeError;

/** Engine options. @internal */
export interface EngineOptions {
  /** Dispatches recorded before an automatic submit. */
  maxPendingDispatches: number;
  /** Bytes kept in the pool for reuse. */
  maxPoolBytes: number;
  /** Whether the engine owns the device (destroy it on `destroy`). */
  ownsDevice: boolean;
}

/** The engine. @internal */
export class Engine {
  /** The device. */
  readonly device: GPUDevice;
  /** The device limits. */
  readonly limits: GPUSupportedLimits;
  /** Whether `shader-f16` is enabled. */
  readonly hasF16: boolean;
  /** The pool. */
  readonly pool: BufferPool;
  /** Serial of the open encoder (increments at every submit). */
  epoch = 1;
  /** Device-lost message once the device is gone. */
  lost: string | null = null;
  /** Max workgroups per grid dimension. */
  readonly maxGroups: number;
  /** Storage of the status buffer (bound by kernels that report data errors). */
  readonly status: Storage;
  /** Counters for tests and profiling. */
  readonly counters = { dispatches: 0, submits: 0, pipelines: 0, bindGroups: 0, readbacks: 0 };

  readonly #opts: EngineOptions;
  readonly #align: number;
  readonly #ring: ArrayBuffer;
  /** u32 view of the ring. */
  readonly ringU32: Uint32Array;
  readonly #ringBuf: GPUBuffer;
  #ringUsed = 0;
  #encoder: GPUCommandEncoder | null = null;
  #pass: GPUComputePassEncoder | null = null;
  #pending = 0;
  #labels = new Set<string>();
  #errors: Promise<Error | null>[] = [];
  #kernels = new Map<string, Kernel>();
  #layouts = new Map<string, { bgl: GPUBindGroupLayout; pl: GPUPipelineLayout }>();
  #bindGroups = new Map<string, GPUBindGroup>();
  #staging = new Map<number, GPUBuffer[]>();
  #slots: StatusFormatter[] = [];

  constructor(device: GPUDevice, opts: EngineOptions) {
    this.device = device;
    this.limits = device.limits;
    this.hasF16 = device.features.has("shader-f16");
    this.#opts = opts;
    this.maxGroups = device.limits.maxComputeWorkgroupsPerDimension;
    this.#align = Math.max(16, device.limits.minUniformBufferOffsetAlignment);
    this.#ring = new ArrayBuffer(RING_BYTES + UNIFORM_BYTES);
    this.ringU32 = new Uint32Array(this.#ring);
    // mapped at creation: the whole ring counts as initialized, so the implementation does not
    // track lazy zero-initialization per dispatch (which made recording cost grow with the
    // number of dispatches in a pass)
    this.#ringBuf = device.createBuffer({
      size: RING_BYTES + UNIFORM_BYTES,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      label: "krylov uniform ring",
      mappedAtCreation: true,
    });
    this.#ringBuf.unmap();
    this.pool = new BufferPool(device, opts.maxPoolBytes);
    this.pool.onDestroy = () => this.#bindGroups.clear();
    this.pool.onCreate = (size, create) => {
      if (size > this.limits.maxBufferSize) {
        throw new RangeError(
          `webgpu: a buffer of ${size} bytes exceeds this device's maxBufferSize ` +
            `(${this.limits.maxBufferSize} bytes)`,
        );
      }
      device.pushErrorScope("out-of-memory");
      const b = create();
      this.#track(device.popErrorScope(), `allocating ${size} bytes`);
      return b;
    };
    this.status = this.pool.wrap(device.createBuffer({
      size: STATUS_SLOTS * 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      label: "krylov status",
    }));
    device.lost.then((info) => {
      this.lost = `webgpu device lost (${info.reason}): ${info.message}`;
    });
  }

  /** Throws when the device is lost. */
  check(): void {
    if (this.lost !== null) throw new Error(this.lost);
  }

  #track(p: Promise<GPUError | null>, what: string): void {
    this.#errors.push(p.then(
      (e) => e ? new Error(`webgpu: GPU error while ${what}: ${e.message}`) : null,
      (e) => new Error(`webgpu: GPU error while ${what}: ${e?.message ?? e}`),
    ));
  }

  #layout(sig: string): { bgl: GPUBindGroupLayout; pl: GPUPipelineLayout } {
    let l = this.#layouts.get(sig);
    if (l) return l;
    const entries: GPUBindGroupLayoutEntry[] = [{
      binding: 0,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type: "uniform", hasDynamicOffset: true },
    }];
    for (let i = 0; i < sig.length; i++) {
      entries.push({
        binding: i + 1,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: sig[i] === "w" ? "storage" : "read-only-storage" },
      });
    }
    const bgl = this.device.createBindGroupLayout({ entries, label: `layout ${sig}` });
    const pl = this.device.createPipelineLayout({ bindGroupLayouts: [bgl] });
    l = { bgl, pl };
    this.#layouts.set(sig, l);
    return l;
  }

  /** The cached kernel under `key`, built on first use. */
  kernel(key: string, build: () => KernelSource): Kernel {
    const k = this.#kernels.get(key);
    if (k) return k;
    const src = build();
    if (src.sig.length > this.limits.maxStorageBuffersPerShaderStage) {
      throw new RangeError(
        `webgpu: ${src.label} needs ${src.sig.length} storage buffers, the device allows ` +
          `${this.limits.maxStorageBuffersPerShaderStage}`,
      );
    }
    const { pl, bgl } = this.#layout(src.sig);
    this.device.pushErrorScope("validation");
    const module = this.device.createShaderModule({ code: src.code, label: src.label });
    const pipeline = this.device.createComputePipeline({
      layout: pl,
      compute: { module, entryPoint: "main" },
      label: src.label,
    });
    this.#track(this.device.popErrorScope(), `compiling ${src.label}`);
    this.counters.pipelines++;
    const kern: Kernel = { pipeline, sig: src.sig, label: src.label, bgl };
    this.#kernels.set(key, kern);
    return kern;
  }

  #bindGroup(k: Kernel, bufs: readonly Storage[]): GPUBindGroup {
    let key = k.sig;
    for (let i = 0; i < bufs.length; i++) key += ":" + bufs[i].id;
    let bg = this.#bindGroups.get(key);
    if (bg) return bg;
    const entries: GPUBindGroupEntry[] = [{
      binding: 0,
      resource: { buffer: this.#ringBuf, offset: 0, size: UNIFORM_BYTES },
    }];
    for (let i = 0; i < bufs.length; i++) {
      entries.push({ binding: i + 1, resource: { buffer: bufs[i].buffer } });
    }
    if (this.#bindGroups.size > 8192) this.#bindGroups.clear();
    bg = this.device.createBindGroup({ layout: k.bgl, entries, label: k.label });
    this.#bindGroups.set(key, bg);
    this.counters.bindGroups++;
    return bg;
  }

  /**
   * Reserves `words` parameter words for the next dispatch and returns the word offset into
   * `ringU32` where the caller writes them (before calling `dispatch`).
   */
  params(words: number): number {
    if (words > MAX_PARAM_WORDS) {
      throw new RangeError(
        `webgpu: kernel parameters need ${words * 4} bytes (max ${UNIFORM_BYTES})`,
      );
    }
    if (this.#ringUsed + UNIFORM_BYTES > RING_BYTES) this.flush();
    return this.#ringUsed >> 2;
  }

  /**
   * Records one dispatch whose parameters were written at `paramOffset` (from `params`).
   * `groups` is the number of workgroups (folded into a 2-D grid when above the per-dimension
   * limit; kernels reconstruct the linear id from `num_workgroups`).
   */
  dispatch(
    k: Kernel,
    bufs: readonly Storage[],
    paramOffset: number,
    paramWords: number,
    groups: number,
    groupsZ = 1,
    groupsY = 0,
  ): void {
    if (groups <= 0 || groupsZ <= 0) return;
    if (paramOffset !== this.#ringUsed >> 2) throw new Error("webgpu: internal parameter misuse");
    const bg = this.#bindGroup(k, bufs);
    if (!this.#encoder) this.#encoder = this.device.createCommandEncoder();
    if (!this.#pass) this.#pass = this.#encoder.beginComputePass();
    const pass = this.#pass;
    const byteOff = this.#ringUsed;
    this.#ringUsed += Math.ceil(Math.max(4, paramWords * 4) / this.#align) * this.#align;
    pass.setPipeline(k.pipeline);
    pass.setBindGroup(0, bg, [byteOff]);
    let gx = groups, gy = 1;
    if (groupsY > 0) gy = groupsY;
    else if (gx > this.maxGroups) {
      gy = Math.ceil(gx / this.maxGroups);
      gx = Math.ceil(gx / gy);
      if (gy > this.maxGroups) {
        throw new RangeError(`webgpu: ${k.label} needs ${groups} workgroups (grid too large)`);
      }
    }
    pass.dispatchWorkgroups(gx, gy, groupsZ);
    for (let i = 0; i < bufs.length; i++) bufs[i].lastEpoch = this.epoch;
    if (this.#labels.size < 64) this.#labels.add(k.label);
    this.counters.dispatches++;
    if (++this.#pending >= this.#opts.maxPendingDispatches) this.flush();
  }

  /** Reserves parameters, copies `words` and records a dispatch. */
  run(
    k: Kernel,
    bufs: readonly Storage[],
    words: ArrayLike<number>,
    groups: number,
    groupsZ = 1,
    groupsY = 0,
  ): void {
    const off = this.params(words.length);
    this.ringU32.set(words, off);
    this.dispatch(k, bufs, off, words.length, groups, groupsZ, groupsY);
  }

  /** Uploads host bytes into a fresh storage (never one the open encoder uses). */
  upload(data: ArrayBufferView, minBytes: number): Storage {
    const bytes = Math.max(minBytes, data.byteLength);
    const s = this.pool.acquire(bytes, this.epoch);
    if (data.byteLength > 0) {
      const n = data.byteLength & ~3;
      if (n > 0) this.device.queue.writeBuffer(s.buffer, 0, data.buffer, data.byteOffset, n);
      if (n < data.byteLength) {
        const tail = new Uint8Array(4);
        tail.set(new Uint8Array(data.buffer, data.byteOffset + n, data.byteLength - n));
        this.device.queue.writeBuffer(s.buffer, n, tail);
      }
    }
    return s;
  }

  /**
   * Ends the pass and submits everything recorded (plus `extra` commands recorded after the
   * pass), capturing GPU errors for the next read-back.
   */
  flush(extra?: (enc: GPUCommandEncoder) => void): void {
    if (!this.#encoder && !extra) return;
    const labels = [...this.#labels].join(", ") || "a copy";
    const dev = this.device;
    dev.pushErrorScope("internal");
    dev.pushErrorScope("out-of-memory");
    dev.pushErrorScope("validation");
    if (this.#pass) this.#pass.end();
    const enc = this.#encoder ?? dev.createCommandEncoder();
    if (extra) extra(enc);
    const cb = enc.finish();
    if (this.#ringUsed > 0) dev.queue.writeBuffer(this.#ringBuf, 0, this.#ring, 0, this.#ringUsed);
    dev.queue.submit([cb]);
    const what = `running ${labels}`;
    this.#track(dev.popErrorScope(), what);
    this.#track(dev.popErrorScope(), what);
    this.#track(dev.popErrorScope(), what);
    this.#pass = null;
    this.#encoder = null;
    this.#pending = 0;
    this.#ringUsed = 0;
    this.#labels.clear();
    this.epoch++;
    this.counters.submits++;
    this.pool.destroyDeferred();
  }

  /**
   * Allocates a status slot for a kernel that reports data errors; the formatter turns the
   * nonzero value the kernel stored into the error raised by the next read-back.
   */
  statusSlot(format: StatusFormatter): number {
    if (this.#slots.length >= STATUS_SLOTS) {
      this.#slots[STATUS_SLOTS - 1] = (v) =>
        new RangeError(`${format(v).message} (or an earlier operation since the last toHost)`);
      return STATUS_SLOTS - 1;
    }
    this.#slots.push(format);
    return this.#slots.length - 1;
  }

  #acquireStaging(bytes: number): GPUBuffer {
    const cls = sizeClass(bytes);
    const list = this.#staging.get(cls);
    if (list && list.length > 0) return list.pop()!;
    return this.device.createBuffer({
      size: cls,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      label: `staging ${cls}`,
    });
  }

  #releaseStaging(b: GPUBuffer): void {
    let list = this.#staging.get(b.size);
    if (!list) this.#staging.set(b.size, list = []);
    if (list.length < 8) list.push(b);
    else b.destroy();
  }

  /**
   * Copies `bytes` bytes at `byteOffset` of `s` to the host: records the copy now (so later
   * work cannot change the value), submits, and resolves once mapped. Rejects with pending GPU
   * errors and with data errors reported through status slots.
   */
  read(s: Storage, byteOffset: number, bytes: number): Promise<ArrayBuffer> {
    this.check();
    const copyBytes = Math.ceil(bytes / 4) * 4;
    const nSlots = this.#slots.length;
    const statusBytes = nSlots * 4;
    const staging = this.#acquireStaging(copyBytes + statusBytes);
    const total = copyBytes + statusBytes;
    this.flush((enc) => {
      if (copyBytes > 0) enc.copyBufferToBuffer(s.buffer, byteOffset, staging, 0, copyBytes);
      if (nSlots > 0) {
        enc.copyBufferToBuffer(this.status.buffer, 0, staging, copyBytes, statusBytes);
        enc.clearBuffer(this.status.buffer, 0, Math.ceil(statusBytes / 4) * 4);
      }
    });
    this.counters.readbacks++;
    const errors = this.#errors;
    this.#errors = [];
    const slots = this.#slots;
    this.#slots = [];
    return (async () => {
      let mapError: unknown = null;
      try {
        await staging.mapAsync(GPUMapMode.READ, 0, total);
      } catch (e) {
        mapError = e;
      }
      const errs = await Promise.all(errors);
      const gpuError = errs.find((e) => e !== null);
      if (gpuError || mapError) {
        if (!mapError) staging.unmap();
        if (!this.lost) this.#releaseStaging(staging);
        if (gpuError) throw gpuError;
        throw new Error(
          this.lost ?? `webgpu: read-back failed: ${(mapError as Error)?.message ?? mapError}`,
        );
      }
      const all = staging.getMappedRange(0, total).slice(0);
      staging.unmap();
      this.#releaseStaging(staging);
      if (nSlots > 0) {
        const st = new Uint32Array(all, copyBytes, nSlots);
        for (let i = 0; i < nSlots; i++) if (st[i] !== 0) throw slots[i](st[i]);
      }
      return all.byteLength === bytes ? all : all.slice(0, bytes);
    })();
  }

  /** Waits for all submitted work and reports pending errors (used by tests and `sync`). */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    const errors = this.#errors;
    this.#errors = [];
    const e = (await Promise.all(errors)).find((x) => x !== null);
    if (e) throw e;
    this.check();
  }

  /** Releases pooled memory (and the device when owned). */
  destroy(): void {
    this.flush();
    this.pool.trim();
    this.pool.destroyDeferred();
    for (const list of this.#staging.values()) for (const b of list) b.destroy();
    this.#staging.clear();
    if (this.#opts.ownsDevice) this.device.destroy();
  }
}
