from typing import Any, Dict, Mapping, Optional, Tuple

from . import Model, UnsupportedLayer

SUPPORTED: str
ADDS: Tuple[Any, ...]

class UnsupportedModelError(UnsupportedLayer): ...

def from_torch(model: Any, example_input: Any, input_scale: Optional[float] = None) -> Model: ...
def module_from_architecture(architecture: Mapping[str, Any], tensors: Dict[str, Any]) -> Any: ...
