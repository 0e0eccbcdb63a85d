#!/usr/bin/env bash
# Issue 10, item 2: docs/results/popup-vs-construction.md, from `sslth
# compare` on the digits (64-32-10 target) and on Fashion-MNIST
# (784-300-100-10 target, edge-popup's fully connected shape), at
# densities 0.5, 0.3, 0.1, 0.05 and 0.01, edge-popup in networks of the
# target's shape at 1, 2 and 4 times its hidden widths and in the
# construction's own random network (where it has at most 5 M edges).
#   bash bench/popup_compare.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
res=docs/results/popup-vs-construction
mkdir -p $res/digits $res/fashion
$sslth compare --data digits --arch 64-32-10 --target-epochs 50 --popup-epochs 30 --out $res/digits
$sslth compare --data fashion-mnist --arch 784-300-100-10 --target-epochs 10 --popup-epochs 10 --out $res/fashion
{
  echo "# Edge-popup beside construction (issue 10)"
  echo
  echo "Regenerate with \`bash bench/popup_compare.sh\` (\`sslth compare\`, seed 0, 2 threads). On each data"
  echo "set a target MLP with biases is trained (Adam, as \`sslth train\`); at each density (the fraction of"
  echo "the random network's edges KEPT) \`sslth build --density D --weight-eps 0.01\` constructs a ticket"
  echo "from it, and edge-popup (\`sslth popup\`, docs/THEORY.md §7) trains scores in random networks of"
  echo "the target's shape at 1, 2 and 4 times its hidden widths (Kaiming uniform weights, edge-popup's"
  echo "defaults: SGD, learning rate 0.1, momentum 0.9, weight decay 5e-4, cosine schedule, batches of"
  echo "128) and in the construction's own random network (same shapes, scales and seed; there the"
  echo "learning rate is tuned, see the table's note). All random weights come from the same generator."
  echo "\"wall s\" is target training plus construction for constructed tickets, score training for"
  echo "edge-popup; \"compact KiB\" the compact ticket file; \"kept / target weight\" the kept edges over the"
  echo "target's weights. A construction refused at a density says why (\`--density\` takes the densest"
  echo "k of the measured sizing no denser than asked, docs/THEORY.md §3.2)."
  echo
  echo "## Digits, target 64-32-10 (50 epochs), edge-popup 30 epochs"
  echo
  cat $res/digits/compare.md
  echo
  echo "![](popup-vs-construction/digits/accuracy-density.svg)"
  echo "![](popup-vs-construction/digits/accuracy-size.svg)"
  echo
  echo "## Fashion-MNIST, target 784-300-100-10 (10 epochs), edge-popup 10 epochs"
  echo
  cat $res/fashion/compare.md
  echo
  echo "![](popup-vs-construction/fashion/accuracy-density.svg)"
  echo "![](popup-vs-construction/fashion/accuracy-size.svg)"
} > docs/results/popup-vs-construction.md
cat docs/results/popup-vs-construction.md
