"""Shared helpers of the Python peers: gain's data, thread limits, results."""
import json
import os
import sys

import numpy as np


def points(n, d, seed):
    """The points gain's k-means generates: NumPy's Philox stream with key=seed."""
    return np.random.Generator(np.random.Philox(key=seed)).random((n, d))


def threads():
    return int(os.environ.get("PEER_THREADS", "2"))


def result(name, **fields):
    """Prints the line the bench runner reads (protocol in tools/bench):
    `BENCH {"program": name, ...fields}`, one JSON object."""
    print("BENCH " + json.dumps({"program": name, **fields}))
    sys.stdout.flush()
