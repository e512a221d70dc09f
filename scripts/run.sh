#!/usr/bin/env bash
# Set-up, build, and the main job on the model that ships with the project: the LieQ pipeline.
#   1. inspect the model
#   2. diagnose its blocks (geometric proxy from one calibration pass; no perplexity probing)
#   3. plan one bit-width per block: protect one block at 4 bits, the rest at 2 (2 + 2/L bits)
#   4. quantize with GPTQ at that plan, and uniformly at 2 bits for comparison
#   5. perplexity of FP, uniform 2-bit and LieQ on WikiText-2; generate from the LieQ model
# Outputs go to build/run/ (rerunning replaces them). Usage: scripts/run.sh [MODEL]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
shared="${LIEQ_SHARED_DIR:-$(pwd)/../shared}"
# The default model is the project's own trained Qwen3 (models/lieq-ref-qwen3, see its
# MODEL_CARD.md); any HF folder can be given instead.
model="${1:-models/lieq-ref-qwen3}"
lieq=build/src/cli/lieq
out=build/run
calib="$shared/data/calib/c4-train-00000-head1000.jsonl"
wiki="$shared/data/eval/wikitext2-test.raw"
mkdir -p "$out"

$lieq inspect "$model"
$lieq diagnose "$model" --calib "$calib" --samples 16 --seq 512 --seed 0 -o "$out/diagnostics" --force
layers=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['num_hidden_layers'])" "$model/config.json")
budget=$(python3 -c "print(2 + 2 / $layers)")
$lieq plan --diagnostics "$out/diagnostics/diagnostics.json" --budget "$budget" --bits 2,4 -o "$out/plan.json" --force
for spec in "lieq:--plan $out/plan.json" "uniform2:--uniform 2"; do
  name=${spec%%:*}
  # shellcheck disable=SC2086
  $lieq quantize "$model" ${spec#*:} --method gptq --calib "$calib" --calib-samples 16 --calib-seq 512 \
    -o "$out/$name" --force
done
for m in "$model" "$out/uniform2" "$out/lieq"; do
  echo "== $m"
  $lieq ppl "$m" --text "$wiki" --ctx 512 --chunks 64
done
$lieq generate "$out/lieq" "Once upon a time" -n 48 --seed 1
echo "report: $out/diagnostics/report.md, plan: $out/plan.json"
