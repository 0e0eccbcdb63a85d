#!/usr/bin/env bash
# sslth vs OR-Tools CP-SAT and HiGHS on the same RFSS instances, one thread
# each, in three views: the library in process, the Python package's
# solve_batch, and the CLI batch as a user runs it. Makes its own venv
# (bench/.venv, with the package built into it by maturin), writes
# bench/out/mip_compare.{json,md}.
#   bash bench/compare_mip.sh [--per-shape 5] [--time-limit 5]
set -euo pipefail
cd "$(dirname "$0")/.."
venv=bench/.venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q ortools highspy numpy "maturin>=1.16,<2"
fi
VIRTUAL_ENV=$PWD/$venv PATH=$PWD/$venv/bin:$PATH maturin develop --release --quiet
cargo build -q --release -p rfss --features jsonl --example time_jsonl
cargo build -q --release -p sslth-cli
mkdir -p bench/out
"$venv/bin/python" bench/compare_mip.py --timer target/release/examples/time_jsonl --cli target/release/sslth --out bench/out "$@"
