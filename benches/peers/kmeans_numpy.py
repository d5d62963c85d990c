"""Plain NumPy Lloyd k-means (the seed's algorithm) on gain's data.

Usage: kmeans_numpy.py N d k iters seed
"""
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

from common import points, result, threads

n, d, k, iters, seed = map(int, sys.argv[1:6])
x = points(n, d, seed)
centers = x[:k].copy()
with threadpool_limits(limits=threads()):
    t = time.perf_counter()
    run = 0
    for _ in range(iters):
        run += 1
        # |c|^2 - 2 p.c has the argmin of the squared distance.
        scores = (centers * centers).sum(axis=1) - 2.0 * (x @ centers.T)
        labels = scores.argmin(axis=1)
        counts = np.bincount(labels, minlength=k).astype(float)
        sums = np.stack([x[labels == c].sum(axis=0) for c in range(k)])
        new = np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], centers)
        moved = np.linalg.norm(new - centers)
        centers = new
        if moved <= 1e-9:
            break
    dt = time.perf_counter() - t
result("kmeans_numpy", seconds=dt, iters=run, threads=threads(), checksum=float(centers.sum()))
