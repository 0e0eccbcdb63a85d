"""A plain PyTorch MLP export across training seeds (the trustworthy-tickets
bar: every seed's ticket agrees with torch on at least 99.5% of the test
rows). For seeds 0..9: train nn.Sequential(Linear(64, 32), ReLU,
Linear(32, 10)) in torch on the digits (300 Adam steps on inputs x 8, the
factor folded back into the first layer, so the model takes the unit-ball
inputs), build its ticket from the in-memory state_dict with
density=0.1, weight_eps=0.01 (as `sslth build --density 0.1 --weight-eps
0.01` on the saved file), and compare predictions on the test rows (row i
is a test row iff i mod 5 = 4). Run by bench/torch_round_trip.sh, or:
    bench/.venv-torch/bin/python bench/torch_seeds.py"""

import gzip
import pathlib

import numpy as np
import torch

import sslth

rows = np.loadtxt(gzip.open(pathlib.Path(__file__).resolve().parents[1] / "data" / "digits.csv.gz"), delimiter=",")
x, y = (rows[:, :64] / 16.0 / 8.0).astype(np.float32), rows[:, 64].astype(np.int64)
test = np.arange(len(x)) % 5 == 4
xt, yt = torch.from_numpy(x[~test]) * 8, torch.from_numpy(y[~test])
worst = 1.0
for seed in range(10):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(300):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(xt), yt).backward()
        opt.step()
    with torch.no_grad():
        model[0].weight *= 8
        f = model(torch.from_numpy(x[test])).numpy()
    ticket = sslth.build(sslth.target_from_state_dict(model.state_dict()), density=0.1, weight_eps=0.01, seed=seed,
                         data="none")
    g = ticket.forward(x[test])
    agree = float(np.mean(f.argmax(1) == g.argmax(1)))
    worst = min(worst, agree)
    r = ticket.report
    print(f"seed {seed}: torch accuracy {np.mean(f.argmax(1) == y[test]):.4f}, density {r['density']:.4f}, "
          f"n {[p['n'] for p in r['pairs']]}, misses {r['rfss_misses']} of {r['rfss_instances']}, "
          f"agreement {agree:.4f}, max |f - g| {np.abs(f - g).max():.3e}")
print(f"worst agreement over 10 seeds: {worst:.4f} (bar 0.995)")
