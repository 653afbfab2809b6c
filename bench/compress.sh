#!/usr/bin/env bash
# npm run bench:compress: bundles the compression benchmarks for the GPU host into .gpu-kit/:
#   bench-compress.mjs (bench/compress.ts), bench-compress-gptq.mjs (bench/compress-gptq.ts), kick-cli.mjs (the CLI)
# On the host (device `run`; carry .gpu-kit's activate.sh, debs, node.xz, webgpu.tar.xz, the bundles, and .ref with
# the official repos: .ref/sparsegpt, .ref/gptq, .ref/llm-awq), each in one command, PyTorch beside kick on one GPU:
#   bash bench/compress-host.sh             SparseGPT / Wanda per layer, Hessian given (official fasterprune)
#   bash bench/quant-host.sh                GPTQ per layer (official fasterquant) + the AWQ fixtures
#   bash bench/e2e-host.sh start make sg-official sg-kick sg-eval sg-summary awq-official awq-kick awq-summary
#   bash bench/e2e-host.sh wait 540         (in the next command, within 30 s, until it says "finished")
#                                           ~1B random Llama end to end: the official SparseGPT pipeline and
#                                           llm-awq's per-block search against kick compress (bench/e2e-h100/)
# Here without CUDA: `npx tsx bench/compress.ts --small` and `npx tsx bench/compress-gptq.ts --small` are lavapipe
# smoke runs. Results of the runs behind docs/compress.md: bench/compress-h100.txt, bench/quant-h100.txt, bench/e2e-h100/.
set -eo pipefail
cd "$(dirname "$0")/.."
for job in "bench/compress.ts bench-compress" "bench/compress-gptq.ts bench-compress-gptq" "loaders/cli.ts kick-cli"; do
  bash scripts/gpu-host/bundle.sh $job >/dev/null
done
echo "bundled .gpu-kit/{bench-compress,bench-compress-gptq,kick-cli}.mjs; run bench/compress-host.sh, bench/quant-host.sh, bench/e2e-host.sh on the GPU host" >&2
