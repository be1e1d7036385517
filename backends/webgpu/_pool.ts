/**
 * Buffer pool of the WebGPU namespace: storage buffers grouped in size classes (four per
 * octave, so at most 25 % slack), refcounted `Storage` records shared by views, and deferred
 * destruction (a buffer is only destroyed after the submit that last used it).
 *
 * @module
 */

/** A GPU allocation shared by an array and its views. @internal */
export interface Storage {
  /** The buffer. */
  readonly buffer: GPUBuffer;
  /** Capacity in bytes (the size class). */
  readonly bytes: number;
  /** Unique id (bind-group cache keys). */
  readonly id: number;
  /** Number of live arrays (views included) holding this storage. */
  refs: number;
  /** Serial of the last command encoder that bound it. */
  lastEpoch: number;
  /** Not owned by the pool (user buffer): never pooled or destroyed. */
  readonly external: boolean;
}

/** Smallest size class in bytes. */
const MIN_CLASS = 256;

/**
 * Rounds a byte count up to its size class: 256 B minimum, then four classes per power of
 * two (`2^k · {1, 1.25, 1.5, 1.75}`).
 */
export function sizeClass(bytes: number): number {
  if (bytes <= MIN_CLASS) return MIN_CLASS;
  const k = Math.floor(Math.log2(bytes));
  const q = 2 ** (k - 2);
  return Math.ceil(bytes / q) * q;
}

/** Pool statistics (see `WebGpuNamespace.stats`). @internal */
export interface PoolStats {
  /** Bytes held by live arrays (size classes). */
  liveBytes: number;
  /** Bytes kept free in the pool for reuse. */
  freeBytes: number;
  /** Buffers created so far. */
  created: number;
  /** Acquisitions served from the pool. */
  reused: number;
  /** Buffers destroyed by trimming. */
  destroyed: number;
}

/** The pool. @internal */
export class BufferPool {
  readonly #device: GPUDevice;
  readonly #free = new Map<number, Storage[]>();
  readonly #usage: number;
  #nextId = 1;
  #toDestroy: GPUBuffer[] = [];
  /** Upper bound on bytes kept free. */
  maxFreeBytes: number;
  /** Counters. */
  readonly stats: PoolStats = { liveBytes: 0, freeBytes: 0, created: 0, reused: 0, destroyed: 0 };
  /** Called when buffers are destroyed (the bind-group cache must forget them). */
  onDestroy: () => void = () => {};
  /** Called around buffer creation to catch out-of-memory errors. */
  onCreate: (size: number, create: () => GPUBuffer) => GPUBuffer = (_s, c) => c();

  constructor(device: GPUDevice, maxFreeBytes: number) {
    this.#device = device;
    this.maxFreeBytes = maxFreeBytes;
    this.#usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  }

  /**
   * A storage of at least `bytes` bytes with `refs = 1`. `avoidEpoch`: do not return a buffer
   * bound by that (still unsubmitted) encoder — needed before `queue.writeBuffer`, which runs
   * before the pending commands.
   */
  acquire(bytes: number, avoidEpoch = -1): Storage {
    const cls = sizeClass(bytes);
    const list = this.#free.get(cls);
    if (list && list.length > 0) {
      let idx = list.length - 1;
      if (avoidEpoch >= 0) {
        while (idx >= 0 && list[idx].lastEpoch === avoidEpoch) idx--;
      }
      if (idx >= 0) {
        const s = list[idx];
        list[idx] = list[list.length - 1];
        list.pop();
        s.refs = 1;
        this.stats.freeBytes -= cls;
        this.stats.liveBytes += cls;
        this.stats.reused++;
        return s;
      }
    }
    const buffer = this.onCreate(
      cls,
      () => this.#device.createBuffer({ size: cls, usage: this.#usage, label: `pool ${cls}` }),
    );
    this.stats.created++;
    this.stats.liveBytes += cls;
    return { buffer, bytes: cls, id: this.#nextId++, refs: 1, lastEpoch: 0, external: false };
  }

  /** Wraps a user buffer (never pooled, never destroyed by us). */
  wrap(buffer: GPUBuffer): Storage {
    return {
      buffer,
      bytes: buffer.size,
      id: this.#nextId++,
      refs: 1,
      lastEpoch: 0,
      external: true,
    };
  }

  /** Returns a storage whose refcount reached zero. */
  release(s: Storage): void {
    if (s.external) return;
    this.stats.liveBytes -= s.bytes;
    if (this.stats.freeBytes + s.bytes > this.maxFreeBytes) {
      this.#toDestroy.push(s.buffer);
      return;
    }
    let list = this.#free.get(s.bytes);
    if (!list) this.#free.set(s.bytes, list = []);
    list.push(s);
    this.stats.freeBytes += s.bytes;
  }

  /** Destroys buffers released over budget; call right after a submit. */
  destroyDeferred(): void {
    if (this.#toDestroy.length === 0) return;
    for (const b of this.#toDestroy) b.destroy();
    this.stats.destroyed += this.#toDestroy.length;
    this.#toDestroy = [];
    this.onDestroy();
  }

  /** Moves every free buffer to the destroy list (call `destroyDeferred` after a submit). */
  trim(): void {
    for (const list of this.#free.values()) {
      for (const s of list) this.#toDestroy.push(s.buffer);
    }
    this.#free.clear();
    this.stats.freeBytes = 0;
  }
}
