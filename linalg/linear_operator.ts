/**
 * The batched `LinearOperator` (SciPy 1.18 semantics) and its composition subclasses (sum,
 * difference, product, scalar/per-batch multiple, integer power, adjoint, transpose).
 *
 * An operator of shape `[...batch, M, N]` maps `x` of shape `[...batchX, N]` to
 * `[...broadcast(batch, batchX), M]`. Every computation goes through the operator's namespace
 * (`xp`), so the same operator code runs on the CPU, WebGPU or tfjs namespaces.
 *
 * @module
 */
import type { ArrayNamespace, ArrayObject, DType, Shape } from "../array_api/types.ts";
import { broadcastShapes, checkShape, fmtShape, shapesEqual } from "../array_api/shapes.ts";
import { isArrayObject } from "../array_api/namespace_of.ts";
import { isDTypeName } from "../array_api/dtypes.ts";
import { cpu, type CpuArray } from "../backends/cpu/mod.ts";
import type { OperatorLike } from "./types.ts";
import {
  applyShape,
  batchOf,
  type BinaryOp,
  broadcastCopy,
  describe,
  elementwise,
  isComplexDType,
  isOperatorLike,
  operatorLikeOptions,
} from "./_linear_operator_ops.ts";

/**
 * A user function applying an operator (or its adjoint) to `x`. `out`, when given, is a
 * donated array of the result's shape: the function may write the result into it and return
 * it, or ignore it. The function must return a new array (or `out`), never an array it keeps
 * using elsewhere.
 *
 * @example
 * ```ts
 * import type { OperatorFn } from "./linear_operator.ts";
 * import { cpu, type CpuArray } from "../backends/cpu/mod.ts";
 * const twice: OperatorFn<CpuArray> = (x) => cpu.multiply(x, 2);
 * ```
 */
export type OperatorFn<A extends ArrayObject> = (x: A, out?: A) => A;

/**
 * Options of the {@linkcode LinearOperator} constructor. At least one of `matvec`/`matmat`
 * is required (unless a subclass overrides `_matvec`/`_matmat`).
 *
 * @example
 * ```ts
 * import type { LinearOperatorOptions } from "./linear_operator.ts";
 * import { cpu, type CpuArray } from "../backends/cpu/mod.ts";
 * const o: LinearOperatorOptions<CpuArray> = {
 *   shape: [4, 4], xp: cpu, matvec: (x) => cpu.multiply(x, 3), rmatvec: (x) => cpu.multiply(x, 3),
 * };
 * ```
 */
export interface LinearOperatorOptions<A extends ArrayObject = CpuArray> {
  /** `[...batch, M, N]`: batch dimensions, then rows and columns. */
  readonly shape: Shape;
  /** Result dtype for inputs of the same dtype; inferred (by applying `matvec` to a zero vector
   * of the namespace's default float dtype, as SciPy does) when absent. */
  readonly dtype?: DType;
  /** `A x`: `[...batchX, N]` → `[...broadcast(batch, batchX), M]`. Defaults to `matmat` on a
   * trailing length-1 axis. */
  readonly matvec?: OperatorFn<A>;
  /** `A X`: `[...batchX, N, K]` → `[..., M, K]`. Defaults to `matvec` applied column by column. */
  readonly matmat?: OperatorFn<A>;
  /** `Aᴴ x`: `[...batchX, M]` → `[..., N]`. Defaults to `rmatmat`; without either the operator
   * has no adjoint (`rmatvec`/`rmatmat`/`.H` applications throw a `TypeError`). */
  readonly rmatvec?: OperatorFn<A>;
  /** `Aᴴ X`: `[...batchX, M, K]` → `[..., N, K]`. Defaults to `rmatvec` column by column. */
  readonly rmatmat?: OperatorFn<A>;
  /** Main diagonal `[...batch, min(M, N)]` (or an array broadcasting to it), or a function
   * returning a new array of it that the caller owns. Enables `jacobi(op)`. */
  readonly diagonal?: A | (() => A);
  /** Namespace of the arrays; defaults to the namespace of `diagonal` when it is an array,
   * else to `cpu`. */
  readonly xp?: ArrayNamespace<A>;
  /** Restriction to some members of the batch (see `OperatorLike.selectBatch`), when cheap. */
  readonly selectBatch?: (index: Int32Array) => OperatorLike<A>;
}

type Kind = "matvec" | "matmat" | "rmatvec" | "rmatmat";
const KINDS: readonly Kind[] = ["matvec", "matmat", "rmatvec", "rmatmat"];

/**
 * A (batch of) linear map(s) `x ↦ A x`, defined by functions (SciPy's `LinearOperator`).
 *
 * - `shape = [...batch, M, N]`; `matvec` takes `[...batchX, N]` and returns
 *   `[...broadcast(batch, batchX), M]`, `matmat` takes `[...batchX, N, K]` and returns
 *   `[..., M, K]`; `rmatvec`/`rmatmat` apply the adjoint `Aᴴ`.
 * - Every call validates its input (namespace, trailing axis, batch broadcasting) and the
 *   result's shape, raising a `TypeError`/`RangeError` that names the operator and shapes.
 * - `out` arguments are donated (see `OperatorLike`): they are passed through to the user
 *   functions and operands; when the result is another array, `out` is disposed.
 * - Compose with {@linkcode LinearOperator.add}, {@linkcode LinearOperator.sub},
 *   {@linkcode LinearOperator.matmul}/{@linkcode LinearOperator.dot},
 *   {@linkcode LinearOperator.scale}, {@linkcode LinearOperator.pow},
 *   {@linkcode LinearOperator.neg}, `.T`, `.H`; batch shapes of operands broadcast.
 *
 * Subclasses call `super({ shape, dtype?, xp })` and override `_matvec` or `_matmat` (and
 * optionally `_rmatvec`/`_rmatmat`, or `_adjoint`); the public methods add validation.
 *
 * @typeParam A the array type of the operator's namespace.
 *
 * @example
 * ```ts
 * import { LinearOperator } from "./linear_operator.ts";
 * import { cpu } from "../backends/cpu/mod.ts";
 * // five 3×3 operators x ↦ s_b · x, one per batch entry
 * const s = cpu.asarray([[1], [2], [3], [4], [5]]);
 * const op = new LinearOperator({
 *   shape: [5, 3, 3], xp: cpu,
 *   matvec: (x) => cpu.multiply(s, x), rmatvec: (x) => cpu.multiply(s, x),
 * });
 * const y = op.matvec(cpu.ones([3]));          // shape [5, 3]
 * const z = op.add(op.H).scale(0.5).matvec(cpu.ones([2, 1, 3])); // shape [2, 5, 3]
 * console.log(op.dtype, y.shape, z.shape);
 * ```
 */
export class LinearOperator<A extends ArrayObject = CpuArray> implements OperatorLike<A> {
  /** `[...batch, M, N]` (frozen). */
  readonly shape: Shape;
  /** Namespace of the arrays the operator consumes and produces. */
  readonly xp: ArrayNamespace<A>;
  /** Main diagonal `[...batch, min(M, N)]` as a new array the caller owns; present only when
   * cheaply known (identity, diagonal, dense and sparse operators, and sums, scalings, powers
   * 0/1, adjoints and transposes of those). Used by `jacobi`. */
  readonly diagonal?: () => A;
  /** The operator restricted to some members of its batch (positions in the row-major
   * flattened batch; result batch shape `[index.length]`); present only where cheap (dense,
   * diagonal, shared-pattern sparse operators). Solvers use it to compact batches. */
  readonly selectBatch?: (index: Int32Array) => OperatorLike<A>;
  #dtype: DType | undefined;
  #fns: Partial<Record<Kind, OperatorFn<A>>>;
  #impl: Record<Kind | "adjoint", boolean>;
  #owned: A[] = [];
  #adj: LinearOperator<A> | undefined;
  #tr: LinearOperator<A> | undefined;

  /**
   * Creates an operator from functions (or, in a subclass, from overridden `_matvec` etc.).
   * Without `dtype`, a plain `LinearOperator` infers it at once by applying `matvec` to a zero
   * vector; subclasses infer it lazily on first access of {@linkcode LinearOperator.dtype}.
   */
  constructor(options: LinearOperatorOptions<A>) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(
        `LinearOperator: expected an options object { shape, matvec, ... }, got ${
          describe(options)
        }`,
      );
    }
    const raw = options.shape;
    if (!Array.isArray(raw)) {
      throw new TypeError(
        `LinearOperator: shape must be an array [...batch, M, N], got ${describe(raw)}`,
      );
    }
    const shape = checkShape(raw, "LinearOperator shape");
    if (shape.length < 2) {
      throw new RangeError(
        `LinearOperator: shape ${fmtShape(shape)} needs at least two entries [...batch, M, N]`,
      );
    }
    this.shape = Object.freeze(shape);
    const fns: Partial<Record<Kind, OperatorFn<A>>> = {};
    for (const k of KINDS) {
      const f = options[k];
      if (f === undefined || f === null) continue;
      if (typeof f !== "function") {
        throw new TypeError(
          `LinearOperator of shape ${fmtShape(shape)}: ${k} must be a function, got ${describe(f)}`,
        );
      }
      fns[k] = f;
    }
    this.#fns = fns;
    const proto = LinearOperator.prototype;
    this.#impl = {
      matvec: fns.matvec !== undefined || this._matvec !== proto._matvec,
      matmat: fns.matmat !== undefined || this._matmat !== proto._matmat,
      rmatvec: fns.rmatvec !== undefined || this._rmatvec !== proto._rmatvec,
      rmatmat: fns.rmatmat !== undefined || this._rmatmat !== proto._rmatmat,
      adjoint: this._adjoint !== proto._adjoint,
    };
    if (!this.#impl.matvec && !this.#impl.matmat) {
      throw new TypeError(
        `LinearOperator of shape ${fmtShape(shape)}: pass matvec or matmat ` +
          `(or override _matvec/_matmat in a subclass)`,
      );
    }
    const diag = options.diagonal;
    let xp = options.xp;
    if (xp === undefined || xp === null) {
      xp = (isArrayObject(diag) ? diag.__array_namespace__() : cpu) as ArrayNamespace<A>;
    } else if (typeof xp !== "object" || typeof xp.asarray !== "function") {
      throw new TypeError(
        `LinearOperator of shape ${fmtShape(shape)}: xp must be an array namespace, got ${
          describe(xp)
        }`,
      );
    }
    this.xp = xp;
    if (options.dtype !== undefined && options.dtype !== null) {
      if (!isDTypeName(options.dtype)) {
        throw new TypeError(
          `LinearOperator of shape ${fmtShape(shape)}: unknown dtype ${
            JSON.stringify(options.dtype)
          }`,
        );
      }
      this.#dtype = options.dtype;
    }
    if (diag !== undefined && diag !== null) {
      if (isArrayObject(diag)) {
        this.#checkDiagonalShape(diag as A, "the diagonal option");
        this.diagonal = () => this.#finishDiagonal(diag as A, false);
      } else if (typeof diag === "function") {
        this.diagonal = () => this.#finishDiagonal(diag(), true);
      } else {
        throw new TypeError(
          `LinearOperator of shape ${fmtShape(shape)}: diagonal must be an array or a ` +
            `function returning one, got ${describe(diag)}`,
        );
      }
    }
    if (typeof options.selectBatch === "function") this.selectBatch = options.selectBatch;
    if (this.#dtype === undefined && new.target === LinearOperator) {
      this.#dtype = this._inferDType();
    }
  }

  /** Data type of the results for inputs of the same dtype (inferred on first use when the
   * constructor was not given one). */
  get dtype(): DType {
    if (this.#dtype === undefined) this.#dtype = this._inferDType();
    return this.#dtype;
  }

  /** Batch shape `shape[:-2]`. */
  get batchShape(): number[] {
    return batchOf(this.shape);
  }

  /** Number of entries of `shape` (batch dimensions + 2). */
  get ndim(): number {
    return this.shape.length;
  }

  /** Whether the adjoint is available (`rmatvec`, `rmatmat` or `_adjoint` was given). */
  get hasAdjoint(): boolean {
    return this.#impl.rmatvec || this.#impl.rmatmat || this.#impl.adjoint;
  }

  /** Applies the operator to a batch of vectors: `[...batchX, N]` →
   * `[...broadcast(batch, batchX), M]`. `out` (of the result's shape) is donated. */
  matvec(x: A, out?: A): A {
    return this.#apply("matvec", x, out);
  }

  /** Applies the operator to a batch of matrices: `[...batchX, N, K]` → `[..., M, K]`. */
  matmat(x: A, out?: A): A {
    return this.#apply("matmat", x, out);
  }

  /** Applies the adjoint: `[...batchX, M]` → `[..., N]`. `TypeError` without an adjoint. */
  rmatvec(x: A, out?: A): A {
    return this.#apply("rmatvec", x, out);
  }

  /** Applies the adjoint to matrices: `[...batchX, M, K]` → `[..., N, K]`. */
  rmatmat(x: A, out?: A): A {
    return this.#apply("rmatmat", x, out);
  }

  /** The adjoint (conjugate transpose) `Aᴴ`, shape `[...batch, N, M]`. */
  get H(): LinearOperator<A> {
    return this.adjoint();
  }

  /** The transpose `Aᵀ` (`x ↦ conj(Aᴴ conj(x))`), shape `[...batch, N, M]`. */
  get T(): LinearOperator<A> {
    return this.transpose();
  }

  /** The adjoint `Aᴴ` (same as `.H`; `op.H.H` is `op`). */
  adjoint(): LinearOperator<A> {
    return this.#adj ??= this._adjoint();
  }

  /** The transpose `Aᵀ` (same as `.T`; `op.T.T` is `op`). */
  transpose(): LinearOperator<A> {
    return this.#tr ??= this._transpose();
  }

  /** `A + B` (batch shapes broadcast; M and N must match). */
  add(other: OperatorLike<A>): LinearOperator<A> {
    return new SumLinearOperator(this, this.#operand(other, "add"), "add");
  }

  /** `A − B` (batch shapes broadcast; M and N must match). */
  sub(other: OperatorLike<A>): LinearOperator<A> {
    return new SumLinearOperator(this, this.#operand(other, "sub"), "sub");
  }

  /** Operator product `A · B` for another operator; applies the operator to an array like
   * {@linkcode LinearOperator.dot} (Python's `A @ x`). */
  matmul(other: OperatorLike<A>): LinearOperator<A>;
  /** Applies the operator to an array: 1-D → `matvec`, otherwise `matmat`. */
  matmul(other: A): A;
  /** Operator product, or application to an array. */
  matmul(other: OperatorLike<A> | A): LinearOperator<A> | A {
    if (typeof other === "number") {
      throw new TypeError(
        `${this.#name()}.matmul: got the number ${other}; use scale(alpha) for scalar multiples`,
      );
    }
    if (isArrayObject(other)) return this.#applyArray(other as A, "matmul");
    return new ProductLinearOperator(this, this.#operand(other, "matmul"));
  }

  /** SciPy's `dot`: a number gives the scaled operator, an operator the product, an array the
   * application (1-D → `matvec`, otherwise `matmat`; use `matvec` for batches of vectors). */
  dot(x: number): LinearOperator<A>;
  /** Operator product `A · B`. */
  dot(x: OperatorLike<A>): LinearOperator<A>;
  /** Applies the operator to an array (1-D → `matvec`, otherwise `matmat`). */
  dot(x: A): A;
  /** Scaled operator, operator product or application, depending on `x`. */
  dot(x: number | OperatorLike<A> | A): LinearOperator<A> | A {
    if (typeof x === "number") return this.scale(x);
    if (isArrayObject(x)) return this.#applyArray(x as A, "dot");
    return new ProductLinearOperator(this, this.#operand(x, "dot"));
  }

  /** `alpha · A` for a host number or an array of per-batch factors whose shape broadcasts with
   * the batch shape (the result's batch shape is the broadcast). */
  scale(alpha: number | A): LinearOperator<A> {
    return new ScaledLinearOperator(this, alpha);
  }

  /** `−A`. */
  neg(): LinearOperator<A> {
    return new ScaledLinearOperator(this, -1);
  }

  /** `Aᵏ` for an integer `k ≥ 0` (square operators; `A⁰` is the identity). */
  pow(k: number): LinearOperator<A> {
    return new PowerLinearOperator(this, k);
  }

  /** Releases the arrays this operator created itself (never the arrays you passed in, nor
   * operands of compositions). Using the operator afterwards is an error. */
  dispose(): void {
    const owned = this.#owned;
    this.#owned = [];
    if (owned.length > 0) this.xp.dispose(...owned);
  }

  /** A short description such as `LinearOperator(shape=(5, 3, 3), dtype=float64)`. */
  toString(): string {
    return `${this.constructor.name}(shape=${fmtShape(this.shape)}, dtype=${
      this.#dtype ?? "not inferred yet"
    })`;
  }

  // ------------------------------------------------------------------ subclass hooks

  /** Computes `A x` (no validation; `x` is `[...batchX, N]`). Default: the `matvec` option,
   * else `_matmat` on a trailing length-1 axis. */
  protected _matvec(x: A, out?: A): A {
    const f = this.#fns.matvec;
    if (f) return f(x, out);
    return this.#vecViaMat(x, false);
  }

  /** Computes `A X` (no validation). Default: the `matmat` option, else `_matvec` applied to
   * each column (so operator batch dimensions broadcast exactly as for `matvec`). */
  protected _matmat(x: A, out?: A): A {
    const f = this.#fns.matmat;
    if (f) return f(x, out);
    return this.#matViaVec(x, false);
  }

  /** Computes `Aᴴ x`. Default: the `rmatvec` option, else `_rmatmat`, else the overridden
   * `_adjoint()` operator's `matvec`. */
  protected _rmatvec(x: A, out?: A): A {
    const f = this.#fns.rmatvec;
    if (f) return f(x, out);
    if (this.#impl.rmatmat) return this.#vecViaMat(x, true);
    if (this.#impl.adjoint) return this.adjoint().matvec(x, out);
    throw this.#noAdjoint("rmatvec");
  }

  /** Computes `Aᴴ X`. Default: the `rmatmat` option, else `_rmatvec` column by column, else
   * the overridden `_adjoint()` operator's `matmat`. */
  protected _rmatmat(x: A, out?: A): A {
    const f = this.#fns.rmatmat;
    if (f) return f(x, out);
    if (this.#impl.rmatvec) return this.#matViaVec(x, true);
    if (this.#impl.adjoint) return this.adjoint().matmat(x, out);
    throw this.#noAdjoint("rmatmat");
  }

  /** Builds the adjoint operator (default: a view applying `rmatvec` as `matvec`). */
  protected _adjoint(): LinearOperator<A> {
    return new AdjointLinearOperator(this);
  }

  /** Builds the transpose operator (default: `x ↦ conj(Aᴴ conj(x))`). */
  protected _transpose(): LinearOperator<A> {
    return new TransposedLinearOperator(this);
  }

  /** Infers the dtype (default: apply `matvec` to a zero vector of the default float dtype). */
  protected _inferDType(): DType {
    const xp = this.xp;
    const dt = xp.__array_namespace_info__().default_dtypes()["real floating"];
    const z = xp.zeros([this.shape[this.shape.length - 1]], { dtype: dt });
    try {
      const y = this.matvec(z);
      const r = y.dtype;
      xp.dispose(y);
      return r;
    } catch (e) {
      if (e instanceof Error) {
        const Ctor = e instanceof RangeError ? RangeError : TypeError;
        throw new Ctor(
          `${this.#name()}: inferring the dtype (matvec of a zero vector of shape ${
            fmtShape(z.shape)
          }) failed; pass dtype to skip this. ${e.message}`,
          { cause: e },
        );
      }
      throw e;
    } finally {
      xp.dispose(z);
    }
  }

  /** Marks arrays created by the operator itself, released by {@linkcode dispose}. */
  protected _own(...arrays: A[]): void {
    this.#owned.push(...arrays);
  }

  // ------------------------------------------------------------------ internals

  #name(): string {
    return `${this.constructor.name} of shape ${fmtShape(this.shape)}`;
  }

  #noAdjoint(kind: Kind): TypeError {
    return new TypeError(
      `${this.#name()} has no adjoint: ${kind} needs rmatvec or rmatmat (pass one to the ` +
        `constructor of the operator, or of each operand of a composition, or override ` +
        `_rmatvec/_rmatmat/_adjoint in a subclass)`,
    );
  }

  #applyArray(x: A, what: string): A {
    if (x.ndim === 1) return this.matvec(x);
    if (x.ndim === 0) {
      throw new RangeError(
        `${this.#name()}.${what}: cannot apply the operator to a 0-d array; use scale(alpha)`,
      );
    }
    return this.matmat(x);
  }

  #operand(other: unknown, what: string): LinearOperator<A> {
    let op: LinearOperator<A>;
    if (other instanceof LinearOperator) op = other as LinearOperator<A>;
    else if (isArrayObject(other) || Array.isArray(other)) {
      throw new TypeError(
        `${this.#name()}.${what}: got ${describe(other)}; wrap dense matrices with ` +
          `aslinearoperator(...) first`,
      );
    } else if (isOperatorLike(other)) {
      op = new LinearOperator(operatorLikeOptions(other as OperatorLike<A>, this.xp));
    } else {
      throw new TypeError(
        `${this.#name()}.${what}: expected a LinearOperator or an operator-like object with ` +
          `shape and matvec, got ${describe(other)}`,
      );
    }
    if (op.xp !== this.xp) {
      throw new TypeError(
        `${this.#name()}.${what}: operators of different namespaces cannot be combined ` +
          `(${this.xp.name} and ${op.xp.name})`,
      );
    }
    return op;
  }

  #apply(kind: Kind, x: A, out: A | undefined): A {
    const adjoint = kind === "rmatvec" || kind === "rmatmat";
    const vec = kind === "matvec" || kind === "rmatvec";
    if (adjoint && !this.hasAdjoint) throw this.#noAdjoint(kind);
    const xp = this.xp;
    this.#checkArray(x, kind, "x");
    const exp = applyShape(this.shape, x.shape, vec ? "vec" : "mat", adjoint);
    if (exp === undefined) throw this.#shapeError(kind, x);
    if (out !== undefined && out !== null) {
      this.#checkArray(out, kind, "out");
      if (out === x) {
        throw new RangeError(
          `${this.#name()}.${kind}: out must not be x (out is donated and may be overwritten)`,
        );
      }
      if (!shapesEqual(out.shape, exp)) {
        throw new RangeError(
          `${this.#name()}.${kind}: out has shape ${fmtShape(out.shape)} but the result of ` +
            `x with shape ${fmtShape(x.shape)} has shape ${fmtShape(exp)}`,
        );
      }
      let dt: DType | undefined;
      try {
        dt = xp.result_type(this.dtype, x.dtype);
      } catch { /* leave undefined: out is not used */ }
      if (out.dtype !== dt) {
        xp.dispose(out);
        out = undefined;
      }
    } else out = undefined;
    const y = kind === "matvec"
      ? this._matvec(x, out)
      : kind === "matmat"
      ? this._matmat(x, out)
      : kind === "rmatvec"
      ? this._rmatvec(x, out)
      : this._rmatmat(x, out);
    const r = this.#checkResult(y, x, exp, kind);
    if (out !== undefined && r !== out) xp.dispose(out);
    return r;
  }

  #checkArray(x: unknown, kind: string, what: string): void {
    if (!isArrayObject(x)) {
      throw new TypeError(
        `${this.#name()}.${kind}: ${what} must be a ${this.xp.name} array, got ${describe(x)}`,
      );
    }
    const ns = x.__array_namespace__();
    if (ns !== this.xp) {
      throw new TypeError(
        `${this.#name()}.${kind}: ${what} belongs to namespace ${ns.name} but the operator ` +
          `works on ${this.xp.name} (move it with xp.asarray(await other.toHost(${what})))`,
      );
    }
  }

  #shapeError(kind: Kind, x: A): RangeError {
    const adjoint = kind === "rmatvec" || kind === "rmatmat";
    const vec = kind === "matvec" || kind === "rmatvec";
    const M = this.shape[this.shape.length - 2], N = this.shape[this.shape.length - 1];
    const inDim = adjoint ? M : N;
    const s = x.shape, nd = s.length;
    const who = `${this.#name()}.${kind}`;
    if (vec && (nd < 1 || s[nd - 1] !== inDim)) {
      const hint = nd >= 2 && s[nd - 2] === inDim
        ? ` (for column vectors of shape (..., ${inDim}, K) use ${adjoint ? "rmatmat" : "matmat"})`
        : "";
      return new RangeError(
        `${who}: x has shape ${fmtShape(s)} but its last axis must have length ${inDim}${hint}`,
      );
    }
    if (!vec && (nd < 2 || s[nd - 2] !== inDim)) {
      const hint = nd >= 1 && s[nd - 1] === inDim
        ? ` (for a batch of vectors of shape (..., ${inDim}) use ${adjoint ? "rmatvec" : "matvec"})`
        : "";
      return new RangeError(
        `${who}: x has shape ${fmtShape(s)} but must be (..., ${inDim}, K)${hint}`,
      );
    }
    const xb = s.slice(0, nd - (vec ? 1 : 2));
    return new RangeError(
      `${who}: the operator's batch shape ${fmtShape(this.batchShape)} and the batch shape ` +
        `${fmtShape(xb)} of x (shape ${fmtShape(s)}) cannot be broadcast together`,
    );
  }

  #checkResult(y: unknown, x: A, exp: readonly number[], kind: string): A {
    const xp = this.xp;
    if (!isArrayObject(y) || y.__array_namespace__() !== xp) {
      throw new TypeError(
        `${this.#name()}.${kind} returned ${describe(y)}; expected a ${xp.name} array of shape ${
          fmtShape(exp)
        }`,
      );
    }
    if (!shapesEqual(y.shape, exp)) {
      if (y !== x) xp.dispose(y as A);
      throw new RangeError(
        `${this.#name()}.${kind} returned an array of shape ${fmtShape(y.shape)} for x of shape ${
          fmtShape(x.shape)
        }; expected ${fmtShape(exp)}`,
      );
    }
    // never hand out the caller's input as the result (the caller may dispose the result)
    return (y === x ? xp.astype(x, x.dtype, { copy: true }) : y) as A;
  }

  #vecViaMat(x: A, adjoint: boolean): A {
    const xp = this.xp;
    const X = xp.expand_dims(x, { axis: -1 });
    let Y: A;
    try {
      Y = adjoint ? this._rmatmat(X) : this._matmat(X);
      Y = this.#checkResult(
        Y,
        X,
        applyShape(this.shape, X.shape, "mat", adjoint)!,
        adjoint ? "rmatmat" : "matmat",
      );
    } finally {
      xp.dispose(X);
    }
    const y = xp.reshape(Y, Y.shape.slice(0, -1));
    xp.dispose(Y);
    return y;
  }

  #matViaVec(X: A, adjoint: boolean): A {
    const xp = this.xp;
    const exp = applyShape(this.shape, X.shape, "mat", adjoint)!;
    const K = X.shape[X.shape.length - 1];
    if (K === 0) return xp.zeros(exp, { dtype: xp.result_type(this.dtype, X.dtype) });
    const colShape = X.shape.slice(0, -1);
    const kind = adjoint ? "rmatvec" : "matvec";
    const colExp = exp.slice(0, -1);
    const Xt = xp.moveaxis(X, -1, 0); // (K, ...batchX, N): one contiguous slab per column
    const cols: A[] = [];
    try {
      for (let k = 0; k < K; k++) {
        const idx = xp.asarray([k], { dtype: "int32" });
        const c1 = xp.take(Xt, idx, { axis: 0 });
        const c = xp.reshape(c1, colShape);
        xp.dispose(idx, c1);
        try {
          const y = adjoint ? this._rmatvec(c) : this._matvec(c);
          cols.push(this.#checkResult(y, c, colExp, kind));
        } finally {
          xp.dispose(c);
        }
      }
      return xp.stack(cols, { axis: -1 });
    } finally {
      xp.dispose(Xt, ...cols);
    }
  }

  #checkDiagonalShape(d: A, what: string): void {
    this.#checkArray(d, "diagonal", what);
    const k = Math.min(this.shape[this.shape.length - 2], this.shape[this.shape.length - 1]);
    const want = [...this.batchShape, k];
    let ok = d.shape.length >= 1 && d.shape[d.shape.length - 1] === k;
    if (ok) {
      try {
        ok = shapesEqual(broadcastShapes([d.shape, want]), want);
      } catch {
        ok = false;
      }
    }
    if (!ok) {
      throw new RangeError(
        `${this.#name()}: ${what} has shape ${fmtShape(d.shape)}; expected ${
          fmtShape(want)
        } (or a shape broadcasting to it)`,
      );
    }
  }

  #finishDiagonal(d: A, owned: boolean): A {
    if (owned) {
      try {
        this.#checkDiagonalShape(d, "diagonal()");
      } catch (e) {
        if (isArrayObject(d)) this.xp.dispose(d);
        throw e;
      }
    }
    const k = Math.min(this.shape[this.shape.length - 2], this.shape[this.shape.length - 1]);
    const want = [...this.batchShape, k];
    if (owned && shapesEqual(d.shape, want)) return d;
    const r = broadcastCopy(this.xp, d, want, d.dtype);
    if (owned) this.xp.dispose(d);
    return r;
  }
}

// ==================================================================== compositions

type Apply = "matvec" | "matmat" | "rmatvec" | "rmatmat";

function call<A extends ArrayObject>(op: LinearOperator<A>, kind: Apply, x: A, out?: A): A {
  switch (kind) {
    case "matvec":
      return op.matvec(x, out);
    case "matmat":
      return op.matmat(x, out);
    case "rmatvec":
      return op.rmatvec(x, out);
    case "rmatmat":
      return op.rmatmat(x, out);
  }
}

function applyShapeOf(
  op: { readonly shape: Shape },
  kind: Apply,
  x: ArrayObject,
): number[] | undefined {
  const vec = kind === "matvec" || kind === "rmatvec";
  return applyShape(op.shape, x.shape, vec ? "vec" : "mat", kind[0] === "r");
}

/** `out` if the result of `op` applied to `x` has out's shape (so it can be donated to it). */
function outFor<A extends ArrayObject>(
  op: LinearOperator<A>,
  kind: Apply,
  x: A,
  out: A | undefined,
): A | undefined {
  if (out === undefined) return undefined;
  const s = applyShapeOf(op, kind, x);
  return s !== undefined && shapesEqual(s, out.shape) ? out : undefined;
}

/**
 * `ya op b` where `ya` is a fresh result we own: writes into `out` when it was not already
 * handed to the producer of `ya`, else into `ya` itself when it has the final shape.
 */
function finishBinary<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
  op: BinaryOp,
  ya: A,
  b: A | number,
  out: A | undefined,
  outUsed: boolean,
): A {
  const finalShape = typeof b === "number" ? ya.shape : broadcastShapes([ya.shape, b.shape]);
  const donate = out !== undefined && !outUsed
    ? out
    : shapesEqual(ya.shape, finalShape)
    ? ya
    : undefined;
  const r = elementwise(xp, op, ya, b, donate);
  if (donate !== ya) xp.dispose(ya);
  return r;
}

function matchShapes(
  what: string,
  a: { readonly shape: Shape },
  b: { readonly shape: Shape },
  inner: boolean,
): number[] {
  const sa = a.shape, sb = b.shape;
  const [Ma, Na] = sa.slice(-2), [Mb, Nb] = sb.slice(-2);
  const ok = inner ? Na === Mb : Ma === Mb && Na === Nb;
  if (!ok) {
    throw new RangeError(
      `${what}: operator shapes ${fmtShape(sa)} and ${fmtShape(sb)} ` +
        (inner
          ? `are not aligned (${Na} columns vs ${Mb} rows)`
          : `differ in their matrix dimensions (${Ma}×${Na} vs ${Mb}×${Nb})`),
    );
  }
  let batch: number[];
  try {
    batch = broadcastShapes([batchOf(sa), batchOf(sb)]);
  } catch {
    throw new RangeError(
      `${what}: operator shapes ${fmtShape(sa)} and ${fmtShape(sb)} have batch shapes ${
        fmtShape(batchOf(sa))
      } and ${fmtShape(batchOf(sb))} that cannot be broadcast together`,
    );
  }
  return inner ? [...batch, Ma, Nb] : [...batch, Ma, Na];
}

/** `A ± B`. */
class SumLinearOperator<A extends ArrayObject> extends LinearOperator<A> {
  readonly #a: LinearOperator<A>;
  readonly #b: LinearOperator<A>;
  readonly #op: "add" | "sub";
  constructor(a: LinearOperator<A>, b: LinearOperator<A>, op: "add" | "sub") {
    const shape = matchShapes(op, a, b, false);
    const xp = a.xp;
    const da = a.diagonal, db = b.diagonal;
    super({
      shape,
      xp,
      diagonal: da && db
        ? () => {
          const x = da();
          let y: A;
          try {
            y = db();
          } catch (e) {
            xp.dispose(x);
            throw e;
          }
          const r = finishBinary(xp, op, x, y, undefined, false);
          xp.dispose(y);
          return r;
        }
        : undefined,
    });
    this.#a = a;
    this.#b = b;
    this.#op = op;
  }
  protected override _inferDType(): DType {
    return this.xp.result_type(this.#a.dtype, this.#b.dtype);
  }
  #run(kind: Apply, x: A, out?: A): A {
    const xp = this.xp;
    const oa = outFor(this.#a, kind, x, out);
    const ya = call(this.#a, kind, x, oa);
    let yb: A;
    try {
      yb = call(this.#b, kind, x);
    } catch (e) {
      xp.dispose(ya);
      throw e;
    }
    const r = finishBinary(xp, this.#op, ya, yb, out, oa !== undefined);
    xp.dispose(yb);
    return r;
  }
  protected override _matvec(x: A, out?: A): A {
    return this.#run("matvec", x, out);
  }
  protected override _matmat(x: A, out?: A): A {
    return this.#run("matmat", x, out);
  }
  protected override _rmatvec(x: A, out?: A): A {
    return this.#run("rmatvec", x, out);
  }
  protected override _rmatmat(x: A, out?: A): A {
    return this.#run("rmatmat", x, out);
  }
  override get hasAdjoint(): boolean {
    return this.#a.hasAdjoint && this.#b.hasAdjoint;
  }
}

/** `A · B`. */
class ProductLinearOperator<A extends ArrayObject> extends LinearOperator<A> {
  readonly #a: LinearOperator<A>;
  readonly #b: LinearOperator<A>;
  constructor(a: LinearOperator<A>, b: LinearOperator<A>) {
    super({ shape: matchShapes("matmul", a, b, true), xp: a.xp });
    this.#a = a;
    this.#b = b;
  }
  protected override _inferDType(): DType {
    return this.xp.result_type(this.#a.dtype, this.#b.dtype);
  }
  #run(kind: Apply, x: A, out?: A): A {
    // forward: A (B x); adjoint: Bᴴ (Aᴴ x)
    const [first, second] = kind[0] === "r" ? [this.#a, this.#b] : [this.#b, this.#a];
    const t = call(first, kind, x);
    try {
      return call(second, kind, t, outFor(second, kind, t, out));
    } finally {
      this.xp.dispose(t);
    }
  }
  protected override _matvec(x: A, out?: A): A {
    return this.#run("matvec", x, out);
  }
  protected override _matmat(x: A, out?: A): A {
    return this.#run("matmat", x, out);
  }
  protected override _rmatvec(x: A, out?: A): A {
    return this.#run("rmatvec", x, out);
  }
  protected override _rmatmat(x: A, out?: A): A {
    return this.#run("rmatmat", x, out);
  }
  override get hasAdjoint(): boolean {
    return this.#a.hasAdjoint && this.#b.hasAdjoint;
  }
}

/** `alpha · A` with a host number or a per-batch array. */
class ScaledLinearOperator<A extends ArrayObject> extends LinearOperator<A> {
  readonly #a: LinearOperator<A>;
  readonly #alpha: number | undefined;
  readonly #vec: A | undefined; // alpha reshaped to [...S, 1]
  readonly #mat: A | undefined; // alpha reshaped to [...S, 1, 1]
  #conj: { vec: A; mat: A } | undefined;
  constructor(a: LinearOperator<A>, alpha: number | A) {
    const xp = a.xp;
    let shape: number[];
    let vec: A | undefined, mat: A | undefined;
    if (typeof alpha === "number") {
      shape = [...a.shape];
    } else if (isArrayObject(alpha)) {
      const ns = alpha.__array_namespace__();
      if (ns !== xp) {
        throw new TypeError(
          `scale: alpha belongs to namespace ${ns.name} but the operator works on ${xp.name}`,
        );
      }
      let batch: number[];
      try {
        batch = broadcastShapes([a.batchShape, alpha.shape]);
      } catch {
        throw new RangeError(
          `scale: alpha of shape ${fmtShape(alpha.shape)} does not broadcast with the batch ` +
            `shape ${fmtShape(a.batchShape)} of the operator of shape ${fmtShape(a.shape)}`,
        );
      }
      shape = [...batch, ...a.shape.slice(-2)];
      vec = xp.reshape(alpha, [...alpha.shape, 1]);
      mat = xp.reshape(alpha, [...alpha.shape, 1, 1]);
    } else {
      throw new TypeError(
        `scale: alpha must be a number or a ${xp.name} array of per-batch factors, got ${
          describe(alpha)
        }`,
      );
    }
    const da = a.diagonal;
    super({
      shape,
      xp,
      diagonal: da
        ? () => finishBinary(xp, "mul", da(), vec ?? (alpha as number), undefined, false)
        : undefined,
    });
    this.#a = a;
    this.#alpha = typeof alpha === "number" ? alpha : undefined;
    this.#vec = vec;
    this.#mat = mat;
    if (vec && mat) this._own(vec, mat);
  }
  protected override _inferDType(): DType {
    const alpha = this.#alpha ?? this.#vec!;
    return this.xp.result_type(this.#a.dtype, alpha);
  }
  #factor(kind: Apply): A | number {
    if (this.#alpha !== undefined) return this.#alpha;
    const vec = kind === "matvec" || kind === "rmatvec";
    if (kind[0] === "r" && isComplexDType(this.#vec!.dtype)) {
      if (this.#conj === undefined) {
        this.#conj = { vec: this.xp.conj(this.#vec!), mat: this.xp.conj(this.#mat!) };
        this._own(this.#conj.vec, this.#conj.mat);
      }
      return vec ? this.#conj.vec : this.#conj.mat;
    }
    return vec ? this.#vec! : this.#mat!;
  }
  #run(kind: Apply, x: A, out?: A): A {
    const oa = outFor(this.#a, kind, x, out);
    const y = call(this.#a, kind, x, oa);
    return finishBinary(this.xp, "mul", y, this.#factor(kind), out, oa !== undefined);
  }
  protected override _matvec(x: A, out?: A): A {
    return this.#run("matvec", x, out);
  }
  protected override _matmat(x: A, out?: A): A {
    return this.#run("matmat", x, out);
  }
  protected override _rmatvec(x: A, out?: A): A {
    return this.#run("rmatvec", x, out);
  }
  protected override _rmatmat(x: A, out?: A): A {
    return this.#run("rmatmat", x, out);
  }
  override get hasAdjoint(): boolean {
    return this.#a.hasAdjoint;
  }
}

/** `Aᵏ`. */
class PowerLinearOperator<A extends ArrayObject> extends LinearOperator<A> {
  readonly #a: LinearOperator<A>;
  readonly #k: number;
  constructor(a: LinearOperator<A>, k: number) {
    if (typeof k !== "number") {
      throw new TypeError(`pow: k must be an integer ≥ 0, got ${describe(k)}`);
    }
    if (!Number.isSafeInteger(k) || k < 0) {
      throw new RangeError(`pow: k must be an integer ≥ 0, got ${k}`);
    }
    const [M, N] = a.shape.slice(-2);
    if (M !== N) {
      throw new RangeError(
        `pow: the operator of shape ${fmtShape(a.shape)} is not square (${M}×${N})`,
      );
    }
    const xp = a.xp;
    const batch = a.batchShape;
    super({
      shape: a.shape,
      xp,
      diagonal: k === 0
        ? () => xp.ones([...batch, N], { dtype: a.dtype })
        : k === 1 && a.diagonal
        ? a.diagonal
        : undefined,
    });
    this.#a = a;
    this.#k = k;
  }
  protected override _inferDType(): DType {
    return this.#a.dtype;
  }
  #run(kind: Apply, x: A, out?: A): A {
    const xp = this.xp, a = this.#a, k = this.#k;
    if (k === 0) {
      return broadcastCopy(
        xp,
        x,
        applyShapeOf(this, kind, x)!,
        xp.result_type(this.dtype, x.dtype),
      );
    }
    let cur = call(a, kind, x, k === 1 ? out : undefined);
    let spare: A | undefined;
    try {
      for (let i = 2; i <= k; i++) {
        let o = spare;
        if (i === k && out !== undefined) {
          if (spare !== undefined) xp.dispose(spare);
          o = out;
        }
        spare = undefined; // donated (consumed) by the call below
        const next = call(a, kind, cur, o);
        spare = cur;
        cur = next;
      }
    } catch (e) {
      xp.dispose(cur);
      throw e;
    }
    if (spare !== undefined) xp.dispose(spare);
    return cur;
  }
  protected override _matvec(x: A, out?: A): A {
    return this.#run("matvec", x, out);
  }
  protected override _matmat(x: A, out?: A): A {
    return this.#run("matmat", x, out);
  }
  protected override _rmatvec(x: A, out?: A): A {
    return this.#run("rmatvec", x, out);
  }
  protected override _rmatmat(x: A, out?: A): A {
    return this.#run("rmatmat", x, out);
  }
  override get hasAdjoint(): boolean {
    return this.#k === 0 || this.#a.hasAdjoint;
  }
}

/** `Aᴴ` as an operator. */
class AdjointLinearOperator<A extends ArrayObject> extends LinearOperator<A> {
  readonly #a: LinearOperator<A>;
  constructor(a: LinearOperator<A>) {
    const [M, N] = a.shape.slice(-2);
    const xp = a.xp;
    const da = a.diagonal;
    super({
      shape: [...a.batchShape, N, M],
      xp,
      diagonal: da
        ? () => {
          const d = da();
          if (!isComplexDType(d.dtype)) return d;
          const r = xp.conj(d);
          xp.dispose(d);
          return r;
        }
        : undefined,
    });
    this.#a = a;
  }
  protected override _inferDType(): DType {
    return this.#a.dtype;
  }
  protected override _matvec(x: A, out?: A): A {
    return this.#a.rmatvec(x, out);
  }
  protected override _matmat(x: A, out?: A): A {
    return this.#a.rmatmat(x, out);
  }
  protected override _rmatvec(x: A, out?: A): A {
    return this.#a.matvec(x, out);
  }
  protected override _rmatmat(x: A, out?: A): A {
    return this.#a.matmat(x, out);
  }
  protected override _adjoint(): LinearOperator<A> {
    return this.#a;
  }
}

/** `Aᵀ` as an operator: `x ↦ conj(Aᴴ conj(x))`. */
class TransposedLinearOperator<A extends ArrayObject> extends LinearOperator<A> {
  readonly #a: LinearOperator<A>;
  constructor(a: LinearOperator<A>) {
    const [M, N] = a.shape.slice(-2);
    super({ shape: [...a.batchShape, N, M], xp: a.xp, diagonal: a.diagonal });
    this.#a = a;
  }
  protected override _inferDType(): DType {
    return this.#a.dtype;
  }
  #run(kind: Apply, x: A, out?: A): A {
    const xp = this.xp, a = this.#a;
    // Aᵀ = conj(Aᴴ conj(·)); for real A this is just Aᴴ (whatever x's dtype).
    const inner: Apply = kind === "matvec"
      ? "rmatvec"
      : kind === "matmat"
      ? "rmatmat"
      : kind === "rmatvec"
      ? "matvec"
      : "matmat";
    if (!isComplexDType(a.dtype)) return call(a, inner, x, out);
    const cx = xp.conj(x);
    try {
      const y = call(a, inner, cx, outFor(a, inner, cx, out));
      const r = xp.conj(y);
      xp.dispose(y);
      return r;
    } finally {
      xp.dispose(cx);
    }
  }
  protected override _matvec(x: A, out?: A): A {
    return this.#run("matvec", x, out);
  }
  protected override _matmat(x: A, out?: A): A {
    return this.#run("matmat", x, out);
  }
  protected override _rmatvec(x: A, out?: A): A {
    return this.#run("rmatvec", x, out);
  }
  protected override _rmatmat(x: A, out?: A): A {
    return this.#run("rmatmat", x, out);
  }
  protected override _transpose(): LinearOperator<A> {
    return this.#a;
  }
}
