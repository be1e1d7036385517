/**
 * Creation functions of the WebGPU namespace: `asarray` (host data uploaded with
 * `queue.writeBuffer` into a buffer the open encoder does not use), and kernels for `full`,
 * `arange`, `linspace`, `eye`.
 *
 * @module
 */
import type {
  AsarrayOptions,
  CreationOptions,
  DType,
  NestedSequence,
  Scalar,
  Shape,
} from "../../array_api/types.ts";
import { isIntegerDType } from "../../array_api/dtypes.ts";
import { checkShape, fmtShape } from "../../array_api/shapes.ts";
import { type Ctx, describe, FLOAT64_HINT } from "./_ctx.ts";
import { fillInto, runExpr } from "./_expr.ts";
import { conv, type Val, valOf } from "./_wgsl.ts";
import { WebGpuArray } from "./webgpu_array.ts";

type A = WebGpuArray;

const TYPED_DTYPE: [new (...a: never[]) => ArrayBufferView, DType][] = [
  [Float64Array, "float64"],
  [Float32Array, "float32"],
  [Int32Array, "int32"],
  [Uint32Array, "uint32"],
  [Int16Array, "int16"],
  [Uint16Array, "uint16"],
  [Int8Array, "int8"],
  [Uint8Array, "uint8"],
  [Uint8ClampedArray, "uint8"],
];

function typedDType(v: ArrayBufferView): DType | null {
  if (typeof Float16Array !== "undefined" && v instanceof Float16Array) return "float16";
  for (const [C, d] of TYPED_DTYPE) if (v instanceof C) return d;
  return null;
}

/** Flattens nested sequences; returns values and shape (ragged → RangeError). */
function flatten(obj: NestedSequence): { values: (number | boolean)[]; shape: number[] } {
  const shape: number[] = [];
  let probe: NestedSequence = obj;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0];
  }
  const values: (number | boolean)[] = [];
  const walk = (x: NestedSequence, depth: number, path: string) => {
    if (depth === shape.length) {
      if (Array.isArray(x)) {
        throw new RangeError(`asarray: ragged nested sequence (extra nesting at ${path || "top"})`);
      }
      if (typeof x !== "number" && typeof x !== "boolean") {
        throw new TypeError(`asarray: expected numbers or booleans, got ${describe(x)} at ${path}`);
      }
      values.push(x);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[depth]) {
      throw new RangeError(
        `asarray: ragged nested sequence: expected length ${shape[depth]} at ${path || "top"}, ` +
          `got ${Array.isArray(x) ? x.length : "a scalar"} (inferred shape ${fmtShape(shape)})`,
      );
    }
    for (let i = 0; i < x.length; i++) walk(x[i], depth + 1, `${path}[${i}]`);
  };
  walk(obj, 0, "");
  return { values, shape };
}

/** Host values converted to the storage representation of `dtype`. @internal */
export function toStorage(values: ArrayLike<number | boolean>, dtype: DType): ArrayBufferView {
  const n = values.length;
  switch (dtype) {
    case "float32": {
      const o = new Float32Array(n);
      for (let i = 0; i < n; i++) o[i] = Number(values[i]);
      return o;
    }
    case "float16": {
      const o = new Float16Array(n);
      for (let i = 0; i < n; i++) o[i] = Number(values[i]);
      return o;
    }
    case "int32": {
      const o = new Int32Array(n);
      for (let i = 0; i < n; i++) o[i] = Number(values[i]);
      return o;
    }
    case "uint32": {
      const o = new Uint32Array(n);
      for (let i = 0; i < n; i++) o[i] = Number(values[i]);
      return o;
    }
    default: {
      const o = new Uint32Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        o[i] = typeof v === "boolean" ? (v ? 1 : 0) : v !== 0 ? 1 : 0;
      }
      return o;
    }
  }
}

/** Creation part of the namespace. @internal */
export function creationOps(ctx: Ctx, astype: (x: A, d: DType, o?: { copy?: boolean }) => A) {
  const checkDevice = (device: string | undefined, what: string) => {
    if (device !== undefined && device !== ctx.device) {
      throw new RangeError(
        `${what}: unknown device ${JSON.stringify(device)} (this namespace has ${ctx.device})`,
      );
    }
  };

  function upload(values: ArrayLike<number | boolean>, shape: number[], dtype: DType): A {
    ctx.checkDType(dtype, "asarray");
    const data = toStorage(values, dtype);
    ctx.checkBindingSize(data.byteLength, shape, dtype);
    const s = ctx.engine.upload(data, 4);
    return ctx.make(s, shape, dtype);
  }

  function asarray(
    obj: A | NestedSequence | ArrayBufferView | ArrayLike<number>,
    options: AsarrayOptions = {},
  ): A {
    ctx.engine.check();
    checkDevice(options.device, "asarray");
    const dtype = options.dtype;
    if (dtype !== undefined) ctx.checkDType(dtype, "asarray");
    if (obj instanceof WebGpuArray) {
      ctx.live(obj, "asarray");
      if (dtype !== undefined && dtype !== obj.dtype) {
        if (options.copy === false) {
          throw new TypeError(
            `asarray: converting ${obj.dtype} to ${dtype} needs a copy (copy: false)`,
          );
        }
        return astype(obj, dtype);
      }
      if (options.copy === true) return astype(obj, obj.dtype, { copy: true });
      return obj;
    }
    if (typeof obj === "object" && obj !== null && "__array_namespace__" in obj) {
      ctx.live(obj, "asarray"); // throws the mixing TypeError
    }
    if (options.copy === false) {
      throw new RangeError(
        "asarray: copy: false is impossible for host data (it must be uploaded)",
      );
    }
    if (typeof obj === "number" || typeof obj === "boolean") {
      const dt = dtype ?? (typeof obj === "boolean" ? "bool" : "float32");
      return upload([obj], [], dt);
    }
    if (ArrayBuffer.isView(obj)) {
      if (obj instanceof DataView) {
        throw new TypeError("asarray: a DataView has no dtype; use a typed array");
      }
      const src = typedDType(obj);
      if (src === null) throw new TypeError(`asarray: unsupported typed array ${describe(obj)}`);
      const dt = dtype ?? src;
      if (dtype === undefined && src === "float64") {
        throw new TypeError(`asarray(Float64Array): ${FLOAT64_HINT}`);
      }
      if (dtype === undefined && !ctx.dtypes.includes(src)) {
        throw new TypeError(
          `asarray: ${describe(obj)} (${src}) is not supported by the webgpu namespace; pass ` +
            `{ dtype: "int32" } / { dtype: "float32" } to convert (supported: ${
              ctx.dtypes.join(", ")
            })`,
        );
      }
      const arr = obj as unknown as ArrayLike<number>;
      return upload(arr, [arr.length], dt);
    }
    if (Array.isArray(obj)) {
      const { values, shape } = flatten(obj as NestedSequence);
      const allBool = values.length > 0 && values.every((v) => typeof v === "boolean");
      const dt = dtype ?? (allBool ? "bool" : "float32");
      if (dt !== "bool" && values.some((v) => typeof v === "boolean") && !allBool) {
        throw new TypeError("asarray: nested sequence mixes booleans and numbers");
      }
      return upload(values, shape, dt);
    }
    if (
      typeof obj === "object" && obj !== null &&
      typeof (obj as ArrayLike<number>).length === "number"
    ) {
      const al = obj as ArrayLike<number>;
      const vals = Array.from({ length: al.length }, (_, i) => al[i]);
      return upload(vals, [vals.length], dtype ?? "float32");
    }
    throw new TypeError(`asarray: cannot convert ${describe(obj)}`);
  }

  function defaultDType(fill: Scalar): DType {
    if (typeof fill === "boolean") return "bool";
    return Number.isInteger(fill) ? "int32" : "float32";
  }

  function full(shape: number | Shape, fill: Scalar, options: CreationOptions = {}): A {
    ctx.engine.check();
    checkDevice(options.device, "full");
    const s = checkShape(shape);
    if (typeof fill !== "number" && typeof fill !== "boolean") {
      throw new TypeError(`full: fill_value must be a number or a boolean, got ${describe(fill)}`);
    }
    const dt = options.dtype ?? defaultDType(fill);
    ctx.checkDType(dt, "full");
    if (
      isIntegerDType(dt) && typeof fill === "number" && Number.isFinite(fill) &&
      !Number.isInteger(fill)
    ) {
      throw new TypeError(`full: the non-integral fill value ${fill} cannot fill a ${dt} array`);
    }
    const a = ctx.alloc(s, dt);
    fillInto(ctx, a, dt === "bool" ? Boolean(fill) : Number(fill));
    return a;
  }

  function empty(shape: number | Shape, options: CreationOptions = {}): A {
    ctx.engine.check();
    checkDevice(options.device, "empty");
    const dt = options.dtype ?? "float32";
    ctx.checkDType(dt, "empty");
    return ctx.alloc(checkShape(shape), dt);
  }

  function arange(start: number, stop?: number, step = 1, options: CreationOptions = {}): A {
    ctx.engine.check();
    checkDevice(options.device, "arange");
    if (stop === undefined || stop === null) {
      stop = start;
      start = 0;
    }
    for (const [n, v] of [["start", start], ["stop", stop], ["step", step]] as const) {
      if (typeof v !== "number" || !Number.isFinite(v)) {
        throw new RangeError(`arange: ${n} must be a finite number, got ${v}`);
      }
    }
    if (step === 0) throw new RangeError("arange: step must not be 0");
    const ints = Number.isInteger(start) && Number.isInteger(stop) && Number.isInteger(step);
    const dt = options.dtype ?? (ints ? "int32" : "float32");
    ctx.checkDType(dt, "arange");
    const n = Math.max(0, Math.ceil((stop - start) / step));
    const a = ctx.alloc([n], dt);
    if (n === 0) return a;
    const T = valOf(dt);
    const cT: Val = T === "f16" || T === "f32" || T === "bool"
      ? "f32"
      : dt === "uint32" && start >= 0 && step > 0
      ? "u32"
      : "i32";
    if (cT !== "f32" && !ints) {
      throw new TypeError(`arange: non-integral start/stop/step for an integer dtype ${dt}`);
    }
    runExpr(ctx, {
      label: "arange",
      key: `arange:${dt}:${cT}`,
      shape: [n],
      inputs: [{ value: start, val: cT }, { value: step, val: cT }],
      body: (x) => `let o0 = ${conv(`(${x[0]} + ${cT}(i) * ${x[1]})`, cT, T)};`,
      outputs: [{ dtype: dt, into: a }],
    });
    return a;
  }

  function linspace(
    start: number,
    stop: number,
    num: number,
    options: CreationOptions & { endpoint?: boolean } = {},
  ): A {
    ctx.engine.check();
    checkDevice(options.device, "linspace");
    if (!Number.isSafeInteger(num) || num < 0) {
      throw new RangeError(`linspace: num must be a non-negative integer, got ${num}`);
    }
    const dt = options.dtype ?? "float32";
    ctx.checkDType(dt, "linspace");
    const endpoint = options.endpoint ?? true;
    const div = endpoint ? num - 1 : num;
    const step = div > 0 ? (stop - start) / div : 0;
    const a = ctx.alloc([num], dt);
    if (num === 0) return a;
    const T = valOf(dt);
    runExpr(ctx, {
      label: "linspace",
      key: `linspace:${dt}`,
      shape: [num],
      inputs: [
        { value: start, val: "f32" },
        { value: step, val: "f32" },
        { value: stop, val: "f32" },
        { value: endpoint && num > 1 ? num - 1 : 0xffffffff, val: "u32" },
      ],
      body: (x) =>
        `let o0 = ${conv(`select(${x[0]} + f32(i) * ${x[1]}, ${x[2]}, i == ${x[3]})`, "f32", T)};`,
      outputs: [{ dtype: dt, into: a }],
    });
    return a;
  }

  function eye(
    nRows: number,
    nCols?: number | null,
    options: CreationOptions & { k?: number } = {},
  ): A {
    ctx.engine.check();
    checkDevice(options.device, "eye");
    const m = nCols ?? nRows;
    const k = options.k ?? 0;
    checkShape([nRows, m], "eye shape");
    if (!Number.isInteger(k)) throw new RangeError(`eye: k must be an integer, got ${k}`);
    const dt = options.dtype ?? "float32";
    ctx.checkDType(dt, "eye");
    const a = ctx.alloc([nRows, m], dt);
    if (nRows * m === 0) return a;
    const T = valOf(dt);
    runExpr(ctx, {
      label: "eye",
      key: `eye:${dt}`,
      shape: [nRows * m],
      inputs: [{ value: m, val: "u32" }, { value: k, val: "i32" }],
      body: (x) =>
        `let o0 = ${conv(`(i32(i % ${x[0]}) - i32(i / ${x[0]}) == ${x[1]})`, "bool", T)};`,
      outputs: [{ dtype: dt, into: ctx.view(a, [nRows * m], [1], 0) }],
    }).forEach((v) => ctx.dispose(v));
    return a;
  }

  const like = (x: A, o: CreationOptions) => {
    ctx.live(x, "*_like");
    return { dtype: o.dtype ?? x.dtype, device: o.device };
  };

  return {
    asarray,
    full,
    empty,
    arange,
    linspace,
    eye,
    zeros: (shape: number | Shape, o: CreationOptions = {}): A =>
      full(shape, 0, { ...o, dtype: o.dtype ?? "float32" }),
    ones: (shape: number | Shape, o: CreationOptions = {}): A =>
      full(shape, 1, { ...o, dtype: o.dtype ?? "float32" }),
    empty_like: (x: A, o: CreationOptions = {}): A => empty(x.shape, like(x, o)),
    zeros_like: (x: A, o: CreationOptions = {}): A => full(x.shape, 0, like(x, o)),
    ones_like: (x: A, o: CreationOptions = {}): A => full(x.shape, 1, like(x, o)),
    full_like: (x: A, fill: Scalar, o: CreationOptions = {}): A => full(x.shape, fill, like(x, o)),
  };
}
