#!/usr/bin/env bash
# npm run bench:compress: bundles bench/compress.ts into .gpu-kit/bench-compress.mjs for the GPU host.
# On the host (device `run`, carry [".gpu-kit", ".ref"]; .ref/sparsegpt = the official repo):
#   bash bench/compress-host.sh        PyTorch reference (official fasterprune) then kick, same GPU, one run
# Here without CUDA: `npx tsx bench/compress.ts --small` is a lavapipe smoke run.
set -eo pipefail
cd "$(dirname "$0")/.."
bash scripts/gpu-host/bundle.sh bench/compress.ts bench-compress >/dev/null
echo "bundled .gpu-kit/bench-compress.mjs; run bench/compress-host.sh on the GPU host" >&2
