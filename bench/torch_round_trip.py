"""Round trip through PyTorch on the digits: train an MLP (64-32-10) and a
circular CNN (1-8-16, average pooling, dense 16-10) in torch, build a ticket
of each from the in-memory state_dict, load to_state_dict() into an
nn.Sequential, and compare the logits of torch's ticket with
ticket.forward and the predictions with the torch target's, on the test
rows (row i of the digits is a test row iff i mod 5 = 4)."""

import gzip
import pathlib
import sys

import numpy as np
import torch

import sslth

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "python" / "tests"))
from test_sslth import torch_ticket  # noqa: E402

rows = np.loadtxt(gzip.open(pathlib.Path(__file__).resolve().parents[1] / "data" / "digits.csv.gz"), delimiter=",")
x, y = rows[:, :64].astype(np.float32) / 16.0 / 8.0, rows[:, 64].astype(np.int64)
test = np.arange(len(x)) % 5 == 4
xt, yt = torch.from_numpy(x[~test]), torch.from_numpy(y[~test])


def train(model, inputs, epochs=300):
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(epochs):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(inputs), yt).backward()
        opt.step()
    return model


torch.manual_seed(0)
conv = lambda i, o: torch.nn.Conv2d(i, o, 3, padding=1, padding_mode="circular")
cases = [
    ("mlp", torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10)), None, (-1, 64)),
    ("cnn", torch.nn.Sequential(conv(1, 8), torch.nn.ReLU(), conv(8, 16), torch.nn.ReLU(),
                                torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(16, 10)),
     (1, 8, 8), (-1, 1, 8, 8)),
]
for name, model, shape, view in cases:
    train(model, xt.reshape(view))
    target = sslth.target_from_state_dict(model.state_dict(), input_shape=shape)
    ticket = sslth.build(target, density=0.1, weight_eps=0.001 if shape else 0.01, data="none")
    net = torch_ticket(torch, ticket.to_state_dict())
    xs = torch.from_numpy(x[test]).reshape(view)
    with torch.no_grad():
        f, g_torch = model(xs).numpy(), net(xs).numpy()
    g = ticket.forward(xs.numpy())
    print(f"{name}: target test accuracy {np.mean(f.argmax(1) == y[test]):.4f}, "
          f"ticket density {ticket.report['density']:.4f}, "
          f"max |torch(ticket) - ticket.forward| {np.abs(g_torch - g).max():.3e}, "
          f"agreement torch ticket vs torch target {np.mean(g_torch.argmax(1) == f.argmax(1)):.4f}, "
          f"max |f - g| {np.linalg.norm(f - g, axis=1).max():.3e} (certified {ticket.report['certificate']['bound']:.3e})")
