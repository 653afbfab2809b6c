#!/usr/bin/env bash
# On the GPU host: fixtures + benchmark in one go (outputs under $OUT or /tmp/compress-out).
set -eo pipefail
out=${OUT:-/tmp/compress-out}; mkdir -p "$out"; d=/tmp/compress-bench
export PYTHONUNBUFFERED=1
[ -n "$SKIP_FIXTURES" ] || python3 test/reference/sparsegpt_prune_fixtures.py fixtures "$out" 2>&1 | tee "$out/fixtures.log"
python3 test/reference/sparsegpt_prune_fixtures.py bench "$d" 2>&1 | tee "$out/torch.log"
cp "$d/torch.json" "$out/"
bash scripts/gpu-host/host-run.sh bench-compress "$d" --out "$out/kick.json" 2>&1 | tee "$out/kick.log"
