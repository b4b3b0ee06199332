#!/usr/bin/env bash
# Does pre-training pay at a small budget? Issue 14's study, with the tools it asked for:
#   scripts/small-budget-study.sh [OUT_DIR] [SEEDS] [BUDGET_IMAGES] [CELLS]
# On the embedded Fashion-MNIST subsets and on a cluttered set that semaim generates itself (make-clutter: items at
# random positions and scales on procedural textures, 20k / 5k, 56 px, pre-trained and evaluated at 28 px), `ablate`
# runs every cell per seed at the same number of images seen, next to a random encoder and raw pixels, and writes
# ablation.md with the mean and spread per configuration.
#   SEEDS          comma-separated (default 0,1,2)
#   BUDGET_IMAGES  images seen per cell (default 39680 = the embedded default's 620 steps x 64)
#   CELLS          orders x targets as ORDERS/TARGETS (default semantic,stochastic,raster/pixel,hog)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-results/small-budget}"
SEEDS="${2:-0,1,2}"
BUDGET="${3:-39680}"
CELLS="${4:-semantic,stochastic,raster/pixel,hog}"
ORDERS="${CELLS%%/*}"
TARGETS="${CELLS##*/}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
SEMAIM="$ROOT/bin/semaim"
export CI=1

echo "# small-budget study, $(date -u +%FT%TZ), commit $(git -C "$ROOT" rev-parse --short HEAD)"
lscpu | grep -E "^Model name|^CPU\(s\)"
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset}"
echo "seeds $SEEDS, budget $BUDGET images seen per cell, orders $ORDERS, targets $TARGETS"

"$SEMAIM" ablate --orders "$ORDERS" --targets "$TARGETS" --seeds "$SEEDS" --baselines random,pixels \
  --budget-images "$BUDGET" --output "$OUT/fashion" > "$OUT/fashion.log" 2>&1
echo; echo "## Fashion-MNIST (embedded 4k / 1k)"; cat "$OUT/fashion/ablation.md"

[ -f "$OUT/clutter/train-images-idx3-ubyte" ] || "$SEMAIM" make-clutter --output "$OUT/clutter" >/dev/null 2>&1
"$SEMAIM" ablate --orders "$ORDERS" --targets "$TARGETS" --seeds "$SEEDS" --baselines random,pixels \
  --budget-images "$BUDGET" --data "$OUT/clutter/train-images-idx3-ubyte" --channels 1 \
  --train "$OUT/clutter/train-images-idx3-ubyte" --test "$OUT/clutter/test-images-idx3-ubyte" \
  --output "$OUT/cluttered" > "$OUT/cluttered.log" 2>&1
echo; echo "## Cluttered Fashion-MNIST (make-clutter 20k / 5k, 56 px shown at 28 px)"; cat "$OUT/cluttered/ablation.md"
