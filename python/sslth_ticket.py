"""Reference loader for sslth *full* ticket files, with numpy and
safetensors only (docs/FORMAT.md).

    from sslth_ticket import load, forward
    layers = load("ticket.safetensors")
    logits = forward(layers, x)          # x: [rows, d_in] float32

A full ticket is a stack of sparse linear layers, ReLU between them and none
after the last. Layer l (nn.Sequential index 2l) is stored as
`{2l}.indices` (int32 [nnz, 2]: row, column), `{2l}.values` (float32 [nnz])
and, for the first layer of a target with biases, `{2l}.bias` (float32).
The metadata key `shapes` lists each layer's [out, in].

Run as a script to print the outputs for inputs in a .npy file:
    python sslth_ticket.py ticket.safetensors inputs.npy outputs.npy
"""

import json
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file


def load(path):
    """The layers of a full ticket: a list of (rows, cols, values, bias, shape)."""
    with safe_open(path, framework="numpy") as f:
        meta = f.metadata() or {}
    if meta.get("format") != "sslth-ticket-full":
        raise ValueError(f"{path} is not a full sslth ticket (expand a compact one with `sslth expand`)")
    shapes = json.loads(meta["shapes"])
    tensors = load_file(path)
    layers = []
    for l, shape in enumerate(shapes):
        idx = tensors[f"{2 * l}.indices"].astype(np.int64)
        layers.append((idx[:, 0], idx[:, 1], tensors[f"{2 * l}.values"], tensors.get(f"{2 * l}.bias"), tuple(shape)))
    return layers


def forward(layers, x):
    """Runs the ticket on a batch x of shape [rows, d_in]."""
    h = np.asarray(x, dtype=np.float32)
    for i, (rows, cols, vals, bias, (d_out, d_in)) in enumerate(layers):
        if h.shape[1] != d_in:
            raise ValueError(f"layer {2 * i} takes {d_in} inputs, got {h.shape[1]}")
        out = np.zeros((h.shape[0], d_out), dtype=np.float32)
        if bias is not None:
            out += bias
        # out[:, r] += v * h[:, c] for every kept edge (r, c, v).
        np.add.at(out.T, rows, (vals[:, None] * h[:, cols].T))
        h = np.maximum(out, 0.0) if i + 1 < len(layers) else out
    return h


if __name__ == "__main__":
    ticket, inputs, outputs = sys.argv[1:4]
    np.save(outputs, forward(load(ticket), np.load(inputs)))
