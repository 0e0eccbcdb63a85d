#!/usr/bin/env bash
# Tickets of the PyTorch models people train (issue 31): installs torch
# (CPU wheels from PyPI, ~5 GB) in bench/.venv-torch, builds the CLI and
# the Python package into it, and runs bench/torch_zoo.py, which prints
# the zoo table of docs/benchmarks.md (a row per supported kind, then the
# refused models with their one-line messages).
#   bash bench/torch_zoo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
venv=bench/.venv-torch
[ -x $venv/bin/python ] || python3 -m venv $venv
$venv/bin/pip install -q "maturin>=1.16,<2" numpy pytest safetensors torch
cargo build -q --release -p sslth-cli
VIRTUAL_ENV=$PWD/$venv PATH=$PWD/$venv/bin:$PATH maturin develop --release --quiet
$venv/bin/python bench/torch_zoo.py
