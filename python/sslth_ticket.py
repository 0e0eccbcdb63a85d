"""Reference loader for sslth targets and tickets (full and compact), with
numpy and safetensors only, written from docs/FORMAT.md.

    from sslth_ticket import load, forward, predict
    model = load("ticket.safetensors")    # a target, a full or a compact ticket
    logits = forward(model, x)            # x: [rows, d_in] float32, scaled
    logits = predict("model.safetensors", raw_x)   # raw inputs × input_scale

A model is a stack of linear layers, each followed by its operations (ReLU,
poolings, flatten; version 4 and targets that record their architecture)
or, before version 4, a ReLU between layers and at most one mean pooling
after a ReLU. Each layer is equivariant
over a basis {b_q} (docs/FORMAT.md): its edges sit in stacked rows
q·out + o, and output channel o is sum_q b_q(sum_j C_q[o, j] x_j) + bias[o]
at every point; a dense layer is the one-element case on one point. A
target stores `{i}.weight` [out, in] (conv: [out, in, k, k]; set layers:
`{i}.identity.weight`, `{i}.identity.bias`, `{i}.mean.weight`) and biases;
a full ticket stores layer l as `{2l}.indices` (int32 [nnz, 2]: row,
column), `{2l}.values` (float32 [nnz]) and, for the first layer of a target
with biases, `{2l}.bias`; a compact ticket stores a mask per layer and the
seed, and its weights are regenerated here by the ChaCha8 generator of
docs/FORMAT.md ("The generator, step by step"). Rows of images and sets are
channel-major (C×H×W; features × points).

Run as a script to print the outputs for inputs in a .npy file:
    python sslth_ticket.py MODEL inputs.npy outputs.npy [--scaled]
"""

import json
import math
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


def _unrank(rank, m, k):
    """The k-subset of range(m) with colex rank `rank`, sorted."""
    out, top = [0] * k, m
    for t in range(k, 0, -1):
        c = top - 1
        while math.comb(c, t) > rank:
            c -= 1
        out[t - 1], rank, top = c, rank - math.comb(c, t), c
    return out


# A subset stream's encoding name: the order its numbers run in, and whether
# they are exponential-Golomb codes (else a presence bit and a fixed width).
_SUBSET_ENCODINGS = {
    "subset-ranks": ("fixed", False),
    "subset-ranks-eg": ("fixed", True),
    "fewest-ranks": ("fewest", False),
    "fewest-ranks-eg": ("fewest", True),
}


def _sizes(k, m, order):
    """The subset sizes an instance of subset size k may use on a side of m,
    in the order their numbers run (docs/FORMAT.md, "Subset ranks"): the
    pair's `subsets`, `fixed` (k first) or `fewest` (ascending)."""
    if order == "fewest":
        return list(range(1, min(2 * k, m) + 1))
    if order != "fixed":
        raise ValueError(f"unknown subset order '{order}'")
    kk = min(k, m)
    return [kk] + list(range(kk - 1, 0, -1)) + list(range(k + 1, min(2 * k, m) + 1))


def _members(number, m, k, order):
    """The positions (sorted) numbered `number` among the choices of subset
    size k on a side of m, or None if it is beyond them."""
    for size in _sizes(k, m, order):
        count = math.comb(m, size)
        if number < count:
            return _unrank(number, m, size)
        number -= count
    return None


def _decode_subsets(data, info, i, basis, encoding):
    """Pair i's B and A kept edges (flat indices) from its subset-rank stream
    (one of `_SUBSET_ENCODINGS`)."""
    pair = info["pairs"][i]
    two_n, d_in, k = 2 * pair["n"], pair["d_in"], pair["k"]
    hidden = two_n * d_in
    first = _identity(basis) * hidden
    h_all = np.arange(hidden, dtype=np.uint64)
    a = weights(info["seed"], 2 * i, (np.uint64(first) + h_all) * np.uint64(d_in) + h_all // np.uint64(two_n))
    a = a.astype(np.float32)
    sides = [[[h for h in range(j * two_n, (j + 1) * two_n) if (a[h] > 0 if s == 0 else a[h] < 0)] for s in (0, 1)]
             for j in range(d_in)]
    nonneg = [i > 0 or info["nonneg_input"] or (info["bias"] and i == 0 and j == d_in - 1) for j in range(d_in)]
    bits = np.unpackbits(np.frombuffer(bytes(data), dtype=np.uint8), bitorder="little")
    at = 0

    def read(width):
        nonlocal at
        if at + width > len(bits):
            raise ValueError("the subset stream ends early")
        v = sum(int(bits[at + b]) << b for b in range(width))
        at += width
        return v

    def read_exp_golomb(g):
        length = g
        while read(1) == 0:
            length += 1
            if length > 64:
                raise ValueError("an exponential-Golomb code longer than 64 bits")
        return (1 << length) + read(length) - (1 << g)

    if encoding not in _SUBSET_ENCODINGS:
        raise ValueError(f"unknown subset encoding '{encoding}'")
    order, eg = _SUBSET_ENCODINGS[encoding]
    if order != pair.get("subsets", "fixed"):
        raise ValueError(f"encoding '{encoding}' numbers subsets in the {order} order, but the pair records "
                         f"{pair.get('subsets', 'fixed')}")
    golomb = read(6) if eg else None
    b_idx, used = [], set()
    for r in range(pair["rows"]):
        for j in range(d_in):
            for s in (0,) if nonneg[j] else (0, 1):
                side = sides[j][s]
                kk = min(k, len(side))
                count = math.comb(len(side), kk)
                if golomb is None:
                    if read(1) == 0:
                        continue
                    number = read((count - 1).bit_length() if count > 1 else 0)
                    members = _members(number, len(side), k, order) if number < count else None
                else:
                    number = read_exp_golomb(golomb) - 1
                    if number < 0:
                        continue
                    members = _members(number, len(side), k, order)
                if members is None:
                    raise ValueError(f"subset number {number} of row {r}, block {j} is beyond its choices "
                                     f"(C({len(side)}, {kk}) and the other sizes)")
                for pos in members:
                    used.add(side[pos])
                    b_idx.append(r * hidden + side[pos])
    if (at + 7) // 8 != len(bits) // 8 or bits[at:].any():
        raise ValueError("the subset stream has bytes left over")
    a_idx = [(first + h) * d_in + h // two_n for h in sorted(used)]
    return np.array(sorted(b_idx), dtype=np.uint64), np.array(a_idx, dtype=np.uint64)


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


def _basis_size(basis):
    if basis["kind"] == "conv":
        return basis["kernel"][0] * basis["kernel"][1]
    return basis["kernel"] ** 2 if basis["kind"] == "conv2d" else 2 if basis["kind"] == "deepsets" else 1


def _identity(basis):
    """The index of the basis's identity element."""
    return (basis["kernel"] // 2) * (basis["kernel"] + 1) if basis["kind"] == "conv2d" else 0


def _a_basis(basis):
    """A pair's A basis (version 4): pointwise on a general convolution's
    input map, else the basis itself."""
    if basis["kind"] != "conv":
        return basis
    return dict(basis, kernel=[1, 1], stride=[1, 1], padding=[0, 0], dilation=[1, 1], padding_mode="zeros")


PADS = {"zeros": "constant", "circular": "wrap", "reflect": "reflect", "replicate": "edge"}


def _conv_out(basis):
    """A general convolution's output map [H', W']."""
    return [(n + 2 * p - d * (k - 1) - 1) // s + 1 for n, k, s, p, d in
            zip((basis["height"], basis["width"]), basis["kernel"], basis["stride"], basis["padding"],
                basis["dilation"])]


def _apply(basis, q, z):
    """b_q applied to maps z of shape [rows, channels, points]."""
    if basis["kind"] == "conv":
        # Pad the map as the mode says, then read offset (a, b) with the
        # stride and dilation: out[i, j] = padded[i*s + a*d, j*s' + b*d'].
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = (basis[k] for k in ("kernel", "stride", "padding", "dilation"))
        a, b = q // kw, q % kw
        m = z.reshape(z.shape[0], z.shape[1], basis["height"], basis["width"])
        m = np.pad(m, ((0, 0), (0, 0), (ph, ph), (pw, pw)), mode=PADS[basis["padding_mode"]])
        ho, wo = _conv_out(basis)
        m = m[:, :, a * dh: a * dh + sh * (ho - 1) + 1: sh, b * dw: b * dw + sw * (wo - 1) + 1: sw]
        return m.reshape(z.shape[0], z.shape[1], ho * wo)
    if basis["kind"] == "conv2d":
        k, h, w = basis["kernel"], basis["height"], basis["width"]
        a, b, p = q // k, q % k, k // 2
        # b_(a,b)(x)[i, j] = x[(i + a - p) mod H, (j + b - p) mod W]
        m = z.reshape(z.shape[0], z.shape[1], h, w)
        return np.roll(m, shift=(p - a, p - b), axis=(2, 3)).reshape(z.shape)
    if basis["kind"] == "deepsets" and q == 1:
        return np.broadcast_to(z.mean(axis=2, keepdims=True), z.shape)
    return z


IDENTITY = {"kind": "identity"}


def _windows(op):
    """A pooling's windows along each dimension: (first, end, step,
    divisor) per output position."""
    out = []
    for d, n in enumerate((op["height"], op["width"])):
        if op["window"] == "adaptive":
            o = op["output"][d]
            out.append([(i * n // o, -(-(i + 1) * n // o), 1, -(-(i + 1) * n // o) - i * n // o) for i in range(o)])
            continue
        k, s, p, dil = op["kernel"][d], op["stride"][d], op["padding"][d], op["dilation"][d]
        line = []
        for i in range((n + 2 * p - dil * (k - 1) - 1) // s + 1):
            taps = [t for t in range(i * s - p, i * s - p + dil * (k - 1) + 1, dil) if 0 <= t < n]
            line.append((taps[0], taps[-1] + 1, dil, k if op["count_include_pad"] else len(taps)))
        out.append(line)
    return out


def _pool(op, h):
    """A pooling of h [rows, channels, H*W] (docs/FORMAT.md, version 4)."""
    m = h.reshape(h.shape[0], h.shape[1], op["height"], op["width"])
    rows, cols = _windows(op)
    out = np.empty((h.shape[0], h.shape[1], len(rows), len(cols)))
    for i, (r0, r1, rs, rd) in enumerate(rows):
        for j, (c0, c1, cs, cd) in enumerate(cols):
            w = m[:, :, r0:r1:rs, c0:c1:cs]
            out[:, :, i, j] = w.max(axis=(2, 3)) if op["kind"] == "max" else w.sum(axis=(2, 3)) / (rd * cd)
    return out.reshape(h.shape[0], h.shape[1], -1)


def _op(op, h, carried, saved):
    """One operation between layers on h [rows, channels, points]; with
    `carried` the last channel is the constant that carries biases, of
    which a flatten keeps the first point; `saved` holds what residual
    forks set aside."""
    kind = op["op"]
    if kind == "fork":
        saved.append(h)
        return h
    if kind == "swap":
        h, saved[-1] = saved[-1], h
        return h
    if kind == "add":
        return h + saved.pop()
    if kind == "relu":
        return np.maximum(h, 0.0)
    if kind == "mean_pool":
        return h.mean(axis=2, keepdims=True)
    if kind == "pool":
        return _pool(op, h)
    flat = h.reshape(h.shape[0], -1, 1)
    return flat[:, : flat.shape[1] - h.shape[2] + 1] if carried else flat


def _legacy_ops(count, pool_after):
    """Versions 1 to 3: ReLU after every layer but the last, a mean
    pooling after layer `pool_after`."""
    ops = [[{"op": "relu"}] if i + 1 < count else [] for i in range(count)]
    if pool_after is not None:
        ops[pool_after].append({"op": "mean_pool"})
    return ops


def _dense_layer(w, bias, basis=IDENTITY):
    """Every entry of a stacked coefficient matrix w [|B|·out, in] as an edge."""
    r, c = np.nonzero(np.ones_like(w))
    return (r, c, w[r, c].astype(np.float32), bias, w.shape, basis)


def _target_architecture(tensors, arch):
    """A target whose metadata record its architecture (docs/FORMAT.md,
    "Architecture"): batch norms folded into the layer before them, a
    residual block as fork, main path, swap, shortcut, add."""
    inp, state = arch["input"], {"layers": [], "ops": []}
    shape = None if inp is None else ((inp["height"], inp["width"]) if inp["kind"] == "image" else None)
    points = 1 if inp is None else (inp["height"] * inp["width"] if inp["kind"] == "image" else inp["points"])
    if arch["layers"] and arch["layers"][0]["layer"] == "flatten":
        shape, points = None, 1  # a flatten first moves no value of a channel-major row
    _read_layers(tensors, arch["layers"], "", shape, state)
    return {"layers": [_dense_layer(w.astype(np.float32), None if b is None else b.astype(np.float32), basis)
                       for w, b, basis in state["layers"]],
            "points": points, "ops": state["ops"], "carried": False}


def _read_layers(tensors, arch_layers, prefix, shape, state):
    """Appends architecture layers (tensors `{prefix}{i}.…`) to state's
    layers and ops; returns the map shape after them."""
    layers, ops = state["layers"], state["ops"]
    for i, layer in enumerate(arch_layers):
        kind, t = layer["layer"], lambda n: tensors[f"{prefix}{i}.{n}"].astype(np.float64)
        if kind == "linear":
            layers.append([t("weight"), t("bias") if layer["bias"] else None, IDENTITY])
        elif kind == "set":
            w = np.concatenate([t("identity.weight"), t("mean.weight")])
            layers.append([w, t("identity.bias") if layer["bias"] else None, {"kind": "deepsets"}])
        elif kind == "conv2d":
            w = t("weight")
            out, inp_c, kh, kw = w.shape
            basis = {"kind": "conv", "kernel": layer["kernel"], "stride": layer["stride"], "padding": layer["padding"],
                     "dilation": layer["dilation"], "padding_mode": layer["padding_mode"], "height": shape[0],
                     "width": shape[1]}
            stacked = w.reshape(out, inp_c, kh * kw).transpose(2, 0, 1).reshape(kh * kw * out, inp_c)
            layers.append([stacked, t("bias") if layer["bias"] else None, basis])
            shape = tuple(_conv_out(basis))
        elif kind == "batch_norm":
            w, b, basis = layers[-1]
            scale = t("weight") / np.sqrt(t("running_var") + layer["eps"])
            size = _basis_size(basis)
            layers[-1] = [w * np.tile(scale, size)[:, None], ((0.0 if b is None else b) - t("running_mean")) * scale
                          + t("bias"), basis]
            continue
        elif kind == "flatten" and not layers:
            continue  # a flatten first moves no value of a channel-major row
        elif kind == "residual":
            ops[-1].append({"op": "fork"})
            out = _read_layers(tensors, layer["main"], f"{prefix}{i}.main.", shape, state)
            if layer["shortcut"]:
                ops[-1].append({"op": "swap"})
                _read_layers(tensors, layer["shortcut"], f"{prefix}{i}.shortcut.", shape, state)
            ops[-1].append({"op": "add"})
            shape = out
            continue
        else:
            op = {"relu": {"op": "relu"}, "mean_pool": {"op": "mean_pool"}, "flatten": {"op": "flatten"}}.get(kind)
            if op is None:
                window = "adaptive" if kind.startswith("adaptive") else "fixed"
                op = {"op": "pool", "kind": "max" if "max" in kind else "avg", "window": window, "height": shape[0],
                      "width": shape[1]}
                op.update({k: v for k, v in layer.items() if k != "layer"})
                op.setdefault("dilation", [1, 1])
                op.setdefault("count_include_pad", False)
                if window == "adaptive" and op["kind"] == "avg" and op["output"] == [1, 1]:
                    op = {"op": "mean_pool"}
                    shape = (1, 1)
                else:
                    shape = tuple(len(line) for line in _windows(op))
            if op["op"] == "mean_pool":
                shape = (1, 1)
            ops[-1].append(op)
            continue
        ops.append([])
    return shape


def _target(tensors, meta):
    """A target of any kind in nn.Sequential layout (docs/FORMAT.md)."""
    if "architecture" in meta:
        return _target_architecture(tensors, json.loads(meta["architecture"]))
    shape = json.loads(meta["input"]) if "input" in meta else None
    layers, pool_after, points = [], None, 1
    for i in sorted({int(name.split(".")[0]) for name in tensors}):
        bias = tensors.get(f"{i}.bias")
        if f"{i}.identity.weight" in tensors:
            ident, mean = tensors[f"{i}.identity.weight"], tensors[f"{i}.mean.weight"]
            layers.append(_dense_layer(np.concatenate([ident, mean]), tensors.get(f"{i}.identity.bias"), {"kind": "deepsets"}))
            points, pool_after = shape["points"], len(layers) - 1
        elif tensors[f"{i}.weight"].ndim == 4:
            w = tensors[f"{i}.weight"]
            out, inp, k, _ = w.shape
            stacked = w.reshape(out, inp, k * k).transpose(2, 0, 1).reshape(k * k * out, inp)
            basis = {"kind": "conv2d", "kernel": k, "height": shape["height"], "width": shape["width"]}
            layers.append(_dense_layer(stacked, bias, basis))
            points, pool_after = shape["height"] * shape["width"], len(layers) - 1
        else:
            layers.append(_dense_layer(tensors[f"{i}.weight"], bias))
    if not layers:
        raise ValueError("neither an sslth ticket nor a target in nn.Sequential layout")
    if pool_after == len(layers) - 1:
        pool_after = None
    return {"layers": layers, "points": points, "ops": _legacy_ops(len(layers), pool_after), "carried": False}


def load(path):
    """A model: {"layers": [(rows, cols, values, bias, (stacked out, in), basis)], "points", "ops" (the
    operations after each layer), "carried" (whether a flatten keeps one value of the last, constant
    channel)}."""
    with safe_open(path, framework="numpy") as f:
        meta = f.metadata() or {}
    tensors = load_file(path)
    fmt = meta.get("format")
    if fmt not in ("sslth-ticket-full", "sslth-ticket-compact"):
        return _target(tensors, meta)
    info = json.loads(meta["sslth"])
    if info["version"] not in (1, 2, 3, 4):
        raise ValueError(f"ticket version {info['version']} is not known to this loader")
    chain = info.get("layers") or []
    bases = info.get("bases") or [IDENTITY] * max(len(info["pairs"]), len(chain))
    count = len(chain) or 2 * len(info["pairs"])
    if info["version"] == 4:
        # A ReLU after every A layer, the recorded operations after each B.
        ops = [[{"op": "relu"}] if l % 2 == 0 else (info["ops"] + [[]])[l // 2] for l in range(count)]
    else:
        pool = info.get("pool_after")
        ops = _legacy_ops(count, None if pool is None else 2 * pool + 1)
    model = {"layers": [], "points": info.get("points", 1), "ops": ops, "carried": bool(info["bias"]) and not chain}
    layer_basis = lambda l: bases[l // 2] if chain or l % 2 == 1 else _a_basis(bases[l // 2])
    if fmt == "sslth-ticket-full":
        shapes = json.loads(meta["shapes"])
        for l, shape in enumerate(shapes):
            idx = tensors[f"{2 * l}.indices"].astype(np.int64)
            bias = tensors.get(f"{2 * l}.bias")
            model["layers"].append((idx[:, 0], idx[:, 1], tensors[f"{2 * l}.values"], bias, tuple(shape), layer_basis(l)))
        return model
    encodings = json.loads(meta["masks"])
    derived = {}
    for l, enc in enumerate(encodings):
        if chain:
            # Version 3: each layer says its shape, scale and law.
            basis, layer = IDENTITY, chain[l]
            rows, cols, hidden = layer["rows"], layer["cols"], layer["rows"]
        else:
            pair, basis = info["pairs"][l // 2], layer_basis(l)
            hidden = 2 * pair["n"] * pair["d_in"]
            rows, cols = (_basis_size(basis) * hidden, pair["d_in"]) if l % 2 == 0 else (pair["rows"], hidden)
        if enc == "from-b":
            # Pair l/2's B layer holds subset ranks; decode both layers now.
            derived[l + 1], idx = _decode_subsets(tensors[f"{2 * (l + 1)}.mask"], info, l // 2, basis,
                                                  encodings[l + 1])
        elif enc in _SUBSET_ENCODINGS:
            idx = derived.pop(l)
        else:
            idx = _mask_indices(tensors[f"{2 * l}.mask"], enc, rows * cols)
        u = weights(info["seed"], l, idx)
        if chain:
            if chain[l]["law"] == "signed-constant":
                u = np.where(u < 0, -1.0, 1.0)
            vals = (u * chain[l]["scale"]).astype(np.float32)
        else:
            vals = (u * (1.0 if l % 2 == 0 else pair["scale"])).astype(np.float32)
        r, c = (idx // np.uint64(cols)).astype(np.int64), (idx % np.uint64(cols)).astype(np.int64)
        bias = None
        if l == 0 and info["bias"]:
            # The constant channel's column (last) is folded into a bias, one
            # entry per hidden channel (its edges sit on the identity element).
            const = c == cols - 1
            bias = np.zeros(hidden, dtype=np.float32)
            bias[r[const] % hidden] = vals[const]
            r, c, vals, cols = r[~const], c[~const], vals[~const], cols - 1
        model["layers"].append((r, c, vals, bias, (rows, cols), basis))
    return model


def input_scale(path):
    """The recorded factor raw input -> network input, or None."""
    with safe_open(path, framework="numpy") as f:
        meta = f.metadata() or {}
    if "sslth" in meta:
        return json.loads(meta["sslth"]).get("input_scale")
    return float(meta["input_scale"]) if "input_scale" in meta else None


def forward(model, x):
    """Runs a model on a batch x of shape [rows, d_in] (channel-major rows)."""
    points, layers = model["points"], model["layers"]
    h = np.asarray(x, dtype=np.float64)
    h = h.reshape(h.shape[0], -1, points)
    saved = []
    for i, (rows, cols, vals, bias, (stacked, d_in), basis) in enumerate(layers):
        if h.shape[1] != d_in:
            raise ValueError(f"layer {2 * i} takes {d_in} channels, got {h.shape[1]}")
        size = _basis_size(basis)
        # z[:, r] = sum over kept edges (r, c, v) of v * h[:, c], pointwise
        # (the edges scattered into a dense [stacked, in] matrix; float64).
        w = np.zeros((stacked, d_in))
        np.add.at(w, (rows, cols), vals)
        z = np.matmul(w, h).reshape(h.shape[0], size, stacked // size, h.shape[2])
        out = sum(_apply(basis, q, z[:, q]) for q in range(size))
        if bias is not None:
            out = out + bias[None, :, None]
        h = out
        for op in model["ops"][i]:
            h = _op(op, h, model["carried"] and i + 1 < len(layers), saved)
    return h.reshape(h.shape[0], -1).astype(np.float32)


def weights_digest(model):
    """docs/FORMAT.md "Weights digest" of a loaded ticket: FNV-1a 64 over each
    layer's kept edge count, its edges sorted by (row, column) as u32 row,
    u32 column and f32 weight, then its bias; little-endian."""
    h = 0xCBF29CE484222325
    for r, c, v, bias, _, _ in model["layers"]:
        order = np.lexsort((c, r))
        edges = np.empty(len(order), dtype=[("r", "<u4"), ("c", "<u4"), ("v", "<f4")])
        edges["r"], edges["c"], edges["v"] = r[order], c[order], v[order]
        data = np.uint64(len(order)).astype("<u8").tobytes() + edges.tobytes()
        if bias is not None:
            data += np.asarray(bias, dtype="<f4").tobytes()
        for b in data:
            h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"fnv1a64:{h:016x}"


def check_digest(path):
    """Raises ValueError if a ticket file's weights (a compact file's
    regenerated) lack the digest it records; files without one pass."""
    with safe_open(path, framework="numpy") as f:
        recorded = (f.metadata() or {}).get("weights_digest")
    if recorded is not None and weights_digest(load(path)) != recorded:
        raise ValueError(f"{path}: weights digest {weights_digest(load(path))} differs from the recorded {recorded}")


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
    check_digest(model)
    np.save(outputs, predict(model, np.load(inputs), scaled="--scaled" in sys.argv[4:]))
