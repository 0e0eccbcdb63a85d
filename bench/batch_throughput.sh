#!/usr/bin/env bash
# Throughput of `sslth rfss solve --batch`: within mode, product
# samples, eps = 0.01, k = n/4, targets uniform in [-0.4, 0.4], 2 threads.
# Prints instances per second for n in 16 32 64: median of 5 runs, each
# timing the whole process (JSON parsing, solving, writing) on COUNT lines.
#   bash bench/batch_throughput.sh [COUNT]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-200000}
cargo build -q --release -p sslth-cli
mkdir -p bench/out
for n in 16 32 64; do
  file=bench/out/batch_n$n.jsonl
  python3 - "$n" "$count" > "$file" <<'PY'
import json, random, sys
n, count = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(n)
for _ in range(count):
    xs = [round(rng.random() * (2 * rng.random() - 1), 17) for _ in range(n)]
    print(json.dumps({"samples": xs, "k": n // 4, "target": 0.8 * rng.random() - 0.4, "eps": 0.01, "mode": "within"}))
PY
  times=()
  for run in 1 2 3 4 5; do
    start=$(date +%s%N)
    RAYON_NUM_THREADS=2 target/release/sslth rfss solve --batch < "$file" > bench/out/batch_n$n.out
    end=$(date +%s%N)
    times+=("$(( (end - start) / 1000 ))")
  done
  median=$(printf '%s\n' "${times[@]}" | sort -g | sed -n 3p)
  found=$(grep -c '"found":true' bench/out/batch_n$n.out || true)
  echo "n=$n k=$((n / 4)): $count instances in $((median / 1000)) ms (median of 5) = $((count * 1000000 / median)) instances/s, $found found"
done
