/**
 * The identity operator (optionally batched).
 *
 * @module
 */
import type { ArrayNamespace, ArrayObject, DType } from "../array_api/types.ts";
import { checkShape, fmtShape } from "../array_api/shapes.ts";
import { cpu, type CpuArray } from "../backends/cpu/mod.ts";
import { LinearOperator } from "./linear_operator.ts";
import { applyShape, broadcastCopy, describe } from "./_linear_operator_ops.ts";

/**
 * Options of {@linkcode IdentityOperator} and {@linkcode identityOperator}.
 *
 * @example
 * ```ts
 * import type { IdentityOperatorOptions } from "./identity_operator.ts";
 * const o: IdentityOperatorOptions = { batch: [5], dtype: "float32" };
 * ```
 */
export interface IdentityOperatorOptions<A extends ArrayObject = CpuArray> {
  /** Batch shape (default `[]`): the operator's shape is `[...batch, n, n]`. */
  readonly batch?: readonly number[];
  /** dtype (default: the namespace's default real floating dtype). Results have
   * `result_type(dtype, x.dtype)`. */
  readonly dtype?: DType;
  /** Namespace (default `cpu`). */
  readonly xp?: ArrayNamespace<A>;
}

/**
 * The `n × n` identity (SciPy's `IdentityOperator`), optionally with batch dimensions. Every
 * application returns a new array: `x` broadcast against the batch shape and cast to
 * `result_type(dtype, x.dtype)`. It is its own adjoint and transpose; its diagonal is ones.
 *
 * @example
 * ```ts
 * import { IdentityOperator } from "./identity_operator.ts";
 * import { cpu } from "../backends/cpu/mod.ts";
 * const I = new IdentityOperator(3, { batch: [2] });
 * console.log(I.shape, I.matvec(cpu.asarray([1, 2, 3])).shape); // [2, 3, 3] [2, 3]
 * ```
 */
export class IdentityOperator<A extends ArrayObject = CpuArray> extends LinearOperator<A> {
  /** Creates the identity of size `n` (a non-negative integer). */
  constructor(n: number, options: IdentityOperatorOptions<A> = {}) {
    if (typeof n !== "number") {
      throw new TypeError(`IdentityOperator: n must be a non-negative integer, got ${describe(n)}`);
    }
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new RangeError(`IdentityOperator: n must be a non-negative integer, got ${n}`);
    }
    const batch = checkShape(options.batch ?? [], "IdentityOperator batch");
    const xp = options.xp ?? (cpu as unknown as ArrayNamespace<A>);
    const dtype = options.dtype ?? xp.__array_namespace_info__().default_dtypes()["real floating"];
    super({
      shape: [...batch, n, n],
      dtype,
      xp,
      diagonal: () => xp.ones([...batch, n], { dtype }),
    });
  }

  #copy(x: A, kind: "vec" | "mat"): A {
    const shape = applyShape(this.shape, x.shape, kind);
    if (shape === undefined) {
      throw new RangeError(`${this}: cannot apply to x of shape ${fmtShape(x.shape)}`);
    }
    return broadcastCopy(this.xp, x, shape, this.xp.result_type(this.dtype, x.dtype));
  }

  /** A copy of `x`, broadcast against the batch shape. */
  protected override _matvec(x: A): A {
    return this.#copy(x, "vec");
  }

  /** A copy of `X`, broadcast against the batch shape. */
  protected override _matmat(x: A): A {
    return this.#copy(x, "mat");
  }

  /** Same as `matvec`. */
  protected override _rmatvec(x: A): A {
    return this.#copy(x, "vec");
  }

  /** Same as `matmat`. */
  protected override _rmatmat(x: A): A {
    return this.#copy(x, "mat");
  }

  /** The identity is its own adjoint. */
  protected override _adjoint(): LinearOperator<A> {
    return this;
  }

  /** The identity is its own transpose. */
  protected override _transpose(): LinearOperator<A> {
    return this;
  }
}

/**
 * The `n × n` identity operator, optionally batched (`[...batch, n, n]`).
 *
 * @example
 * ```ts
 * import { identityOperator } from "./identity_operator.ts";
 * const I = identityOperator(4, { batch: [3], dtype: "float32" });
 * console.log(I.shape, I.dtype); // [3, 4, 4] float32
 * ```
 */
export function identityOperator<A extends ArrayObject = CpuArray>(
  n: number,
  options: IdentityOperatorOptions<A> = {},
): IdentityOperator<A> {
  return new IdentityOperator(n, options);
}
