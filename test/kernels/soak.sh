#!/usr/bin/env bash
# Stability soak: runs the kernel test suite N times in a row (default 20) on the local
# adapter and stops at the first failure or crash. npm run test:kernels:soak [-- N]
set -uo pipefail
cd "$(dirname "$0")/../.."
n=${1:-20}; log=${SOAK_LOG:-/tmp/kick-kernel-soak.log}; : > "$log"
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
start=$(date +%s)
for i in $(seq 1 "$n"); do
  if ! npx vitest run test/kernels >>"$log" 2>&1; then
    echo "soak: run $i/$n FAILED after $(( $(date +%s) - start ))s; see $log" >&2
    grep -E "Signal|signal|SIG|Assertion|futex|FAIL|Tests " "$log" | tail -20 >&2
    exit 1
  fi
  summary=$(grep -E "Tests .*passed" "$log" | tail -1 | sed 's/\x1b\[[0-9;]*m//g')
  echo "soak: run $i/$n ok ($summary )" >&2
done
echo "soak: $n/$n runs passed in $(( $(date +%s) - start ))s"
