/**
 * `MatrixOperator`: a (batch of) dense matrices `(..., M, N)` as a `LinearOperator`.
 *
 * @module
 */
import type { ArrayNamespace, ArrayObject, DType, NestedSequence } from "../array_api/types.ts";
import { fmtShape } from "../array_api/shapes.ts";
import { isArrayObject } from "../array_api/namespace_of.ts";
import { cpu, type CpuArray } from "../backends/cpu/mod.ts";
import { LinearOperator } from "./linear_operator.ts";
import { describe, isComplexDType, takeBatch } from "./_linear_operator_ops.ts";

/**
 * Options of {@linkcode MatrixOperator}.
 *
 * @example
 * ```ts
 * import type { MatrixOperatorOptions } from "./matrix_operator.ts";
 * const o: MatrixOperatorOptions = { dtype: "float32" };
 * ```
 */
export interface MatrixOperatorOptions<A extends ArrayObject = CpuArray> {
  /** dtype for nested JS arrays (the namespace's default float dtype when absent); for an
   * array of another dtype, the matrix is converted to it. */
  readonly dtype?: DType;
  /** Namespace used to convert nested JS arrays (default `cpu`); for arrays it must be the
   * array's own namespace. */
  readonly xp?: ArrayNamespace<A>;
}

/**
 * A dense matrix, or a batch of them, as a {@linkcode LinearOperator}: `matrix` has shape
 * `(..., M, N)`. `matvec` is `matmul(A, x[..., None])`, `rmatvec` the row-vector product
 * `matmul(x[..., None, :], A)` for real dtypes (`Aᵀ` is never formed; complex dtypes contract
 * `conj(A)` with `vecdot` over axis −2), `matmat` is `matmul`, `rmatmat` is
 * `matmul(conj(Aᵀ), X)`. Batch dimensions broadcast as in `matmul`. The diagonal is
 * `linalg.diagonal(matrix)`.
 *
 * The matrix you pass is referenced, not copied: do not dispose it while the operator is in
 * use. Nested JS arrays are converted (and released by {@linkcode LinearOperator.dispose}).
 *
 * @example
 * ```ts
 * import { MatrixOperator } from "./matrix_operator.ts";
 * import { cpu } from "../backends/cpu/mod.ts";
 * const A = new MatrixOperator(cpu.asarray([[[2, 0], [0, 3]], [[1, 1], [0, 1]]])); // (2, 2, 2)
 * const y = A.matvec(cpu.asarray([1, 1]));                                         // (2, 2)
 * console.log(await cpu.toHost(y)); // Float64Array [2, 3, 2, 1]
 * ```
 */
export class MatrixOperator<A extends ArrayObject = CpuArray> extends LinearOperator<A> {
  /** The dense matrix (or batch of matrices) `(..., M, N)`. */
  readonly matrix: A;

  /** Converts nested JS arrays with `options.xp` (default `cpu`) and wraps them. */
  constructor(matrix: NestedSequence, options?: MatrixOperatorOptions<A>);
  /** Wraps `matrix`, an array `(..., M, N)` of any namespace. */
  constructor(matrix: A, options?: MatrixOperatorOptions<A>);
  /** Wraps `matrix` (an array of any namespace, or nested JS arrays converted with `xp`). */
  constructor(matrix: A | NestedSequence, options: MatrixOperatorOptions<A> = {}) {
    let a: A;
    let owned = false;
    let xp: ArrayNamespace<A>;
    if (isArrayObject(matrix)) {
      xp = matrix.__array_namespace__() as ArrayNamespace<A>;
      if (options.xp !== undefined && options.xp !== xp) {
        throw new TypeError(
          `MatrixOperator: the matrix belongs to namespace ${xp.name}, not to the given xp ${options.xp.name}`,
        );
      }
      a = matrix as A;
      if (options.dtype !== undefined && a.dtype !== options.dtype) {
        a = xp.astype(a, options.dtype);
        owned = true;
      }
    } else if (Array.isArray(matrix)) {
      xp = options.xp ?? (cpu as unknown as ArrayNamespace<A>);
      a = xp.asarray(matrix, options.dtype !== undefined ? { dtype: options.dtype } : {});
      owned = true;
    } else {
      throw new TypeError(
        `MatrixOperator: expected an array (..., M, N) or nested JS arrays, got ${
          describe(matrix)
        }`,
      );
    }
    if (a.ndim < 2) {
      throw new RangeError(
        `MatrixOperator: the matrix has shape ${fmtShape(a.shape)}; it needs at least two ` +
          `axes (..., M, N)`,
      );
    }
    const mat = a;
    super({
      shape: a.shape,
      dtype: a.dtype,
      xp,
      diagonal: () => xp.linalg.diagonal(mat),
      selectBatch: a.ndim > 2
        ? (index: Int32Array) => {
          const op = new MatrixOperator(takeBatch(xp, mat, 2, index));
          op._own(op.matrix);
          return op;
        }
        : undefined,
    });
    this.matrix = a;
    if (owned) this._own(a);
  }

  /** `A x` by `matmul(A, x[..., None])`. */
  protected override _matvec(x: A): A {
    const xp = this.xp;
    const X = xp.expand_dims(x, { axis: -1 });
    const Y = xp.matmul(this.matrix, X);
    xp.dispose(X);
    const y = xp.reshape(Y, Y.shape.slice(0, -1));
    xp.dispose(Y);
    return y;
  }

  /** `A X` by `matmul`. */
  protected override _matmat(x: A): A {
    return this.xp.matmul(this.matrix, x);
  }

  /** `Aᴴ x`: for real matrices the row vector product `matmul(x[..., None, :], A)` (no
   * transpose is formed); for complex ones `Σ_i conj(a_ij) x_i` by `vecdot` over axis −2. */
  protected override _rmatvec(x: A): A {
    const xp = this.xp;
    if (isComplexDType(this.matrix.dtype)) {
      const xc = xp.expand_dims(x, { axis: -1 });
      const y = xp.vecdot(this.matrix, xc, { axis: -2 });
      xp.dispose(xc);
      return y;
    }
    const xr = xp.expand_dims(x, { axis: -2 });
    const Y = xp.matmul(xr, this.matrix); // (..., 1, N)
    xp.dispose(xr);
    const s = Y.shape;
    const y = xp.reshape(Y, [...s.slice(0, -2), s[s.length - 1]]);
    xp.dispose(Y);
    return y;
  }

  /** `Aᴴ X` by `matmul(conj(Aᵀ), X)`. */
  protected override _rmatmat(x: A): A {
    const xp = this.xp;
    const t = xp.matrix_transpose(this.matrix);
    let h = t;
    if (isComplexDType(t.dtype)) {
      h = xp.conj(t);
      xp.dispose(t);
    }
    const y = xp.matmul(h, x);
    xp.dispose(h);
    return y;
  }
}
