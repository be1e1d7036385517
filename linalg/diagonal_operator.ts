/**
 * `DiagonalOperator`: a batch of diagonal matrices given by their diagonals `(..., n)`.
 *
 * @module
 */
import type { ArrayNamespace, ArrayObject, DType, NestedSequence } from "../array_api/types.ts";
import { fmtShape } from "../array_api/shapes.ts";
import { isArrayObject } from "../array_api/namespace_of.ts";
import { cpu, type CpuArray } from "../backends/cpu/mod.ts";
import { LinearOperator } from "./linear_operator.ts";
import { describe, elementwise, isComplexDType, takeBatch } from "./_linear_operator_ops.ts";

/**
 * Options of {@linkcode DiagonalOperator}.
 *
 * @example
 * ```ts
 * import type { DiagonalOperatorOptions } from "./diagonal_operator.ts";
 * const o: DiagonalOperatorOptions = { dtype: "float32" };
 * ```
 */
export interface DiagonalOperatorOptions<A extends ArrayObject = CpuArray> {
  /** dtype for nested JS arrays (default float dtype when absent); an array of another dtype is
   * converted to it. */
  readonly dtype?: DType;
  /** Namespace used to convert nested JS arrays (default `cpu`); for arrays it must be the
   * array's own namespace. */
  readonly xp?: ArrayNamespace<A>;
}

/**
 * The batched diagonal operator `diag(d)`: `d` of shape `(..., n)` gives an operator of shape
 * `(..., n, n)` with `matvec(x) = d · x` (elementwise, broadcasting batch dimensions),
 * `rmatvec(x) = conj(d) · x`, `matmat(X) = d[..., :, None] · X`. When the call donates `out`
 * and dtypes match, the product is written into it (fused path).
 *
 * `d` is referenced, not copied: do not dispose it while the operator is in use.
 *
 * @example
 * ```ts
 * import { DiagonalOperator } from "./diagonal_operator.ts";
 * import { cpu } from "../backends/cpu/mod.ts";
 * const D = new DiagonalOperator(cpu.asarray([[1, 2, 3], [4, 5, 6]])); // shape [2, 3, 3]
 * console.log(await cpu.toHost(D.matvec(cpu.ones([3])))); // Float64Array [1, 2, 3, 4, 5, 6]
 * ```
 */
export class DiagonalOperator<A extends ArrayObject = CpuArray> extends LinearOperator<A> {
  /** The diagonals `(..., n)`. */
  readonly diag: A;
  #col: A | undefined;
  #conj: A | undefined;
  #conjCol: A | undefined;

  /** Converts nested JS arrays with `options.xp` (default `cpu`) and wraps them. */
  constructor(d: NestedSequence, options?: DiagonalOperatorOptions<A>);
  /** Wraps the diagonals `d`, an array `(..., n)` of any namespace. */
  constructor(d: A, options?: DiagonalOperatorOptions<A>);
  /** Wraps the diagonals `d` (`(..., n)`; an array or nested JS arrays). */
  constructor(d: A | NestedSequence, options: DiagonalOperatorOptions<A> = {}) {
    let a: A;
    let owned = false;
    let xp: ArrayNamespace<A>;
    if (isArrayObject(d)) {
      xp = d.__array_namespace__() as ArrayNamespace<A>;
      if (options.xp !== undefined && options.xp !== xp) {
        throw new TypeError(
          `DiagonalOperator: d belongs to namespace ${xp.name}, not to the given xp ${options.xp.name}`,
        );
      }
      a = d as A;
      if (options.dtype !== undefined && a.dtype !== options.dtype) {
        a = xp.astype(a, options.dtype);
        owned = true;
      }
    } else if (Array.isArray(d)) {
      xp = options.xp ?? (cpu as unknown as ArrayNamespace<A>);
      a = xp.asarray(d, options.dtype !== undefined ? { dtype: options.dtype } : {});
      owned = true;
    } else {
      throw new TypeError(
        `DiagonalOperator: expected an array of diagonals (..., n) or nested JS arrays, got ${
          describe(d)
        }`,
      );
    }
    if (a.ndim < 1) {
      throw new RangeError(
        `DiagonalOperator: d has shape ${fmtShape(a.shape)}; it needs at least one axis (..., n)`,
      );
    }
    const n = a.shape[a.ndim - 1];
    const diag = a;
    super({
      shape: [...a.shape, n],
      dtype: a.dtype,
      xp,
      diagonal: () => xp.astype(diag, diag.dtype, { copy: true }),
      selectBatch: a.ndim > 1
        ? (index: Int32Array) => {
          const op = new DiagonalOperator(takeBatch(xp, diag, 1, index));
          op._own(op.diag);
          return op;
        }
        : undefined,
    });
    this.diag = a;
    if (owned) this._own(a);
  }

  #column(conj: boolean): A {
    const xp = this.xp;
    if (!conj) {
      if (this.#col === undefined) {
        this.#col = xp.expand_dims(this.diag, { axis: -1 });
        this._own(this.#col);
      }
      return this.#col;
    }
    if (this.#conjCol === undefined) {
      this.#conjCol = xp.expand_dims(this.#conjugate(), { axis: -1 });
      this._own(this.#conjCol);
    }
    return this.#conjCol;
  }

  #conjugate(): A {
    if (this.#conj === undefined) {
      this.#conj = this.xp.conj(this.diag);
      this._own(this.#conj);
    }
    return this.#conj;
  }

  /** `d · x`. */
  protected override _matvec(x: A, out?: A): A {
    return elementwise(this.xp, "mul", this.diag, x, out);
  }

  /** `d[..., :, None] · X`. */
  protected override _matmat(x: A, out?: A): A {
    return elementwise(this.xp, "mul", this.#column(false), x, out);
  }

  /** `conj(d) · x`. */
  protected override _rmatvec(x: A, out?: A): A {
    const d = isComplexDType(this.diag.dtype) ? this.#conjugate() : this.diag;
    return elementwise(this.xp, "mul", d, x, out);
  }

  /** `conj(d)[..., :, None] · X`. */
  protected override _rmatmat(x: A, out?: A): A {
    const c = this.#column(isComplexDType(this.diag.dtype));
    return elementwise(this.xp, "mul", c, x, out);
  }

  /** A real diagonal operator is its own adjoint. */
  protected override _adjoint(): LinearOperator<A> {
    return isComplexDType(this.diag.dtype) ? super._adjoint() : this;
  }

  /** A diagonal operator is its own transpose. */
  protected override _transpose(): LinearOperator<A> {
    return this;
  }
}
