#!/usr/bin/env bash
# The sparsest-ticket command on the Fashion-MNIST 784-500-10 target of
# bench/fashion_tickets.sh (trained there once if missing):
#   sslth build --target T --data fashion-mnist --weight-eps 0.01 --k 4
#               --nonneg-input --compact --json
# three times, each timed whole by /usr/bin/time (wall, peak memory), the
# JSON report's build stage beside it; and the default --density 0.1 build
# for comparison. Writes bench/out/sparsest.md.
#   bash bench/sparsest.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
out=bench/out
mkdir -p $out
target=$out/fashion-784-500-10.safetensors
[ -f $target ] || $sslth train --data fashion-mnist --arch 784-500-10 --bias --epochs 10 --seed 0 -o $target
md=$out/sparsest.md
{
  echo "| run | command | n (layers) | k | whole s | build s | peak RSS MiB | kept / weight | random / weight | misses | compact bits / weight | agreement | target acc | ticket acc |"
  echo "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
} > $md
for run in 1 2 3; do
  for mode in "--k 4 --nonneg-input" "--density 0.1"; do
    # shellcheck disable=SC2086
    /usr/bin/time -f "%e %M" -o $out/time.txt $sslth build --target $target --data fashion-mnist --weight-eps 0.01 \
      $mode --compact -o $out/sparsest.safetensors --force --json > $out/report.json
    python3 - "$run" "$mode" "$out" >> $md <<'PY'
import json, os, sys
run, mode, out = sys.argv[1:4]
r = json.load(open(f"{out}/report.json"))
wall, rss = open(f"{out}/time.txt").read().split()[-2:]
w, c = r["target_weights"], r["comparison"]
bits = os.path.getsize(f"{out}/sparsest.safetensors") * 8 / w
ns = ", ".join(str(p["n"]) for p in r["pairs"])
print(f"| {run} | `{mode}` | {ns} | {r['pairs'][0]['k']} | {float(wall):.1f} | {r['build_seconds']:.2f} | {int(rss) / 1024:.0f} "
      f"| {r['kept_edges'] / w:.2f} | {r['random_edges'] / w:.1f} | {r['rfss_misses']} of {r['rfss_instances']} | {bits:.1f} "
      f"| {100 * c['agreement']:.2f}% | {100 * c['target_accuracy']:.2f}% | {100 * c['ticket_accuracy']:.2f}% |")
PY
  done
done
cat $md
