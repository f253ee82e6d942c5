#!/usr/bin/env bash
# Benchmarks printing one figure line each. Usage: tests/bench/run.sh <build dir>
# Simulated time only: the figures are deterministic.
set -euo pipefail

BUILD="${1:-build}"
cmake --build "$BUILD" --target bench_flash_update >/dev/null
BIN="$(find "$BUILD" -type f -name bench_flash_update -perm -u+x | head -n 1)"
if [ -z "$BIN" ]; then
  echo "bench: bench_flash_update not built" >&2
  exit 1
fi
"$BIN"
