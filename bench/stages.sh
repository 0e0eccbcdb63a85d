#!/usr/bin/env bash
# Where the everyday build's time goes, on 1 and 2
# threads. `sslth build --target fashion-784-500-10 --data fashion-mnist
# --density 0.1 --weight-eps 0.01` (the Fashion-MNIST target of
# bench/fashion_tickets.sh, measured on the 10,000 test images), RUNS times
# per thread count, whole command by /usr/bin/time, stages from the JSON
# report: sizing, building, certificates (ball, then the data's box),
# evaluation; the rest (reading target and data, writing) as whole minus
# those. Medians; writes bench/out/stages.md.
#   bash bench/stages.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
runs=${1:-3}
out=bench/out
target=$out/fashion-784-500-10.safetensors
[ -f $target ] || $sslth train --data fashion-mnist --arch 784-500-10 --bias --epochs 10 --seed 0 -o $target
rm -f $out/stages.jsonl
for threads in 1 2; do
  for ((run = 1; run <= runs; run++)); do
    RAYON_NUM_THREADS=$threads /usr/bin/time -f "%e %M" -o $out/stages.time $sslth build --target $target \
      --data fashion-mnist --density 0.1 --weight-eps 0.01 -o $out/stages-$threads.safetensors --force --json \
      > $out/stages.json
    python3 - "$threads" >> $out/stages.jsonl <<'PY'
import json, sys
r = json.load(open("bench/out/stages.json"))
secs, kib = open("bench/out/stages.time").read().split()
whole = float(secs)
t = {"sizing": r["sizing_seconds"], "build": r["build_seconds"] - r["sizing_seconds"],
     "certify_ball": r["certify_seconds"] - r["tight_seconds"], "certify_box": r["tight_seconds"],
     "eval": r["eval_seconds"]}
t["load_write"] = whole - r["build_seconds"] - r["certify_seconds"] - r["eval_seconds"]
print(json.dumps({"threads": int(sys.argv[1]), "whole": whole, "peak_mib": int(kib) / 1024, **t,
                  "density": r["density"]}))
PY
  done
done
cmp $out/stages-1.safetensors $out/stages-2.safetensors
python3 - > $out/stages.md <<'PY'
import json, statistics
rows = [json.loads(l) for l in open("bench/out/stages.jsonl")]
keys = ["whole", "sizing", "build", "certify_ball", "certify_box", "eval", "load_write"]
med = {t: {k: statistics.median(r[k] for r in rows if r["threads"] == t) for k in keys} for t in (1, 2)}
print(f"density {100 * rows[0]['density']:.2f}%, {len(rows) // 2} runs per thread count, "
      f"the same ticket on 1 and 2 threads (cmp)\n")
print("| stage | 1 thread s | 2 threads s | speed-up |")
print("|---|---|---|---|")
for k in keys:
    print(f"| {k} | {med[1][k]:.2f} | {med[2][k]:.2f} | {med[1][k] / max(med[2][k], 1e-9):.2f}× |")
peak = statistics.median(r["peak_mib"] for r in rows if r["threads"] == 2)
print(f"\npeak memory (2 threads): {peak:.0f} MiB")
PY
cat $out/stages.md
