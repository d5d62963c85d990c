"""Time against rank count for each program of the application benchmarks.

Usage: plot_scaling.py scaling.tsv out.png
"""
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

rows = defaultdict(list)
for line in open(sys.argv[1]):
    name, ranks, seconds = line.split()
    rows[name].append((int(ranks), float(seconds)))

fig, axes = plt.subplots(1, len(rows), figsize=(4 * len(rows), 3.5), squeeze=False)
for ax, (name, pts) in zip(axes[0], sorted(rows.items())):
    pts.sort()
    r = [p[0] for p in pts]
    t = [p[1] for p in pts]
    ax.plot(r, t, "o-", label="measured")
    ax.plot(r, [t[0] / x for x in r], "--", color="gray", label="time / ranks")
    ax.set_title(name)
    ax.set_xlabel("MPI ranks")
    ax.set_ylabel("seconds")
    ax.set_xticks(r)
    ax.set_ylim(bottom=0)
    ax.legend()
fig.suptitle("gain: time against rank count (2-core machine)")
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=100)
print(f"wrote {sys.argv[2]}")
