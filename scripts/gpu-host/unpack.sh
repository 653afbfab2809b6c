#!/usr/bin/env bash
# Unpacks what the GPU host needs for sweeps, compression and prompts (idempotent; source it from the
# project root after the pieces were carried over in one or more device calls):
#   .gpu-kit/      node, dawn.node, Vulkan loader (scripts/gpu-host/bundle.sh)
#   .gpu-duck/     kick.mjs with DuckDB external + DuckDB's node modules (scripts/gpu-host/sweep-kit.sh)
#   .gpu-l/        kick-l.tar.a? pieces (a 45 MB model does not fit one call next to the kits)
#   .gpu-sm/       kick-m.tar or kick-m.tar.xz, corpus.tar.xz (data/corpus/train-000.txt and heldout.jsonl),
#                  corpus-rest.tar.xz (train-001…005.txt, for ctp.sh's "prose" source)
# Model tars leave out tokenizer.json (data/tokenizer's, copied back here). Sets the env the bundles need.
source .gpu-kit/activate.sh >/dev/null
if [ ! -d .gpu-duck/node_modules/@duckdb ]; then mkdir -p .gpu-duck/node_modules && tar -xJf .gpu-duck/duckdb-modules.tar.xz -C .gpu-duck/node_modules; fi
if [ ! -f data/corpus/docs.jsonl ] && [ -f .gpu-sm/corpus.tar.xz ]; then tar -xJf .gpu-sm/corpus.tar.xz; fi
if [ ! -f data/corpus/train-001.txt ] && [ -f .gpu-sm/corpus-rest.tar.xz ]; then tar -xJf .gpu-sm/corpus-rest.tar.xz; fi
if [ ! -d data/models/kick-m ] && [ -f .gpu-sm/kick-m.tar ]; then tar -xf .gpu-sm/kick-m.tar; fi
if [ ! -d data/models/kick-m ] && [ -f .gpu-sm/kick-m.tar.xz ]; then tar -xJf .gpu-sm/kick-m.tar.xz; fi
if [ ! -d data/models/kick-l ] && [ -f .gpu-l/kick-l.tar.ac ]; then cat .gpu-l/kick-l.tar.a? | tar -x; fi
for m in data/models/kick-{s,m,l}; do
  if [ -d "$m" ] && [ ! -f "$m/tokenizer.json" ]; then cp data/tokenizer/tokenizer.json "$m/"; fi
done
export KICK_TASKS_DIR=$PWD/data/tasks KICK_CLI_INPROCESS=1
kick() { node .gpu-duck/kick.mjs "$@"; }
