#!/usr/bin/env bash
# Second fine-tuning setting: lighter regularisation for a 3-epoch budget.
set -euo pipefail
FM="${1:?Fashion-MNIST folder}"; OUT="${2:?output folder of fashion-mnist-eval.sh}"; S="$(dirname "$(readlink -f "$0")")/../bin/semaim"
FT=(--train "$FM/train-images-idx3-ubyte.gz" --test "$FM/t10k-images-idx3-ubyte.gz" --channels 1 --train-limit 10000 --epochs 3 --blr 2e-3 --mixup 0 --cutmix 0 --reprob 0 --no-rand-augment)
t() { local name=$1; shift; local s=$(date +%s); "$@"; echo "$name wall_seconds $(( $(date +%s) - s ))" >> "$OUT/times2.txt"; }
t ft2-scratch "$S" finetune "${FT[@]}" --output "$OUT/ft2-scratch.json" --weights-dir "$OUT/ft2w-scratch"
for o in semantic stochastic raster; do
  t "ft2-$o" "$S" finetune "${FT[@]}" --checkpoint "$OUT/ablate/cells/${o}_pixel_d6" --output "$OUT/ft2-$o.json" --weights-dir "$OUT/ft2w-$o"
done
