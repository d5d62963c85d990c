"""scikit-learn's Lloyd k-means on gain's data, same init and iteration count.

Usage: kmeans_sklearn.py N d k iters seed
"""
import sys
import time

from threadpoolctl import threadpool_limits
from sklearn.cluster import KMeans

from common import points, result, threads

n, d, k, iters, seed = map(int, sys.argv[1:6])
x = points(n, d, seed)
with threadpool_limits(limits=threads()):
    km = KMeans(n_clusters=k, init=x[:k].copy(), n_init=1, max_iter=iters, tol=0.0, algorithm="lloyd")
    t = time.perf_counter()
    km.fit(x)
    dt = time.perf_counter() - t
result("kmeans_sklearn", seconds=dt, iters=int(km.n_iter_), threads=threads(),
       checksum=float(km.cluster_centers_.sum()))
