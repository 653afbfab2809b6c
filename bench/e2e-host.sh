#!/usr/bin/env bash
# End to end on a ~1B-parameter random Llama (TinyLlama-1.1B shape, vocab 8192), kick against the OFFICIAL code on
# the same model, the same calibration windows and the same GPU (test/reference/e2e_1b.py has the details):
#   pruning:      SparseGPT 50%, 128 x 2048 calibration tokens: the official llama_sequential pipeline vs
#                 kick compress --method sparsegpt --backend gpu; wall time, per layer, perplexity / KL of both
#   quantization: AWQ w4 g128, 128 x 512 tokens: llm-awq's per-block search (first $AWQ_BLOCKS blocks) vs
#                 kick compress --method awq (all layers; compared per block)
# On the GPU host, from the repo root, with .gpu-kit (node, dawn.node and the CLI bundle .gpu-kit/kick-cli.mjs:
# bash scripts/gpu-host/bundle.sh loaders/cli.ts kick-cli; compress needs no DuckDB) and .ref (official sparsegpt.py + quant.py in .ref/sparsegpt, llm-awq in .ref/llm-awq) carried:
#   source .gpu-kit/activate.sh
#   bash bench/e2e-host.sh sparsegpt     make, sg-official, sg-kick, sg-eval, sg-summary (a done step is skipped,
#                                        so after a cut-off the same command resumes)
#   bash bench/e2e-host.sh awq           make, awq-official, awq-kick, awq-summary
#   bash bench/e2e-host.sh STEP...       single steps: make | sg-official | sg-kick | sg-eval | sg-summary |
#                                        awq-official | awq-kick | awq-summary | pack
#   bash bench/e2e-host.sh start STEP... the same detached (setsid nohup; survives the 10-minute command limit),
#                                        log $E2E_DIR/bg.log;  bash bench/e2e-host.sh wait SECS  polls it
# Big files live in $E2E_DIR (default /tmp/e2e, never inside the repo; ~17 GB: model, official, kick, kick-awq);
# the small results (JSON, logs, time-stamped kick stderr, summaries) are packed into $OUT/e2e-results.tar.gz
# (default OUT /tmp/e2e-out) after every command (and by `wait`), the summaries also to $OUT/summary-*.txt.
# Env: KICK (default "node .gpu-kit/kick-cli.mjs"; locally "npx tsx loaders/cli.ts"), SG_SAMPLES (128), SG_SEQLEN (2048),
# AWQ_SAMPLES (128), AWQ_SEQLEN (512), AWQ_BLOCKS (4), FORCE=1 (redo steps that are done).
set -o pipefail
cd "$(dirname "$0")/.."
D=${E2E_DIR:-/tmp/e2e}
out=${OUT:-/tmp/e2e-out}
mkdir -p "$D" "$out"
export SG_SAMPLES=${SG_SAMPLES:-128} SG_SEQLEN=${SG_SEQLEN:-2048}
export AWQ_SAMPLES=${AWQ_SAMPLES:-128} AWQ_SEQLEN=${AWQ_SEQLEN:-512} AWQ_BLOCKS=${AWQ_BLOCKS:-4} E2E_DIR=$D OUT=$out
PY="python3 test/reference/e2e_1b.py"
export PYTHONUNBUFFERED=1 SPARSEGPT_DIR=${SPARSEGPT_DIR:-$PWD/.ref/sparsegpt} AWQ_REPO=${AWQ_REPO:-$PWD/.ref/llm-awq}
if [ -z "${KICK:-}" ]; then
  # node + dawn.node + Vulkan loader; the CLI runs its GPU work in-process (no child process to re-spawn)
  source .gpu-kit/activate.sh > /dev/null || { echo "e2e: .gpu-kit/activate.sh failed (.gpu-kit carried?)" >&2; exit 1; }
  [ -f .gpu-kit/kick-cli.mjs ] || { echo "e2e: .gpu-kit/kick-cli.mjs missing (bash scripts/gpu-host/bundle.sh loaders/cli.ts kick-cli)" >&2; exit 1; }
  export KICK_CLI_INPROCESS=1
  KICK="node .gpu-kit/kick-cli.mjs"
fi
export KICK

now() { if [ -n "${EPOCHREALTIME:-}" ]; then echo "${EPOCHREALTIME/,/.}"; else date +%s.%N; fi; }
log() { echo "[e2e $(date -u +%H:%M:%S)] $*"; }
# prefix every line with the epoch time it arrived (summary derives kick's per-layer seconds from these)
stamp() { local l; while IFS= read -r l; do printf '%s %s\n' "$(now)" "$l"; done; }
# on the console: kick's progress without the per-linear lines of q/k/v/o/gate/up (one line per layer remains)
# and without /usr/bin/time -v's lines other than wall time, peak memory and exit status
quiet() { awk '/\] [0-9]+\/[0-9]+ layers\.[0-9]+\.(q|k|v|o|gate|up)\.weight/ { next } /^\t/ && !/Elapsed|Maximum resident|Exit status/ { next } { print; fflush() }'; }
done_() { [ -z "${FORCE:-}" ] && [ -s "$1" ]; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# run_kick NAME OUTDIR ARGS...: kick compress ARGS --out OUTDIR --json; stdout (the JSON report) → $D/NAME.json,
# stderr time-stamped → $D/NAME.stderr; wall time (and /usr/bin/time -v's lines where it exists) appended there
run_kick() {
  local name=$1 dir=$2; shift 2
  rm -rf "$dir"
  local tv=(); [ -x /usr/bin/time ] && tv=(/usr/bin/time -v)
  log "kick: $KICK compress $* --out $dir --json"
  local t0; t0=$(now)
  { "${tv[@]}" $KICK compress "$@" --out "$dir" --json 2>&1 1>&3 3>&- | stamp | tee "$D/$name.stderr" | cut -d' ' -f2- | quiet; } 3> "$D/$name.json"
  local rc=$? t1; t1=$(now)
  echo "$t1 [e2e] kick compress wall $(secs "$t0" "$t1") s (exit $rc)" >> "$D/$name.stderr"
  log "kick $name: exit $rc, wall $(secs "$t0" "$t1") s"
  return $rc
}

step() {
  case "$1" in
    make)
      log "make $D (model, calib.bin, eval.bin; skipped when present)"
      $PY make "$D" 2>&1 | tee -a "$D/make.log" ;;
    sg-official)
      if done_ "$D/official.json"; then log "sg-official: done ($D/official.json)"; return 0; fi
      log "official SparseGPT pipeline: $SG_SAMPLES x $SG_SEQLEN"
      $PY sparsegpt "$D" --samples "$SG_SAMPLES" --seq-len "$SG_SEQLEN" 2>&1 | tee "$D/official.log" ;;
    sg-kick)
      if done_ "$D/kick/compression.json" && done_ "$D/kick.json"; then log "sg-kick: done ($D/kick)"; return 0; fi
      run_kick kick "$D/kick" --model "$D/model" --method sparsegpt --sparsity 0.5 --calib "$D/calib.bin" \
        --samples "$SG_SAMPLES" --seq-len "$SG_SEQLEN" --backend gpu --dtype float32 ;;
    sg-eval)
      local models=("$D/model")
      [ -f "$D/official/config.json" ] && models+=("$D/official")
      [ -f "$D/kick/config.json" ] && models+=("$D/kick")
      if done_ "$D/eval.jsonl" && [ "$(grep -c '^{' "$D/eval.jsonl")" -ge "${#models[@]}" ]; then log "sg-eval: done"; return 0; fi
      log "eval: ${models[*]}"
      $PY eval "$D" "${models[@]}" 2> "$D/eval.log" | tee "$D/eval.jsonl"
      local rc=$?; [ $rc -eq 0 ] || tail -n 20 "$D/eval.log"; return $rc ;;
    sg-summary)
      $PY summary "$D" sparsegpt | tee "$D/summary-sparsegpt.txt" ;;
    awq-official)
      if done_ "$D/awq_official.json"; then log "awq-official: done ($D/awq_official.json)"; return 0; fi
      log "official llm-awq search: first $AWQ_BLOCKS blocks, $AWQ_SAMPLES x $AWQ_SEQLEN"
      $PY awq "$D" --blocks "$AWQ_BLOCKS" --samples "$AWQ_SAMPLES" --seq-len "$AWQ_SEQLEN" --awq-repo "$AWQ_REPO" 2>&1 | tee "$D/awq_official.log" ;;
    awq-kick)
      if done_ "$D/kick-awq/compression.json" && done_ "$D/kick-awq.json"; then log "awq-kick: done ($D/kick-awq)"; return 0; fi
      run_kick kick-awq "$D/kick-awq" --model "$D/model" --method awq --bits 4 --group 128 --calib "$D/calib.bin" \
        --samples "$AWQ_SAMPLES" --seq-len "$AWQ_SEQLEN" --dtype float32 ;;
    awq-summary)
      $PY summary "$D" awq | tee "$D/summary-awq.txt" ;;
    pack) ;;
    *) echo "e2e: unknown step $1 (sparsegpt | awq | make | sg-official | sg-kick | sg-eval | sg-summary | awq-official | awq-kick | awq-summary | pack | start STEP... | wait SECS)" >&2; return 2 ;;
  esac
}

pack() {
  cp "$D"/summary-*.txt "$out/" 2>/dev/null
  (cd "$D" && ls -1 ./*.json ./*.jsonl ./*.log ./*.txt ./*.stderr kick/compression.json kick-awq/compression.json 2>/dev/null | tar -czf "$out/e2e-results.tar.gz" -T -) \
    && log "packed $(tar -tzf "$out/e2e-results.tar.gz" | wc -l) small files into $out/e2e-results.tar.gz"
}

[ $# -gt 0 ] || { sed -n '2,25p' "$0"; exit 2; }
case "$1" in
  start)
    shift
    setsid nohup bash "$PWD/bench/e2e-host.sh" "$@" > "$D/bg.log" 2>&1 < /dev/null &
    echo $! > "$D/bg.pid"
    log "started $* detached (pid $(cat "$D/bg.pid")), log $D/bg.log"; sleep 5; tail -n 5 "$D/bg.log"; exit 0 ;;
  wait)
    end=$(( $(date +%s) + ${2:-60} ))
    while [ "$(date +%s)" -lt "$end" ] && kill -0 "$(cat "$D/bg.pid" 2>/dev/null)" 2>/dev/null; do sleep 10; done
    if kill -0 "$(cat "$D/bg.pid" 2>/dev/null)" 2>/dev/null; then log "still running"; else log "finished"; fi
    tail -n 25 "$D/bg.log"; pack; exit 0 ;;
  sparsegpt) set -- make sg-official sg-kick sg-eval sg-summary ;;
  awq) set -- make awq-official awq-kick awq-summary ;;
esac
rc=0
for s in "$@"; do
  t0=$(now)
  step "$s" || { rc=$?; log "step $s FAILED (exit $rc)"; break; }
  log "step $s: $(secs "$t0" "$(now)") s"
done
pack
exit $rc
