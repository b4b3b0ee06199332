#!/usr/bin/env bash
# Issue 26: does pre-training pay with few labels? Resumable (re-run the same command to continue; finished
# pre-trainings and arms are kept, a stopped one resumes):
#   scripts/few-labels-study.sh OUT_DIR FASHION_MNIST_DIR PHOTOS_DIR [STAGES]
# FASHION_MNIST_DIR holds the four IDX files of Fashion-MNIST (train-images-idx3-ubyte, ... t10k-labels-idx1-ubyte,
# uncompressed or .gz); PHOTOS_DIR a few photos for the second cluttered set's backgrounds (e.g. shared/data/natural).
# Sets (each 60,000 training / 10,000 held-out images, pre-trained and evaluated at 28 px):
#   fashion    Fashion-MNIST itself
#   clutterA   make-clutter defaults: items at 40-80% of the 56 px side on procedural textures (seed 0)
#   clutterB   items at 30-55% of the side on grey photo crops only, brightened x1.35 (seed 7)
# For each set and seed: pre-training on all training images without labels, the cpu recipe at --precision auto,
# for MINUTES minutes of this machine (default 18.75 = 30 CPU-minutes at the 1.6 cores a 2-core machine keeps busy,
# issue 14's measure); the first run times the step into budget.json and every other run reuses it, so all see the
# same images. Then `semaim few-labels` (1% and 10% labels, every arm). STAGES: space-separated set:seed pairs
# (default "fashion:0 clutterA:0 clutterB:0 fashion:1 fashion:2"); set:seed:pretrain pre-trains only.
# Environment: MINUTES, FEWLABELS_ARGS (extra few-labels options, e.g. the fine-tuning recipe).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:?usage: few-labels-study.sh OUT_DIR FASHION_MNIST_DIR PHOTOS_DIR [STAGES]}"
FMNIST="${2:?Fashion-MNIST folder}"
PHOTOS="${3:?photos folder}"
STAGES="${4:-fashion:0 clutterA:0 clutterB:0 fashion:1 fashion:2}"
MINUTES="${MINUTES:-18.75}"
read -r -a EXTRA <<< "${FEWLABELS_ARGS:-}"
SEMAIM="$ROOT/bin/semaim"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
export CI=1

{
  echo "# few-labels study, $(date -u +%FT%TZ), commit $(git -C "$ROOT" rev-parse --short HEAD)"
  lscpu | grep -E "^Model name|^CPU\(s\)|^Flags" | sed 's/^Flags:\s*/Flags: /' | cut -c1-400
  echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset}"
  echo "stages: $STAGES; $MINUTES minutes of pre-training per run; few-labels extra: ${FEWLABELS_ARGS:-none}"
} >> "$OUT/machine.txt"

# The data: Fashion-MNIST unpacked, and the two cluttered sets made from its items.
mkdir -p "$OUT/data/fashion"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  if [ ! -f "$OUT/data/fashion/$f" ]; then
    if [ -f "$FMNIST/$f" ]; then cp "$FMNIST/$f" "$OUT/data/fashion/$f"; else gunzip -c "$FMNIST/$f.gz" > "$OUT/data/fashion/$f"; fi
  fi
done
items=(--items-train "$OUT/data/fashion/train-images-idx3-ubyte" --items-test "$OUT/data/fashion/t10k-images-idx3-ubyte"
  --train 60000 --test 10000)
[ -f "$OUT/data/clutterA/test-labels-idx1-ubyte" ] || "$SEMAIM" make-clutter --output "$OUT/data/clutterA" "${items[@]}" --seed 0
[ -f "$OUT/data/clutterB/test-labels-idx1-ubyte" ] || "$SEMAIM" make-clutter --output "$OUT/data/clutterB" "${items[@]}" \
  --seed 7 --backgrounds "$PHOTOS" --photo-fraction 1 --item-scale 0.3,0.55 --background-gain 1.35

train_of() { case "$1" in fashion) echo "$OUT/data/fashion/train-images-idx3-ubyte";; *) echo "$OUT/data/$1/train-images-idx3-ubyte";; esac; }
test_of() { case "$1" in fashion) echo "$OUT/data/fashion/t10k-images-idx3-ubyte";; *) echo "$OUT/data/$1/test-images-idx3-ubyte";; esac; }

pretrain() {   # set seed: the run folder OUT/SET/pretrain-seedS, finished or resumed
  local run="$OUT/$1/pretrain-seed$2" budget=()
  [ -f "$OUT/budget.json" ] && budget=(--budget-from "$OUT/budget.json")
  if [ -f "$run/summary.json" ]; then return; fi
  if compgen -G "$run/checkpoints/step-*" > /dev/null; then
    "$SEMAIM" pretrain --resume auto --output "$run" >> "$run.log" 2>&1
  else
    mkdir -p "$OUT/$1"
    "$SEMAIM" pretrain --data "$(train_of "$1")" --precision auto --budget-minutes "$MINUTES" "${budget[@]}" \
      --seed "$2" --viz-every 0 --monitor-knn 0 --output "$run" >> "$run.log" 2>&1
  fi
  [ -f "$OUT/budget.json" ] || cp "$run/budget.json" "$OUT/budget.json"
}

for stage in $STAGES; do
  IFS=: read -r set_name seed only <<< "$stage"
  echo "=== $set_name seed $seed: pre-training ($(date -u +%T))"
  pretrain "$set_name" "$seed"
  [ "${only:-}" = pretrain ] && continue
  echo "=== $set_name seed $seed: few labels ($(date -u +%T))"
  "$SEMAIM" few-labels --checkpoint "$OUT/$set_name/pretrain-seed$seed" --train "$(train_of "$set_name")" \
    --test "$(test_of "$set_name")" --seed "$seed" --output "$OUT/$set_name/few-labels" \
    --title "Few labels: $set_name" "${EXTRA[@]}" >> "$OUT/$set_name/few-labels.log" 2>&1
done
for s in fashion clutterA clutterB; do
  [ -f "$OUT/$s/few-labels/few-labels.md" ] && { echo; cat "$OUT/$s/few-labels/few-labels.md"; }
done
