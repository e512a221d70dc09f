#!/usr/bin/env bash
# Set-up, build, and the main job on the model that ships with the project: inspect it,
# measure its WikiText-2 perplexity and generate a continuation.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
shared="${LIEQ_SHARED_DIR:-$(pwd)/../shared}"
# The default model is the project's own trained Qwen3 (models/lieq-ref-qwen3, see its
# MODEL_CARD.md); any HF folder or GGUF file can be given instead.
model="${1:-models/lieq-ref-qwen3}"
build/src/cli/lieq inspect "$model"
build/src/cli/lieq ppl "$model" --text "$shared/data/eval/wikitext2-test.raw" --ctx 512 --chunks 64
build/src/cli/lieq generate "$model" "Once upon a time" -n 48 --seed 1
