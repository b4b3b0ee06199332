#!/usr/bin/env bash
# The data path side by side with the reference's (issue 23): semaim bench-data against torchvision's pipeline
# (../shared/reference-bench/torch_loader.py: ImageFolder + RandomResizedCrop(224, bicubic) + flip + ToTensor +
# Normalize, DataLoader batch 64) on the same folders, same machine, same script run; then the tiny-model pretrain
# against its model's bench speed. Prints a Markdown table.
#
# usage: scripts/bench-data-vs-torchvision.sh [WORK_DIR]   (default /tmp/semaim-bench-data)
#        ONLY=pretrain scripts/bench-data-vs-torchvision.sh ...   (the pre-training rows alone)
# needs: Debian's python3-torch python3-torchvision python3-pil (a benchmark baseline only; see the reference-bench
# README). Python is never used by semaim itself.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
REF="$ROOT/../shared/reference-bench"
WORK="${1:-/tmp/semaim-bench-data}"
PY=/usr/bin/python3
mkdir -p "$WORK"
export CI=true   # plain log lines

echo "# bench-data vs torchvision, $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "- CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; flags: $(lscpu | grep -o 'avx512[a-z_0-9]*\|avx2\|amx[a-z_0-9]*' | sort -u | tr '\n' ' ')"
echo "- OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset}"
echo "- torchvision $($PY -c 'import torchvision; print(torchvision.__version__)'), Pillow $($PY -c 'import PIL; print(PIL.__version__)')"
echo

[ -d "$WORK/jpegs" ] || $PY "$REF/make_jpegs.py" "$WORK/jpegs" 2000 >/dev/null
[ -d "$WORK/large" ] || $PY "$REF/make_jpegs.py" "$WORK/large" 500 --large >/dev/null
if [ ! -d "$WORK/pngs" ]; then   # the same 2,000 images as PNG
  $PY - "$WORK/jpegs" "$WORK/pngs" <<'EOF'
import os, sys
from PIL import Image
src, dst = sys.argv[1], sys.argv[2]
for d, _, files in os.walk(src):
    for f in files:
        out = os.path.join(dst, os.path.relpath(d, src)); os.makedirs(out, exist_ok=True)
        Image.open(os.path.join(d, f)).save(os.path.join(out, f[:-4] + '.png'))
EOF
fi

torchvision() {   # DIR WORKERS EPOCHS -> images/s
  $PY "$REF/torch_loader.py" "$1" "$2" "$3" 2>/dev/null | $PY -c 'import json,sys; print(json.loads(sys.stdin.read())["images_per_s"])'
}
semaim() {   # DIR WORKERS BATCHES DECODER -> images/s
  "$ROOT/bin/semaim" bench-data --data "$1" --workers "$2" --batches "$3" --decoder "$4" 2>/dev/null \
    | $PY -c 'import json,sys; print(round(json.loads(sys.stdin.readline())["images_per_s"], 1))'
}

if [ "${ONLY:-}" != pretrain ]; then
echo "| set | workers | torchvision img/s | semaim reduced | semaim exact | semaim java (before) | reduced / torchvision |"
echo "|---|---|---|---|---|---|---|"
for set in jpegs:2:60 large:2:14 pngs:2:60; do
  IFS=: read -r name epochs batches <<<"$set"
  for w in 1 2; do
    tv=$(torchvision "$WORK/$name" "$w" "$epochs")
    red=$(semaim "$WORK/$name" "$w" "$batches" reduced)
    ex=$(semaim "$WORK/$name" "$w" "$batches" exact)
    jv=$(semaim "$WORK/$name" "$w" "$(( batches / 3 + 1 ))" java)
    echo "| $name | $w | $tv | $red | $ex | $jv | $($PY -c "print(f'{$red / $tv:.2f}x')") |"
  done
done
fi

echo
M=(--model vit_tiny_patch16_224 --patch-size 32 --width 32 --depth 1 --heads 1 --decoder-depth 1)
# the step alone: the median of 3 bench runs (one run moves by 10-20% on 2 cores)
bench=$(for i in 1 2 3; do "$ROOT/bin/semaim" bench "${M[@]}" --blur-kernel 0 --batch-size 64 --steps 10 2>/dev/null \
  | $PY -c 'import json,sys; print(json.loads(sys.stdin.readline())["images_per_s"])'; done | sort -g | sed -n 2p)
for set in jpegs pngs; do
  rm -rf "$WORK/run-$set"
  "$ROOT/bin/semaim" pretrain --data "$WORK/$set" --channels 3 "${M[@]}" --target pixel --blur-kernel 0 --workers 2 \
    --epochs 4 --viz-every 0 --monitor-knn 0 --output "$WORK/run-$set" >/dev/null 2>&1
  # the steady state: the mean of the logged windows after the first epoch
  run=$($PY - "$WORK/run-$set/metrics.jsonl" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"img_per_s"' in l]
rows = [r for r in rows if r['epoch'] > 1]
print(round(sum(r['img_per_s'] for r in rows) / len(rows), 1))
EOF
)
  echo "- tiny-model pretrain on $set (2 workers, after the first epoch): $run img/s; the model's bench: $bench img/s -> $($PY -c "print(f'{$run / $bench:.0%}')")"
done
