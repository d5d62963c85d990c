"""numpy.sum of a ~1.5 GB f64 array (the blog's computation), one process.

Usage: shared_sum_numpy.py mbytes
"""
import sys
import time

import numpy as np

from common import result

n = int(sys.argv[1]) * 1_000_000 // 8
x = (np.arange(n) % 1000).astype(np.float64)
best = float("inf")
for _ in range(10):
    t = time.perf_counter()
    s = x.sum()
    best = min(best, time.perf_counter() - t)
result("shared_sum_numpy", seconds=best, gbytes_per_s=n * 8 / best / 1e9, sum=float(s))
