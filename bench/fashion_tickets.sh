#!/usr/bin/env bash
# Dense tickets for a Fashion-MNIST 784-500-10 target.
# Needs the Debian package dataset-fashion-mnist (installed if missing).
#   bash bench/fashion_tickets.sh
# 1. trains the target once (10 epochs, seed 0) into bench/out/;
# 2. times `sslth build --weight-eps 0.01 --density 0.1` 3 times with
#    /usr/bin/time (wall clock of the build stage from the JSON report, peak
#    memory of the whole command), full and compact;
# 3. a grid of tolerance x density: n, k, m/m_t, build time, accuracies.
# Writes bench/out/fashion_tickets.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
out=bench/out
mkdir -p $out
target=$out/fashion-784-500-10.safetensors
[ -f $target ] || $sslth train --data fashion-mnist --arch 784-500-10 --bias --epochs 10 --seed 0 -o $target
md=$out/fashion_tickets.md
{
  echo "Target: $(stat -c %s $target) bytes; $($sslth eval --model $target --data fashion-mnist)"
  echo
  echo "| run | format | build s | peak RSS MiB | file MiB | density | misses | certified | measured max | target acc | ticket acc | agreement |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
} > $md
for run in 1 2 3; do
  for fmt in full compact; do
    extra=""; [ $fmt = compact ] && extra="--compact"
    /usr/bin/time -f "%M" -o $out/time.txt $sslth build --target $target --data fashion-mnist --density 0.1 \
      --weight-eps 0.01 --seed 0 -o $out/ticket-$fmt.safetensors --force --json $extra > $out/report.json
    python3 - "$run" "$fmt" "$out" >> $md <<'PY'
import json, os, sys
run, fmt, out = sys.argv[1:4]
r = json.load(open(f"{out}/report.json"))
rss = int(open(f"{out}/time.txt").read().split()[-1]) / 1024
size = os.path.getsize(f"{out}/ticket-{fmt}.safetensors") / 2**20
c = r["comparison"]
print(f"| {run} | {fmt} | {r['build_seconds']:.2f} | {rss:.0f} | {size:.1f} | {100*r['density']:.2f}% | {r['rfss_misses']} "
      f"| {r['certificate']['bound']:.3g} | {c['max_error']:.3g} | {100*c['target_accuracy']:.2f}% | {100*c['ticket_accuracy']:.2f}% | {100*c['agreement']:.2f}% |")
PY
  done
done
$sslth verify --ticket $out/ticket-compact.safetensors >> $md
{
  echo
  echo "| weight eps | density asked | density | n (layer 0, 1) | k | m/m_t | misses | build s | ticket acc | agreement | measured max | certified |"
  echo "|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
} >> $md
for eps in 0.1 0.03 0.01 0.003; do
  for density in 0.02 0.05 0.1; do
    $sslth build --target $target --data fashion-mnist --density $density --weight-eps $eps --seed 0 \
      -o $out/grid.safetensors --force --compact --json > $out/report.json || { echo "| $eps | $density | refused | | | | | | | | | |" >> $md; continue; }
    python3 - "$eps" "$density" "$out" >> $md <<'PY'
import json, sys
eps, density, out = sys.argv[1:4]
r = json.load(open(f"{out}/report.json"))
c = r["comparison"]
ns = ", ".join(str(p["n"]) for p in r["pairs"])
print(f"| {eps} | {density} | {100*r['density']:.2f}% | {ns} | {r['pairs'][0]['k']} | {r['overparameterisation']:.0f} | {r['rfss_misses']} "
      f"| {r['build_seconds']:.2f} | {100*c['ticket_accuracy']:.2f}% | {100*c['agreement']:.2f}% | {c['max_error']:.3g} | {r['certificate']['bound']:.3g} |")
PY
  done
done
cat $md
# The (density, m/m_t) of the eps = 0.01 tickets, for Figure 1
# (sslth rfss report --ticket-points bench/out/ticket_points.csv).
python3 - "$md" > $out/ticket_points.csv <<'PY'
import sys
print("density,overparameterisation,label")
for line in open(sys.argv[1]):
    f = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(f) == 12 and f[0] == "0.01" and f[2].endswith("%"):
        print(f"{float(f[2][:-1]) / 100},{f[5]},eps 0.01")
PY
