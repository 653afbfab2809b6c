#!/usr/bin/env bash
# On the GPU host, from the project root with .gpu-kit carried: random ~1.1B Llama made with transformers in
# $MODEL (default /tmp/kick-bench-model), then kick and HF transformers fp32 eager on the same windows.
set -eo pipefail
m=${MODEL:-/tmp/kick-bench-model}; out=${OUT:-/tmp/bench-out}; mkdir -p "$out"
export PYTHONUNBUFFERED=1
[ -f "$m/tokens.u32" ] || python3 bench/model_torch.py --make "$m" "$@"
bash scripts/gpu-host/host-run.sh bench-model "$m" "$m/tokens.u32" --out "$out/kick-model.json"
python3 bench/model_torch.py --bench "$m" --out "$out/torch-model.json" "$@"
python3 bench/model_torch.py --report "$out/kick-model.json" "$out/torch-model.json"
