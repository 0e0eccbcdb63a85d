"""The tight certificate against the exact answer: on small digits tickets
a mixed integer program (HiGHS, milp_exact.py) finds the true largest
error over the data's box, and the certificate must lie above it and
within the ratio docs/THEORY.md §6.2 states."""

import numpy as np
import pytest
from milp_exact import exact_maximum, exact_shifts, sequential
from safetensors.numpy import load_file
from test_sslth import cli

import sslth

# docs/THEORY.md §6.2, "Exact answers": the tight bound is at most this
# many times the exact maximum on these tickets.
STATED_RATIO = 2.0
# ... and the margin shifts, in the median over the pairs checked, at most
# this many times the exact largest δ_o − δ_c.
STATED_SHIFT_RATIO = 2.5


@pytest.mark.parametrize("arch", ["64-6-10", "64-8-10"])
def test_the_tight_bound_lies_above_the_exact_maximum_and_near_it(arch, tmp_path):
    target_path, ticket_path = tmp_path / "target.safetensors", tmp_path / "ticket.safetensors"
    cli("train", "--data", "digits", "--arch", arch, "--bias", "--epochs", "3", "-o", target_path)
    target = sslth.load(target_path)
    ticket = sslth.build(target, data="digits", k=4, weight_eps=0.01, seed=0)
    ticket.save(ticket_path)
    report = sslth.verify(ticket_path, target_path, attack=True, starts=16, steps=30)
    tight = report["tight_certificate"]
    assert tight is not None
    exact = exact_maximum(sequential(load_file(target_path)), sequential(ticket.to_state_dict()), tight["box_edge"])
    # The program's answer is real: both networks' forward passes at its
    # point show the same error.
    x = exact.point[None, :].astype(np.float32)
    seen = float(np.abs(ticket.forward(x, scaled=True) - target.forward(x, scaled=True)).max())
    assert abs(seen - exact.maximum) <= 1e-5, (seen, exact)
    assert exact.optimal and exact.dual_bound <= exact.maximum + 1e-7, "HiGHS proved its answer optimal"
    # The certificate is above the true maximum, and the attack below it.
    assert tight["bound"] >= exact.maximum - 1e-7, (tight, exact)
    attack = report["attack"]
    assert attack is not None and attack["best_error"] <= exact.maximum + 1e-5, (attack, exact)
    assert tight["bound"] <= STATED_RATIO * exact.maximum, (tight["bound"], exact.maximum)
    # The margin shifts hold too: for each class c, its tightest shift
    # (against the other output o where it is smallest) lies above the
    # exact largest δ_o − δ_c, and their median ratio is within the stated
    # one.
    shifts = np.array(tight["margin_shifts"])
    np.fill_diagonal(shifts, np.inf)
    pairs = [(c, int(np.argmin(shifts[c]))) for c in range(len(shifts))]
    exact_pairs = exact_shifts(sequential(load_file(target_path)), sequential(ticket.to_state_dict()),
                               tight["box_edge"], pairs)
    for (c, o), e in zip(pairs, exact_pairs):
        assert e.optimal and shifts[c, o] >= e.maximum - 1e-7, (c, o, shifts[c, o], e)
    ratios = [shifts[c, o] / e.maximum for (c, o), e in zip(pairs, exact_pairs)]
    assert np.median(ratios) <= STATED_SHIFT_RATIO, ratios
