"""The exact largest error of a ticket over the data's box, by a mixed
integer program (HiGHS), as an independent check of the tight certificate
(docs/THEORY.md §6.2, "Exact answers").

Both networks are read from their state dicts (`nn.Sequential` of
`Linear` layers with a ReLU after every layer but the last: a dense
target's file, and what `Model.to_state_dict` gives for its ticket), not from
the certificate's algebra. Each ReLU whose interval bounds straddle zero
gets a binary variable (the big-M encoding with those bounds); the others
are linear. For each output o and each sign, HiGHS maximises ±(g_o − f_o)
over x in [0, edge]^d to optimality; the answer is the largest of those
optima, with the solver's upper (dual) bound beside it and the point that
reaches it, which the caller can run through both networks to check the
encoding. `exact_shifts` maximises δ_o − δ_c (δ = g − f) for given pairs,
against the certificate's margin shifts.

As a script: `python milp_exact.py TICKET TARGET [SECONDS]` prints the
tight bound and the attack's best error (from `sslth.verify`), the exact
maximum (or, past SECONDS per program, the bracket HiGHS reached) and
their ratio.
"""

from __future__ import annotations

import re
import sys
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import highspy
import numpy as np
import numpy.typing as npt

Layers = List[Tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]]


def sequential(state: Dict[str, npt.NDArray[np.float32]]) -> Layers:
    """The (weight, bias) of each linear layer of an `nn.Sequential` state
    dict, in order; refuses anything else (a layer index that is not 0, 2,
    4, … would mean another module between the linear layers)."""
    index = sorted({int(m.group(1)) for k in state if (m := re.fullmatch(r"(\d+)\.weight", k))})
    if index != list(range(0, 2 * len(index), 2)) or len(state) > 2 * len(index):
        raise ValueError(f"not a Linear/ReLU nn.Sequential: {sorted(state)}")
    layers: Layers = []
    for i in index:
        w = state[f"{i}.weight"].astype(np.float64)
        if w.ndim != 2:
            raise ValueError(f"layer {i}: weight of shape {w.shape}, not [out, in]")
        b = state.get(f"{i}.bias")
        layers.append((w, np.zeros(w.shape[0]) if b is None else b.astype(np.float64)))
    return layers


@dataclass
class Exact:
    """The exact maximum of ‖g − f‖∞ over the box (to HiGHS's tolerances)."""

    maximum: float  # the best objective found
    dual_bound: float  # HiGHS's upper bound on the maximum
    optimal: bool  # every program solved to optimality (else time ran out)
    point: npt.NDArray[np.float64]  # an input reaching it
    binaries: int  # ReLUs that needed a binary variable
    seconds: float


class _Program:
    def __init__(self, dim: int, edge: float) -> None:
        self.h = highspy.Highs()
        self.h.setOptionValue("output_flag", False)
        self.h.setOptionValue("mip_rel_gap", 0.0)
        self.h.setOptionValue("mip_abs_gap", 1e-9)
        self.binary: List[int] = []
        self.x = [self.var(0.0, edge) for _ in range(dim)]

    def var(self, lo: float, hi: float) -> int:
        self.h.addVar(lo, hi)
        return self.h.getNumCol() - 1

    def row(self, lo: float, hi: float, cols: List[int], vals: List[float]) -> None:
        self.h.addRow(lo, hi, len(cols), np.array(cols, dtype=np.int32), np.array(vals, dtype=np.float64))

    def bound(self, col: int, sense: float) -> float:
        """max (`sense` 1) or −min (`sense` −1) of a column over the LP
        relaxation built so far (binaries still continuous)."""
        n = self.h.getNumCol()
        self.h.changeColsCost(n, np.arange(n, dtype=np.int32), np.zeros(n))
        self.h.changeColCost(col, sense)
        self.h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.h.run()
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"bound tightening: {self.h.modelStatusToString(self.h.getModelStatus())}")
        return float(self.h.getInfo().objective_function_value)

    def network(self, layers: Layers, edge: float) -> List[int]:
        """The network's outputs as columns, every ReLU encoded exactly.

        Interval bounds, then the LP relaxation's own bounds on each
        pre-activation they leave unstable (bound tightening: the binaries
        are still continuous), decide which ReLUs are stable and, widened
        by 10⁻⁶, are the big-M constants."""
        cols: List[Optional[int]] = list(self.x)
        lo = np.zeros(len(cols))
        hi = np.full(len(cols), edge)
        for i, (w, b) in enumerate(layers):
            wp, wn = np.maximum(w, 0.0), np.minimum(w, 0.0)
            zlo = wp @ lo + wn @ hi + b
            zhi = wp @ hi + wn @ lo + b
            pad = 1e-6 * (1.0 + np.abs(w) @ np.maximum(np.abs(lo), np.abs(hi)) + np.abs(b))
            last = i + 1 == len(layers)
            z: List[Optional[int]] = []
            for o in range(w.shape[0]):
                if not last and zhi[o] <= 0.0:
                    z.append(None)  # never active: the value is 0
                    continue
                terms = [(c, -w[o, j]) for j in np.nonzero(w[o])[0] if (c := cols[j]) is not None]
                col = self.var(zlo[o] - pad[o], zhi[o] + pad[o])
                self.row(b[o], b[o], [col] + [c for c, _ in terms], [1.0] + [v for _, v in terms])
                z.append(col)
            out: List[Optional[int]] = []
            for o, col in enumerate(z):
                if col is None or last or zlo[o] >= 0.0:
                    out.append(col)
                    continue
                zhi[o] = min(zhi[o], self.bound(col, 1.0))
                zlo[o] = max(zlo[o], -self.bound(col, -1.0))
                if zhi[o] + pad[o] <= 0.0:
                    out.append(None)
                    continue
                lo_m, hi_m = zlo[o] - pad[o], zhi[o] + pad[o]
                if lo_m >= 0.0:
                    out.append(col)
                    continue
                a = self.var(0.0, hi_m)
                s = self.var(0.0, 1.0)
                self.binary.append(s)
                self.row(0.0, highspy.kHighsInf, [a, col], [1.0, -1.0])  # a ≥ z
                self.row(-highspy.kHighsInf, -lo_m, [a, col, s], [1.0, -1.0, -lo_m])  # a ≤ z − lo(1 − s)
                self.row(-highspy.kHighsInf, 0.0, [a, s], [1.0, -hi_m])  # a ≤ hi·s
                out.append(a)
            cols = out
            lo = np.array([0.0 if c is None else zlo[k] if last else max(zlo[k], 0.0) for k, c in enumerate(out)])
            hi = np.array([0.0 if c is None else zhi[k] if last else max(zhi[k], 0.0) for k, c in enumerate(out)])
        if any(c is None for c in cols):
            raise AssertionError("the last layer keeps every output")
        return [c for c in cols if c is not None]

    def integral(self) -> None:
        """Makes the ReLUs' switches binary (after the bound tightening)."""
        for s in self.binary:
            self.h.changeColIntegrality(s, highspy.HighsVarType.kInteger)


def _programs(target: Layers, ticket: Layers, edge: float) -> Tuple[_Program, List[int], List[int]]:
    """Both networks encoded over [0, `edge`]^d: the program and the target's
    and the ticket's output columns."""
    dim = target[0][0].shape[1]
    if ticket[0][0].shape[1] != dim:
        raise ValueError(f"target of {dim} inputs, ticket of {ticket[0][0].shape[1]}")
    p = _Program(dim, edge)
    f, g = p.network(target, edge), p.network(ticket, edge)
    p.integral()
    if len(f) != len(g):
        raise ValueError(f"{len(f)} target outputs, {len(g)} ticket outputs")
    p.h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    return p, f, g


def _maximise(p: _Program, costs: Dict[int, float], seconds: Optional[float]) -> Exact:
    """max of Σ cost·column over the program (a bracket past `seconds`)."""
    start = time.perf_counter()
    n = p.h.getNumCol()
    p.h.changeColsCost(n, np.arange(n, dtype=np.int32), np.zeros(n))
    for col, cost in costs.items():
        p.h.changeColCost(col, cost)
    if seconds is not None:
        p.h.setOptionValue("time_limit", float(seconds))
    p.h.run()
    status = p.h.getModelStatus()
    if status not in (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kTimeLimit):
        raise RuntimeError(f"HiGHS stopped with {p.h.modelStatusToString(status)}")
    info = p.h.getInfo()
    point = np.array(p.h.getSolution().col_value[: len(p.x)])
    return Exact(info.objective_function_value, info.mip_dual_bound, status == highspy.HighsModelStatus.kOptimal,
                 point, len(p.binary), time.perf_counter() - start)


def exact_maximum(target: Layers, ticket: Layers, edge: float, seconds: Optional[float] = None) -> Exact:
    """max over x in [0, `edge`]^d of ‖g(x) − f(x)‖∞, `g` the ticket;
    with `seconds`, each of the 2 × outputs programs stops there and the
    answer is a bracket [maximum, dual_bound]."""
    start = time.perf_counter()
    p, f, g = _programs(target, ticket, edge)
    runs = [_maximise(p, {g[o]: sign, f[o]: -sign}, seconds) for o in range(len(f)) for sign in (1.0, -1.0)]
    best = max(runs, key=lambda r: r.maximum)
    return Exact(best.maximum, max(r.dual_bound for r in runs), all(r.optimal for r in runs), best.point,
                 len(p.binary), time.perf_counter() - start)


def exact_shifts(target: Layers, ticket: Layers, edge: float, pairs: List[Tuple[int, int]]) -> List[Exact]:
    """For each pair (c, o), max over the box of δ_o − δ_c (δ = g − f): how
    far the ticket's margin g_c − g_o falls below the target's at worst."""
    p, f, g = _programs(target, ticket, edge)
    return [_maximise(p, {g[o]: 1.0, f[o]: -1.0, g[c]: -1.0, f[c]: 1.0}, None) for c, o in pairs]


def main(ticket_path: str, target_path: str, seconds: Optional[float]) -> None:
    import sslth
    from safetensors.numpy import load_file

    report = sslth.verify(ticket_path, target_path, attack=True)
    tight = report["tight_certificate"]
    if tight is None:
        raise SystemExit("verify gave no tight certificate (is the data recorded in the ticket?)")
    target, ticket = sslth.load(target_path), sslth.load(ticket_path)
    dense = sequential(load_file(target_path))
    exact = exact_maximum(dense, sequential(ticket.to_state_dict()), tight["box_edge"], seconds)
    x = exact.point[None, :].astype(np.float32)
    seen = float(np.abs(ticket.forward(x, scaled=True) - target.forward(x, scaled=True)).max())
    word = "exact maximum" if exact.optimal else "best found (time limit)"
    print(f"tight bound {tight['bound']:.6g}  {word} {exact.maximum:.6g} (HiGHS upper bound {exact.dual_bound:.6g}, "
          f"forward passes at its point {seen:.6g})  ratio {tight['bound'] / exact.dual_bound:.3f}"
          f"–{tight['bound'] / exact.maximum:.3f}  {exact.binaries} binaries, {exact.seconds:.1f} s; "
          f"the attack (32 starts × 40 steps) found {report['attack']['best_error']:.6g}")


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        raise SystemExit("usage: milp_exact.py TICKET TARGET [SECONDS]")
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]) if len(sys.argv) == 4 else None)
