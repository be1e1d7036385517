/**
 * The CPU namespace: the array API standard over contiguous typed arrays.
 *
 * @module
 */
import type {
  ArrayNamespace,
  Capabilities,
  CgKernelProblem,
  CgKernelResult,
  CsrData,
  DefaultDTypes,
  Device,
  DType,
  DTypeKind,
  FloatDType,
  FusedProgram,
  FusedResult,
  HostArray,
  LinalgNamespace,
  NamespaceInfo,
  Scalar,
} from "../../array_api/types.ts";
import {
  canCast as canCastDT,
  finfo as finfoDT,
  iinfo as iinfoDT,
  isdtype as isdtypeDT,
  resultType,
} from "../../array_api/dtypes.ts";
import { broadcastShapes } from "../../array_api/shapes.ts";
import type { CpuArray } from "./cpu_array.ts";
import { CPU_DTYPES } from "./_dtype.ts";
import { asArr, checkDevice } from "./_util.ts";
import { arange, asarray, astype, eye, filled, filledLike, full, linspace } from "./_creation.ts";
import { binary, broadcastTo, clip, unary, where } from "./_elementwise.ts";
import {
  broadcastArrays,
  concat,
  expandDims,
  flip,
  matrixTranspose,
  moveaxis,
  permuteDims,
  reshape,
  squeeze,
  stack,
  take,
  tile,
} from "./_manipulation.ts";
import {
  all,
  any,
  argmax,
  argmin,
  cumulativeSum,
  max,
  mean,
  min,
  prod,
  sum,
} from "./_reduction.ts";
import {
  cholesky,
  det,
  diagonal,
  eigh,
  eigvalsh,
  inv,
  lstsq,
  matmul,
  matrixNorm,
  qr,
  solve,
  svd,
  svdvals,
  vecdot,
  vectorNorm,
} from "./_linalg.ts";
import { fuseCpu } from "./_fuse.ts";
import { csrMatmat, csrMatvec } from "./_csr.ts";
import { cpuCg, cpuCgSync } from "./_cg.ts";

/**
 * The type of {@linkcode cpu}: the standard namespace over {@linkcode CpuArray}, with the
 * optional kernel hooks (`fuse`, `csrMatvec`, `csrMatmat`) always present.
 *
 * @example
 * ```ts
 * import { cpu, type CpuNamespace } from "./cpu.ts";
 * const xp: CpuNamespace = cpu;
 * const y = xp.csrMatvec; // defined on the CPU namespace
 * ```
 */
export type CpuNamespace =
  & ArrayNamespace<CpuArray>
  & Required<
    Pick<ArrayNamespace<CpuArray>, "fuse" | "csrMatvec" | "csrMatmat" | "toHostSync">
  >;

const KIND_ORDER: readonly DTypeKind[] = [
  "bool",
  "signed integer",
  "unsigned integer",
  "integral",
  "real floating",
  "complex floating",
  "numeric",
];

const info: NamespaceInfo = {
  capabilities(): Capabilities {
    return {
      "boolean indexing": false,
      "data-dependent shapes": false,
      "max dimensions": null,
      float64: true,
    };
  },
  default_device(): Device {
    return "cpu";
  },
  default_dtypes(options?: { device?: Device }): DefaultDTypes {
    checkDevice(options?.device, "default_dtypes");
    return {
      "real floating": "float64",
      "complex floating": "complex128",
      integral: "int32",
      indexing: "int32",
    };
  },
  dtypes(
    options?: { device?: Device; kind?: DTypeKind | readonly DTypeKind[] },
  ): Readonly<Record<string, DType>> {
    checkDevice(options?.device, "dtypes");
    const kind = options?.kind;
    if (kind !== undefined && kind !== null) {
      const kinds = typeof kind === "string" ? [kind] : Array.from(kind);
      for (const k of kinds) {
        if (!KIND_ORDER.includes(k)) {
          throw new RangeError(`dtypes: unknown kind ${JSON.stringify(k)}`);
        }
      }
    }
    const out: Record<string, DType> = {};
    for (const d of CPU_DTYPES) {
      if (kind === undefined || kind === null || isdtypeDT(d, kind)) out[d] = d;
    }
    return out;
  },
  devices(): Device[] {
    return ["cpu"];
  },
};

function dtypeOf(x: DType | CpuArray, fn: string): DType {
  if (typeof x === "string") return x;
  return asArr(x, fn).dtype;
}

const linalg: LinalgNamespace<CpuArray> = {
  cholesky,
  det,
  diagonal,
  eigh,
  eigvalsh,
  inv,
  lstsq,
  matmul,
  matrix_norm: matrixNorm,
  matrix_transpose: matrixTranspose,
  qr,
  solve,
  svd,
  svdvals,
  vecdot,
  vector_norm: vectorNorm,
};

/**
 * The CPU namespace (the embedded default): every function of the array API standard over
 * {@linkcode CpuArray}s (contiguous row-major typed arrays), plus `toHost`, `dispose`, a
 * compiling `fuse` and CSR kernels. Supported dtypes: bool, int8, int16, int32, uint8,
 * uint16, uint32, float32 and float64 (default floating float64, default integer and index
 * dtype int32); int64, uint64, float16 and complex dtypes are a `TypeError`.
 *
 * @example
 * ```ts
 * import { cpu as xp } from "./cpu.ts";
 * const A = xp.asarray([[4, 1], [1, 3]]);
 * const x = xp.linalg.solve(A, xp.asarray([1, 2]));
 * console.log(await xp.toHost(x)); // Float64Array [0.0909…, 0.6363…]
 * ```
 */
export const cpu: CpuNamespace = {
  __array_api_version__: "2025.12",
  name: "cpu",
  __array_namespace_info__: (): NamespaceInfo => info,
  e: Math.E,
  pi: Math.PI,
  inf: Infinity,
  nan: NaN,
  newaxis: null,

  // creation
  asarray: (obj, options) => asarray(obj, options),
  arange,
  empty: (shape, options) => filled("empty", shape, 0, options),
  empty_like: (x, options) => filledLike("empty_like", x, 0, options),
  eye,
  full,
  full_like: (x, v, options) => filledLike("full_like", x, v, options),
  linspace,
  ones: (shape, options) => filled("ones", shape, 1, options),
  ones_like: (x, options) => filledLike("ones_like", x, 1, options),
  zeros: (shape, options) => filled("zeros", shape, 0, options),
  zeros_like: (x, options) => filledLike("zeros_like", x, 0, options),

  // data types
  astype,
  can_cast: (from, to) => canCastDT(dtypeOf(from, "can_cast"), to),
  finfo: (type) => finfoDT(dtypeOf(type, "finfo")),
  iinfo: (type) => iinfoDT(dtypeOf(type, "iinfo")),
  isdtype: (dtype, kind) => isdtypeDT(dtype, kind),
  result_type: (...items: (CpuArray | DType | Scalar)[]): DType =>
    resultType(
      items.map((x) => (typeof x === "object" && x !== null ? asArr(x, "result_type").dtype : x)),
      "float64",
      "int32",
    ),

  // manipulation
  broadcast_arrays: broadcastArrays,
  broadcast_to: (x, shape) => broadcastTo(asArr(x, "broadcast_to"), shape),
  broadcast_shapes: (...shapes) => broadcastShapes(shapes, "broadcast_shapes"),
  concat,
  expand_dims: expandDims,
  flip,
  moveaxis,
  permute_dims: (x, axes) => permuteDims(x, axes),
  reshape,
  squeeze,
  stack,
  take,
  tile,

  // elementwise
  abs: (x) => unary("abs", x),
  add: (a, b) => binary("add", a, b),
  clip,
  conj: (x) => unary("conj", x),
  divide: (a, b) => binary("divide", a, b),
  equal: (a, b) => binary("equal", a, b),
  exp: (x) => unary("exp", x),
  floor: (x) => unary("floor", x),
  greater: (a, b) => binary("greater", a, b),
  greater_equal: (a, b) => binary("greater_equal", a, b),
  hypot: (a, b) => binary("hypot", a, b),
  isfinite: (x) => unary("isfinite", x),
  isinf: (x) => unary("isinf", x),
  isnan: (x) => unary("isnan", x),
  less: (a, b) => binary("less", a, b),
  less_equal: (a, b) => binary("less_equal", a, b),
  log: (x) => unary("log", x),
  logical_and: (a, b) => binary("logical_and", a, b),
  logical_not: (x) => unary("logical_not", x),
  logical_or: (a, b) => binary("logical_or", a, b),
  maximum: (a, b) => binary("maximum", a, b),
  minimum: (a, b) => binary("minimum", a, b),
  multiply: (a, b) => binary("multiply", a, b),
  negative: (x) => unary("negative", x),
  not_equal: (a, b) => binary("not_equal", a, b),
  pow: (a, b) => binary("pow", a, b),
  sign: (x) => unary("sign", x),
  sqrt: (x) => unary("sqrt", x),
  square: (x) => unary("square", x),
  subtract: (a, b) => binary("subtract", a, b),
  where,

  // reductions
  all,
  any,
  argmax,
  argmin,
  cumulative_sum: cumulativeSum,
  max,
  mean,
  min,
  prod,
  sum,

  // linear algebra
  matmul,
  matrix_transpose: matrixTranspose,
  vecdot,
  linalg,

  // project extensions
  toHost(x: CpuArray): Promise<HostArray> {
    try {
      return Promise.resolve(asArr(x, "toHost").data.slice());
    } catch (e) {
      return Promise.reject(e);
    }
  },
  toHostSync(x: CpuArray): HostArray {
    return asArr(x, "toHostSync").data.slice();
  },
  dispose(..._arrays: CpuArray[]): void {},
  fuse(
    program: FusedProgram,
    inputs: readonly (CpuArray | number)[],
    options: { dtype: FloatDType; out?: Readonly<Record<string, CpuArray>> },
  ): FusedResult<CpuArray> {
    return fuseCpu(cpu, program, inputs, options);
  },
  csrMatvec: (a: CsrData<CpuArray>, x: CpuArray, out?: CpuArray): CpuArray => csrMatvec(a, x, out),
  csrMatmat: (a: CsrData<CpuArray>, x: CpuArray, out?: CpuArray): CpuArray => csrMatmat(a, x, out),
  solvers: {
    cg: (problem: CgKernelProblem<CpuArray>): Promise<CgKernelResult<CpuArray>> | null =>
      cpuCg(problem),
    cgSync: (problem: CgKernelProblem<CpuArray>): CgKernelResult<CpuArray> | null =>
      cpuCgSync(problem),
  },
};
