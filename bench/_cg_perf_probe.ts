/**
 * Private A/B probe for the fused CPU CG (issue 7 goals), ours vs SciPy in one process:
 * SciPy runs in one long-lived `python3 bench/scipy_worker.py` (OPENBLAS_NUM_THREADS=1, timed
 * inside Python), ours with `performance.now()` around `await cg(...)`. Each measurement set
 * alternates sides and reports the minimum of `--reps` runs.
 *
 *     deno run -A bench/_cg_perf_probe.ts [--reps 7] [--only iter|batch] [--no-scipy] [--f32]
 *
 * "ours" is the default path of the fused CG (offset-run kernels; small batched systems run system
 * by system), the other figure the same solve with the diagonal-table kernels (`cgTuning.diagonals = true`),
 * measured alternately.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { cg } from "../linalg/cg.ts";
import { cgTuning } from "../backends/cpu/_cg.ts";
import {
  hostCsr,
  poisson5,
  randomArray,
  randomValues,
  writeCsr,
  writeVector,
} from "./_problems.ts";

const { values } = parseArgs({
  options: {
    reps: { type: "string", default: "7" },
    only: { type: "string" },
    "no-scipy": { type: "boolean", default: false },
    f32: { type: "boolean", default: false },
  },
});
const reps = Number(values.reps);
const useScipy = !values["no-scipy"];
const dtype = values.f32 ? "float32" : "float64";

class Worker {
  #proc: Deno.ChildProcess;
  #w: WritableStreamDefaultWriter<Uint8Array>;
  #r: ReadableStreamDefaultReader<string>;
  #buf = "";
  constructor() {
    const script = new URL("./scipy_worker.py", import.meta.url).pathname;
    this.#proc = new Deno.Command("python3", {
      args: [script],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
      env: { OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1" },
    }).spawn();
    this.#w = this.#proc.stdin.getWriter();
    this.#r = this.#proc.stdout.pipeThrough(new TextDecoderStream()).getReader();
  }
  async call(req: Record<string, unknown>): Promise<Record<string, unknown>> {
    await this.#w.write(new TextEncoder().encode(JSON.stringify(req) + "\n"));
    while (!this.#buf.includes("\n")) {
      const { value, done } = await this.#r.read();
      if (done) throw new Error("worker exited");
      this.#buf += value;
    }
    const i = this.#buf.indexOf("\n");
    const line = this.#buf.slice(0, i);
    this.#buf = this.#buf.slice(i + 1);
    const ans = JSON.parse(line);
    if (!ans.ok) throw new Error(ans.error);
    return ans;
  }
  async close(): Promise<void> {
    await this.call({ op: "quit" }).catch(() => {});
    await this.#w.close().catch(() => {});
    await this.#proc.status;
  }
}

const dir = await Deno.makeTempDir({ prefix: "cgprobe" });
const py = useScipy ? new Worker() : null;
const load = (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
console.log(`load avg ${load}, reps ${reps}, dtype ${dtype}`);

async function timeOurs(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

if (values.only !== "batch") {
  const k = 512, K = 50;
  const A = poisson5(k, dtype);
  const b = randomValues(k * k, 2, dtype);
  if (py) {
    await writeCsr(`${dir}/A512`, hostCsr(A));
    await writeVector(`${dir}/b512.bin`, b.data as Float64Array);
    const h = hostCsr(A);
    await py.call({
      op: "load_csr",
      id: "A512",
      dir: `${dir}/A512`,
      m: h.m,
      n: h.n,
      nnz: h.indices.length,
      dtype,
    });
    await py.call({ op: "load_vec", id: "b512", path: `${dir}/b512.bin`, dtype, shape: [k * k] });
  }
  // warm (V8 tiers up)
  const tw = performance.now();
  while (performance.now() - tw < 800) await cg(A, b, { rtol: 1e-30, maxiter: K });
  let ours = Infinity, sci = Infinity, runs = Infinity;
  for (let r = 0; r < reps; r++) {
    ours = Math.min(ours, await timeOurs(() => cg(A, b, { rtol: 1e-30, maxiter: K })) / K);
    cgTuning.diagonals = true;
    runs = Math.min(runs, await timeOurs(() => cg(A, b, { rtol: 1e-30, maxiter: K })) / K);
    cgTuning.diagonals = false;
    if (py) {
      const a = await py.call({ op: "cg", A: "A512", b: "b512", rtol: 1e-30, maxiter: K });
      sci = Math.min(sci, (a.t as number) * 1e3 / K);
    }
  }
  console.log(
    `CG/iter 512² ${dtype}: ours ${ours.toFixed(3)} ms (diagonal-table path ${
      runs.toFixed(3)
    }), SciPy ` +
      `${sci.toFixed(3)} ms, ratio ${(ours / sci).toFixed(2)}`,
  );
}

if (values.only !== "iter") {
  const A16 = poisson5(16, dtype);
  const B = randomArray([256, 256], 3, dtype);
  if (py) {
    const h = hostCsr(A16);
    await writeCsr(`${dir}/A16`, h);
    await writeVector(`${dir}/B.bin`, B.data as Float64Array);
    await py.call({
      op: "load_csr",
      id: "A16",
      dir: `${dir}/A16`,
      m: h.m,
      n: h.n,
      nnz: h.indices.length,
      dtype,
    });
    await py.call({ op: "load_vec", id: "B", path: `${dir}/B.bin`, dtype, shape: [256, 256] });
  }
  const tw = performance.now();
  while (performance.now() - tw < 800) await cg(A16, B, { rtol: 1e-8 });
  let ours = Infinity, sci = Infinity, runs = Infinity;
  for (let r = 0; r < reps; r++) {
    ours = Math.min(ours, await timeOurs(() => cg(A16, B, { rtol: 1e-8 })));
    cgTuning.diagonals = true;
    runs = Math.min(runs, await timeOurs(() => cg(A16, B, { rtol: 1e-8 })));
    cgTuning.diagonals = false;
    if (py) {
      const a = await py.call({ op: "cg_loop", A: "A16", B: "B", rtol: 1e-8 });
      sci = Math.min(sci, (a.t as number) * 1e3);
    }
  }
  console.log(
    `batched 256×16² ${dtype}: ours ${ours.toFixed(2)} ms (diagonal-table path ${
      runs.toFixed(2)
    }), ` +
      `SciPy loop ${sci.toFixed(2)} ms, ` +
      `ratio ${(ours / sci).toFixed(3)}`,
  );
}

await py?.close();
await Deno.remove(dir, { recursive: true });
