#!/usr/bin/env bash
# The downstream tools on the embedded data, one table:
#   scripts/downstream-study.sh [OUT_DIR]
# 1. the embedded default (bin/semaim pretrain) with --monitor-knn 1, and its report (the k-NN curve: knn.png);
# 2. its linear probe vs its attentive probe (30 epochs each, embedded Fashion-MNIST subsets);
# 3. make-segdata (2000 / 500 images), then segment with the linear head and the light decoder on that encoder, and
#    the linear head on a random encoder.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-results/downstream}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
SEMAIM="$ROOT/bin/semaim"
export CI=1

echo "# downstream, $(date -u +%FT%TZ), commit $(git -C "$ROOT" rev-parse --short HEAD)"
lscpu | grep -E "^Model name|^CPU\(s\)"
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset}"

json() {   # json FILE FIELD
  tr -d '\n ' < "$1" | sed -n "s/.*\"$2\":\([0-9.eE+-]*\).*/\1/p" | head -n 1
}

if [ ! -f "$OUT/run/summary.json" ]; then
  "$SEMAIM" pretrain --monitor-knn 1 --overwrite --output "$OUT/run" > "$OUT/pretrain.log" 2>&1
fi
"$SEMAIM" report "$OUT/run" >/dev/null 2>&1
grep -o 'loss [0-9.]* -> [0-9.]*' "$OUT/pretrain.log" | tail -n 1
grep -o 'epoch [0-9]*: k-NN monitor top-1 [0-9.]*%' "$OUT/pretrain.log" | tr '\n' ';'
echo
"$SEMAIM" linprobe --checkpoint "$OUT/run" --epochs 30 --output "$OUT/linprobe.json" >/dev/null 2>&1
"$SEMAIM" attnprobe --checkpoint "$OUT/run" --epochs 30 --output "$OUT/attnprobe.json" >/dev/null 2>&1
[ -d "$OUT/seg" ] || "$SEMAIM" make-segdata --output "$OUT/seg" --train 2000 --val 500 >/dev/null 2>&1
"$SEMAIM" segment --data "$OUT/seg" --checkpoint "$OUT/run" --head linear --output "$OUT/seg-linear.json" >/dev/null 2>&1
"$SEMAIM" segment --data "$OUT/seg" --checkpoint "$OUT/run" --head decoder --output "$OUT/seg-decoder.json" \
  >/dev/null 2>&1
"$SEMAIM" segment --data "$OUT/seg" --head linear --output "$OUT/seg-random-linear.json" >/dev/null 2>&1

echo
echo "| protocol (embedded default checkpoint) | top-1 % |"
echo "|---|---|"
echo "| linear probe (CLS) | $(json "$OUT/linprobe.json" top1) |"
echo "| attentive probe (patch tokens) | $(json "$OUT/attnprobe.json" top1) |"
echo
echo "| segmentation (synthetic, 2000 / 500 images, 11 classes) | mIoU % | pixel accuracy % |"
echo "|---|---|---|"
echo "| most-frequent-class baseline | $(json "$OUT/seg-linear.json" baseline_miou) | $(json "$OUT/seg-linear.json" baseline_pixel_accuracy) |"
echo "| random encoder, linear head | $(json "$OUT/seg-random-linear.json" miou) | $(json "$OUT/seg-random-linear.json" pixel_accuracy) |"
echo "| SemAIM encoder, linear head | $(json "$OUT/seg-linear.json" miou) | $(json "$OUT/seg-linear.json" pixel_accuracy) |"
echo "| SemAIM encoder, light decoder (fine-tuned) | $(json "$OUT/seg-decoder.json" miou) | $(json "$OUT/seg-decoder.json" pixel_accuracy) |"
echo
echo "k-NN curve: $OUT/run/report-assets/knn.png (or wherever report.html points)"
