#!/usr/bin/env bash
# The PyTorch round trip of the Python package: installs
# torch (CPU wheels from PyPI, ~5 GB) in a venv of its own, builds the
# package into it with maturin, and runs the pytest suite, whose torch
# tests (a Linear MLP and a circular CNN made in torch, their
# tickets loaded back into nn.Sequential) run only where torch imports.
# Then trains a small MLP, CNN and set network in torch on the digits and
# prints the round trip's figures (max logit difference, agreement), and
# the agreement of a plain MLP export's ticket over 10 training seeds.
#   bash bench/torch_round_trip.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/torch_venv.sh
SSLTH_BIN=target/release/sslth $venv/bin/python -m pytest -q -p no:cacheprovider python/tests
$venv/bin/python bench/torch_round_trip.py
$venv/bin/python bench/torch_seeds.py
