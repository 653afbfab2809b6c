#!/usr/bin/env bash
# npm run bench:train: bundles bench/train.ts into .gpu-kit/bench-train.mjs for the GPU host (no Node there)
# and, where python3 has torch with CUDA, runs the whole comparison here. On the GPU host (device `run`,
# carry [".gpu-kit"]): bash bench/train-host.sh
set -eo pipefail
cd "$(dirname "$0")/.."
bash scripts/gpu-host/bundle.sh bench/train.ts bench-train >/dev/null
if python3 -c 'import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  bash bench/train-host.sh "$@"
else
  echo "bundled .gpu-kit/bench-train.mjs; no PyTorch with CUDA here: run bench/train-host.sh on the GPU host" >&2
fi
