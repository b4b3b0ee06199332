#!/usr/bin/env bash
# Issue 4's Fashion-MNIST comparison at one small budget: pre-train with the semantic-aware, stochastic and raster
# orders (the embedded-default budget: 4,000 images x 10 epochs), evaluate each and a random encoder with k-NN and a
# linear probe on the full Fashion-MNIST (60k / 10k), and fine-tune each (and from scratch) on a 10k subset.
# Usage: scripts/fashion-mnist-eval.sh FASHION_MNIST_DIR OUT_DIR
set -euo pipefail
FM="${1:?folder with train-images-idx3-ubyte.gz etc.}"
OUT="${2:?output folder}"
S="$(dirname "$(readlink -f "$0")")/../bin/semaim"
TRAIN="$FM/train-images-idx3-ubyte.gz"; TEST="$FM/t10k-images-idx3-ubyte.gz"
mkdir -p "$OUT"
t() { local name=$1; shift; local s=$(date +%s); "$@"; echo "$name wall_seconds $(( $(date +%s) - s ))" >> "$OUT/times.txt"; }
t ablate "$S" ablate --orders semantic,stochastic,raster --output "$OUT/ablate" --train "$TRAIN" --test "$TEST"
t knn-random "$S" knn --train "$TRAIN" --test "$TEST" --channels 1 --output "$OUT/knn-random.json"
t linprobe-random "$S" linprobe --train "$TRAIN" --test "$TEST" --channels 1 --output "$OUT/linprobe-random.json"
FT=(--train "$TRAIN" --test "$TEST" --channels 1 --train-limit 10000 --epochs 3 --no-rand-augment)
t finetune-scratch "$S" finetune "${FT[@]}" --output "$OUT/finetune-scratch.json" --weights-dir "$OUT/ft-scratch"
for o in semantic stochastic raster; do
  t "finetune-$o" "$S" finetune "${FT[@]}" --checkpoint "$OUT/ablate/cells/${o}_pixel_d6" \
    --output "$OUT/finetune-$o.json" --weights-dir "$OUT/ft-$o"
done
