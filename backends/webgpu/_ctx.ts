/**
 * Per-namespace context shared by the op modules: array creation and views, refcounting,
 * dtype checks, and the engine.
 *
 * @module
 */
import type { ArrayNamespace, DType, Shape } from "../../array_api/types.ts";
import { fmtShape, stridesOf } from "../../array_api/shapes.ts";
import type { Engine } from "./_engine.ts";
import type { Storage } from "./_pool.ts";
import { WebGpuArray } from "./webgpu_array.ts";

/** Message of every float64 refusal. @internal */
export const FLOAT64_HINT = "float64 is not available on WebGPU (WGSL has no 64-bit floats): " +
  "use the CPU backend (`cpu`) for float64, or keep float32 on the GPU and refine in float64 " +
  'on the CPU (mixed-precision iterative refinement); pass { dtype: "float32" } to convert ' +
  "explicitly";

/** The context. @internal */
export class Ctx {
  /** The engine. */
  readonly engine: Engine;
  /** The namespace (set once built). */
  ns!: ArrayNamespace<WebGpuArray>;
  /** Device identifier of the arrays. */
  readonly device: string;
  /** Supported dtypes. */
  readonly dtypes: readonly DType[];
  readonly #registry: FinalizationRegistry<Storage>;

  constructor(engine: Engine, device: string) {
    this.engine = engine;
    this.device = device;
    this.dtypes = engine.hasF16
      ? ["bool", "int32", "uint32", "float16", "float32"]
      : ["bool", "int32", "uint32", "float32"];
    this.#registry = new FinalizationRegistry((s) => this.unref(s));
  }

  /** Throws a `TypeError` unless `dtype` is supported (float64 gets the refinement hint). */
  checkDType(dtype: DType, what: string): void {
    if (this.dtypes.includes(dtype)) return;
    if (dtype === "float64") throw new TypeError(`${what}: ${FLOAT64_HINT}`);
    if (dtype === "float16") {
      throw new TypeError(`${what}: float16 needs the adapter feature shader-f16, absent here`);
    }
    if (typeof dtype !== "string") throw new TypeError(`${what}: invalid dtype ${String(dtype)}`);
    throw new TypeError(
      `${what}: dtype ${dtype} is not supported by the webgpu namespace ` +
        `(supported: ${this.dtypes.join(", ")})`,
    );
  }

  /** Bytes per element of `dtype`. */
  itemBytes(dtype: DType): number {
    return dtype === "float16" ? 2 : 4;
  }

  /** Wraps a storage in a new array (takes over one reference). */
  make(
    s: Storage,
    shape: readonly number[],
    dtype: DType,
    offset = 0,
    strides: readonly number[] = stridesOf(shape),
  ): WebGpuArray {
    const a = new WebGpuArray(this.ns, s, shape, dtype, offset, strides, this.device);
    if (!s.external) this.#registry.register(a, s, a);
    return a;
  }

  /** A fresh contiguous array (contents unspecified). */
  alloc(shape: readonly number[], dtype: DType): WebGpuArray {
    let n = 1;
    for (const d of shape) n *= d;
    const bytes = n * this.itemBytes(dtype);
    this.checkBindingSize(bytes, shape, dtype);
    return this.make(this.engine.pool.acquire(Math.max(4, bytes)), shape, dtype);
  }

  /** RangeError when one storage binding cannot hold the array. */
  checkBindingSize(bytes: number, shape: Shape, dtype: DType): void {
    const lim = this.engine.limits.maxStorageBufferBindingSize;
    const n = bytes / this.itemBytes(dtype);
    if (n >= 2 ** 31) {
      throw new RangeError(
        `webgpu: an array of shape ${fmtShape(shape)} has ${n} elements; kernels index with ` +
          `32-bit signed integers (at most 2^31 - 1 elements)`,
      );
    }
    if (bytes > lim || bytes > this.engine.limits.maxBufferSize) {
      throw new RangeError(
        `webgpu: an array of shape ${fmtShape(shape)} (${dtype}, ${bytes} bytes) exceeds this ` +
          `device's maxStorageBufferBindingSize of ${lim} bytes (maxBufferSize ` +
          `${this.engine.limits.maxBufferSize}); split the problem into smaller arrays`,
      );
    }
  }

  /** A view of `x` sharing its storage. */
  view(
    x: WebGpuArray,
    shape: readonly number[],
    strides: readonly number[],
    offset: number,
    dtype: DType = x.dtype,
  ): WebGpuArray {
    const s = this.live(x);
    s.refs++;
    return this.make(s, shape, dtype, offset, strides);
  }

  /** The storage of a live array of this namespace; `TypeError` otherwise. */
  live(x: unknown, what = "webgpu"): Storage {
    if (!(x instanceof WebGpuArray)) {
      const o = x as { __array_namespace__?: () => { name?: string } };
      if (typeof o === "object" && o !== null && typeof o.__array_namespace__ === "function") {
        throw new TypeError(
          `${what}: arrays from different namespaces cannot be mixed: webgpu and ` +
            `${o.__array_namespace__().name} (move data with asarray(await other.toHost(x)) first)`,
        );
      }
      throw new TypeError(`${what}: expected a webgpu array, got ${describe(x)}`);
    }
    if (x._ns !== this.ns) {
      throw new TypeError(
        `${what}: the array belongs to another webgpu namespace instance (${x._ns.name}); ` +
          `arrays of different namespaces cannot be mixed`,
      );
    }
    if (x._s === null) {
      throw new TypeError(
        `${what}: the ${x.dtype} array of shape ${fmtShape(x.shape)} was disposed`,
      );
    }
    return x._s;
  }

  /** Drops one reference to a storage; returns it to the pool at zero. */
  unref(s: Storage): void {
    if (--s.refs === 0) this.engine.pool.release(s);
  }

  /** Disposes arrays (idempotent). */
  dispose(...xs: WebGpuArray[]): void {
    for (const x of xs) {
      const s = x._s;
      if (s === null) continue;
      x._s = null;
      this.#registry.unregister(x);
      this.unref(s);
    }
  }

  /** Transfers the storage of `x` to a new array of the same layout (x becomes disposed). */
  adopt(x: WebGpuArray, shape: readonly number[] = x.shape): WebGpuArray {
    const s = this.live(x);
    x._s = null;
    this.#registry.unregister(x);
    return this.make(s, shape, x.dtype, x._off, stridesOf(shape));
  }
}

/** Short description of a bad argument. @internal */
export function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "a JS array";
  if (ArrayBuffer.isView(x)) return x.constructor.name;
  return typeof x === "object" ? (x.constructor?.name ?? "an object") : `${typeof x} ${String(x)}`;
}
