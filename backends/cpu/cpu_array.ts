/**
 * The array type of the CPU namespace.
 *
 * @module
 */
import type { ArrayObject, DType, HostArray, Shape } from "../../array_api/types.ts";
import { fmtShape, shapeSize } from "../../array_api/shapes.ts";
import { checkDType, type CpuDType, dtypeOfView, storageMatches } from "./_dtype.ts";
import { cpu, type CpuNamespace } from "./cpu.ts";

const SUPPORTED_API_VERSIONS = ["2021.12", "2022.12", "2023.12", "2024.12", "2025.12"];

/**
 * An array of the {@linkcode cpu} namespace: a contiguous, row-major typed array plus a
 * shape. `data` is the storage itself (zero-copy access for CPU code): `Float64Array` for
 * float64, `Float32Array` for float32, `Int32Array`/`Int16Array`/`Int8Array`/`Uint32Array`/
 * `Uint16Array` for integers and `Uint8Array` for uint8 and bool (0/1).
 *
 * Standard functions never write into an array's data; only the donation hooks
 * (`out` of `fuse`, `csrMatvec`, `csrMatmat`) do. Arrays made by `reshape`, `expand_dims`,
 * `squeeze` and `asarray(typedArray)` may share their storage with their source.
 *
 * @example
 * ```ts
 * import { CpuArray } from "./cpu_array.ts";
 * const a = new CpuArray(new Float64Array([1, 2, 3, 4]), [2, 2]);
 * console.log(a.shape, a.dtype, a.data[3]); // [2, 2] float64 4
 * ```
 */
export class CpuArray implements ArrayObject {
  /** The contiguous row-major storage (exactly `size` elements). */
  readonly data: HostArray;
  /** Shape of the array, one entry per axis. */
  readonly shape: readonly number[];
  /** Data type of the elements. */
  readonly dtype: DType;
  /** Always `"cpu"`. */
  readonly device: "cpu";
  /** Number of axes. */
  readonly ndim: number;
  /** Number of elements. */
  readonly size: number;

  /**
   * Wraps `data` (not copied) as an array of `shape` (default: 1-D). `dtype` defaults to the
   * typed array's own dtype; pass `"bool"` to read a `Uint8Array` of 0/1 as booleans.
   * A length that does not match the shape is a `RangeError`; storage that does not match the
   * dtype is a `TypeError`.
   */
  constructor(data: HostArray, shape?: Shape, dtype?: DType) {
    const dt: CpuDType = dtype === undefined
      ? dtypeOfView(data, "CpuArray")
      : checkDType(dtype, "CpuArray");
    if (!storageMatches(data, dt)) {
      const name = (data as { constructor?: { name?: string } })?.constructor?.name ?? typeof data;
      throw new TypeError(`CpuArray: a ${dt} array cannot be stored in a ${name}`);
    }
    const s = shape === undefined ? [data.length] : Array.from(shape);
    for (const d of s) {
      if (!Number.isSafeInteger(d) || d < 0) {
        throw new RangeError(`CpuArray: invalid shape ${JSON.stringify(s)}`);
      }
    }
    const size = shapeSize(s);
    if (size !== data.length) {
      throw new RangeError(
        `CpuArray: ${data.length} elements do not fill shape ${fmtShape(s)} (${size} elements)`,
      );
    }
    this.data = data;
    this.shape = Object.freeze(s);
    this.dtype = dt;
    this.device = "cpu";
    this.ndim = s.length;
    this.size = size;
  }

  /** Returns the {@linkcode cpu} namespace. */
  __array_namespace__(options?: { api_version?: string }): CpuNamespace {
    const v = options?.api_version;
    if (v !== undefined && v !== null && !SUPPORTED_API_VERSIONS.includes(v)) {
      throw new RangeError(
        `cpu: unsupported api_version ${JSON.stringify(v)} (supported: ${
          SUPPORTED_API_VERSIONS.join(", ")
        })`,
      );
    }
    return cpu;
  }

  /** A short description: dtype, shape and the first values. */
  toString(): string {
    const n = Math.min(this.size, 8);
    const vals: string[] = [];
    for (let i = 0; i < n; i++) {
      const v = this.data[i];
      vals.push(this.dtype === "bool" ? String(v !== 0) : String(v));
    }
    if (this.size > n) vals.push("…");
    return `CpuArray(${this.dtype}, ${fmtShape(this.shape)}) [${vals.join(", ")}]`;
  }

  /** How `console.log` shows the array in Deno. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}
