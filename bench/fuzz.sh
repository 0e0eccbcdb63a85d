#!/usr/bin/env bash
# Fuzzes every reader of user bytes (npy, IDX, JSON Lines, target, ticket,
# streamed model, shard file) with FUZZ_INPUTS inputs each (default 10^6):
# no panic, one-line errors, allocation within each reader's stated bound
# (crates/sslth-cli/tests/fuzz_parsers.rs). CI runs the same test with
# 20,000 inputs per reader.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_INPUTS="${FUZZ_INPUTS:-1000000}" cargo test --release -p sslth-cli --test fuzz_parsers -- --nocapture 2>&1 \
  | grep -E "inputs|panicked|test result"
