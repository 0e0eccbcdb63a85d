# Sourced by the torch bench scripts from the project root: a venv with
# torch (CPU wheels from PyPI, ~5 GB) in bench/.venv-torch, the release CLI,
# and the Python package built into the venv; $venv names it.
venv=bench/.venv-torch
[ -x $venv/bin/python ] || python3 -m venv $venv
$venv/bin/pip install -q "maturin>=1.16,<2" numpy pytest safetensors highspy torch
cargo build -q --release -p sslth-cli
VIRTUAL_ENV=$PWD/$venv PATH=$PWD/$venv/bin:$PATH maturin develop --release --quiet
