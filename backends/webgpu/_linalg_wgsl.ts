/**
 * Dense `linalg` kernels for small batched matrices: one 256-thread workgroup per matrix runs
 * the serial algorithm with its inner loops spread over the threads (barriers between steps),
 * in float32 on workspace copies in global memory.
 *
 * - `lu`: Gaussian elimination with partial pivoting; `solve` (with back substitution on the
 *   right-hand sides) or `det`. An exact zero pivot sets the status slot (singular matrix).
 * - `cholesky`: right-looking; a non-positive pivot sets the status slot and yields NaN.
 * - `qr`: Householder (LAPACK `dgeqrf` sign convention), then Q by backward accumulation.
 * - `jacobi`: one-sided (Hestenes) Jacobi with a round-robin pair schedule, column pairs in
 *   parallel; modes `svd`, `svdvals`, and `eigh` (Jacobi on `A + σI`, σ a Gershgorin bound,
 *   eigenvalues from Rayleigh quotients), results sorted.
 *
 * @module
 */
import { bindingDecl, helpers, P, uniformDecl } from "./_wgsl.ts";

const HEAD = `@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lv: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let lid = lv.x;
  let bi = wid.x + wid.y * nwg.x;
  if (bi >= ${P(0)}) { return; }
`;

/** Status value recording batch index `bi` (smallest index wins under atomicMax). */
const FLAG = (binding: number, slot: string) =>
  `atomicMax(&b${binding}[${slot}], 0xffffffffu - bi);`;

/**
 * LU with partial pivoting. Params: 0 nb, 1 n, 2 k (right-hand sides), 3 status slot.
 * Bindings: 1 W `[nb, n, n]` (rw), 2 X `[nb, n, k]` (solve) or det `[nb]`, 3 status.
 * @internal
 */
export function luWgsl(mode: "solve" | "det"): string {
  const solve = mode === "solve";
  return `${uniformDecl(4)}${bindingDecl(1, "f32", true)}${bindingDecl(2, "f32", true)}${
    bindingDecl(3, "atomic", true)
  }
var<workgroup> rv: array<f32, 256>;
var<workgroup> ri: array<u32, 256>;
${HEAD}  let n = ${P(1)};
  let k = ${P(2)};
  let wb = bi * n * n;
  let xb = bi * n * k;
  var sgn = 1.0;
  for (var c = 0u; c < n; c = c + 1u) {
    var bv = -1.0;
    var bx = c;
    for (var r = c + lid; r < n; r = r + 256u) {
      let v = abs(b1[wb + r * n + c]);
      if (v > bv) { bv = v; bx = r; }
    }
    rv[lid] = bv;
    ri[lid] = bx;
    workgroupBarrier();
    for (var s = 128u; s > 0u; s = s >> 1u) {
      if (lid < s) {
        let ov = rv[lid + s];
        let oi = ri[lid + s];
        if (ov > rv[lid] || (ov == rv[lid] && oi < ri[lid])) { rv[lid] = ov; ri[lid] = oi; }
      }
      workgroupBarrier();
    }
    let p = ri[0];
    workgroupBarrier();
    if (p != c) {
      sgn = -sgn;
      for (var j = lid; j < n; j = j + 256u) {
        let t = b1[wb + c * n + j];
        b1[wb + c * n + j] = b1[wb + p * n + j];
        b1[wb + p * n + j] = t;
      }
${
    solve
      ? `      for (var j = lid; j < k; j = j + 256u) {
        let t = b2[xb + c * k + j];
        b2[xb + c * k + j] = b2[xb + p * k + j];
        b2[xb + p * k + j] = t;
      }
`
      : ""
  }    }
    workgroupBarrier();
    let d = b1[wb + c * n + c];
${
    solve
      ? `    if (d == 0.0 && lid == 0u) { ${FLAG(3, P(3))} }\n`
      : ""
  }    for (var r = c + 1u + lid; r < n; r = r + 256u) {
      let l = b1[wb + r * n + c] / d;
      b1[wb + r * n + c] = l;
      for (var j = c + 1u; j < n; j = j + 1u) {
        b1[wb + r * n + j] = b1[wb + r * n + j] - l * b1[wb + c * n + j];
      }
${
    solve
      ? `      for (var j = 0u; j < k; j = j + 1u) {
        b2[xb + r * k + j] = b2[xb + r * k + j] - l * b2[xb + c * k + j];
      }
`
      : ""
  }    }
    workgroupBarrier();
  }
${
    solve
      ? `  for (var cc = 0u; cc < n; cc = cc + 1u) {
    let c = n - 1u - cc;
    let d = b1[wb + c * n + c];
    for (var j = lid; j < k; j = j + 256u) { b2[xb + c * k + j] = b2[xb + c * k + j] / d; }
    workgroupBarrier();
    for (var r = lid; r < c; r = r + 256u) {
      let l = b1[wb + r * n + c];
      for (var j = 0u; j < k; j = j + 1u) {
        b2[xb + r * k + j] = b2[xb + r * k + j] - l * b2[xb + c * k + j];
      }
    }
    workgroupBarrier();
  }
`
      : `  if (lid == 0u) {
    var d = sgn;
    for (var c = 0u; c < n; c = c + 1u) { d = d * b1[wb + c * n + c]; }
    b2[bi] = d;
  }
`
  }}
`;
}

/**
 * Cholesky (lower). Params: 0 nb, 1 n, 2 slot. Bindings: 1 W (rw), 2 status.
 * @internal
 */
export function choleskyWgsl(): string {
  return `${uniformDecl(4)}${bindingDecl(1, "f32", true)}${bindingDecl(2, "atomic", true)}${
    helpers([])
  }
${HEAD}  let n = ${P(1)};
  let wb = bi * n * n;
  for (var c = 0u; c < n; c = c + 1u) {
    if (lid == 0u) {
      let d = b1[wb + c * n + c];
      if (!(d > 0.0)) {
        ${FLAG(2, P(2))}
        b1[wb + c * n + c] = nan_f32();
      } else {
        b1[wb + c * n + c] = sqrt(d);
      }
    }
    workgroupBarrier();
    let s = b1[wb + c * n + c];
    for (var r = c + 1u + lid; r < n; r = r + 256u) { b1[wb + r * n + c] = b1[wb + r * n + c] / s; }
    workgroupBarrier();
    for (var r = c + 1u + lid; r < n; r = r + 256u) {
      let lrc = b1[wb + r * n + c];
      for (var j = c + 1u; j <= r; j = j + 1u) {
        b1[wb + r * n + j] = b1[wb + r * n + j] - lrc * b1[wb + j * n + c];
      }
    }
    workgroupBarrier();
  }
  for (var idx = lid; idx < n * n; idx = idx + 256u) {
    if (idx % n > idx / n) { b1[wb + idx] = 0.0; }
  }
}
`;
}

/** Largest K = min(M, N) of `qrWgsl` (its τ array lives in workgroup memory). @internal */
export const QR_MAX_K = 1024;

/**
 * Householder QR. Params: 0 nb, 1 m, 2 n, 3 qc (columns of Q), 4 rr (rows of R).
 * Bindings: 1 W `[nb, m, n]` (rw workspace), 2 Q `[nb, m, qc]`, 3 R `[nb, rr, n]`.
 * @internal
 */
export function qrWgsl(): string {
  return `${uniformDecl(8)}${bindingDecl(1, "f32", true)}${bindingDecl(2, "f32", true)}${
    bindingDecl(3, "f32", true)
  }
var<workgroup> tau: array<f32, ${QR_MAX_K}>;
var<workgroup> red: array<f32, 256>;
var<workgroup> scal: f32;
${HEAD}  let m = ${P(1)};
  let n = ${P(2)};
  let qc = ${P(3)};
  let rr = ${P(4)};
  let K = min(m, n);
  let wb = bi * m * n;
  for (var c = 0u; c < K; c = c + 1u) {
    var s = 0.0;
    for (var r = c + 1u + lid; r < m; r = r + 256u) { let v = b1[wb + r * n + c]; s = s + v * v; }
    red[lid] = s;
    workgroupBarrier();
    for (var h = 128u; h > 0u; h = h >> 1u) {
      if (lid < h) { red[lid] = red[lid] + red[lid + h]; }
      workgroupBarrier();
    }
    if (lid == 0u) {
      let xn2 = red[0];
      let alpha = b1[wb + c * n + c];
      if (xn2 == 0.0) {
        tau[c] = 0.0;
        scal = 0.0;
      } else {
        let nrm = sqrt(alpha * alpha + xn2);
        let beta = select(nrm, -nrm, alpha >= 0.0);
        tau[c] = (beta - alpha) / beta;
        scal = 1.0 / (alpha - beta);
        b1[wb + c * n + c] = beta;
      }
    }
    workgroupBarrier();
    let sc = scal;
    let tc = tau[c];
    for (var r = c + 1u + lid; r < m; r = r + 256u) { b1[wb + r * n + c] = b1[wb + r * n + c] * sc; }
    workgroupBarrier();
    for (var j = c + 1u + lid; j < n; j = j + 256u) {
      var w = b1[wb + c * n + j];
      for (var r = c + 1u; r < m; r = r + 1u) { w = w + b1[wb + r * n + c] * b1[wb + r * n + j]; }
      w = w * tc;
      b1[wb + c * n + j] = b1[wb + c * n + j] - w;
      for (var r = c + 1u; r < m; r = r + 1u) {
        b1[wb + r * n + j] = b1[wb + r * n + j] - w * b1[wb + r * n + c];
      }
    }
    workgroupBarrier();
  }
  let qb = bi * m * qc;
  for (var idx = lid; idx < m * qc; idx = idx + 256u) {
    b2[qb + idx] = select(0.0, 1.0, idx / qc == idx % qc);
  }
  workgroupBarrier();
  for (var cc = 0u; cc < K; cc = cc + 1u) {
    let c = K - 1u - cc;
    let tc = tau[c];
    for (var j = lid; j < qc; j = j + 256u) {
      var w = b2[qb + c * qc + j];
      for (var r = c + 1u; r < m; r = r + 1u) { w = w + b1[wb + r * n + c] * b2[qb + r * qc + j]; }
      w = w * tc;
      b2[qb + c * qc + j] = b2[qb + c * qc + j] - w;
      for (var r = c + 1u; r < m; r = r + 1u) {
        b2[qb + r * qc + j] = b2[qb + r * qc + j] - w * b1[wb + r * n + c];
      }
    }
    workgroupBarrier();
  }
  let rb = bi * rr * n;
  for (var idx = lid; idx < rr * n; idx = idx + 256u) {
    let i = idx / n;
    let j = idx % n;
    b3[rb + idx] = select(0.0, b1[wb + i * n + j], j >= i);
  }
}
`;
}

/** Largest N of the Jacobi kernels (pairs per thread: N / 2 ≤ 256). @internal */
export const JACOBI_MAX_N = 512;

/**
 * One-sided Jacobi. Params: 0 nb, 1 m, 2 n, 3 max sweeps.
 * - `svd`: bindings 1 W `[nb, m, n]` (rw, m ≥ n), 2 V `[nb, n, n]`, 3 S `[nb, n]`,
 *   4 U `[nb, m, n]`, 5 Vt `[nb, n, n]`.
 * - `svdvals`: bindings 1 W, 2 S.
 * - `eigh`: bindings 1 A `[nb, n, n]` (read, lower triangle), 2 W, 3 V, 4 eigenvalues,
 *   5 eigenvectors (m = n).
 * @internal
 */
export function jacobiWgsl(mode: "svd" | "svdvals" | "eigh"): string {
  const eig = mode === "eigh";
  const needV = mode !== "svdvals";
  // binding names
  const W = eig ? "b2" : "b1";
  const V = eig ? "b3" : "b2";
  let decl = uniformDecl(4);
  if (mode === "svd") {
    for (let b = 1; b <= 5; b++) decl += bindingDecl(b, "f32", true);
  } else if (mode === "svdvals") {
    decl += bindingDecl(1, "f32", true) + bindingDecl(2, "f32", true);
  } else {
    decl += bindingDecl(1, "f32", false);
    for (let b = 2; b <= 5; b++) decl += bindingDecl(b, "f32", true);
  }
  const rotV = needV
    ? `        for (var i = 0u; i < n; i = i + 1u) {
          let x = ${V}[vb + i * n + pp];
          let y = ${V}[vb + i * n + qq];
          ${V}[vb + i * n + pp] = cs * x - sn * y;
          ${V}[vb + i * n + qq] = sn * x + cs * y;
        }
`
    : "";
  let c = `${decl}
var<workgroup> rotA: atomic<u32>;
var<workgroup> rot: u32;
var<workgroup> sv: array<f32, ${JACOBI_MAX_N}>;
var<workgroup> ord: array<u32, ${JACOBI_MAX_N}>;
var<workgroup> red: array<f32, 256>;
${HEAD}  let m = ${P(1)};
  let n = ${P(2)};
  let wb = bi * m * n;
  let vb = bi * n * n;
  let tol = 1.1920929e-7 * max(2.0, sqrt(f32(m)));
`;
  if (eig) {
    c += `  let ab = bi * n * n;
  var rs = 0.0;
  for (var idx = lid; idx < n * n; idx = idx + 256u) {
    let i = idx / n;
    let j = idx % n;
    ${W}[wb + idx] = b1[ab + max(i, j) * n + min(i, j)];
  }
  for (var i = lid; i < n; i = i + 256u) {
    var s = 0.0;
    for (var j = 0u; j < n; j = j + 1u) { s = s + abs(b1[ab + max(i, j) * n + min(i, j)]); }
    rs = max(rs, s);
  }
  red[lid] = rs;
  workgroupBarrier();
  for (var h = 128u; h > 0u; h = h >> 1u) {
    if (lid < h) { red[lid] = max(red[lid], red[lid + h]); }
    workgroupBarrier();
  }
  let sigma = red[0];
  for (var i = lid; i < n; i = i + 256u) { ${W}[wb + i * n + i] = ${W}[wb + i * n + i] + sigma; }
`;
  }
  if (needV) {
    c += `  for (var idx = lid; idx < n * n; idx = idx + 256u) {
    ${V}[vb + idx] = select(0.0, 1.0, idx / n == idx % n);
  }
`;
  }
  c += `  workgroupBarrier();
  let np = (n + 1u) / 2u;
  let nn = np * 2u;
  for (var sweep = 0u; sweep < ${P(3)}; sweep = sweep + 1u) {
    if (lid == 0u) { atomicStore(&rotA, 0u); }
    workgroupBarrier();
    for (var rd = 0u; rd + 1u < nn; rd = rd + 1u) {
      for (var k = lid; k < np; k = k + 256u) {
        var p = 0u;
        var q = 1u + rd % (nn - 1u);
        if (k > 0u) {
          p = 1u + (rd + k) % (nn - 1u);
          q = 1u + (rd + nn - 1u - k) % (nn - 1u);
        }
        let pp = min(p, q);
        let qq = max(p, q);
        if (qq < n) {
          var al = 0.0;
          var be = 0.0;
          var ga = 0.0;
          for (var i = 0u; i < m; i = i + 1u) {
            let x = ${W}[wb + i * n + pp];
            let y = ${W}[wb + i * n + qq];
            al = al + x * x;
            be = be + y * y;
            ga = ga + x * y;
          }
          if (ga != 0.0 && abs(ga) > tol * sqrt(al) * sqrt(be)) {
            let zeta = (be - al) / (2.0 * ga);
            let az = abs(zeta);
            var root = sqrt(1.0 + az * az);
            if (az > 1.0) { root = az * sqrt(1.0 + (1.0 / az) * (1.0 / az)); }
            let t = select(-1.0, 1.0, zeta >= 0.0) / (az + root);
            let cs = 1.0 / sqrt(1.0 + t * t);
            let sn = cs * t;
            for (var i = 0u; i < m; i = i + 1u) {
              let x = ${W}[wb + i * n + pp];
              let y = ${W}[wb + i * n + qq];
              ${W}[wb + i * n + pp] = cs * x - sn * y;
              ${W}[wb + i * n + qq] = sn * x + cs * y;
            }
${rotV}            atomicStore(&rotA, 1u);
          }
        }
      }
      workgroupBarrier();
    }
    if (lid == 0u) { rot = atomicLoad(&rotA); }
    let anyRot = workgroupUniformLoad(&rot);
    if (anyRot == 0u) { break; }
  }
`;
  if (eig) {
    c += `  for (var j = lid; j < n; j = j + 256u) {
    var lam = 0.0;
    for (var i = 0u; i < n; i = i + 1u) {
      var t = 0.0;
      for (var k = 0u; k < n; k = k + 1u) { t = t + b1[ab + max(i, k) * n + min(i, k)] * ${V}[vb + k * n + j]; }
      lam = lam + ${V}[vb + i * n + j] * t;
    }
    sv[j] = lam;
  }
  workgroupBarrier();
  if (lid == 0u) {
    for (var j = 0u; j < n; j = j + 1u) { ord[j] = j; }
    for (var a = 0u; a < n; a = a + 1u) {
      var best = a;
      for (var b = a + 1u; b < n; b = b + 1u) { if (sv[ord[b]] < sv[ord[best]]) { best = b; } }
      let t = ord[a]; ord[a] = ord[best]; ord[best] = t;
    }
  }
  workgroupBarrier();
  for (var j = lid; j < n; j = j + 256u) { b4[bi * n + j] = sv[ord[j]]; }
  for (var idx = lid; idx < n * n; idx = idx + 256u) {
    let i = idx / n;
    let j = idx % n;
    b5[vb + idx] = ${V}[vb + i * n + ord[j]];
  }
}
`;
    return c;
  }
  c += `  for (var j = lid; j < n; j = j + 256u) {
    var s = 0.0;
    for (var i = 0u; i < m; i = i + 1u) { let x = ${W}[wb + i * n + j]; s = s + x * x; }
    sv[j] = sqrt(s);
  }
  workgroupBarrier();
  if (lid == 0u) {
    for (var j = 0u; j < n; j = j + 1u) { ord[j] = j; }
    for (var a = 0u; a < n; a = a + 1u) {
      var best = a;
      for (var b = a + 1u; b < n; b = b + 1u) { if (sv[ord[b]] > sv[ord[best]]) { best = b; } }
      let t = ord[a]; ord[a] = ord[best]; ord[best] = t;
    }
  }
  workgroupBarrier();
`;
  if (mode === "svdvals") {
    c += `  for (var j = lid; j < n; j = j + 256u) { b2[bi * n + j] = sv[ord[j]]; }
}
`;
    return c;
  }
  c += `  let smax = sv[ord[0]];
  for (var j = lid; j < n; j = j + 256u) { b3[bi * n + j] = sv[ord[j]]; }
  for (var idx = lid; idx < m * n; idx = idx + 256u) {
    let i = idx / n;
    let j = idx % n;
    let s = sv[ord[j]];
    let good = s > 1e-35 && s > smax * 1e-30;
    b4[wb + idx] = select(0.0, ${W}[wb + i * n + ord[j]] / s, good);
  }
  for (var idx = lid; idx < n * n; idx = idx + 256u) {
    let r = idx / n;
    let col = idx % n;
    b5[vb + idx] = ${V}[vb + col * n + ord[r]];
  }
  workgroupBarrier();
  if (lid == 0u) {
    for (var j = 0u; j < n; j = j + 1u) {
      let s = sv[ord[j]];
      if (s > 1e-35 && s > smax * 1e-30) { continue; }
      for (var t = 0u; t < m; t = t + 1u) {
        for (var i = 0u; i < m; i = i + 1u) { b4[wb + i * n + j] = select(0.0, 1.0, i == t); }
        for (var ps = 0u; ps < 2u; ps = ps + 1u) {
          for (var c2 = 0u; c2 < n; c2 = c2 + 1u) {
            if (c2 == j) { continue; }
            var d = 0.0;
            for (var i = 0u; i < m; i = i + 1u) { d = d + b4[wb + i * n + c2] * b4[wb + i * n + j]; }
            for (var i = 0u; i < m; i = i + 1u) { b4[wb + i * n + j] = b4[wb + i * n + j] - d * b4[wb + i * n + c2]; }
          }
        }
        var nr = 0.0;
        for (var i = 0u; i < m; i = i + 1u) { let x = b4[wb + i * n + j]; nr = nr + x * x; }
        nr = sqrt(nr);
        if (nr > 0.1) {
          for (var i = 0u; i < m; i = i + 1u) { b4[wb + i * n + j] = b4[wb + i * n + j] / nr; }
          break;
        }
      }
    }
  }
}
`;
  return c;
}
