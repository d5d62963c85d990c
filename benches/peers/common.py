"""Shared helpers of the Python peers: gain's data, thread limits, timing."""
import os
import sys

import numpy as np


def points(n, d, seed):
    """The points gain's k-means generates: NumPy's Philox stream with key=seed."""
    return np.random.Generator(np.random.Philox(key=seed)).random((n, d))


def threads():
    return int(os.environ.get("PEER_THREADS", "2"))


def result(name, **fields):
    print("RESULT " + name + " " + " ".join(f"{k}={v}" for k, v in fields.items()))
    sys.stdout.flush()
