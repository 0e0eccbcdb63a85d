#!/usr/bin/env bash
# Tickets of the PyTorch models people train: installs torch
# (CPU wheels from PyPI, ~5 GB) in bench/.venv-torch, builds the CLI and
# the Python package into it, and runs bench/torch_zoo.py, which prints
# the zoo table of docs/benchmarks.md (a row per supported kind, then the
# refused models with their one-line messages).
#   bash bench/torch_zoo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]; then
  apt-get install -y -q dataset-fashion-mnist >/dev/null
fi
source bench/torch_venv.sh
$venv/bin/python bench/torch_zoo.py
