"""The exact Random Fixed-Size Subset Sum solver and the paper's bounds.

Pick exactly ``k`` of the ``n`` samples whose sum is within ``eps`` of
``target`` (mode ``"within"``), or a provably closest ``k``-subset (mode
``"best"``). Answers are exact: ``found``, ``none`` (proved) or ``unknown``
(only when ``max_nodes`` or ``time_limit`` ran out).
"""

from typing import NamedTuple, Optional

import numpy as np

from . import _sslth
from ._sslth import bounds, corollary1_n, corollary2_n, theorem2_n, theorem3, theorem4_n, theorem5_n

__all__ = ["Answer", "Batch", "bounds", "solve", "solve_batch", "theorem2_n", "corollary1_n", "corollary2_n", "theorem3",
           "theorem4_n", "theorem5_n", "FOUND", "NONE", "UNKNOWN"]

#: Status codes of :func:`solve_batch`.
FOUND, NONE, UNKNOWN = 1, 0, -1


class Answer(NamedTuple):
    """One solve: status ``"found"``/``"none"``/``"unknown"``, the subset
    (0-based indices, ascending), its sum and gap (recomputed with
    compensated summation), and whether no ``k``-subset is closer."""
    status: str
    subset: np.ndarray
    sum: float
    gap: float
    optimal: bool


class Batch(NamedTuple):
    """Many solves: status codes (1 found, 0 none, -1 unknown), subsets
    ``[m, k]``, sums, gaps, optimal. A ``none`` row holds the closest
    k-subset (its gap above ``eps``; ``optimal`` says it is proved
    closest). ``solve_batch`` runs with no budget, so every row gets one;
    -1 would mark a row whose solve returned no subset."""
    status: np.ndarray
    subsets: np.ndarray
    sums: np.ndarray
    gaps: np.ndarray
    optimal: np.ndarray


def solve(samples, k: int, target: float, eps: float, mode: str = "within", max_nodes: Optional[int] = None,
          time_limit: Optional[float] = None) -> Answer:
    """Solve one instance (see the module docs)."""
    samples = np.ascontiguousarray(samples, dtype=np.float64)
    return Answer(*_sslth.rfss_solve(samples, k, target, eps, mode, max_nodes, time_limit))


def solve_batch(samples, k: int, targets, eps: float, mode: str = "within", threads: Optional[int] = None) -> Batch:
    """Solve one instance per row of ``samples`` ``[m, n]`` against
    ``targets`` ``[m]``, in parallel with the GIL released (``threads``:
    default all cores). Answers do not depend on the thread count and equal
    ``sslth rfss solve --batch``'s; Ctrl-C stops between chunks of 65,536
    instances."""
    samples = np.ascontiguousarray(samples, dtype=np.float64)
    targets = np.ascontiguousarray(targets, dtype=np.float64)
    if samples.ndim != 2 or targets.ndim != 1:
        raise ValueError(f"samples must be [m, n] and targets [m], got {samples.shape} and {targets.shape}")
    return Batch(*_sslth.rfss_solve_batch(samples, k, targets, eps, mode, threads))
