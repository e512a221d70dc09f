#!/usr/bin/env bash
# Compares calibration texts (docs/CALIBRATION.md): for each NAME=FILE, quantizes MODEL with
# GPTQ at one uniform width from FILE, then measures perplexity on WikiText-2 test (first 128
# windows of 512) and on a held-out text; the FP model is measured once. One TSV row per run.
# Usage: scripts/measure_calibration.sh MODEL OUTDIR NAME=FILE...
# Environment: LIEQ (binary, default build/src/cli/lieq), SAMPLES (windows, default 16),
#   SEQ (tokens per window, default 512), SEED (calibration draw, 0), BITS (2), GROUP (64),
#   THREADS (1),
#   WIKI (default $LIEQ_SHARED_DIR or ../shared, data/eval/wikitext2-test.raw),
#   HELDOUT (default training/runs/heldout-s.txt; skipped when missing),
#   QUANT_ARGS (extra `lieq quantize` arguments, e.g. "--plan plan.json" instead of --uniform).
set -euo pipefail
model=$1
outdir=$2
shift 2
lieq=${LIEQ:-build/src/cli/lieq}
samples=${SAMPLES:-16}
seq=${SEQ:-512}
seed=${SEED:-0}
bits=${BITS:-2}
group=${GROUP:-64}
threads=${THREADS:-1}
shared=${LIEQ_SHARED_DIR:-../shared}
wiki=${WIKI:-$shared/data/eval/wikitext2-test.raw}
heldout=${HELDOUT:-training/runs/heldout-s.txt}
quant_args=${QUANT_ARGS:---uniform $bits}
mkdir -p "$outdir"
table="$outdir/results.tsv"
[ -f "$table" ] || printf 'model\tcalibration\tsamples\tseq\tseed\tquantize_s\twiki_ppl\twiki_se\theldout_ppl\theldout_se\n' >"$table"

ppl() {  # ppl MODEL_DIR TEXT [chunks] -> "ppl<TAB>stderr"
  local extra=()
  [ -n "${3:-}" ] && extra=(--chunks "$3")
  "$lieq" ppl "$1" --text "$2" --ctx 512 "${extra[@]}" -t "$threads" --json 2>/dev/null |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print("%.3f\t%.3f" % (d["ppl"], d["ppl_stderr"]))'
}
measure() {  # measure MODEL_DIR NAME QUANT_SECONDS
  local w h="-\t-"
  w=$(ppl "$1" "$wiki" 128)
  [ -f "$heldout" ] && h=$(ppl "$1" "$heldout")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%b\n' "$(basename "$model")" "$2" "$samples" "$seq" "$seed" "$3" \
    "$w" "$h" |
    tee -a "$table"
}

grep -q "^$(basename "$model")	fp	" "$table" || measure "$model" fp 0
for candidate in "$@"; do
  name=${candidate%%=*}
  file=${candidate#*=}
  dir="$outdir/$(basename "$model")-$name-$samples-$seed"
  start=$(date +%s.%N)
  # shellcheck disable=SC2086  # QUANT_ARGS is a list of arguments
  "$lieq" quantize "$model" $quant_args --method gptq --group-size "$group" --calib "$file" \
    --calib-samples "$samples" --calib-seq "$seq" --seed "$seed" -t "$threads" -o "$dir" --force >/dev/null 2>"$dir.log"
  seconds=$(python3 -c "import time; print(f'{time.time() - $start:.0f}')")
  measure "$dir" "$name" "$seconds"
done
