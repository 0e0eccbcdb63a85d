#!/usr/bin/env bash
# docs/results/frontier.md: `sslth frontier` on the digits
# demo target and on the Fashion-MNIST 784-500-10 target of
# bench/fashion_tickets.sh (both trained here if missing): signed and
# non-negative inputs, two tolerances, k from 2 to 16, each with the
# measured rule's n and with fixed n; the Pareto front in (kept, block
# random) per target weight beside Pensia et al.'s published point. About
# 45 minutes on 2 cores shared with other work (Fashion-MNIST, 96
# tickets; digits takes 20 seconds).
#   bash bench/frontier.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
out=bench/out
mkdir -p $out docs/results/frontier
digits=$out/digits-64-32-10.safetensors
[ -f $digits ] || $sslth train --data digits --arch 64-32-10 --bias --epochs 50 --seed 0 -o $digits
fashion=$out/fashion-784-500-10.safetensors
[ -f $fashion ] || $sslth train --data fashion-mnist --arch 784-500-10 --bias --epochs 10 --seed 0 -o $fashion
scan="--inputs signed,nonneg --weight-eps 0.01,0.02 --ks 2,3,4,6,8,16 --ns 10,16,24"
$sslth frontier --target $digits $scan --out docs/results/frontier/digits
$sslth frontier --target $fashion $scan --out docs/results/frontier/fashion
{
  echo "# The sparsity frontier"
  echo
  echo "Regenerate with \`bash bench/frontier.sh\` (seed 0). For each input assumption (signed inputs, the"
  echo "general case; or \`--nonneg-input\`, pixels, which drops the first layer's N side and certifies x ≥ 0"
  echo "only), tolerance ε of every weight and subset size k, \`sslth frontier\` builds the ticket whose every"
  echo "layer has the n of the measured rule of \`sslth build --k\` (expected misses at most 0.25% of the"
  echo "layer's instances, no block side above 2%, then repaired to zero misses; \"(rule)\" in the table), and"
  echo "the tickets with n fixed at 10, 16 and 24 in every layer (no repair: their misses are counted),"
  echo "and measures each on the test rows. \"kept / weight\" and \"random / weight\" are the ticket's kept edges"
  echo "and its dense random network's edges per target weight; \"block random / weight\" counts only the"
  echo "construction's blocks (2n hidden neurons per input, one A edge each and all their B edges), as"
  echo "Pensia et al. (2020) count theirs; it does not depend on the input assumption, which changes only"
  echo "what is kept. \"compact bits / weight\" is the compact file in bits per target weight, beside Theorem"
  echo "5's unit-scale floor log2(√k/(2ε)) (docs/THEORY.md §5) and float32's 32 bits. \"front\" (◆) marks"
  echo "each input assumption's Pareto front in (kept, block random) per weight among the tickets that miss"
  echo "no weight and agree with the target on at least 99.5% of the test rows. The plot draws every ticket"
  echo "in that plane, both fronts, Theorem 2's n at its measured constant c = 1 and Theorem 5's lower bound"
  echo "for signed inputs at the smallest ε, 0.01 (in the units of Theorem 2's samples, ε′ = ε·√3/S, and in"
  echo "block edges),"
  echo "and Pensia et al.'s published point: an MNIST 784-500-10 target (397k weights, 97.19%) approximated"
  echo "at the same accuracy by pruning a random network of 8.34 M parameters to 3.73 M, 9.39 kept and 21.0"
  echo "random per target weight (their code's README, Experiment 1). MNIST is not on this machine; the"
  echo "Fashion-MNIST target below has the same shape and number of weights. What the fronts show beside"
  echo "that point, like with like: [README.md, \"Reading of frontier.md\"](README.md#reading-of-frontiermd-seed-0-the-page-is-regenerated-this-note-is-not)."
  echo
  echo "## Digits, 64-32-10"
  echo
  cat docs/results/frontier/digits/frontier.md
  echo
  echo "![](frontier/digits/frontier.svg)"
  echo
  echo "## Fashion-MNIST, 784-500-10"
  echo
  cat docs/results/frontier/fashion/frontier.md
  echo
  echo "![](frontier/fashion/frontier.svg)"
} > docs/results/frontier.md
cat docs/results/frontier.md
