#!/usr/bin/env bash
# Bundles a Node GPU job into one ESM file for the bare GPU host (no Node, no npm there).
#   bash scripts/gpu-host/bundle.sh ENTRY.ts NAME   ->  .gpu-kit/NAME.mjs
# Builds the kit (node binary, webgpu/dawn.node, Vulkan loader debs) first when missing.
# On the host (device `run`, carry [".gpu-kit"]):  bash scripts/gpu-host/host-run.sh NAME [args]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
entry=${1:?usage: bundle.sh ENTRY.ts NAME}; name=${2:?usage: bundle.sh ENTRY.ts NAME}
cd "$root"
entry=$(realpath --relative-to=. "$entry") # the name the modules' isMain guards compare with (loaders/util/is-main.ts)
if [ ! -f .gpu-kit/activate.sh ] || [ ! -f .gpu-kit/webgpu.tar.xz ]; then
  kit=$(ls "$root"/../shared/tools/gpu-host-kit.sh 2>/dev/null || true)
  [ -n "$kit" ] || { echo "gpu-host-kit.sh not found (expected ../shared/tools/)" >&2; exit 1; }
  bash "$kit"
fi
# DuckDB is native and does not travel: jobs that would write Parquet get a stub that says so.
# Whitespace and syntax minified (names kept, so errors still name classes): everything carried to the
# host shares one 64 MiB allowance with the working tree.
npx esbuild "$entry" --bundle --platform=node --format=esm --target=node20 --external:webgpu --minify-whitespace --minify-syntax \
  --alias:@duckdb/node-api=./scripts/gpu-host/duckdb-stub.ts \
  --banner:js="import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url); globalThis.__KICK_BUNDLE_ENTRY = '$entry';" \
  --outfile=".gpu-kit/$name.mjs" --log-level=warning
du -sh .gpu-kit | awk '{print "[bundle] .gpu-kit is " $1}' >&2
echo ".gpu-kit/$name.mjs"
