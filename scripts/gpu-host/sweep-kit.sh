#!/usr/bin/env bash
# Builds .gpu-duck/: the kick CLI bundled with DuckDB kept external, plus DuckDB's Node modules (native
# libduckdb for linux-x64, ~16 MB xz), so that `kick sweep` can write its Parquet store on a GPU host
# (the .gpu-kit bundles stub DuckDB out). Host (after .gpu-kit is there), carry [".gpu-duck"]:
#   mkdir -p .gpu-duck/node_modules && tar -xJf .gpu-duck/duckdb-modules.tar.xz -C .gpu-duck/node_modules
#   source .gpu-kit/activate.sh; export KICK_TASKS_DIR=$PWD/data/tasks KICK_CLI_INPROCESS=1
#   node .gpu-duck/kick.mjs sweep --plan data/sweeps/reference-kick-l.json --store runs/ref/store
# Calibrated methods also need data/corpus/train-000.txt on the host (tar -cJf it; ~2.5 MB).
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .gpu-duck
npx esbuild loaders/cli.ts --bundle --platform=node --format=esm --target=node20 --external:webgpu --external:@duckdb/node-api \
  --banner:js="import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url); globalThis.__KICK_BUNDLE_ENTRY = 'loaders/cli.ts';" \
  --outfile=.gpu-duck/kick.mjs --log-level=warning
tar -cJf .gpu-duck/duckdb-modules.tar.xz -C node_modules @duckdb/node-api @duckdb/node-bindings @duckdb/node-bindings-linux-x64
du -sh .gpu-duck
