#!/usr/bin/env bash
# The detection study of docs/results-detection.md: on one COCO-layout set, one seed, the same epochs,
#   semaim-finetuned   the SemAIM checkpoint's encoder, fine-tuned with layer decay
#   random-finetuned   a randomly initialised encoder of the same architecture, fine-tuned the same way
#   semaim-frozen      the SemAIM checkpoint's encoder frozen (only the pyramid and the head learn)
# then prints AP, AP50, AP75 (COCO box mAP, %) per arm. Resumable: an arm with a result is skipped, an interrupted
# one continues from its last epoch's checkpoint.
#   usage: scripts/detection-study.sh OUT DATA CHECKPOINT [more detect options, e.g. --train-limit 2000]
#   EPOCHS (default 6) and BLR (default 4e-3) set the schedule of every arm.
set -euo pipefail
if [ $# -lt 3 ]; then
  sed -n '2,10p' "$0" >&2
  exit 2
fi
OUT=$1 DATA=$2 CK=$3
shift 3
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
mkdir -p "$OUT"
COMMON=(--data "$DATA" --image-size 56 --pyramid-channels 32 --batch-size 16 --epochs "${EPOCHS:-6}"
  --blr "${BLR:-4e-3}" --seed 0 "$@")

arm() {
  local name=$1
  shift
  if [ -f "$OUT/$name.json" ]; then
    echo "$name: done ($OUT/$name.json)"
    return
  fi
  echo "$name: semaim detect ${COMMON[*]} $* --output $OUT/$name.json --resume"
  "$ROOT/bin/semaim" detect "${COMMON[@]}" "$@" --output "$OUT/$name.json" --resume >"$OUT/$name.log" 2>&1
}

arm semaim-finetuned --checkpoint "$CK"
arm random-finetuned
arm semaim-frozen --checkpoint "$CK" --freeze-encoder

metric() {   # the value of "KEY": in a result file's metrics
  grep -o "\"$2\": *[-0-9.eE]*" "$1" | head -n 1 | sed 's/.*: *//'
}
printf '| arm | AP | AP50 | AP75 | training wall time |\n|---|---|---|---|---|\n'
for name in semaim-finetuned random-finetuned semaim-frozen; do
  f="$OUT/$name.json"
  printf '| %s | %.1f | %.1f | %.1f | %.0f s |\n' "$name" "$(metric "$f" AP)" "$(metric "$f" AP50)" \
    "$(metric "$f" AP75)" "$(metric "$f" wall_seconds)"
done
