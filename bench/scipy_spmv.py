"""SciPy reference for bench/spmv_bench.ts: `A @ x` for the 512 x 512 2-D Poisson matrix
(kronsum of two 1-D (-1, 2, -1) matrices, CSR), float64 and float32, single-threaded.

    OPENBLAS_NUM_THREADS=1 python3 bench/scipy_spmv.py
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import timeit  # noqa: E402

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import scipy.sparse as sp  # noqa: E402

n = 512
T = sp.diags([-np.ones(n - 1), 2 * np.ones(n), -np.ones(n - 1)], [-1, 0, 1])
print(f"scipy {scipy.__version__}, numpy {np.__version__}, "
      f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}")
for dtype in (np.float64, np.float32):
    A = sp.csr_array(sp.kronsum(T, T), dtype=dtype)
    x = np.sin(np.arange(n * n)).astype(dtype)
    y = A @ x
    number = 50
    times = np.array(timeit.repeat(lambda: A @ x, number=number, repeat=20)) / number
    print(f"poisson2d {n}x{n} {np.dtype(dtype).name}: nnz={A.nnz}  "
          f"median {np.median(times) * 1e6:8.1f} us  min {times.min() * 1e6:8.1f} us  "
          f"({A.nnz / np.median(times) / 1e6:.0f} M nnz/s)")
