#!/usr/bin/env bash
# npm run bench:kernels [-- --small | --tiles ...]: WebGPU kernel benchmark, then PyTorch fp32
# (TF32 off) on the same shapes when python3 has torch with CUDA (e.g. on the GPU host, where
# bench/run-gpu-host.sh runs the bundled version of this). Output JSON goes to ${OUT:-/tmp/kick-bench}.
set -eo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-/tmp/kick-bench}; mkdir -p "$out"
npx tsx bench/kernels.ts --out "$out/webgpu.json" "$@"
if python3 -c 'import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  python3 bench/kernels_torch.py --webgpu "$out/webgpu.json" --out "$out/torch.json"
else
  echo "(no PyTorch with CUDA here: PyTorch comparison skipped; run bench/run-gpu-host.sh on the GPU host)" >&2
fi
