#!/usr/bin/env bash
# Compress-Then-Prompt experiments (issue 11, docs/prompt.md) on a GPU host: compress each model of the
# family to the six levels of data/plans/ctp-levels.json (the options below are those specs), learn a recovery
# prompt per checkpoint on corpus text, dataset-transfer prompts and the LoRA cost baseline at 4-bit + 50%, then
# run the plans data/plans/ctp-*.json (scripts/gpu-host/sweeps.sh, into data/results/store; the sweeps compress
# on the fly with the same specs). Detached, so the work outlives a device command.
#   here:  bash scripts/gpu-host/sweep-kit.sh; the pieces that scripts/gpu-host/unpack.sh lists
#   host:  bash scripts/gpu-host/ctp.sh start [MODELS]   (default: kick-s kick-m kick-l)
#          bash scripts/gpu-host/ctp.sh wait SECS        (progress; returns early when every pipeline is done)
#          bash scripts/gpu-host/ctp.sh pack             (prompts, LoRA cards, checkpoint specs, logs → $OUT)
#          bash scripts/gpu-host/ctp.sh tune MODEL LEVEL [lr:batch ...]  (the recovery prompt of one checkpoint under
#                                                   other learning rates and batch sizes, side by side; ids
#                                                   MODEL-LEVEL-lrX-bY, plus -pN for LENGTH=N other than 100;
#                                                   LEVEL "dense" tunes the dense model's prompt)
# Env: STEPS (prompt/LoRA steps, default 1000; Paper B: 30000), BATCH (windows per step, 4), LENGTH (soft
# tokens, 100), LORA_RANK (32), SHARDS (processes for the transfer and dataset plans, 2; one per recovery plan),
# SOURCE (tune's training text: corpus = data/corpus/train-000.txt, or a source_docs kind such as prose; ids get -SOURCE).
#          bash scripts/gpu-host/ctp.sh lora MODEL     (only the LoRA baseline at 4b50, as the pipeline trains it)
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/gpu-host/unpack.sh
cmd=${1:?usage: ctp.sh start [MODELS] | wait SECS | pack | tune MODEL LEVEL [lr:batch ...] | lora MODEL}
STEPS=${STEPS:-1000}; BATCH=${BATCH:-4}; LENGTH=${LENGTH:-100}; LORA_RANK=${LORA_RANK:-32}; SHARDS=${SHARDS:-2}; SOURCE=${SOURCE:-corpus}
levels=(sgpt50 sgpt62 sgpt75 gptq4 gptq3 4b50)
sources=(facts sotu brown wordnet)   # kinds of training text (data/corpus/docs.jsonl)
compress_args() { # level -> kick compress options = data/plans/ctp-levels.json (128 × 512 calibration tokens: the family's context)
  case "$1" in
    sgpt50) echo "--method sparsegpt --sparsity 0.5" ;;
    sgpt62) echo "--method sparsegpt --sparsity 0.625" ;;
    sgpt75) echo "--method sparsegpt --sparsity 0.75" ;;
    gptq4)  echo "--method gptq --bits 4 --group=-1 --act-order --true-sequential" ;;
    gptq3)  echo "--method gptq --bits 3 --group=-1 --act-order --true-sequential" ;;
    4b50)   echo "--method sparsegpt --sparsity 0.5 --bits 4 --group=-1" ;;
  esac
}
checkpoint() { # data/models/MODEL-LEVEL, compressed once however many detached jobs ask for it at the same time
  local m=$1 l=$2
  [ -d "data/models/$m-$l" ] && return
  mkdir -p /tmp/ctp-lock
  ( flock 9; [ -d "data/models/$m-$l" ] || node .gpu-duck/kick.mjs compress --model "data/models/$m" $(compress_args "$l") --seq-len 512 --dtype float32 --backend gpu --out "data/models/$m-$l" ) 9> "/tmp/ctp-lock/$m-$l"
}
source_docs() { # "all": held-out documents less the perplexity task's (prompts are neither trained nor selected on the
  # text that task scores); a kind: the training documents of that kind in shard 0 (dataset transfer); "prose": the
  # training documents of every shard present of the kinds the perplexity task draws its held-out documents from
  [ -f "/tmp/ctp-src-$1.jsonl" ] || node -e '
    const fs = require("fs"); const [src, out] = process.argv.slice(1);
    const used = new Set(fs.readFileSync("data/tasks/perplexity.jsonl", "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l).doc_id));
    const rows = (f) => fs.readFileSync(f, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
    // shard 0, or for "prose" every shard present (.gpu-sm/corpus-rest.tar.xz carries shards 1–5)
    const shards = src === "prose" ? fs.readdirSync("data/corpus").filter((f) => /^train-\d{3}\.txt$/.test(f)).sort() : ["train-000.txt"];
    if (src === "prose" && shards.length < 2) throw new Error("prose reads every shard: only train-000.txt is here (carry .gpu-sm/corpus-rest.tar.xz, then source scripts/gpu-host/unpack.sh)");
    const docsOf = rows("data/corpus/docs.jsonl");
    const train = [], kinds = [];
    for (const f of shards) {
      const shard = Number(f.slice(6, 9)), texts = fs.readFileSync(`data/corpus/${f}`, "utf8").split("<|endoftext|>");
      const k = docsOf.filter((d) => d.shard === shard).map((d) => d.kind);
      if (k.length !== texts.length) throw new Error(`docs.jsonl lists ${k.length} shard-${shard} documents, ${f} has ${texts.length}`);
      train.push(...texts); kinds.push(...k);
    }
    const want = src === "prose" ? new Set(rows("data/tasks/perplexity.jsonl").map((d) => d.source)) : new Set([src]);
    const docs = src === "all" ? rows("data/corpus/heldout.jsonl").filter((d) => !used.has(d.id)) : train.filter((_, i) => want.has(kinds[i])).map((text) => ({ text }));
    if (!docs.length) throw new Error(`no documents for ${src}`);
    fs.writeFileSync(out + process.pid, docs.map((d) => JSON.stringify({ text: d.text })).join("\n")); fs.renameSync(out + process.pid, out);' "$1" "/tmp/ctp-src-$1.jsonl"
}
pipeline() { # one model of the family, start to finish; four chains of prompt training run side by side
  local m=$1 ck s
  for l in "${levels[@]}"; do checkpoint "$m" "$l"; done
  source_docs all
  local common=(--model "data/models/$m" --out data/prompts --steps "$STEPS" --batch "$BATCH" --seq-len $((512 - LENGTH)) --eval-every 100)
  recover() { # recovery prompts for these checkpoints, one after another
    for ck in "$@"; do
      [ -d "data/prompts/$ck-corpus" ] || kick prompt "${common[@]}" $([ "$ck" = "$m" ] || echo --compressed "data/models/$ck") --data data/corpus/train-000.txt \
        --valid /tmp/ctp-src-all.jsonl --length "$LENGTH" --id "$ck-corpus"
    done
  }
  # three chains side by side (one small model leaves most of the GPU idle); the headline 4b50 first
  recover "$m-4b50" "$m-sgpt75" "$m-gptq3" "$m" &
  recover "$m-sgpt50" "$m-sgpt62" "$m-gptq4" &
  ( for s in "${sources[@]}"; do                         # dataset transfer: one prompt per kind of training text
      source_docs "$s"
      [ -d "data/prompts/$m-4b50-src-$s" ] || kick prompt "${common[@]}" --compressed "data/models/$m-4b50" --data "/tmp/ctp-src-$s.jsonl" \
        --length "$LENGTH" --id "$m-4b50-src-$s"
    done
    # LoRA of comparable size (cost comparison): same data, schedule and validation windows
    [ -d "data/lora/$m-4b50-lora$LORA_RANK" ] || kick prompt "${common[@]/data\/prompts/data\/lora}" --compressed "data/models/$m-4b50" \
      --data data/corpus/train-000.txt --valid /tmp/ctp-src-all.jsonl --lora "$LORA_RANK" --lora-alpha "$LORA_RANK" --id "$m-4b50-lora$LORA_RANK" ) &
  wait
}
case "$cmd" in
  start)
    models=("${@:2}"); [ ${#models[@]} -gt 0 ] || models=(kick-s kick-m kick-l)
    for m in "${models[@]}"; do
      setsid nohup bash -c "source scripts/gpu-host/unpack.sh; $(declare -f compress_args checkpoint source_docs pipeline); STEPS=$STEPS BATCH=$BATCH LENGTH=$LENGTH LORA_RANK=$LORA_RANK; \
        levels=(${levels[*]}); sources=(${sources[*]}); pipeline $m && echo 'ctp pipeline done'" > "/tmp/ctp-$m.log" 2>&1 < /dev/null &
    done
    # the sweeps wait for every pipeline (resumable: run start again to continue)
    setsid nohup bash -c "until [ \$(grep -l 'ctp pipeline done' /tmp/ctp-kick-*.log 2>/dev/null | wc -l) -ge ${#models[@]} ]; do sleep 20; done; \
      bash scripts/gpu-host/sweeps.sh start 1 data/plans/ctp-recovery-*.json && bash scripts/gpu-host/sweeps.sh start $SHARDS data/plans/ctp-transfer.json data/plans/ctp-datasets.json" \
      > /tmp/ctp-sweep.log 2>&1 < /dev/null &
    sleep 5; tail -n 2 /tmp/ctp-*.log ;;
  wait)
    end=$(( $(date +%s) + ${2:-60} ))
    while [ "$(date +%s)" -lt "$end" ]; do
      [ "$(grep -l 'ctp pipeline done\|ctp tune done' /tmp/ctp-*.log 2>/dev/null | wc -l)" -ge "$(ls /tmp/ctp-kick-*.log /tmp/ctp-tune-*.log 2>/dev/null | wc -l)" ] && break
      sleep 20
    done
    for f in /tmp/ctp-*.log; do echo "== $f"; tr '\r' '\n' < "$f" | grep -v '^\s*$' | tail -n 3 | cut -c1-300; done ;;
  pack)
    out=${OUT:?OUT not set}
    tar -cf - data/prompts data/lora $(ls data/models/*/compression.json 2>/dev/null) /tmp/ctp-*.log 2>/dev/null | xz -1 | split -b 15M - "$out/ctp.tar.xz."
    ls -la "$out" ;;
  tune)
    m=${2:?tune MODEL LEVEL}; l=${3:?tune MODEL LEVEL}; grid=("${@:4}"); [ ${#grid[@]} -gt 0 ] || grid=(1e-3:8 3e-3:8 1e-2:8 3e-2:8)
    for g in "${grid[@]}"; do
      lr=${g%%:*}; b=${g##*:}; id="$m-$l-lr$lr-b$b$([ "$LENGTH" = 100 ] || echo "-p$LENGTH")$([ "$SOURCE" = corpus ] || echo "-$SOURCE")"; ck=$([ "$l" = dense ] && echo "" || echo "--compressed data/models/$m-$l")
      # every variant is scored on 64 validation windows (the recovery prompts used 16), so the choice between them is not noise
      setsid nohup bash -c "source scripts/gpu-host/unpack.sh; $(declare -f compress_args checkpoint source_docs)
        [ $l = dense ] || checkpoint $m $l
        source_docs all; data=data/corpus/train-000.txt; [ $SOURCE = corpus ] || { source_docs $SOURCE; data=/tmp/ctp-src-$SOURCE.jsonl; }
        [ -d data/prompts/$id ] || kick prompt --model data/models/$m $ck --out data/prompts --steps $STEPS --batch $b --lr $lr --seq-len $((512 - LENGTH)) \
          --eval-every 100 --eval-windows 64 --data \$data --valid /tmp/ctp-src-all.jsonl --length $LENGTH --id $id && echo 'ctp tune done'" \
        > "/tmp/ctp-tune-$id.log" 2>&1 < /dev/null &
    done
    sleep 5; tail -n 2 /tmp/ctp-tune-*.log ;;
  lora)
    m=${2:?lora MODEL}
    setsid nohup bash -c "source scripts/gpu-host/unpack.sh; $(declare -f compress_args checkpoint source_docs)
      checkpoint $m 4b50
      source_docs all
      [ -d data/lora/$m-4b50-lora$LORA_RANK ] || kick prompt --model data/models/$m --out data/lora --steps $STEPS --batch $BATCH --seq-len $((512 - LENGTH)) --eval-every 100 \
        --compressed data/models/$m-4b50 --data data/corpus/train-000.txt --valid /tmp/ctp-src-all.jsonl --lora $LORA_RANK --lora-alpha $LORA_RANK --id $m-4b50-lora$LORA_RANK \
        && echo 'ctp tune done'" > "/tmp/ctp-tune-$m-lora.log" 2>&1 < /dev/null &
    sleep 5; tail -n 2 "/tmp/ctp-tune-$m-lora.log" ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
