"""Long-lived SciPy worker for bench/compare_scipy.ts.

Reads one JSON request per line on stdin, answers one JSON line on stdout, so Python start-up
and imports are never inside a timing. Matrices and vectors arrive as raw little-endian files
written by bench/_problems.ts and are checked by nnz and a checksum computed the same way on
both sides. Every timing is taken here with time.perf_counter around the SciPy call alone.

Requests (``op`` and its fields):
  versions                                  -> python/numpy/scipy versions, BLAS threads
  load_csr  id dir m n nnz dtype            -> nnz, checksum
  load_vec  id path dtype shape             -> checksum
  spmv      A x reps                        -> t (seconds per product, mean over reps)
  cg        A b rtol maxiter                -> t, info, res (true residual norm)
  cg_loop   A B rtol count_iters            -> t, info[], res[], iters[] (if count_iters)
  gmres     A b rtol restart maxiter        -> t, info, res
  lsqr      A b iter_lim                    -> t, istop, itn, res
  quit

Run standalone only through compare_scipy.ts; it sets OPENBLAS_NUM_THREADS=1.
"""
import json
import os
import platform
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import scipy.sparse.linalg as sla  # noqa: E402

DTYPES = {"float64": np.float64, "float32": np.float32}
store = {}


def csr_checksum(A):
    """sum data[k] * ((31 i + 17 j) mod 1009 + 1), float64 (bench/_problems.ts csrChecksum)."""
    rows = np.repeat(np.arange(A.shape[0], dtype=np.int64), np.diff(A.indptr))
    w = (rows * 31 + A.indices.astype(np.int64) * 17) % 1009 + 1
    return float(np.sum(A.data.astype(np.float64) * w.astype(np.float64)))


def vec_checksum(v):
    v = v.reshape(-1).astype(np.float64)
    w = (np.arange(v.size, dtype=np.int64) % 1009 + 1).astype(np.float64)
    return float(np.sum(v * w))


def handle(req):
    op = req["op"]
    if op == "versions":
        info = {}
        try:
            from threadpoolctl import threadpool_info  # optional
            info = [{k: d.get(k) for k in ("internal_api", "num_threads", "version")}
                    for d in threadpool_info()]
        except Exception:  # noqa: BLE001
            info = None
        return {"python": platform.python_version(), "numpy": np.__version__,
                "scipy": scipy.__version__,
                "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
                "threadpools": info}
    if op == "load_csr":
        dt = DTYPES[req["dtype"]]
        d = req["dir"]
        indptr = np.fromfile(f"{d}/indptr.bin", dtype="<i4")
        indices = np.fromfile(f"{d}/indices.bin", dtype="<i4")
        data = np.fromfile(f"{d}/data.bin", dtype=np.dtype(dt).newbyteorder("<"))
        A = sp.csr_array((data, indices, indptr), shape=(req["m"], req["n"]))
        if A.nnz != req["nnz"]:
            raise ValueError(f"nnz {A.nnz} != {req['nnz']}")
        store[req["id"]] = A
        return {"nnz": int(A.nnz), "checksum": csr_checksum(A), "dtype": str(A.dtype)}
    if op == "load_vec":
        dt = DTYPES[req["dtype"]]
        v = np.fromfile(req["path"], dtype=np.dtype(dt).newbyteorder("<"))
        v = v.reshape(req["shape"])
        store[req["id"]] = v
        return {"checksum": vec_checksum(v)}
    if op == "spmv":
        A, x, reps = store[req["A"]], store[req["x"]], int(req["reps"])
        y = A @ x  # warm
        t0 = time.perf_counter()
        for _ in range(reps):
            y = A @ x
        t = (time.perf_counter() - t0) / reps
        return {"t": t, "checksum": vec_checksum(y)}
    if op == "cg":
        A, b = store[req["A"]], store[req["b"]]
        t0 = time.perf_counter()
        x, info = sla.cg(A, b, rtol=req["rtol"], maxiter=req["maxiter"])
        t = time.perf_counter() - t0
        return {"t": t, "info": int(info), "res": float(np.linalg.norm(b - A @ x))}
    if op == "cg_loop":
        A, B = store[req["A"]], store[req["B"]]
        rtol = req["rtol"]
        t0 = time.perf_counter()
        out = [sla.cg(A, B[k], rtol=rtol) for k in range(B.shape[0])]
        t = time.perf_counter() - t0
        res = [float(np.linalg.norm(B[k] - A @ x)) for k, (x, _) in enumerate(out)]
        ans = {"t": t, "info": [int(i) for _, i in out], "res": res}
        if req.get("count_iters"):
            iters = []
            for k in range(B.shape[0]):
                n = [0]

                def cb(_x, n=n):
                    n[0] += 1
                sla.cg(A, B[k], rtol=rtol, callback=cb)
                iters.append(n[0])
            ans["iters"] = iters
        return ans
    if op == "gmres":
        A, b = store[req["A"]], store[req["b"]]
        t0 = time.perf_counter()
        x, info = sla.gmres(A, b, rtol=req["rtol"], restart=req["restart"],
                            maxiter=req["maxiter"])
        t = time.perf_counter() - t0
        return {"t": t, "info": int(info), "res": float(np.linalg.norm(b - A @ x))}
    if op == "lsqr":
        A, b = store[req["A"]], store[req["b"]]
        t0 = time.perf_counter()
        r = sla.lsqr(A, b, atol=0.0, btol=0.0, conlim=0.0, iter_lim=req["iter_lim"])
        t = time.perf_counter() - t0
        x = r[0]
        return {"t": t, "istop": int(r[1]), "itn": int(r[2]),
                "res": float(np.linalg.norm(b - A @ x))}
    if op == "drop":
        for k in req["ids"]:
            store.pop(k, None)
        return {}
    raise ValueError(f"unknown op {op!r}")


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        req = json.loads(line)
        if req.get("op") == "quit":
            break
        try:
            ans = {"ok": True, **handle(req)}
        except Exception as e:  # noqa: BLE001
            ans = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(ans) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
