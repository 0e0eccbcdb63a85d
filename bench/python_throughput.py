"""Throughput of sslth.rfss.solve_batch from Python (issue 17, item 7):
n = 16, k = 4, mode within, eps 1e-3, samples and targets Uniform[-1, 1],
the arrays already in memory; the median of 5 runs of 1,000,000 instances
on all cores, and on one thread.
    python bench/python_throughput.py   (with the package installed)"""

import statistics
import time

import numpy as np

from sslth import rfss

m, n, k, eps = 1_000_000, 16, 4, 1e-3
rng = np.random.default_rng(0)
samples, targets = rng.uniform(-1, 1, (m, n)), rng.uniform(-1, 1, m)
for threads in (None, 1):
    times = []
    for _ in range(5):
        t = time.perf_counter()
        b = rfss.solve_batch(samples, k, targets, eps, threads=threads)
        times.append(time.perf_counter() - t)
    med = statistics.median(times)
    print(f"threads {threads or 'all'}: median {med:.3f} s for {m} instances = {m / med / 1e6:.2f} M instances/s "
          f"(found {np.mean(b.status == 1):.3f})")
