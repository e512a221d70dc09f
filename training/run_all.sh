#!/bin/bash
# Trains the tokenizer (if missing), then lieq-ref-qwen3, then lieq-ref-llama, exporting each to
# models/NAME with its golden.json. Every stage resumes from where a stopped run left off, so
# after an interruption just start it again:
#   nohup nice -n 19 training/run_all.sh > training/runs/run_all.log 2>&1 &
# Per-model logs: training/runs/NAME/log.txt (console) and log.csv (step, losses, tokens/s).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p training/runs
echo $$ > training/runs/run_all.pid

source training/env.sh  # packages (torch, regex, jemalloc, OpenBLAS), PY, JEMALLOC, env

if [ ! -e training/runs/tokenizer/tokenizer.json ]; then
  $PY training/train_tokenizer.py --out training/runs/tokenizer
fi

for preset in qwen3 llama; do
  name=lieq-ref-$preset
  mkdir -p training/runs/$name
  echo "$(date -u +%FT%TZ) start $name" | tee -a training/runs/$name/log.txt
  LD_PRELOAD=$JEMALLOC $PY training/train.py --preset $preset >> training/runs/$name/log.txt 2>&1
  $PY training/golden.py models/$name >> training/runs/$name/log.txt 2>&1
  echo "$(date -u +%FT%TZ) done $name" | tee -a training/runs/$name/log.txt
done
rm -f training/runs/run_all.pid
