/**
 * WGSL for reductions the expression engine does not cover: `argmax`/`argmin` (value–index
 * pairs, first occurrence wins, NaN counts as the extreme) and `cumulative_sum` (one workgroup
 * per row: per-thread chunk sums, a workgroup scan, then a second pass writing the prefixes).
 *
 * @module
 */
import {
  bindingDecl,
  conv,
  type Elem,
  enableF16,
  helpers,
  P,
  store,
  uniformDecl,
} from "./_wgsl.ts";

/**
 * argmax/argmin over rows of a contiguous `[rows, L]` array; one workgroup per row.
 * Params: 0 rows, 1 L, 2 x offset. Bindings: 1 x, 2 out (i32).
 * @internal
 */
export function argWgsl(elem: Elem, isMax: boolean): string {
  const T = elem === "f16" ? "f32" : elem;
  const fl = T === "f32";
  const better = (v: string, i: string, bv: string, bi: string) => {
    const cmp = isMax ? ">" : "<";
    const plain = `(${v} ${cmp} ${bv} || (${v} == ${bv} && ${i} < ${bi}))`;
    if (!fl) return plain;
    return `((isnan_f32(${v}) && (!isnan_f32(${bv}) || ${i} < ${bi})) || (!isnan_f32(${bv}) && ${plain}))`;
  };
  return `${enableF16([elem])}${uniformDecl(4)}${bindingDecl(1, elem, false)}${
    bindingDecl(2, "i32", true)
  }${helpers(fl ? ["isnan_f32"] : [])}
var<workgroup> sv: array<${T}, 256>;
var<workgroup> si: array<u32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lv: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let lid = lv.x;
  let row = wid.x + wid.y * nwg.x;
  if (row >= ${P(0)}) { return; }
  let L = ${P(1)};
  let base = ${P(2)} + row * L;
  var bv: ${T} = ${T}(0);
  var bi: u32 = 0xffffffffu;
  for (var j = lid; j < L; j = j + 256u) {
    let v = ${T}(b1[base + j]);
    if (bi == 0xffffffffu || ${better("v", "j", "bv", "bi")}) { bv = v; bi = j; }
  }
  sv[lid] = bv;
  si[lid] = bi;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s >> 1u) {
    if (lid < s) {
      let v = sv[lid + s];
      let i = si[lid + s];
      let cv = sv[lid];
      let ci = si[lid];
      if (i != 0xffffffffu && (ci == 0xffffffffu || ${better("v", "i", "cv", "ci")})) {
        sv[lid] = v;
        si[lid] = i;
      }
    }
    workgroupBarrier();
  }
  if (lid == 0u) { b2[row] = i32(si[0]); }
}
`;
}

/**
 * Inclusive/exclusive cumulative sums over rows of a contiguous `[rows, L]` array of
 * accumulator type `acc`; output `[rows, L + init]` of element type `out`.
 * Params: 0 rows, 1 L, 2 include_initial (0/1), 3 x offset. Bindings: 1 x, 2 out.
 * @internal
 */
export function cumsumWgsl(inElem: Elem, acc: "f32" | "i32" | "u32", out: Elem): string {
  const outVal = out;
  return `${enableF16([inElem, out])}${uniformDecl(4)}${bindingDecl(1, inElem, false)}${
    bindingDecl(2, out, true)
  }
var<workgroup> sh: array<${acc}, 256>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lv: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let lid = lv.x;
  let row = wid.x + wid.y * nwg.x;
  if (row >= ${P(0)}) { return; }
  let L = ${P(1)};
  let init = ${P(2)};
  let base = ${P(3)} + row * L;
  let obase = row * (L + init);
  let chunk = (L + 255u) / 256u;
  let j0 = min(lid * chunk, L);
  let j1 = min(j0 + chunk, L);
  var s: ${acc} = ${acc}(0);
  for (var j = j0; j < j1; j = j + 1u) { s = s + ${conv(`b1[base + j]`, inElem, acc)}; }
  sh[lid] = s;
  workgroupBarrier();
  for (var d = 1u; d < 256u; d = d << 1u) {
    var t: ${acc} = ${acc}(0);
    if (lid >= d) { t = sh[lid - d]; }
    workgroupBarrier();
    sh[lid] = sh[lid] + t;
    workgroupBarrier();
  }
  var run: ${acc} = ${acc}(0);
  if (lid > 0u) { run = sh[lid - 1u]; }
  if (lid == 0u && init == 1u) { b2[obase] = ${store(conv(`${acc}(0)`, acc, outVal), outVal)}; }
  for (var j = j0; j < j1; j = j + 1u) {
    run = run + ${conv(`b1[base + j]`, inElem, acc)};
    b2[obase + init + j] = ${conv("run", acc, outVal)};
  }
}
`;
}
