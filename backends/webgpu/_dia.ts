/**
 * DIA (diagonal) storage for the CG fast path: the host decides from the CSR structure whether
 * the nonzeros lie on few diagonals, and a GPU kernel builds the DIA values from the CSR values.
 *
 * Rule: DIA when the stored entries lie on at most {@linkcode DIA_MAX_DIAGONALS} distinct
 * diagonals (`j − i`) and fill the DIA slots to at least {@linkcode DIA_MIN_FILL} (stored
 * entries / (diagonals · n)); then DIA moves no more bytes than CSR (4 B per slot vs 8 B per
 * entry + 4 B per row) and reads its values with unit stride and no index indirection. Layout:
 * `[batch?, ndiag, n]`, row `d` holds `A[i, i + offsets[d]]` at position `i` (0 where the
 * column is outside the matrix or the entry is not stored). Duplicate CSR entries are summed.
 *
 * The build kernel runs one thread per (batch entry, row): it zeroes the row's DIA slots and
 * adds each stored entry into the slot of its diagonal (found among the offsets baked into the
 * shader), so no host position map is needed.
 *
 * @module
 */
import { bindingDecl, P, uniformDecl } from "./_wgsl.ts";

/** Largest number of diagonals stored as DIA. @internal */
export const DIA_MAX_DIAGONALS = 32;
/** Smallest fill (stored entries / DIA slots) for DIA. @internal */
export const DIA_MIN_FILL = 0.5;

/** The diagonal structure of a CSR pattern. @internal */
export interface DiaPlan {
  /** Distinct offsets `j − i`, ascending. */
  readonly offsets: readonly number[];
  /** Stored entries / (offsets · n). */
  readonly fill: number;
}

/**
 * The diagonal offsets of a square `n × n` CSR pattern, or null when there are more than
 * `maxDiagonals` of them. One pass over the entries; rows that repeat the previous row's
 * offsets (the common case for stencils) cost one comparison per entry.
 * @internal
 */
export function diagonalOffsets(
  indptr: Int32Array,
  indices: Int32Array,
  n: number,
  maxDiagonals = DIA_MAX_DIAGONALS,
): DiaPlan | null {
  const found = new Int32Array(maxDiagonals);
  let nf = 0;
  let prev = new Int32Array(16);
  let prevLen = -1;
  for (let i = 0; i < n; i++) {
    const k0 = indptr[i], k1 = indptr[i + 1], len = k1 - k0;
    if (len === prevLen) {
      let t = 0;
      while (t < len && indices[k0 + t] - i === prev[t]) t++;
      if (t === len) continue;
    }
    if (len > prev.length) prev = new Int32Array(Math.max(len, 2 * prev.length));
    for (let t = 0; t < len; t++) {
      const off = indices[k0 + t] - i;
      prev[t] = off;
      let f = 0;
      while (f < nf && found[f] !== off) f++;
      if (f === nf) {
        if (nf === maxDiagonals) return null;
        found[nf++] = off;
      }
    }
    prevLen = len;
  }
  const offsets = Array.from(found.subarray(0, nf)).sort((a, b) => a - b);
  const nnz = indptr[n] - indptr[0];
  return { offsets, fill: nf === 0 ? 0 : nnz / (nf * n) };
}

/** Whether a plan should use DIA (see the module rule). @internal */
export function preferDia(plan: DiaPlan | null): boolean {
  return plan !== null && plan.offsets.length > 0 && plan.fill >= DIA_MIN_FILL;
}

/**
 * WGSL of the DIA build: params `0 n, 1 batches, 2 nnz (value stride; 0 one matrix), 3 ip off,
 * 4 idx off, 5 data off`; bindings `1 indptr, 2 indices, 3 data, 4 dia`.
 * @internal
 */
export function diaBuildWgsl(offsets: readonly number[]): string {
  const nd = offsets.length;
  return uniformDecl(8) + bindingDecl(1, "i32", false) + bindingDecl(2, "i32", false) +
    bindingDecl(3, "f32", false) + bindingDecl(4, "f32", true) + `
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * 256u;
  let n = ${P(0)};
  if (t >= n * ${P(1)}) { return; }
  let s = t / n;
  let i = t % n;
  var offs = array<i32, ${nd}>(${offsets.map((o) => `${o}`).join(", ")});
  let base = s * ${nd}u * n + i;
  for (var d = 0u; d < ${nd}u; d = d + 1u) { b4[base + d * n] = 0.0; }
  let k0 = u32(b1[${P(3)} + i]);
  let k1 = u32(b1[${P(3)} + i + 1u]);
  for (var k = k0; k < k1; k = k + 1u) {
    let off = b2[${P(4)} + k] - i32(i);
    var d = 0u;
    loop {
      if (d >= ${nd}u || offs[d] == off) { break; }
      d = d + 1u;
    }
    if (d < ${nd}u) {
      b4[base + d * n] = b4[base + d * n] + b3[${P(5)} + s * ${P(2)} + k];
    }
  }
}
`;
}
