#!/usr/bin/env bash
# Recomputes the results store on this machine's device and re-exports the tables the site reads.
#   npm run refresh                                   # the reference plan (a GPU; hours on a CPU)
#   npm run refresh -- data/sweeps/local-kick-s.json  # the small CPU plan on the embedded default
# Finished runs (same model weights, spec, task version and code version) are skipped, so a refresh
# computes only what is missing; then `npm run build` publishes it. The store is first seeded from the
# committed export (resumed if an earlier seeding was interrupted), so the export never loses a run:
# kick sweep refuses an --export that would drop runs of the tables it replaces.
set -euo pipefail
cd "$(dirname "$0")/.."
plan=${1:-data/sweeps/reference.json}
npx tsx loaders/cli.ts sweep --plan "$plan" --store data/results/store --seed-from data/results --export data/results
