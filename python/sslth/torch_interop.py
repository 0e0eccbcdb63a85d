"""Reading a ``torch.nn.Module`` as it really runs (``sslth.from_torch``).

The module is traced with ``torch.fx`` (its forward pass as a graph of
module calls, functions and methods), the shapes of every value are
propagated from the example input, and each node is translated into a
layer of the architecture docs/FORMAT.md specifies. Nothing is guessed:
every setting (padding size and mode, stride, dilation, pooling windows)
is read from the module or the call, and anything else is refused with
one line naming the module's path and class. The target is then checked
against running the module on the example input.

This module only converts: the layers' meaning, batch-norm folding and
every check of shapes live in the Rust library (``Network::
from_architecture``), which the command line shares.
"""

import operator

import numpy as np

from ._sslth import UnsupportedLayer

SUPPORTED = ("tickets need ReLU networks of Linear, Conv2d, BatchNorm1d/2d, Dropout, Flatten/view/reshape, ReLU, "
             "MaxPool2d, AvgPool2d, AdaptiveMaxPool2d, AdaptiveAvgPool2d, DeepSets set layers and residual blocks")


class UnsupportedModelError(UnsupportedLayer):
    """A module or call sslth cannot read exactly (its message is one line)."""


def _pair(v):
    return [int(v), int(v)] if isinstance(v, int) else [int(x) for x in v]


def _owner(node):
    """``model.PATH (Class): `` for the module whose forward made a
    function or method call, from torch.fx's module stack; empty at the
    top."""
    stack = node.meta.get("nn_module_stack") or {}
    if not stack:
        return ""
    path, cls = list(stack.values())[-1]
    return f"model.{path} ({getattr(cls, '__name__', cls)}): "


def _is_set_layer(torch, m):
    """The DeepSets layer of docs/FORMAT.md: children ``identity`` and
    ``mean``, both ``nn.Linear``, ``mean`` without bias."""
    kids = dict(m.named_children())
    return (set(kids) == {"identity", "mean"} and all(isinstance(k, torch.nn.Linear) for k in kids.values())
            and kids["mean"].bias is None)


def _bind(args, kwargs, names, defaults):
    """Positional and keyword arguments of a call, by name."""
    out = dict(defaults)
    out.update(zip(names, args))
    out.update(kwargs)
    return out


class _Reader:
    def __init__(self, torch, gm, prefix="", tensors=None):
        self.torch, self.gm, self.prefix = torch, gm, prefix
        self.modules = dict(gm.named_modules())
        self.layers, self.tensors = [], {} if tensors is None else tensors

    def refuse(self, node, what):
        raise UnsupportedModelError(f"{what}: {SUPPORTED}")

    def add(self, layer, **tensors):
        i = len(self.layers)
        self.layers.append(layer)
        for name, t in tensors.items():
            if t is not None:
                self.tensors[f"{self.prefix}{i}.{name}"] = t.detach().cpu().numpy().astype(np.float32)

    def module(self, node, shape_in, shape_out):
        nn = self.torch.nn
        m = self.modules[node.target]
        where = f"model.{node.target} ({type(m).__name__})"
        if isinstance(m, nn.Linear):
            self.add({"layer": "linear", "in_features": m.in_features, "out_features": m.out_features,
                      "bias": m.bias is not None}, weight=m.weight, bias=m.bias)
        elif isinstance(m, nn.Conv2d):
            if m.groups != 1:
                self.refuse(node, f"{where} has groups={m.groups}; grouped convolutions are not read")
            kernel, dilation = _pair(m.kernel_size), _pair(m.dilation)
            padding = m.padding
            if padding == "valid":
                padding = [0, 0]
            elif padding == "same":
                total = [d * (k - 1) for d, k in zip(dilation, kernel)]
                if any(t % 2 for t in total):
                    self.refuse(node, f"{where} pads 'same' unevenly (an even kernel span); give the padding as numbers")
                padding = [t // 2 for t in total]
            self.add({"layer": "conv2d", "in_channels": m.in_channels, "out_channels": m.out_channels,
                      "kernel": kernel, "stride": _pair(m.stride), "padding": _pair(padding), "dilation": dilation,
                      "padding_mode": m.padding_mode, "bias": m.bias is not None}, weight=m.weight, bias=m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            if m.running_mean is None or m.running_var is None:
                self.refuse(node, f"{where} keeps no running statistics (track_running_stats=False), so it "
                            "normalises by the batch")
            n = m.num_features
            ones, zeros = self.torch.ones(n), self.torch.zeros(n)
            self.add({"layer": "batch_norm", "features": n, "eps": float(m.eps)},
                     weight=m.weight if m.weight is not None else ones, bias=m.bias if m.bias is not None else zeros,
                     running_mean=m.running_mean, running_var=m.running_var)
        elif isinstance(m, nn.ReLU):
            self.add({"layer": "relu"})
        elif isinstance(m, (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Identity)):
            pass  # identity in eval mode
        elif isinstance(m, nn.Flatten):
            self.flatten(node, shape_in, shape_out, where)
        elif isinstance(m, nn.MaxPool2d):
            if m.ceil_mode or m.return_indices:
                self.refuse(node, f"{where} has ceil_mode or return_indices set")
            self.max_pool(m.kernel_size, m.stride, m.padding, m.dilation)
        elif isinstance(m, nn.AvgPool2d):
            if m.ceil_mode or m.divisor_override is not None:
                self.refuse(node, f"{where} has ceil_mode or divisor_override set")
            self.avg_pool(m.kernel_size, m.stride, m.padding, m.count_include_pad)
        elif isinstance(m, nn.AdaptiveAvgPool2d):
            self.adaptive("adaptive_avg_pool2d", m.output_size, shape_in)
        elif isinstance(m, nn.AdaptiveMaxPool2d):
            if m.return_indices:
                self.refuse(node, f"{where} returns indices")
            self.adaptive("adaptive_max_pool2d", m.output_size, shape_in)
        elif _is_set_layer(self.torch, m):
            if len(shape_in) != 3:
                self.refuse(node, f"{where} is a set layer but receives shape {list(shape_in)}, not [batch, N, F]")
            self.add({"layer": "set", "in_features": m.identity.in_features, "out_features": m.identity.out_features,
                      "bias": m.identity.bias is not None},
                     **{"identity.weight": m.identity.weight, "identity.bias": m.identity.bias,
                        "mean.weight": m.mean.weight})
        else:
            self.refuse(node, f"{where} is not a layer sslth reads")

    def flatten(self, node, shape_in, shape_out, where):
        if len(shape_out) != 2 or shape_out[0] != shape_in[0]:
            self.refuse(node, f"{where} reshapes {list(shape_in)} to {list(shape_out)}; only flattening each example "
                        "to a vector is read")
        if len(shape_in) > 2:
            self.add({"layer": "flatten"})

    def max_pool(self, kernel, stride, padding, dilation):
        self.add({"layer": "max_pool2d", "kernel": _pair(kernel), "stride": _pair(stride or kernel),
                  "padding": _pair(padding), "dilation": _pair(dilation)})

    def avg_pool(self, kernel, stride, padding, count_include_pad):
        self.add({"layer": "avg_pool2d", "kernel": _pair(kernel), "stride": _pair(stride or kernel),
                  "padding": _pair(padding), "count_include_pad": bool(count_include_pad)})

    def adaptive(self, name, output, shape_in):
        out = [output, output] if isinstance(output, int) else list(output)
        out = [shape_in[2 + d] if o is None else int(o) for d, o in enumerate(out)]
        self.add({"layer": name, "output": out})

    def function(self, node, shape_in, shape_out, args, kwargs):
        torch, F = self.torch, self.torch.nn.functional
        t = node.target
        name = getattr(t, "__name__", str(t))
        where = f"{_owner(node)}{name} at node {node.name}"
        if t in (F.relu, torch.relu, torch.relu_) or name == "relu":
            self.add({"layer": "relu"})
        elif t is F.dropout or t is F.dropout2d or name in ("dropout", "dropout2d"):
            a = _bind(args, kwargs, ["input", "p", "training", "inplace"], {"training": True})
            if a["training"]:
                self.refuse(node, f"{where} is called with training=True, so it drops values even in eval mode "
                            "(pass training=self.training)")
        elif t is torch.flatten:
            self.flatten(node, shape_in, shape_out, where)
        elif name == "max_pool2d" or name == "_max_pool2d" or name == "boolean_dispatch":
            a = _bind(args, kwargs, ["input", "kernel_size", "stride", "padding", "dilation", "ceil_mode",
                                     "return_indices"], {"stride": None, "padding": 0, "dilation": 1,
                                                         "ceil_mode": False, "return_indices": False})
            if a["ceil_mode"] or a["return_indices"]:
                self.refuse(node, f"{where} has ceil_mode or return_indices set")
            self.max_pool(a["kernel_size"], a["stride"], a["padding"], a["dilation"])
        elif t is F.avg_pool2d or name == "avg_pool2d":
            a = _bind(args, kwargs, ["input", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
                                     "divisor_override"], {"stride": None, "padding": 0, "ceil_mode": False,
                                                           "count_include_pad": True, "divisor_override": None})
            if a["ceil_mode"] or a["divisor_override"] is not None:
                self.refuse(node, f"{where} has ceil_mode or divisor_override set")
            self.avg_pool(a["kernel_size"], a["stride"], a["padding"], a["count_include_pad"])
        elif t is F.adaptive_avg_pool2d or name == "adaptive_avg_pool2d":
            self.adaptive("adaptive_avg_pool2d", _bind(args, kwargs, ["input", "output_size"], {})["output_size"],
                          shape_in)
        elif name in ("adaptive_max_pool2d", "adaptive_max_pool2d_with_indices"):
            a = _bind(args, kwargs, ["input", "output_size", "return_indices"], {"return_indices": False})
            if a["return_indices"]:
                self.refuse(node, f"{where} returns indices")
            self.adaptive("adaptive_max_pool2d", a["output_size"], shape_in)
        elif t is torch.mean:
            self.mean(node, args, kwargs, shape_in, where)
        elif t in (operator.add, torch.add, operator.iadd):
            self.refuse(node, f"{where} adds two values (a residual connection): residual blocks are not read yet")
        else:
            self.refuse(node, f"{where} is not a function sslth reads")

    def mean(self, node, args, kwargs, shape_in, where):
        a = _bind(args, kwargs, ["input", "dim", "keepdim"], {"dim": None, "keepdim": False})
        dims = a["dim"] if isinstance(a["dim"], (list, tuple)) else [a["dim"]]
        dims = sorted(d % len(shape_in) for d in dims if d is not None)
        if len(shape_in) == 4 and dims == [2, 3]:
            self.add({"layer": "adaptive_avg_pool2d", "output": [1, 1]})
            if not a["keepdim"]:
                self.add({"layer": "flatten"})
        elif len(shape_in) == 3 and dims == [1] and not a["keepdim"]:
            self.add({"layer": "mean_pool"})
        else:
            self.refuse(node, f"{where} averages dims {dims} of {list(shape_in)}; only the mean over an image's map "
                        "or over a set's points is read")

    def method(self, node, shape_in, shape_out, args, kwargs):
        name = node.target
        where = f"{_owner(node)}method .{name}() at node {node.name}"
        if name in ("view", "reshape", "flatten"):
            self.flatten(node, shape_in, shape_out, where)
        elif name in ("relu", "relu_"):
            self.add({"layer": "relu"})
        elif name == "mean":
            self.mean(node, args, kwargs, shape_in, where)
        elif name in ("contiguous",):
            pass
        else:
            self.refuse(node, f"{where} is not a method sslth reads")


ADDS = (operator.add, operator.iadd)


def _tensor_inputs(node):
    return [a for a in node.all_input_nodes if hasattr(a.meta.get("tensor_meta"), "shape")]


def _tensor_users(node):
    """The nodes that use `node`'s value as a tensor (not `x.size(0)`)."""
    return [u for u in node.users if u.op == "output" or hasattr(u.meta.get("tensor_meta"), "shape")]


def _is_add(torch, node):
    return node.op == "call_function" and node.target in ADDS + (torch.add,) and len(_tensor_inputs(node)) == 2


def _read_node(reader, node, previous):
    """One node that takes `previous` alone, into `reader`'s layers."""
    shape_in, shape_out = tuple(previous.meta["tensor_meta"].shape), tuple(node.meta["tensor_meta"].shape)
    args, kwargs = list(node.args), dict(node.kwargs)
    if node.op == "call_module":
        reader.module(node, shape_in, shape_out)
    elif node.op == "call_function":
        if node.target in ADDS:
            reader.refuse(node, f"{_owner(node)}adds values at node {node.name} other than a residual block's paths")
        reader.function(node, shape_in, shape_out, args, kwargs)
    elif node.op == "call_method":
        reader.method(node, shape_in, shape_out, args, kwargs)


def _residual(torch, reader, fork, done):
    """The residual block that starts where `fork`'s value goes two ways
    and ends at the sum of the two paths: the longer path is `main`, the
    other (none: the identity) `shortcut`, each read node by node. Returns
    the sum's node."""
    paths = []
    for start in _tensor_users(fork):
        path, node = [], start
        while not _is_add(torch, node):
            users = _tensor_users(node)
            if node.op == "output" or len(users) != 1 or _tensor_inputs(node) != [path[-1] if path else fork]:
                raise UnsupportedModelError(f"{_owner(node)}the graph branches at node {node.name} other than into "
                                            f"a residual block of two paths summed: {SUPPORTED}")
            path.append(node)
            node = users[0]
        paths.append((path, node))
    joins = {end for _, end in paths}
    ends = {p[-1] if p else fork for p, _ in paths}
    if len(paths) != 2 or len(joins) != 1 or set(_tensor_inputs(next(iter(joins)))) != ends:
        raise UnsupportedModelError(f"{_owner(fork)}the value of node {fork.name} goes {len(paths)} ways: only "
                                    f"residual blocks (two paths, then their sum) are read")
    (main, add), (short, _) = sorted(paths, key=lambda p: -len(p[0]))
    i = len(reader.layers)
    sub = {}
    for name, path in (("main", main), ("shortcut", short)):
        r = _Reader(torch, reader.gm, f"{reader.prefix}{i}.{name}.", reader.tensors)
        previous = fork
        for node in path:
            if hasattr(node.meta.get("tensor_meta"), "shape"):
                _read_node(r, node, previous)
                previous = node
            done.add(node)
        sub[name] = r.layers
    reader.layers.append({"layer": "residual", "main": sub["main"], "shortcut": sub["shortcut"]})
    done.add(add)
    return add


def from_torch(model, example_input, input_scale=None):
    """A target (:class:`sslth.Model`) from a ``torch.nn.Module`` in eval
    mode, read from its forward pass as traced by ``torch.fx`` on
    ``example_input`` (a batch: ``[B, C, H, W]`` images, ``[B, F]``
    vectors, ``[B, N, F]`` sets), so custom Modules, functional calls
    (``F.relu``, ``torch.flatten``, ``x.view(n, -1)``, ``F.max_pool2d``)
    and ``nn.Sequential`` alike are read; batch norms are folded into the
    layer before them and dropout is the identity. The target's forward
    is checked against the module's on ``example_input``.

    A residual block (the value goes two ways, the paths are summed:
    ResNet's basic block with an identity or a strided 1×1 shortcut) is
    read too (docs/THEORY.md §4.5).

    Raises :class:`UnsupportedModelError` (a ``ValueError``), in one line
    naming the module's path and class, for anything else (GELU, Tanh,
    LeakyReLU, LayerNorm, attention, other sums or branchings, grouped
    convolutions, an unknown function), and ``ValueError`` for a module in
    training mode. ``Model.save(path)`` then writes the target with its
    whole architecture, so ``sslth build`` reads it with no guess.
    """
    import torch
    import torch.fx
    from torch.fx.passes.shape_prop import ShapeProp

    from . import _sslth

    if model.training:
        raise ValueError("the model is in training mode: call model.eval() first (batch norms and dropout differ)")

    class Tracer(torch.fx.Tracer):
        def is_leaf_module(self, m, name):
            return _is_set_layer(torch, m) or super().is_leaf_module(m, name)

    try:
        graph = Tracer().trace(model)
    except Exception as e:  # tracing errors are many and varied
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UnsupportedModelError(f"torch.fx cannot trace {type(model).__name__}: {first}") from None
    gm = torch.fx.GraphModule(model, graph)
    x = torch.as_tensor(example_input, dtype=torch.float32)
    with torch.no_grad():
        ShapeProp(gm).propagate(x)
    reader = _Reader(torch, gm)
    current, done = None, set()
    for node in gm.graph.nodes:
        if node in done:
            continue
        if node.op == "placeholder":
            if current is not None:
                raise UnsupportedModelError("the model's forward takes more than one input")
            current = node
            continue
        if node.op == "output":
            if node.args[0] is not current:
                raise UnsupportedModelError("the model's output is not the last value it computes")
            break
        meta = node.meta.get("tensor_meta")
        if node.op == "call_method" and node.target == "size" or meta is None or not hasattr(meta, "shape"):
            continue  # x.size(0) and other non-tensor values feed a reshape
        if len(_tensor_users(current)) > 1:
            # A fork: a residual block, read up to the sum that joins it.
            current = _residual(torch, reader, current, done)
            continue
        if _tensor_inputs(node) != [current]:
            if node.op == "get_attr":
                raise UnsupportedModelError(f"model.{node.target} is used as a tensor in forward: {SUPPORTED}")
            raise UnsupportedModelError(
                f"{_owner(node)}node {node.name} ({node.op} {getattr(node.target, '__name__', node.target)}) does "
                f"not take the previous layer's output alone: {SUPPORTED}")
        _read_node(reader, node, current)
        current = node
    dims = list(x.shape[1:])
    if len(dims) == 3:
        input_shape = {"kind": "image", "channels": dims[0], "height": dims[1], "width": dims[2]}
    elif len(dims) == 2:
        input_shape = {"kind": "set", "features": dims[1], "points": dims[0]}
    elif len(dims) == 1:
        input_shape = None
    else:
        raise ValueError(f"example_input has shape {list(x.shape)}: give a batch of vectors, images or sets")
    arch = {"input": input_shape, "layers": reader.layers}
    try:
        target = _sslth.target_from_state_dict(reader.tensors, None, input_scale, arch)
    except ValueError as e:  # the layers read, in a combination sslth does not take
        raise UnsupportedModelError(f"{e}: {SUPPORTED}") from None
    with torch.no_grad():
        want = model(x).detach().cpu().numpy().astype(np.float64)
    rows = x.detach().cpu().numpy()
    if rows.ndim == 4:  # images as channel-major rows, sslth's layout
        rows = rows.reshape(rows.shape[0], -1)
    got = np.asarray(target.forward(rows, scaled=True), dtype=np.float64)
    if got.shape != want.shape:
        raise UnsupportedModelError(f"the model's output has shape {list(want.shape)} but its reading gives "
                                    f"{list(got.shape)}")
    gap = float(np.max(np.abs(got - want))) if want.size else 0.0
    if not gap <= 1e-4 * (1.0 + float(np.max(np.abs(want)))):
        raise UnsupportedModelError(f"the model's forward differs from its reading by {gap:.3g} on example_input: "
                                    "it computes something the trace does not show")
    return target


def _set_layer(torch):
    """The DeepSets layer of docs/FORMAT.md as a torch module."""

    class SetLayer(torch.nn.Module):
        def __init__(self, c_in, c_out, bias):
            super().__init__()
            self.identity = torch.nn.Linear(c_in, c_out, bias=bias)
            self.mean = torch.nn.Linear(c_in, c_out, bias=False)

        def forward(self, x):
            return self.identity(x) + self.mean(x.mean(dim=1, keepdim=True))

    return SetLayer


def _mean_pool(torch):
    class MeanPool(torch.nn.Module):
        """The mean over an image's map ([B, C, H, W] → [B, C]) or a set's
        points ([B, N, F] → [B, F])."""

        def forward(self, x):
            return x.mean(dim=(2, 3)) if x.dim() == 4 else x.mean(dim=1)

    return MeanPool


def _residual_module(torch):
    class Residual(torch.nn.Module):
        """main(x) + shortcut(x), the shortcut the identity when empty."""

        def __init__(self, main, shortcut):
            super().__init__()
            self.main, self.shortcut = main, shortcut

        def forward(self, x):
            return self.main(x) + self.shortcut(x)

    return Residual


def _modules(torch, layers, tensors):
    """The torch modules of architecture layers, their tensors named
    ``{i}.…`` in ``tensors``."""
    nn = torch.nn
    SetLayer, MeanPool = _set_layer(torch), _mean_pool(torch)
    modules = []
    for i, layer in enumerate(layers):
        kind = layer["layer"]
        own = {k.split(".", 1)[1]: v for k, v in tensors.items() if k.split(".", 1)[0] == str(i)}
        if kind == "linear":
            m = nn.Linear(layer["in_features"], layer["out_features"], bias=layer["bias"])
        elif kind == "conv2d":
            m = nn.Conv2d(layer["in_channels"], layer["out_channels"], tuple(layer["kernel"]),
                          stride=tuple(layer["stride"]), padding=tuple(layer["padding"]),
                          dilation=tuple(layer["dilation"]), padding_mode=layer["padding_mode"], bias=layer["bias"])
        elif kind == "set":
            m = SetLayer(layer["in_features"], layer["out_features"], layer["bias"])
        elif kind == "relu":
            m = nn.ReLU()
        elif kind == "max_pool2d":
            m = nn.MaxPool2d(tuple(layer["kernel"]), tuple(layer["stride"]), tuple(layer["padding"]),
                             tuple(layer["dilation"]))
        elif kind == "avg_pool2d":
            m = nn.AvgPool2d(tuple(layer["kernel"]), tuple(layer["stride"]), tuple(layer["padding"]),
                             count_include_pad=layer["count_include_pad"])
        elif kind == "adaptive_max_pool2d":
            m = nn.AdaptiveMaxPool2d(tuple(layer["output"]))
        elif kind == "adaptive_avg_pool2d":
            m = nn.AdaptiveAvgPool2d(tuple(layer["output"]))
        elif kind == "mean_pool":
            m = MeanPool()
        elif kind == "flatten":
            m = nn.Flatten()
        elif kind == "residual":
            path = lambda name: {k.split(".", 1)[1]: v for k, v in own.items() if k.split(".", 1)[0] == name}
            m = _residual_module(torch)(nn.Sequential(*_modules(torch, layer["main"], path("main"))),
                                        nn.Sequential(*_modules(torch, layer["shortcut"], path("shortcut"))))
            modules.append(m)
            continue
        else:
            raise ValueError(f"layer {i} ({kind}) has no torch module here")
        m.load_state_dict({k: torch.from_numpy(v) for k, v in own.items()}, strict=True)
        modules.append(m)
    return modules


def module_from_architecture(architecture, tensors):
    """An ``nn.Sequential`` computing the network an architecture (a dict
    of docs/FORMAT.md) and its tensors describe; behind ``Model.to_torch``.
    Inputs as PyTorch lays them out: ``[B, d]`` vectors, ``[B, C, H, W]``
    images, ``[B, N, F]`` sets."""
    import torch

    arch = architecture
    # A network of vectors takes any batch flattened (a flatten first is
    # recorded as no layer: it moves no value).
    modules = [torch.nn.Flatten()] if arch["input"] is None else []
    modules += _modules(torch, arch["layers"], tensors)
    return torch.nn.Sequential(*modules).eval()
