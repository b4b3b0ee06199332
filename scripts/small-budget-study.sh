#!/usr/bin/env bash
# Does pre-training pay at a small budget? Issue 14's study, resumable (re-run the same command to continue):
#   scripts/small-budget-study.sh [OUT_DIR] [SEEDS] [MINUTES] [TARGET] [POOLS] [FINETUNE_EPOCHS] [LPFT_EPOCHS]
# On the embedded Fashion-MNIST subsets (4k / 1k) and on a cluttered set that semaim generates itself (make-clutter:
# items at random positions and scales on procedural textures, 20k / 5k, 56 px, pre-trained and evaluated at 28 px):
#   1. SemAIM (semantic order, the cpu recipe, TARGET) per seed, next to a random encoder and raw pixels (k-NN k=20 and a
#      linear probe on each feature of POOLS), fine-tuned (with a random head, and LP-FT: the head first fitted as a
#      linear probe), and fine-tuning from scratch for the same total time;
#   2. on the cluttered set, the stochastic and raster orders at the same budget (k-NN and linear probe).
# Every cell pre-trains on the images this machine pre-trains in MINUTES wall-clock minutes at the fastest precision
# it has (--precision auto): the first grid times the step and writes budget.json; the other grids reuse it, so all
# cells see the same number of images. ablation.md of each grid has the mean and spread over the seeds.
#   SEEDS            comma-separated (default 0,1,2)
#   MINUTES          pre-training minutes per cell (default 18.75: 30 CPU-minutes at the 1.6 cores a 2-core
#                    machine keeps busy; measure yours with `ps -o times` and scale)
#   TARGET           pixel, hog, ema (default hog, the cpu recipe's)
#   POOLS            features for the probes, the first in the main columns (default concat,cls,mean)
#   FINETUNE_EPOCHS  epochs of the short fine-tune (default 5)
#   LPFT_EPOCHS      linear-probe epochs that fit the head before the LP-FT fine-tune (default 30; 0 = no LP-FT)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-results/small-budget}"
SEEDS="${2:-0,1,2}"
MINUTES="${3:-18.75}"
TARGET="${4:-hog}"
POOLS="${5:-concat,cls,mean}"
FT="${6:-5}"
LPFT="${7:-30}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
SEMAIM="$ROOT/bin/semaim"
export CI=1

{
  echo "# small-budget study, $(date -u +%FT%TZ), commit $(git -C "$ROOT" rev-parse --short HEAD)"
  lscpu | grep -E "^Model name|^CPU\(s\)|^Flags" | sed 's/^Flags:\s*/Flags: /' | cut -c1-400
  echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset}"
  echo "seeds $SEEDS, $MINUTES minutes per cell, target $TARGET, pools $POOLS, fine-tuning $FT epochs, LP-FT probe $LPFT epochs"
} | tee "$OUT/machine.txt"

common=(--target "$TARGET" --targets "$TARGET" --pools "$POOLS" --budget-minutes "$MINUTES" --precision auto)
share_budget() {   # every grid pre-trains on the images the first one timed
  mkdir -p "$1"
  [ -f "$1/budget.json" ] || [ ! -f "$OUT/fashion/budget.json" ] || cp "$OUT/fashion/budget.json" "$1/"
}

[ -f "$OUT/clutter/test-labels-idx1-ubyte" ] || "$SEMAIM" make-clutter --output "$OUT/clutter" >/dev/null 2>&1
clutter=(--data "$OUT/clutter/train-images-idx3-ubyte" --channels 1 --train "$OUT/clutter/train-images-idx3-ubyte"
  --test "$OUT/clutter/test-images-idx3-ubyte")

grids() {   # the three grids for the seeds $1 (finished cells are read back, not recomputed)
  "$SEMAIM" ablate --orders semantic "${common[@]}" --seeds "$1" --baselines random,pixels,scratch \
    --finetune-epochs "$FT" --lpft-epochs "$LPFT" --output "$OUT/fashion" >> "$OUT/fashion.log" 2>&1
  share_budget "$OUT/cluttered"
  "$SEMAIM" ablate --orders semantic "${common[@]}" --seeds "$1" "${clutter[@]}" --baselines random,pixels,scratch \
    --finetune-epochs "$FT" --lpft-epochs "$LPFT" --output "$OUT/cluttered" >> "$OUT/cluttered.log" 2>&1
  share_budget "$OUT/cluttered-orders"
  "$SEMAIM" ablate --orders stochastic,raster "${common[@]}" --seeds "$1" "${clutter[@]}" \
    --output "$OUT/cluttered-orders" >> "$OUT/cluttered-orders.log" 2>&1
}
# Seed by seed, so a partial study already has every row for its first seeds; then all seeds in one table.
for seed in ${SEEDS//,/ }; do grids "$seed"; done
grids "$SEEDS"
echo; echo "## Fashion-MNIST (embedded 4k / 1k)"; cat "$OUT/fashion/ablation.md"
echo; echo "## Cluttered Fashion-MNIST (make-clutter 20k / 5k, 56 px shown at 28 px)"; cat "$OUT/cluttered/ablation.md"
echo; echo "## Cluttered: the other orders at the same budget"; cat "$OUT/cluttered-orders/ablation.md"
