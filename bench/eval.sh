#!/usr/bin/env bash
# npm run bench:eval: bundles bench/eval.ts into .gpu-kit/bench-eval.mjs for the GPU host (no Node there).
# On the GPU host (device `run`, carry [".gpu-kit"]), from the project root:
#   bash bench/eval-host.sh MODEL_DIR [--tasks LIST] [--batch-size N] [--limit N]
# Locally (lavapipe, slow; for a smoke run): npx tsx bench/eval.ts MODEL_DIR --limit 4
set -eo pipefail
cd "$(dirname "$0")/.."
bash scripts/gpu-host/bundle.sh bench/eval.ts bench-eval >/dev/null
echo "bundled .gpu-kit/bench-eval.mjs; on the GPU host: bash bench/eval-host.sh MODEL_DIR [options]" >&2
