#!/usr/bin/env bash
# Runs sweep plans on a GPU host as detached shard processes that share one results store, so the work
# outlives a device command (10 minutes) and small models keep the GPU busy side by side.
#   host:  bash scripts/gpu-host/sweeps.sh start SHARDS PLAN...  (each plan split --shard i/SHARDS)
#          MODELS=a,b bash scripts/gpu-host/sweeps.sh start …     (only these models of the plans: kick sweep --models)
#          bash scripts/gpu-host/sweeps.sh wait SECS            (progress; returns early when all are done)
#          bash scripts/gpu-host/sweeps.sh pack                 (new runs of the store, 15 MiB tar pieces in $OUT)
# Store: runs/store, seeded on first start from the committed export data/results/*.parquet. It lives in an
# ignored folder: every device call re-syncs the tree, which deletes files the host added to tracked folders.
# Finished runs are skipped; a killed shard resumes when started again. Here, after `cat sweeps.tar.xz.* | tar -xJ`
# (store.json is not packed: copy one in): kick merge --out data/results/store --export data/results runs/store
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/gpu-host/unpack.sh
store=${STORE:-runs/store}
[ -f "$store/store.json" ] || node .gpu-duck/kick.mjs merge --out "$store" data/results
cmd=${1:?usage: sweeps.sh start SHARDS PLAN... | wait SECS | pack}
case "$cmd" in
  start)
    n=${2:?SHARDS}; shift 2
    [ -f /tmp/sweeps-baseline ] || LC_ALL=C ls "$store/runs" > /tmp/sweeps-baseline
    for plan in "$@"; do
      name=$(basename "$plan" .json)
      for ((i = 0; i < n; i++)); do
        setsid nohup node .gpu-duck/kick.mjs sweep --plan "$plan" --store "$store" --shard "$i/$n" ${MODELS:+--models "$MODELS"} > "/tmp/sweep-$name-$i.log" 2>&1 < /dev/null &
      done
    done
    sleep 10; for f in /tmp/sweep-*.log; do echo "== $f"; tr '\r' '\n' < "$f" | grep -v '^\s*$' | tail -n 1; done ;;
  wait)
    end=$(( $(date +%s) + ${2:-60} ))
    while [ "$(date +%s)" -lt "$end" ]; do
      pgrep -f '^node \.gpu-duck/kick\.mjs sweep' > /dev/null || break
      sleep 15
    done
    echo "runs in store: $(LC_ALL=C ls "$store/runs" | wc -l) ($(comm -13 /tmp/sweeps-baseline <(LC_ALL=C ls "$store/runs") | wc -l) new)"
    for f in /tmp/sweep-*.log; do echo "== $f"; tr '\r' '\n' < "$f" | grep -v '^\s*$' | grep -v 'ETA' | tail -n 2 | cut -c1-300; done ;;
  pack)
    out=${OUT:?OUT not set}
    comm -13 /tmp/sweeps-baseline <(LC_ALL=C ls "$store/runs") | sed "s|^|$store/runs/|" > /tmp/sweeps-new
    tar -cf - -T /tmp/sweeps-new /tmp/sweep-*.log 2>/dev/null | xz -1 | split -b 15M - "$out/sweeps.tar.xz."
    ls -la "$out" ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
