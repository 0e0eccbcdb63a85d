#!/usr/bin/env bash
# The tight certificate against the exact maximum (docs/THEORY.md §6.2,
# "Exact answers"): small digits targets trained here, their tickets
# (--k 4 --weight-eps 0.01), and with EXACT_DEMO=1 the digits MLP demo;
# for each, the tight bound, the attack's best error, the exact largest
# error over the box by a mixed integer program (HiGHS,
# python/tests/milp_exact.py; SECONDS per program, default 600, after
# which HiGHS's bracket is printed) and their ratio.
# Usage: [EXACT_DEMO=1] bash bench/exact_check.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
venv=bench/.venv-exact
[ -x $venv/bin/python ] || python3 -m venv $venv
$venv/bin/pip install -q "maturin>=1.16,<2" numpy safetensors highspy
cargo build -q --release -p sslth-cli
VIRTUAL_ENV=$PWD/$venv PATH=$PWD/$venv/bin:$PATH maturin develop --release --quiet
sslth=target/release/sslth
out=$(mktemp -d)
for arch in 64-6-10 64-8-10 64-6-6-10; do
  $sslth train --data digits --arch $arch --bias --epochs 3 -o $out/$arch.target.safetensors >/dev/null
  $sslth build --target $out/$arch.target.safetensors --k 4 --weight-eps 0.01 -o $out/$arch.ticket.safetensors >/dev/null
  echo "== $arch"
  $venv/bin/python python/tests/milp_exact.py $out/$arch.ticket.safetensors $out/$arch.target.safetensors $seconds
done
if [ "${EXACT_DEMO:-0}" = 1 ]; then
  $sslth demo --out $out/demo >/dev/null
  echo "== digits MLP demo"
  $venv/bin/python python/tests/milp_exact.py $out/demo/ticket.safetensors $out/demo/target.safetensors $seconds
fi
rm -rf "$out"
