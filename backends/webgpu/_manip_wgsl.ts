/**
 * WGSL for manipulation kernels that the expression engine cannot express (gathers).
 *
 * @module
 */
import { bindingDecl, type Elem, enableF16, P, uniformDecl } from "./_wgsl.ts";

/**
 * `take` along an axis of a contiguous `[pre, A, post]` array with int32 indices (negative
 * ones wrap once); out-of-range indices write 0 and set the status slot.
 * Params: 0 total, 1 post, 2 nIdx, 3 A, 4 slot, 5 x offset, 6 idx offset.
 * Bindings: 1 x, 2 indices, 3 out, 4 status.
 * @internal
 */
export function takeWgsl(elem: Elem): string {
  return `${enableF16([elem])}${uniformDecl(8)}${bindingDecl(1, elem, false)}${
    bindingDecl(2, "i32", false)
  }${bindingDecl(3, elem, true)}${bindingDecl(4, "atomic", true)}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= ${P(0)}) { return; }
  let post = ${P(1)};
  let nIdx = ${P(2)};
  let A = ${P(3)};
  let p = i % post;
  let t = (i / post) % nIdx;
  let q = i / (post * nIdx);
  var j = b2[${P(6)} + t];
  if (j < 0) { j = j + i32(A); }
  if (j < 0 || j >= i32(A)) {
    atomicMax(&b4[${P(4)}], 1u);
    b3[i] = ${elem}(0);
    return;
  }
  b3[i] = b1[${P(5)} + (q * A + u32(j)) * post + p];
}
`;
}
