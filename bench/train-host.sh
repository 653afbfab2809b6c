#!/usr/bin/env bash
# On the GPU host, from the project root with .gpu-kit carried (after `npm run bench:train` here):
#   bash bench/train-host.sh [args for bench/train.ts]
# kick's WebGPU trainer (gradient check, then timed optimiser steps per family plan), then PyTorch fp32
# eager on the same architecture and batch, then the comparison table.
set -eo pipefail
out=${OUT:-/tmp/bench-out}; mkdir -p "$out"
export PYTHONUNBUFFERED=1
# STEPS timed optimiser steps after WARMUP untimed ones, the same on both sides (5 steps gave ±20% run to run)
steps=${STEPS:-20}; warmup=${WARMUP:-3}
# (set the step counts with STEPS/WARMUP: they must be the same on both sides, so --steps in the arguments is refused)
for a in "$@"; do case "$a" in --steps|--warmup) echo "bench/train-host.sh: use STEPS=N / WARMUP=N instead of $a" >&2; exit 2 ;; esac; done
bash scripts/gpu-host/host-run.sh bench-train --out "$out/kick-train.json" --steps "$steps" --warmup "$warmup" "$@" 2>&1 | tee "$out/kick-train.log"
python3 bench/train_torch.py --kick "$out/kick-train.json" --out "$out/torch-train.json" --steps "$steps" --warmup "$warmup" | tee "$out/train-table.md"
