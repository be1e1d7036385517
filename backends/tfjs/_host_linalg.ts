/**
 * Small dense factorizations of the tfjs namespace, computed on the host: the operands are
 * read synchronously with `dataSync()` (which blocks on GPU backends until their queued work
 * is done), widened to float64, handed to the CPU backend's `linalg`, and the results are
 * uploaded as new float32 tensors. tfjs has no batched solve/eigh/svd kernels of its own, and
 * these functions serve small problems (Krylov subspace bookkeeping, preconditioner setup),
 * where a host round trip is cheap and float64 arithmetic makes the results as accurate as
 * float32 can hold.
 *
 * @module
 */
import { cpu, CpuArray } from "../cpu/mod.ts";
import type { LinalgNamespace } from "../../array_api/types.ts";
import type { Arr, Ctx } from "./_context.ts";
import { toHostBuffer } from "./_creation.ts";
import type { TfDType } from "./tf_like.ts";

type HostName =
  | "cholesky"
  | "det"
  | "eigh"
  | "eigvalsh"
  | "inv"
  | "lstsq"
  | "qr"
  | "solve"
  | "svd"
  | "svdvals";

/** The host-computed part of `linalg`. */
export type HostLinalg = Pick<LinalgNamespace<Arr>, HostName>;

type CpuArr = CpuArray;

/** Builds the host-computed linalg functions over `ctx`. */
export function hostLinalg(ctx: Ctx): HostLinalg {
  const tf = ctx.tf;

  function toCpu(where: string, x: unknown, what = "x"): CpuArr {
    const a = ctx.arr(x, `linalg.${where}`, what);
    if (a.dtype === "bool") {
      throw new TypeError(`linalg.${where}: ${what} must be numeric, got bool`);
    }
    const h = a.tensor.dataSync() as ArrayLike<number>;
    return new CpuArray(Float64Array.from(h), a.shape);
  }

  function fromCpu(c: CpuArr, dtype: TfDType = "float32"): Arr {
    const shape = c.shape.slice();
    const data = hostData(c);
    return ctx.run([], () => tf.tensor(toHostBuffer(data, dtype), shape, dtype), dtype);
  }

  /** Runs `fn` on host copies of `inputs`; CPU temporaries are released afterwards. */
  function viaHost<R>(
    where: string,
    inputs: unknown[],
    fn: (...c: CpuArr[]) => R,
    back: (r: R) => Record<string, Arr> | Arr,
  ) {
    const cs = inputs.map((x, i) => toCpu(where, x, inputs.length > 1 ? `x${i + 1}` : "x"));
    let r: R | undefined;
    try {
      r = fn(...cs);
      return back(r);
    } finally {
      const tmp: CpuArr[] = [...cs];
      if (r !== undefined) collect(r, tmp);
      cpu.dispose(...tmp);
    }
  }

  return {
    cholesky: (x, options) =>
      viaHost("cholesky", [x], (c) => cpu.linalg.cholesky(c, options), (r) => fromCpu(r)) as Arr,
    det: (x) => viaHost("det", [x], (c) => cpu.linalg.det(c), (r) => fromCpu(r)) as Arr,
    eigh(x) {
      return viaHost("eigh", [x], (c) => cpu.linalg.eigh(c), (r) => ({
        eigenvalues: fromCpu(r.eigenvalues),
        eigenvectors: fromCpu(r.eigenvectors),
      })) as { eigenvalues: Arr; eigenvectors: Arr };
    },
    eigvalsh: (x) =>
      viaHost("eigvalsh", [x], (c) => cpu.linalg.eigvalsh(c), (r) => fromCpu(r)) as Arr,
    inv: (x) => viaHost("inv", [x], (c) => cpu.linalg.inv(c), (r) => fromCpu(r)) as Arr,
    lstsq(a, b, options) {
      const rcond = options?.rcond;
      return viaHost(
        "lstsq",
        [a, b],
        (ca, cb) =>
          cpu.linalg.lstsq(ca, cb, {
            // NumPy's default rcond is eps·max(M, N) of the *input* dtype (float32 here)
            rcond: rcond ?? 2 ** -23 * Math.max(...ca.shape.slice(-2), 0),
          }),
        (r) => ({
          solution: fromCpu(r.solution),
          residuals: fromCpu(r.residuals),
          rank: fromCpu(r.rank, "int32"),
          singular_values: fromCpu(r.singular_values),
        }),
      ) as { solution: Arr; residuals: Arr; rank: Arr; singular_values: Arr };
    },
    qr(x, options) {
      return viaHost("qr", [x], (c) => cpu.linalg.qr(c, options), (r) => ({
        Q: fromCpu(r.Q),
        R: fromCpu(r.R),
      })) as { Q: Arr; R: Arr };
    },
    solve: (x1, x2) =>
      viaHost("solve", [x1, x2], (a, b) => cpu.linalg.solve(a, b), (r) => fromCpu(r)) as Arr,
    svd(x, options) {
      return viaHost("svd", [x], (c) => cpu.linalg.svd(c, options), (r) => ({
        U: fromCpu(r.U),
        S: fromCpu(r.S),
        Vh: fromCpu(r.Vh),
      })) as { U: Arr; S: Arr; Vh: Arr };
    },
    svdvals: (x) => viaHost("svdvals", [x], (c) => cpu.linalg.svdvals(c), (r) => fromCpu(r)) as Arr,
  };
}

/** Row-major host values of a CPU array (contiguous storage of exactly `size` values). */
function hostData(c: CpuArr): ArrayLike<number> {
  return c.data;
}

/** Collects the CPU arrays of a result (an array, or a record of arrays). */
function collect(r: unknown, into: CpuArr[]): void {
  if (r === null || typeof r !== "object") return;
  if ("__array_namespace__" in r) into.push(r as CpuArr);
  else for (const v of Object.values(r)) if (v && typeof v === "object") collect(v, into);
}
