#!/usr/bin/env bash
# Benchmarks printing one figure line each. Usage: tests/bench/run.sh <build dir>
# Simulated time only: the figures are deterministic.
set -euo pipefail

BUILD="${1:-build}"
CROSS="${CROSS:-build-arm}"
cmake --build "$BUILD" --target bench_flash_update bench_vboard_update fota >/dev/null
find_bin() {
  find "$BUILD" -type f -name "$1" -perm -u+x | head -n 1
}
BIN="$(find_bin bench_flash_update)"
if [ -z "$BIN" ]; then
  echo "bench: bench_flash_update not built" >&2
  exit 1
fi
"$BIN"

# The fleet's request load on S3 (simulated).
FLEET="$(find_bin bench_fleet)"
[ -n "$FLEET" ] || { echo "bench: bench_fleet not built" >&2; exit 1; }
"$FLEET"

# The real bootloader on the virtual board (cross-built firmware needed).
if [ ! -f "$CROSS/boot/fota-boot.elf" ] || [ ! -f "$CROSS/app/fota-app-slot-a.bin" ]; then
  make -s cross >/dev/null
fi
VB="$(find_bin bench_vboard_update)"
TOOL="$(find_bin fota)"
if [ -z "$VB" ] || [ -z "$TOOL" ]; then
  echo "bench: bench_vboard_update or the fota tool not built" >&2
  exit 1
fi
LSAN_OPTIONS="suppressions=$(pwd)/tests/vboard/lsan.supp" \
  "$VB" "$TOOL" "$CROSS/boot/fota-boot.elf" "$CROSS/app/fota-app-slot-a.bin"

# Boot times of the real bootloader (confirmed, first boot, signed first
# boot), on the M4 cycle model and at one cycle per instruction.
cmake --build "$BUILD" --target vboard_boot_time >/dev/null
BT="$(find_bin vboard_boot_time)"
[ -n "$BT" ] || { echo "bench: vboard_boot_time not built" >&2; exit 1; }
LSAN_OPTIONS="suppressions=$(pwd)/tests/vboard/lsan.supp" "$BT" --quiet "$CROSS"

# AN4286 answers clocked back to back at 8 MHz by the real bootloader
# (Read Memory of 256 bytes, simulated time): test_proto_vboard --bench.
cmake --build "$BUILD" --target test_proto_vboard >/dev/null
PV="$(find_bin test_proto_vboard)"
[ -n "$PV" ] || { echo "bench: test_proto_vboard not built" >&2; exit 1; }
LSAN_OPTIONS="suppressions=$(pwd)/tests/vboard/lsan.supp" \
  "$PV" --bench "$TOOL" "$CROSS/boot/fota-boot.elf" "$CROSS/app/fota-app-slot-a.bin"

# The Cortex-M4 crypto figures (Ed25519 verify, SHA-256): bench_crypto_m4.
if cmake --build "$BUILD" --target bench_crypto_m4 >/dev/null 2>&1; then
  BC="$(find_bin bench_crypto_m4)"
  LSAN_OPTIONS="suppressions=$(pwd)/tests/vboard/lsan.supp" "$BC" "$(dirname "$BC")/bench_crypto_fw.elf"
else
  echo "bench: bench_crypto_m4 not built (needs arm-none-eabi-gcc and libcapstone-dev)" >&2
fi
