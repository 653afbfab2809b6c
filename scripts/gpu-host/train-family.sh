#!/usr/bin/env bash
# Trains kick's default model family (data/plans/kick-{s,m,l}.json) on a GPU host, all three at once
# (the small ones leave most of the GPU idle), detached so that training outlives the device command.
#   here:  npm run data; bash scripts/gpu-host/bundle.sh loaders/cli/train.ts kick-train
#          tar -cJf .gpu-kit/train-data.tar.xz data/tokens data/corpus/heldout.jsonl
#   host:  bash scripts/gpu-host/train-family.sh start      (carry [".gpu-kit"])
#          bash scripts/gpu-host/train-family.sh wait SECS  (prints progress; returns early when all are saved)
#          bash scripts/gpu-host/train-family.sh pack NAME  (model + log as 15 MiB tar pieces in $OUT)
set -euo pipefail
cd "$(dirname "$0")/../.."
cmd=${1:?usage: train-family.sh start | wait SECS | pack NAME}
models=(kick-s kick-m kick-l)
case "$cmd" in
  start)
    source .gpu-kit/activate.sh >/dev/null
    [ -d data/tokens ] || tar -xJf .gpu-kit/train-data.tar.xz
    for m in "${models[@]}"; do
      setsid nohup node .gpu-kit/kick-train.mjs --plan "data/plans/$m.json" --save-dtype bfloat16 --shard-mib 15 \
        > "/tmp/train-$m.log" 2>&1 < /dev/null &
    done
    sleep 5; tail -n 2 /tmp/train-*.log ;;
  wait)
    end=$(( $(date +%s) + ${2:-60} ))
    while [ "$(date +%s)" -lt "$end" ]; do
      done_count=0
      for m in "${models[@]}"; do grep -q "saved data/models/$m\|training stopped\|kick train:" "/tmp/train-$m.log" 2>/dev/null && done_count=$((done_count + 1)); done
      [ "$done_count" -eq ${#models[@]} ] && break
      sleep 20
    done
    for m in "${models[@]}"; do echo "== $m"; tr '\r' '\n' < "/tmp/train-$m.log" | grep -v '^\s*$' | tail -n 3; done ;;
  pack)
    # One tar of the model (tokenizer.json is data/tokenizer's) and its training log, split into
    # 15 MiB pieces: the device returns at most 8 files of 16 MiB. Here: cat NAME.tar.* | tar -x
    m=${2:?pack NAME}; out=${OUT:?OUT not set}
    tar -cf - --exclude=tokenizer.json "data/models/$m" "runs/$m/train_log.jsonl" | split -b 15M - "$out/$m.tar."
    ls -la "$out" ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
