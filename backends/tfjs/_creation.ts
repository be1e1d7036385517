/**
 * Creation functions of the tfjs namespace. Host data is always copied into a new tensor
 * (tfjs's CPU backend would otherwise keep a reference to the caller's typed array).
 *
 * @module
 */
import type { DType, Scalar } from "../../array_api/types.ts";
import { checkShape } from "../../array_api/shapes.ts";
import { type Arr, checkDType, type Ctx, type NS } from "./_context.ts";
import type { TfDType } from "./tf_like.ts";

type CreationName =
  | "asarray"
  | "arange"
  | "empty"
  | "empty_like"
  | "eye"
  | "full"
  | "full_like"
  | "linspace"
  | "ones"
  | "ones_like"
  | "zeros"
  | "zeros_like";

/** Host buffer for `n` values of `dtype`. */
export function hostBuffer(dtype: TfDType, n: number): Float32Array | Int32Array | Uint8Array {
  if (dtype === "float32") return new Float32Array(n);
  if (dtype === "int32") return new Int32Array(n);
  return new Uint8Array(n);
}

/** Stores JS values into a fresh host buffer of `dtype` (numbers → bool is `!= 0`). */
export function toHostBuffer(
  values: ArrayLike<number | boolean>,
  dtype: TfDType,
): Float32Array | Int32Array | Uint8Array {
  const n = values.length;
  const out = hostBuffer(dtype, n);
  if (dtype === "bool") {
    for (let i = 0; i < n; i++) {
      const v = values[i];
      out[i] = v === true || (typeof v === "number" && v !== 0) ? 1 : 0;
    }
  } else {
    // typed-array stores: float32 rounds, int32 truncates toward zero (NaN → 0)
    for (let i = 0; i < n; i++) out[i] = Number(values[i]);
  }
  return out;
}

const TYPED_DTYPES: readonly [new (n: number) => ArrayBufferView, DType][] = [
  [Float64Array, "float64"],
  [Float32Array, "float32"],
  [Int32Array, "int32"],
  [Int16Array, "int16"],
  [Int8Array, "int8"],
  [Uint8Array, "uint8"],
  [Uint8ClampedArray, "uint8"],
  [Uint16Array, "uint16"],
  [Uint32Array, "uint32"],
  [BigInt64Array, "int64"],
  [BigUint64Array, "uint64"],
];

/** The dtype a typed array stands for. */
export function typedArrayDType(v: ArrayBufferView): DType {
  for (const [C, dt] of TYPED_DTYPES) if (v instanceof C) return dt;
  const ctor = (v as { constructor?: { name?: string } }).constructor?.name;
  if (ctor === "Float16Array") return "float16";
  throw new TypeError(`asarray: unsupported buffer view ${ctor ?? typeof v}`);
}

/** Flattens nested sequences, checking raggedness and element kinds. */
function flattenNested(
  obj: unknown,
): { shape: number[]; values: (number | boolean)[]; kind: "number" | "bool" | "empty" } {
  const shape: number[] = [];
  // discover the shape from the first elements
  let cur: unknown = obj;
  while (isSeq(cur)) {
    const n = seqLength(cur);
    shape.push(n);
    if (n === 0) break;
    cur = seqAt(cur, 0);
  }
  const values: (number | boolean)[] = [];
  let sawNum = false, sawBool = false;
  const walk = (v: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (isSeq(v)) {
        throw new RangeError(`asarray: ragged nested sequence (element ${path} is a sequence)`);
      }
      if (typeof v === "number") sawNum = true;
      else if (typeof v === "boolean") sawBool = true;
      else if (typeof v === "object" && v !== null && "__array_namespace__" in v) {
        throw new TypeError(
          `asarray: arrays inside nested sequences are not supported (use stack)`,
        );
      } else {
        throw new TypeError(`asarray: element ${path} is not a number or boolean: ${String(v)}`);
      }
      values.push(v as number | boolean);
      return;
    }
    if (!isSeq(v)) {
      throw new RangeError(
        `asarray: ragged nested sequence (element ${path} is a scalar, expected length ` +
          `${shape[depth]})`,
      );
    }
    const n = seqLength(v);
    if (n !== shape[depth]) {
      throw new RangeError(
        `asarray: ragged nested sequence (element ${path} has length ${n}, expected ${
          shape[depth]
        })`,
      );
    }
    for (let i = 0; i < n; i++) walk(seqAt(v, i), depth + 1, `${path}[${i}]`);
  };
  walk(obj, 0, "");
  if (sawNum && sawBool) {
    throw new TypeError("asarray: nested sequence mixes numbers and booleans");
  }
  return { shape, values, kind: sawBool ? "bool" : sawNum ? "number" : "empty" };
}

function isSeq(v: unknown): boolean {
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
}
function seqLength(v: unknown): number {
  return (v as ArrayLike<unknown>).length;
}
function seqAt(v: unknown, i: number): unknown {
  const x = (v as ArrayLike<unknown>)[i];
  return typeof x === "bigint" ? Number(x) : x;
}

function checkInt(v: unknown, what: string, where: string): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v)) {
    throw new RangeError(`${where}: ${what} must be an integer, got ${String(v)}`);
  }
  return v;
}

/** Builds the creation functions over `ctx`. */
export function creationFunctions(ctx: Ctx): Pick<NS, CreationName> {
  const tf = ctx.tf;

  function make(
    values: Float32Array | Int32Array | Uint8Array,
    shape: number[],
    dtype: TfDType,
  ): Arr {
    return ctx.run([], () => tf.tensor(values, shape, dtype), dtype);
  }

  function filled(where: string, shape: number | readonly number[], value: Scalar, dt: TfDType) {
    const s = checkShape(shape, `${where}: shape`);
    let v: number;
    if (dt === "bool") v = value === true || (typeof value === "number" && value !== 0) ? 1 : 0;
    else if (dt === "int32") v = Int32Array.of(Number(value))[0];
    else v = Number(value);
    return ctx.run([], () => tf.fill(s, v, dt), dt);
  }

  function dtypeOr(where: string, dtype: unknown, dflt: TfDType): TfDType {
    return dtype === undefined || dtype === null ? dflt : checkDType(dtype, where);
  }

  function like(where: string, x: Arr, options: { dtype?: DType; device?: string } | undefined) {
    const a = ctx.arr(x, where);
    ctx.checkDevice(options?.device, where);
    return { shape: a.shape, dtype: dtypeOr(where, options?.dtype, a.dtype as TfDType) };
  }

  return {
    asarray(obj, options = {}) {
      const where = "asarray";
      ctx.checkDevice(options.device, where);
      const want = options.dtype === undefined || options.dtype === null
        ? undefined
        : checkDType(options.dtype, where);
      const copy = options.copy;
      if (typeof obj === "object" && obj !== null && "__array_namespace__" in obj) {
        const a = ctx.arr(obj, where, "obj");
        const dt = want ?? (a.dtype as TfDType);
        if (dt === a.dtype && copy !== true) return a;
        if (dt !== a.dtype && copy === false) {
          throw new RangeError(
            `asarray: converting ${a.dtype} to ${dt} needs a copy, but copy is false`,
          );
        }
        return ctx.run([a], () => a.tensor, dt);
      }
      if (copy === false) {
        throw new RangeError(
          "asarray: host data is always copied into a tfjs tensor, but copy is false",
        );
      }
      if (typeof obj === "number" || typeof obj === "boolean") {
        const dt = want ?? (typeof obj === "boolean" ? "bool" : "float32");
        return make(toHostBuffer([obj], dt), [], dt);
      }
      if (ArrayBuffer.isView(obj)) {
        const src = typedArrayDType(obj);
        let dt: TfDType;
        if (want) dt = want;
        else {
          try {
            dt = checkDType(src, where);
          } catch (e) {
            throw new TypeError(
              `${(e as Error).message}; pass { dtype: "float32" } (or "int32") to convert a ` +
                `${obj.constructor.name}`,
            );
          }
        }
        if (src === "int64" || src === "uint64") {
          const vals = Array.from(obj as BigInt64Array, (v) => Number(v));
          return make(toHostBuffer(vals, dt), [vals.length], dt);
        }
        const view = obj as unknown as ArrayLike<number>;
        return make(toHostBuffer(view, dt), [view.length], dt);
      }
      if (typeof obj !== "object" || obj === null) {
        throw new TypeError(`asarray: cannot convert ${String(obj)} to an array`);
      }
      const seq = Array.isArray(obj) ? obj : Array.from(obj as ArrayLike<number>);
      const { shape, values, kind } = flattenNested(seq);
      const dt = want ?? (kind === "bool" ? "bool" : "float32");
      return make(toHostBuffer(values, dt), shape, dt);
    },

    arange(start, stop, step = 1, options = {}) {
      const where = "arange";
      ctx.checkDevice(options.device, where);
      if (stop === undefined || stop === null) {
        stop = start;
        start = 0;
      }
      for (const [n, v] of [["start", start], ["stop", stop], ["step", step]] as const) {
        if (typeof v !== "number" || !Number.isFinite(v)) {
          throw new RangeError(`${where}: ${n} must be a finite number, got ${String(v)}`);
        }
      }
      if (step === 0) throw new RangeError(`${where}: step must not be 0`);
      const allInt = Number.isInteger(start) && Number.isInteger(stop) && Number.isInteger(step);
      const dt = dtypeOr(where, options.dtype, allInt ? "int32" : "float32");
      const n = Math.max(0, Math.ceil((stop - start) / step));
      const vals = new Float64Array(n);
      for (let i = 0; i < n; i++) vals[i] = start + i * step;
      return make(toHostBuffer(vals, dt), [n], dt);
    },

    empty(shape, options = {}) {
      ctx.checkDevice(options.device, "empty");
      return filled("empty", shape, 0, dtypeOr("empty", options.dtype, "float32"));
    },
    empty_like(x, options) {
      const l = like("empty_like", x, options);
      return filled("empty_like", l.shape, 0, l.dtype);
    },

    eye(nRows, nCols, options = {}) {
      const where = "eye";
      ctx.checkDevice(options.device, where);
      const n = checkInt(nRows, "n_rows", where);
      const m = nCols === undefined || nCols === null ? n : checkInt(nCols, "n_cols", where);
      if (n < 0 || m < 0) throw new RangeError(`${where}: negative size (${n}, ${m})`);
      const k = checkInt(options.k ?? 0, "k", where);
      const dt = dtypeOr(where, options.dtype, "float32");
      if (n === 0 || m === 0) return filled(where, [n, m], 0, dt);
      const rows = Int32Array.from({ length: n }, (_, i) => i);
      const cols = Int32Array.from({ length: m }, (_, j) => j - k);
      return ctx.run([], () => {
        const r = tf.tensor(rows, [n, 1], "int32"), c = tf.tensor(cols, [1, m], "int32");
        return tf.cast(tf.equal(r, c), dt);
      }, dt);
    },

    full(shape, fill_value, options = {}) {
      const where = "full";
      ctx.checkDevice(options.device, where);
      if (typeof fill_value !== "number" && typeof fill_value !== "boolean") {
        throw new TypeError(`${where}: fill_value must be a number or boolean`);
      }
      // like the CPU backend: booleans → bool, integral numbers → int32, others → float32
      const dflt: TfDType = typeof fill_value === "boolean"
        ? "bool"
        : Number.isInteger(fill_value)
        ? "int32"
        : "float32";
      const dt = dtypeOr(where, options.dtype, dflt);
      return filled(where, shape, fill_value, dt);
    },
    full_like(x, fill_value, options) {
      if (typeof fill_value !== "number" && typeof fill_value !== "boolean") {
        throw new TypeError(`full_like: fill_value must be a number or boolean`);
      }
      const l = like("full_like", x, options);
      return filled("full_like", l.shape, fill_value, l.dtype);
    },

    linspace(start, stop, num, options = {}) {
      const where = "linspace";
      ctx.checkDevice(options.device, where);
      const n = checkInt(num, "num", where);
      if (n < 0) throw new RangeError(`${where}: num must be non-negative, got ${n}`);
      if (typeof start !== "number" || typeof stop !== "number") {
        throw new TypeError(`${where}: start and stop must be numbers`);
      }
      const dt = dtypeOr(where, options.dtype, "float32");
      const endpoint = options.endpoint ?? true;
      const div = endpoint ? n - 1 : n;
      const step = div > 0 ? (stop - start) / div : 0;
      const vals = new Float64Array(n);
      for (let i = 0; i < n; i++) vals[i] = start + i * step;
      if (endpoint && n > 1) vals[n - 1] = stop;
      return make(toHostBuffer(vals, dt), [n], dt);
    },

    ones(shape, options = {}) {
      ctx.checkDevice(options.device, "ones");
      return filled("ones", shape, 1, dtypeOr("ones", options.dtype, "float32"));
    },
    ones_like(x, options) {
      const l = like("ones_like", x, options);
      return filled("ones_like", l.shape, 1, l.dtype);
    },
    zeros(shape, options = {}) {
      ctx.checkDevice(options.device, "zeros");
      return filled("zeros", shape, 0, dtypeOr("zeros", options.dtype, "float32"));
    },
    zeros_like(x, options) {
      const l = like("zeros_like", x, options);
      return filled("zeros_like", l.shape, 0, l.dtype);
    },
  };
}
