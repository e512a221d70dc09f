#!/usr/bin/env bash
# Set-up, build, and the main job on the model that ships with the project: the LieQ pipeline.
#   1. inspect the model
#   2. one command, `lieq quantize --budget`: calibration, diagnostics (geometric proxy and the
#      measured sensitivity: KL with one block quantized at 2, 3, 4, 8 bits; no perplexity
#      probing), plan (widths from {2,3,4,8} by the exact optimal rule, 2 + 2/L bits on average),
#      GPTQ at that plan, export; plus GPTQ uniformly at 2 bits to compare
#   3. perplexity of FP, uniform 2-bit and LieQ on WikiText-2; generate from the LieQ model
# Outputs go to build/run/ (rerunning replaces them). Usage: scripts/run.sh [MODEL]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
shared="${LIEQ_SHARED_DIR:-$(pwd)/../shared}"
# The default model is the project's own quantization-sensitive Qwen3 (models/lieq-ref-qwen3-s,
# 8 blocks, see its MODEL_CARD.md); any HF folder can be given instead.
model="${1:-models/lieq-ref-qwen3-s}"
lieq=build/src/cli/lieq
out=build/run
calib="$shared/data/calib/c4-train-00000-head1000.jsonl"
wiki="$shared/data/eval/wikitext2-test.raw"
mkdir -p "$out"

$lieq inspect "$model"
layers=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['num_hidden_layers'])" "$model/config.json")
budget=$(python3 -c "print(2 + 2 / $layers)")
# C4 calibration, as in docs/RESULTS.md (without --calib, lieq uses its built-in text).
$lieq quantize "$model" --budget "$budget" --bits 2,4 --calib "$calib" --calib-samples 16 \
  --calib-seq 512 --seed 0 -o "$out/lieq" --force
$lieq quantize "$model" --uniform 2 --calib "$calib" --calib-samples 16 --calib-seq 512 \
  -o "$out/uniform2" --force
for m in "$model" "$out/uniform2" "$out/lieq"; do
  echo "== $m"
  $lieq ppl "$m" --text "$wiki" --ctx 512 --chunks 64
done
$lieq generate "$out/lieq" "Once upon a time" -n 48 --seed 1
echo "report: $out/lieq.diagnostics.md, plan: $out/lieq.plan.json, summary: $out/lieq.summary.json"
