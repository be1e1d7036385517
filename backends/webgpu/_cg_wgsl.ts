/**
 * WGSL of the fused conjugate-gradient fast path (`_cg.ts`). One iteration is two dispatches:
 *
 * - `K1` (SpMV + direction): every workgroup of system `s` reduces the `r·r` (and `r·z`)
 *   partials that `K2` of the previous iteration left, in the same order (so every workgroup
 *   computes bit-identical scalars), runs the per-system bookkeeping (iteration count, NaN →
 *   info −12, convergence test), and — only its first workgroup — writes the new state. Then
 *   each thread forms `p_new[j] = z_j + β p_old[j]` on the fly for its row and the row's
 *   neighbours, writes `p_new[i]`, `q[i] = Σ_j a_ij p_new[j]`, and a workgroup partial of
 *   `p_new·q`.
 * - `K2` (update): reduces the `p·q` partials, `α = ρ/pᴴq`, `x += α p`, `r −= α q`, partials of
 *   `r·r` (and `r·z` with Jacobi, `z = D⁻¹ r`, never stored).
 *
 * Plus `I1`/`I2`/`I3` (initial residual, initial state, `x_k = 0` where `b_k = 0`), `T1`/`T2`
 * (true residual `‖b − A x‖` partials and the per-chunk status snapshot). Sums are accurate:
 * per-thread two-float accumulation, a two-float tree in workgroup memory, two-float partials,
 * and a two-float reduction of the partials.
 *
 * The per-system state (8 words): `flags` (bit 0 active, bit 1 fresh — no update yet, bit 2
 * `b = 0`), `iters`, `info`, `done` (updates reflected in `res`; the history row), `res`,
 * `rho`, `rhoPrev`, `tol`.
 *
 * Vectors have their own bindings (`x, r, p₀, p₁, q`), read-only wherever a kernel only
 * reads them: measured on an H100, packing `r, p₀, p₁, q` into one read-write binding cost
 * 8–12 % per iteration (no read-only cache path), more than the host time it saves.
 *
 * Matrix formats: DIA (values `[batch?, ndiag, n]`, one row per diagonal, offsets baked into
 * the shader) or CSR (values `[batch?, nnz]` with the shared `indptr`/`indices`).
 *
 * @module
 */
import { P, uniformDecl } from "./_wgsl.ts";

/** Default workgroup size. @internal */
export const CG_WG = 256;

/** Uniform parameter words (see `Params` in `_cg.ts`). @internal */
export const CG_PARAM = {
  n: 0,
  G: 1,
  nSys: 2,
  valsStride: 3,
  minvStride: 4,
  sIn: 5,
  sOut: 6,
  p1: 7,
  p2: 8,
  pt: 9,
  hist: 10,
  ring: 11,
  valsOff: 12,
  ipOff: 13,
  ixOff: 14,
  minvOff: 15,
  bOff: 16,
  snap: 17,
  rtol: 18,
  atol: 19,
  pb: 20,
  x0Off: 21,
} as const;
/** Number of parameter words. @internal */
export const CG_PARAM_WORDS = 24;

/** Storage format of the operator. @internal */
export type CgFormat = { kind: "dia"; offsets: readonly number[] } | { kind: "csr" };

/** Kernel variant. @internal */
export interface CgVariant {
  /** Operator format. */
  readonly fmt: CgFormat;
  /** Jacobi preconditioning (a `minv` binding, `r·z` sums). */
  readonly jacobi: boolean;
  /** Workgroup size (a power of two, 64–1024). */
  readonly wg: number;
  /** Rows per thread and loop trip in K1 (DIA) and K2, all loads issued before any store. */
  readonly unroll: number;
}

const Q = (k: keyof typeof CG_PARAM) => P(CG_PARAM[k]);

/** Stride (u32 words) of one `r·r` / `r·z` partial. @internal */
export function p2Stride(jacobi: boolean): number {
  return jacobi ? 4 : 2;
}

/** Cache key of a variant. @internal */
export function variantKey(v: CgVariant): string {
  return (v.fmt.kind === "dia" ? `dia[${v.fmt.offsets.join(",")}]` : "csr") +
    (v.jacobi ? ":jac" : "") + `:wg${v.wg}:u${v.unroll}`;
}

interface Binding {
  name: string;
  elem: "f32" | "i32" | "u32";
  write: boolean;
}

/** A kernel source: WGSL code and its storage signature (`r`/`w` per binding). @internal */
export interface CgSource {
  /** WGSL. */
  readonly code: string;
  /** Storage bindings after the uniform, in order. */
  readonly sig: string;
  /** Binding names in order (for assembling bind groups). */
  readonly names: readonly string[];
  /** Label. */
  readonly label: string;
}

function decl(bs: readonly Binding[]): string {
  return bs.map((b, i) =>
    `@group(0) @binding(${i + 1}) var<storage, ${b.write ? "read_write" : "read"}> ${b.name}: ` +
    `array<${b.elem}>;\n`
  ).join("");
}

function source(label: string, bs: readonly Binding[], body: string, wg: number): CgSource {
  return {
    code: uniformDecl(CG_PARAM_WORDS) + decl(bs) + common(wg) + body.replaceAll("@WG@", `${wg}`),
    sig: bs.map((b) => (b.write ? "w" : "r")).join(""),
    names: bs.map((b) => b.name),
    label,
  };
}

const common = (wg: number) => `
const WG: u32 = ${wg}u;
struct St { flags: u32, iters: u32, info: i32, done: u32, res: f32, rho: f32, rhoPrev: f32, tol: f32, }
var<workgroup> sh0: array<vec2<f32>, ${wg}>;
var<workgroup> sh1: array<vec2<f32>, ${wg}>;
var<workgroup> wSt: St;
var<workgroup> wRed: vec4<f32>;

fn two_sum(a: f32, b: f32) -> vec2<f32> {
  let s = a + b;
  let bb = s - a;
  return vec2<f32>(s, (a - (s - bb)) + (b - bb));
}
fn dd_add(x: vec2<f32>, y: vec2<f32>) -> vec2<f32> {
  let s = two_sum(x.x, y.x);
  let t = s.y + (x.y + y.y);
  let h = s.x + t;
  return vec2<f32>(h, t - (h - s.x));
}
fn dd_acc(x: vec2<f32>, v: f32) -> vec2<f32> {
  let s = two_sum(x.x, v);
  let t = s.y + x.y;
  let h = s.x + t;
  return vec2<f32>(h, t - (h - s.x));
}
fn finite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) < 0x7f800000u; }
fn isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn fmax(a: f32, b: f32) -> f32 {
  if (isnan(a) || isnan(b)) { return bitcast<f32>(0x7fc00000u); }
  return max(a, b);
}
fn fsqrt(x: f32) -> f32 {
  if (x < 0.0) { return bitcast<f32>(0x7fc00000u); }
  if (!finite(x)) { return x; }
  return sqrt(x);
}
fn loadSt(o: u32) -> St {
  return St(W[o], W[o + 1u], bitcast<i32>(W[o + 2u]), W[o + 3u], bitcast<f32>(W[o + 4u]),
    bitcast<f32>(W[o + 5u]), bitcast<f32>(W[o + 6u]), bitcast<f32>(W[o + 7u]));
}
fn storeSt(o: u32, s: St) {
  W[o] = s.flags; W[o + 1u] = s.iters; W[o + 2u] = bitcast<u32>(s.info); W[o + 3u] = s.done;
  W[o + 4u] = bitcast<u32>(s.res); W[o + 5u] = bitcast<u32>(s.rho);
  W[o + 6u] = bitcast<u32>(s.rhoPrev); W[o + 7u] = bitcast<u32>(s.tol);
}
// Two-float tree over sh0 (call in uniform control flow); the total ends in sh0[0].
fn tree1(lid: u32) {
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    workgroupBarrier();
    if (lid < s) { sh0[lid] = dd_add(sh0[lid], sh0[lid + s]); }
  }
  workgroupBarrier();
}
// Two-float tree over sh0/sh1 (call in uniform control flow); the totals end in sh0[0]/sh1[0].
fn tree(lid: u32) {
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    workgroupBarrier();
    if (lid < s) {
      sh0[lid] = dd_add(sh0[lid], sh0[lid + s]);
      sh1[lid] = dd_add(sh1[lid], sh1[lid + s]);
    }
  }
  workgroupBarrier();
}
// Per-thread two-float sums of this thread's share of count partials (stride words at W[base];
// two sums when two). Loads only: call it early so the loads overlap other latency.
fn loadParts(base: u32, stride: u32, count: u32, two: bool, lid: u32) -> vec4<f32> {
  var a = vec2<f32>(0.0, 0.0);
  var b = vec2<f32>(0.0, 0.0);
  for (var t = lid; t < count; t = t + WG) {
    let o = base + t * stride;
    a = dd_add(a, vec2<f32>(bitcast<f32>(W[o]), bitcast<f32>(W[o + 1u])));
    if (two) { b = dd_add(b, vec2<f32>(bitcast<f32>(W[o + 2u]), bitcast<f32>(W[o + 3u]))); }
  }
  return vec4<f32>(a, b);
}
// Workgroup total of per-thread two-float sums, identical in every thread (uniform).
// Every workgroup reducing the same partials gets bit-identical results.
fn sumParts(v: vec4<f32>, two: bool, lid: u32) -> vec4<f32> {
  sh0[lid] = v.xy;
  if (two) {
    sh1[lid] = v.zw;
    tree(lid);
  } else {
    tree1(lid);
  }
  if (lid == 0u) { wRed = vec4<f32>(sh0[0].x, sh0[0].y, select(0.0, sh1[0].x, two), select(0.0, sh1[0].y, two)); }
  return workgroupUniformLoad(&wRed);
}
fn reduceParts(base: u32, stride: u32, count: u32, two: bool, lid: u32) -> vec4<f32> {
  return sumParts(loadParts(base, stride, count, two, lid), two, lid);
}
// The bookkeeping after an update (the portable cg's "state" step): iteration count, NaN
// check, convergence test at the top of the next iteration; rho of the next iteration.
fn book(st: St, rr: f32, rz: f32, jac: bool) -> St {
  var o = st;
  let rho = select(rr, rz, jac);
  o.flags = st.flags & ~2u;
  if ((st.flags & 2u) != 0u) { o.rho = rho; return o; }
  o.done = st.done + 1u;
  if ((st.flags & 1u) == 0u) { return o; }
  let res = fsqrt(rr);
  let bad = !finite(res);
  o.iters = st.iters + 1u;
  o.res = res;
  if (bad) { o.info = -12; }
  o.flags = (st.flags & ~1u) | select(0u, 1u, !bad && res >= st.tol);
  o.rhoPrev = st.rho;
  o.rho = rho;
  return o;
}
fn wgIndex(wid: vec3<u32>, nwg: vec3<u32>) -> u32 { return wid.x + wid.y * nwg.x; }
`;

/** Bindings of the matrix values (and CSR structure). */
function matBindings(fmt: CgFormat): Binding[] {
  const vals: Binding = { name: "vals", elem: "f32", write: false };
  if (fmt.kind === "dia") return [vals];
  return [vals, { name: "ip", elem: "i32", write: false }, {
    name: "ix",
    elem: "i32",
    write: false,
  }];
}

/**
 * WGSL statements accumulating `acc += Σ_j a_ij · vec(j)` for row `i` of system `s` (values
 * base `vb`), where `vec(j)` is the expression returned by `at("j")`. `diag` (optional) is the
 * value of `vec(i)` already computed.
 */
function rowProduct(fmt: CgFormat, at: (j: string) => string, diag: string | null): string {
  if (fmt.kind === "csr") {
    return `
    let k0 = u32(ip[${Q("ipOff")} + i]);
    let k1 = u32(ip[${Q("ipOff")} + i + 1u]);
    for (var k = k0; k < k1; k = k + 1u) {
      let j = u32(ix[${Q("ixOff")} + k]);
      acc = acc + vals[vb + k] * ${at("j")};
    }`;
  }
  return fmt.offsets.map((off, d) => {
    const v = `vals[vb + ${d}u * n + i]`;
    if (off === 0) return `\n    acc = acc + ${v} * ${diag ?? at("i")};`;
    if (off < 0) {
      return `\n    if (i >= ${-off}u) { acc = acc + ${v} * ${at(`(i - ${-off}u)`)}; }`;
    }
    return `\n    if (i + ${off}u < n) { acc = acc + ${v} * ${at(`(i + ${off}u)`)}; }`;
  }).join("");
}

const rowsLoop = `for (var i = g * WG + lid; i < n; i = i + G * WG)`;

/** Header of an unrolled rows loop: rows `i{u} = i0 + u·WG`, `ok{u}` when inside the system. */
function unrolledHead(U: number, wg: number): string {
  let h = `for (var i0 = g * WG * ${U}u + lid; i0 < n; i0 = i0 + G * WG * ${U}u) {`;
  for (let u = 0; u < U; u++) {
    h += `\n    let i${u} = i0 + ${u * wg}u;\n    let ok${u} = i${u} < n;`;
  }
  return h;
}

/**
 * K1 rows for DIA, `U` rows per trip: every load first (out-of-range reads are clamped by
 * WebGPU's robust buffer access and their terms discarded with select), then the stores.
 */
function k1DiaUnrolled(v: CgVariant, offsets: readonly number[]): string {
  const U = v.unroll;
  const z = (j: string) => v.jacobi ? `r[xb + ${j}] * minv[mb + ${j}]` : `r[xb + ${j}]`;
  let c = unrolledHead(U, v.wg);
  for (let u = 0; u < U; u++) {
    offsets.forEach((off, d) => {
      const j = off === 0 ? `i${u}` : off < 0 ? `(i${u} - ${-off}u)` : `(i${u} + ${off}u)`;
      c += `\n    let z${u}_${d} = ${z(j)};`;
      c += `\n    let o${u}_${d} = pOld[xb + ${j}];`;
      c += `\n    let a${u}_${d} = vals[vb + ${d}u * n + i${u}];`;
    });
  }
  for (let u = 0; u < U; u++) {
    let acc = "0.0";
    let diag = "";
    offsets.forEach((off, d) => {
      c += `\n    let p${u}_${d} = select(z${u}_${d} + beta * o${u}_${d}, z${u}_${d}, fresh);`;
      const ok = off === 0 ? "" : off < 0 ? `i${u} >= ${-off}u` : `i${u} + ${off}u < n`;
      const t = `a${u}_${d} * p${u}_${d}`;
      acc = `${acc} + ${ok ? `select(0.0, ${t}, ${ok})` : t}`;
      if (off === 0) diag = `p${u}_${d}`;
    });
    c += `\n    let q${u} = ${acc};`;
    c += `\n    if (ok${u}) {\n      pNew[xb + i${u}] = ${diag};\n      q[xb + i${u}] = q${u};` +
      `\n      part = dd_acc(part, ${diag} * q${u});\n    }`;
  }
  return c + "\n  }";
}

/** K2 rows, `U` per trip: loads first, then updates and stores. */
function k2Unrolled(v: CgVariant): string {
  const U = v.unroll;
  let c = unrolledHead(U, v.wg);
  for (let u = 0; u < U; u++) {
    c += `\n    let k${u} = xb + i${u};`;
    c += `\n    let x${u} = x[k${u}];\n    let r${u} = r[k${u}];`;
    c += `\n    let p${u} = p[k${u}];\n    let q${u} = q[k${u}];`;
    if (v.jacobi) c += `\n    let m${u} = minv[mb + i${u}];`;
  }
  for (let u = 0; u < U; u++) {
    c += `\n    if (ok${u}) {\n      x[k${u}] = x${u} + alpha * p${u};` +
      `\n      let ri = r${u} - alpha * q${u};\n      r[k${u}] = ri;` +
      `\n      rr = dd_acc(rr, ri * ri);` +
      (v.jacobi ? `\n      rz = dd_acc(rz, ri * m${u} * ri);` : "") + `\n    }`;
  }
  return c + "\n  }";
}

/** K1: bookkeeping + direction update fused into the SpMV, partials of pᴴq. @internal */
export function k1Source(v: CgVariant): CgSource {
  const bs: Binding[] = [
    ...matBindings(v.fmt),
    { name: "r", elem: "f32", write: false },
    ...(v.jacobi ? [{ name: "minv", elem: "f32" as const, write: false }] : []),
    { name: "pOld", elem: "f32", write: false },
    { name: "pNew", elem: "f32", write: true },
    { name: "q", elem: "f32", write: true },
    { name: "W", elem: "u32", write: true },
  ];
  const z = (j: string) => v.jacobi ? `r[xb + ${j}] * minv[mb + ${j}]` : `r[xb + ${j}]`;
  const body = `
fn dirv(xb: u32, mb: u32, j: u32, beta: f32, fresh: bool) -> f32 {
  let z = ${z("j")};
  if (fresh) { return z; }
  return z + beta * pOld[xb + j];
}
@compute @workgroup_size(@WG@)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lv: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let w = wgIndex(wid, nwg);
  let G = ${Q("G")};
  let nS = ${Q("nSys")};
  if (w >= G * nS) { return; }
  let s = w / G;
  let g = w % G;
  let lid = lv.x;
  let n = ${Q("n")};
  // the state and this thread's partials are loaded together (one memory latency, not two)
  var stv: St;
  if (lid == 0u) { stv = loadSt(${Q("sIn")} + s * 8u); }
  let mine = loadParts(${Q("p2")} + s * G * ${p2Stride(v.jacobi)}u, ${p2Stride(v.jacobi)}u, G, ${
    v.jacobi ? "true" : "false"
  }, lid);
  if (lid == 0u) { wSt = stv; }
  let st = workgroupUniformLoad(&wSt);
  var red = vec4<f32>(0.0, 0.0, 0.0, 0.0);
  if ((st.flags & 1u) != 0u) { red = sumParts(mine, ${v.jacobi ? "true" : "false"}, lid); }
  let B = book(st, red.x + red.y, red.z + red.w, ${v.jacobi ? "true" : "false"});
  if (g == 0u && lid == 0u) {
    storeSt(${Q("sOut")} + s * 8u, B);
    let R = ${Q("ring")};
    if (R > 0u) { W[${Q("hist")} + (B.done % R) * nS + s] = bitcast<u32>(B.res); }
  }
  if ((B.flags & 1u) == 0u) { return; }
  let fresh = (st.flags & 2u) != 0u;
  let beta = select(B.rho / B.rhoPrev, 0.0, fresh);
  let xb = s * n;
  let mb = ${Q("minvOff")} + s * ${Q("minvStride")};
  let vb = ${Q("valsOff")} + s * ${Q("valsStride")};
  var part = vec2<f32>(0.0, 0.0);
  ${
    v.fmt.kind === "dia" && v.unroll > 1 ? k1DiaUnrolled(v, v.fmt.offsets) : `${rowsLoop} {
    let pi = dirv(xb, mb, i, beta, fresh);
    var acc = 0.0;${rowProduct(v.fmt, (j) => `dirv(xb, mb, ${j}, beta, fresh)`, "pi")}
    pNew[xb + i] = pi;
    q[xb + i] = acc;
    part = dd_acc(part, pi * acc);
  }`
  }
  sh0[lid] = part;
  tree1(lid);
  if (lid == 0u) {
    let o = ${Q("p1")} + w * 2u;
    W[o] = bitcast<u32>(sh0[0].x);
    W[o + 1u] = bitcast<u32>(sh0[0].y);
  }
}
`;
  return source(`cg.k1 ${variantKey(v)}`, bs, body, v.wg);
}

/** K2: α, x and r updates, partials of rᴴr (and rᴴz). @internal */
export function k2Source(v: CgVariant): CgSource {
  const bs: Binding[] = [
    { name: "x", elem: "f32", write: true },
    { name: "r", elem: "f32", write: true },
    ...(v.jacobi ? [{ name: "minv", elem: "f32" as const, write: false }] : []),
    { name: "p", elem: "f32", write: false },
    { name: "q", elem: "f32", write: false },
    { name: "W", elem: "u32", write: true },
  ];
  const body = `
@compute @workgroup_size(@WG@)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lv: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let w = wgIndex(wid, nwg);
  let G = ${Q("G")};
  let nS = ${Q("nSys")};
  if (w >= G * nS) { return; }
  let s = w / G;
  let g = w % G;
  let lid = lv.x;
  let n = ${Q("n")};
  var stv: St;
  if (lid == 0u) { stv = loadSt(${Q("sOut")} + s * 8u); }
  let mine = loadParts(${Q("p1")} + s * G * 2u, 2u, G, false, lid);
  if (lid == 0u) { wSt = stv; }
  let st = workgroupUniformLoad(&wSt);
  if ((st.flags & 1u) == 0u) { return; }
  let red = sumParts(mine, false, lid);
  let alpha = st.rho / (red.x + red.y);
  let xb = s * n;
  let mb = ${Q("minvOff")} + s * ${Q("minvStride")};
  var rr = vec2<f32>(0.0, 0.0);
  var rz = vec2<f32>(0.0, 0.0);
  ${
    v.unroll > 1 ? k2Unrolled(v) : `${rowsLoop} {
    let k = xb + i;
    x[k] = x[k] + alpha * p[k];
    let ri = r[k] - alpha * q[k];
    r[k] = ri;
    rr = dd_acc(rr, ri * ri);${v.jacobi ? "\n    rz = dd_acc(rz, ri * minv[mb + i] * ri);" : ""}
  }`
  }
  sh0[lid] = rr;${v.jacobi ? "\n  sh1[lid] = rz;\n  tree(lid);" : "\n  tree1(lid);"}
  if (lid == 0u) {
    let o = ${Q("p2")} + w * ${p2Stride(v.jacobi)}u;
    W[o] = bitcast<u32>(sh0[0].x);
    W[o + 1u] = bitcast<u32>(sh0[0].y);${
    v.jacobi
      ? "\n    W[o + 2u] = bitcast<u32>(sh1[0].x);\n    W[o + 3u] = bitcast<u32>(sh1[0].y);"
      : ""
  }
  }
}
`;
  return source(`cg.k2 ${variantKey(v)}`, bs, body, v.wg);
}

/**
 * I1: `x = x0` (or 0), `r = b − A x0` (or b), partials of `bᴴb`, `rᴴr` (and `rᴴz`).
 * @internal
 */
export function i1Source(v: CgVariant, withX0: boolean): CgSource {
  const bs: Binding[] = [
    ...matBindings(v.fmt),
    { name: "b", elem: "f32", write: false },
    ...(withX0 ? [{ name: "x0", elem: "f32" as const, write: false }] : []),
    ...(v.jacobi ? [{ name: "minv", elem: "f32" as const, write: false }] : []),
    { name: "x", elem: "f32", write: true },
    { name: "r", elem: "f32", write: true },
    { name: "W", elem: "u32", write: true },
  ];
  const body = `
@compute @workgroup_size(@WG@)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lv: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let w = wgIndex(wid, nwg);
  let G = ${Q("G")};
  let nS = ${Q("nSys")};
  if (w >= G * nS) { return; }
  let s = w / G;
  let g = w % G;
  let lid = lv.x;
  let n = ${Q("n")};
  let xb = s * n;
  let mb = ${Q("minvOff")} + s * ${Q("minvStride")};
  let vb = ${Q("valsOff")} + s * ${Q("valsStride")};
  let bo = ${Q("bOff")} + xb;
  var bb = vec2<f32>(0.0, 0.0);
  var rr = vec2<f32>(0.0, 0.0);
  var rz = vec2<f32>(0.0, 0.0);
  ${rowsLoop} {
    let bi = b[bo + i];${
    withX0
      ? `
    let xo = ${Q("x0Off")} + xb;
    var acc = 0.0;${rowProduct(v.fmt, (j) => `x0[xo + ${j}]`, null)}
    x[xb + i] = x0[xo + i];
    let ri = bi - acc;`
      : `
    x[xb + i] = 0.0;
    let ri = bi;`
  }
    r[xb + i] = ri;
    bb = dd_acc(bb, bi * bi);
    rr = dd_acc(rr, ri * ri);${v.jacobi ? "\n    rz = dd_acc(rz, ri * minv[mb + i] * ri);" : ""}
  }
  sh0[lid] = bb;
  sh1[lid] = rr;
  tree(lid);
  if (lid == 0u) {
    let o = ${Q("pb")} + w * 2u;
    W[o] = bitcast<u32>(sh0[0].x);
    W[o + 1u] = bitcast<u32>(sh0[0].y);
    let o2 = ${Q("p2")} + w * ${p2Stride(v.jacobi)}u;
    W[o2] = bitcast<u32>(sh1[0].x);
    W[o2 + 1u] = bitcast<u32>(sh1[0].y);
  }${
    v.jacobi
      ? `
  sh0[lid] = rz;
  tree1(lid);
  if (lid == 0u) {
    let o2 = ${Q("p2")} + w * 4u;
    W[o2 + 2u] = bitcast<u32>(sh0[0].x);
    W[o2 + 3u] = bitcast<u32>(sh0[0].y);
  }`
      : ""
  }
}
`;
  return source(`cg.i1 ${variantKey(v)}${withX0 ? ":x0" : ""}`, bs, body, v.wg);
}

/** I2: initial per-system state (one workgroup per system). @internal */
export function i2Source(jacobi: boolean, wg: number): CgSource {
  const bs: Binding[] = [{ name: "W", elem: "u32", write: true }];
  const body = `
@compute @workgroup_size(@WG@)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lv: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let s = wgIndex(wid, nwg);
  let nS = ${Q("nSys")};
  if (s >= nS) { return; }
  let G = ${Q("G")};
  let lid = lv.x;
  let bbv = reduceParts(${Q("pb")} + s * G * 2u, 2u, G, false, lid);
  let red = reduceParts(${Q("p2")} + s * G * ${p2Stride(jacobi)}u, ${p2Stride(jacobi)}u, G, ${
    jacobi ? "true" : "false"
  }, lid);
  if (lid != 0u) { return; }
  let bnorm = fsqrt(bbv.x + bbv.y);
  let tol = fmax(bitcast<f32>(${Q("atol")}), bitcast<f32>(${Q("rtol")}) * bnorm);
  let res = fsqrt(red.x + red.y);
  let fin = finite(res);
  let zero = bnorm == 0.0;
  let act = !zero && fin && res >= tol;
  var st: St;
  st.flags = select(0u, 1u, act) | 2u | select(0u, 4u, zero);
  st.iters = 0u;
  st.info = select(-12, 0, fin || zero);
  st.done = 0u;
  st.res = res;
  st.rho = 0.0;
  st.rhoPrev = 1.0;
  st.tol = tol;
  storeSt(${Q("sOut")} + s * 8u, st);
  let R = ${Q("ring")};
  if (R > 0u) { W[${Q("hist")} + s] = bitcast<u32>(res); }
}
`;
  return source(`cg.i2${jacobi ? ":jac" : ""}:wg${wg}`, bs, body, wg);
}

/** I3: `x_k = 0` for systems with `b_k = 0` (only needed with an initial guess). @internal */
export function i3Source(wg: number): CgSource {
  const bs: Binding[] = [
    { name: "x", elem: "f32", write: true },
    { name: "W", elem: "u32", write: true },
  ];
  const body = `
@compute @workgroup_size(@WG@)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lv: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let w = wgIndex(wid, nwg);
  let G = ${Q("G")};
  let nS = ${Q("nSys")};
  if (w >= G * nS) { return; }
  let s = w / G;
  let g = w % G;
  let lid = lv.x;
  let n = ${Q("n")};
  if ((W[${Q("sOut")} + s * 8u] & 4u) == 0u) { return; }
  ${rowsLoop} { x[s * n + i] = 0.0; }
}
`;
  return source(`cg.i3:wg${wg}`, bs, body, wg);
}

/** T1: partials of `‖b − A x‖²` for the true residual. @internal */
export function t1Source(fmt: CgFormat, wg: number): CgSource {
  const bs: Binding[] = [
    ...matBindings(fmt),
    { name: "b", elem: "f32", write: false },
    { name: "x", elem: "f32", write: false },
    { name: "W", elem: "u32", write: true },
  ];
  const body = `
@compute @workgroup_size(@WG@)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lv: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let w = wgIndex(wid, nwg);
  let G = ${Q("G")};
  let nS = ${Q("nSys")};
  if (w >= G * nS) { return; }
  let s = w / G;
  let g = w % G;
  let lid = lv.x;
  let n = ${Q("n")};
  let xb = s * n;
  let vb = ${Q("valsOff")} + s * ${Q("valsStride")};
  var tt = vec2<f32>(0.0, 0.0);
  ${rowsLoop} {
    var acc = 0.0;${rowProduct(fmt, (j) => `x[xb + ${j}]`, null)}
    let t = b[${Q("bOff")} + xb + i] - acc;
    tt = dd_acc(tt, t * t);
  }
  sh0[lid] = tt;
  tree1(lid);
  if (lid == 0u) {
    let o = ${Q("pt")} + w * 2u;
    W[o] = bitcast<u32>(sh0[0].x);
    W[o + 1u] = bitcast<u32>(sh0[0].y);
  }
}
`;
  return source(
    `cg.t1 ${fmt.kind === "dia" ? `dia[${fmt.offsets.join(",")}]` : "csr"}:wg${wg}`,
    bs,
    body,
    wg,
  );
}

/**
 * T2: the status snapshot after the last update of a chunk (one workgroup per system): the
 * same bookkeeping `K1` will do, the true residual, rows `[active, iters, info, done, res,
 * trueRes, tol, 0]` (row-major: row r of system s at `snap + r·nSys + s`), and the history row.
 * @internal
 */
export function t2Source(jacobi: boolean, wg: number): CgSource {
  const bs: Binding[] = [{ name: "W", elem: "u32", write: true }];
  const body = `
@compute @workgroup_size(@WG@)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lv: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let s = wgIndex(wid, nwg);
  let nS = ${Q("nSys")};
  if (s >= nS) { return; }
  let G = ${Q("G")};
  let lid = lv.x;
  if (lid == 0u) { wSt = loadSt(${Q("sOut")} + s * 8u); }
  let st = workgroupUniformLoad(&wSt);
  var red = vec4<f32>(0.0, 0.0, 0.0, 0.0);
  if ((st.flags & 1u) != 0u) {
    red = reduceParts(${Q("p2")} + s * G * ${p2Stride(jacobi)}u, ${p2Stride(jacobi)}u, G, ${
    jacobi ? "true" : "false"
  }, lid);
  }
  let B = book(st, red.x + red.y, red.z + red.w, ${jacobi ? "true" : "false"});
  let tr = reduceParts(${Q("pt")} + s * G * 2u, 2u, G, false, lid);
  if (lid != 0u) { return; }
  let o = ${Q("snap")} + s;
  W[o] = B.flags & 1u;
  W[o + nS] = B.iters;
  W[o + 2u * nS] = bitcast<u32>(B.info);
  W[o + 3u * nS] = B.done;
  W[o + 4u * nS] = bitcast<u32>(B.res);
  W[o + 5u * nS] = bitcast<u32>(fsqrt(tr.x + tr.y));
  W[o + 6u * nS] = bitcast<u32>(B.tol);
  W[o + 7u * nS] = 0u;
  let R = ${Q("ring")};
  if (R > 0u) { W[${Q("hist")} + (B.done % R) * nS + s] = bitcast<u32>(B.res); }
}
`;
  return source(`cg.t2${jacobi ? ":jac" : ""}:wg${wg}`, bs, body, wg);
}
