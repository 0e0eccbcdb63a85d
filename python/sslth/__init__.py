"""sslth: sparse strong lottery tickets.

A trained network (the *target*) is approximated, within a certified error,
by a sparse subnetwork (the *ticket*) of a random network drawn from a
seekable generator, with no training (docs/THEORY.md in the repository).
This package is the Python face of the Rust library; the ``sslth`` command
line is the other, and both give the same bytes for the same seed.

    import numpy as np, sslth
    target = sslth.from_torch(model.eval(), example_batch)  # any ReLU nn.Module, read as it runs
    ticket = sslth.build(target, k=4, weight_eps=0.01, seed=0)
    print(ticket.report["density"], ticket.report["certificate"]["bound"])
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

import json

from . import rfss
from ._sslth import BuildRefused, Model, UnsupportedLayer, __version__
from ._sslth import build as _build
from ._sslth import build_file as _build_file
from ._sslth import build_shard as _build_shard
from ._sslth import compare as _compare
from ._sslth import frontier as _frontier
from ._sslth import popup as _popup
from ._sslth import load as _load
from ._sslth import loads
from ._sslth import merge as _merge
from ._sslth import target_from_state_dict as _target_from_state_dict
from ._sslth import verify as _verify
from .torch_interop import UnsupportedModelError, from_torch

__all__ = [
    "BuildRefused", "Model", "UnsupportedLayer", "UnsupportedModelError", "build", "build_file", "build_shard", "compare", "frontier", "from_torch", "load", "loads", "merge",
    "popup", "rfss", "target_from_state_dict", "verify", "__version__"
]


def load(path, input_shape=None):
    """Read a target or a ticket (full or compact, any version) from a file.

    ``input_shape`` (``(C, H, W)`` or ``(N, F)``, the data's layout) is
    checked against a target's input.
    """
    return _load(str(path), None if input_shape is None else list(input_shape))


def target_from_state_dict(state_dict, input_shape=None, input_scale=None, architecture=None):
    """A target from a ``state_dict`` of numpy arrays (or torch tensors).

    Without ``architecture`` only a ``Linear``/ReLU ``nn.Sequential``
    (``{i}.weight`` ``[out, in]``, ``{i}.bias``) is read: a state_dict does
    not say a convolution's padding or stride, a pooling or an activation,
    so convolution and set tensors are refused; import such a model with
    :func:`from_torch`. ``architecture`` (a dict, docs/FORMAT.md
    "Architecture") says every layer; ``input_shape`` (``(C, H, W)`` or
    ``(N, F)``) is checked against the target's input; ``input_scale`` (raw
    input times it is the network's input) is recorded in tickets.
    """
    arrays = {}
    for name, value in state_dict.items():
        if hasattr(value, "detach"):  # a torch tensor
            value = value.detach().cpu().numpy()
        arrays[name] = value
    shape = None if input_shape is None else list(input_shape)
    arch = None if architecture is None else json.dumps(architecture)
    return _target_from_state_dict(arrays, shape, input_scale, arch)


def build(target, k=None, density=None, weight_eps=None, eps=None, nonneg_input=False, seed=0, scale=None,
          n=None, accept_over_eps=False, accept_misses=False, data=None):
    """Build a ticket of ``target`` inside a random network (``sslth build``).

    Give ``weight_eps`` (each weight's tolerance) or ``eps`` (a bound on the
    network's error over the unit ball), and ``k`` (kept edges per RFSS
    instance) or ``density`` (fraction of edges KEPT, default 0.1). The
    ticket's ``report`` holds the plan, density, kept and random edges,
    misses and certificate, and, measured on the test rows of ``data``
    (default: the data set the target's file records; ``"none"``: not
    measured), accuracy and agreement, and ``tight_certificate``: the
    largest logit error over the data's box of valid inputs (``bound``) and
    the share of test rows whose prediction provably carries over
    (``certified_agreement``). Every weight is within its
    tolerance: an RFSS instance that misses makes the build raise that
    layer's n and rebuild it, and one still missing fails the build unless
    ``accept_misses``. The same arguments give the same file as ``sslth
    build``.
    """
    return _build(target, k, density, weight_eps, eps, nonneg_input, seed, scale, n, accept_over_eps, accept_misses,
                  data)


def build_file(target, path, compact=False, force=False, k=None, density=None, weight_eps=None, eps=None,
               nonneg_input=False, seed=0, scale=None, n=None, accept_over_eps=False, accept_misses=False):
    """Build the ticket of ``target`` on no data and write it to ``path``
    (full, or ``compact``), with the options of :func:`build`
    (``sslth build --data none``).

    The ticket is held as its instances' choices rather than its kept
    edges while it is built and written, so memory does not grow with them
    (a target of 10^8 weights); the file's bytes are those of
    ``build(target, ..., data="none").save(path, compact=compact)``. An
    existing ``path`` needs ``force=True``. Returns the report dict.
    """
    return _build_file(target, str(path), compact=compact, force=force, k=k, density=density, weight_eps=weight_eps,
                       eps=eps, nonneg_input=nonneg_input, seed=seed, scale=scale, n=n,
                       accept_over_eps=accept_over_eps, accept_misses=accept_misses)


def build_shard(target, shard, after=(), k=None, density=None, weight_eps=None, eps=None, nonneg_input=False, seed=0,
                scale=None, n=None, accept_over_eps=False, accept_misses=False):
    """Build share ``shard = (I, N)`` (0 <= I < N) of a build of ``target``
    with the options of :func:`build` (``sslth build --shard I/N``).

    The rows of the pairs are cut into N runs of equal cost; share I builds
    run I. Returns ``(shard_bytes, report)``: the bytes of the shard file
    (docs/FORMAT.md) and a dict (``round``, ``attempts`` built as
    ``{"pair", "n"}``, ``rows``, ``rfss_instances``, ``rfss_misses``,
    ``kept_edges``, ``build_seconds``, ``file_bytes``). With ``after`` (the
    bytes of every shard of all earlier rounds) it builds the next round:
    the pairs that missed, again at a larger n, as a one-machine build
    repairs them; a round with nothing to repair has no ``attempts``.
    :func:`merge` joins the shares; :func:`sslth.dask.build` runs them on a
    Dask cluster.
    """
    return _build_shard(target, tuple(shard), after=[bytes(a) for a in after], k=k, density=density,
                        weight_eps=weight_eps, eps=eps, nonneg_input=nonneg_input, seed=seed, scale=scale, n=n,
                        accept_over_eps=accept_over_eps, accept_misses=accept_misses)


def merge(target, shards, data=None):
    """The ticket :func:`build` makes, from the shard files ``shards``
    (bytes of every share of every round of one build of ``target``, any
    order; ``sslth merge``): byte for byte the same file once saved. Pairs
    still to repair after the last round are built here. ``data`` as in
    :func:`build`.
    """
    return _merge(target, [bytes(s) for s in shards], data=data)


def frontier(target, ks=(1, 2, 3, 4, 6, 8, 12, 16), ns=(), weight_eps=(0.01,), inputs=("signed",), seed=0,
             data=None):
    """Tickets of ``target`` (``sslth frontier``) for each input assumption
    in ``inputs`` (``"signed"``, ``"nonneg"``), tolerance in ``weight_eps``
    and subset size in ``ks``, each at the n of the measured rule and at
    every n of ``ns`` (misses counted, not repaired).

    Returns a dict: ``rows`` (one dict per ticket built: input assumption,
    tolerance, k, n per layer, whether n came from the rule, density, kept
    and random edges per target weight, misses, compact bits per weight
    beside Theorem 5's floor, accuracies, agreement, errors, build seconds,
    and ``on_front``: on its input assumption's Pareto front in (kept, block
    random) per weight among the tickets with no miss and at least 99.5%
    agreement), ``target_weights``, and ``theory``: per input assumption and
    tolerance the ``theorem2``/``theorem5`` curves as (kept, block random)
    per target weight for k = 1..32.
    """
    return _frontier(target, ks=list(ks), ns=list(ns), weight_eps=list(weight_eps), inputs=list(inputs), seed=seed,
                     data=data)


def compare(arch, data="digits", target_epochs=20, densities=(0.5, 0.3, 0.1, 0.05, 0.01), widths=(1, 2, 4),
            laws=("uniform", "signed-constant"), popup_epochs=20, lrs=(0.1, 0.01, 0.001), tune_epochs=None, seeds=3,
            weight_eps=0.01, popup_max_edges=5_000_000, seed=0):
    """A target of widths ``arch`` trained on ``data``, its constructed
    tickets and edge-popup tickets at the same densities (``sslth
    compare``): every popup network (each width in ``widths`` and weight law
    in ``laws``, and the construction's own network) gets the same
    learning-rate search over ``lrs`` (``tune_epochs`` epochs each, default
    ``popup_epochs``, on nine tenths of the training rows, scored on the
    last tenth), and every cell runs ``seeds`` seeds. Returns the rows as
    dicts (method, law, asked_density, density, random_edges, kept_edges,
    kept_per_target_weight, runs, test_accuracy (the mean), accuracy_sd,
    accuracy_min, accuracy_max, seconds, compact_bytes, note)."""
    return _compare(list(arch), data=data, target_epochs=target_epochs, densities=list(densities),
                    widths=list(widths), laws=list(laws), popup_epochs=popup_epochs, lrs=list(lrs),
                    tune_epochs=tune_epochs, seeds=seeds, weight_eps=weight_eps, popup_max_edges=popup_max_edges,
                    seed=seed)


def popup(data="digits", widths=None, weights="uniform", density=0.5, epochs=20, lr=0.1, momentum=0.9,
          weight_decay=5e-4, batch=128, logit_scale=None, seed=0):
    """Edge-popup (``sslth popup``): train scores in a random MLP of the
    generator (``widths``, default inputs-300-100-classes; ``weights``
    ``"uniform"`` or ``"signed-constant"``) and keep the top ``density`` of
    each layer. Returns the ticket; its ``report`` has the test accuracy."""
    return _popup(data, None if widths is None else list(widths), weights, density, epochs, lr, momentum,
                  weight_decay, batch, logit_scale, seed)


def verify(ticket, target=None, data=None, attack=False, starts=32, steps=40):
    """Check a ticket file (``sslth verify``): every kept weight regenerated
    from the seed and the density; with ``target`` (a path), both
    certificates recomputed from the file's kept edges, the tight one over
    the box of ``data`` (default: the data the ticket records) with its
    certified agreement; with ``attack``, projected gradient ascent from
    ``starts`` points for ``steps`` steps looks for a larger error. Returns
    the report as a dict; ``report["passed"]`` is False if anything does
    not hold (a mismatched weight, a certificate above the recorded one,
    an attack above the tight bound)."""
    return _verify(str(ticket), None if target is None else str(target), data, attack, starts, steps)
