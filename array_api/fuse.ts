/**
 * Fused elementwise programs: how solvers describe their hot vector updates and per-system
 * scalar recurrences once, so that each backend can run them as one loop (CPU) or one kernel
 * (GPU) instead of a chain of standard functions that each allocate an intermediate.
 *
 * A program is defined once (usually at module level) with {@linkcode defineFused}: named
 * inputs with value types, and a body that builds expressions. It is run with
 * {@linkcode runFused}, which calls the namespace's optional `fuse` hook, or evaluates the
 * program with standard functions when the namespace has none (so every conforming namespace
 * works, only slower).
 *
 * Semantics: all array inputs broadcast to one iteration shape `S`; every elementwise output
 * has shape `S`; every `f.sum(e)` reduces `e` over the last axis of `S` (shape `S[:-1]`).
 * Host numbers may be passed for `float` or `int` inputs (they act as uniforms).
 *
 * @example
 * ```ts
 * import { defineFused, runFused } from "./fuse.ts";
 * import { cpu as xp } from "../backends/cpu/mod.ts";
 * const axpyNorm = defineFused("axpy+norm2", { x: "float", y: "float", a: "float" }, (v, f) => {
 *   const y = v.y.add(v.a.mul(v.x));
 *   return { y, nrm2: f.sum(y.mul(y)) };
 * });
 * const x = xp.asarray([[1, 2], [3, 4]]), y = xp.zeros([2, 2]);
 * const a = xp.asarray([[2], [-1]]);                       // one scalar per system
 * const r = runFused(xp, axpyNorm, { x, y, a }, { out: { y } });
 * console.log(await xp.toHost(r.nrm2));                     // Float64Array [20, 25]
 * ```
 *
 * @module
 */
import type {
  ArrayNamespace,
  ArrayObject,
  FloatDType,
  FusedNode,
  FusedOp,
  FusedProgram,
  FusedType,
  Scalar,
} from "./types.ts";
import { isFloatDType } from "./dtypes.ts";
import { broadcastShapes, fmtShape } from "./shapes.ts";

/**
 * A symbolic value inside a fused program body. Arithmetic methods accept another `Expr` or a
 * host number (which takes this expression's type).
 *
 * @example
 * ```ts
 * import { defineFused } from "./fuse.ts";
 * const p = defineFused("demo", { a: "float", b: "float" }, (v) => ({ c: v.a.mul(v.b).add(1) }));
 * ```
 */
export class Expr {
  /** @internal */
  readonly b: ProgramBuilder;
  /** Index of the node in the program. */
  readonly node: number;
  /** Value type of the expression. */
  readonly type: FusedType;
  /** @internal */
  constructor(b: ProgramBuilder, node: number, type: FusedType) {
    this.b = b;
    this.node = node;
    this.type = type;
  }
  /** `this + o`. */
  add(o: Expr | number): Expr {
    return this.b.arith("add", this, o);
  }
  /** `this − o`. */
  sub(o: Expr | number): Expr {
    return this.b.arith("sub", this, o);
  }
  /** `this · o`. */
  mul(o: Expr | number): Expr {
    return this.b.arith("mul", this, o);
  }
  /** `this / o` (float only). */
  div(o: Expr | number): Expr {
    return this.b.floatBinary("div", this, o);
  }
  /** `max(this, o)`. */
  max(o: Expr | number): Expr {
    return this.b.arith("max", this, o);
  }
  /** `min(this, o)`. */
  min(o: Expr | number): Expr {
    return this.b.arith("min", this, o);
  }
  /** `√(this² + o²)` (float only). */
  hypot(o: Expr | number): Expr {
    return this.b.floatBinary("hypot", this, o);
  }
  /** `−this`. */
  neg(): Expr {
    return this.b.unary("neg", this);
  }
  /** `|this|`. */
  abs(): Expr {
    return this.b.unary("abs", this);
  }
  /** `√this` (float only). */
  sqrt(): Expr {
    return this.b.unary("sqrt", this);
  }
  /** Sign: −1, 0 or 1 (NaN for NaN). */
  sign(): Expr {
    return this.b.unary("sign", this);
  }
  /** `this < o` (bool). */
  lt(o: Expr | number): Expr {
    return this.b.compare("lt", this, o);
  }
  /** `this ≤ o` (bool). */
  le(o: Expr | number): Expr {
    return this.b.compare("le", this, o);
  }
  /** `this > o` (bool). */
  gt(o: Expr | number): Expr {
    return this.b.compare("gt", this, o);
  }
  /** `this ≥ o` (bool). */
  ge(o: Expr | number): Expr {
    return this.b.compare("ge", this, o);
  }
  /** `this == o` (bool). */
  eq(o: Expr | number): Expr {
    return this.b.compare("eq", this, o);
  }
  /** `this != o` (bool). */
  ne(o: Expr | number): Expr {
    return this.b.compare("ne", this, o);
  }
  /** Logical and of two bool expressions. */
  and(o: Expr | boolean): Expr {
    return this.b.logical("and", this, o);
  }
  /** Logical or of two bool expressions. */
  or(o: Expr | boolean): Expr {
    return this.b.logical("or", this, o);
  }
  /** Logical not of a bool expression. */
  not(): Expr {
    return this.b.unary("not", this);
  }
  /** Whether a float is finite (bool). */
  isfinite(): Expr {
    return this.b.unary("isfinite", this);
  }
  /** Converts an int or bool expression to float (bool: 0/1). */
  toFloat(): Expr {
    return this.b.unary("toFloat", this);
  }
  /** Converts a float (truncating toward zero) or bool expression to int. */
  toInt(): Expr {
    return this.b.unary("toInt", this);
  }
}

/**
 * Marks an expression to be summed over the last axis of the iteration shape
 * (made by `f.sum`).
 *
 * @example
 * ```ts
 * import { defineFused } from "./fuse.ts";
 * const dot = defineFused("dot", { a: "float", b: "float" }, (v, f) => ({ d: f.sum(v.a.mul(v.b)) }));
 * ```
 */
export class SumOf {
  /** The summed expression. */
  readonly expr: Expr;
  /** @internal */
  constructor(expr: Expr) {
    this.expr = expr;
  }
}

/**
 * Free functions available in a program body.
 *
 * @example
 * ```ts
 * import { defineFused } from "./fuse.ts";
 * const p = defineFused("w", { c: "bool", a: "float" }, (v, f) => ({ y: f.where(v.c, v.a, 0) }));
 * ```
 */
export interface FuseOps {
  /** `cond ? a : b`. */
  where(cond: Expr | boolean, a: Expr | number | boolean, b: Expr | number | boolean): Expr;
  /** Elementwise maximum. */
  max(a: Expr, b: Expr | number): Expr;
  /** Elementwise minimum. */
  min(a: Expr, b: Expr | number): Expr;
  /** `√(a² + b²)`. */
  hypot(a: Expr, b: Expr | number): Expr;
  /** A literal of the given type (float by default). */
  const(value: number | boolean, type?: FusedType): Expr;
  /** Sum over the last axis of the iteration shape. */
  sum(e: Expr): SumOf;
}

/** @internal */
class ProgramBuilder {
  readonly nodes: FusedNode[] = [];
  readonly memo: Map<string, number> = new Map();
  readonly label: string;
  constructor(label: string) {
    this.label = label;
  }
  push(node: FusedNode): Expr {
    const k = JSON.stringify(node);
    let i = this.memo.get(k);
    if (i === undefined) {
      i = this.nodes.length;
      this.nodes.push(node);
      this.memo.set(k, i);
    }
    return new Expr(this, i, node.type);
  }
  lift(o: Expr | number | boolean, like: FusedType): Expr {
    if (o instanceof Expr) {
      if (o.b !== this) throw new TypeError(`${this.label}: expression from another program`);
      return o;
    }
    if (typeof o === "boolean") {
      return this.push({ kind: "const", value: o ? 1 : 0, type: "bool" });
    }
    if (like === "bool") {
      throw new TypeError(`${this.label}: number ${o} used where a bool is expected`);
    }
    if (like === "int" && !Number.isInteger(o)) {
      throw new TypeError(`${this.label}: non-integral literal ${o} in an int expression`);
    }
    return this.push({ kind: "const", value: o, type: like });
  }
  op(op: FusedOp, args: Expr[], type: FusedType): Expr {
    return this.push({ kind: "op", op, args: args.map((a) => a.node), type });
  }
  arith(op: FusedOp, a: Expr, o: Expr | number): Expr {
    const b = this.lift(o, a.type);
    if (a.type === "bool" || b.type !== a.type) {
      throw new TypeError(
        `${this.label}: ${op} needs two float or two int operands, got ${a.type} and ${b.type}`,
      );
    }
    return this.op(op, [a, b], a.type);
  }
  floatBinary(op: FusedOp, a: Expr, o: Expr | number): Expr {
    const b = this.lift(o, a.type);
    if (a.type !== "float" || b.type !== "float") {
      throw new TypeError(`${this.label}: ${op} needs float operands, got ${a.type} and ${b.type}`);
    }
    return this.op(op, [a, b], "float");
  }
  compare(op: FusedOp, a: Expr, o: Expr | number): Expr {
    const b = this.lift(o, a.type);
    if (a.type === "bool" || b.type !== a.type) {
      throw new TypeError(
        `${this.label}: ${op} needs two float or two int operands, got ${a.type} and ${b.type}`,
      );
    }
    return this.op(op, [a, b], "bool");
  }
  logical(op: FusedOp, a: Expr, o: Expr | boolean): Expr {
    const b = this.lift(o, "bool");
    if (a.type !== "bool" || b.type !== "bool") {
      throw new TypeError(`${this.label}: ${op} needs bool operands, got ${a.type} and ${b.type}`);
    }
    return this.op(op, [a, b], "bool");
  }
  unary(op: FusedOp, a: Expr): Expr {
    const t = a.type;
    switch (op) {
      case "neg":
      case "abs":
      case "sign":
        if (t === "bool") break;
        return this.op(op, [a], t);
      case "sqrt":
        if (t !== "float") break;
        return this.op(op, [a], t);
      case "not":
        if (t !== "bool") break;
        return this.op(op, [a], t);
      case "isfinite":
        if (t !== "float") break;
        return this.op(op, [a], "bool");
      case "toFloat":
        return t === "float" ? a : this.op(op, [a], "float");
      case "toInt":
        return t === "int" ? a : this.op(op, [a], "int");
    }
    throw new TypeError(`${this.label}: ${op} does not accept a ${t} operand`);
  }
}

/**
 * A program made by {@linkcode defineFused}: the backend-neutral {@linkcode FusedProgram}
 * plus the declared input types. `I` is the input-name union, `O` the output-name union.
 *
 * @example
 * ```ts
 * import { defineFused, type FusedDefinition } from "./fuse.ts";
 * const p: FusedDefinition<"a", "b"> = defineFused("neg", { a: "float" }, (v) => ({ b: v.a.neg() }));
 * ```
 */
export interface FusedDefinition<I extends string, O extends string> {
  /** The program handed to backends. */
  readonly program: FusedProgram;
  /** Declared type of each input, by name. */
  readonly inputTypes: Readonly<Record<I, FusedType>>;
  /** Output names (elementwise outputs and sums). */
  readonly outputNames: readonly O[];
}

/**
 * Defines a fused program. `inputs` declares every input's value type; `body` receives one
 * {@linkcode Expr} per input and the {@linkcode FuseOps}, and returns the outputs: plain
 * expressions are elementwise outputs, `f.sum(e)` values are reductions over the last axis.
 * Shared sub-expressions are computed once.
 *
 * @example
 * ```ts
 * import { defineFused } from "./fuse.ts";
 * const update = defineFused(
 *   "cg.update",
 *   { x: "float", p: "float", r: "float", q: "float", alpha: "float", active: "bool" },
 *   (v, f) => {
 *     const x = f.where(v.active, v.x.add(v.alpha.mul(v.p)), v.x);
 *     const r = f.where(v.active, v.r.sub(v.alpha.mul(v.q)), v.r);
 *     return { x, r, rr: f.sum(r.mul(r)) };
 *   },
 * );
 * ```
 */
export function defineFused<I extends string, O extends string>(
  label: string,
  inputs: Readonly<Record<I, FusedType>>,
  body: (v: Readonly<Record<I, Expr>>, f: FuseOps) => Readonly<Record<O, Expr | SumOf>>,
): FusedDefinition<I, O> {
  const b = new ProgramBuilder(label);
  const names = Object.keys(inputs) as I[];
  const vars = {} as Record<I, Expr>;
  names.forEach((n, slot) => {
    const type = inputs[n];
    if (type !== "float" && type !== "int" && type !== "bool") {
      throw new TypeError(`${label}: input ${n} has unknown type ${JSON.stringify(type)}`);
    }
    vars[n] = b.push({ kind: "input", slot, type });
  });
  const f: FuseOps = {
    where(cond, x, y) {
      const c = b.lift(cond, "bool");
      if (c.type !== "bool") throw new TypeError(`${label}: where needs a bool condition`);
      const t = x instanceof Expr
        ? x.type
        : y instanceof Expr
        ? y.type
        : typeof x === "boolean"
        ? "bool"
        : "float";
      const xe = b.lift(x, t), ye = b.lift(y, t);
      if (xe.type !== ye.type) {
        throw new TypeError(`${label}: where branches differ (${xe.type} and ${ye.type})`);
      }
      return b.op("where", [c, xe, ye], xe.type);
    },
    max: (x, y) => x.max(y),
    min: (x, y) => x.min(y),
    hypot: (x, y) => x.hypot(y),
    const: (value, type) => b.lift(value, type ?? (typeof value === "boolean" ? "bool" : "float")),
    sum(e) {
      if (e.type !== "float") throw new TypeError(`${label}: sum needs a float expression`);
      return new SumOf(e);
    },
  };
  const res = body(vars, f);
  const outputs: { name: string; node: number }[] = [];
  const sums: { name: string; node: number }[] = [];
  for (const name of Object.keys(res) as O[]) {
    const v = res[name];
    if (v instanceof SumOf) sums.push({ name, node: v.expr.node });
    else if (v instanceof Expr) outputs.push({ name, node: v.node });
    else throw new TypeError(`${label}: output ${name} is not an expression`);
  }
  const key = JSON.stringify([names.map((n) => inputs[n]), b.nodes, outputs, sums]);
  const program: FusedProgram = {
    label,
    key,
    inputs: names,
    nodes: b.nodes,
    outputs,
    sums,
  };
  return { program, inputTypes: inputs, outputNames: Object.keys(res) as O[] };
}

/**
 * Options of {@linkcode runFused}.
 *
 * @example
 * ```ts
 * import type { RunFusedOptions } from "./fuse.ts";
 * const o: RunFusedOptions<never> = { dtype: "float32" };
 * ```
 */
export interface RunFusedOptions<A> {
  /** Arrays donated to receive outputs of the same name (must have the output's shape and
   * dtype). They must not be used after the call; use the returned arrays. */
  out?: Readonly<Record<string, A>>;
  /** Float dtype of the program; inferred from float array inputs when absent (the
   * namespace's default real floating dtype when there are none). */
  dtype?: FloatDType;
}

/**
 * Runs a fused program on a namespace: the namespace's `fuse` hook when it has one, else the
 * portable evaluation with standard functions ({@linkcode evaluateFused}). Checks input
 * presence, dtypes (float inputs must share one float dtype; `int` inputs are int32 arrays or
 * integer numbers; `bool` inputs are bool arrays) and broadcastability, raising `TypeError` /
 * `RangeError` that name the program and the offending input.
 *
 * @example
 * ```ts
 * import { defineFused, runFused } from "./fuse.ts";
 * import { cpu as xp } from "../backends/cpu/mod.ts";
 * const scale = defineFused("scale", { x: "float", s: "float" }, (v) => ({ y: v.x.mul(v.s) }));
 * const { y } = runFused(xp, scale, { x: xp.asarray([1, 2]), s: 3 });
 * ```
 */
export function runFused<A extends ArrayObject, I extends string, O extends string>(
  xp: ArrayNamespace<A>,
  def: FusedDefinition<I, O>,
  inputs: Readonly<Record<I, A | number>>,
  options: RunFusedOptions<A> = {},
): Record<O, A> {
  const { program } = def;
  const args: (A | number)[] = [];
  let dtype: FloatDType | undefined = options.dtype;
  for (const name of program.inputs as I[]) {
    const v = inputs[name];
    const t = def.inputTypes[name];
    if (v === undefined || v === null) {
      throw new TypeError(`${program.label}: missing input ${name}`);
    }
    if (typeof v === "number") {
      if (t === "bool") throw new TypeError(`${program.label}: input ${name} must be a bool array`);
      if (t === "int" && !Number.isInteger(v)) {
        throw new TypeError(`${program.label}: int input ${name} got ${v}`);
      }
    } else {
      if (t === "float") {
        if (!isFloatDType(v.dtype)) {
          throw new TypeError(
            `${program.label}: input ${name} must be a float array, got ${v.dtype}`,
          );
        }
        if (dtype === undefined) dtype = v.dtype;
        else if (v.dtype !== dtype) {
          throw new TypeError(
            `${program.label}: input ${name} is ${v.dtype} but the program runs in ${dtype}`,
          );
        }
      } else if (t === "int" && v.dtype !== "int32") {
        throw new TypeError(`${program.label}: input ${name} must be int32, got ${v.dtype}`);
      } else if (t === "bool" && v.dtype !== "bool") {
        throw new TypeError(`${program.label}: input ${name} must be bool, got ${v.dtype}`);
      }
    }
    args.push(v);
  }
  if (dtype === undefined) {
    const d = xp.__array_namespace_info__().default_dtypes()["real floating"];
    if (!isFloatDType(d)) throw new TypeError(`${program.label}: no float dtype available`);
    dtype = d;
  }
  const shapes = args.filter((a): a is A => typeof a !== "number").map((a) => a.shape);
  const S = broadcastShapes(shapes, program.label);
  if (program.sums.length > 0 && S.length === 0) {
    throw new RangeError(`${program.label}: sums need inputs with at least one axis`);
  }
  if (options.out) {
    for (const [name, arr] of Object.entries(options.out)) {
      const o = program.outputs.find((q) => q.name === name);
      if (!o) throw new TypeError(`${program.label}: out.${name} is not an elementwise output`);
      if (arr.shape.length !== S.length || arr.shape.some((d, i) => d !== S[i])) {
        throw new RangeError(
          `${program.label}: out.${name} has shape ${fmtShape(arr.shape)}, expected ${fmtShape(S)}`,
        );
      }
    }
  }
  const res = xp.fuse
    ? xp.fuse(program, args, { dtype, out: options.out })
    : evaluateFused(xp, program, args, { dtype, out: options.out });
  return res as Record<O, A>;
}

/**
 * Portable evaluation of a {@linkcode FusedProgram} with standard functions only (what
 * {@linkcode runFused} uses when a namespace has no `fuse` hook; also the reference a backend's
 * `fuse` is tested against). Intermediates are disposed; donated `out` arrays are disposed.
 *
 * @example
 * ```ts
 * import { defineFused, evaluateFused } from "./fuse.ts";
 * import { cpu as xp } from "../backends/cpu/mod.ts";
 * const d = defineFused("sq", { x: "float" }, (v) => ({ y: v.x.mul(v.x) }));
 * const { y } = evaluateFused(xp, d.program, [xp.asarray([1, 2])], { dtype: "float64" });
 * ```
 */
export function evaluateFused<A extends ArrayObject>(
  xp: ArrayNamespace<A>,
  program: FusedProgram,
  inputs: readonly (A | number)[],
  options: { dtype: FloatDType; out?: Readonly<Record<string, A>> },
): Record<string, A> {
  type V = A | Scalar;
  const isArr = (v: V): v is A => typeof v === "object" && v !== null;
  const temps = new Set<A>();
  const own = (a: A): A => {
    temps.add(a);
    return a;
  };
  const { dtype } = options;
  const vals: V[] = [];
  const shapes = inputs.filter((a): a is A => typeof a !== "number").map((a) => a.shape);
  const S = broadcastShapes(shapes, program.label);
  for (const node of program.nodes) {
    if (node.kind === "input") {
      const v = inputs[node.slot];
      vals.push(node.type === "bool" && typeof v === "number" ? v !== 0 : v);
      continue;
    }
    if (node.kind === "const") {
      vals.push(node.type === "bool" ? node.value !== 0 : node.value);
      continue;
    }
    const a = node.args.map((i) => vals[i]);
    vals.push(applyOp(node.op, a, node.type));
  }
  function applyOp(op: FusedOp, a: V[], type: FusedType): V {
    if (a.every((v) => !isArr(v))) return hostOp(op, a as Scalar[], type);
    const [x, y, z] = a;
    const X = x as A;
    switch (op) {
      case "add":
        return own(xp.add(x, y));
      case "sub":
        return own(xp.subtract(x, y));
      case "mul":
        return own(xp.multiply(x, y));
      case "div":
        return own(xp.divide(x, y));
      case "max":
        return own(xp.maximum(x, y));
      case "min":
        return own(xp.minimum(x, y));
      case "hypot":
        return own(xp.hypot(x, y));
      case "neg":
        return own(xp.negative(X));
      case "abs":
        return own(xp.abs(X));
      case "sqrt":
        return own(xp.sqrt(X));
      case "sign":
        return own(xp.sign(X));
      case "lt":
        return own(xp.less(x, y));
      case "le":
        return own(xp.less_equal(x, y));
      case "gt":
        return own(xp.greater(x, y));
      case "ge":
        return own(xp.greater_equal(x, y));
      case "eq":
        return own(xp.equal(x, y));
      case "ne":
        return own(xp.not_equal(x, y));
      case "and":
        return own(xp.logical_and(x, y));
      case "or":
        return own(xp.logical_or(x, y));
      case "not":
        return own(xp.logical_not(X));
      case "isfinite":
        return own(xp.isfinite(X));
      case "toFloat":
        return own(xp.astype(X, dtype));
      case "toInt":
        return own(xp.astype(X, "int32"));
      case "where": {
        if (!isArr(x)) return x ? y : z;
        if (!isArr(y) && !isArr(z)) {
          // both branches host values: materialise one of them in the right dtype
          const dt = type === "float" ? dtype : type === "int" ? "int32" : "bool";
          const full = own(xp.full(X.shape, y as Scalar, { dtype: dt }));
          return own(xp.where(X, full, z as Scalar));
        }
        return own(xp.where(X, y, z));
      }
    }
  }
  function materialize(v: V, type: FusedType): A {
    const dt = type === "float" ? dtype : type === "int" ? "int32" : "bool";
    if (!isArr(v)) return own(xp.full(S, v, { dtype: dt }));
    let r = v;
    if (r.dtype !== dt) r = own(xp.astype(r, dt));
    if (r.shape.length !== S.length || r.shape.some((d, i) => d !== S[i])) {
      r = own(xp.broadcast_to(r, S));
    }
    return r;
  }
  const result: Record<string, A> = {};
  const keep = new Set<A>();
  for (const o of program.outputs) {
    const node = program.nodes[o.node];
    let r = materialize(vals[o.node], node.type);
    if (!temps.has(r)) r = xp.astype(r, r.dtype, { copy: true }); // never alias an input
    keep.add(r);
    result[o.name] = r;
  }
  for (const s of program.sums) {
    const r = xp.sum(materialize(vals[s.node], "float"), { axis: -1 });
    keep.add(r);
    result[s.name] = r;
  }
  const donated = options.out ? Object.values(options.out) : [];
  const disposable = [...temps].filter((t) => !keep.has(t));
  xp.dispose(...disposable, ...donated.filter((d) => !keep.has(d)));
  return result;
}

function hostOp(op: FusedOp, a: Scalar[], type: FusedType): Scalar {
  if (type === "int" && op === "mul") return Math.imul(Number(a[0]) | 0, Number(a[1]) | 0);
  const r = hostOpRaw(op, a);
  // int expressions wrap like int32 (as backends' int32 arithmetic does)
  return type === "int" && typeof r === "number" ? (Number.isFinite(r) ? Math.trunc(r) | 0 : 0) : r;
}

function hostOpRaw(op: FusedOp, a: Scalar[]): Scalar {
  const x = a[0] as number, y = a[1] as number;
  switch (op) {
    case "add":
      return x + y;
    case "sub":
      return x - y;
    case "mul":
      return x * y;
    case "div":
      return x / y;
    case "max":
      return Number.isNaN(x) || Number.isNaN(y) ? NaN : Math.max(x, y);
    case "min":
      return Number.isNaN(x) || Number.isNaN(y) ? NaN : Math.min(x, y);
    case "hypot":
      return Math.hypot(x, y);
    case "neg":
      return -x;
    case "abs":
      return Math.abs(x);
    case "sqrt":
      return Math.sqrt(x);
    case "sign":
      return Number.isNaN(x) ? NaN : Math.sign(x);
    case "lt":
      return x < y;
    case "le":
      return x <= y;
    case "gt":
      return x > y;
    case "ge":
      return x >= y;
    case "eq":
      return x === y;
    case "ne":
      return x !== y;
    case "and":
      return Boolean(a[0]) && Boolean(a[1]);
    case "or":
      return Boolean(a[0]) || Boolean(a[1]);
    case "not":
      return !a[0];
    case "isfinite":
      return Number.isFinite(x);
    case "toFloat":
      return Number(a[0]);
    case "toInt":
      return Math.trunc(Number(a[0]));
    case "where":
      return a[0] ? a[1] : a[2];
  }
}
