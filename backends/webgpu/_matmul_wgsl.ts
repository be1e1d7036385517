/**
 * Tiled batched matrix multiplication: 64×64 output tiles per 16×16 workgroup (4×4 outputs per
 * thread), K in steps of 16 staged through workgroup memory. Operands are read through
 * arbitrary strides (transposed views need no copy); batch indices come from `workgroup_id.z`
 * plus a base, decomposed over the collapsed broadcast batch shape.
 *
 * Params: 0 M, 1 N, 2 K, 3 batch base, 4 a offset, 5 a row stride, 6 a col stride,
 * 7 b offset, 8 b row stride, 9 b col stride, 10 out offset, 11 (unused),
 * 12.. batch dims (rb), a batch strides (rb), b batch strides (rb).
 * Bindings: 1 a, 2 b, 3 out.
 *
 * @module
 */
import { bindingDecl, conv, type Elem, enableF16, P, uniformDecl } from "./_wgsl.ts";

/** Parameter words of the tiled kernel for `rb` batch dims. @internal */
export function matmulWords(rb: number): number {
  return 12 + 3 * rb;
}

/** The tiled kernel. @internal */
export function matmulWgsl(elem: Elem, acc: "f32" | "i32" | "u32", rb: number): string {
  const si = (k: number) => `bitcast<i32>(${P(k)})`;
  let batch = "";
  if (rb > 0) {
    batch += "  var q = bi;\n";
    for (let d = rb - 1; d >= 0; d--) {
      const dim = P(12 + d);
      batch += d > 0
        ? `  let c${d} = i32(q % ${dim}); q = q / ${dim};\n`
        : `  let c${d} = i32(q);\n`;
      batch += `  aBase = aBase + c${d} * ${si(12 + rb + d)};\n`;
      batch += `  bBase = bBase + c${d} * ${si(12 + 2 * rb + d)};\n`;
    }
  }
  let fma = "";
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) {
      fma += `      acc[${i * 4 + j}] = acc[${i * 4 + j}] + a${i} * b${j};\n`;
    }
  }
  let stores = "";
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) {
      stores +=
        `  if (m0 + ${i}u < M && n0 + ${j}u < N) { b3[obase + (m0 + ${i}u) * N + n0 + ${j}u] = ${
          conv(`acc[${i * 4 + j}]`, acc, elem)
        }; }\n`;
    }
  }
  return `${enableF16([elem])}${uniformDecl(matmulWords(rb))}${bindingDecl(1, elem, false)}${
    bindingDecl(2, elem, false)
  }${bindingDecl(3, elem, true)}
var<workgroup> As: array<${acc}, 1024>;
var<workgroup> Bs: array<${acc}, 1024>;
@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let M = ${P(0)};
  let N = ${P(1)};
  let K = ${P(2)};
  let bi = ${P(3)} + wid.z;
  var aBase = ${si(4)};
  var bBase = ${si(7)};
${batch}  let aR = ${si(5)}; let aC = ${si(6)}; let bR = ${si(8)}; let bC = ${si(9)};
  let tm = wid.y * 64u;
  let tn = wid.x * 64u;
  let t = lid.y * 16u + lid.x;
  var acc: array<${acc}, 16>;
  for (var k0 = 0u; k0 < K; k0 = k0 + 16u) {
    for (var q2 = 0u; q2 < 4u; q2 = q2 + 1u) {
      let e = t + q2 * 256u;
      let am = e / 16u; let ak = e % 16u;
      var av = ${acc}(0);
      if (tm + am < M && k0 + ak < K) {
        av = ${conv(`b1[u32(aBase + i32(tm + am) * aR + i32(k0 + ak) * aC)]`, elem, acc)};
      }
      As[ak * 64u + am] = av;
      let bk = e / 64u; let bn = e % 64u;
      var bv = ${acc}(0);
      if (k0 + bk < K && tn + bn < N) {
        bv = ${conv(`b2[u32(bBase + i32(k0 + bk) * bR + i32(tn + bn) * bC)]`, elem, acc)};
      }
      Bs[bk * 64u + bn] = bv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk = kk + 1u) {
      let ar = kk * 64u + lid.y * 4u;
      let br = kk * 64u + lid.x * 4u;
      let a0 = As[ar]; let a1 = As[ar + 1u]; let a2 = As[ar + 2u]; let a3 = As[ar + 3u];
      let b0 = Bs[br]; let b1v = Bs[br + 1u]; let b2v = Bs[br + 2u]; let b3v = Bs[br + 3u];
${
    fma.replaceAll("* b1;", "* b1v;").replaceAll("* b2;", "* b2v;").replaceAll("* b3;", "* b3v;")
  }    }
    workgroupBarrier();
  }
  let m0 = tm + lid.y * 4u;
  let n0 = tn + lid.x * 4u;
  let obase = ${P(10)} + bi * M * N;
${stores}}
`;
}
