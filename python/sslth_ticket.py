"""Reference loader for sslth targets and tickets (full and compact), with
numpy and safetensors only, written from docs/FORMAT.md.

    from sslth_ticket import load, forward, predict
    layers = load("ticket.safetensors")   # a target, a full or a compact ticket
    logits = forward(layers, x)           # x: [rows, d_in] float32, scaled
    logits = predict("model.safetensors", raw_x)   # raw inputs × input_scale

A model is a stack of linear layers, ReLU between them and none after the
last. A target stores `{2i}.weight` [out, in] and `{2i}.bias`; a full
ticket stores layer l as `{2l}.indices` (int32 [nnz, 2]: row, column),
`{2l}.values` (float32 [nnz]) and, for the first layer of a target with
biases, `{2l}.bias`; a compact ticket stores a mask per layer and the seed,
and its weights are regenerated here by the ChaCha8 generator of
docs/FORMAT.md ("The generator, step by step").

Run as a script to print the outputs for inputs in a .npy file:
    python sslth_ticket.py MODEL inputs.npy outputs.npy [--scaled]
"""

import json
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file


M32 = np.uint64(0xFFFFFFFF)


def _pcg32_key(seed):
    """Step 1: the eight key words from the u64 seed."""
    state, key = seed, []
    for _ in range(8):
        state = (state * 6364136223846793005 + 11634580027462260723) % (1 << 64)
        x = (((state >> 18) ^ state) >> 27) & 0xFFFFFFFF
        rot = state >> 59
        key.append(((x >> rot) | (x << ((32 - rot) % 32))) & 0xFFFFFFFF)
    return key


def _rotl(v, r):
    return ((v << np.uint64(r)) | (v >> np.uint64(32 - r))) & M32


def _chacha8_blocks(key, stream, blocks):
    """Step 2 for many blocks at once: an array [len(blocks), 16] of words."""
    blocks = np.asarray(blocks, dtype=np.uint64)
    const = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574]
    row = const + key + [0, 0, stream & 0xFFFFFFFF, stream >> 32]
    x = np.tile(np.array(row, dtype=np.uint64), (len(blocks), 1))
    x[:, 12] = blocks & M32
    x[:, 13] = blocks >> np.uint64(32)
    start = x.copy()

    def qr(a, b, c, d):
        x[:, a] = (x[:, a] + x[:, b]) & M32
        x[:, d] = _rotl(x[:, d] ^ x[:, a], 16)
        x[:, c] = (x[:, c] + x[:, d]) & M32
        x[:, b] = _rotl(x[:, b] ^ x[:, c], 12)
        x[:, a] = (x[:, a] + x[:, b]) & M32
        x[:, d] = _rotl(x[:, d] ^ x[:, a], 8)
        x[:, c] = (x[:, c] + x[:, d]) & M32
        x[:, b] = _rotl(x[:, b] ^ x[:, c], 7)

    for _ in range(4):
        qr(0, 4, 8, 12), qr(1, 5, 9, 13), qr(2, 6, 10, 14), qr(3, 7, 11, 15)
        qr(0, 5, 10, 15), qr(1, 6, 11, 12), qr(2, 7, 8, 13), qr(3, 4, 9, 14)
    return (x + start) & M32


def weights(seed, stream, indices):
    """Steps 3 and 4: the weights in [-1, 1) at flat `indices` of a layer."""
    indices = np.asarray(indices, dtype=np.uint64)
    words = 2 * indices
    blocks, inverse = np.unique(words // np.uint64(16), return_inverse=True)
    out = _chacha8_blocks(_pcg32_key(seed), stream, blocks)[inverse.reshape(-1)]
    at = (words % np.uint64(16)).astype(np.int64)
    rows = np.arange(len(indices))
    u64 = out[rows, at] | (out[rows, at + 1] << np.uint64(32))
    return 2.0 * ((u64 >> np.uint64(11)).astype(np.float64) / 9007199254740992.0) - 1.0


def _mask_indices(data, encoding, size):
    """The kept flat indices of one compact layer."""
    if encoding == "bits":
        bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8), bitorder="little")[:size]
        return np.nonzero(bits)[0].astype(np.uint64)
    if encoding == "delta-varint":
        out, value, shift, nxt = [], 0, 0, 0
        for byte in bytes(data):
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte & 0x80 == 0:
                nxt += value
                out.append(nxt)
                nxt += 1
                value, shift = 0, 0
        return np.array(out, dtype=np.uint64)
    raise ValueError(f"unknown mask encoding {encoding}")


def load(path):
    """The layers of a model: a list of (rows, cols, values, bias, shape)."""
    with safe_open(path, framework="numpy") as f:
        meta = f.metadata() or {}
    tensors = load_file(path)
    fmt = meta.get("format")
    if fmt in ("sslth-ticket-full", "sslth-ticket-compact") and json.loads(meta["sslth"])["version"] != 1:
        # Version 2 (convolutional and set tickets, docs/FORMAT.md) needs the
        # basis actions; this loader reads dense (version 1) tickets only.
        raise ValueError("version 2 (equivariant) tickets are not read by this loader yet; use sslth predict")
    if fmt == "sslth-ticket-full":
        shapes = json.loads(meta["shapes"])
        layers = []
        for l, shape in enumerate(shapes):
            idx = tensors[f"{2 * l}.indices"].astype(np.int64)
            layers.append((idx[:, 0], idx[:, 1], tensors[f"{2 * l}.values"], tensors.get(f"{2 * l}.bias"), tuple(shape)))
        return layers
    if fmt == "sslth-ticket-compact":
        info = json.loads(meta["sslth"])
        encodings = json.loads(meta["masks"])
        layers = []
        for l, enc in enumerate(encodings):
            pair = info["pairs"][l // 2]
            hidden = 2 * pair["n"] * pair["d_in"]
            rows, cols = (hidden, pair["d_in"]) if l % 2 == 0 else (pair["rows"], hidden)
            idx = _mask_indices(tensors[f"{2 * l}.mask"], enc, rows * cols)
            scale = 1.0 if l % 2 == 0 else pair["scale"]
            vals = (weights(info["seed"], l, idx) * scale).astype(np.float32)
            r, c = (idx // np.uint64(cols)).astype(np.int64), (idx % np.uint64(cols)).astype(np.int64)
            bias = None
            if l == 0 and info["bias"]:
                # The constant input's column (last) is folded into a bias.
                const = c == cols - 1
                bias = np.zeros(rows, dtype=np.float32)
                bias[r[const]] = vals[const]
                r, c, vals, cols = r[~const], c[~const], vals[~const], cols - 1
            layers.append((r, c, vals, bias, (rows, cols)))
        return layers
    # A target in nn.Sequential layout: 0.weight, 0.bias, 2.weight, ...
    layers, i = [], 0
    while f"{i}.weight" in tensors:
        w = tensors[f"{i}.weight"].astype(np.float32)
        r, c = np.nonzero(np.ones_like(w))
        layers.append((r, c, w[r, c], tensors.get(f"{i}.bias"), w.shape))
        i += 2
    if not layers:
        raise ValueError(f"{path} is neither an sslth ticket nor a target in nn.Sequential layout")
    return layers


def input_scale(path):
    """The recorded factor raw input -> network input, or None."""
    with safe_open(path, framework="numpy") as f:
        meta = f.metadata() or {}
    if "sslth" in meta:
        return json.loads(meta["sslth"]).get("input_scale")
    return float(meta["input_scale"]) if "input_scale" in meta else None


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


def predict(path, x, scaled=False):
    """The model's logits for inputs x, raw (times input_scale) unless scaled."""
    x = np.asarray(x, dtype=np.float64)
    x = x.reshape(1, -1) if x.ndim == 1 else x
    scale = None if scaled else input_scale(path)
    if scale is not None:
        x = x * scale
    return forward(load(path), x.astype(np.float32))


if __name__ == "__main__":
    model, inputs, outputs = sys.argv[1:4]
    np.save(outputs, predict(model, np.load(inputs), scaled="--scaled" in sys.argv[4:]))
