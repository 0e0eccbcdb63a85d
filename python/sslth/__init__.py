"""sslth: sparse strong lottery tickets.

A trained network (the *target*) is approximated, within a certified error,
by a sparse subnetwork (the *ticket*) of a random network drawn from a
seekable generator, with no training (docs/THEORY.md in the repository).
This package is the Python face of the Rust library; the ``sslth`` command
line is the other, and both give the same bytes for the same seed. Each
function is the library's own (its docstring is written once, in
crates/sslth-py); results are plain dicts and lists typed in
:mod:`sslth.types`.

    import numpy as np, sslth
    target = sslth.from_torch(model.eval(), example_batch)  # any ReLU nn.Module, read as it runs
    ticket = sslth.build(target, k=4, weight_eps=0.01, seed=0)
    print(ticket.report["density"], ticket.report["certificate"]["bound"])  # sslth.types.BuildReport
    logits = ticket.forward(np.asarray(x, dtype=np.float32))
    ticket.save("ticket.safetensors", compact=True)
    model.load_state_dict(...)  # ticket.to_state_dict(): masked dense tensors

Functions raise ``FileNotFoundError``, ``PermissionError`` or ``OSError`` for
files that cannot be read or written, ``BuildRefused`` (a ``ValueError`` with
``misses`` and ``worst``) for a build that missed its tolerance,
``UnsupportedLayer`` (a ``ValueError``) for a network tickets are not built
of, and ``ValueError`` for other bad input, each with the command line's
one-line message, parameters named as here (``k``, not ``--k``). Long
work (``build``, ``frontier``, ``compare``, ``popup``, ``rfss.solve_batch``)
runs with the GIL released and stops on Ctrl-C with ``KeyboardInterrupt``
within about a second (at the next built row, training batch or chunk of
instances).
"""

from . import rfss, types
from ._sslth import (
    BuildRefused,
    Model,
    UnsupportedLayer,
    __version__,
    build,
    build_file,
    build_shard,
    compare,
    frontier,
    load,
    loads,
    merge,
    popup,
    target_from_state_dict,
    verify,
)
from .torch_interop import UnsupportedModelError, from_torch

__all__ = [
    "BuildRefused", "Model", "UnsupportedLayer", "UnsupportedModelError", "build", "build_file", "build_shard",
    "compare", "frontier", "from_torch", "load", "loads", "merge", "popup", "rfss", "target_from_state_dict", "types",
    "verify", "__version__"
]
