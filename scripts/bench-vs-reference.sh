#!/usr/bin/env bash
# One-script speed comparison of the pre-training step on this machine: the official PyTorch code
# (shared/reference-bench, Debian's python3-torch) against semaim fp32 before and after the step optimisations and
# semaim bf16, on the issue's two configs, once with the environment as it is and once with OPENBLAS_CORETYPE /
# OPENBLAS_L2_SIZE unset (and, when neither is set here, once with the Haswell settings of the other machines).
#   scripts/bench-vs-reference.sh REFERENCE_BENCH_DIR BEFORE_CHECKOUT OUT_FILE [STEPS] [WARMUP]
# BEFORE_CHECKOUT: a semaim checkout of the "before" commit (it needs `semaim bench`). Each line of OUT_FILE is one
# JSON result with "variant" and "env" added. Needs /usr/bin/python3 with torch (see the reference bench README).
set -euo pipefail
REF="${1:?reference bench folder}"; BEFORE="${2:?checkout of the before commit}"; OUT="${3:?output file}"
STEPS="${4:-4}"; WARMUP="${5:-1}"
HERE="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
: > "$OUT"
lscpu | grep -E "Model name|^CPU\(s\)" >&2
configs=("--img 28 --patch 2 --dim 192 --depth 12 --heads 3 --query-depth 12"
         "--img 56 --patch 4 --dim 96 --depth 6 --heads 3 --query-depth 6")
semaim_args() {   # reference flags -> semaim bench flags
  echo "$1" | sed 's/--img/--image-size/; s/--patch /--patch-size /; s/--dim/--width/; s/--query-depth/--decoder-depth/'
}
modes=("as-is")
if [ -n "${OPENBLAS_CORETYPE:-}${OPENBLAS_L2_SIZE:-}" ]; then modes+=("unset"); else modes+=("haswell"); fi
run() {   # mode variant command...
  local mode="$1" variant="$2"; shift 2
  local prefix=()
  case "$mode" in
    unset) prefix=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE) ;;
    haswell) prefix=(env OPENBLAS_CORETYPE=Haswell OPENBLAS_L2_SIZE=512) ;;
  esac
  local line
  line="$("${prefix[@]}" "$@" 2>/dev/null | grep '^{' | tail -n 1)"
  echo "$line" | python3 -c "import json,sys; j=json.loads(sys.stdin.read()); j['variant']='$variant'; j['env']='$mode'; print(json.dumps(j))" | tee -a "$OUT"
}
for mode in "${modes[@]}"; do
  for cfg in "${configs[@]}"; do
    s="$(semaim_args "$cfg")"
    run "$mode" reference /usr/bin/python3 "$REF/bench_step.py" $cfg --batch 64 --blur 9 --steps "$STEPS" --warmup "$WARMUP" --threads "$(nproc)"
    # shellcheck disable=SC2086
    run "$mode" semaim-fp32-before "$BEFORE/bin/semaim" bench $s --batch-size 64 --blur-kernel 9 --steps "$STEPS" --warmup "$WARMUP" --precision fp32
    # shellcheck disable=SC2086
    run "$mode" semaim-fp32 "$HERE/bin/semaim" bench $s --batch-size 64 --blur-kernel 9 --steps "$STEPS" --warmup "$WARMUP" --precision fp32
    # shellcheck disable=SC2086
    run "$mode" semaim-bf16 "$HERE/bin/semaim" bench $s --batch-size 64 --blur-kernel 9 --steps "$STEPS" --warmup "$WARMUP" --precision bf16
  done
done
