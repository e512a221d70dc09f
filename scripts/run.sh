#!/usr/bin/env bash
# Set-up, build, and the main job on the model that ships with the project: inspect it,
# measure its WikiText-2 perplexity and generate a continuation.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
shared="${LIEQ_SHARED_DIR:-$(pwd)/../shared}"
model="${1:-}"
if [ -z "$model" ]; then
  # Until the trained reference model lands, a random model of Qwen3-0.6B's block shapes
  # (4 blocks) with the real Qwen3 tokenizer stands in.
  model=build/models/random-qwen3
  [ -f "$model/model.safetensors" ] || build/src/cli/lieq make-random --like qwen3-0.6b --layers 4 \
    --tokenizer "$shared/tokenizers/qwen3/tokenizer.json" --seed 1 -o "$model"
fi
build/src/cli/lieq inspect "$model"
build/src/cli/lieq ppl "$model" --text "$shared/data/eval/wikitext2-test.raw" --protocol llama.cpp --chunks 8
build/src/cli/lieq generate "$model" "Once upon a time" -n 32
