// Help texts of the CLI (`--help`, `solve --help`).
import { METHOD_NAMES, methods } from "./methods.ts";

const RUN = "deno run -A jsr:@krylov/linalg/cli";

/** Top-level help. */
export function mainHelp(): string {
  return `krylov — solve sparse linear systems from Matrix Market files with batched Krylov methods
(a TypeScript port of scipy.sparse.linalg)

Usage:
  ${RUN} solve A.mtx [b.mtx] [options]
  ${RUN} --help | solve --help

Commands:
  solve     solve A x = b (or least squares for lsqr/lsmr) and report convergence

Example:
  ${RUN} solve A.mtx --method cg --precond jacobi --rtol 1e-8 --plot conv.svg

Exit status: 0 every system converged, 1 some system did not converge (or broke down),
2 usage or input error. Run "solve --help" for the options.
`;
}

/** Help of `solve`. */
export function solveHelp(): string {
  const w = Math.max(...METHOD_NAMES.map((m) => m.length));
  const list = METHOD_NAMES.map((m) => {
    const s = methods[m];
    return `    ${m.padEnd(w)}  ${s ? s.summary : "(not available in this version yet)"}`;
  }).join("\n");
  return `Usage: ${RUN} solve A.mtx [b.mtx] [options]

Solves A x = b. A is a Matrix Market file (coordinate or array; real, integer or pattern;
general, symmetric or skew-symmetric). b is an M×k Matrix Market file: each of its k columns is
one right-hand side, and the k systems are solved together as one batch. Without b, the CLI
uses b = A·1 (the row sums of A), so the exact solution is x = 1, and it also reports the
error ‖x − 1‖.

Options:
  -m, --method NAME     solver (default cg):
${list}
      --rtol X          relative tolerance: stop when ‖b − A x‖ ≤ max(atol, rtol·‖b‖)
                        (default 1e-5, as SciPy; lsqr/lsmr: their atol and btol, default 1e-6)
      --atol X          absolute tolerance (default 0; not for minres; lsqr/lsmr: SciPy's atol,
                        relative to ‖A‖·‖x‖)
      --btol X          lsqr/lsmr only: SciPy's btol
      --maxiter N       iteration limit (default: SciPy's, e.g. 10·n for cg; gmres counts
                        restart cycles)
      --restart N       gmres: inner iterations per restart cycle (default min(20, n));
                        lgmres: inner iterations (innerM, default 30); gcrotmk: m (default 20)
      --precond P       jacobi | none (default none): M = diag(A)⁻¹
      --backend B       cpu | webgpu (default cpu); webgpu needs a WebGPU adapter
      --dtype D         float64 | float32 (default float64 on cpu, float32 on webgpu)
  -o, --out FILE        write x as a Matrix Market array file (N×k, one column per system)
      --plot FILE       write an SVG plot of the residual history (open it in a browser)
      --json            print a machine-readable summary on stdout (progress stays on stderr)
  -q, --quiet           no progress display and no notes on stderr
      --debug           print stack traces of errors
  -h, --help            this help

Progress: long solves show a progress line on stderr (iteration, worst residual relative to
its threshold, convergence rate per iteration); it redraws in place on a terminal.

Exit status: 0 every system converged, 1 some system did not converge (or broke down),
2 usage or input error (one "error: …" line on stderr).
`;
}
