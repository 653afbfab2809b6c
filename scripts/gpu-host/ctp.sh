#!/usr/bin/env bash
# Compress-Then-Prompt experiments (issue 11, docs/prompt.md) on a GPU host: compress each model of the
# family, learn a recovery prompt per checkpoint (plus dataset-transfer prompts and the LoRA cost baseline),
# then run data/plans/sweep-ctp.json. Detached like train-family.sh, so the work outlives a device command.
#   here:  bash scripts/gpu-host/bundle.sh loaders/cli.ts kick     (one bundle: compress, prompt, sweep)
#          tar -cJf .gpu-kit/ctp-data.tar.xz data/models/kick-{s,m,l} data/corpus/train-000.txt data/corpus/heldout.jsonl data/tasks
#   host:  bash scripts/gpu-host/ctp.sh start [MODELS]   (carry [".gpu-kit"]; default: kick-s kick-m kick-l)
#          bash scripts/gpu-host/ctp.sh wait SECS        (progress; returns early when all is done)
#          bash scripts/gpu-host/ctp.sh pack             (prompts, LoRA cards, results store as 15 MiB tar pieces in $OUT)
# Env: STEPS (prompt/LoRA steps, default 2000; Paper B: 30000), LENGTH (soft tokens, 100), LORA_RANK (32).
set -euo pipefail
cd "$(dirname "$0")/../.."
cmd=${1:?usage: ctp.sh start [MODELS] | wait SECS | pack}
STEPS=${STEPS:-2000}; LENGTH=${LENGTH:-100}; LORA_RANK=${LORA_RANK:-32}
levels=(sgpt50 sgpt62 sgpt75 gptq4 gptq3 4b50)
sources=(austen brown sotu web-bible)
kick() { node .gpu-kit/kick.mjs "$@"; }
compress_args() { # level -> kick compress options (Paper B: C4-like calibration, 128 samples, group -1)
  case "$1" in
    sgpt50) echo "--method sparsegpt --sparsity 0.5" ;;
    sgpt62) echo "--method sparsegpt --sparsity 0.625" ;;
    sgpt75) echo "--method sparsegpt --sparsity 0.75" ;;
    gptq4)  echo "--method gptq --bits 4 --group -1 --act-order --true-sequential" ;;
    gptq3)  echo "--method gptq --bits 3 --group -1 --act-order --true-sequential" ;;
    4b50)   echo "--method sparsegpt --sparsity 0.5 --bits 4 --group -1" ;;
  esac
}
pipeline() { # one model of the family, start to finish; log in /tmp/ctp-$m.log
  local m=$1 ck
  for l in "${levels[@]}"; do
    [ -d "data/models/$m-$l" ] || kick compress --model "data/models/$m" $(compress_args "$l") --out "data/models/$m-$l"
  done
  # held-out documents of one source, without the perplexity task's documents (dataset transfer)
  for s in "${sources[@]}"; do
    [ -f "/tmp/ctp-src-$s.jsonl" ] || node -e '
      const fs = require("fs"); const [src, out] = process.argv.slice(1);
      const used = new Set(fs.readFileSync("data/tasks/perplexity.jsonl", "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l).doc_id));
      const docs = fs.readFileSync("data/corpus/heldout.jsonl", "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l)).filter((d) => d.source === src && !used.has(d.id));
      fs.writeFileSync(out, docs.map((d) => JSON.stringify({ text: d.text })).join("\n"));' "$s" "/tmp/ctp-src-$s.jsonl"
  done
  local common=(--data data/corpus/train-000.txt --valid data/corpus/heldout.jsonl --out data/prompts --steps "$STEPS" --batch 2 --seq-len $((512 - LENGTH)) --eval-every 100)
  for ck in "$m" "${levels[@]/#/$m-}"; do
    [ -d "data/prompts/$ck-corpus" ] || kick prompt --model "data/models/$m" --compressed "data/models/$ck" "${common[@]}" --length "$LENGTH" --id "$ck-corpus" --run-dir "runs/prompt-$ck" $([ -d "runs/prompt-$ck/checkpoint" ] && echo --resume)
  done
  for ck in "$m-4b50" "$m-sgpt62"; do   # dataset transfer: one prompt per held-out source, on two levels
    for s in "${sources[@]}"; do
      [ -d "data/prompts/$ck-src-$s" ] || kick prompt --model "data/models/$m" --compressed "data/models/$ck" --data "/tmp/ctp-src-$s.jsonl" --out data/prompts \
        --steps "$STEPS" --batch 2 --seq-len $((512 - LENGTH)) --length "$LENGTH" --id "$ck-src-$s"
    done
  done
  # LoRA of comparable size (cost comparison): same data, schedule and validation windows
  for ck in "$m-4b50" "$m-sgpt62"; do
    [ -d "data/lora/$ck-lora$LORA_RANK" ] || kick prompt --model "data/models/$m" --compressed "data/models/$ck" "${common[@]/data\/prompts/data\/lora}" --lora "$LORA_RANK" --lora-alpha "$LORA_RANK" --id "$ck-lora$LORA_RANK"
  done
}
case "$cmd" in
  start)
    source .gpu-kit/activate.sh >/dev/null
    [ -d data/tasks ] && [ -d data/models/kick-l ] || tar -xJf .gpu-kit/ctp-data.tar.xz
    models=("${@:2}"); [ ${#models[@]} -gt 0 ] || models=(kick-s kick-m kick-l)
    for m in "${models[@]}"; do
      setsid nohup bash -c "$(declare -f kick compress_args pipeline); STEPS=$STEPS LENGTH=$LENGTH LORA_RANK=$LORA_RANK; levels=(${levels[*]}); sources=(${sources[*]}); pipeline $m && echo 'ctp pipeline done'" \
        > "/tmp/ctp-$m.log" 2>&1 < /dev/null &
    done
    # the sweep waits for every pipeline, then runs the plan (resumable: rerun start to continue)
    setsid nohup bash -c "until [ \$(grep -l 'ctp pipeline done' /tmp/ctp-kick-*.log 2>/dev/null | wc -l) -ge ${#models[@]} ]; do sleep 30; done; \
      node .gpu-kit/kick.mjs sweep --plan data/plans/sweep-ctp.json --store data/results/ctp-store && echo 'ctp sweep done'" > /tmp/ctp-sweep.log 2>&1 < /dev/null &
    sleep 5; tail -n 2 /tmp/ctp-*.log ;;
  wait)
    end=$(( $(date +%s) + ${2:-60} ))
    while [ "$(date +%s)" -lt "$end" ]; do
      grep -q "ctp sweep done\|kick sweep:" /tmp/ctp-sweep.log 2>/dev/null && break
      sleep 20
    done
    for f in /tmp/ctp-*.log; do echo "== $f"; tr '\r' '\n' < "$f" | grep -v '^\s*$' | tail -n 3; done ;;
  pack)
    out=${OUT:?OUT not set}
    tar -cf - data/prompts data/lora data/results/ctp-store $(ls data/models/*/compression.json 2>/dev/null) /tmp/ctp-*.log 2>/dev/null | split -b 15M - "$out/ctp.tar."
    ls -la "$out" ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
