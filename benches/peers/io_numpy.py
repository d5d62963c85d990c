"""numpy.save and numpy.load of the array benches/io.rs saves, one process.

Usage: io_numpy.py mbytes dir [--cold]
The same values as gain's (i % 1000 as float64), the same directory; with
--cold the page cache is dropped before the load too (needs root).
"""
import os
import subprocess
import sys
import time

import numpy as np

from common import result

mbytes, where = int(sys.argv[1]), sys.argv[2]
cold = "--cold" in sys.argv[3:]
n = mbytes * (1 << 20) // 8
x = (np.arange(n) % 1000).astype(np.float64)
path = os.path.join(where, f"numpy-io-bench-{os.getpid()}.npy")
t = time.perf_counter()
np.save(path, x)
save = time.perf_counter() - t
t = time.perf_counter()
y = np.load(path)
load = time.perf_counter() - t
assert (y == x).all()
del y
fields = {}
if cold:
    subprocess.run(["sync"], check=True)
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3")
    t = time.perf_counter()
    y = np.load(path)
    fields["load_cold_s"] = time.perf_counter() - t
    del y
os.remove(path)
result("io_numpy", mbytes=mbytes, save_s=save, load_s=load, **fields)
