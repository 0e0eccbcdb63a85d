from os import PathLike
from typing import Any, Callable, Dict, List, Optional, Union

from . import Model

__all__ = ["build"]

def build(
    target: Union[str, PathLike],
    client: Any,
    shards: Optional[int] = None,
    repair_rounds: bool = True,
    data: Optional[str] = None,
    on_round: Optional[Callable[[List[Dict[str, Any]]], None]] = None,
    **options: Any,
) -> Model:
    """A ticket of the target file built as tasks on a ``dask.distributed`` client; ``sslth.build``'s bytes."""
