#!/usr/bin/env bash
# One process vs N data-parallel processes at the same global batch, on this machine, in one run:
#   scripts/bench-data-parallel.sh [OUT_DIR] [N]
# For each shape: `semaim bench` in 1 process with all cores, then `semaim launch --nproc-per-node N -- bench` with
# the cores split; and the embedded default's real pre-training (data loading and orders included) for 60 steps.
# Prints the CPU, the OpenBLAS environment and a Markdown table; the JSON lines stay in OUT_DIR.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-results/data-parallel}"
N="${2:-2}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
CORES="$(nproc)"
SEMAIM="$ROOT/bin/semaim"
export CI=1   # plain log lines

echo "# data-parallel benchmark, $(date -u +%FT%TZ), commit $(git -C "$ROOT" rev-parse --short HEAD)"
lscpu | grep -E "^Model name|^CPU\(s\)|^Thread"
echo "flags: $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|avx512f|avx512_bf16|avx512_fp16|amx_bf16)$' | tr '\n' ' ')"
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset}"

field() {   # field NAME < json line
  sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"
}

rows=()
bench_pair() {   # bench_pair LABEL GLOBAL_BATCH WARMUP STEPS shape...
  local label="$1" global="$2" warmup="$3" steps="$4"
  shift 4
  local slug
  slug="$(echo "$label" | tr -c 'A-Za-z0-9\n' '-')"
  local one="$OUT/$slug-1proc.jsonl" many="$OUT/$slug-${N}proc.jsonl"
  rm -f "$one" "$many"
  "$SEMAIM" bench "$@" --batch-size "$global" --warmup "$warmup" --steps "$steps" --threads "$CORES" \
    --output "$one" >/dev/null 2>&1
  "$SEMAIM" launch --nproc-per-node "$N" -- bench "$@" --batch-size $((global / N)) --warmup "$warmup" \
    --steps "$steps" --output "$many" >/dev/null 2>&1
  local a b ar
  a="$(field images_per_s < "$one")"
  b="$(field images_per_s < "$many")"
  ar="$(field allreduce_ms < "$many")"
  rows+=("| $label | $global | 1 x $CORES threads | $(field step_ms_median < "$one") | $a | - |")
  rows+=("| $label | $global | $N x $((CORES / N > 0 ? CORES / N : 1)) threads | $(field step_ms_median < "$many") | $b | $ar |")
  rows+=("| $label | | speed-up | | $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2fx", b / a }') | |")
}

bench_pair "ViT-Tiny 192/12/3, 28 px p2" 64 1 3 --image-size 28 --patch-size 2 --width 192 --depth 12 --heads 3 \
  --decoder-depth 12
bench_pair "96/6/3, 56 px p4" 64 2 5 --image-size 56 --patch-size 4 --width 96 --depth 6 --heads 3 --decoder-depth 6

# The embedded default's pre-training, 60 steps at global batch 64.
rm -rf "$OUT/pretrain-1" "$OUT/pretrain-$N"
"$SEMAIM" pretrain --max-steps 60 --viz-every 0 --output "$OUT/pretrain-1" >/dev/null 2>&1
"$SEMAIM" launch --nproc-per-node "$N" -- pretrain --max-steps 60 --batch-size $((64 / N)) --viz-every 0 \
  --output "$OUT/pretrain-$N" >/dev/null 2>&1
p1="$(tr -d '\n ' < "$OUT/pretrain-1/summary.json" | field images_per_second)"
pn="$(tr -d '\n ' < "$OUT/pretrain-$N/summary.json" | field images_per_second)"
rows+=("| pretrain, embedded default (60 steps) | 64 | 1 x $CORES threads | | $(printf '%.1f' "$p1") | |")
rows+=("| pretrain, embedded default (60 steps) | 64 | $N x $((CORES / N > 0 ? CORES / N : 1)) threads | | $(printf '%.1f' "$pn") | |")
rows+=("| pretrain, embedded default (60 steps) | | speed-up | | $(awk -v a="$p1" -v b="$pn" 'BEGIN { printf "%.2fx", b / a }') | |")

echo
echo "| shape | global batch | processes | step ms (median) | img/s | all-reduce ms |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
