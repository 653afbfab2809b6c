#!/usr/bin/env bash
# Runs recipe variants of scripts/gpu-host/proxy_recipe.py side by side on one GPU host.
# Usage (on the host): bash scripts/gpu-host/proxy-recipes.sh OUT_DIR "name:variant:arch:epochs:lr" ...
# Data variants come from .gpu-kit/proxy-data.tar.xz (folders v1/, v2/, … each one `npm run data` build).
set -euo pipefail
out=$1; shift
mkdir -p "$out" /tmp/proxy
tar -xJf .gpu-kit/proxy-data.tar.xz -C /tmp/proxy
pids=()
for run in "$@"; do
  IFS=: read -r name variant arch epochs lr <<<"$run"
  python3 scripts/gpu-host/proxy_recipe.py --data "/tmp/proxy/$variant" --arch "$arch" --epochs "$epochs" --lr "$lr" \
    --out "$out/$name.json" > "$out/$name.log" 2>&1 &
  pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
tail -n 1 "$out"/*.log
exit $rc
