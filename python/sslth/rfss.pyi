from typing import List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
import numpy.typing as npt

from . import Model
from .types import Bounds, Theorem3Layer

__all__ = ["Answer", "Batch", "bounds", "solve", "solve_batch", "theorem2_n", "corollary1_n", "corollary2_n", "theorem3",
           "theorem4_n", "theorem5_n", "FOUND", "NONE", "UNKNOWN"]

FOUND: int
NONE: int
UNKNOWN: int

class Answer(NamedTuple):
    status: str
    subset: npt.NDArray[np.int64]
    sum: float
    gap: float
    optimal: bool

class Batch(NamedTuple):
    status: npt.NDArray[np.int8]
    subsets: npt.NDArray[np.int64]
    sums: npt.NDArray[np.float64]
    gaps: npt.NDArray[np.float64]
    optimal: npt.NDArray[np.bool_]

def solve(
    samples: npt.ArrayLike,
    k: int,
    target: float,
    eps: float,
    mode: str = "within",
    max_nodes: Optional[int] = None,
    time_limit: Optional[float] = None,
) -> Answer:
    """One instance: a k-subset within eps of target (``"within"``) or a closest one (``"best"``)."""

def solve_batch(
    samples: npt.ArrayLike, k: int, targets: npt.ArrayLike, eps: float, mode: str = "within",
    threads: Optional[int] = None,
) -> Batch:
    """One instance per row, in parallel; status codes 1 found, 0 none, -1 unknown."""

def theorem2_n(k: int, eps: float, c: float = 1.0) -> int: ...
def corollary1_n(k: int, eps: float, c_amp: float = 1.0) -> int: ...
def corollary2_n(k: int, eps: float, c_amp: float = 1.0) -> Tuple[int, bool]: ...
def theorem5_n(k: int, eps: float, d: int = 1) -> int: ...
def theorem4_n(
    layers: int, spaces: int, basis_size: int, basis_norm: float, gamma: float, eps: float, c_amp: float = 1.0
) -> float: ...
def theorem3(widths: List[int], eps: float, gamma_prime: float, c_amp: float = 1.0) -> List[Theorem3Layer]: ...
def bounds(
    k: int,
    eps: float,
    n: Optional[int] = None,
    density: Optional[float] = None,
    c: float = 1.0,
    c_amp: float = 1.0,
    d: int = 1,
    target: float = 0.0,
    widths: Optional[Sequence[int]] = None,
    gamma_prime: float = 0.25,
    network: Optional[Model] = None,
) -> Bounds: ...
