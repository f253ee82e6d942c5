#!/usr/bin/env bash
# examples/cube-app (interrupt-driven SysTick tick and HAL_Delay, USART2
# log, 100 KiB buffer in SRAM, stack in CCM, SPI1 answered from
# SPI1_IRQHandler) built with the kit from outside the repository, on the
# virtual board with the real bootloader: v1 in slot A; `fota agent
# --target board:SOCK` updates it to v2 (slot B, confirms 5 s after boot
# with fota_app_confirm(), buffer pattern checked around the call) with
# outcome=updated and the target_resets docs/agent.md states; then a v3
# that never confirms (slot A) is rolled back to v2 (outcome=rolled_back).
# The releases are served by s3rver (scripts/s3-local.sh).
#   tests/kit/cube_board.sh <fota-tool> <cross-build-dir>
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
FOTA="${1:?usage: cube_board.sh <fota-tool> <cross-build-dir>}"
CROSS="${2:?usage: cube_board.sh <fota-tool> <cross-build-dir>}"
# The resets one update needs (docs/agent.md, "The resets of one update").
UPDATE_RESETS=2
work="$(mktemp -d "${TMPDIR:-/tmp}/fota-cube.XXXXXX")"
export S3_LOCAL_STATE="$work/s3"
BUCKET=kit AK=S3RVER SK=S3RVER PREFIX=cube
board_pid=
cleanup() {
  [ -n "$board_pid" ] && kill "$board_pid" 2>/dev/null && wait "$board_pid" 2>/dev/null
  bash "$root/scripts/s3-local.sh" stop >/dev/null 2>&1
  if [ -n "${KIT_KEEP:-}" ]; then echo "kit: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
fail() {
  echo "kit: FAIL $*"
  echo "kit: UART tail:"; tail -25 "$work/uart.log" 2>/dev/null | sed 's/^/  /'
  tail -5 "$work/board.err" "$work/agent.log" 2>/dev/null | sed 's/^/  /'
  exit 1
}
. "$root/tests/support/board.sh"
[ -f "$CROSS/boot/fota-boot.elf" ] || fail "$CROSS/boot/fota-boot.elf missing (make cross)"
# The board on the optimised build when it can be had (emulation under
# ASan is ~3x slower); the agent is the build under test.
BOARD_FOTA="${KIT_BOARD_FOTA:-$(board_fota "$root" "$FOTA")}" || fail "make cross"

build() { # build <version> <confirm> <dir>
  cmake -S "$root/examples/cube-app" -B "$3" \
    -DCMAKE_TOOLCHAIN_FILE="$root/examples/cube-app/cmake/gcc-arm-none-eabi.cmake" \
    -DCMAKE_PREFIX_PATH="$root/cmake" -DFOTA_TOOL="$FOTA" -DCMAKE_BUILD_TYPE=MinSizeRel \
    -DCUBE_APP_VERSION="$1" -DCUBE_APP_CONFIRM="$2" >"$3.log" 2>&1 &&
    cmake --build "$3" >>"$3.log" 2>&1 || { tail -20 "$3.log"; fail "build $1"; }
}
build 1.0.0 1 "$work/v1"
build 2.0.0 1 "$work/v2"
build 3.0.0 0 "$work/v3"

ENDPOINT="$(bash "$root/scripts/s3-local.sh" start "$BUCKET")" || fail "s3rver did not start"
publish() { # publish <dir>
  AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK" AWS_SESSION_TOKEN= \
    "$FOTA" release publish --endpoint "$ENDPOINT" --bucket "$BUCKET" --prefix "$PREFIX" \
    --slot-a "$1/cube-app-slot-a.img" --slot-b "$1/cube-app-slot-b.img" >"$work/publish.out" 2>&1 ||
    fail "publish $1: $(cat "$work/publish.out")"
}
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }
agent() {
  "$FOTA" agent --endpoint "$ENDPOINT" --bucket "$BUCKET" --prefix "$PREFIX" --device-id cube-1 \
    --access-key "$AK" --secret-key "$SK" --state-dir "$work/state" \
    --target "board:$work/spi.sock" --observe-ms 1000 --timeout-ms 5000 --quiet --once \
    2>>"$work/agent.log"
}
wait_uart() { uart_wait_log "$work/uart.log" "$@" || fail "UART: no '$2' after '$1'"; }

"$BOARD_FOTA" board --flash "$work/flash.bin" --boot "$CROSS/boot/fota-boot.elf" \
  --init-slot-a "$work/v1/cube-app-slot-a.img" --spi-socket "$work/spi.sock" \
  >"$work/uart.log" 2>"$work/board.err" &
board_pid=$!
wait_uart "[usart2] cube-app 1.0.0 slot A" "[usart2] cube: buffer ok" 60
[ -S "$work/spi.sock" ] || fail "no SPI socket: $(cat "$work/board.err")"
grep -E '^\[usart2\]' "$work/uart.log" | head -4 | sed 's/^/kit: /'

publish "$work/v2"
out=$(agent) || fail "agent v2: $out"
echo "kit: v2: outcome=$(field outcome "$out") running=$(field running "$out") target_resets=$(field target_resets "$out")"
[ "$(field outcome "$out")" = updated ] && [ "$(field running "$out")" = 2.0.0 ] || fail "v2: $out"
[ "$(field target_resets "$out")" = "$UPDATE_RESETS" ] ||
  fail "v2: target_resets=$(field target_resets "$out"), docs/agent.md states $UPDATE_RESETS"
wait_uart "[usart2] cube-app 2.0.0 slot B" "[usart2] cube: trial boot" 10
# fota_app_confirm() resets into the confirmed boot, which confirms again
# with the buffer's pattern checked before and after the call.
wait_uart "[usart2] cube: trial boot" "[usart2] cube: buffer ok" 30
grep -q "cube: buffer BAD" "$work/uart.log" && fail "buffer pattern damaged"
[ "$(grep -c 'boot: trial boot slot B' "$work/uart.log")" = 1 ] || fail "trial boots of B: $(grep -c 'boot: trial boot slot B' "$work/uart.log")"
echo "kit: v1 -> v2 updated, 100 KiB buffer intact across confirm()"

publish "$work/v3"
mark=$(wc -l <"$work/uart.log")
out=$(agent) || fail "agent v3: $out"
echo "kit: v3: outcome=$(field outcome "$out") running=$(field running "$out") target_resets=$(field target_resets "$out")"
[ "$(field outcome "$out")" = rolled_back ] && [ "$(field running "$out")" = 2.0.0 ] || fail "v3: $out"
grep -q "cube-app 3.0.0 slot A (noconfirm)" "$work/uart.log" || fail "v3 never ran"
wait_uart "[usart2] cube-app 3.0.0 slot A (noconfirm)" "[usart2] cube-app 2.0.0 slot B" 30
wait_uart "[usart2] cube-app 3.0.0 slot A (noconfirm)" "[usart2] cube: buffer ok" 30
tail -n +"$((mark + 1))" "$work/uart.log" | grep -q "cube: buffer BAD" && fail "buffer pattern damaged"
tries=$(grep -c 'boot: trial boot slot A' "$work/uart.log")
[ "$tries" = 3 ] || fail "trial boots of v3: $tries, FOTA_TRIAL_ATTEMPTS is 3 (include/fota/fota_config.h)"
echo "kit: v3 ran $tries trial boots (reset=iwdg), rolled back to v2"
echo "kit: PASS"
