"""The Python package against independent oracles: brute force for the
solver, the command line for batches and ticket bytes, numpy for the
PyTorch export; bad input, a deliberate panic, thread counts."""

import itertools
import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import sslth
from sslth import rfss

ROOT = Path(__file__).resolve().parents[2]
SSLTH = os.environ.get("SSLTH_BIN", str(ROOT / "target" / "release" / "sslth"))


def cli(*args, **kw):
    return subprocess.run([SSLTH, *map(str, args)], check=True, capture_output=True, text=True, **kw)


@pytest.fixture(scope="module")
def target_file(tmp_path_factory):
    d = tmp_path_factory.mktemp("target")
    p = d / "t.safetensors"
    cli("train", "--data", "digits", "--arch", "64-16-10", "--bias", "--epochs", "3", "-o", p)
    return p


def brute(samples, k, target):
    best = min(itertools.combinations(range(len(samples)), k), key=lambda s: abs(sum(samples[i] for i in s) - target))
    return abs(sum(samples[i] for i in best) - target)


def test_solve_matches_brute_force():
    rng = np.random.default_rng(1)
    for _ in range(40):
        n, k = int(rng.integers(4, 11)), int(rng.integers(1, 4))
        x, z = rng.uniform(-1, 1, n), float(rng.uniform(-1, 1))
        a = rfss.solve(x, k, z, 1e-3, mode="best")
        assert a.status in ("found", "none") and a.optimal
        assert abs(a.gap - brute(x, k, z)) < 1e-12
        assert len(a.subset) == k and abs(x[a.subset].sum() - a.sum) < 1e-12
        w = rfss.solve(x, k, z, 0.05)
        assert (w.status == "found") == (brute(x, k, z) < 0.05)


def test_batch_equals_the_cli_and_any_thread_count():
    rng = np.random.default_rng(2)
    m, n, k = 300, 14, 4
    x, z = rng.uniform(-1, 1, (m, n)), rng.uniform(-1, 1, m)
    one = rfss.solve_batch(x, k, z, 1e-4, threads=1)
    two = rfss.solve_batch(x, k, z, 1e-4, threads=2)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)
    lines = "".join(
        json.dumps({"samples": list(map(float, x[i])), "k": k, "target": float(z[i]), "eps": 1e-4}) + "\n"
        for i in range(m))
    out = cli("rfss", "solve", "--batch", input=lines).stdout.splitlines()
    code = {"found": 1, "none": 0, "unknown": -1}
    for i, line in enumerate(out):
        r = json.loads(line)
        assert one.status[i] == code[r["status"]]
        assert one.sums[i] == r["sum"] and one.gaps[i] == r["gap"] and bool(one.optimal[i]) == r["optimal"]
        if len(r["subset"]) == k:
            assert list(one.subsets[i]) == r["subset"]


def test_bad_input_raises_one_line_errors(target_file):
    x = np.zeros(5)
    cases = [
        lambda: rfss.solve(x, 0, 0.0, 0.1),
        lambda: rfss.solve(x, 6, 0.0, 0.1),
        lambda: rfss.solve(x, 2, 0.0, -1.0),
        lambda: rfss.solve(np.array([0.0, np.nan, 1.0]), 1, 0.0, 0.1),
        lambda: rfss.solve(x, 2, 0.0, 0.1, mode="fastest"),
        lambda: rfss.solve_batch(np.zeros((3, 5)), 2, np.zeros(2), 0.1),
        lambda: rfss.solve_batch(np.zeros((3, 5)), 2, np.zeros(3), 0.1, threads=0),
        lambda: sslth.build(sslth.load(target_file), weight_eps=0.01, k=0),
        lambda: sslth.build(sslth.load(target_file)),
        lambda: sslth.load(target_file).forward(np.zeros((2, 7), dtype=np.float32)),
        lambda: sslth.target_from_state_dict({"fc.weight": np.zeros((2, 3))}),
    ]
    for case in cases:
        with pytest.raises(ValueError) as e:
            case()
        assert "\n" not in str(e.value) and str(e.value)
    with pytest.raises(OSError):
        sslth.load(ROOT / "no-such-file.safetensors")


def test_models_pickle_and_load_from_bytes(target_file, tmp_path):
    """A target or ticket travels as its file bytes: `to_bytes` is what
    `save` writes, `loads` reads them, pickle round-trips (the report
    too) and computes the same logits bit for bit."""
    import pickle

    x = np.random.default_rng(5).uniform(0, 16, (6, 64)).astype(np.float32)
    target = sslth.load(target_file)
    target.save(tmp_path / "t.safetensors")
    assert target.to_bytes() == (tmp_path / "t.safetensors").read_bytes()
    ticket = sslth.build(target, k=4, weight_eps=0.01, data="none")
    ticket.save(tmp_path / "c.safetensors", compact=True)
    compact = sslth.load(tmp_path / "c.safetensors")
    for model in (target, ticket, compact):
        again = pickle.loads(pickle.dumps(model))
        assert np.array_equal(again.forward(x).view(np.uint32), model.forward(x).view(np.uint32))
        assert again.report == model.report
        assert np.array_equal(sslth.loads(model.to_bytes()).forward(x), model.forward(x))
    assert compact.to_bytes(compact=True) == (tmp_path / "c.safetensors").read_bytes()
    assert len(pickle.dumps(compact)) < len(pickle.dumps(ticket))  # a compact ticket pickles compact
    with pytest.raises(ValueError, match="not a valid safetensors file"):
        sslth.loads(b"junk")
    # A Dask task gets the target's bytes and writes no file.
    from sslth import dask as sslth_dask

    share, _ = sslth_dask._share(target.to_bytes(), (0, 2), [], {"k": 4, "weight_eps": 0.01})
    assert share == sslth.build_shard(target, (0, 2), k=4, weight_eps=0.01)[0]


def test_each_library_error_is_its_python_exception(target_file, tmp_path):
    """FileNotFoundError, PermissionError and OSError for files,
    ValueError naming parameters as Python does (never a CLI flag),
    BuildRefused with its counts, UnsupportedLayer for networks tickets
    are not built of; each message one line."""
    target = sslth.load(target_file)

    def raised(kind, call):
        with pytest.raises(kind) as e:
            call()
        assert "\n" not in str(e.value) and "--" not in str(e.value) and "`" not in str(e.value), str(e.value)
        return e.value

    raised(FileNotFoundError, lambda: sslth.verify(tmp_path / "missing.safetensors"))
    raised(FileNotFoundError, lambda: sslth.build_file(target, tmp_path / "no" / "t.safetensors", k=4,
                                                       weight_eps=0.01))
    if os.geteuid() != 0:  # root may write anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        raised(PermissionError, lambda: sslth.build_file(target, locked / "t.safetensors", k=4, weight_eps=0.01))
    e = raised(ValueError, lambda: sslth.build(target, k=0, weight_eps=0.01, data="none"))
    assert str(e) == "k must be at least 1" and type(e) is ValueError
    e = raised(sslth.BuildRefused, lambda: sslth.build(target, k=2, n=4, weight_eps=1e-3, data="none"))
    assert isinstance(e, ValueError) and e.misses > 0 and e.worst > 1.0 and "accept_misses" in str(e)
    e = raised(sslth.BuildRefused, lambda: sslth.build(target, k=2, n=4, eps=1e-3, data="none", accept_misses=True))
    assert e.misses == 0 and e.worst > 1e-3 and "accept_over_eps" in str(e)
    arch = {"input": None, "layers": [{"layer": "linear", "in_features": 3, "out_features": 2, "bias": False},
                                      {"layer": "linear", "in_features": 2, "out_features": 2, "bias": False}]}
    sd = {"0.weight": np.ones((2, 3), np.float32), "1.weight": np.ones((2, 2), np.float32)}
    e = raised(sslth.UnsupportedLayer, lambda: sslth.target_from_state_dict(sd, architecture=arch))
    assert "no ReLU between" in str(e)
    assert issubclass(sslth.UnsupportedModelError, sslth.UnsupportedLayer)
    assert issubclass(sslth.UnsupportedLayer, ValueError)


def test_a_panic_becomes_an_exception_and_the_interpreter_survives():
    with pytest.raises(BaseException) as e:
        sslth._sslth._panic_for_tests()
    assert "deliberate panic" in str(e.value)
    assert rfss.solve(np.array([0.1, 0.2, 0.3]), 1, 0.2, 0.01).status == "found"


def big_target(*widths):
    """A dense target with bias, random weights of a trained network's scale."""
    rng = np.random.default_rng(5)
    tensors = {}
    for i, (a, b) in enumerate(zip(widths, widths[1:])):
        tensors[f"{2 * i}.weight"] = rng.uniform(-0.05, 0.05, (b, a))
        if i < len(widths) - 2:
            tensors[f"{2 * i}.bias"] = rng.uniform(-0.05, 0.05, b)
    return sslth.target_from_state_dict(tensors)


# Uninterrupted on 2 cores: the build runs for over a minute (about 11 s
# and its certificate a minute), the frontier 27 s, edge-popup 88 s;
# stopped at the next built row or training batch, each returns a second
# or so after the signal.
LONG_JOBS = {
    "build": lambda: sslth.build(big_target(784, 2000, 10), k=4, weight_eps=0.01, data="none"),
    "frontier": lambda: sslth.frontier(big_target(64, 1000, 1000, 10), ks=[4, 8], data="digits"),
    "popup": lambda: sslth.popup(widths=[64, 2000, 2000, 10], epochs=50),
}


@pytest.mark.parametrize("job", LONG_JOBS)
def test_ctrl_c_interrupts_long_work(job):
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    start = time.perf_counter()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            LONG_JOBS[job]()
    finally:
        timer.cancel()
    assert time.perf_counter() - start < 10


def test_ctrl_c_interrupts_an_attack(target_file, tmp_path):
    ticket = tmp_path / "t.safetensors"
    sslth.build(sslth.load(target_file), k=4, weight_eps=0.01).save(ticket)
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    start = time.perf_counter()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            sslth.verify(ticket, target_file, attack=True, starts=32, steps=10**6)
    finally:
        timer.cancel()
    assert time.perf_counter() - start < 10


def test_a_ticket_built_in_python_is_the_clis_file(target_file, tmp_path):
    for compact in (False, True):
        ours, theirs = tmp_path / f"py-{compact}.safetensors", tmp_path / f"cli-{compact}.safetensors"
        t = sslth.build(sslth.load(target_file), k=4, weight_eps=0.01, seed=3)
        t.save(ours, compact=compact)
        cli("build", "--target", target_file, "--k", "4", "--weight-eps", "0.01", "--seed", "3", "-o", theirs,
            *(["--compact"] if compact else []))
        assert ours.read_bytes() == theirs.read_bytes()
        with pytest.raises(FileExistsError):
            t.save(ours)
    report = t.report
    assert report["comparison"]["agreement"] > 0.9 and report["certificate"]["bound"] > 0
    # The tight certificate: below the ball's, its certified rows a subset
    # of the agreeing ones, and no raw digit image of the box beyond it.
    tight = report["tight_certificate"]
    assert 0 < tight["bound"] <= report["certificate"]["bound"]
    assert 0.5 <= tight["certified_agreement"] <= report["comparison"]["agreement"]
    x = np.random.default_rng(5).choice([0.0, 16.0], (500, 64)).astype(np.float32)
    target = sslth.load(target_file)
    assert np.abs(target.forward(x, scaled=False) - t.forward(x, scaled=False)).max() <= tight["bound"]
    # verify recomputes it from the file and an attack stays under it; a
    # tampered weight fails; an attack needs the target.
    v = sslth.verify(ours, target_file, attack=True, starts=4, steps=5)
    assert v["passed"] and v["tight_certificate"]["bound"] == tight["bound"]
    assert 0 < v["attack"]["best_error"] <= tight["bound"]
    # The margin shifts: the attack saw none above them; with no walk
    # budget (as with `sslth build --walk-budget 0`) they are the boxes'
    # and certify fewer rows, and a budget must be a count.
    shifts, seen = np.array(tight["margin_shifts"]), np.array(v["attack"]["margin_shifts"])
    assert shifts.shape == (10, 10) and np.all(seen <= shifts + 1e-3)
    unwalked = sslth.verify(ours, target_file, walk_budget=0)["tight_certificate"]
    assert np.all(np.array(unwalked["margin_shifts"]) >= shifts)
    assert unwalked["certified_agreement"] < tight["certified_agreement"]
    quick = sslth.build(sslth.load(target_file), k=4, weight_eps=0.01, seed=3, walk_budget=0)
    assert quick.report["tight_certificate"]["certified_agreement"] == unwalked["certified_agreement"]
    with pytest.raises((TypeError, OverflowError)):
        sslth.verify(ours, target_file, walk_budget=-1)
    few = sslth.verify(ours, target_file, radius=0.0, local_rows=4)["local_certificates"]
    assert few is not None and few["rows"] == 4 and few["certified"] <= 4
    bad = bytearray((tmp_path / "py-False.safetensors").read_bytes())
    bad[-3] ^= 0x40
    (tmp_path / "bad.safetensors").write_bytes(bytes(bad))
    assert not sslth.verify(tmp_path / "bad.safetensors")["passed"]
    with pytest.raises(ValueError):
        sslth.verify(ours, data="digits", attack=True)


def test_subset_orders_keep_the_fewest_edges_or_k(target_file):
    t = sslth.load(target_file)
    fewest = sslth.build(t, k=4, weight_eps=0.01).report
    fixed = sslth.build(t, k=4, weight_eps=0.01, subsets="fixed").report
    assert fewest["pairs"][0]["subsets"] == "fewest" and "subsets" not in fixed["pairs"][0]
    assert fewest["kept_edges"] < fixed["kept_edges"] and fewest["random_edges"] == fixed["random_edges"]
    with pytest.raises((TypeError, ValueError), match="fewest"):
        sslth.build(t, k=4, weight_eps=0.01, subsets="most")
    # A scale set by the median |weight|: smaller scales, every weight still
    # within its tolerance.
    median = sslth.build(t, k=4, weight_eps=0.01, scale_quantile=0.5).report
    scales = [(p["scale"], q["scale"]) for p, q in zip(median["pairs"], fewest["pairs"])]
    assert all(a <= b for a, b in scales) and any(a < b for a, b in scales), scales
    assert median["rfss_misses"] == 0
    with pytest.raises(ValueError, match="not both"):
        sslth.build(t, k=4, weight_eps=0.01, scale_quantile=0.5, scale=2.0)


def test_experiments_give_the_clis_rows(target_file, tmp_path):
    f = sslth.frontier(sslth.load(target_file), ks=[2, 4], scale_quantiles=[1, 0.5])
    cli("frontier", "--target", target_file, "--ks", "2,4", "--scale-quantiles", "1,0.5", "--out", tmp_path / "frontier")
    lines = (tmp_path / "frontier" / "frontier.csv").read_text().splitlines()
    head = lines[0].split(",")
    assert [(r["scale_quantile"], r["k"]) for r in f["rows"]] == [(1, 2), (1, 4), (0.5, 2), (0.5, 4)]
    assert len(f["theory"][0]["theorem2"]) == 32 and len(lines) == 5
    for row, line in zip(f["rows"], lines[1:]):
        cells = dict(zip(head, line.split(",")))
        for key in ("scale_quantile", "density", "kept_per_weight", "random_per_weight", "compact_bits_per_weight",
                    "agreement"):
            assert float(cells[key]) == row[key], key
        assert cells["on_accuracy_front"] == str(row["on_accuracy_front"]).lower()
    with pytest.raises(ValueError, match="scale_quantiles"):
        sslth.frontier(sslth.load(target_file), ks=[2], scale_quantiles=[0])
    ours = sslth.popup(widths=[64, 40, 10], density=0.5, epochs=1)
    ours.save(tmp_path / "py.safetensors")
    cli("popup", "--data", "digits", "--arch", "64-40-10", "--density", "0.5", "--epochs", "1", "-o",
        tmp_path / "cli.safetensors")
    assert (tmp_path / "py.safetensors").read_bytes() == (tmp_path / "cli.safetensors").read_bytes()
    assert 0.1 < ours.report["test_accuracy"] <= 1.0
    with pytest.raises(ValueError):
        sslth.compare([64, 10], densities=[1.5])


def test_forward_equals_cli_predict(target_file, tmp_path):
    """Raw inputs by default on both faces, scaled ones on request; any
    array-like; non-finite values refused; one model shared by threads."""
    x = np.random.default_rng(3).uniform(0, 16, (7, 64)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    model = sslth.load(target_file)
    cli("predict", "--model", target_file, "--input", tmp_path / "x.npy", "-o", tmp_path / "y.npy")
    np.testing.assert_array_equal(model.forward(x), np.load(tmp_path / "y.npy"))
    cli("predict", "--model", target_file, "--input", tmp_path / "x.npy", "--scaled", "-o", tmp_path / "s.npy")
    np.testing.assert_array_equal(model.forward(x, scaled=True), np.load(tmp_path / "s.npy"))
    for like in (x.astype(np.float64), x.tolist(), np.asfortranarray(x), x.astype(np.float16).astype(np.float32)):
        want = model.forward(np.asarray(like, dtype=np.float32))
        np.testing.assert_array_equal(model.forward(like), want)
    bad = x.copy()
    bad[2, 5] = np.nan
    with pytest.raises(ValueError, match="non-finite value .* in row 2"):
        model.forward(bad)
    with pytest.raises(ValueError, match="not an array of numbers"):
        model.forward([["a"] * 64])
    outs = [None] * 4

    def run(i):
        outs[i] = model.forward(x)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert all(np.array_equal(o, outs[0]) for o in outs)


def test_state_dict_round_trips_and_the_export_runs_in_numpy(target_file):
    from safetensors.numpy import load_file

    arrays = load_file(str(target_file))
    target = sslth.load(target_file)
    again = sslth.target_from_state_dict(arrays)
    x = np.random.default_rng(4).uniform(0, 0.1, (9, 64)).astype(np.float32)
    # x is already scaled (‖x‖ ≤ 1): the file's input_scale is not applied.
    np.testing.assert_array_equal(target.forward(x, scaled=True), again.forward(x))
    ticket = sslth.build(again, density=0.1, weight_eps=0.01, data="none")
    sd = ticket.to_state_dict()
    h = x.astype(np.float64)
    layers = sorted({int(k.split(".")[0]) for k in sd})
    for i in layers:
        h = h @ sd[f"{i}.weight"].T.astype(np.float64) + sd.get(f"{i}.bias", 0.0)
        if i != layers[-1]:
            h = np.maximum(h, 0.0)
    np.testing.assert_allclose(h, ticket.forward(x), rtol=1e-4, atol=1e-4)
    err = np.linalg.norm(target.forward(x, scaled=True) - ticket.forward(x), axis=1).max()
    assert err <= ticket.report["certificate"]["bound"]


def numpy_sequential(sd, x):
    """An independent forward pass of a state_dict in docs/FORMAT.md's
    naming: Linear, circular Conv2d or set modules at the named indices,
    ReLU between them, and where the indices skip, the pooling (a mean over
    the pixels or the points)."""
    keys = sorted({int(k.split(".")[0]) for k in sd})
    h = x.astype(np.float64)
    for j, i in enumerate(keys):
        w = lambda name: sd[f"{i}.{name}"].astype(np.float64)
        if f"{i}.identity.weight" in sd:  # h: [rows, N, in]
            h = h @ w("identity.weight").T + h.mean(axis=1, keepdims=True) @ w("mean.weight").T
            h = h + sd.get(f"{i}.identity.bias", 0.0)
        elif w("weight").ndim == 4:  # h: [rows, C, H, W]
            k = w("weight").shape[2]
            out = 0.0
            for a in range(k):
                for b in range(k):
                    shifted = np.roll(h, (k // 2 - a, k // 2 - b), axis=(2, 3))
                    out = out + np.einsum("oc,rchw->rohw", w("weight")[:, :, a, b], shifted)
            h = out + sd.get(f"{i}.bias", np.zeros(1))[None, :, None, None]
        else:
            h = h @ w("weight").T + sd.get(f"{i}.bias", 0.0)
        if j + 1 < len(keys):
            h = np.maximum(h, 0.0)
            if keys[j + 1] > i + 2:
                h = h.mean(axis=1) if h.ndim == 3 else h.mean(axis=(2, 3))
    return h


def test_set_and_conv_targets_and_tickets_run_in_numpy():
    rng = np.random.default_rng(6)
    u = lambda *s: rng.uniform(-0.3, 0.3, s).astype(np.float32)
    sets = {"0.identity.weight": u(5, 3), "0.identity.bias": u(5), "0.mean.weight": u(5, 3),
            "2.identity.weight": u(4, 5), "2.mean.weight": u(4, 5), "5.weight": u(3, 4), "5.bias": u(3)}
    convs = {"0.weight": u(4, 1, 3, 3), "0.bias": u(4), "2.weight": u(5, 4, 3, 3), "6.weight": u(3, 5), "6.bias": u(3)}
    relu = {"layer": "relu"}
    set_arch = {"input": {"kind": "set", "features": 3, "points": 6}, "layers": [
        {"layer": "set", "in_features": 3, "out_features": 5, "bias": True}, relu,
        {"layer": "set", "in_features": 5, "out_features": 4, "bias": False}, relu, {"layer": "mean_pool"},
        {"layer": "linear", "in_features": 4, "out_features": 3, "bias": True}]}
    conv = lambda i, o, b: {"layer": "conv2d", "in_channels": i, "out_channels": o, "kernel": [3, 3], "stride": [1, 1],
                            "padding": [1, 1], "dilation": [1, 1], "padding_mode": "circular", "bias": b}
    conv_arch = {"input": {"kind": "image", "channels": 1, "height": 5, "width": 5}, "layers": [
        conv(1, 4, True), relu, conv(4, 5, False), relu, {"layer": "adaptive_avg_pool2d", "output": [1, 1]},
        {"layer": "flatten"}, {"layer": "linear", "in_features": 5, "out_features": 3, "bias": True}]}
    for sd, layout, arch in ((sets, (6, 3), set_arch), (convs, (1, 5, 5), conv_arch)):
        # A state_dict does not say how its convolutions pad or how its sets pool.
        with pytest.raises(ValueError, match=r"no recorded architecture.*sslth\.from_torch"):
            sslth.target_from_state_dict(sd, input_shape=layout)
        target = sslth.target_from_state_dict(sd, input_shape=layout, architecture=arch)
        x = rng.uniform(0, 0.1, (11, *layout)).astype(np.float32)
        np.testing.assert_allclose(numpy_sequential(sd, x), target.forward(x), rtol=1e-4, atol=1e-6)
        ticket = sslth.build(target, k=4, weight_eps=0.01, data="none")
        np.testing.assert_allclose(numpy_sequential(ticket.to_state_dict(), x), ticket.forward(x),
                                   rtol=1e-4, atol=1e-5)
        err = np.linalg.norm(target.forward(x) - ticket.forward(x), axis=1).max()
        assert err <= ticket.report["certificate"]["bound"]


def test_torch_round_trip():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 6), torch.nn.ReLU(), torch.nn.Linear(6, 3))
    target = sslth.target_from_state_dict(model.state_dict())
    ticket = sslth.build(target, k=4, weight_eps=0.005)
    net = torch_ticket(torch, ticket.to_state_dict())
    x = torch.rand(16, 8) / 4
    np.testing.assert_allclose(net(x).detach().numpy(), ticket.forward(x.numpy()), rtol=1e-4, atol=1e-4)

def torch_set_modules(torch):
    """The set layer of docs/FORMAT.md (children identity and mean) and the
    mean over the points, as torch modules."""

    class SetLayer(torch.nn.Module):
        def __init__(self, c_in, c_out, bias):
            super().__init__()
            self.identity = torch.nn.Linear(c_in, c_out, bias=bias)
            self.mean = torch.nn.Linear(c_in, c_out, bias=False)

        def forward(self, x):
            return self.identity(x) + self.mean(x.mean(dim=1, keepdim=True))

    class MeanOverPoints(torch.nn.Module):
        def forward(self, x):
            return x.mean(dim=1)

    return SetLayer, MeanOverPoints


def torch_ticket(torch, sd):
    """An nn.Sequential for a ticket's state_dict: Linear, circular Conv2d
    or set layers at the named indices, ReLU between, the pooling where the
    indices skip (docs/FORMAT.md, "A ticket in PyTorch")."""
    SetLayer, MeanOverPoints = torch_set_modules(torch)
    keys = sorted({int(k.split(".")[0]) for k in sd})
    layers = []
    for j, i in enumerate(keys):
        if f"{i}.identity.weight" in sd:
            w = sd[f"{i}.identity.weight"]
            layers.append(SetLayer(w.shape[1], w.shape[0], f"{i}.identity.bias" in sd))
        elif sd[f"{i}.weight"].ndim == 4:
            w = sd[f"{i}.weight"]
            layers.append(torch.nn.Conv2d(w.shape[1], w.shape[0], w.shape[2], padding=w.shape[2] // 2,
                                          padding_mode="circular", bias=f"{i}.bias" in sd))
        else:
            w = sd[f"{i}.weight"]
            layers.append(torch.nn.Linear(w.shape[1], w.shape[0], bias=f"{i}.bias" in sd))
        if j + 1 < len(keys):
            layers.append(torch.nn.ReLU())
            if keys[j + 1] == i + 4:
                layers += [torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten()]
            elif keys[j + 1] == i + 3:
                layers.append(MeanOverPoints())
    net = torch.nn.Sequential(*layers)
    net.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})
    return net


def test_torch_round_trip_cnn():
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    conv = lambda i, o: torch.nn.Conv2d(i, o, 3, padding=1, padding_mode="circular")
    model = torch.nn.Sequential(conv(1, 4), torch.nn.ReLU(), conv(4, 6), torch.nn.ReLU(),
                                torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(6, 3))
    x = torch.rand(16, 1, 8, 8) / 8
    target = sslth.from_torch(model.eval(), x)
    np.testing.assert_allclose(model(x).detach().numpy(), target.forward(x.numpy()), rtol=1e-4, atol=1e-5)
    ticket = sslth.build(target, k=4, weight_eps=0.005)
    net = torch_ticket(torch, ticket.to_state_dict())
    np.testing.assert_allclose(net(x).detach().numpy(), ticket.forward(x.numpy()), rtol=1e-4, atol=1e-4)


def test_torch_round_trip_sets():
    torch = pytest.importorskip("torch")
    torch.manual_seed(2)
    SetLayer, MeanOverPoints = torch_set_modules(torch)
    model = torch.nn.Sequential(SetLayer(3, 6, True), torch.nn.ReLU(), SetLayer(6, 5, False), torch.nn.ReLU(),
                                MeanOverPoints(), torch.nn.Linear(5, 3))
    x = torch.rand(16, 7, 3) / 5
    target = sslth.from_torch(model.eval(), x)
    np.testing.assert_allclose(model(x).detach().numpy(), target.forward(x.numpy()), rtol=1e-4, atol=1e-5)
    ticket = sslth.build(target, k=4, weight_eps=0.005)
    net = torch_ticket(torch, ticket.to_state_dict())
    np.testing.assert_allclose(net(x).detach().numpy(), ticket.forward(x.numpy()), rtol=1e-4, atol=1e-4)


def torch_zoo(torch):
    """One small model of every kind from_torch reads, with an example
    batch: custom Modules with functional calls, nn.Sequential, batch
    norms, dropout, every padding mode, stride, dilation, even kernels,
    every pooling, view and flatten."""
    nn, F = torch.nn, torch.nn.functional
    SetLayer, MeanOverPoints = torch_set_modules(torch)

    class Custom(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2, self.fc3 = nn.Linear(64, 20), nn.Linear(20, 12), nn.Linear(12, 10)

        def forward(self, x):
            x = torch.flatten(x, 1)
            return self.fc3(F.relu(self.fc2(F.dropout(F.relu(self.fc1(x)), 0.5, self.training))))

    class LeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1, self.c2 = nn.Conv2d(1, 4, 3, padding=1), nn.Conv2d(4, 6, 2)
            self.fc = nn.Linear(6 * 3 * 3, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.c1(x)), 2)
            x = F.relu(self.c2(x))
            return self.fc(x.view(x.size(0), -1))

    def conv_net(**kw):
        return nn.Sequential(nn.Conv2d(1, 4, 3, **kw), nn.BatchNorm2d(4), nn.ReLU(inplace=True),
                             nn.AdaptiveMaxPool2d((2, 2)), nn.Flatten(), nn.Linear(16, 10))

    class Block(nn.Module):
        """A ResNet basic block: two 3×3 convolutions with batch norms, an
        identity or a strided 1×1 shortcut, the sum, a ReLU."""

        def __init__(self, c_in, c_out, stride):
            super().__init__()
            self.c1, self.b1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out)
            self.c2, self.b2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False), nn.BatchNorm2d(c_out)
            self.short = nn.Sequential() if stride == 1 and c_in == c_out else nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))

        def forward(self, x):
            return F.relu(self.b2(self.c2(F.relu(self.b1(self.c1(x))))) + self.short(x))

    img = torch.rand(12, 1, 8, 8) / 8
    vec = torch.rand(12, 64) / 8
    zoo = {
        "sequential mlp": (nn.Sequential(nn.Linear(64, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 10)), vec),
        "flatten first, batch norm": (nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.BatchNorm1d(16), nn.ReLU(),
                                                    nn.Linear(16, 10)), img),
        "custom module": (Custom(), img),
        "lenet": (LeNet(), img),
        "avg pool": (nn.Sequential(nn.Conv2d(1, 3, 3, padding=1, bias=False), nn.ReLU(),
                                   nn.AvgPool2d(3, 2, padding=1, count_include_pad=False), nn.Flatten(),
                                   nn.Linear(48, 10)), img),
        "global mean": (nn.Sequential(nn.Conv2d(1, 5, 5, padding=2, padding_mode="circular"), nn.ReLU(),
                                      nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(5, 10)), img),
    }
    for mode in ("zeros", "reflect", "replicate", "circular"):
        zoo[f"conv {mode} stride 2"] = (conv_net(padding=1, stride=2, padding_mode=mode), img)
    zoo["conv dilation 2"] = (conv_net(padding=2, dilation=2), img)
    zoo["conv even kernel"] = (nn.Sequential(nn.Conv2d(1, 3, 4), nn.ReLU(),
                                             nn.Flatten(), nn.Linear(75, 10)), img)
    zoo["resnet"] = (nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), Block(4, 4, 1),
                                   Block(4, 6, 2), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, 10)), img)
    zoo["sets"] = (nn.Sequential(SetLayer(3, 6, True), nn.ReLU(), SetLayer(6, 5, False), nn.ReLU(),
                                 MeanOverPoints(), nn.Linear(5, 3)), torch.rand(12, 7, 3) / 5)
    for model, _ in zoo.values():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):  # statistics a trained model would have
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.data.uniform_(0.5, 1.5)
        model.eval()
    return zoo


def test_from_torch_reads_every_supported_kind_as_torch_runs_it(tmp_path):
    torch = pytest.importorskip("torch")
    torch.manual_seed(3)
    for name, (model, x) in torch_zoo(torch).items():
        target = sslth.from_torch(model, x)
        want = model(x).detach().numpy()
        rows = x.numpy().reshape(len(x), -1) if x.ndim == 4 else x.numpy()
        np.testing.assert_allclose(target.forward(rows), want, rtol=1e-5, atol=1e-6, err_msg=name)
        # Saved with its architecture, read back (as the CLI reads it).
        path = tmp_path / f"{name.replace(' ', '_')}.safetensors"
        target.save(path)
        np.testing.assert_array_equal(sslth.load(path).forward(rows), target.forward(rows), err_msg=name)


def ball_attack(torch, f, g, x, steps=40, lr=0.05):
    """The largest ‖f(x) − g(x)‖₂ projected gradient ascent finds over
    ‖x‖₂ ≤ 1 (each example flattened), from the rows of ``x`` scaled onto
    the sphere."""
    shape = x.shape
    flat = x.reshape(len(x), -1).clone()
    flat = flat / flat.norm(dim=1, keepdim=True)
    best = 0.0
    for _ in range(steps):
        flat.requires_grad_(True)
        gap = (f(flat.reshape(shape)) - g(flat.reshape(shape))).norm(dim=1)
        best = max(best, float(gap.detach().max()))
        (grad,) = torch.autograd.grad(gap.sum(), flat)
        with torch.no_grad():
            flat = flat + lr * grad / (grad.norm(dim=1, keepdim=True) + 1e-12)
            flat = flat / flat.norm(dim=1, keepdim=True).clamp(min=1.0)
    return best


def test_tickets_of_torch_models_run_in_torch_and_stay_within_their_certificate_against_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(4)
    zoo = torch_zoo(torch)
    for name in ("lenet", "conv zeros stride 2", "conv reflect stride 2", "avg pool", "flatten first, batch norm",
                 "custom module", "sets", "resnet"):
        model, x = zoo[name]
        target = sslth.from_torch(model, x)
        np.testing.assert_allclose(target.to_torch()(x).detach().numpy(), model(x).detach().numpy(), rtol=1e-5,
                                   atol=1e-6, err_msg=name)
        ticket = sslth.build(target, k=4, weight_eps=0.005, data="none")
        g = ticket.to_torch()
        rows = x.numpy().reshape(len(x), -1) if x.ndim == 4 else x.numpy()
        gx = ticket.forward(rows)
        np.testing.assert_allclose(g(x).detach().numpy(), gx, rtol=1e-5, atol=1e-5 * np.abs(gx).max(), err_msg=name)
        # The certificate bounds the error against the torch model itself,
        # at the worst input an attack on it finds.
        found = ball_attack(torch, model, g, x.clone())
        bound = ticket.report["certificate"]["bound"]
        assert 0 < found <= bound, f"{name}: attack {found} vs certificate {bound}"


def test_from_torch_refuses_what_it_cannot_read_in_one_line():
    torch = pytest.importorskip("torch")
    nn = torch.nn
    x = torch.rand(4, 1, 8, 8)

    class Residual(nn.Module):
        def __init__(self):
            super().__init__()
            self.c = nn.Conv2d(1, 1, 3, padding=1)
            self.fc = nn.Linear(64, 10)

        def forward(self, x):
            return self.fc(torch.flatten(torch.relu(self.c(x)) + x, 1))

    class Doubled(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(64, 10)

        def forward(self, x):
            return self.fc(torch.flatten(x + x, 1))

    head = lambda act: nn.Sequential(nn.Flatten(), nn.Linear(64, 8), act, nn.Linear(8, 10)).eval()
    cases = [
        (head(nn.GELU()), r"model\.2 \(GELU\)"),
        (head(nn.Tanh()), r"model\.2 \(Tanh\)"),
        (head(nn.LeakyReLU()), r"model\.2 \(LeakyReLU\)"),
        (head(nn.LayerNorm(8)), r"model\.2 \(LayerNorm\)"),
        (nn.Sequential(nn.Conv2d(1, 2, 3, groups=1, padding=1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),
                       nn.Flatten(), nn.Linear(32, 10)).eval(), r"model\.2 \(MaxPool2d\) has ceil_mode"),
        (Residual().eval(), r"layer 0 \(fork\) comes before the first linear layer"),
        (Doubled().eval(), r"adds values at node add other than a residual block"),
    ]
    for model, needle in cases:
        with pytest.raises(sslth.UnsupportedModelError, match=needle) as e:
            sslth.from_torch(model, x)
        assert "\n" not in str(e.value)
    with pytest.raises(ValueError, match="training mode"):
        sslth.from_torch(head(nn.ReLU()).train(), x)


SHARDED = dict(k=3, weight_eps=0.02, seed=5)


def test_shards_merge_into_the_one_machine_ticket(target_file, tmp_path):
    target = sslth.load(target_file)
    whole = tmp_path / "whole.safetensors"
    sslth.build(target, **SHARDED).save(whole)
    files, rounds = [], 0
    while True:
        results = [sslth.build_shard(target, (i, 3), after=files, **SHARDED) for i in range(3)]
        if not results[0][1]["attempts"]:
            break
        rounds += 1
        assert [r["shard"] for _, r in results] == ["0/3", "1/3", "2/3"]
        assert all(r["round"] == rounds for _, r in results)
        files += [b for b, _ in results]
    merged = tmp_path / "merged.safetensors"
    sslth.merge(target, files[::-1]).save(merged)
    assert merged.read_bytes() == whole.read_bytes()
    # The first round alone: the merge repairs; the same bytes.
    sslth.merge(target, files[:3]).save(merged, force=True)
    assert merged.read_bytes() == whole.read_bytes()
    with pytest.raises(ValueError, match="shard 1/3 of round 1 is missing"):
        sslth.merge(target, [files[0], files[2]])
    with pytest.raises(ValueError, match="not a valid shard file"):
        sslth.merge(target, [b"not a shard"])
    with pytest.raises(ValueError, match=r"\(I, N\)"):
        sslth.build_shard(target, (3, 3), **SHARDED)


def test_build_file_writes_the_files_of_build(target_file, tmp_path):
    target = sslth.load(target_file)
    ticket = sslth.build(target, data="none", **SHARDED)
    for compact in (False, True):
        whole, streamed = tmp_path / f"whole-{compact}.safetensors", tmp_path / f"streamed-{compact}.safetensors"
        ticket.save(whole, compact=compact)
        report = sslth.build_file(target, streamed, compact=compact, **SHARDED)
        assert streamed.read_bytes() == whole.read_bytes()
        assert report["file_bytes"] == streamed.stat().st_size and report["data"] is None
        checked = sslth.verify(streamed, target=target_file)
        assert checked["passed"] and checked["digest_matches"]
    # A compact file of subset streams runs streamed: the logits of the
    # ticket in memory, bit for bit; read whole for what needs its edges.
    loaded = sslth.load(streamed)
    x = np.random.default_rng(7).normal(size=(70, 64)).astype(np.float32)
    assert loaded.kind == "compact ticket" and loaded.meta == ticket.meta
    assert np.array_equal(loaded.forward(x).view(np.uint32), ticket.forward(x).view(np.uint32))
    dicts = loaded.to_state_dict(), ticket.to_state_dict()
    assert dicts[0].keys() == dicts[1].keys() and all(np.array_equal(dicts[0][k], dicts[1][k]) for k in dicts[0])
    loaded.save(tmp_path / "again.safetensors", compact=True)
    assert (tmp_path / "again.safetensors").read_bytes() == streamed.read_bytes()
    with pytest.raises(FileExistsError):
        sslth.build_file(target, streamed, **SHARDED)
    with pytest.raises(ValueError, match="weight_eps"):
        sslth.build_file(target, tmp_path / "none.safetensors", k=3)


DASK_SCRIPT = """
import sys, time
from dask.distributed import Client, LocalCluster
import sslth, sslth.dask

if __name__ == "__main__":
    target, out = sys.argv[1], sys.argv[2]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \\
            Client(cluster) as client:
        rounds = []
        t0 = time.perf_counter()
        ticket = sslth.dask.build(target, client, shards=3, on_round=rounds.append, k=3, weight_eps=0.02, seed=5)
        print(len(rounds), time.perf_counter() - t0)
        ticket.save(out)
"""


def test_dask_local_cluster_builds_the_one_machine_ticket(target_file, tmp_path):
    pytest.importorskip("distributed")
    whole = tmp_path / "whole.safetensors"
    sslth.build(sslth.load(target_file), **SHARDED).save(whole)
    script, out = tmp_path / "run_dask.py", tmp_path / "dask.safetensors"
    script.write_text(DASK_SCRIPT)
    import sys
    done = subprocess.run([sys.executable, script, target_file, out], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    rounds, seconds = done.stdout.split()
    assert int(rounds) >= 2, "this build repairs a pair on the cluster"
    assert out.read_bytes() == whole.read_bytes()
