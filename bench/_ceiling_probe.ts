/**
 * Private probe: how fast can plain JavaScript and scalar WebAssembly run unpreconditioned CG on
 * 256 systems of 16² Poisson (CSR, 51 iterations each, one system at a time)? It bounds what the
 * CPU backend's fused CG (bench/cg_bench.ts) can reach on the "256 × 16² ≤ 0.1× SciPy" goal.
 *
 *     deno run -A bench/_ceiling_probe.ts      # needs npm:wabt (WAT → wasm) from the npm registry
 *
 * Prints the best of 8 runs as ns per row-iteration for each variant.
 *
 * @module
 */
// deno-lint-ignore-file
import wabtInit from "npm:wabt@1.0.36";

const WAT = `(module
  (memory (export "mem") 256)
  ;; cg_iters(ip, ix, d, B, X, R, P, Q, n, iters) all byte offsets; one system, returns nothing
  (func (export "solve") (param $ip i32) (param $ix i32) (param $d i32) (param $b i32)
        (param $X i32) (param $R i32) (param $P i32) (param $Q i32) (param $n i32) (param $iters i32)
    (local $i i32) (local $k i32) (local $e i32) (local $t f64) (local $rr f64) (local $rho f64)
    (local $beta f64) (local $pq f64) (local $a f64) (local $v f64) (local $it i32) (local $nb i32) (local $o i32)
    (local.set $nb (i32.shl (local.get $n) (i32.const 3)))
    ;; R = b, X = 0, P = 0, rr = b.b
    (local.set $rr (f64.const 0))
    (local.set $o (i32.const 0))
    (block $d0 (loop $l0
      (br_if $d0 (i32.ge_u (local.get $o) (local.get $nb)))
      (local.set $v (f64.load (i32.add (local.get $b) (local.get $o))))
      (f64.store (i32.add (local.get $R) (local.get $o)) (local.get $v))
      (f64.store (i32.add (local.get $X) (local.get $o)) (f64.const 0))
      (f64.store (i32.add (local.get $P) (local.get $o)) (f64.const 0))
      (local.set $rr (f64.add (local.get $rr) (f64.mul (local.get $v) (local.get $v))))
      (local.set $o (i32.add (local.get $o) (i32.const 8)))
      (br $l0)))
    (local.set $rho (f64.const 1))
    (local.set $it (i32.const 0))
    (block $done (loop $iter
      (br_if $done (i32.ge_u (local.get $it) (local.get $iters)))
      (local.set $beta (if (result f64) (i32.eqz (local.get $it)) (then (f64.const 0)) (else (f64.div (local.get $rr) (local.get $rho)))))
      ;; P = R + beta P
      (local.set $o (i32.const 0))
      (block $d1 (loop $l1
        (br_if $d1 (i32.ge_u (local.get $o) (local.get $nb)))
        (f64.store (i32.add (local.get $P) (local.get $o))
          (f64.add (f64.load (i32.add (local.get $R) (local.get $o)))
                   (f64.mul (local.get $beta) (f64.load (i32.add (local.get $P) (local.get $o))))))
        (local.set $o (i32.add (local.get $o) (i32.const 8)))
        (br $l1)))
      ;; Q = A P, pq
      (local.set $pq (f64.const 0))
      (local.set $i (i32.const 0))
      (local.set $k (i32.load (local.get $ip)))
      (block $d2 (loop $l2
        (br_if $d2 (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $e (i32.load (i32.add (local.get $ip) (i32.shl (i32.add (local.get $i) (i32.const 1)) (i32.const 2)))))
        (local.set $t (f64.const 0))
        (block $d3 (loop $l3
          (br_if $d3 (i32.ge_u (local.get $k) (local.get $e)))
          (local.set $t (f64.add (local.get $t)
            (f64.mul (f64.load (i32.add (local.get $d) (i32.shl (local.get $k) (i32.const 3))))
                     (f64.load (i32.add (local.get $P) (i32.shl (i32.load (i32.add (local.get $ix) (i32.shl (local.get $k) (i32.const 2)))) (i32.const 3)))))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $l3)))
        (local.set $o (i32.shl (local.get $i) (i32.const 3)))
        (f64.store (i32.add (local.get $Q) (local.get $o)) (local.get $t))
        (local.set $pq (f64.add (local.get $pq) (f64.mul (local.get $t) (f64.load (i32.add (local.get $P) (local.get $o))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l2)))
      (local.set $a (f64.div (local.get $rr) (local.get $pq)))
      (local.set $rho (local.get $rr))
      (local.set $rr (f64.const 0))
      (local.set $o (i32.const 0))
      (block $d4 (loop $l4
        (br_if $d4 (i32.ge_u (local.get $o) (local.get $nb)))
        (f64.store (i32.add (local.get $X) (local.get $o))
          (f64.add (f64.load (i32.add (local.get $X) (local.get $o))) (f64.mul (local.get $a) (f64.load (i32.add (local.get $P) (local.get $o))))))
        (local.set $v (f64.sub (f64.load (i32.add (local.get $R) (local.get $o))) (f64.mul (local.get $a) (f64.load (i32.add (local.get $Q) (local.get $o))))))
        (f64.store (i32.add (local.get $R) (local.get $o)) (local.get $v))
        (local.set $rr (f64.add (local.get $rr) (f64.mul (local.get $v) (local.get $v))))
        (local.set $o (i32.add (local.get $o) (i32.const 8)))
        (br $l4)))
      (local.set $it (i32.add (local.get $it) (i32.const 1)))
      (br $iter)))
  )
)
`;

// micro: full CG iteration on 256 systems of 16x16 poisson, system-major, CSR-generic vs stencil
const m = 16, n = m * m, S = 256;
// CSR of 5-pt
const ip = new Int32Array(n + 1);
const ixl: number[] = [];
const dl: number[] = [];
for (let i = 0; i < m; i++) {
  for (let j = 0; j < m; j++) {
    const r = i * m + j;
    if (i > 0) {
      ixl.push(r - m);
      dl.push(-1);
    }
    if (j > 0) {
      ixl.push(r - 1);
      dl.push(-1);
    }
    ixl.push(r);
    dl.push(4);
    if (j < m - 1) {
      ixl.push(r + 1);
      dl.push(-1);
    }
    if (i < m - 1) {
      ixl.push(r + m);
      dl.push(-1);
    }
    ip[r + 1] = ixl.length;
  }
}
const ix = Int32Array.from(ixl), d = Float64Array.from(dl);
const B = new Float64Array(S * n).map(() => Math.random());
function solveAll(iters: number) {
  const X = new Float64Array(n),
    R = new Float64Array(n),
    P = new Float64Array(n),
    Q = new Float64Array(n);
  let tot = 0;
  for (let s = 0; s < S; s++) {
    X.fill(0);
    P.fill(0);
    let rr = 0;
    for (let i = 0; i < n; i++) {
      R[i] = B[s * n + i];
      rr += R[i] * R[i];
    }
    let rho = 1, beta = 0;
    for (let it = 0; it < iters; it++) {
      beta = it === 0 ? 0 : rr / rho;
      for (let i = 0; i < n; i++) P[i] = R[i] + beta * P[i];
      let pq = 0;
      for (let i = 0; i < n; i++) {
        let t = 0;
        for (let k = ip[i], e = ip[i + 1]; k < e; k++) t += d[k] * P[ix[k]];
        Q[i] = t;
        pq += P[i] * t;
      }
      const a = rr / pq;
      rho = rr;
      let nr = 0;
      for (let i = 0; i < n; i++) {
        X[i] += a * P[i];
        const v = R[i] - a * Q[i];
        R[i] = v;
        nr += v * v;
      }
      rr = nr;
    }
    tot += X[0];
  }
  return tot;
}
let bestJs = Infinity;
for (let rep = 0; rep < 8; rep++) {
  const t = performance.now();
  solveAll(51);
  bestJs = Math.min(bestJs, performance.now() - t);
}
console.log(
  `plain JS CG:       ${bestJs.toFixed(2)} ms, ${
    (bestJs * 1e6 / (S * n * 51)).toFixed(2)
  } ns/row-iteration`,
);

const wabt = await wabtInit();
const bin = wabt.parseWat("cg.wat", WAT).toBinary({}).buffer;
const inst = new WebAssembly.Instance(new WebAssembly.Module(bin as Uint8Array<ArrayBuffer>));
const { mem, solve } = inst.exports as any;
const buf = mem.buffer as ArrayBuffer;
let off = 0;
const al = (bytes: number) => {
  const o = off;
  off += (bytes + 15) & ~15;
  return o;
};
const nnz = ix.length;
const oip = al(4 * (n + 1)), oix = al(4 * nnz), od = al(8 * nnz), oB = al(8 * S * n);
const oX = al(8 * n), oR = al(8 * n), oP = al(8 * n), oQ = al(8 * n);
new Int32Array(buf, oip, n + 1).set(ip);
new Int32Array(buf, oix, nnz).set(ix);
new Float64Array(buf, od, nnz).set(d);
new Float64Array(buf, oB, S * n).set(B);
let bestW = Infinity;
for (let rep = 0; rep < 8; rep++) {
  const t = performance.now();
  for (let s = 0; s < S; s++) solve(oip, oix, od, oB + 8 * s * n, oX, oR, oP, oQ, n, 51);
  bestW = Math.min(bestW, performance.now() - t);
}
console.log(
  `scalar wasm CG:    ${bestW.toFixed(2)} ms, ${
    (bestW * 1e6 / (S * n * 51)).toFixed(2)
  } ns/row-iteration`,
);
