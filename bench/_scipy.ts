/**
 * The Deno side of `bench/scipy_worker.py`: one long-lived `python3` process (SciPy, NumPy,
 * `OPENBLAS_NUM_THREADS=1`) spoken to in JSON lines over stdin/stdout, so that Python start-up
 * and imports are never timed. Matrices and vectors travel as raw little-endian files in a
 * private temporary folder and are verified on arrival (nnz and a checksum both languages compute
 * the same way, bench/_problems.ts).
 *
 * @module
 */
import type { CpuArray } from "../backends/cpu/mod.ts";
import type { CsrArray } from "../sparse/csr_array.ts";
import {
  checksumDiff,
  csrChecksum,
  type FloatDType,
  hostCsr,
  vectorChecksum,
  writeCsr,
  writeVector,
} from "./_problems.ts";

/** One answer of the worker (always `ok: true`; failures are thrown). */
export type WorkerAnswer = Record<string, unknown>;

/** A running `python3 bench/scipy_worker.py`. Close it with {@linkcode ScipyWorker.close}. */
export class ScipyWorker {
  #proc: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #reader: ReadableStreamDefaultReader<string>;
  #buf = "";
  #tmp: string;
  #fileId = 0;
  #closed = false;
  /** Process id of the worker (for CPU accounting from /proc). */
  readonly pid: number;

  private constructor(tmp: string) {
    const script = new URL("./scipy_worker.py", import.meta.url).pathname;
    this.#tmp = tmp;
    this.#proc = new Deno.Command("python3", {
      args: [script],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
      env: { OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1" },
    }).spawn();
    this.pid = this.#proc.pid;
    this.#writer = this.#proc.stdin.getWriter();
    this.#reader = this.#proc.stdout.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** Starts the worker (and its temporary folder). */
  static async start(): Promise<ScipyWorker> {
    return new ScipyWorker(await Deno.makeTempDir({ prefix: "krylov-compare-" }));
  }

  /** Sends one request and waits for its answer; a worker-side exception is thrown here. */
  async call(req: Record<string, unknown>): Promise<WorkerAnswer> {
    if (this.#closed) throw new Error(`scipy worker: '${req.op}' after close()`);
    await this.#writer.write(new TextEncoder().encode(JSON.stringify(req) + "\n"));
    for (;;) {
      const nl = this.#buf.indexOf("\n");
      if (nl >= 0) {
        const line = this.#buf.slice(0, nl);
        this.#buf = this.#buf.slice(nl + 1);
        const ans = JSON.parse(line);
        if (!ans.ok) throw new Error(`scipy worker (${req.op}): ${ans.error}`);
        return ans;
      }
      const { value, done } = await this.#reader.read();
      if (done) throw new Error(`scipy worker exited during '${req.op}'`);
      this.#buf += value;
    }
  }

  /** Hands an unbatched CSR matrix to the worker under `id`; throws unless SciPy's nnz and
   * checksum match ours. */
  async loadCsr(id: string, A: CsrArray<CpuArray>, dtype: FloatDType): Promise<void> {
    const h = hostCsr(A);
    const dir = `${this.#tmp}/m${this.#fileId++}`;
    await writeCsr(dir, h);
    const ans = await this.call({ op: "load_csr", id, dir, m: h.m, n: h.n, nnz: A.nnz, dtype });
    await Deno.remove(dir, { recursive: true });
    const mine = csrChecksum(h);
    const d = checksumDiff(mine, ans.checksum as number);
    if (ans.nnz !== A.nnz || !(d <= 1e-12)) {
      throw new Error(
        `matrix ${id} ${A.shape.join("×")}: SciPy sees nnz ${ans.nnz}, checksum ${ans.checksum}; ` +
          `ours nnz ${A.nnz}, checksum ${mine}`,
      );
    }
  }

  /** Hands a CPU array (any shape) to the worker under `id`; throws unless the checksums
   * match. */
  async loadVec(id: string, v: CpuArray): Promise<void> {
    const data = v.data as Float64Array | Float32Array;
    const path = `${this.#tmp}/v${this.#fileId++}.bin`;
    await writeVector(path, data);
    const ans = await this.call({ op: "load_vec", id, path, dtype: v.dtype, shape: v.shape });
    await Deno.remove(path);
    const mine = vectorChecksum(data);
    if (!(checksumDiff(mine, ans.checksum as number) <= 1e-12)) {
      throw new Error(
        `array ${id} [${
          v.shape.join(", ")
        }] ${v.dtype}: SciPy checksum ${ans.checksum}, ours ${mine}`,
      );
    }
  }

  /** Forgets stored objects. */
  async drop(...ids: string[]): Promise<void> {
    await this.call({ op: "drop", ids });
  }

  /** Stops the worker and removes its temporary folder. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#writer.write(new TextEncoder().encode(JSON.stringify({ op: "quit" }) + "\n"));
      await this.#writer.close();
    } catch {
      // the worker already exited
    }
    this.#reader.releaseLock();
    await this.#proc.stdout.cancel().catch(() => {});
    await this.#proc.status;
    await Deno.remove(this.#tmp, { recursive: true }).catch(() => {});
  }
}
