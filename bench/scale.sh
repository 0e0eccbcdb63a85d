#!/usr/bin/env bash
# How the build's cost grows with the target's size. For each
# architecture (default: about 10⁶ and 10⁷ weights; add 1000-10000-10000-10
# for 10⁸), a synthetic Kaiming-normal target (crates/sslth/examples/
# synthetic_target.rs, seed 0, no data) and its compact ticket,
# `sslth build --k 4 --weight-eps 0.01 --compact`, timed whole with
# /usr/bin/time (wall seconds, peak resident memory) beside the report's
# stage times, then `sslth verify` of the ticket against its target (the
# certificate recomputed from the file), and `sslth predict` of the
# ticket on 1,000 seeded random input rows (run from its subset streams),
# timed alike. Writes bench/out/scale.md.
#   bash bench/scale.sh [WIDTHS ...]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
cargo build -q --release -p sslth --example synthetic_target
mkdir -p bench/out
archs=("$@")
[ ${#archs[@]} -gt 0 ] || archs=(1000-600-600-10 1000-3000-3000-10)
table=bench/out/scale.md
{
  echo "| target | weights | whole s | s per 10⁶ weights | peak MiB | build s | certify s | kept edges | compact bytes | bits / weight | verify s | verify peak MiB | verified | predict s (1,000 rows) | predict peak MiB |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
} > $table
for arch in "${archs[@]}"; do
  target=bench/out/synthetic-$arch.safetensors
  [ -f "$target" ] || target/release/examples/synthetic_target "$arch" "$target"
  /usr/bin/time -f "%e %M" -o bench/out/scale.time \
    $sslth build --target "$target" --k 4 --weight-eps 0.01 --compact --data none \
      -o bench/out/synthetic-$arch.ticket.safetensors --force --json > bench/out/scale.json
  read -r secs kib < bench/out/scale.time
  /usr/bin/time -f "%e %M" -o bench/out/scale.time \
    $sslth verify --ticket bench/out/synthetic-$arch.ticket.safetensors --target "$target" --json \
      > bench/out/scale-verify.json || true
  read -r vsecs vkib < bench/out/scale.time
  # 1,000 rows of the input width, uniform in [-1, 1), as a float32 .npy.
  python3 - "${arch%%-*}" bench/out/scale-x.npy <<'PY'
import random, struct, sys
d, rows = int(sys.argv[1]), 1000
rng = random.Random(0)
header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % (rows, d)
header += " " * (63 - (len(header) + 10) % 64) + "\n"
with open(sys.argv[2], "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
    f.write(struct.pack("<%df" % (rows * d), *(rng.uniform(-1, 1) for _ in range(rows * d))))
PY
  /usr/bin/time -f "%e %M" -o bench/out/scale.time \
    $sslth predict --model bench/out/synthetic-$arch.ticket.safetensors --input bench/out/scale-x.npy \
      -o bench/out/scale-logits.npy --force > /dev/null
  read -r psecs pkib < bench/out/scale.time
  python3 - "$arch" "$secs" "$kib" "$vsecs" "$vkib" "$psecs" "$pkib" >> $table <<'PY'
import json, sys
arch, secs, kib, vsecs, vkib = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
psecs, pkib = float(sys.argv[6]), int(sys.argv[7])
r = json.load(open("bench/out/scale.json"))
v = json.load(open("bench/out/scale-verify.json"))
w = r["target_weights"]
print(f"| {arch} | {w:,} | {secs:.1f} | {secs / w * 1e6:.2f} | {kib / 1024:.0f} | {r['build_seconds']:.1f} | "
      f"{r['certify_seconds']:.1f} | {r['kept_edges']:,} | {r['file_bytes']:,} | {8 * r['file_bytes'] / w:.1f} | "
      f"{vsecs:.1f} | {vkib / 1024:.0f} | {'yes' if v['passed'] else 'NO'} | {psecs:.1f} | {pkib / 1024:.0f} |")
PY
  tail -1 $table
done
cat $table
