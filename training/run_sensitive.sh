#!/bin/bash
# Issue 17 recipe: the quantization-sensitive reference model models/lieq-ref-qwen3-s.
# Trains its 2048-token tokenizer (if missing), the model (preset qwen3-s, two stages below),
# exports it, writes golden.json and the held-out split as text (training/runs/heldout-s.txt,
# for `lieq ppl`). Resumable: run the same command again after a stop; training continues from
# the stage's ckpt.pt (training/runs/lieq-ref-qwen3-s{,-stage2}/, written every 5 minutes) with
# the same batches.
#   nohup nice -n 19 training/run_sensitive.sh > training/runs/run_sensitive.log 2>&1 &
# Progress: training/runs/lieq-ref-qwen3-s/log.txt (loss, val loss, tok/s, ETA) and log.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
NAME=lieq-ref-qwen3-s
mkdir -p training/runs/$NAME
echo $$ > training/runs/run_sensitive.pid

source training/env.sh  # packages (torch, regex, jemalloc, OpenBLAS), PY, JEMALLOC, env

if [ ! -e training/runs/tokenizer-s/tokenizer.json ]; then
  $PY training/train_tokenizer.py --vocab-size 2048 --out training/runs/tokenizer-s
fi

# Stage 1: 2400 steps from random initialisation at peak lr 4e-3 (9.8 M tokens), exported to
# training/runs/NAME/stage1. Stage 2: 3600 more steps from those weights (fresh AdamW, 100
# warmup steps, cosine from 2e-3 to 1e-4; batches offset so none repeats stage 1's; 14.7 M
# tokens, 24.6 M in all = 1.8 epochs), exported to models/NAME. Each stage is one resumable
# run of at most ~1.5 h on 2 cores; a finished stage is not repeated.
echo "$(date -u +%FT%TZ) start $NAME" | tee -a training/runs/$NAME/log.txt
if [ ! -e training/runs/$NAME/stage1/model.safetensors ]; then
  LD_PRELOAD=$JEMALLOC $PY training/train.py --preset qwen3-s --out training/runs/$NAME/stage1 \
    2>&1 | tee -a training/runs/$NAME/log.txt
fi
LD_PRELOAD=$JEMALLOC $PY training/train.py --preset qwen3-s --init-from training/runs/$NAME/stage1 \
  --step-offset 2400 --steps 3600 --lr 2e-3 --warmup 100 --min-lr-ratio 0.05 \
  --run-dir training/runs/$NAME-stage2 --out models/$NAME 2>&1 | tee -a training/runs/$NAME/log.txt
$PY training/golden.py models/$NAME 2>&1 | tee -a training/runs/$NAME/log.txt
$PY training/heldout_text.py --tokenizer training/runs/tokenizer-s/tokenizer.json \
  --out training/runs/heldout-s.txt 2>&1 | tee -a training/runs/$NAME/log.txt
echo "$(date -u +%FT%TZ) done $NAME" | tee -a training/runs/$NAME/log.txt
rm -f training/runs/run_sensitive.pid
