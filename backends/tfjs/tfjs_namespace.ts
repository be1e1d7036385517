/**
 * `tfjsNamespace(tf)`: the array-API namespace over TensorFlow.js tensors.
 *
 * @module
 */
import type {
  ArrayNamespace,
  CsrData,
  DType,
  FInfo,
  FloatDType,
  FusedProgram,
  FusedResult,
  HostArray,
  IInfo,
  NamespaceInfo,
} from "../../array_api/types.ts";
import {
  canCast,
  finfo as refFinfo,
  iinfo as refIinfo,
  isdtype as refIsdtype,
  isDTypeName,
  resultType,
} from "../../array_api/dtypes.ts";
import { type Arr, checkDType, Ctx, type NS, SUPPORTED_DTYPES } from "./_context.ts";
import { creationFunctions } from "./_creation.ts";
import { CsrCache, csrProduct } from "./_csr.ts";
import { elementwiseFunctions } from "./_elementwise.ts";
import { fuseTfjs } from "./_fuse.ts";
import { hostLinalg } from "./_host_linalg.ts";
import { linalgFunctions } from "./_linalg.ts";
import { manipulationFunctions } from "./_manipulation.ts";
import { reductionFunctions } from "./_reductions.ts";
import type { TfjsArray } from "./tfjs_array.ts";
import type { TfModule, TfTensor } from "./tf_like.ts";

/**
 * The namespace returned by {@linkcode tfjsNamespace}: every function of
 * {@linkcode ArrayNamespace} over {@linkcode TfjsArray}, the `fuse`/`csrMatvec`/`csrMatmat`
 * hooks, and the `tf` module it was made from.
 *
 * @typeParam T the tfjs tensor type (`tf.Tensor`).
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * import { tfjsNamespace, type TfjsNamespace } from "./mod.ts";
 * const xp: TfjsNamespace<tf.Tensor> = tfjsNamespace(tf);
 * console.log(xp.name); // tfjs (cpu)
 * ```
 */
export interface TfjsNamespace<T extends TfTensor = TfTensor> extends ArrayNamespace<TfjsArray<T>> {
  /** The tf module this namespace computes with. */
  readonly tf: TfModule<T>;
  /** Runs a fused program with tf ops inside one `tf.tidy` (float32 only). Donated `out`
   * arrays are disposed (tfjs tensors are immutable, nothing is written in place). */
  fuse(
    program: FusedProgram,
    inputs: readonly (TfjsArray<T> | number)[],
    options: { dtype: FloatDType; out?: Readonly<Record<string, TfjsArray<T>>> },
  ): FusedResult<TfjsArray<T>>;
  /** CSR matrix-vector product (gathers and row sums, see `csrMatvec` of the interface);
   * the donated `out` is disposed. */
  csrMatvec(a: CsrData<TfjsArray<T>>, x: TfjsArray<T>, out?: TfjsArray<T>): TfjsArray<T>;
  /** CSR matrix-matrix product (gathers and row sums); the donated `out` is disposed. */
  csrMatmat(a: CsrData<TfjsArray<T>>, x: TfjsArray<T>, out?: TfjsArray<T>): TfjsArray<T>;
}

/**
 * Makes the array-API namespace over TensorFlow.js tensors from the `tf` module you pass
 * (this package never imports tfjs; any tfjs 4.x backend works: `cpu`, `wasm`, `webgl`,
 * `webgpu`). Create it once and share it: arrays of two namespaces made from the same `tf` do
 * not mix.
 *
 * - dtypes: `float32` (the default), `int32`, `bool`. `float64` does not exist here
 *   (`capabilities().float64` is false): asking for it is a `TypeError` that points to the CPU
 *   backend, never a silent downcast. A `Float64Array` converts only with an explicit
 *   `{ dtype: "float32" }`.
 * - Every function runs inside `tf.tidy` and returns a wrapper owning a fresh tensor; no
 *   intermediate tensor leaks. Dispose results with `xp.dispose` (as with any tfjs tensor,
 *   arrays made inside *your* `tf.tidy` are disposed when it ends unless you return or keep
 *   them).
 * - `toHost` awaits `tensor.data()` and returns a copy.
 * - `linalg` factorizations (`solve`, `inv`, `det`, `cholesky`, `qr`, `eigh`, `svd`,
 *   `lstsq`, and the 2/−2/nuclear matrix norms) read their operands synchronously
 *   (`dataSync()`, blocking on GPU backends), compute in float64 with the CPU backend, and
 *   upload float32 results; meant for small problems. Everything else runs as tf ops.
 * - `csrMatvec`/`csrMatmat` are gathers and sums over rows bucketed by length ("bucketed
 *   ELL"; tfjs's `unsortedSegmentSum` is O(rows × nnz) on its CPU backend). The index tables
 *   are built once per `indptr` array (one host read of `indptr` and `indices`, which also
 *   validates them) and cached as kept tensors until `xp.dispose(indptr)`.
 * - Integer `matmul` and CSR products compute in float32 (exact while values stay below 2²⁴).
 * - `take` with an out-of-range index throws on the tfjs CPU backend; GPU backends return 0.
 * - Arrays of more than 6 axes work on the CPU backend; tfjs's WebGL backend limits some ops
 *   (transpose, tile, slice) to rank 6.
 *
 * @param tf the tfjs module (`import * as tf from "@tensorflow/tfjs"`).
 * @returns the namespace.
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * import { tfjsNamespace } from "./mod.ts";
 * const xp = tfjsNamespace(tf);
 * const A = xp.asarray([[4, 1], [1, 3]]);
 * const y = xp.matmul(A, xp.asarray([1, 2]));
 * console.log(await xp.toHost(y)); // Float32Array [6, 7]
 * xp.dispose(A, y);
 * ```
 */
export function tfjsNamespace<T extends TfTensor>(
  tf: { readonly Tensor: { readonly prototype: T } } & NoInfer<TfModule<T>>,
): TfjsNamespace<T> {
  if (tf === null || typeof tf !== "object" && typeof tf !== "function") {
    throw new TypeError("tfjsNamespace: pass the tfjs module (import * as tf from ...)");
  }
  for (const fn of ["tidy", "tensor", "gather", "getBackend", "keep"]) {
    if (typeof (tf as unknown as Record<string, unknown>)[fn] !== "function") {
      throw new TypeError(`tfjsNamespace: the tf module lacks tf.${fn}; pass @tensorflow/tfjs`);
    }
  }
  const tfm = tf as unknown as TfModule<TfTensor>;
  const ctx = new Ctx(tfm);
  const csrCache = new CsrCache(ctx);

  const defaults = {
    "real floating": "float32",
    "complex floating": "complex64",
    integral: "int32",
    indexing: "int32",
  } as const;
  const info: NamespaceInfo = {
    capabilities: () => ({
      "boolean indexing": false,
      "data-dependent shapes": false,
      "max dimensions": null,
      float64: false,
    }),
    default_device: () => ctx.device(),
    default_dtypes(options = {}) {
      ctx.checkDevice(options.device, "default_dtypes");
      return { ...defaults };
    },
    dtypes(options = {}) {
      ctx.checkDevice(options.device, "dtypes");
      const out: Record<string, DType> = {};
      for (const d of SUPPORTED_DTYPES) {
        if (options.kind === undefined || options.kind === null || refIsdtype(d, options.kind)) {
          out[d] = d;
        }
      }
      return out;
    },
    devices: () => [ctx.device()],
  };

  const dtypeOf = (v: DType | Arr, where: string): DType => {
    if (typeof v === "string") {
      if (!isDTypeName(v)) throw new TypeError(`${where}: unknown dtype ${JSON.stringify(v)}`);
      return v;
    }
    return ctx.arr(v, where).dtype;
  };

  const ns: NS = {
    __array_api_version__: "2025.12",
    get name(): string {
      return `tfjs (${tfm.getBackend()})`;
    },
    __array_namespace_info__: () => info,
    e: Math.E,
    pi: Math.PI,
    inf: Infinity,
    nan: NaN,
    newaxis: null,

    ...creationFunctions(ctx),

    astype(x, dtype, options = {}) {
      const a = ctx.arr(x, "astype");
      const dt = checkDType(dtype, "astype");
      ctx.checkDevice(options.device, "astype");
      if (dt === a.dtype && options.copy === false) return a;
      return ctx.run([a], () => a.tensor, dt);
    },
    can_cast(from, to) {
      return canCast(dtypeOf(from, "can_cast"), dtypeOf(to, "can_cast"));
    },
    finfo(type): FInfo {
      const d = dtypeOf(type, "finfo");
      if (d !== "float32") {
        if (d === "float64") checkDType(d, "finfo");
        throw new TypeError(`finfo: needs a floating dtype of this namespace (float32), got ${d}`);
      }
      return refFinfo(d);
    },
    iinfo(type): IInfo {
      const d = dtypeOf(type, "iinfo");
      if (d !== "int32") {
        throw new TypeError(`iinfo: needs an integer dtype of this namespace (int32), got ${d}`);
      }
      return refIinfo(d);
    },
    isdtype: (dtype, kind) => refIsdtype(dtype, kind),
    result_type(...items) {
      const vals = items.map((v) =>
        typeof v === "number" || typeof v === "boolean" ? v : dtypeOf(v, "result_type")
      );
      let r: DType;
      try {
        r = resultType(vals, "float32", "int32");
      } catch (e) {
        if (e instanceof TypeError) throw new TypeError(`result_type: ${e.message}`);
        throw e;
      }
      return checkDType(r, "result_type");
    },

    ...manipulationFunctions(ctx),
    ...elementwiseFunctions(ctx),
    ...reductionFunctions(ctx),
    ...linalgFunctions(ctx, hostLinalg(ctx)),

    async toHost(x): Promise<HostArray> {
      const a = ctx.arr(x, "toHost");
      // a new handle on the same buffer: the value is captured now, even if `x` is disposed
      // (or donated) before the download finishes
      const c = tfm.clone(a.tensor);
      try {
        const d = (await c.data()) as ArrayLike<number>;
        if (a.dtype === "float32") return Float32Array.from(d);
        if (a.dtype === "int32") return Int32Array.from(d);
        return Uint8Array.from(d, (v) => (v ? 1 : 0));
      } finally {
        c.dispose();
      }
    },
    toHostSync(x): HostArray {
      // dataSync blocks until the value is available (on GPU tfjs backends it stalls the
      // pipeline): solvers' *Sync variants use it, e.g. inside tf.customGrad
      const a = ctx.arr(x, "toHostSync");
      const d = a.tensor.dataSync() as ArrayLike<number>;
      if (a.dtype === "float32") return Float32Array.from(d);
      if (a.dtype === "int32") return Int32Array.from(d);
      return Uint8Array.from(d, (v) => (v ? 1 : 0));
    },
    dispose(...arrays) {
      for (const x of arrays) {
        if (!ctx.isOwn(x)) ctx.arr(x, "dispose"); // throws a TypeError naming the problem
      }
      for (const x of arrays) {
        for (const hook of ctx.onDispose) hook(x);
        x.tensor.dispose();
      }
    },
    fuse: (program, inputs, options) => fuseTfjs(ctx, program, inputs, options),
    csrMatvec: (a, x, out) => csrProduct(ctx, csrCache, a, x, true, out),
    csrMatmat: (a, x, out) => csrProduct(ctx, csrCache, a, x, false, out),
  };
  ctx.ns = ns;
  const out = ns as unknown as TfjsNamespace<TfTensor> & { tf: TfModule<TfTensor> };
  Object.defineProperty(out, "tf", { value: tfm, enumerable: false });
  return out as unknown as TfjsNamespace<T>;
}
