#!/usr/bin/env bash
# A sharded build on a Dask LocalCluster (2 worker processes, one
# thread each) against the one-machine build of the same target, both from
# Python, and the CLI's shards and merge, with the byte-identity of all
# three files. Makes its own venv (bench/.venv-dask: numpy, distributed,
# the package built by maturin). Default target: the 966k-weight synthetic
# target of bench/scale.sh; writes bench/out/dask_build.md.
#   bash bench/dask_build.sh [ARCH] [SHARDS]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
arch=${1:-1000-600-600-10}
shards=${2:-4}
venv=bench/.venv-dask
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q numpy distributed "maturin>=1.16,<2"
fi
VIRTUAL_ENV=$PWD/$venv PATH=$PWD/$venv/bin:$PATH maturin develop --release --quiet
cargo build -q --release -p sslth --example synthetic_target
target=bench/out/synthetic-$arch.safetensors
[ -f "$target" ] || target/release/examples/synthetic_target "$arch" "$target"
out=bench/out/dask
rm -rf $out && mkdir -p $out
opts=(--k 4 --weight-eps 0.01 --seed 0 --data none)
t0=$(date +%s.%N)
$sslth build --target "$target" "${opts[@]}" -o $out/cli.safetensors > /dev/null
t1=$(date +%s.%N)
for ((i = 0; i < shards; i++)); do
  $sslth build --target "$target" "${opts[@]}" --shard $i/$shards -o $out/r1-$i.shard > /dev/null
done
$sslth merge --target "$target" --data none $out/r1-*.shard -o $out/cli-merged.safetensors > /dev/null
t2=$(date +%s.%N)
# LocalCluster starts worker processes that import the main module: it
# must be a file (bench/dask_build.py), not stdin.
"$venv/bin/python" bench/dask_build.py "$target" "$shards" "$out" "$arch" "$(echo "$t1 - $t0" | bc)" \
  "$(echo "$t2 - $t1" | bc)"
