"""sslth's RFSS solver against OR-Tools CP-SAT and HiGHS, side by side, on
the same instances. Run through bench/compare_mip.sh, which makes
the venv and builds the timing program.

Instances: product samples X*Y (X ~ U[0,1], Y ~ U[-1,1]), targets uniform
in [-0.4, 0.4], n in {16, 24, 32}, k in {2, 4, n/4, n/2}, modes best and
within (eps = 1e-2). Every tool gets one thread. Each tool's gap is
recomputed here from the subset it returns, with math.fsum.

Formulations. HiGHS: binaries s_i, sum s_i = k; best minimises t with
t >= sum x_i s_i - z and t >= z - sum x_i s_i, asked for the exact optimum
(mip_rel_gap = mip_abs_gap = 0; by default HiGHS stops at a 0.01% relative
gap and returns worse subsets); within asks for
z - eps' <= sum x_i s_i <= z + eps' with eps' = eps (1 - 1e-9) and no
objective. CP-SAT needs integers: x_i and z are scaled by 1e12 and rounded
(an error below 1e-11 on any sum), then the same two models (CP-SAT proves
optimality by default).

Three views, three tables:
- library: sslth timed in process (median of repeated solves of one
  instance, crates/rfss/examples/time_jsonl.rs);
- Python: what a Python user pays, `sslth.rfss.solve_batch(..., threads=1)`
  in this process, the arrays already built, per instance: each shape's
  instances repeated to 2,000 rows, wall clock of the call / rows (median
  of 3); its gaps are checked equal to the library's;
- user: what a user of the command line pays, `sslth rfss solve --batch`
  on one thread (JSON in and out, process start included), per instance:
  each shape's instances repeated to 2,000 lines, wall clock / lines.
MIP times always include building the model from Python. A MIP answer is
counted as solved only if it is as good as sslth's: in best mode a gap
larger than sslth's (by more than 1e-15), in within mode no subset within
eps where sslth found one, or no answer, counts as not solved and is timed
at the time limit (so ratios there are lower bounds).
"""

import argparse
import json
import math
import random
import statistics
import subprocess
import sys
import time

import highspy
import numpy as np
from ortools.sat.python import cp_model

import sslth.rfss

SCALE = 10**12


def instances(seed, count):
    rng = random.Random(seed)
    out = []
    for n in (16, 24, 32):
        for k in sorted({2, 4, n // 4, n // 2}):
            for mode in ("best", "within"):
                for _ in range(count):
                    xs = [rng.random() * (2 * rng.random() - 1) for _ in range(n)]
                    z = 0.8 * rng.random() - 0.4
                    out.append({"samples": xs, "k": k, "target": z, "eps": 1e-2, "mode": mode})
    return out


def gap_of(inst, subset):
    if subset is None or len(subset) != inst["k"]:
        return None
    return abs(math.fsum(inst["samples"][i] for i in subset) - inst["target"])


def solve_highs(inst, limit):
    xs, k, z, eps = inst["samples"], inst["k"], inst["target"], inst["eps"]
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("time_limit", float(limit))
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 0.0)
    s = [h.addBinary() for _ in xs]
    h.addConstr(sum(s) == k)
    total = sum(x * v for x, v in zip(xs, s))
    if inst["mode"] == "best":
        t = h.addVariable(lb=0)
        h.addConstr(t - total >= -z)
        h.addConstr(t + total >= z)
        h.minimize(t)
    else:
        e = eps * (1 - 1e-9)
        h.addConstr(total <= z + e)
        h.addConstr(total >= z - e)
        h.run()
    status = h.getModelStatus()
    if h.getInfo().primal_solution_status != 2:  # no feasible point
        return None, str(status)
    vals = h.getSolution().col_value
    return [i for i in range(len(xs)) if vals[i] > 0.5], str(status)


def solve_cpsat(inst, limit):
    xs, k, z, eps = inst["samples"], inst["k"], inst["target"], inst["eps"]
    m = cp_model.CpModel()
    s = [m.NewBoolVar(f"s{i}") for i in range(len(xs))]
    m.Add(sum(s) == k)
    xi = [round(x * SCALE) for x in xs]
    zi = round(z * SCALE)
    total = sum(c * v for c, v in zip(xi, s))
    bound = sum(abs(c) for c in xi) + abs(zi)
    if inst["mode"] == "best":
        d = m.NewIntVar(0, bound, "d")
        m.Add(total - zi <= d)
        m.Add(zi - total <= d)
        m.Minimize(d)
    else:
        e = math.ceil(eps * SCALE) - 1
        m.Add(total <= zi + e)
        m.Add(total >= zi - e)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = float(limit)
    st = solver.Solve(m)
    if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, solver.StatusName(st)
    return [i for i in range(len(xs)) if solver.Value(s[i])], solver.StatusName(st)


def timed(fn, inst, limit):
    t = time.perf_counter()
    subset, status = fn(inst, limit)
    return time.perf_counter() - t, subset, status


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--per-shape", type=int, default=5)
    ap.add_argument("--time-limit", type=float, default=5.0)
    ap.add_argument("--timer", required=True, help="path of the time_jsonl program")
    ap.add_argument("--cli", required=True, help="path of the sslth binary")
    ap.add_argument("--out", required=True, help="output folder")
    args = ap.parse_args()

    insts = instances(args.seed, args.per_shape)
    path = f"{args.out}/instances.jsonl"
    with open(path, "w") as f:
        for i in insts:
            f.write(json.dumps(i) + "\n")
    ours = [json.loads(l) for l in subprocess.run([args.timer, path], check=True, capture_output=True, text=True).stdout.splitlines()]

    # The user's view: the CLI batch, one thread, per shape.
    cli_per_instance = {}
    for shape in sorted({(len(i["samples"]), i["k"], i["mode"]) for i in insts}):
        lines = [json.dumps(i) for i in insts if (len(i["samples"]), i["k"], i["mode"]) == shape]
        reps = max(1, 2000 // len(lines))
        text = "\n".join(lines * reps) + "\n"
        runs = []
        for _ in range(3):
            t = time.perf_counter()
            subprocess.run([args.cli, "rfss", "solve", "--batch"], input=text, text=True, check=True,
                           capture_output=True, env={"RAYON_NUM_THREADS": "1"})
            runs.append((time.perf_counter() - t) / (len(lines) * reps))
        cli_per_instance[shape] = statistics.median(runs)

    # The Python view: solve_batch on one thread, per shape.
    py_per_instance = {}
    for shape in sorted({(len(i["samples"]), i["k"], i["mode"]) for i in insts}):
        group = [(i, o) for i, o in zip(insts, ours) if (len(i["samples"]), i["k"], i["mode"]) == shape]
        reps = max(1, 2000 // len(group))
        samples = np.array([i["samples"] for i, _ in group] * reps)
        targets = np.array([i["target"] for i, _ in group] * reps)
        runs = []
        for _ in range(3):
            t = time.perf_counter()
            b = sslth.rfss.solve_batch(samples, shape[1], targets, 1e-2, mode=shape[2], threads=1)
            runs.append((time.perf_counter() - t) / len(targets))
        for j, (i, o) in enumerate(group):
            assert abs(b.gaps[j] - gap_of(i, o["subset"])) <= 1e-15, (shape, j)
        py_per_instance[shape] = statistics.median(runs)

    rows = []
    for idx, (inst, mine) in enumerate(zip(insts, ours)):
        row = {"n": len(inst["samples"]), "k": inst["k"], "mode": inst["mode"], "sslth_s": mine["ns"] * 1e-9,
               "sslth_gap": gap_of(inst, mine["subset"]), "sslth_status": mine["status"]}
        for name, fn in (("highs", solve_highs), ("cpsat", solve_cpsat)):
            secs, subset, status = timed(fn, inst, args.time_limit)
            row[f"{name}_s"] = secs
            row[f"{name}_gap"] = gap_of(inst, subset)
            row[f"{name}_status"] = status
            # As good as sslth's answer, or not solved (timed at the limit).
            g, mine_gap = row[f"{name}_gap"], row["sslth_gap"]
            if inst["mode"] == "best":
                solved = g is not None and g <= mine_gap + 1e-15
            else:
                solved = (g is not None and g < inst["eps"]) or mine["status"] != "found"
            row[f"{name}_solved"] = solved
            row[f"{name}_s_counted"] = secs if solved else max(secs, args.time_limit)
        row["cli_s"] = cli_per_instance[(row["n"], row["k"], row["mode"])]
        row["python_s"] = py_per_instance[(row["n"], row["k"], row["mode"])]
        rows.append(row)
        print(f"\r{idx + 1}/{len(insts)} instances", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    with open(f"{args.out}/mip_compare.json", "w") as f:
        json.dump(rows, f, indent=1)

    text = table(rows, "sslth_s", "library view: sslth in process", args.time_limit)
    text += "\n\n" + table(rows, "python_s", "Python view: `sslth.rfss.solve_batch`, one thread, arrays in memory",
                            args.time_limit)
    text += "\n\n" + table(rows, "cli_s", "user view: `sslth rfss solve --batch`, one thread, JSON in and out", args.time_limit)
    with open(f"{args.out}/mip_compare.md", "w") as f:
        f.write(text + "\n")
    print(text)


def table(rows, ours, title, limit):
    """Per shape: median time per tool (MIPs counted at the limit when not
    solved as well as sslth), the ratio to the faster MIP, unsolved counts."""
    lines = [f"**{title}**", "",
             "| n | k | mode | sslth median | HiGHS median | CP-SAT median | faster MIP / sslth | MIP answers not as good as sslth's or at the limit |",
             "|---:|---:|---|---:|---:|---:|---:|---:|"]
    ratios = []
    by_mode = {"best": [], "within": []}
    shapes = sorted({(r["n"], r["k"], r["mode"]) for r in rows})
    for n, k, mode in shapes:
        rs = [r for r in rows if (r["n"], r["k"], r["mode"]) == (n, k, mode)]
        med = {"sslth": statistics.median(r[ours] for r in rs)}
        for t in ("highs", "cpsat"):
            med[t] = statistics.median(r[f"{t}_s_counted"] for r in rs)
        ratio = min(med["highs"], med["cpsat"]) / med["sslth"]
        ratios.append(ratio)
        by_mode[mode].append(ratio)
        unsolved = sum(1 for r in rs for t in ("highs", "cpsat")
                       if not r[f"{t}_solved"] or r[f"{t}_s"] >= limit * 0.98)
        fmt = lambda s: f"{s * 1e6:.1f} µs" if s < 1e-3 else f"{s * 1e3:.1f} ms"
        lines.append(f"| {n} | {k} | {mode} | {fmt(med['sslth'])} | {fmt(med['highs'])} | {fmt(med['cpsat'])} | {ratio:,.0f}× | {unsolved} |")
    lines.append("")
    span = lambda v: f"{min(v):,.0f}–{max(v):,.0f}×"
    lines.append(f"Median over shapes of (faster MIP median / sslth median): **{statistics.median(ratios):,.0f}×** "
                 f"(best mode {span(by_mode['best'])}, within mode {span(by_mode['within'])}).")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
