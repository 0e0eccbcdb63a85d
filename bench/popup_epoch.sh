#!/usr/bin/env bash
# One edge-popup training epoch against one ordinary
# training epoch of the same network, FC 784-300-100-10 on Fashion-MNIST
# (60,000 training images), batches of 128, 2 threads, alternated in one
# run, five times each:
#   sslth train --data fashion-mnist --arch 784-300-100-10 --epochs 1 --batch 128
#   sslth popup --data fashion-mnist --arch 784-300-100-10 --density 0.5 --epochs 1 --batch 128
# Each time is the command's own training loop (its JSON "seconds" /
# "train_seconds": batches, forward, backward and update; not loading the
# data, evaluating or writing). Writes bench/out/popup_epoch.md.
#   bash bench/popup_epoch.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
out=bench/out
mkdir -p $out
export RAYON_NUM_THREADS=2
: > $out/popup_epoch.tsv
for run in 1 2 3 4 5; do
  t=$($sslth train --data fashion-mnist --arch 784-300-100-10 --epochs 1 --batch 128 --seed $run \
    -o $out/epoch-train.safetensors --force --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["seconds"])')
  p=$($sslth popup --data fashion-mnist --arch 784-300-100-10 --density 0.5 --epochs 1 --batch 128 --seed $run \
    -o $out/epoch-popup.safetensors --force --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["train_seconds"])')
  printf '%s\t%s\t%s\n' "$run" "$t" "$p" >> $out/popup_epoch.tsv
done
python3 - $out <<'PY' | tee $out/popup_epoch.md
import statistics, sys
rows = [l.split() for l in open(f"{sys.argv[1]}/popup_epoch.tsv")]
print("| run | train epoch s | images/s | edge-popup epoch s | images/s | ratio popup / train |")
print("|---|---:|---:|---:|---:|---:|")
ratios = []
for run, t, p in rows:
    t, p = float(t), float(p)
    ratios.append(p / t)
    print(f"| {run} | {t:.2f} | {60000 / t:,.0f} | {p:.2f} | {60000 / p:,.0f} | {p / t:.2f} |")
ts, ps = [float(r[1]) for r in rows], [float(r[2]) for r in rows]
print(f"| median | {statistics.median(ts):.2f} | {60000 / statistics.median(ts):,.0f} | {statistics.median(ps):.2f} "
      f"| {60000 / statistics.median(ps):,.0f} | {statistics.median(ratios):.2f} |")
PY
