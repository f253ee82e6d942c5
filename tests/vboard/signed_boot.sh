#!/usr/bin/env bash
# Signature enforcement on the real firmware: the bootloader built with the
# test suite's key (build-arm/boot/fota-boot-testkey.elf, tests/keys) on
# `fota board`, driven by `fota flash --target board:SOCK`:
#   1. an unsigned factory image never runs: the board waits in update mode;
#   2. with a signed factory image running, an unsigned update and one
#      signed by another key are refused at commit (exit 1, the error names
#      the signature, no second pass), and the board still boots the old
#      image from a cold start;
#   3. the update signed with the bootloader's key is committed, trial-booted
#      and confirmed.
# Ends with "signed-boot: checks=<N> passed=<P>"; exit 0 only if all pass.
#   tests/vboard/signed_boot.sh <fota> [<build-arm>]
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
FOTA="$1" CROSS="${2:-$root/build-arm}"
work="$(mktemp -d "${TMPDIR:-/tmp}/fota-signed.XXXXXX")"
board_pid=
stop_board() {
  [ -n "$board_pid" ] && kill "$board_pid" 2>/dev/null && wait "$board_pid" 2>/dev/null
  board_pid=
}
cleanup() { stop_board; [ -n "${SIGNED_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"; }
trap cleanup EXIT
. "$root/tests/support/board.sh"
. "$root/tests/support/checks.sh"
CHECK_TAG=signed-boot
die() { echo "signed-boot: $*"; echo "signed-boot: checks=0 passed=0"; exit 1; }

BOARD_FOTA=$(board_fota "$root" "$FOTA") || die "no firmware"
BOOT="$CROSS/boot/fota-boot-testkey.elf"
[ -f "$BOOT" ] || die "$BOOT missing (make cross)"
TEST_KEY="$root/tests/keys/test-signing.pem"
"$FOTA" key gen -o "$work/other.pem" >/dev/null || die "key gen"
pack() { # pack <slot> <version> <ctr> <out> [<key>]
  "$FOTA" image pack --slot "$1" --version "$2" --sec-counter "$3" \
    "$CROSS/app/fota-app-slot-$1.bin" -o "$4" >/dev/null || return 1
  [ -z "${5:-}" ] || "$FOTA" image sign --key "$5" "$4" >/dev/null
}
pack a 1.0.0 1 "$work/a-unsigned.img" || die "pack"
pack a 1.0.0 1 "$work/a.img" "$TEST_KEY" || die "pack"
pack b 1.1.0 2 "$work/b-unsigned.img" || die "pack"
pack b 1.1.0 2 "$work/b-other.img" "$work/other.pem" || die "pack"
pack b 1.1.0 2 "$work/b.img" "$TEST_KEY" || die "pack"

# start_board <name> <slot-a image>: a fresh device with the keyed bootloader.
start_board() {
  D="$work/$1"; mkdir -p "$D"
  "$BOARD_FOTA" board --flash "$D/flash.bin" --boot "$BOOT" --init-slot-a "$2" \
    --spi-socket "$D/spi.sock" >"$D/uart.log" 2>"$D/board.err" &
  board_pid=$!
}
vflash() { "$FOTA" flash "$@" --target "board:$D/spi.sock"; }

factory_unsigned() {
  start_board unsigned "$work/a-unsigned.img"
  uart_wait_log "$D/uart.log" "" "boot: update mode" 30 || why "UART: $(cat "$D/uart.log")" || return 1
  sleep 1
  ! grep -q "fota-app" "$D/uart.log" || why "the unsigned image ran: $(cat "$D/uart.log")" || return 1
  stop_board
}

refused_then_signed() {
  local out rc
  start_board signed "$work/a.img"
  uart_wait_log "$D/uart.log" "" "app: confirm ok" 60 || why "board: $(cat "$D/board.err")" || return 1
  for img in b-unsigned b-other; do
    out=$(vflash "$work/$img.img" 2>&1); rc=$?
    [ "$rc" = 1 ] && grep -q "refused the image's signature" <<<"$out" ||
      why "$img: exit $rc: $out" || return 1
    # A refused commit is final: one pass, not retried.
    [ "$(grep -c "committing" <<<"$out")" = 1 ] || why "$img retried: $out" || return 1
  done
  ! grep -q "trial boot" "$D/uart.log" || why "a trial started: $(tail -5 "$D/uart.log")" || return 1
  # Cold start of the flash as it is now: still the signed v1.0.0 in A.
  "$FOTA" agent sim-status --flash "$D/flash.bin" | grep -q "slot A, version 1.0.0" ||
    why "not booting A: $("$FOTA" agent sim-status --flash "$D/flash.bin")" || return 1
  out=$(vflash "$work/b.img" 2>&1) || why "signed update failed: $out" || return 1
  grep -q "version=1.1.0 slot=B .*committed=1 rebooted=1" <<<"$out" || why "$out" || return 1
  uart_wait_log "$D/uart.log" "boot: update mode" "boot: trial boot slot B" 30 &&
    uart_wait_log "$D/uart.log" "boot: trial boot slot B" "app: confirm ok" 60 ||
    why "UART: $(tail -6 "$D/uart.log")" || return 1
  stop_board
}

check unsigned_factory_image_never_runs factory_unsigned
check unsigned_and_foreign_updates_refused_signed_one_runs refused_then_signed
echo "signed-boot: checks=$total passed=$passed"
[ "$total" = "$passed" ]
