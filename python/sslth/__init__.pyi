# Type stubs of the package. Signatures only: every docstring is the
# runtime's own (written once, in crates/sslth-py), and CI checks these
# signatures against the runtime with mypy's stubtest.
from os import PathLike
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

from typing_extensions import Unpack, final

from . import rfss as rfss
from . import types as types
from .torch_interop import UnsupportedModelError as UnsupportedModelError
from .torch_interop import from_torch as from_torch
from .types import BuildOptions, BuildReport, CompareRow, Frontier, ShardReport, TicketMeta, VerifyReport

__all__ = [
    "BuildRefused", "Model", "UnsupportedLayer", "UnsupportedModelError", "build", "build_file", "build_shard",
    "compare", "frontier", "from_torch", "load", "loads", "merge", "popup", "rfss", "target_from_state_dict", "types",
    "verify", "__version__"
]
__version__: str

_Path = Union[str, PathLike[str]]

@final
class Model:
    @property
    def kind(self) -> str: ...
    @property
    def d_in(self) -> int: ...
    @property
    def input_scale(self) -> Optional[float]: ...
    @property
    def meta(self) -> TicketMeta: ...
    @property
    def report(self) -> Optional[Any]: ...
    def forward(self, x: npt.ArrayLike, scaled: bool = False) -> npt.NDArray[np.float32]: ...
    def to_bytes(self, compact: bool = False) -> bytes: ...
    def save(self, path: _Path, compact: bool = False, force: bool = False) -> None: ...
    def to_state_dict(self) -> Dict[str, npt.NDArray[np.float32]]: ...
    def to_torch(self) -> Any: ...
    def __reduce__(self) -> Any: ...

class BuildRefused(ValueError):
    misses: int
    worst: float

class UnsupportedLayer(ValueError): ...

def load(path: _Path, input_shape: Optional[Sequence[int]] = None) -> Model: ...
def loads(data: bytes) -> Model: ...
def target_from_state_dict(
    state_dict: Mapping[str, Any],
    input_shape: Optional[Sequence[int]] = None,
    input_scale: Optional[float] = None,
    architecture: Optional[Mapping[str, Any]] = None,
) -> Model: ...
def build(target: Model, *, data: Optional[str] = None, **options: Unpack[BuildOptions]) -> Model: ...
def build_file(
    target: Model, path: _Path, *, compact: bool = False, force: bool = False, **options: Unpack[BuildOptions]
) -> BuildReport: ...
def build_shard(
    target: Model, shard: Tuple[int, int], *, after: Sequence[bytes] = ..., **options: Unpack[BuildOptions]
) -> Tuple[bytes, ShardReport]: ...
def merge(target: Model, shards: Sequence[bytes], data: Optional[str] = None) -> Model: ...
def frontier(
    target: Model,
    ks: Sequence[int] = ...,
    ns: Sequence[int] = ...,
    weight_eps: Sequence[float] = ...,
    inputs: Sequence[str] = ...,
    scale_quantiles: Sequence[float] = ...,
    seed: int = 0,
    data: Optional[str] = None,
) -> Frontier: ...
def compare(
    arch: Sequence[int],
    data: str = "digits",
    target_epochs: int = 20,
    densities: Sequence[float] = ...,
    widths: Sequence[int] = ...,
    laws: Sequence[str] = ...,
    popup_epochs: int = 20,
    lrs: Sequence[float] = ...,
    tune_epochs: Optional[int] = None,
    seeds: int = 3,
    weight_eps: float = 0.01,
    popup_max_edges: int = 5000000,
    seed: int = 0,
) -> List[CompareRow]: ...
def popup(
    data: str = "digits",
    widths: Optional[Sequence[int]] = None,
    weights: str = "uniform",
    density: float = 0.5,
    epochs: int = 20,
    lr: float = 0.1,
    momentum: float = 0.9,
    weight_decay: float = 0.0005,
    batch: int = 128,
    logit_scale: Optional[float] = None,
    seed: int = 0,
) -> Model: ...
def verify(
    ticket: _Path,
    target: Optional[_Path] = None,
    data: Optional[str] = None,
    attack: bool = False,
    starts: int = 32,
    steps: int = 40,
    radius: Optional[float] = None,
    local_rows: Optional[int] = None,
    walk_budget: Optional[int] = None,
) -> VerifyReport: ...
