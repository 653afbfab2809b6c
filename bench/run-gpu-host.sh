#!/usr/bin/env bash
# On the GPU host (after scripts/gpu-host/bundle.sh bench/kernels.ts bench-kernels here):
#   bash bench/run-gpu-host.sh [extra args for bench/kernels.ts]
# Runs the WebGPU benchmark, then PyTorch fp32 (TF32 off) on the same shapes, and prints the table.
set -eo pipefail
out=${OUT:-/tmp/bench-out}; mkdir -p "$out"
bash scripts/gpu-host/host-run.sh bench-kernels --out "$out/webgpu.json" "$@" 2>&1 | tee "$out/webgpu.log"
PYTHONUNBUFFERED=1 python3 bench/kernels_torch.py --webgpu "$out/webgpu.json" --out "$out/torch.json" | tee "$out/table.md"
