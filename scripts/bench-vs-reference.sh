#!/usr/bin/env bash
# One-script speed comparison of the pre-training step on this machine: the official PyTorch code
# (shared/reference-bench, Debian's python3-torch) in fp32 and under its own bf16 autocast (`--bf16`, what a PyTorch
# user adds first) against semaim fp32 and bf16, each before and after, on the two configs of issues 10 and 24,
# once with the environment as it is and once with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset (and, when neither is
# set here, once with the Haswell settings of the other machines). Ends with a Markdown table of the medians.
#   scripts/bench-vs-reference.sh REFERENCE_BENCH_DIR BEFORE_CHECKOUT OUT_FILE [STEPS] [WARMUP]
# BEFORE_CHECKOUT: a semaim checkout of the "before" commit (it needs `semaim bench`). Each line of OUT_FILE is one
# JSON result with "variant" and "env" added. Needs /usr/bin/python3 with torch (see the reference bench README).
set -euo pipefail
REF="${1:?reference bench folder}"; BEFORE="${2:?checkout of the before commit}"; OUT="${3:?output file}"
STEPS="${4:-4}"; WARMUP="${5:-1}"
HERE="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
: > "$OUT"
lscpu | grep -E "Model name|^CPU\(s\)|^Flags" | sed 's/^Flags:.*/& /' >&2
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset}" >&2
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
    run "$mode" reference-bf16 /usr/bin/python3 "$REF/bench_step.py" $cfg --batch 64 --blur 9 --steps "$STEPS" --warmup "$WARMUP" --threads "$(nproc)" --bf16
    # shellcheck disable=SC2086
    run "$mode" semaim-fp32-before "$BEFORE/bin/semaim" bench $s --batch-size 64 --blur-kernel 9 --steps "$STEPS" --warmup "$WARMUP" --precision fp32
    # shellcheck disable=SC2086
    run "$mode" semaim-fp32 "$HERE/bin/semaim" bench $s --batch-size 64 --blur-kernel 9 --steps "$STEPS" --warmup "$WARMUP" --precision fp32
    # shellcheck disable=SC2086
    run "$mode" semaim-bf16-before "$BEFORE/bin/semaim" bench $s --batch-size 64 --blur-kernel 9 --steps "$STEPS" --warmup "$WARMUP" --precision bf16
    # shellcheck disable=SC2086
    run "$mode" semaim-bf16 "$HERE/bin/semaim" bench $s --batch-size 64 --blur-kernel 9 --steps "$STEPS" --warmup "$WARMUP" --precision bf16
  done
done
python3 - "$OUT" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
cols = ["reference", "reference-bf16", "semaim-fp32-before", "semaim-fp32", "semaim-bf16-before", "semaim-bf16"]
cell = {(r["env"], r["dim"], r["variant"]): r for r in rows}
def mfu(g):
    return "n/a" if not g or g.get("mfu") is None else f"{g['mfu']:.2f} ({100 * g['peak_spread']:.0f}%)"
print("| env | config | " + " | ".join(cols) + " | bf16 / official bf16 | fp32 / official fp32 | bf16 / fp32 | worst median/min | MFU fp32, bf16 (peak spread) |")
print("|---" * (len(cols) + 7) + "|")
for env in dict.fromkeys(r["env"] for r in rows):
    for dim in dict.fromkeys(r["dim"] for r in rows):
        got = {c: cell.get((env, dim, c)) for c in cols}
        ms = {c: (g["step_ms_median"] / 1000 if g else float("nan")) for c, g in got.items()}
        worst = max(g["step_ms_median"] / g["step_ms_min"] for g in got.values() if g and g.get("step_ms_min"))
        print(f"| {env} | width {dim} | " + " | ".join(f"{ms[c]:.2f} s" for c in cols)
              + f" | {ms['reference-bf16'] / ms['semaim-bf16']:.2f}x | {ms['reference'] / ms['semaim-fp32']:.2f}x"
              + f" | {ms['semaim-fp32'] / ms['semaim-bf16']:.2f}x | {worst:.2f} | {mfu(got['semaim-fp32'])}, {mfu(got['semaim-bf16'])} |")
PY
