"""Throughput of sslth.rfss.solve_batch from Python, on
the instances of the library's benchmark (crates/rfss/benches/throughput.rs):
n = 16, k = n/4 = 4, mode within, eps 0.01, product samples U[0,1]·U[-1,1],
targets uniform in [-0.4, 0.4]; and on harder ones (uniform samples and
targets in [-1, 1], eps 1e-3, a third of them proved "none"). The arrays are
already in memory; the median of 5 runs of 1,000,000 instances on all
cores, and on one thread.
    python bench/python_throughput.py   (with the package installed)"""

import statistics
import time

import numpy as np

from sslth import rfss

m, n, k = 1_000_000, 16, 4
rng = np.random.default_rng(0)
cases = {
    "product, eps 0.01, |z| <= 0.4": (rng.uniform(0, 1, (m, n)) * rng.uniform(-1, 1, (m, n)),
                                      rng.uniform(-0.4, 0.4, m), 0.01),
    "uniform, eps 1e-3, |z| <= 1": (rng.uniform(-1, 1, (m, n)), rng.uniform(-1, 1, m), 1e-3),
}
for name, (samples, targets, eps) in cases.items():
    for threads in (None, 1):
        times = []
        for _ in range(5):
            t = time.perf_counter()
            b = rfss.solve_batch(samples, k, targets, eps, threads=threads)
            times.append(time.perf_counter() - t)
        med = statistics.median(times)
        print(f"{name}, threads {threads or 'all'}: median {med:.3f} s for {m} instances = "
              f"{m / med / 1e6:.2f} M instances/s (found {np.mean(b.status == 1):.3f})")
