/**
 * Moving arrays between this package's WebGPU namespace and tfjs's WebGPU backend, without a
 * host round trip: {@linkcode registerTfjsWebgpu}, {@linkcode webgpuToTfjs},
 * {@linkcode tfjsToWebgpu}.
 *
 * Where data is copied (all copies are GPU-to-GPU on the shared device, none through the host,
 * except where noted):
 *
 * | direction                                   | copies                                          |
 * | ------------------------------------------- | ----------------------------------------------- |
 * | `webgpuToTfjs`, `x` fills its buffer exactly | none (tfjs uses our `GPUBuffer`: `zeroCopy`)    |
 * | `webgpuToTfjs`, any other array, `copy: true`| two (into an exactly sized staging buffer, then |
 * |                                             | tfjs's own copy; three for strided views)       |
 * | `tfjsToWebgpu`, tensor on the GPU           | two (`t.dataToGPU()` copies; we copy its buffer |
 * |                                             | into our pool, so the array is ours to dispose) |
 * | `tfjsToWebgpu`, tensor values on the CPU    | one upload from the host (`dataSync()`)         |
 *
 * Both directions need tfjs to run its WebGPU backend on *our* `GPUDevice`
 * ({@linkcode registerTfjsWebgpu}); otherwise they are `TypeError`s (use `toHost` + `tf.tensor`
 * to cross devices).
 *
 * @module
 */
import type { WebGpuArray, WebGpuNamespace } from "../webgpu/mod.ts";
import type { TfTensor } from "./tf_like.ts";

/**
 * A tfjs tensor as the bridge reads it: a {@linkcode TfTensor} with `dataToGPU` (tfjs ≥ 4.2).
 *
 * @example
 * ```ts
 * import type { TfGpuTensor } from "./webgpu_bridge.ts";
 * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * const t: TfGpuTensor = tf.zeros([2]);
 * t.dispose();
 * ```
 */
export interface TfGpuTensor extends TfTensor {
  /** Copies the values into a new GPU buffer owned by `tensorRef` (WebGPU backend). */
  dataToGPU(): { buffer?: GPUBuffer; tensorRef: TfTensor };
}

/**
 * The members of the `tf` module the bridge uses (the full `@tensorflow/tfjs` satisfies it).
 *
 * @typeParam T the module's tensor type.
 *
 * @example
 * ```ts
 * import type { TfWebgpuModule } from "./webgpu_bridge.ts";
 * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * const m: TfWebgpuModule<tf.Tensor> = tf;
 * ```
 */
export interface TfWebgpuModule<T extends TfGpuTensor = TfGpuTensor> {
  /** Creates a tensor; with `{ buffer, zeroCopy }` from a `GPUBuffer` (WebGPU backend). */
  tensor(values: { buffer: GPUBuffer; zeroCopy?: boolean }, shape: number[], dtype: "float32"): T;
  /** Creates a tensor from host values (used for the other dtypes and host copies). */
  tensor(values: Float32Array | Int32Array, shape: number[], dtype: "float32" | "int32"): T;
  /** The active backend object (its `device` is read). */
  backend(): unknown;
  /** Name of the active backend. */
  getBackend(): string;
  /** Registers a backend factory under a name. */
  registerBackend(name: string, factory: () => unknown, priority?: number): boolean;
  /** Removes a registered backend. */
  removeBackend(name: string): void;
  /** Activates a registered backend (resolves to whether it initialised). */
  setBackend(name: string): Promise<boolean>;
}

/**
 * `WebGPUBackend` of `@tensorflow/tfjs-backend-webgpu` (its constructor), passed in by the user:
 * this package does not import tfjs.
 *
 * @example
 * ```ts
 * import type { TfWebgpuBackendClass } from "./webgpu_bridge.ts";
 * import { WebGPUBackend } from "npm:@tensorflow/tfjs-backend-webgpu@4.22.0";
 * const C: TfWebgpuBackendClass = WebGPUBackend;
 * ```
 */
export type TfWebgpuBackendClass = new (device: GPUDevice, adapterInfo?: GPUAdapterInfo) => unknown;

/** The GPUDevice tfjs currently runs on, or null when its active backend is not WebGPU. */
function tfDevice(tf: TfWebgpuModule<TfGpuTensor>): GPUDevice | null {
  let b: { device?: GPUDevice } | null;
  try {
    b = tf.backend() as { device?: GPUDevice } | null;
  } catch {
    return null; // an async backend (e.g. the default "webgpu") is still initialising
  }
  return b && typeof b === "object" && b.device ? b.device : null;
}

/**
 * Registers tfjs's WebGPU backend on the `GPUDevice` of the WebGPU namespace `xp` and makes it
 * the active tfjs backend, so that tensors and arrays can be exchanged on the device
 * ({@linkcode webgpuToTfjs}, {@linkcode tfjsToWebgpu}). tfjs's WebGPU kernels are registered
 * under the backend name `"webgpu"`, so the registration replaces the default `"webgpu"`
 * factory (which would open a device of its own). Resolves to `false` when tfjs could not
 * initialise the backend (then tfjs keeps its previous backend).
 *
 * @param tf the tfjs module.
 * @param WebGPUBackend the class exported by `@tensorflow/tfjs-backend-webgpu` (import that
 *   package too: it registers the kernels).
 * @param xp the WebGPU namespace whose device tfjs should use.
 * @param options `adapterInfo` (optional, tfjs tunes a few kernels for Intel GPUs by it).
 * @returns whether tfjs now runs on `xp.gpuDevice`.
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * import { WebGPUBackend } from "npm:@tensorflow/tfjs-backend-webgpu@4.22.0";
 * import { webgpu } from "../webgpu/mod.ts";
 * import { registerTfjsWebgpu } from "./webgpu_bridge.ts";
 * const xp = await webgpu();
 * console.log(await registerTfjsWebgpu(tf, WebGPUBackend, xp)); // true
 * ```
 */
export async function registerTfjsWebgpu<T extends TfGpuTensor>(
  tf: TfWebgpuModule<T>,
  WebGPUBackend: TfWebgpuBackendClass,
  xp: WebGpuNamespace,
  options: { adapterInfo?: GPUAdapterInfo } = {},
): Promise<boolean> {
  if (typeof WebGPUBackend !== "function") {
    throw new TypeError(
      "registerTfjsWebgpu: pass the WebGPUBackend class of @tensorflow/tfjs-backend-webgpu",
    );
  }
  const device = xp?.gpuDevice;
  if (!device) throw new TypeError("registerTfjsWebgpu: xp must be a WebGPU namespace");
  // (tfjs's backend is not queried before: that would start initialising its default
  // "webgpu" backend on a device of its own)
  const info = options.adapterInfo ??
    (device as unknown as { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  try {
    tf.removeBackend("webgpu");
  } catch {
    // not registered yet
  }
  tf.registerBackend("webgpu", () => new WebGPUBackend(device, info), 3);
  return await tf.setBackend("webgpu") &&
    tfDevice(tf as unknown as TfWebgpuModule<TfGpuTensor>) === device;
}

/** TypeError unless tfjs runs its WebGPU backend on `xp`'s device. */
function checkShared(label: string, tf: TfWebgpuModule<TfGpuTensor>, xp: WebGpuNamespace): void {
  const d = tfDevice(tf);
  if (d === xp.gpuDevice) return;
  throw new TypeError(
    `${label}: tfjs runs on backend "${tf.getBackend()}"${
      d ? " with another GPUDevice" : ""
    }, not on this WebGPU namespace's device; call registerTfjsWebgpu(tf, WebGPUBackend, xp) ` +
      `first (or copy through the host: await xp.toHost(x) and tf.tensor)`,
  );
}

/**
 * A float32 tfjs tensor with the values of the WebGPU array `x`, on the shared device.
 *
 * - **Zero-copy** (the default when possible): when `x.buffer` holds exactly `x` (contiguous,
 *   offset 0, and a buffer of exactly `x`'s bytes — tfjs reads back a tensor's whole buffer, so
 *   a larger one cannot be shared; our pool rounds allocations to size classes, four per power
 *   of two from 256 B, e.g. 64, 256, 320, 384, 1024 float32 elements fit exactly), tfjs uses
 *   `x.buffer` directly (`tf.tensor({ buffer, zeroCopy: true })`). The tensor
 *   then *borrows* `x`'s memory: keep `x` alive and unchanged (do not `xp.dispose(x)`, do not
 *   donate it as an `out`) until the tensor is disposed. Disposing the tensor never frees our
 *   buffer.
 * - **Copy** (`options.copy`, a buffer larger than `x`, a strided/offset view, or a buffer
 *   without `STORAGE | COPY_SRC` usage): the tensor owns a copy made on the device (our copy
 *   into an exactly sized staging buffer, then tfjs's copy of it); `x` is free.
 *
 * Our recorded work is submitted (`xp.flush()`) first, so tfjs sees `x`'s value. Requires tfjs
 * to run on `xp`'s device ({@linkcode registerTfjsWebgpu}), else a `TypeError`; dtypes other
 * than float32 are a `TypeError`.
 *
 * @param x a float32 array of a WebGPU namespace.
 * @param tf the tfjs module, running its WebGPU backend on `x`'s device.
 * @param options `copy: true` returns a tensor that owns its memory.
 * @returns a tensor the caller owns (dispose it).
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * import { WebGPUBackend } from "npm:@tensorflow/tfjs-backend-webgpu@4.22.0";
 * import { webgpu } from "../webgpu/mod.ts";
 * import { registerTfjsWebgpu, webgpuToTfjs } from "./webgpu_bridge.ts";
 * const xp = await webgpu();
 * await registerTfjsWebgpu(tf, WebGPUBackend, xp);
 * const x = xp.asarray([1, 2, 3]);
 * const t = webgpuToTfjs(x, tf); // no copy: keep x alive while t is used
 * console.log(await tf.sum(t).data()); // Float32Array [6]
 * t.dispose();
 * xp.dispose(x);
 * ```
 */
export function webgpuToTfjs<T extends TfGpuTensor>(
  x: WebGpuArray,
  tf: TfWebgpuModule<T>,
  options: { copy?: boolean } = {},
): T {
  const label = "webgpuToTfjs";
  const xp = (x as { __array_namespace__?: () => unknown })?.__array_namespace__?.() as
    | WebGpuNamespace
    | undefined;
  if (!xp || !xp.gpuDevice) {
    throw new TypeError(`${label}: x must be an array of a WebGPU namespace`);
  }
  if (x.dtype !== "float32") {
    throw new TypeError(`${label}: only float32 arrays cross without the host, got ${x.dtype}`);
  }
  checkShared(label, tf as unknown as TfWebgpuModule<TfGpuTensor>, xp);
  const shape = x.shape.slice();
  const bytes = x.size * 4;
  const usage = x.buffer.usage;
  const copySrc = (usage & GPUBufferUsage.COPY_SRC) !== 0;
  const storage = (usage & GPUBufferUsage.STORAGE) !== 0;
  xp.flush(); // tfjs must see x's value: submit what we recorded
  if (
    options.copy !== true && x.isContiguous && x.offset === 0 && x.buffer.size === bytes &&
    copySrc && storage
  ) {
    return tf.tensor({ buffer: x.buffer, zeroCopy: true }, shape, "float32");
  }
  if (bytes === 0) return tf.tensor(new Float32Array(0), shape, "float32");
  // Copy x's bytes into an exactly sized buffer, which tfjs copies into its own (tfjs reads back
  // the whole buffer of a tensor, so it must hold x exactly); tfjs submits its copy at once, so
  // the staging buffer can be destroyed right after.
  let src = x;
  if (!x.isContiguous || !copySrc) src = xp.asarray(x, { copy: true });
  const device = xp.gpuDevice;
  const staging = device.createBuffer({
    size: bytes,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    label: "webgpuToTfjs staging",
  });
  try {
    if (src !== x) xp.flush();
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(src.buffer, src.offset * 4, staging, 0, bytes);
    device.queue.submit([enc.finish()]);
    return tf.tensor({ buffer: staging, zeroCopy: false }, shape, "float32");
  } finally {
    staging.destroy();
    if (src !== x) xp.dispose(src);
  }
}

/**
 * A WebGPU array (of `xp`) with the values of the tfjs tensor `t`. The array is ours (dispose
 * it with `xp.dispose`); `t` is untouched. Copies: `t.dataToGPU()` copies the tensor into a
 * temporary buffer, which we copy into our pool (so the array's lifetime does not depend on a
 * tfjs handle); both copies run on the device. When tfjs holds the values on the CPU (tensors
 * never used by a GPU kernel, or small ops that tfjs forwards to its CPU path) they are
 * uploaded from the host instead (`dataSync()`). float32, int32 and bool tensors.
 *
 * Requires tfjs to run on `xp`'s device ({@linkcode registerTfjsWebgpu}), else a `TypeError`.
 *
 * @param t the tensor.
 * @param xp the WebGPU namespace tfjs shares its device with.
 * @param tf the tfjs module.
 * @returns a new array of `xp`.
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * import { WebGPUBackend } from "npm:@tensorflow/tfjs-backend-webgpu@4.22.0";
 * import { webgpu } from "../webgpu/mod.ts";
 * import { registerTfjsWebgpu, tfjsToWebgpu } from "./webgpu_bridge.ts";
 * const xp = await webgpu();
 * await registerTfjsWebgpu(tf, WebGPUBackend, xp);
 * const t = tf.square(tf.tensor1d([1, 2, 3]));
 * const x = tfjsToWebgpu(t, xp, tf);
 * console.log(await xp.toHost(x)); // Float32Array [1, 4, 9]
 * t.dispose();
 * xp.dispose(x);
 * ```
 */
export function tfjsToWebgpu<T extends TfGpuTensor>(
  t: T,
  xp: WebGpuNamespace,
  tf: TfWebgpuModule<T>,
): WebGpuArray {
  const label = "tfjsToWebgpu";
  if (t === null || typeof t !== "object" || typeof t.dataToGPU !== "function") {
    throw new TypeError(`${label}: expected a tf.Tensor, got ${String(t)}`);
  }
  if (t.isDisposed) throw new TypeError(`${label}: the tensor was disposed`);
  const dt = t.dtype;
  if (dt !== "float32" && dt !== "int32" && dt !== "bool") {
    throw new TypeError(`${label}: tfjs tensors of dtype ${dt} are not supported`);
  }
  if (!xp?.gpuDevice) throw new TypeError(`${label}: xp must be a WebGPU namespace`);
  checkShared(label, tf as unknown as TfWebgpuModule<TfGpuTensor>, xp);
  const shape = t.shape.slice();
  let gpu: { buffer?: GPUBuffer; tensorRef: TfTensor } | null = null;
  try {
    gpu = t.dataToGPU();
  } catch (e) {
    if (!/not on GPU but on CPU/.test(String((e as Error)?.message))) throw e;
  }
  if (!gpu || !gpu.buffer) {
    gpu?.tensorRef.dispose();
    return reshapeHost(xp, t.dataSync() as Float32Array | Int32Array, shape, dt);
  }
  try {
    // bool tensors are 32-bit words in tfjs's WebGPU backend, as in ours
    const view = xp.fromBuffer(gpu.buffer, shape, { dtype: dt });
    const own = xp.asarray(view, { copy: true });
    xp.dispose(view);
    xp.flush(); // our copy is submitted before tfjs may reuse its buffer
    return own;
  } finally {
    gpu.tensorRef.dispose();
  }
}

function reshapeHost(
  xp: WebGpuNamespace,
  host: Float32Array | Int32Array,
  shape: number[],
  dt: "float32" | "int32" | "bool",
): WebGpuArray {
  const flat = xp.asarray(dt === "float32" ? Float32Array.from(host) : Int32Array.from(host), {
    dtype: dt,
  });
  const r = xp.reshape(flat, shape, { copy: true });
  xp.dispose(flat);
  return r;
}
