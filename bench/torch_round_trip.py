"""Round trip through PyTorch on the digits: train an MLP (64-32-10), a
circular CNN (1-8-16, average pooling, dense 16-10) and a set network (each
image as the set of its 64 pixels (row/7, column/7, intensity/16) scaled by
1/sqrt(3·64); set layers 3-32-32, mean over the points, dense 32-10) in
torch, build a ticket of each from the in-memory state_dict, load
to_state_dict() into an nn.Sequential, and compare the logits of torch's
ticket with ticket.forward and the predictions with the torch target's, on
the test rows (row i of the digits is a test row iff i mod 5 = 4)."""

import gzip
import pathlib
import sys

import numpy as np
import torch

import sslth

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "python" / "tests"))
from test_sslth import torch_set_modules, torch_ticket  # noqa: E402

rows = np.loadtxt(gzip.open(pathlib.Path(__file__).resolve().parents[1] / "data" / "digits.csv.gz"), delimiter=",")
x, y = rows[:, :64].astype(np.float32) / 16.0 / 8.0, rows[:, 64].astype(np.int64)
test = np.arange(len(x)) % 5 == 4
yt = torch.from_numpy(y[~test])
grid = np.stack(np.meshgrid(np.arange(8) / 7, np.arange(8) / 7, indexing="ij"), -1).reshape(64, 2)
sets = np.concatenate([np.broadcast_to(grid, (len(x), 64, 2)), rows[:, :64, None] / 16], -1)
sets = (sets / np.sqrt(3 * 64)).astype(np.float32)


def train(model, inputs, epochs=300):
    """Adam on inputs × s, s = 1 / max |x| (inputs of norm ≤ 1 are too small
    for Adam to train a CNN or a set network in a few hundred steps), then s
    folded into the first layer's weights: the model takes the unit-ball
    inputs, as sslth's own trainer does."""
    s = 1.0 / inputs.abs().max().item()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(epochs):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(inputs * s), yt).backward()
        opt.step()
    with torch.no_grad():
        for name, p in model[0].named_parameters():
            if name.endswith("weight"):
                p *= s
    return model


torch.manual_seed(0)
conv = lambda i, o: torch.nn.Conv2d(i, o, 3, padding=1, padding_mode="circular")
SetLayer, MeanOverPoints = torch_set_modules(torch)
cases = [
    ("mlp", torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10)), None, x),
    ("cnn", torch.nn.Sequential(conv(1, 8), torch.nn.ReLU(), conv(8, 16), torch.nn.ReLU(),
                                torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(16, 10)),
     (1, 8, 8), x.reshape(-1, 1, 8, 8)),
    ("sets", torch.nn.Sequential(SetLayer(3, 32, True), torch.nn.ReLU(), SetLayer(32, 32, False), torch.nn.ReLU(),
                                 MeanOverPoints(), torch.nn.Linear(32, 10)), (64, 3), sets),
]
for name, model, shape, inputs in cases:
    train(model, torch.from_numpy(inputs[~test]))
    target = sslth.from_torch(model.eval(), torch.from_numpy(inputs[:8]))
    ticket = sslth.build(target, density=0.1, weight_eps=0.001 if shape else 0.01, data="none")
    net = torch_ticket(torch, ticket.to_state_dict())
    xs = torch.from_numpy(inputs[test])
    with torch.no_grad():
        f, g_torch = model(xs).numpy(), net(xs).numpy()
    g = ticket.forward(xs.numpy())
    print(f"{name}: target test accuracy {np.mean(f.argmax(1) == y[test]):.4f}, "
          f"ticket density {ticket.report['density']:.4f}, "
          f"max |torch(ticket) - ticket.forward| {np.abs(g_torch - g).max():.3e}, "
          f"agreement torch ticket vs torch target {np.mean(g_torch.argmax(1) == f.argmax(1)):.4f}, "
          f"max |f - g| {np.linalg.norm(f - g, axis=1).max():.3e} (certified {ticket.report['certificate']['bound']:.3e})")
