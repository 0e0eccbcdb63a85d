#!/usr/bin/env bash
# Issue 20: how the build's cost grows with the target's size. For each
# architecture (default: about 10⁶ and 10⁷ weights; add 1000-10000-10000-10
# for 10⁸), a synthetic Kaiming-normal target (crates/sslth/examples/
# synthetic_target.rs, seed 0, no data) and its compact ticket,
# `sslth build --k 4 --weight-eps 0.01 --compact`, timed whole with
# /usr/bin/time (wall seconds, peak resident memory) beside the report's
# stage times, then `sslth verify` of the ticket against its target (the
# certificate recomputed from the file), timed alike. Writes
# bench/out/scale.md.
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
  echo "| target | weights | whole s | s per 10⁶ weights | peak MiB | build s | certify s | kept edges | compact bytes | bits / weight | verify s | verify peak MiB | verified |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
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
  python3 - "$arch" "$secs" "$kib" "$vsecs" "$vkib" >> $table <<'PY'
import json, sys
arch, secs, kib, vsecs, vkib = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
r = json.load(open("bench/out/scale.json"))
v = json.load(open("bench/out/scale-verify.json"))
w = r["target_weights"]
print(f"| {arch} | {w:,} | {secs:.1f} | {secs / w * 1e6:.2f} | {kib / 1024:.0f} | {r['build_seconds']:.1f} | "
      f"{r['certify_seconds']:.1f} | {r['kept_edges']:,} | {r['file_bytes']:,} | {8 * r['file_bytes'] / w:.1f} | "
      f"{vsecs:.1f} | {vkib / 1024:.0f} | {'yes' if v['passed'] else 'NO'} |")
PY
  tail -1 $table
done
cat $table
