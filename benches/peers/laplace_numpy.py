"""perfpy's NumPy Laplace solver (GAiN thesis 6.2), as gain's examples/laplace
runs it: N x N over [0,1]^2, boundary x^2 - y^2, `iters` sweeps of the slicing
formula, the error as sqrt(dot(v, v)) of the change. Usage: laplace_numpy.py N iters
"""
import sys
import time

import numpy as np

from common import result

n, iters = int(sys.argv[1]), int(sys.argv[2])
d = 1.0 / (n - 1)
dx2 = dy2 = d * d
dnr_inv = 0.5 / (dx2 + dy2)
x = np.arange(n) * d
u = np.zeros((n, n))
u[0, :] = x[0] ** 2 - x ** 2
u[-1, :] = x[-1] ** 2 - x ** 2
u[:, 0] = x ** 2 - x[0] ** 2
u[:, -1] = x ** 2 - x[-1] ** 2
t = time.perf_counter()
for _ in range(iters):
    old_u = u.copy()
    u[1:-1, 1:-1] = ((u[0:-2, 1:-1] + u[2:, 1:-1]) * dy2 + (u[1:-1, 0:-2] + u[1:-1, 2:]) * dx2) * dnr_inv
    v = (u - old_u).ravel()
    err = np.sqrt(np.dot(v, v))
secs = time.perf_counter() - t
result("laplace_numpy", n=n, iters=iters, seconds=secs, error=float(err))
