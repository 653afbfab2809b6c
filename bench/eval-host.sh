#!/usr/bin/env bash
# On the GPU host, from the project root with .gpu-kit carried: a full evaluation of MODEL_DIR (every task
# family, all items) with seconds and tokens/s per task; the table goes to stdout, JSON to $OUT/kick-eval.json.
set -eo pipefail
m=${1:?usage: bench/eval-host.sh MODEL_DIR [--tasks LIST] [--batch-size N] [--limit N]}; shift
out=${OUT:-/tmp/bench-out}; mkdir -p "$out"
bash scripts/gpu-host/host-run.sh bench-eval "$m" --tasks-dir data/tasks --out "$out/kick-eval.json" "$@"
