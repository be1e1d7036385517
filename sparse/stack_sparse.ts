/**
 * `stackSparse`: a 1-D batch of sparse matrices with different patterns, as one CSR array.
 *
 * @module
 */
import type { ArrayNamespace, ArrayObject } from "../array_api/types.ts";
import { fmtShape } from "../array_api/shapes.ts";
import { checkInt32, CsrStructure } from "./_structure.ts";
import { CooArray } from "./coo_array.ts";
import { CsrArray } from "./csr_array.ts";
import { describe } from "./_input.ts";

/**
 * Options of {@linkcode stackSparse}.
 *
 * @example
 * ```ts
 * import type { StackSparseOptions } from "./stack_sparse.ts";
 * const o: StackSparseOptions = { layout: "stacked" };
 * ```
 */
export interface StackSparseOptions {
  /** `"auto"` (default): the shared layout when every matrix has the same pattern, else
   * stacked; `"stacked"`: always the block-diagonal stacked layout (for two or more). */
  readonly layout?: "auto" | "stacked";
}

/**
 * Stacks `B` two-dimensional sparse matrices of one shape `M × N` into a batched
 * {@linkcode CsrArray} of shape `[B, M, N]`. Matrices with different sparsity patterns use the
 * `"stacked"` layout (one block-diagonal CSR, `data` `[nnz_total]`); when every pattern is the
 * same (and `layout` is `"auto"`), the result uses the cheaper `"shared"` layout. Values are
 * promoted to a common dtype. All inputs must live on one namespace.
 *
 * @example
 * ```ts
 * import { csrArray, stackSparse } from "./mod.ts";
 * import { cpu } from "../backends/cpu/mod.ts";
 * const S = stackSparse([csrArray([[2, 0], [0, 2]]), csrArray([[0, 1], [1, 0]])]);
 * console.log(S.shape, S.layout); // [2, 2, 2] stacked
 * const y = S.matvec(cpu.asarray([[1, 2], [3, 4]]));
 * console.log(await cpu.toHost(y)); // Float64Array [2, 4, 4, 3]
 * ```
 */
export function stackSparse<A extends ArrayObject>(
  arrays: readonly (CsrArray<A> | CooArray<A>)[],
  options: StackSparseOptions = {},
): CsrArray<A> {
  const label = "stackSparse";
  if (!Array.isArray(arrays) || arrays.length === 0) {
    throw new RangeError(`${label} needs a non-empty array of sparse matrices`);
  }
  const layout = options.layout ?? "auto";
  if (layout !== "auto" && layout !== "stacked") {
    throw new TypeError(`${label}: layout must be "auto" or "stacked", got ${String(layout)}`);
  }
  const mats: CsrArray<A>[] = arrays.map((a, i) => {
    if (a instanceof CooArray) return a.toCsr();
    if (a instanceof CsrArray) return a;
    throw new TypeError(`${label}: entry ${i} is ${describe(a)}, not a CsrArray or CooArray`);
  });
  const first = mats[0];
  const xp: ArrayNamespace<A> = first.xp;
  const [M, N] = first.shape.slice(-2);
  mats.forEach((m, i) => {
    if (m.xp !== xp) {
      throw new TypeError(
        `${label}: entry ${i} lives on namespace ${m.xp.name}, entry 0 on ${xp.name}`,
      );
    }
    if (m.ndim !== 2 || m.shape[0] !== M || m.shape[1] !== N) {
      throw new RangeError(
        `${label}: every matrix must be 2-D of shape ${fmtShape([M, N])}; entry ${i} has shape ${
          fmtShape(m.shape)
        }`,
      );
    }
  });
  const dtype = xp.result_type(...mats.map((m) => m.dtype));
  const datas = mats.map((m) => m.dtype === dtype ? m.data : xp.astype(m.data, dtype));
  const B = mats.length;
  const s0 = first._s;
  const same = mats.every((m) => m._s.samePattern(s0));
  if (B === 1 || (same && layout === "auto")) {
    return new CsrArray(xp, s0, xp.stack(datas, { axis: 0 }));
  }
  checkInt32(B * M, `${label}: B·M (rows of the block-diagonal matrix)`);
  checkInt32(B * N, `${label}: B·N (columns of the block-diagonal matrix)`);
  let total = 0;
  for (const m of mats) total += m.nnz;
  checkInt32(total, `${label}: total stored entries`);
  const indptr = new Int32Array(B * M + 1);
  const indices = new Int32Array(total);
  let off = 0;
  mats.forEach((m, b) => {
    const p = m._s.indptr;
    for (let i = 0; i < M; i++) indptr[b * M + i + 1] = off + p[i + 1];
    indices.set(m._s.indices, off);
    off += m.nnz;
  });
  const s = new CsrStructure(M, N, B, indptr, indices);
  s.mark(
    mats.every((m) => m.hasSortedIndices),
    mats.every((m) => m.hasCanonicalFormat),
  );
  const data = xp.concat(datas, { axis: 0 });
  xp.dispose(...datas.filter((d, i) => d !== mats[i].data));
  return new CsrArray(xp, s, data);
}
