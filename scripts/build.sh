#!/usr/bin/env bash
# npm run build: builds the site into dist/ from the results store.
#   1. tree-shakes the browser libraries whose published bundles embed CDN addresses;
#   2. computes the runs of the embedded default's plan (data/sweeps/local-kick-s.json) that the store
#      lacks (data/results/store, seeded from the committed data/results/*.parquet): none when the
#      committed store is current, and then data/results/*.parquet stay byte-identical (--export-if-new);
#      skipped when KICK_RESULTS_DIR is set (the site reads another store) or KICK_BUILD_SWEEP=0;
#   3. observable build: runs the data loaders and writes the static site into dist/ (KICK_SITE_DIR, set by
#      kick study --out, writes it elsewhere). A results table that is missing
#      builds pages that say so; one that is there but unreadable fails its loader, and so the build,
#      naming the file (loaders/figures/results-store.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
node scripts/vendor-browser-libs.mjs
plan=data/sweeps/local-kick-s.json
if [[ -n "${KICK_RESULTS_DIR:-}" ]]; then
  echo "[build] KICK_RESULTS_DIR=$KICK_RESULTS_DIR: the site reads that store; not computing $plan" >&2
elif [[ "${KICK_BUILD_SWEEP:-1}" == "0" ]]; then
  echo "[build] KICK_BUILD_SWEEP=0: not computing $plan" >&2
else
  echo "[build] computing runs of $plan missing from the store (none when the committed store is current)" >&2
  if ! npx tsx loaders/cli.ts sweep --plan "$plan" --export data/results --export-if-new; then
    echo "[build] failed: kick sweep --plan $plan (its message is above); KICK_BUILD_SWEEP=0 builds the site from the stored results as they are" >&2
    exit 1
  fi
fi
npx observable build
