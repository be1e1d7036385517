/**
 * CSR sparse kernels. One generator covers both {@linkcode CsrData} layouts and both batch
 * cases through three batch strides: row pointers advance by `ipStride` per batch entry
 * (0 shared pattern, M stacked), values by `dStride` (nnz batched values, 0 one matrix or
 * stacked), vectors by `xStride`.
 *
 * - `scalar`: one thread per (batch, row) — the best choice for short rows;
 * - `vector`: 32 lanes per row with a workgroup-memory reduction — for long rows.
 * - `matmat`: one thread per (batch, row, column of X), columns adjacent for coalesced reads.
 *
 * Params: 0 rows M, 1 batches, 2 ipStride, 3 dStride, 4 xStride, 5 ip off, 6 idx off,
 * 7 data off, 8 x off, 9 K (matmat), 10 out off.
 * Bindings: 1 indptr, 2 indices, 3 data, 4 x, 5 out.
 *
 * @module
 */
import { bindingDecl, conv, type Elem, enableF16, P, uniformDecl } from "./_wgsl.ts";

function decls(elem: Elem): string {
  return enableF16([elem]) + uniformDecl(12) + bindingDecl(1, "i32", false) +
    bindingDecl(2, "i32", false) + bindingDecl(3, elem, false) + bindingDecl(4, elem, false) +
    bindingDecl(5, elem, true);
}

const load = (elem: Elem) => `
fn term(b: u32, k: u32) -> f32 {
  let col = u32(b2[${P(6)} + k]);
  return ${conv(`b3[${P(7)} + b * ${P(3)} + k]`, elem, "f32")} * ${
  conv(`b4[${P(8)} + b * ${P(4)} + col]`, elem, "f32")
};
}
`;

/** One thread per row. @internal */
export function csrScalarWgsl(elem: Elem): string {
  return `${decls(elem)}${load(elem)}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * 256u;
  let M = ${P(0)};
  if (t >= M * ${P(1)}) { return; }
  let b = t / M;
  let r = t % M;
  let ip = ${P(5)} + b * ${P(2)} + r;
  let p0 = u32(b1[ip]);
  let p1 = u32(b1[ip + 1u]);
  var acc = 0.0;
  for (var k = p0; k < p1; k = k + 1u) { acc = acc + term(b, k); }
  b5[${P(10)} + t] = ${conv("acc", "f32", elem)};
}
`;
}

/** 32 lanes per row (8 rows per workgroup). @internal */
export function csrVectorWgsl(elem: Elem): string {
  return `${decls(elem)}${load(elem)}
var<workgroup> sh: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lv: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let lid = lv.x;
  let lane = lid & 31u;
  let g = wid.x + wid.y * nwg.x;
  let t = g * 8u + (lid >> 5u);
  let M = ${P(0)};
  let live = t < M * ${P(1)};
  var acc = 0.0;
  if (live) {
    let b = t / M;
    let r = t % M;
    let ip = ${P(5)} + b * ${P(2)} + r;
    let p0 = u32(b1[ip]);
    let p1 = u32(b1[ip + 1u]);
    for (var k = p0 + lane; k < p1; k = k + 32u) { acc = acc + term(b, k); }
  }
  sh[lid] = acc;
  workgroupBarrier();
  for (var s = 16u; s > 0u; s = s >> 1u) {
    if (lane < s) { sh[lid] = sh[lid] + sh[lid + s]; }
    workgroupBarrier();
  }
  if (live && lane == 0u) { b5[${P(10)} + t] = ${conv("sh[lid]", "f32", elem)}; }
}
`;
}

/** `A @ X` for X `[batch, N, K]`: one thread per output element. @internal */
export function csrMatmatWgsl(elem: Elem): string {
  return `${decls(elem)}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * 256u;
  let M = ${P(0)};
  let K = ${P(9)};
  if (t >= M * K * ${P(1)}) { return; }
  let c = t % K;
  let br = t / K;
  let b = br / M;
  let r = br % M;
  let ip = ${P(5)} + b * ${P(2)} + r;
  let p0 = u32(b1[ip]);
  let p1 = u32(b1[ip + 1u]);
  var acc = 0.0;
  for (var k = p0; k < p1; k = k + 1u) {
    let col = u32(b2[${P(6)} + k]);
    acc = acc + ${conv(`b3[${P(7)} + b * ${P(3)} + k]`, elem, "f32")} * ${
    conv(`b4[${P(8)} + b * ${P(4)} + col * K + c]`, elem, "f32")
  };
  }
  b5[${P(10)} + t] = ${conv("acc", "f32", elem)};
}
`;
}
