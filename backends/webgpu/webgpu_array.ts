/**
 * The array type of the WebGPU namespace: a strided view (shape, element strides, element
 * offset) of a pooled, refcounted `GPUBuffer`.
 *
 * @module
 */
import type { ArrayNamespace, ArrayObject, DType, Shape } from "../../array_api/types.ts";
import { fmtShape } from "../../array_api/shapes.ts";
import type { Storage } from "./_pool.ts";

/**
 * An array of the WebGPU namespace. Its contents live in a `GPUBuffer` and are computed
 * asynchronously: functions of the namespace return at once, {@linkcode ArrayNamespace.toHost}
 * waits. Views (`reshape`, `permute_dims`, `flip`, `broadcast_to`, `linalg.diagonal`, …) share
 * the buffer; `dispose` releases the caller's reference and the pool reuses the memory once the
 * last view is gone (arrays dropped without `dispose` are returned by a `FinalizationRegistry`).
 *
 * @example
 * ```ts
 * import { webgpu } from "./mod.ts";
 * const xp = await webgpu();
 * const x = xp.asarray([[1, 2], [3, 4]]);
 * console.log(x.shape, x.dtype, x.device); // [2, 2] float32 webgpu:0
 * console.log(await xp.toHost(xp.matrix_transpose(x))); // Float32Array [1, 3, 2, 4]
 * ```
 */
export class WebGpuArray implements ArrayObject {
  /** Shape of the array. */
  readonly shape: Shape;
  /** Data type. */
  readonly dtype: DType;
  /** Device identifier (`"webgpu:0"`). */
  readonly device: string;
  /** Number of axes. */
  readonly ndim: number;
  /** Number of elements. */
  readonly size: number;
  /** @internal Storage (null once disposed). */
  _s: Storage | null;
  /** @internal Element offset into the storage. */
  readonly _off: number;
  /** @internal Element strides (may be 0 or negative). */
  readonly _st: readonly number[];
  /** @internal Whether the view is row-major contiguous. */
  readonly _contig: boolean;
  /** @internal The namespace. */
  readonly _ns: ArrayNamespace<WebGpuArray>;

  /** @internal Made by the namespace only. */
  constructor(
    ns: ArrayNamespace<WebGpuArray>,
    storage: Storage,
    shape: readonly number[],
    dtype: DType,
    offset: number,
    strides: readonly number[],
    device: string,
  ) {
    this._ns = ns;
    this._s = storage;
    this.shape = Object.freeze(Array.from(shape));
    this.dtype = dtype;
    this.ndim = shape.length;
    let n = 1;
    for (const d of shape) n *= d;
    this.size = n;
    this._off = offset;
    this._st = Object.freeze(Array.from(strides));
    this.device = device;
    let c = true, s = 1;
    for (let i = shape.length - 1; i >= 0; i--) {
      if (shape[i] !== 1 && strides[i] !== s) c = false;
      s *= shape[i];
    }
    this._contig = c;
  }

  /** Returns the namespace that created this array. */
  __array_namespace__(_options?: { api_version?: string }): ArrayNamespace<WebGpuArray> {
    return this._ns;
  }

  /** The underlying `GPUBuffer` (shared with views; do not destroy it). */
  get buffer(): GPUBuffer {
    if (!this._s) throw new TypeError(`webgpu: this ${this.dtype} array was disposed`);
    return this._s.buffer;
  }

  /** Element strides of this view (0 on broadcast axes, negative on flipped ones). */
  get strides(): readonly number[] {
    return this._st;
  }

  /** Element offset of the first element in {@linkcode WebGpuArray.buffer}. */
  get offset(): number {
    return this._off;
  }

  /** Whether this view is row-major contiguous (then `buffer` holds it from `offset`). */
  get isContiguous(): boolean {
    return this._contig;
  }

  /** Whether {@linkcode ArrayNamespace.dispose} was called on it. */
  get disposed(): boolean {
    return this._s === null;
  }

  /** A short description such as `WebGpuArray(float32, (2, 3))`. */
  toString(): string {
    return `WebGpuArray(${this.dtype}, ${fmtShape(this.shape)}${this._s ? "" : ", disposed"})`;
  }
}
