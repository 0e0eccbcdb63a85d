#!/usr/bin/env bash
# docs/results/popup-vs-construction.md, from `sslth
# compare` on the digits (64-32-10 target), on Fashion-MNIST and on MNIST
# (784-300-100-10 targets, edge-popup's fully connected shape): at each
# density, constructed tickets and edge-popup in networks of the target's
# shape (both weight laws) and in the construction's own random network
# (where it has at most 5 M edges), every popup network after the same
# learning-rate search, each cell over 3 seeds. About 45 minutes for
# digits and Fashion-MNIST together and 8 for MNIST (three densities, one
# width) on 2 cores.
#   bash bench/popup_compare.sh   (SETS="mnist": run only the data sets
#   named, the page from every set's last run)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
res=docs/results/popup-vs-construction
mnist=${MNIST:-../shared/data/mnist}
sets=${SETS:-mnist digits fashion}
mkdir -p $res/digits $res/fashion $res/mnist
case " $sets " in *" mnist "*)
  $sslth compare --data mnist:$mnist --arch 784-300-100-10 --target-epochs 10 --densities 0.1,0.05,0.01 \
    --widths 1 --popup-epochs 3 --tune-epochs 1 --out $res/mnist ;;
esac
case " $sets " in *" digits "*)
  $sslth compare --data digits --arch 64-32-10 --target-epochs 50 --popup-epochs 30 --out $res/digits ;;
esac
case " $sets " in *" fashion "*)
  $sslth compare --data fashion-mnist --arch 784-300-100-10 --target-epochs 10 --densities 0.5,0.1,0.05,0.01 \
    --widths 1,2 --popup-epochs 3 --tune-epochs 1 --out $res/fashion ;;
esac
{
  echo "# Edge-popup beside construction"
  echo
  echo "Regenerate with \`bash bench/popup_compare.sh\` (\`sslth compare\`, seeds 0, 1, 2, 2 threads). On each data"
  echo "set a target MLP with biases is trained once (Adam, as \`sslth train\`, seed 0); at each density (the"
  echo "fraction of the random network's edges KEPT) and seed, \`sslth build --density D --weight-eps 0.01 --seed S\`"
  echo "constructs a ticket from it, and edge-popup (\`sslth popup\`, docs/THEORY.md §7) trains scores in random"
  echo "networks of the target's shape at the listed multiples of its hidden widths, with both of edge-popup's"
  echo "weight laws (Kaiming uniform ±√(6/fan_in) and the signed constant ±√(2/fan_in)), and in the"
  echo "construction's own random network of that seed (its own law and scales). Every popup network gets the"
  echo "same learning-rate search: each of 0.1, 0.01 and 0.001 trains on the first nine tenths of the training"
  echo "rows (for as many epochs as the final run on digits, one epoch on Fashion-MNIST and MNIST) and is scored on the"
  echo "last tenth; the best then trains on all training rows (SGD, momentum 0.9, weight decay 5e-4, cosine"
  echo "schedule, batches of 128). Test accuracy is the mean ± sample standard deviation (min–max) over the"
  echo "three seeds; the note gives each seed's chosen rate (popup) or k and agreement (construction). \"wall s\""
  echo "is target training plus construction for constructed tickets, the search plus the final run for"
  echo "edge-popup (mean over seeds); \"compact KiB\" the compact ticket file; \"kept / target weight\" the kept"
  echo "edges over the target's weights. \`--density\` is a ceiling: the construction takes the densest k of the"
  echo "measured sizing no denser than asked, or says why it cannot (docs/THEORY.md §3.2)."
  echo
  echo "## MNIST, target 784-300-100-10 (10 epochs), edge-popup 3 epochs (search: 1 epoch per rate)"
  echo
  cat $res/mnist/compare.md
  echo
  echo "![](popup-vs-construction/mnist/accuracy-density.svg)"
  echo "![](popup-vs-construction/mnist/accuracy-size.svg)"
  echo
  echo "## Digits, target 64-32-10 (50 epochs), edge-popup 30 epochs (search: 30 epochs per rate)"
  echo
  cat $res/digits/compare.md
  echo
  echo "![](popup-vs-construction/digits/accuracy-density.svg)"
  echo "![](popup-vs-construction/digits/accuracy-size.svg)"
  echo
  echo "## Fashion-MNIST, target 784-300-100-10 (10 epochs), edge-popup 3 epochs (search: 1 epoch per rate)"
  echo
  cat $res/fashion/compare.md
  echo
  echo "![](popup-vs-construction/fashion/accuracy-density.svg)"
  echo "![](popup-vs-construction/fashion/accuracy-size.svg)"
} > docs/results/popup-vs-construction.md
cat docs/results/popup-vs-construction.md
