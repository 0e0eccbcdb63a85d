from os import PathLike
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt

from . import rfss as rfss

__version__: str

class Model:
    """A target or a ticket, loaded from a file or built."""

    @property
    def kind(self) -> str:
        """``"target"``, ``"ticket"`` or ``"compact ticket"``."""
    @property
    def d_in(self) -> int:
        """Values per input row."""
    @property
    def input_scale(self) -> Optional[float]:
        """Raw input times this is the network's input, if recorded."""
    @property
    def meta(self) -> Dict[str, Any]:
        """A ticket's file metadata (docs/FORMAT.md); ValueError for a target."""
    @property
    def report(self) -> Optional[Dict[str, Any]]:
        """For a ticket built here: plan, density, edges, misses, certificate, comparison."""
    def forward(self, x: npt.ArrayLike, scaled: bool = False) -> npt.NDArray[np.float32]:
        """Logits ``[rows, classes]`` for rows ``[rows, d_in]``, images ``[rows, C, H, W]``
        or sets ``[rows, N, F]``, any array-like; raw inputs are multiplied by ``input_scale`` unless ``scaled``
        (as ``sslth predict --scaled``); non-finite values raise ValueError; threads may share a model."""
    def to_bytes(self, compact: bool = False) -> bytes:
        """The bytes ``save`` writes (``sslth.loads`` reads them back); a ``Model`` pickles as them."""
    def save(self, path: Union[str, PathLike], compact: bool = False, force: bool = False) -> None:
        """Write the ticket (full or compact) or the target (with its architecture) atomically; FileExistsError unless ``force``."""
    def to_state_dict(self) -> Dict[str, npt.NDArray[np.float32]]:
        """The ticket as masked dense tensors of an ``nn.Sequential`` (Linear/Conv2d/set layers, ReLU; not version 4)."""
    def to_torch(self) -> Any:
        """A ``torch.nn.Module`` computing this target or ticket (same layer kinds, pruned weights zero)."""

def load(path: Union[str, PathLike], input_shape: Optional[Sequence[int]] = None) -> Model:
    """Read a target or a ticket; ``input_shape`` (``(C, H, W)`` or ``(N, F)``) is checked against a target's input.

    A dense compact ticket of subset streams (what ``sslth build --compact`` writes) stays streamed: ``forward``
    never holds its kept edges (same logits, bit for bit); ``save`` and ``to_state_dict`` read it whole."""

def loads(data: bytes) -> Model:
    """A target or ticket from the bytes of its file (``Model.to_bytes``)."""

def target_from_state_dict(
    state_dict: Mapping[str, Any],
    input_shape: Optional[Sequence[int]] = None,
    input_scale: Optional[float] = None,
    architecture: Optional[Mapping[str, Any]] = None,
) -> Model:
    """A target from a ``state_dict``; without ``architecture`` only a ``Linear``/ReLU ``nn.Sequential`` is read."""

class BuildRefused(ValueError):
    """A build that missed its tolerance; nothing was written."""

    misses: int
    """RFSS instances that missed (0 when the certified error exceeded ``eps``)."""
    worst: float
    """The worst error: a multiple of the weight tolerance, or the certified error."""

class UnsupportedLayer(ValueError):
    """A network with a layer or a structure tickets are not built of."""

class UnsupportedModelError(UnsupportedLayer):
    """A module or call ``from_torch`` cannot read exactly (a one-line message naming it)."""

def from_torch(model: Any, example_input: Any, input_scale: Optional[float] = None) -> Model:
    """A target from a ``torch.nn.Module`` in eval mode, read from its forward pass (``torch.fx``)."""

def build(
    target: Model,
    k: Optional[int] = None,
    density: Optional[float] = None,
    weight_eps: Optional[float] = None,
    eps: Optional[float] = None,
    nonneg_input: bool = False,
    seed: int = 0,
    scale: Optional[float] = None,
    n: Optional[int] = None,
    accept_over_eps: bool = False,
    accept_misses: bool = False,
    data: Optional[str] = None,
) -> Model:
    """Build a ticket of ``target`` (``sslth build``); the same arguments give the CLI's file."""

def build_file(
    target: Model,
    path: Union[str, PathLike],
    compact: bool = False,
    force: bool = False,
    k: Optional[int] = None,
    density: Optional[float] = None,
    weight_eps: Optional[float] = None,
    eps: Optional[float] = None,
    nonneg_input: bool = False,
    seed: int = 0,
    scale: Optional[float] = None,
    n: Optional[int] = None,
    accept_over_eps: bool = False,
    accept_misses: bool = False,
) -> Dict[str, Any]:
    """The ticket built on no data, written to ``path`` (``sslth build --data none``) without holding its kept edges: the report."""

def build_shard(
    target: Model,
    shard: Sequence[int],
    after: Sequence[bytes] = (),
    k: Optional[int] = None,
    density: Optional[float] = None,
    weight_eps: Optional[float] = None,
    eps: Optional[float] = None,
    nonneg_input: bool = False,
    seed: int = 0,
    scale: Optional[float] = None,
    n: Optional[int] = None,
    accept_over_eps: bool = False,
    accept_misses: bool = False,
) -> "tuple[bytes, Dict[str, Any]]":
    """Share ``(I, N)`` of a build (``sslth build --shard I/N [--after]``): the shard file's bytes and a report."""

def merge(target: Model, shards: Sequence[bytes], data: Optional[str] = None) -> Model:
    """The ticket ``build`` makes, from every share of every round of one build (``sslth merge``)."""

def frontier(
    target: Model,
    ks: Sequence[int] = (1, 2, 3, 4, 6, 8, 12, 16),
    ns: Sequence[int] = (),
    weight_eps: Sequence[float] = (0.01,),
    inputs: Sequence[str] = ("signed",),
    seed: int = 0,
    data: Optional[str] = None,
) -> Dict[str, Any]:
    """Tickets of ``target`` per input assumption ("signed", "nonneg"), tolerance and k, at the
    measured rule's n and each n of ``ns``: ``rows`` (``on_front`` marks the Pareto front),
    ``target_weights``, ``theory`` (Theorem 2 and 5 curves per assumption and tolerance)."""

def compare(
    arch: Sequence[int],
    data: str = "digits",
    target_epochs: int = 20,
    densities: Sequence[float] = (0.5, 0.3, 0.1, 0.05, 0.01),
    widths: Sequence[int] = (1, 2, 4),
    laws: Sequence[str] = ("uniform", "signed-constant"),
    popup_epochs: int = 20,
    lrs: Sequence[float] = (0.1, 0.01, 0.001),
    tune_epochs: Optional[int] = None,
    seeds: int = 3,
    weight_eps: float = 0.01,
    popup_max_edges: int = 5_000_000,
    seed: int = 0,
) -> List[Dict[str, Any]]:
    """A target, constructed tickets and edge-popup tickets (every popup network after the
    same learning-rate search) at the same densities, as rows: test accuracy as the mean,
    ``accuracy_sd``, ``accuracy_min`` and ``accuracy_max`` over ``seeds`` seeds."""

def popup(
    data: str = "digits",
    widths: Optional[Sequence[int]] = None,
    weights: str = "uniform",
    density: float = 0.5,
    epochs: int = 20,
    lr: float = 0.1,
    momentum: float = 0.9,
    weight_decay: float = 5e-4,
    batch: int = 128,
    logit_scale: Optional[float] = None,
    seed: int = 0,
) -> Model:
    """Edge-popup in a random MLP; the ticket, with its test accuracy in ``report``."""
def verify(
    ticket: Union[str, PathLike],
    target: Optional[Union[str, PathLike]] = None,
    data: Optional[str] = None,
    attack: bool = False,
    starts: int = 32,
    steps: int = 40,
) -> Dict[str, Any]:
    """A ticket file checked (``sslth verify``); the report's ``passed`` says whether everything holds."""
