"""NumPy's `@` (OpenBLAS dgemm) on n x n f64 matrices.

Usage: matmul_numpy.py n
"""
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

from common import result, threads

n = int(sys.argv[1])
rng = np.random.Generator(np.random.Philox(key=1))
a = rng.uniform(-1, 1, (n, n))
b = rng.uniform(-1, 1, (n, n))
with threadpool_limits(limits=threads()):
    a @ b  # warm up
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
result("matmul_numpy", seconds=best, gflops=2 * n**3 / best / 1e9, threads=threads(),
       blas=np.__config__.CONFIG["Build Dependencies"]["blas"]["name"])
