/**
 * Shared plumbing of the tfjs namespace: dtype and device checks, argument validation,
 * wrapping tensors, and `run`, which evaluates a tensor expression inside `tf.tidy`.
 *
 * @module
 */
import type { ArrayNamespace, DType, Scalar } from "../../array_api/types.ts";
import { isDTypeName, promoteTypes, resultType, scalarDType } from "../../array_api/dtypes.ts";
import { broadcastShapes, fmtShape } from "../../array_api/shapes.ts";
import { TfjsArray } from "./tfjs_array.ts";
import type { TfDType, TfModule, TfTensor } from "./tf_like.ts";

/** The tf module, typed over the structural tensor type. */
export type Tf = TfModule<TfTensor>;
/** The array type used inside the implementation. */
export type Arr = TfjsArray<TfTensor>;
/** The namespace type used inside the implementation. */
export type NS = ArrayNamespace<Arr>;

/** Dtypes of this namespace. */
export const SUPPORTED_DTYPES: readonly TfDType[] = ["bool", "int32", "float32"];

/**
 * Validates a dtype request: float32/int32/bool pass; float64 is a `TypeError` that points to
 * the CPU backend (never a silent downcast); other names are `TypeError`s naming the dtype.
 */
export function checkDType(dtype: unknown, where: string): TfDType {
  if (dtype === "float32" || dtype === "int32" || dtype === "bool") return dtype;
  if (dtype === "float64") {
    throw new TypeError(
      `${where}: float64 is not available on the tfjs namespace (tfjs computes in float32); ` +
        `use the CPU backend (cpu from backends/cpu) for double precision, or ask for ` +
        `dtype "float32" explicitly`,
    );
  }
  if (isDTypeName(dtype)) {
    throw new TypeError(
      `${where}: dtype ${dtype} is not supported by the tfjs namespace (float32, int32, bool)`,
    );
  }
  throw new TypeError(`${where}: unknown dtype ${JSON.stringify(dtype)}`);
}

/** The implementation context shared by every part of the namespace. */
export class Ctx {
  /** The user's tf module. */
  readonly tf: Tf;
  /** The namespace (set once it is assembled). */
  ns!: NS;
  /** Called when arrays are disposed (CSR caches hook in here). */
  readonly onDispose: ((a: Arr) => void)[] = [];

  constructor(tf: Tf) {
    this.tf = tf;
  }

  /** The current device string. */
  device(): string {
    return `tfjs:${this.tf.getBackend()}`;
  }

  /** Validates a `device` option. */
  checkDevice(device: unknown, where: string): void {
    if (device === undefined || device === null) return;
    const d = this.device();
    if (device !== d) {
      throw new TypeError(
        `${where}: unsupported device ${JSON.stringify(device)} (this namespace has ${d})`,
      );
    }
  }

  /** Wraps a tensor the caller owns. */
  wrap(t: TfTensor): Arr {
    return new TfjsArray(this.ns, t, this.device());
  }

  /** Whether `x` is an array of this namespace. */
  isOwn(x: unknown): x is Arr {
    return x instanceof TfjsArray && x.__array_namespace__() === this.ns;
  }

  /** Validates that `x` is a live array of this namespace. */
  arr(x: unknown, where: string, what = "x"): Arr {
    if (!this.isOwn(x)) {
      if (typeof x === "object" && x !== null && "__array_namespace__" in x) {
        const other = (x as { __array_namespace__(): { name?: string } }).__array_namespace__();
        throw new TypeError(
          `${where}: ${what} belongs to another namespace (${other?.name ?? "unknown"}); ` +
            `arrays from different namespaces cannot be mixed (move data with ` +
            `xp.asarray(await other.toHost(x)) first)`,
        );
      }
      if (typeof x === "object" && x !== null && "dataId" in x && "shape" in x) {
        throw new TypeError(
          `${where}: ${what} is a raw tf.Tensor; wrap it with fromTfjs(xp, tensor) first`,
        );
      }
      throw new TypeError(`${where}: ${what} must be an array of the ${this.ns.name} namespace`);
    }
    if (x.tensor.isDisposed) {
      throw new TypeError(`${where}: ${what} (${fmtShape(x.shape)}, ${x.dtype}) was disposed`);
    }
    return x;
  }

  /**
   * Evaluates `fn` inside `tf.tidy` and wraps its result. A result that is one of the input
   * tensors is cloned, so every returned wrapper owns a distinct tensor handle. When `dtype`
   * is given the result is cast to it.
   */
  run(inputs: readonly Arr[], fn: () => TfTensor, dtype?: TfDType): Arr {
    const tf = this.tf;
    const t = tf.tidy(() => {
      let r = fn();
      if (dtype !== undefined && r.dtype !== dtype) r = tf.cast(r, dtype);
      for (const a of inputs) if (a.tensor === r) return tf.clone(r);
      return r;
    });
    return this.wrap(t);
  }

  /** A 0-d tensor of `dtype` (call inside a tidy). */
  scalar(value: Scalar, dtype: TfDType): TfTensor {
    if (dtype === "bool") return this.tf.scalar(Boolean(value), "bool");
    return this.tf.scalar(Number(value), dtype);
  }

  /** Casts `t` to `dtype` when needed (call inside a tidy). */
  cast(t: TfTensor, dtype: TfDType): TfTensor {
    return t.dtype === dtype ? t : this.tf.cast(t, dtype);
  }

  /**
   * `tf.broadcastTo` that also handles zero-size targets (which tfjs 4 gets wrong) and
   * returns `t` itself when no broadcast is needed (call inside a tidy).
   */
  broadcastTo(t: TfTensor, shape: readonly number[]): TfTensor {
    const s = t.shape;
    if (s.length === shape.length && s.every((d, i) => d === shape[i])) return t;
    if (shape.some((d) => d === 0)) return this.tf.zeros(shape.slice(), t.dtype as TfDType);
    if (s.length < shape.length) {
      t = this.tf.reshape(t, [...new Array(shape.length - s.length).fill(1), ...s]);
    }
    return this.tf.broadcastTo(t, shape.slice());
  }

  /**
   * Resolves the operands of a binary function: arrays are validated, host scalars take the
   * other operand's dtype (two scalars use `result_type`), the dtype is promoted and the
   * broadcast shape checked. Returns tensor thunks (call inside a tidy).
   */
  binaryOperands(
    where: string,
    x1: unknown,
    x2: unknown,
  ): {
    dtype: TfDType;
    shape: number[];
    arrays: Arr[];
    a: () => TfTensor;
    b: () => TfTensor;
  } {
    const isS = (v: unknown): v is Scalar => typeof v === "number" || typeof v === "boolean";
    const arrays: Arr[] = [];
    let dtype: DType;
    if (isS(x1) && isS(x2)) {
      dtype = resultType([x1, x2], "float32", "int32");
    } else if (isS(x1)) {
      const b = this.arr(x2, where, "x2");
      arrays.push(b);
      dtype = scalarDTypeAt(where, x1, b.dtype);
    } else if (isS(x2)) {
      const a = this.arr(x1, where, "x1");
      arrays.push(a);
      dtype = scalarDTypeAt(where, x2, a.dtype);
    } else {
      const a = this.arr(x1, where, "x1"), b = this.arr(x2, where, "x2");
      arrays.push(a, b);
      dtype = promoteAt(where, a.dtype, b.dtype);
    }
    const dt = checkDType(dtype, where);
    const shape = broadcastShapes(arrays.map((a) => a.shape), where);
    const thunk = (v: unknown): () => TfTensor =>
      isS(v) ? () => this.scalar(v, dt) : () => this.cast((v as Arr).tensor, dt);
    return { dtype: dt, shape, arrays, a: thunk(x1), b: thunk(x2) };
  }
}

/** `promoteTypes` with the function name in the message. */
export function promoteAt(where: string, a: DType, b: DType): DType {
  try {
    return promoteTypes(a, b);
  } catch (e) {
    throw new TypeError(`${where}: ${(e as Error).message}`);
  }
}

/** `scalarDType` with the function name in the message. */
export function scalarDTypeAt(where: string, s: Scalar, dtype: DType): DType {
  try {
    return scalarDType(s, dtype);
  } catch (e) {
    throw new TypeError(`${where}: ${(e as Error).message}`);
  }
}

/** Product of a shape. */
export function prod(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
