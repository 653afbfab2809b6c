#!/usr/bin/env bash
# On the GPU host, from the project root (carry .gpu-kit, .ref with the official code): the quantization
# issue's GPU-side checks in one run, outputs under $OUT (default /tmp/quant-out):
#   1. AWQ fixtures from the official llm-awq search (test/reference/awq_fixtures.py, .ref/llm-awq)
#      → $OUT/awq/ (copy to test/fixtures/compress/awq/; test/compress/awq_official.test.ts reads them)
#   2. GPTQ per-layer solve, Hessian given, for 4096×4096, 11008×4096, 4096×11008: the official fasterquant
#      (.ref/gptq, test/reference/gptq_quant_fixtures.py --bench) then kick (bench/compress-gptq.ts), same
#      H and W, same GPU, one run → gptq-torch.log, gptq-kick.json (ratios, level agreement)
# Bundles: bash scripts/gpu-host/bundle.sh bench/compress-gptq.ts bench-compress-gptq (KIT=dir if moved).
set -o pipefail
out=${OUT:-/tmp/quant-out}; mkdir -p "$out"; d=/tmp/compress-bench; kit=${KIT:-.gpu-kit}
source .gpu-kit/activate.sh >/dev/null
export PYTHONUNBUFFERED=1
python3 test/reference/awq_fixtures.py --awq-repo .ref/llm-awq --out "$out/awq" > "$out/awq.log" 2>&1 || echo "AWQ fixtures FAILED (see awq.log)"
tail -n 5 "$out/awq.log"
[ -f "$d/H_4096.bin" ] || python3 test/reference/sparsegpt_prune_fixtures.py bench "$d" > "$out/torch-sparsegpt.log" 2>&1 || echo "H/W generation FAILED"
python3 test/reference/gptq_quant_fixtures.py --bench "$d" 2>&1 | tee "$out/gptq-torch.log" || echo "official GPTQ bench FAILED"
node "$kit/bench-compress-gptq.mjs" "$d" --out "$out/gptq-kick.json" 2>&1 | tee "$out/gptq-kick.log" || echo "kick GPTQ bench FAILED"
