"""Tickets of the PyTorch models people train.

Each supported kind is trained in torch (digits scaled as sslth scales
them, pixel/128, so every image has norm <= 1; LeNet-5 on MNIST, pixel /
(255*28)), imported with sslth.from_torch, saved, and built by the CLI
(`sslth build --k 4 --weight-eps 0.002 --data D --json`, a finer tolerance
where a model's margins are small, as its row says, timed with
/usr/bin/time for wall time and peak memory). Then, against the TORCH
model: the ticket's agreement on the test rows, whether any test row is
certified (torch margins > the certificate's margin shifts) while the ticket predicts
another class, and the largest l_inf error projected gradient ascent finds
over the box of valid inputs, with the ticket run in torch (to_torch).
Unsupported models must be refused in one line naming the module.

    bash bench/torch_zoo.sh        # installs torch in bench/.venv-torch
"""

import gzip
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import sslth

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SSLTH = os.path.join(ROOT, "target", "release", "sslth")
MNIST = os.path.join(ROOT, "..", "shared", "data", "mnist")
FASHION = "/usr/share/datasets/fashion-mnist"


def digits():
    """The embedded digits as sslth splits and scales them."""
    rows = np.loadtxt(gzip.open(os.path.join(ROOT, "data", "digits.csv.gz"), "rt"), delimiter=",")
    x, y = rows[:, :64].astype(np.float32) / 128.0, rows[:, 64].astype(np.int64)
    test = np.arange(len(rows)) % 5 == 4
    return (x[~test].reshape(-1, 1, 8, 8), y[~test]), (x[test].reshape(-1, 1, 8, 8), y[test]), 16.0 / 128.0


def idx(folder, name):
    with gzip.open(os.path.join(folder, name), "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def mnist(folder=MNIST, sep="."):
    scale = 1.0 / (255.0 * 28.0)
    part = lambda p: ((idx(folder, f"{p}-images{sep}idx3-ubyte.gz").astype(np.float32) * scale).reshape(-1, 1, 28, 28),
                      idx(folder, f"{p}-labels{sep}idx1-ubyte.gz").astype(np.int64))
    return part("train"), part("t10k"), 255.0 * scale


def fashion():
    """Fashion-MNIST from the Debian package (bench/torch_zoo.sh installs it)."""
    return mnist(FASHION, "-")


def train(model, data, epochs, lr=3e-3, batch=64):
    (x, y), _, _ = data
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    g = torch.Generator().manual_seed(0)
    for _ in range(epochs):
        for idx_ in torch.randperm(len(x), generator=g).split(batch):
            opt.zero_grad()
            # Inputs have norm <= 1, so logits are small: scale them for the loss.
            F.cross_entropy(20.0 * model(x[idx_]), y[idx_]).backward()
            opt.step()
    return model.eval()


class Custom(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(64, 64), nn.Linear(64, 32), nn.Linear(32, 10)

    def forward(self, x):
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.dropout(F.relu(self.fc1(x)), 0.2, self.training))))


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(1, 6, 5, padding=2), nn.Conv2d(6, 16, 5)
        self.f1, self.f2, self.f3 = nn.Linear(16 * 5 * 5, 120), nn.Linear(120, 84), nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        x = x.view(x.size(0), -1)
        return self.f3(F.relu(self.f2(F.relu(self.f1(x)))))


class BasicBlock(nn.Module):
    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out)
        self.c2, self.b2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False), nn.BatchNorm2d(c_out)
        self.short = nn.Sequential() if stride == 1 and c_in == c_out else nn.Sequential(
            nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x):
        return F.relu(self.b2(self.c2(F.relu(self.b1(self.c1(x))))) + self.short(x))


def conv_block(mode, stride=2):
    return nn.Sequential(nn.Conv2d(1, 8, 3, stride=stride, padding=1, padding_mode=mode), nn.BatchNorm2d(8), nn.ReLU(),
                         nn.Conv2d(8, 16, 3, padding=1, padding_mode=mode), nn.ReLU(), nn.AdaptiveMaxPool2d(2),
                         nn.Flatten(), nn.Linear(64, 10))


def zoo():
    return {
        "Sequential MLP + Dropout": (nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Dropout(0.2),
                                                   nn.Linear(64, 10)), digits, 60),
        "custom Module (F.relu, F.dropout)": (Custom(), digits, 60),
        "MLP + BatchNorm1d": (nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.BatchNorm1d(64), nn.ReLU(),
                                            nn.Linear(64, 10)), digits, 60),
        "CNN zero padding": (conv_block("zeros", 1), digits, 60),
        "CNN zero padding, stride 2": (conv_block("zeros"), digits, 60),
        "CNN reflect, stride 2": (conv_block("reflect"), digits, 60),
        "CNN replicate, stride 2": (conv_block("replicate"), digits, 60),
        "CNN circular + global mean": (nn.Sequential(nn.Conv2d(1, 8, 3, padding=1, padding_mode="circular"), nn.ReLU(),
                                                     nn.Conv2d(8, 16, 3, padding=1, padding_mode="circular"),
                                                     nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                                     nn.Linear(16, 10)), digits, 200, 0.0005),
        "CNN dilation 2, even kernel, AvgPool2d": (nn.Sequential(nn.Conv2d(1, 8, 2, dilation=2), nn.ReLU(),
                                                                 nn.AvgPool2d(2, 1), nn.Conv2d(8, 8, 3, padding=1),
                                                                 nn.ReLU(), nn.Flatten(), nn.Linear(8 * 5 * 5, 10)),
                                                   digits, 60),
        "LeNet-5 on MNIST": (LeNet5(), mnist, 2),
        "ResNet (BatchNorm, stride-2 stage) on Fashion-MNIST": (ResNet(), fashion, 1, 0.0005),
    }


class ResNet(nn.Module):
    """A small ResNet: a stem, a basic block, a stride-2 stage with a 1×1
    shortcut, global average pooling, a linear head."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU())
        self.stage1, self.stage2 = BasicBlock(8, 8, 1), BasicBlock(8, 16, 2)
        self.head = nn.Linear(16, 10)

    def forward(self, x):
        x = self.stage2(self.stage1(self.stem(x)))
        return self.head(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def refused():
    x = torch.rand(4, 1, 8, 8) / 8
    head = lambda act: nn.Sequential(nn.Flatten(), nn.Linear(64, 16), act, nn.Linear(16, 10)).eval()

    class Doubled(nn.Module):
        def forward(self, x):
            return torch.flatten(x + x, 1)[:, :10]
    out = []
    for name, model in [("GELU MLP", head(nn.GELU())), ("Tanh MLP", head(nn.Tanh())),
                        ("LeakyReLU MLP", head(nn.LeakyReLU())), ("LayerNorm MLP", head(nn.LayerNorm(16))),
                        ("x + x (a sum that is no residual block)", Doubled().eval())]:
        try:
            sslth.from_torch(model, x)
            out.append((name, "ACCEPTED"))
        except ValueError as e:
            out.append((name, str(e)))
    return out


def box_attack(f, g, x, hi, steps=60, lr=0.02):
    """The largest |f(x) - g(x)|_inf projected gradient ascent finds over
    [0, hi]^d, from the test rows x."""
    x = x.clone()
    best = 0.0
    for _ in range(steps):
        x.requires_grad_(True)
        gap = (f(x) - g(x)).abs().amax(dim=1)
        best = max(best, float(gap.detach().max()))
        (grad,) = torch.autograd.grad(gap.sum(), x)
        with torch.no_grad():
            x = (x + lr * hi * grad.sign()).clamp(0.0, hi)
    return best


def main():
    torch.manual_seed(0)
    torch.set_num_threads(2)
    eps = float(os.environ.get("ZOO_WEIGHT_EPS", "0.002"))
    k = os.environ.get("ZOO_K", "4")
    rows = []
    tmp = tempfile.mkdtemp(prefix="sslth-zoo-")
    only = os.environ.get("ZOO_ONLY")  # a substring of the models' names to run
    # ZOO_ATTACK_STEPS: the attack on torch's steps (60 by default).
    for name, (model, data_fn, epochs, *own_eps) in zoo().items():
        if only and only not in name:
            continue
        # A network with small logit margins (the global mean's) needs a
        # finer tolerance for the same agreement.
        w_eps = own_eps[0] if own_eps else eps
        data = data_fn()
        t0 = time.time()
        model = train(model, data, epochs)
        train_s = time.time() - t0
        (_, _), (xt, yt), hi = data
        xt_t = torch.from_numpy(xt)
        with torch.no_grad():
            f = model(xt_t).numpy()
        target = sslth.from_torch(model, xt_t[:64])
        tpath, kpath = os.path.join(tmp, "target.safetensors"), os.path.join(tmp, "ticket.safetensors")
        target.save(tpath, force=True)
        data_name = {digits: "digits", mnist: f"mnist:{MNIST}", fashion: "fashion-mnist"}[data_fn]
        cmd = ["/usr/bin/time", "-f", "%e %M", SSLTH, "build", "--target", tpath, "--k", k, "--weight-eps",
               str(w_eps), "--data", data_name, "--json", "-o", kpath, "--force"]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            rows.append({"model": name, "error": p.stderr.strip().splitlines()[-2]})
            print(name, "FAILED:", rows[-1]["error"], file=sys.stderr)
            continue
        wall, peak_kb = p.stderr.strip().splitlines()[-1].split()
        report = json.loads(p.stdout)
        print(f"{name}: trained in {train_s:.0f} s, built in {wall} s", file=sys.stderr, flush=True)
        ticket = sslth.load(kpath)
        g_rows = ticket.forward(xt.reshape(len(xt), -1))
        g_torch = ticket.to_torch()
        with torch.no_grad():
            back = g_torch(xt_t[:64]).numpy()
        # ticket.to_torch() against ticket.forward, relative to the logits.
        to_torch_gap = float(np.abs(back - g_rows[:64]).max() / np.abs(g_rows[:64]).max())
        tight = report["tight_certificate"]["bound"]
        # A row is certified where torch's top logit c beats every other o
        # by more than the certificate's margin shift (c, o).
        shifts = np.array(report["tight_certificate"]["margin_shifts"])
        top = f.argmax(1)
        margins = f[np.arange(len(f)), top][:, None] - f
        margins[np.arange(len(f)), top] = np.inf
        certified = np.all(margins > shifts[top], axis=1)
        wrong_certified = int(np.sum(certified & (f.argmax(1) != g_rows.argmax(1))))
        # The ticket in torch is dense (pruned weights zero): a wide one is
        # attacked from fewer rows.
        steps = int(os.environ.get("ZOO_ATTACK_STEPS", "60"))
        attack = box_attack(model, g_torch, xt_t[: 256 if report["random_edges"] < 10**7 else 16], hi, steps)
        rows.append({
            "model": name,
            "weight eps": w_eps,
            "torch accuracy": float(np.mean(f.argmax(1) == yt)),
            "agreement with torch": float(np.mean(f.argmax(1) == g_rows.argmax(1))),
            "kept per target weight": report["kept_edges"] / report["target_weights"],
            "density": report["density"],
            "ball bound": report["certificate"]["bound"],
            "tight bound": tight,
            "certified agreement": float(np.mean(certified)),
            "certified but wrong": wrong_certified,
            "attack on torch (l_inf)": attack,
            "to_torch relative gap": to_torch_gap,
            "build s": float(wall),
            "peak MiB": int(peak_kb) / 1024,
            "train s": train_s,
        })
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    print("| model | weight eps | torch acc | agreement | kept / weight | density | ball bound | tight bound | certified "
          "agreement | certified but wrong | attack on torch | to_torch gap | build s | peak MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print(f"| {r['model']} | build failed: {r['error']} |")
            continue
        kept = f"{r['kept per target weight']:.2f}"
        print(f"| {r['model']} | {r['weight eps']:g} | {100 * r['torch accuracy']:.2f}% | {100 * r['agreement with torch']:.2f}% | {kept} | "
              f"{r['density']:.4f} | {r['ball bound']:.3g} | {r['tight bound']:.3g} | "
              f"{100 * r['certified agreement']:.2f}% | {r['certified but wrong']} | {r['attack on torch (l_inf)']:.3g} | "
              f"{r['to_torch relative gap']:.1e} | {r['build s']:.1f} | {r['peak MiB']:.0f} |")
    print()
    print("| refused model | message |")
    print("|---|---|")
    for name, msg in refused():
        print(f"| {name} | {msg} |")


if __name__ == "__main__":
    main()
