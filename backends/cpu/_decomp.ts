/**
 * Private dense matrix algorithms of the CPU backend, on row-major `Float64Array`s:
 * LU with partial pivoting, Cholesky, Householder QR (LAPACK's sign conventions, so results
 * match NumPy), symmetric eigen-decomposition (Householder tridiagonalisation + implicit QL,
 * EISPACK tred2/tql2) and SVD by one-sided Jacobi (Hestenes).
 *
 * @module
 */

const EPS = 2 ** -52;

/**
 * LU factorisation with partial pivoting, in place (`a` is n×n). `piv[k]` is the row swapped
 * with row k. Returns the permutation sign and the first column with an exactly zero pivot
 * (-1 when none); like LAPACK, the factorisation continues past zero pivots.
 */
export function luFactor(
  a: Float64Array,
  n: number,
  piv: Int32Array,
): { sign: number; zero: number } {
  let sign = 1, zero = -1;
  for (let k = 0; k < n; k++) {
    let p = k, best = Math.abs(a[k * n + k]);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(a[i * n + k]);
      if (v > best) {
        best = v;
        p = i;
      }
    }
    piv[k] = p;
    if (a[p * n + k] === 0) {
      if (zero < 0) zero = k;
      continue;
    }
    if (p !== k) {
      sign = -sign;
      const rp = p * n, rk = k * n;
      for (let j = 0; j < n; j++) {
        const t = a[rp + j];
        a[rp + j] = a[rk + j];
        a[rk + j] = t;
      }
    }
    const rk = k * n;
    const inv = 1 / a[rk + k];
    for (let i = k + 1; i < n; i++) {
      const ri = i * n;
      const l = a[ri + k] * inv;
      a[ri + k] = l;
      for (let j = k + 1; j < n; j++) a[ri + j] -= l * a[rk + j];
    }
  }
  return { sign, zero };
}

/** Solves `LU x = P b` in place for `b` (n×k, row-major) after {@linkcode luFactor}. */
export function luSolve(
  lu: Float64Array,
  n: number,
  piv: Int32Array,
  b: Float64Array,
  k: number,
): void {
  for (let i = 0; i < n; i++) {
    const p = piv[i];
    if (p !== i) {
      for (let j = 0; j < k; j++) {
        const t = b[i * k + j];
        b[i * k + j] = b[p * k + j];
        b[p * k + j] = t;
      }
    }
  }
  for (let i = 0; i < n; i++) {
    const ri = i * n, bi = i * k;
    for (let m = 0; m < i; m++) {
      const l = lu[ri + m];
      if (l === 0) continue;
      const bm = m * k;
      for (let j = 0; j < k; j++) b[bi + j] -= l * b[bm + j];
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    const ri = i * n, bi = i * k;
    for (let m = i + 1; m < n; m++) {
      const u = lu[ri + m];
      if (u === 0) continue;
      const bm = m * k;
      for (let j = 0; j < k; j++) b[bi + j] -= u * b[bm + j];
    }
    const d = lu[ri + i];
    for (let j = 0; j < k; j++) b[bi + j] /= d;
  }
}

/**
 * Cholesky factor L (lower, in place; the strict upper triangle is zeroed) reading only the
 * lower triangle. Returns -1 on success, else the order of the leading minor that is not
 * positive definite.
 */
export function cholesky(a: Float64Array, n: number): number {
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let s = a[rj + j];
    for (let k = 0; k < j; k++) s -= a[rj + k] * a[rj + k];
    if (!(s > 0)) return j + 1;
    const d = Math.sqrt(s);
    a[rj + j] = d;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let t = a[ri + j];
      for (let k = 0; k < j; k++) t -= a[ri + k] * a[rj + k];
      a[ri + j] = t / d;
    }
  }
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) a[i * n + j] = 0;
  return -1;
}

function colNorm(a: Float64Array, n: number, col: number, from: number, to: number): number {
  let scale = 0;
  for (let i = from; i < to; i++) scale = Math.max(scale, Math.abs(a[i * n + col]));
  if (scale === 0 || !Number.isFinite(scale)) return scale;
  let s = 0;
  for (let i = from; i < to; i++) {
    const v = a[i * n + col] / scale;
    s += v * v;
  }
  return scale * Math.sqrt(s);
}

/**
 * Householder QR of `a` (m×n, row-major, overwritten) with LAPACK's conventions (dgeqrf +
 * dorgqr): returns Q (m×kq) and R (kq×n) with kq = min(m, n) (`reduced`) or m (`complete`).
 */
export function householderQR(
  a: Float64Array,
  m: number,
  n: number,
  complete: boolean,
): { q: Float64Array; r: Float64Array; kq: number } {
  const K = Math.min(m, n);
  const tau = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    const alpha = a[k * n + k];
    const xnorm = colNorm(a, n, k, k + 1, m);
    if (xnorm === 0) {
      tau[k] = 0;
      continue;
    }
    const beta = -(alpha >= 0 ? 1 : -1) * Math.hypot(alpha, xnorm);
    tau[k] = (beta - alpha) / beta;
    const scal = 1 / (alpha - beta);
    for (let i = k + 1; i < m; i++) a[i * n + k] *= scal;
    a[k * n + k] = beta;
    const t = tau[k];
    for (let j = k + 1; j < n; j++) {
      let w = a[k * n + j];
      for (let i = k + 1; i < m; i++) w += a[i * n + k] * a[i * n + j];
      w *= t;
      a[k * n + j] -= w;
      for (let i = k + 1; i < m; i++) a[i * n + j] -= w * a[i * n + k];
    }
  }
  const kq = complete ? m : K;
  const r = new Float64Array(kq * n);
  for (let i = 0; i < Math.min(kq, m); i++) {
    for (let j = i; j < n; j++) r[i * n + j] = a[i * n + j];
  }
  const q = new Float64Array(m * kq);
  for (let i = 0; i < Math.min(m, kq); i++) q[i * kq + i] = 1;
  for (let k = K - 1; k >= 0; k--) {
    const t = tau[k];
    if (t === 0) continue;
    for (let j = k; j < kq; j++) {
      let w = q[k * kq + j];
      for (let i = k + 1; i < m; i++) w += a[i * n + k] * q[i * kq + j];
      w *= t;
      q[k * kq + j] -= w;
      for (let i = k + 1; i < m; i++) q[i * kq + j] -= w * a[i * n + k];
    }
  }
  return { q, r, kq };
}

/**
 * Eigen-decomposition of a symmetric matrix (n×n, row-major; only the lower triangle is
 * read; overwritten). Eigenvalues ascending in `w`; with `vectors`, `a` holds the
 * eigenvectors as columns on return. Returns false if QL iteration did not converge.
 */
export function symEig(a: Float64Array, n: number, w: Float64Array, vectors: boolean): boolean {
  if (n === 0) return true;
  // symmetrise from the lower triangle
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) a[i * n + j] = a[j * n + i];
  const V = a, d = w, e = new Float64Array(n);
  // ---- tred2 (Householder reduction to tridiagonal form)
  for (let j = 0; j < n; j++) d[j] = V[(n - 1) * n + j];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0, h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = V[(i - 1) * n + j];
        V[i * n + j] = 0;
        V[j * n + i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j];
        V[j * n + i] = f;
        g = e[j] + V[j * n + j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k * n + j] * d[k];
          e[k] += V[k * n + j] * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        for (let k = j; k <= i - 1; k++) V[k * n + j] -= f * e[k] + g * d[k];
        d[j] = V[(i - 1) * n + j];
        V[i * n + j] = 0;
      }
    }
    d[i] = h;
  }
  if (vectors) {
    for (let i = 0; i < n - 1; i++) {
      V[(n - 1) * n + i] = V[i * n + i];
      V[i * n + i] = 1;
      const h = d[i + 1];
      if (h !== 0) {
        for (let k = 0; k <= i; k++) d[k] = V[k * n + i + 1] / h;
        for (let j = 0; j <= i; j++) {
          let g = 0;
          for (let k = 0; k <= i; k++) g += V[k * n + i + 1] * V[k * n + j];
          for (let k = 0; k <= i; k++) V[k * n + j] -= g * d[k];
        }
      }
      for (let k = 0; k <= i; k++) V[k * n + i + 1] = 0;
    }
    for (let j = 0; j < n; j++) {
      d[j] = V[(n - 1) * n + j];
      V[(n - 1) * n + j] = 0;
    }
    V[(n - 1) * n + n - 1] = 1;
  } else {
    for (let j = 0; j < n; j++) d[j] = V[j * n + j];
  }
  e[0] = 0;
  // ---- tql2 (implicit QL on the tridiagonal matrix)
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0, tst1 = 0;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]) <= EPS * tst1) break;
      m++;
    }
    if (m === n) m = n - 1;
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 60) return false;
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1, c2 = c, c3 = c, s = 0, s2 = 0;
        const el1 = e[l + 1];
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          if (vectors) {
            for (let k = 0; k < n; k++) {
              const rk = k * n;
              h = V[rk + i + 1];
              V[rk + i + 1] = s * V[rk + i] + c * h;
              V[rk + i] = c * V[rk + i] - s * h;
            }
          }
        }
        p = -s * s2 * c3 * el1 * e[l] / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > EPS * tst1);
    }
    d[l] = d[l] + f;
    e[l] = 0;
  }
  // sort ascending
  for (let i = 0; i < n - 1; i++) {
    let k = i, p = d[i];
    for (let j = i + 1; j < n; j++) {
      if (d[j] < p) {
        k = j;
        p = d[j];
      }
    }
    if (k !== i) {
      d[k] = d[i];
      d[i] = p;
      if (vectors) {
        for (let j = 0; j < n; j++) {
          const t = V[j * n + i];
          V[j * n + i] = V[j * n + k];
          V[j * n + k] = t;
        }
      }
    }
  }
  return true;
}

/**
 * Thin SVD by one-sided Jacobi of `a` (m×n, row-major; not modified). Returns U (m×k),
 * S (k, descending) and Vᵀ (k×n), k = min(m, n); `u`/`vt` are empty when not wanted.
 */
export function svdJacobi(
  a: Float64Array,
  m: number,
  n: number,
  want: boolean,
): { u: Float64Array; s: Float64Array; vt: Float64Array } {
  if (m >= n) return svdTall(a, m, n, false, want);
  // A = (Aᵀ)ᵀ: SVD of Aᵀ (n×m, tall) and swap the factors.
  const at = new Float64Array(n * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) at[j * m + i] = a[i * n + j];
  const r = svdTall(at, n, m, true, want);
  return r;
}

/**
 * One-sided Jacobi on a tall matrix (m ≥ n). `swapped`: the input is Aᵀ, so return the
 * factors of A (U ← V, Vᵀ ← Uᵀ).
 */
function svdTall(
  a: Float64Array,
  m: number,
  n: number,
  swapped: boolean,
  want: boolean,
): { u: Float64Array; s: Float64Array; vt: Float64Array } {
  // W: column-major copy (columns contiguous); V: column-major identity.
  const W = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) W[j * m + i] = a[i * n + j];
  // Scale to avoid overflow/underflow of squared norms.
  let amax = 0;
  for (let i = 0; i < W.length; i++) amax = Math.max(amax, Math.abs(W[i]));
  const scale = amax > 0 && Number.isFinite(amax) ? amax : 1;
  if (scale !== 1) { for (let i = 0; i < W.length; i++) W[i] /= scale; }
  const V = want ? new Float64Array(n * n) : new Float64Array(0);
  if (want) { for (let j = 0; j < n; j++) V[j * n + j] = 1; }
  const tol = EPS * Math.sqrt(Math.max(m, 1));
  for (let sweep = 0; sweep < 80; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      const op = p * m;
      for (let q = p + 1; q < n; q++) {
        const oq = q * m;
        let alpha = 0, beta = 0, gamma = 0;
        for (let i = 0; i < m; i++) {
          const x = W[op + i], y = W[oq + i];
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= tol * Math.sqrt(alpha) * Math.sqrt(beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.abs(zeta) > 1e150
          ? 0.5 / zeta
          : (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t), s = c * t;
        for (let i = 0; i < m; i++) {
          const x = W[op + i], y = W[oq + i];
          W[op + i] = c * x - s * y;
          W[oq + i] = s * x + c * y;
        }
        if (want) {
          const vp = p * n, vq = q * n;
          for (let i = 0; i < n; i++) {
            const x = V[vp + i], y = V[vq + i];
            V[vp + i] = c * x - s * y;
            V[vq + i] = s * x + c * y;
          }
        }
      }
    }
    if (!rotated) break;
  }
  const sv = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let ss = 0;
    for (let i = 0; i < m; i++) ss += W[j * m + i] * W[j * m + i];
    sv[j] = Math.sqrt(ss);
  }
  const order = Array.from({ length: n }, (_, j) => j).sort((x, y) => sv[y] - sv[x] || x - y);
  const s = new Float64Array(n);
  for (let k = 0; k < n; k++) s[k] = sv[order[k]] * scale;
  if (!want) return { u: new Float64Array(0), s, vt: new Float64Array(0) };
  // U columns (column-major m×n), completing zero columns to an orthonormal set.
  const U = new Float64Array(m * n);
  const zeroCols: number[] = [];
  for (let k = 0; k < n; k++) {
    const j = order[k], sj = sv[j];
    if (!(sj > 2.2250738585072014e-308)) {
      zeroCols.push(k);
      continue;
    }
    for (let i = 0; i < m; i++) U[k * m + i] = W[j * m + i] / sj;
  }
  for (const k of zeroCols) completeColumn(U, m, n, k, zeroCols);
  // Assemble row-major outputs of A (or of Aᵀ's transpose when swapped).
  if (!swapped) {
    const u = new Float64Array(m * n), vt = new Float64Array(n * n);
    for (let k = 0; k < n; k++) {
      for (let i = 0; i < m; i++) u[i * n + k] = U[k * m + i];
      const j = order[k];
      for (let i = 0; i < n; i++) vt[k * n + i] = V[j * n + i];
    }
    return { u, s, vt };
  }
  // Input was Aᵀ (m×n here, A is n×m): A = V S Uᵀ → U_A = V (n×n), Vᵀ_A = Uᵀ (n×m).
  const u = new Float64Array(n * n), vt = new Float64Array(n * m);
  for (let k = 0; k < n; k++) {
    const j = order[k];
    for (let i = 0; i < n; i++) u[i * n + k] = V[j * n + i];
    for (let i = 0; i < m; i++) vt[k * m + i] = U[k * m + i];
  }
  return { u, s, vt };
}

/** Fills column `k` of U (column-major m×n) with a unit vector orthogonal to the others. */
function completeColumn(U: Float64Array, m: number, n: number, k: number, pending: number[]): void {
  const v = new Float64Array(m);
  const filled = (c: number) =>
    c !== k && (!pending.includes(c) || pending.indexOf(c) < pending.indexOf(k));
  for (let cand = 0; cand < m; cand++) {
    v.fill(0);
    v[cand] = 1;
    for (let pass = 0; pass < 2; pass++) {
      for (let c = 0; c < n; c++) {
        if (!filled(c)) continue;
        let d = 0;
        for (let i = 0; i < m; i++) d += U[c * m + i] * v[i];
        for (let i = 0; i < m; i++) v[i] -= d * U[c * m + i];
      }
    }
    let nrm = 0;
    for (let i = 0; i < m; i++) nrm += v[i] * v[i];
    nrm = Math.sqrt(nrm);
    if (nrm > 0.5) {
      for (let i = 0; i < m; i++) U[k * m + i] = v[i] / nrm;
      return;
    }
  }
}
