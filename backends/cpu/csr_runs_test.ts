// The offset-run SpMV path (rows sharing one column-offset pattern) must equal the plain loop.
import assert from "node:assert/strict";
import { cpu } from "./mod.ts";
import { csrTuning } from "./_csr.ts";
import type { CpuArray } from "./cpu_array.ts";
import type { CsrData } from "../../array_api/types.ts";

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

/** A banded matrix with random gaps (rows that break runs) and a few irregular rows. */
function banded(M: number, N: number, offs: number[], seed: number) {
  const r = rng(seed);
  const ip = [0], ix: number[] = [];
  for (let i = 0; i < M; i++) {
    const irregular = r() < 0.05;
    const cols = irregular
      ? Array.from(
        new Set(Array.from({ length: 1 + Math.floor(r() * 6) }, () => Math.floor(r() * N))),
      ).sort((a, b) => a - b)
      : offs.map((o) => i + o).filter((j) => j >= 0 && j < N);
    ix.push(...cols);
    ip.push(ix.length);
  }
  return { ip: Int32Array.from(ip), ix: Int32Array.from(ix) };
}

for (const dtype of ["float64", "float32"] as const) {
  Deno.test(`csrMatvec offset runs equal the plain loop (${dtype})`, () => {
    for (
      const [M, N, offs, seed] of [
        [300, 300, [-17, -1, 0, 1, 17], 1],
        [257, 300, [-3, 0, 2, 9], 2],
        [400, 380, [-20, -7, -1, 0, 1, 7, 20], 3],
        [100, 100, [0], 4],
      ] as const
    ) {
      const { ip, ix } = banded(M, N, [...offs], seed);
      const nnz = ix.length;
      const r = rng(seed + 10);
      for (const batch of [[], [3]]) {
        const nb = batch.length ? batch[0] : 1;
        const data = Float64Array.from({ length: nb * nnz }, () => r() - 0.5);
        const a: CsrData<CpuArray> = {
          shape: [...batch, M, N],
          layout: "shared",
          nnz,
          indptr: cpu.asarray(ip, { dtype: "int32" }),
          indices: cpu.asarray(ix, { dtype: "int32" }),
          data: cpu.reshape(cpu.asarray(data, { dtype }), [...batch, nnz]),
        };
        const x = cpu.reshape(
          cpu.asarray(Float64Array.from({ length: nb * N }, () => r() - 0.5), { dtype }),
          [...batch, N],
        );
        csrTuning.runs = false;
        const plain = cpu.csrMatvec(a, x);
        csrTuning.runs = true;
        const fast = cpu.csrMatvec(a, x);
        const tol = dtype === "float64" ? 1e-13 : 1e-5;
        for (let i = 0; i < plain.size; i++) {
          assert.ok(
            Math.abs(plain.data[i] - fast.data[i]) <= tol * (1 + Math.abs(plain.data[i])),
            `${M}x${N} offs ${offs} batch ${batch}: row ${i}: ${fast.data[i]} vs ${plain.data[i]}`,
          );
        }
      }
    }
  });
}
