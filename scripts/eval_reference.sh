#!/usr/bin/env bash
# Zero-shot table of the reference model(s): FP first, then every other model given, each
# reported as % of the FP result (the paper's "% of FP16").
#
#   scripts/eval_reference.sh [--limit N] FP_MODEL [QUANTIZED_MODEL...]
#
# Results go to ${OUT:-eval-results}/<model name>.{json,md}; LIEQ (path of the lieq binary),
# DATA (task folder, default ../shared/data/tasks) and THREADS may be set.
set -euo pipefail
cd "$(dirname "$0")/.."
LIEQ=${LIEQ:-build/src/cli/lieq}
DATA=${DATA:-../shared/data/tasks}
OUT=${OUT:-eval-results}
THREADS=${THREADS:-0}
limit=()
if [[ ${1:-} == --limit ]]; then limit=(--limit "$2"); shift 2; fi
[[ $# -ge 1 ]] || { echo "usage: $0 [--limit N] FP_MODEL [QUANTIZED_MODEL...]" >&2; exit 2; }
mkdir -p "$OUT"
fp_json=""
for model in "$@"; do
  name=$(basename "${model%/}")
  baseline=()
  [[ -n $fp_json ]] && baseline=(--baseline "$fp_json")
  echo "== $name" >&2
  "$LIEQ" eval "$model" --data-dir "$DATA" "${limit[@]}" "${baseline[@]}" -t "$THREADS" \
    --json "$OUT/$name.json" --markdown "$OUT/$name.md" --force
  [[ -z $fp_json ]] && fp_json="$OUT/$name.json"
done
