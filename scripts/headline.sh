#!/usr/bin/env bash
# The README's headline table (issue 17 item 5): FP, uniform 2-bit GPTQ, LieQ at 2 + 2/L bits,
# uniform 3- and 4-bit GPTQ, each made by the one command `lieq quantize` with its defaults
# (built-in calibration text, group 128, GPTQ) and measured with --eval-text on WikiText-2 test
# (GPTQ protocol, 512-token windows); plus the model's own held-out text when it exists.
#
# usage: scripts/headline.sh [MODEL] [OUT]
#   MODEL default models/lieq-ref-qwen3-s, OUT default build/headline-<name>
#   LIEQ (default build/src/cli/lieq), THREADS (default 2), CHUNKS (WikiText-2 windows, default 128),
#   HELDOUT (default training/runs/heldout-s.txt; the column is left out when the file is missing)
# Writes OUT/headline.md (the table) and OUT/<run>.summary.json per row; reruns skip finished rows.
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-models/lieq-ref-qwen3-s}
out=${2:-build/headline-$(basename "$model")}
lieq=${LIEQ:-build/src/cli/lieq}
threads=${THREADS:-2}
chunks=${CHUNKS:-128}
heldout=${HELDOUT:-training/runs/heldout-s.txt}
wiki="${LIEQ_SHARED_DIR:-../shared}/data/eval/wikitext2-test.raw"
mkdir -p "$out"
layers=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['num_hidden_layers'])" "$model/config.json")
budget=$(python3 -c "print(2 + 2 / $layers)")

run() {  # name, plan arguments...
  local name=$1; shift
  [ -f "$out/$name.summary.json" ] && return 0
  "$lieq" quantize "$model" "$@" -o "$out/$name" --force -t "$threads" \
    --eval-text "$wiki" --eval-ctx 512 --eval-chunks "$chunks"
}
run uniform2 --uniform 2
run lieq --budget "$budget"
run uniform3 --uniform 3
run uniform4 --uniform 4

heldout_ppl() {  # model folder -> "ppl ± se"
  "$lieq" ppl "$1" --text "$heldout" --ctx 512 -t "$threads" --json 2>/dev/null |
    python3 -c "import json,sys; j=json.load(sys.stdin); print(f\"{j['ppl']:.2f} ± {j['ppl_stderr']:.2f}\")"
}

{
  echo "Model \`$model\` ($layers blocks). Command per row: \`lieq quantize $model <row> -o OUT --eval-text wikitext2-test.raw --eval-ctx 512 --eval-chunks $chunks\` (defaults: built-in calibration text, GPTQ, group 128)."
  echo
  if [ -f "$heldout" ]; then
    echo "| weights | row | bits (linear) | file | WikiText-2 PPL ± s.e. | × FP | held-out PPL ± s.e. |"
    echo "|---|---|---|---|---|---|---|"
  else
    echo "| weights | row | bits (linear) | file | WikiText-2 PPL ± s.e. | × FP |"
    echo "|---|---|---|---|---|---|"
  fi
  fp_held=""
  [ -f "$heldout" ] && fp_held=" $(heldout_ppl "$model") |"
  python3 - "$out/uniform2.summary.json" "$fp_held" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
fp = s["ppl"]["fp"]
print(f"| FP (BF16) | — | 16 | {s['size_bytes_before'] / 2**20:.2f} MiB | {fp['ppl']:.2f} ± {fp['stderr']:.2f} | 1.000 |{sys.argv[2]}")
EOF
  for row in "uniform 2-bit GPTQ:uniform2:--uniform 2" "LieQ, 2 + 2/$layers bits:lieq:--budget $budget" \
             "uniform 3-bit GPTQ:uniform3:--uniform 3" "uniform 4-bit GPTQ:uniform4:--uniform 4"; do
    IFS=: read -r label name args <<<"$row"
    held=""
    [ -f "$heldout" ] && held=" $(heldout_ppl "$out/$name") |"
    python3 - "$out/$name.summary.json" "$label" "$args" "$held" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
fp, q = s["ppl"]["fp"], s["ppl"]["quantized"]
print(f"| {sys.argv[2]} | `{sys.argv[3]}` | {s['avg_bits_linear']:.3f} | {s['size_bytes_after'] / 2**20:.2f} MiB | "
      f"{q['ppl']:.2f} ± {q['stderr']:.2f} | {q['ppl'] / fp['ppl']:.3f} |{sys.argv[4]}")
EOF
  done
} | tee "$out/headline.md"
