#!/usr/bin/env bash
# Feature targets on the embedded Fashion-MNIST data at the embedded default's budget (620 steps), one table:
#   scripts/feature-targets-study.sh [OUT_DIR] [TEACHER_EPOCHS]
# 1. a teacher: the embedded default pre-trained TEACHER_EPOCHS epochs (default 30, 3x the default), exported as a
#    timm-named ViT (semaim export);
# 2. the embedded default with --target pixel, hog, ema and vit (that teacher), same seed and steps;
# 3. k-NN (k = 10, 20) and the linear probe (30 epochs) of each encoder, and of the teacher itself.
# Prints the CPU, the environment and a Markdown table; everything else stays in OUT_DIR.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-results/feature-targets}"
TEACHER_EPOCHS="${2:-30}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
SEMAIM="$ROOT/bin/semaim"
export CI=1

echo "# feature targets, $(date -u +%FT%TZ), commit $(git -C "$ROOT" rev-parse --short HEAD)"
lscpu | grep -E "^Model name|^CPU\(s\)"
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset}"

json() {   # json FILE FIELD
  tr -d '\n ' < "$1" | sed -n "s/.*\"$2\":\([0-9.eE+-]*\).*/\1/p" | head -n 1
}

evaluate() {   # evaluate NAME RUN_DIR
  "$SEMAIM" knn --checkpoint "$2" --k 10,20 --output "$OUT/$1-knn.json" >/dev/null 2>&1
  "$SEMAIM" linprobe --checkpoint "$2" --epochs 30 --output "$OUT/$1-linprobe.json" >/dev/null 2>&1
}

if [ ! -f "$OUT/teacher.safetensors" ]; then
  "$SEMAIM" pretrain --epochs "$TEACHER_EPOCHS" --viz-every 0 --overwrite --output "$OUT/teacher-run" \
    > "$OUT/teacher-run.log" 2>&1
  "$SEMAIM" export --checkpoint "$OUT/teacher-run" --output "$OUT/teacher.safetensors" >/dev/null 2>&1
fi
evaluate teacher "$OUT/teacher-run"

rows=()
for target in pixel hog ema vit; do
  extra=()
  if [ "$target" = vit ]; then extra=(--teacher "$OUT/teacher.safetensors"); fi
  start=$(date +%s)
  "$SEMAIM" pretrain --target "$target" "${extra[@]}" --viz-every 0 --overwrite --output "$OUT/$target" \
    > "$OUT/$target.log" 2>&1
  secs=$(( $(date +%s) - start ))
  evaluate "$target" "$OUT/$target"
  loss="$(grep -o 'loss [0-9.]* -> [0-9.]*' "$OUT/$target.log" | tail -n 1)"
  rows+=("| $target | ${loss#loss } | ${secs} s | $(json "$OUT/$target-knn.json" k10_top1) | $(json "$OUT/$target-knn.json" k20_top1) | $(json "$OUT/$target-linprobe.json" top1) |")
done
rows+=("| (the teacher: pixel, $TEACHER_EPOCHS epochs) | | | $(json "$OUT/teacher-knn.json" k10_top1) | $(json "$OUT/teacher-knn.json" k20_top1) | $(json "$OUT/teacher-linprobe.json" top1) |")

echo
echo "| target | loss first -> last | pre-training | k-NN k=10 | k-NN k=20 | linear probe |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
