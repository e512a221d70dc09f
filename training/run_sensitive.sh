#!/bin/bash
# Issue 17 recipe: the quantization-sensitive reference model models/lieq-ref-qwen3-s.
# Trains its 2048-token tokenizer (if missing), the model (preset qwen3-s), exports it, writes
# golden.json and the held-out split as text (training/runs/heldout-s.txt, for `lieq ppl`).
# Resumable: run the same command again after a stop; training continues from
# training/runs/lieq-ref-qwen3-s/ckpt.pt (written every 5 minutes) with the same batches.
#   nohup nice -n 19 training/run_sensitive.sh > training/runs/run_sensitive.log 2>&1 &
# Extra arguments go to train.py (e.g. --steps N for a longer schedule; see training/README.md).
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

echo "$(date -u +%FT%TZ) start $NAME" | tee -a training/runs/$NAME/log.txt
LD_PRELOAD=$JEMALLOC $PY training/train.py --preset qwen3-s "$@" 2>&1 \
  | tee -a training/runs/$NAME/log.txt
$PY training/golden.py models/$NAME 2>&1 | tee -a training/runs/$NAME/log.txt
$PY training/heldout_text.py --tokenizer training/runs/tokenizer-s/tokenizer.json \
  --out training/runs/heldout-s.txt 2>&1 | tee -a training/runs/$NAME/log.txt
echo "$(date -u +%FT%TZ) done $NAME" | tee -a training/runs/$NAME/log.txt
rm -f training/runs/run_sensitive.pid
