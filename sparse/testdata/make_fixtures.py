"""Regenerates the SciPy reference fixtures of sparse/ tests.

    python3 sparse/testdata/make_fixtures.py

gallery.json: small gallery matrices built independently with scipy.sparse (Kronecker
products), as canonical CSR (indptr, indices, data). mm_*.mtx: files written by
scipy.io.mmwrite, with the dense matrices they hold in mm_expected.json.
"""
import json
import os

import numpy as np
import scipy
import scipy.io
import scipy.sparse as sp

HERE = os.path.dirname(os.path.abspath(__file__))


def T(n):
    return sp.diags([-np.ones(n - 1), 2 * np.ones(n), -np.ones(n - 1)], [-1, 0, 1], format="csr")


def I(n):
    return sp.identity(n, format="csr")


def csr(A):
    A = sp.csr_array(A)
    A.sum_duplicates()
    A.eliminate_zeros()
    A.sort_indices()
    return {
        "shape": list(A.shape),
        "indptr": A.indptr.tolist(),
        "indices": A.indices.tolist(),
        "data": A.data.tolist(),
    }


def poisson2d(nx, ny):
    return sp.kronsum(T(nx), T(ny))  # kron(I_ny, Tx) + kron(Ty, I_nx)


def poisson3d(nx, ny, nz):
    return sp.kronsum(sp.kronsum(T(nx), T(ny)), T(nz))


def stencil27(nx, ny, nz):
    # (tridiag(1,1,1) in each direction) gives all 27 neighbours; diag 26, off -1.
    B = lambda n: sp.diags([np.ones(n - 1), np.ones(n), np.ones(n - 1)], [-1, 0, 1])
    full = sp.kron(B(nz), sp.kron(B(ny), B(nx)))
    return 27 * sp.identity(nx * ny * nz) - full


def aniso(nx, ny, eps, theta):
    C, S = np.cos(theta), np.sin(theta)
    kxx, kyy, kxy = C * C + eps * S * S, S * S + eps * C * C, (1 - eps) * C * S
    D = lambda n: sp.diags([-0.5 * np.ones(n - 1), 0.5 * np.ones(n - 1)], [-1, 1])
    return (kxx * sp.kron(I(ny), T(nx)) + kyy * sp.kron(T(ny), I(nx))
            - 2 * kxy * sp.kron(D(ny), D(nx)))


def convdiff(nx, ny, bx, by, nu):
    hx, hy = 1 / (nx + 1), 1 / (ny + 1)

    def U(n, b):
        if b >= 0:
            return sp.diags([np.ones(n), -np.ones(n - 1)], [0, -1])
        return sp.diags([-np.ones(n), np.ones(n - 1)], [0, 1])

    return (nu / hx**2 * sp.kron(I(ny), T(nx)) + nu / hy**2 * sp.kron(T(ny), I(nx))
            + bx / hx * sp.kron(I(ny), U(nx, bx)) + by / hy * sp.kron(U(ny, by), I(nx)))


def trefethen(n):
    primes = []
    k = 2
    while len(primes) < n:
        if all(k % p for p in primes if p * p <= k):
            primes.append(k)
        k += 1
    A = sp.diags(np.array(primes, dtype=float), 0, format="lil")
    d = 1
    while d < n:
        A.setdiag(1.0, d)
        A.setdiag(1.0, -d)
        d *= 2
    return A


gallery = {
    "scipy": scipy.__version__,
    "poisson1d_5": csr(T(5)),
    "poisson2d_3_4": csr(poisson2d(3, 4)),
    "poisson3d_2_3_4": csr(poisson3d(2, 3, 4)),
    "poisson3d27_3_3_2": csr(stencil27(3, 3, 2)),
    "aniso_4_3_0.1_0.7": csr(aniso(4, 3, 0.1, 0.7)),
    "convdiff_4_3_1_-2_0.05": csr(convdiff(4, 3, 1.0, -2.0, 0.05)),
    "trefethen_20": csr(trefethen(20)),
}
with open(os.path.join(HERE, "gallery.json"), "w") as f:
    json.dump(gallery, f)

rng = np.random.default_rng(20260101)
R = sp.random_array((6, 5), density=0.4, rng=rng, format="coo")
S = sp.random_array((5, 5), density=0.3, rng=rng)
S = (S + S.T).tocoo()
K = sp.random_array((5, 5), density=0.4, rng=rng)
K = (sp.tril(K, -1) - sp.tril(K, -1).T).tocoo()
Z = sp.coo_array(np.array([[0, 3, 0], [-7, 0, 12], [0, 0, 1]], dtype=np.int64))
P = sp.coo_array(np.array([[1, 0, 1, 0], [0, 0, 1, 0]], dtype=float))
Dg = rng.standard_normal((3, 4))
Ds = rng.standard_normal((4, 4))
Ds = Ds + Ds.T
cases = {
    "real_general": (R, {}),
    "real_symmetric": (S, {}),
    "real_skew": (K, {"symmetry": "skew-symmetric"}),
    "integer_general": (Z, {}),
    "pattern_general": (P, {"field": "pattern"}),
    "array_general": (Dg, {}),
    "array_symmetric": (Ds, {}),
}
expected = {}
for name, (A, kw) in cases.items():
    path = os.path.join(HERE, f"mm_{name}.mtx")
    scipy.io.mmwrite(path, A, **kw)
    dense = A.toarray() if sp.issparse(A) else A
    if kw.get("field") == "pattern":
        dense = (dense != 0).astype(float)
    expected[name] = {"shape": list(dense.shape), "dense": dense.astype(float).ravel().tolist()}
with open(os.path.join(HERE, "mm_expected.json"), "w") as f:
    json.dump(expected, f)
print("wrote", HERE)
