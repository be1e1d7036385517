/**
 * WGSL building blocks shared by the kernel generators: value/storage types of each dtype,
 * conversions, the parameter accessor, and helper functions with IEEE semantics the WGSL
 * builtins do not guarantee (NaN-propagating max/min, NaN tests by bit pattern, signed `pow`,
 * scaled `hypot`, `log`/`sqrt` of out-of-domain values).
 *
 * @module
 */
import type { DType } from "../../array_api/types.ts";

/** Storage element type of a dtype. @internal */
export type Elem = "f32" | "f16" | "i32" | "u32";
/** Value type inside kernels (bool stored as u32). @internal */
export type Val = Elem | "bool";

/** Storage element type of a supported dtype. @internal */
export function elemOf(dtype: DType): Elem {
  switch (dtype) {
    case "float32":
      return "f32";
    case "float16":
      return "f16";
    case "int32":
      return "i32";
    default:
      return "u32"; // uint32, bool
  }
}

/** Value type of a supported dtype. @internal */
export function valOf(dtype: DType): Val {
  return dtype === "bool" ? "bool" : elemOf(dtype);
}

/** The dtype whose value type is `v`. @internal */
export function dtypeOfVal(v: Val): DType {
  switch (v) {
    case "f32":
      return "float32";
    case "f16":
      return "float16";
    case "i32":
      return "int32";
    case "u32":
      return "uint32";
    default:
      return "bool";
  }
}

/** Whether a value type is floating. @internal */
export function isFloatVal(v: Val): boolean {
  return v === "f32" || v === "f16";
}

/** WGSL expression converting `e` from value type `from` to `to`. @internal */
export function conv(e: string, from: Val, to: Val): string {
  if (from === to) return e;
  if (from === "bool") return `select(${to}(0), ${to}(1), ${e})`;
  if (to === "bool") {
    // ordered comparisons make NaN != 0 false on some drivers: negate == instead
    return from === "f32" || from === "f16" ? `(!(${e} == ${from}(0)))` : `(${e} != ${from}(0))`;
  }
  return `${to}(${e})`;
}

/** WGSL expression turning a value into its storage element. @internal */
export function store(e: string, v: Val): string {
  return v === "bool" ? `select(0u, 1u, ${e})` : e;
}

/** WGSL expression turning a storage element into a value. @internal */
export function load(e: string, v: Val): string {
  return v === "bool" ? `(${e} != 0u)` : e;
}

/** Parameter word `k` of the uniform block `U.p` (an array of `vec4<u32>`). @internal */
export function P(k: number): string {
  return `U.p[${k >> 2}].${"xyzw"[k & 3]}`;
}

/** Uniform block declaration for `words` parameter words. @internal */
export function uniformDecl(words: number): string {
  const n = Math.max(1, Math.ceil(words / 4));
  return `struct Params { p: array<vec4<u32>, ${n}>, }\n` +
    `@group(0) @binding(0) var<uniform> U: Params;\n`;
}

/** Storage binding declaration. @internal */
export function bindingDecl(binding: number, elem: Elem | "atomic", write: boolean): string {
  const t = elem === "atomic" ? "atomic<u32>" : elem;
  return `@group(0) @binding(${binding}) var<storage, ${write ? "read_write" : "read"}> ` +
    `b${binding}: array<${t}>;\n`;
}

/** A literal of value type `v`. @internal */
export function lit(x: number | boolean, v: Val): string {
  if (v === "bool") return x ? "true" : "false";
  const n = Number(x);
  if (v === "i32") {
    if (n === -2147483648) return "i32(-2147483647 - 1)";
    return `i32(${Math.trunc(n)})`;
  }
  if (v === "u32") return `${Math.trunc(n) >>> 0}u`;
  if (Number.isNaN(n)) return v === "f16" ? "f16(nan_f32())" : "nan_f32()";
  if (!Number.isFinite(n)) {
    const s = n > 0 ? "inf_f32()" : "(-inf_f32())";
    return v === "f16" ? `f16(${s})` : s;
  }
  const f = Math.fround(n);
  let s = f.toString();
  if (!/[.e]/.test(s)) s += ".0";
  return `${v}(${s})`;
}

const F32_HELPERS: Record<string, string> = {
  nan_f32: "fn nan_f32() -> f32 { return bitcast<f32>(0x7fc00000u); }",
  inf_f32: "fn inf_f32() -> f32 { return bitcast<f32>(0x7f800000u); }",
  isnan_f32:
    "fn isnan_f32(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }",
  isinf_f32:
    "fn isinf_f32(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }",
  isfinite_f32:
    "fn isfinite_f32(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) < 0x7f800000u; }",
  fmax_f32:
    "fn fmax_f32(a: f32, b: f32) -> f32 { if (isnan_f32(a) || isnan_f32(b)) { return nan_f32(); } return max(a, b); }",
  fmin_f32:
    "fn fmin_f32(a: f32, b: f32) -> f32 { if (isnan_f32(a) || isnan_f32(b)) { return nan_f32(); } return min(a, b); }",
  sign_f32:
    "fn sign_f32(x: f32) -> f32 { if (isnan_f32(x)) { return x; } if (x > 0.0) { return 1.0; } if (x < 0.0) { return -1.0; } return 0.0; }",
  sqrt_f32:
    "fn sqrt_f32(x: f32) -> f32 { if (x < 0.0) { return nan_f32(); } if (isinf_f32(x)) { return x; } return sqrt(x); }",
  log_f32:
    "fn log_f32(x: f32) -> f32 { if (isnan_f32(x) || x < 0.0) { return nan_f32(); } if (x == 0.0) { return -inf_f32(); } if (isinf_f32(x)) { return x; } return log(x); }",
  exp_f32:
    "fn exp_f32(x: f32) -> f32 { if (isnan_f32(x)) { return x; } if (x > 88.72284) { return inf_f32(); } if (x < -103.97208) { return 0.0; } return exp(x); }",
  hypot_f32: `fn hypot_f32(a0: f32, b0: f32) -> f32 {
  let a = abs(a0); let b = abs(b0);
  if (isinf_f32(a) || isinf_f32(b)) { return inf_f32(); }
  if (isnan_f32(a) || isnan_f32(b)) { return nan_f32(); }
  let m = max(a, b);
  if (m == 0.0) { return 0.0; }
  let x = a / m; let y = b / m;
  return m * sqrt(x * x + y * y);
}`,
  pow_f32: `fn pow_f32(x: f32, y: f32) -> f32 {
  if (y == 0.0 || x == 1.0) { return 1.0; }
  if (isnan_f32(x) || isnan_f32(y)) { return nan_f32(); }
  let yi = floor(y) == y;
  let big = abs(y) >= 16777216.0;
  let odd = yi && !big && (abs(y - 2.0 * floor(y * 0.5)) == 1.0);
  let ax = abs(x);
  if (x == 0.0) {
    if (y < 0.0) { if (odd) { return select(inf_f32(), -inf_f32(), bitcast<u32>(x) != 0u); } return inf_f32(); }
    if (odd) { return x; }
    return 0.0;
  }
  if (isinf_f32(y)) {
    if (ax == 1.0) { return 1.0; }
    if ((ax > 1.0) == (y > 0.0)) { return inf_f32(); }
    return 0.0;
  }
  if (isinf_f32(x)) {
    if (x > 0.0) { if (y > 0.0) { return inf_f32(); } return 0.0; }
    if (y > 0.0) { return select(inf_f32(), -inf_f32(), odd); }
    return select(0.0, -0.0, odd);
  }
  if (x < 0.0 && !yi) { return nan_f32(); }
  var r: f32;
  if (yi && !big && abs(y) <= 64.0) {
    var e = u32(abs(y)); var b = ax; r = 1.0;
    loop { if (e == 0u) { break; } if ((e & 1u) == 1u) { r = r * b; } b = b * b; e = e >> 1u; }
    if (y < 0.0) { r = 1.0 / r; }
  } else {
    r = exp2(y * log2(ax));
  }
  if (x < 0.0 && odd) { return -r; }
  return r;
}`,
  pow_i32: `fn pow_i32(x: i32, y: i32) -> i32 {
  if (y < 0) { if (x == 1) { return 1; } if (x == -1) { return select(1, -1, (y & 1) == 1); } return 0; }
  var e = u32(y); var b = x; var r = 1;
  loop { if (e == 0u) { break; } if ((e & 1u) == 1u) { r = r * b; } b = b * b; e = e >> 1u; }
  return r;
}`,
  pow_u32: `fn pow_u32(x: u32, y: u32) -> u32 {
  var e = y; var b = x; var r = 1u;
  loop { if (e == 0u) { break; } if ((e & 1u) == 1u) { r = r * b; } b = b * b; e = e >> 1u; }
  return r;
}`,
};

const HELPER_DEPS: Record<string, string[]> = {
  isnan_f32: [],
  fmax_f32: ["isnan_f32", "nan_f32"],
  fmin_f32: ["isnan_f32", "nan_f32"],
  sign_f32: ["isnan_f32"],
  sqrt_f32: ["nan_f32", "isinf_f32"],
  log_f32: ["nan_f32", "isnan_f32", "inf_f32", "isinf_f32"],
  exp_f32: ["isnan_f32", "inf_f32"],
  hypot_f32: ["isinf_f32", "isnan_f32", "inf_f32", "nan_f32"],
  pow_f32: ["isnan_f32", "nan_f32", "inf_f32", "isinf_f32"],
};

/** Emits the helper functions named in `names` (with their dependencies). @internal */
export function helpers(names: Iterable<string>): string {
  const out = new Set<string>();
  const add = (n: string) => {
    if (out.has(n)) return;
    for (const d of HELPER_DEPS[n] ?? []) add(d);
    out.add(n);
  };
  for (const n of names) add(n);
  // nan/inf are always cheap to include and used by literals
  add("nan_f32");
  add("inf_f32");
  return [...out].map((n) => {
    const h = F32_HELPERS[n];
    if (!h) throw new Error(`webgpu: unknown WGSL helper ${n}`);
    return h;
  }).join("\n") + "\n";
}

/** Scratch for float bit casts. */
const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** The u32 bit pattern of `x` as a float32. @internal */
export function f32bits(x: number): number {
  F32[0] = x;
  return U32[0];
}

/** Parameter word of a host scalar for a value type. @internal */
export function scalarWord(x: number | boolean, v: Val): number {
  if (v === "bool") return x ? 1 : 0;
  if (v === "f32" || v === "f16") return f32bits(Number(x));
  return Number(x) >>> 0;
}

/** WGSL expression reading a host scalar parameter word `k` as value type `v`. @internal */
export function scalarParam(k: number, v: Val): string {
  switch (v) {
    case "f32":
      return `bitcast<f32>(${P(k)})`;
    case "f16":
      return `f16(bitcast<f32>(${P(k)}))`;
    case "i32":
      return `bitcast<i32>(${P(k)})`;
    case "u32":
      return P(k);
    default:
      return `(${P(k)} != 0u)`;
  }
}

/** Header line enabling f16 when any type in `types` is f16. @internal */
export function enableF16(types: Iterable<string>): string {
  for (const t of types) if (t === "f16") return "enable f16;\n";
  return "";
}
