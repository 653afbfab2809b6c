#!/usr/bin/env bash
# Runs a bundled job on the GPU host:  bash scripts/gpu-host/host-run.sh NAME [args...]
# (from the project root, with .gpu-kit carried). Prints the adapter and exits with the job's status.
set -eo pipefail
source .gpu-kit/activate.sh >/dev/null
name=${1:?usage: host-run.sh NAME [args]}; shift
exec node ".gpu-kit/$name.mjs" "$@"
