#!/usr/bin/env bash
# A CNN ticket of a Fashion-MNIST target, built and evaluated on the 10,000
# test images by the ticket's own forward pass.
# Needs the Debian package dataset-fashion-mnist (installed if missing).
#   bash bench/fashion_cnn.sh
# 1. trains the target once into bench/out/ (circular 3x3 convolutions
#    1-8-16, global average pooling, dense 16-10, biases, 3 epochs, seed 0;
#    about 2 minutes an epoch on 2 cores);
# 2. three times: `sslth build --weight-eps 0.001 --density 0.1` (full, then
#    compact), timed whole with /usr/bin/time (wall clock and peak memory of
#    what a user pays: reading the target and data, planning, building,
#    certifying, running target and ticket on the test images, writing), the
#    JSON report's stage times beside it; then `sslth eval` of the written
#    ticket file alone (its forward pass on the 10,000 images).
# Writes bench/out/fashion_cnn.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
out=bench/out
mkdir -p $out
target=$out/fashion_cnn.safetensors
[ -f $target ] || $sslth train --model cnn --data fashion-mnist --arch 1-8-16:10 --bias --epochs 3 --seed 0 -o $target
md=$out/fashion_cnn.md
{
  echo "Target: $($sslth eval --model $target --data fashion-mnist)"
  echo
  echo "| run | format | whole command s | peak RSS MiB | build s | certify s | eval (target + ticket) s | eval of the file s | file KiB | density | kept / target weight | misses | certified | measured max / mean | target acc | ticket acc | agreement |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
} > $md
for run in 1 2 3; do
  for fmt in full compact; do
    extra=""; [ $fmt = compact ] && extra="--compact"
    ticket=$out/fashion_cnn_ticket-$fmt.safetensors
    /usr/bin/time -f "%e %M" -o $out/time.txt $sslth build --target $target --data fashion-mnist --density 0.1 \
      --weight-eps 0.001 --seed 0 -o $ticket --force --json $extra > $out/report.json
    /usr/bin/time -f "%e" -o $out/eval_time.txt $sslth eval --model $ticket > /dev/null
    python3 - "$run" "$fmt" "$out" "$ticket" >> $md <<'PY'
import json, os, sys
run, fmt, out, ticket = sys.argv[1:5]
r = json.load(open(f"{out}/report.json"))
wall, rss = open(f"{out}/time.txt").read().split()[-2:]
ev = open(f"{out}/eval_time.txt").read().split()[-1]
c = r["comparison"]
print(f"| {run} | {fmt} | {float(wall):.1f} | {int(rss) / 1024:.0f} | {r['build_seconds']:.3f} | {r['certify_seconds']:.3f} "
      f"| {r['eval_seconds']:.1f} | {float(ev):.1f} | {os.path.getsize(ticket) / 1024:.0f} | {100 * r['density']:.2f}% "
      f"| {r['kept_edges'] / r['target_weights']:.1f} | {r['rfss_misses']} | {r['certificate']['bound']:.3g} "
      f"| {c['max_error']:.3g} / {c['mean_error']:.3g} | {100 * c['target_accuracy']:.2f}% | {100 * c['ticket_accuracy']:.2f}% "
      f"| {100 * c['agreement']:.2f}% |")
PY
  done
done
$sslth verify --ticket $out/fashion_cnn_ticket-compact.safetensors >> $md
cat $md
