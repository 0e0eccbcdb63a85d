"""What the functions return against sslth.types, key by key and type by
type (so that the typed dicts cannot drift from the library's structs),
rows straight into pandas, and options checked as Python checks keywords."""

import math
import os
import subprocess
import typing
from pathlib import Path

import numpy as np
import pytest

import sslth
from sslth import types

ROOT = Path(__file__).resolve().parents[2]
SSLTH = os.environ.get("SSLTH_BIN", str(ROOT / "target" / "release" / "sslth"))


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    p = tmp_path_factory.mktemp("types") / "t.safetensors"
    subprocess.run([SSLTH, "train", "--data", "digits", "--arch", "64-16-10", "--bias", "--epochs", "3", "-o", p],
                   check=True, capture_output=True)
    return p


def conforms(value, tp, where="result"):
    """Asserts that `value` has type `tp` (a TypedDict, List, Tuple,
    Optional, Dict or a plain type), every key of a TypedDict present
    unless optional and no key it does not declare."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is typing.Any:
        return
    if isinstance(tp, type) and issubclass(tp, dict) and hasattr(tp, "__annotations__"):
        assert isinstance(value, dict), f"{where}: {value!r} is not a dict"
        hints = typing.get_type_hints(tp)
        assert set(value) <= set(hints), f"{where}: keys {set(value) - set(hints)} not in {tp.__name__}"
        missing = set(tp.__required_keys__) - set(value)
        assert not missing, f"{where}: {tp.__name__} keys {missing} missing"
        for key, v in value.items():
            conforms(v, hints[key], f"{where}[{key!r}]")
    elif origin is typing.Literal:
        assert value in args, f"{where}: {value!r} is none of {args}"
    elif origin is typing.Union:
        assert any(_fits(value, a) for a in args), f"{where}: {value!r} is none of {args}"
    elif origin is list:
        assert isinstance(value, list), f"{where}: {value!r} is not a list"
        for i, v in enumerate(value):
            conforms(v, args[0], f"{where}[{i}]")
    elif origin is tuple:
        assert isinstance(value, tuple) and len(value) == len(args), f"{where}: {value!r} is not {tp}"
        for i, (v, a) in enumerate(zip(value, args)):
            conforms(v, a, f"{where}[{i}]")
    elif origin is dict:
        assert isinstance(value, dict), f"{where}: {value!r} is not a dict"
        for k, v in value.items():
            conforms(v, args[1], f"{where}[{k!r}]")
    elif tp is float:
        assert isinstance(value, float), f"{where}: {value!r} is not a float"
    elif tp is int:
        assert isinstance(value, int) and not isinstance(value, bool), f"{where}: {value!r} is not an int"
    else:
        assert isinstance(value, tp), f"{where}: {value!r} is not {tp}"


def _fits(value, tp):
    try:
        conforms(value, tp)
        return True
    except AssertionError:
        return False


def test_every_result_has_the_shape_its_type_states(target, tmp_path):
    t = sslth.load(target)
    ticket = sslth.build(t, k=3, weight_eps=0.01)
    conforms(ticket.report, types.BuildReport, "build report")
    assert "tight_certificate" in ticket.report  # measured on the data the target records
    # Each access is a copy of its own: what a caller changes stays theirs.
    mine = ticket.report
    mine["pairs"].clear()
    assert ticket.report["pairs"] and ticket.report == ticket.report
    conforms(ticket.meta, types.TicketMeta, "meta")
    ticket.save(tmp_path / "tk.safetensors")
    report = sslth.verify(tmp_path / "tk.safetensors", target, attack=True, starts=2, steps=3, radius=0.5)
    conforms(report, types.VerifyReport, "verify")
    assert report["passed"] and "attack" in report and "local_certificates" in report
    conforms(sslth.build_file(t, tmp_path / "f.safetensors", k=3, weight_eps=0.01), types.BuildReport, "build_file")
    share, shard_report = sslth.build_shard(t, (0, 2), k=3, weight_eps=0.01)
    assert isinstance(share, bytes)
    conforms(shard_report, types.ShardReport, "shard")
    front = sslth.frontier(t, ks=[2, 3], inputs=["nonneg", "signed"])
    conforms(front, types.Frontier, "frontier")
    # Input assumptions come signed first whatever the order asked, as the CLI writes them.
    assert [r["nonneg_input"] for r in front["rows"]] == [False, False, True, True]
    popped = sslth.popup(epochs=1, widths=[64, 32, 10])
    conforms(popped.report, types.PopupReport, "popup")
    conforms(sslth.rfss.theorem3([64, 16, 10], 0.01, 0.5), typing.List[types.Theorem3Layer], "theorem3")
    b = sslth.rfss.bounds(4, 0.01, n=40, widths=[64, 16, 10], network=t)
    conforms(b, types.Bounds, "bounds")
    assert {"ratio", "theorem3", "theorem4_layers"} <= set(b)


def test_rows_go_into_pandas_as_they_are(target):
    pandas = pytest.importorskip("pandas")
    front = sslth.frontier(sslth.load(target), ks=[2, 4])
    frame = pandas.DataFrame(front["rows"])
    assert list(frame.columns) == list(typing.get_type_hints(types.FrontierRow))
    assert len(frame) == 2 and frame["k"].tolist() == [2, 4]
    assert frame["density"].dtype == np.float64 and frame["on_front"].dtype == bool


def test_floats_stay_floats_infinity_included():
    """A result's non-finite float arrives as itself (JSON text would have
    made it None): Theorem 3 with an astronomic constant has no finite n."""
    rows = sslth.rfss.theorem3([4, 2], 0.01, 0.5, c_amp=1e300)
    assert all(isinstance(v, float) for r in rows for k, v in r.items() if k not in ("d_in", "d_out"))
    assert math.isinf(rows[0]["n"]) and rows[0]["n"] > 0


def test_bounds_refuse_arguments_outside_their_domain():
    """eps = 0 used to never return; a density above 1/2 too."""
    for call, message in [
        (lambda: sslth.rfss.theorem2_n(4, 0.0), "eps must be in"),
        (lambda: sslth.rfss.corollary1_n(0, 0.1), "k must be at least 1"),
        (lambda: sslth.rfss.theorem5_n(4, 0.1, d=0), "d must be a finite number > 0"),
        (lambda: sslth.rfss.theorem3([4, 2], 0.01, 2.0), "gamma_prime must be in"),
        (lambda: sslth.rfss.theorem3([4, 2], float("nan"), 0.5), "eps must be a finite number > 0"),
        (lambda: sslth.rfss.theorem4_n(2, 16, 9, 9.0, 0.25, 0.0), "eps must be a finite number > 0"),
    ]:
        with pytest.raises(ValueError, match=message):
            call()


def test_bounds_are_the_command_lines(target):
    """`rfss.bounds` and `sslth rfss bounds --json` compute the same values."""
    import json

    out = subprocess.run([SSLTH, "rfss", "bounds", "--k", "4", "--eps", "0.01", "--density", "0.2", "--widths", "8-4-2",
                          "--network", target, "--json"], check=True, capture_output=True, text=True).stdout
    ours = sslth.rfss.bounds(4, 0.01, density=0.2, widths=[8, 4, 2], network=sslth.load(target))
    assert json.loads(json.dumps(ours)) == json.loads(out)
    assert ours["theorem2_n"] == sslth.rfss.theorem2_n(4, 0.01)
    with pytest.raises(ValueError, match="give n or density, not both"):
        sslth.rfss.bounds(4, 0.01, n=40, density=0.2)


def test_build_options_are_checked_as_keywords(target):
    t = sslth.load(target)
    with pytest.raises(TypeError, match="wieght_eps"):
        sslth.build(t, k=3, wieght_eps=0.01)
    with pytest.raises(TypeError):
        sslth.build(t, "digits")  # data is keyword-only
    with pytest.raises(TypeError, match="k"):
        sslth.build_shard(t, (0, 2), k="three", weight_eps=0.01)
    with pytest.raises(ValueError, match="give `eps` or `weight_eps`|give eps or weight_eps"):
        sslth.build(t, k=3, eps=0.1, weight_eps=0.01)
    assert sslth.build(t, k=3, weight_eps=0.01, data="none").report["data"] is None
