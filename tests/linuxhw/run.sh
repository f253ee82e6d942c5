#!/usr/bin/env bash
# `fota flash --spi ... --nrst ... --cs-gpio ...`, the Linux port as a
# Raspberry Pi runs it, against the real bootloader and application on the
# virtual board: tests/linuxhw/vhw_preload.c stands in for the kernel's
# spidev and GPIO devices (and the clock) under the unchanged binary.
#   1. wiring faults from the bring-up checklist (docs/hardware.md): NRST
#      not connected, MISO not connected. Each ends in a clear error and
#      loses nothing: the running image stays, the next run works;
#   2. the update itself: slot B written over spidev, committed, the trial
#      boot confirmed; the bus and the lines used as the wiring requires;
#   3. configuration mistakes: a spidev node, a GPIO chip or a line that
#      does not exist, each named in the error.
# Ends with "linux-port: checks=<N> passed=<P>"; exit 0 only if all pass.
#   tests/linuxhw/run.sh <fota> <libfota_vhw.so> [<build-arm>]
# VHW_KEEP=1 keeps the work directory.
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
FOTA="$1" VHW="$2" CROSS="${3:-$root/build-arm}"
work="$(mktemp -d "${TMPDIR:-/tmp}/fota-linuxhw.XXXXXX")"
board_pid=
cleanup() {
  [ -n "$board_pid" ] && kill "$board_pid" 2>/dev/null && wait "$board_pid" 2>/dev/null
  if [ -n "${VHW_KEEP:-}" ]; then echo "linux-port: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
. "$root/tests/support/board.sh"
. "$root/tests/support/checks.sh"
. "$root/tests/linuxhw/vhw.sh"
CHECK_TAG=linux-port
die() { echo "linux-port: $*"; echo "linux-port: checks=0 passed=0"; exit 1; }

BOARD_FOTA=$(board_fota "$root" "$FOTA") || die "no firmware"
echo "  board: $BOARD_FOTA"
UART="$work/uart.log"
PIN_ARGS=(--nrst gpiochip0:17 --cs-gpio gpiochip0:8 --boot0 gpiochip0:27)
for v in 1.0.0:1:a 1.1.0:2:b; do
  IFS=: read -r ver sec slot <<<"$v"
  "$FOTA" image pack --slot "$slot" --version "$ver" --sec-counter "$sec" \
    "$CROSS/app/fota-app-slot-$slot.bin" -o "$work/$ver.img" >/dev/null || die "pack $ver"
done
"$BOARD_FOTA" board --flash "$work/flash.bin" --boot "$CROSS/boot/fota-boot.elf" \
  --init-slot-a "$work/1.0.0.img" --spi-socket "$work/spi.sock" >"$UART" 2>"$work/board.err" &
board_pid=$!
uart_wait_log "$UART" "" "app: confirm ok" 60 && [ -S "$work/spi.sock" ] ||
  die "board did not start: $(cat "$work/board.err")"

# vflash <fault> <report> <args...>: `fota flash` on the virtual hardware.
vflash() {
  local fault=$1 report=$2; shift 2
  LD_PRELOAD="$(vhw_preload_list "$FOTA" "$VHW")" FOTA_VHW_SOCKET="$work/spi.sock" \
    FOTA_VHW_FAULT="$fault" FOTA_VHW_REPORT="$report" "$FOTA" flash "$@"
}
banners() { grep -c "^fota-boot" "$UART"; }

# NRST not wired: the reset never reaches the chip, the application keeps
# running and never answers; the tool says so and points at the guide.
# (--nrst-reset: without it the running application would be asked to
# enter update mode and no NRST pulse would be needed.)
nrst_open() {
  local before out
  before=$(banners)
  out=$(vflash nrst-open "$work/nrst.report" "$work/1.1.0.img" --spi /dev/spidev0.0 \
    --nrst-reset "${PIN_ARGS[@]}" 2>&1) && why "flash succeeded without NRST: $out" && return 1
  grep -q "no answer from the bootloader" <<<"$out" && grep -q "docs/hardware.md" <<<"$out" ||
    why "error: $out" || return 1
  [ "$(banners)" = "$before" ] || why "the chip was reset: $(tail -4 "$UART")" || return 1
  # The pulses were driven, they just went nowhere.
  grep -Eq "nrst_pulses=[1-9]" "$work/nrst.report" || why "report: $(cat "$work/nrst.report")"
}

# MISO not wired: the master reads 0xFF; the chip is reset into update
# mode and waits there with its slots untouched.
miso_open() {
  local out
  out=$(vflash miso-open "$work/miso.report" "$work/1.1.0.img" --spi /dev/spidev0.0 \
    "${PIN_ARGS[@]}" 2>&1) && why "flash succeeded without MISO: $out" && return 1
  grep -q "no answer from the bootloader" <<<"$out" || why "error: $out" || return 1
  uart_wait_log "$UART" "" "boot: update mode" 5 || why "UART: $(tail -4 "$UART")"
}

# The wiring right: slot B written, verified, committed, trial-booted,
# confirmed by the application.
update() {
  local out
  out=$(vflash "" "$work/ok.report" "$work/1.0.0.img" "$work/1.1.0.img" \
    --spi /dev/spidev0.0 "${PIN_ARGS[@]}" --hz 8000000 2>&1) || why "flash failed: $out" || return 1
  echo "  $(grep '^flash:' <<<"$out")"
  echo "  vhw: $(head -1 "$work/ok.report")"
  grep -q "version=1.1.0 slot=B .*committed=1 rebooted=1" <<<"$out" || why "summary: $out" || return 1
  uart_wait_log "$UART" "boot: update mode" "boot: trial boot slot B" 10 &&
    uart_wait_log "$UART" "boot: trial boot slot B" "app: confirm ok" 30 ||
    why "UART: $(tail -5 "$UART")" || return 1
  vhw_report_clean "$work/ok.report" || why "report: $(cat "$work/ok.report")" || return 1
  grep -q "max_speed_hz=8000000 " "$work/ok.report" || why "clock: $(cat "$work/ok.report")"
}

# expect_error <what-the-message-names> <args...>: fails fast, exit 1,
# naming the option at fault.
expect_error() {
  local want=$1 out rc; shift
  out=$(vflash "" "$work/err.report" "$work/1.1.0.img" "$@" 2>&1); rc=$?
  [ "$rc" = 1 ] && grep -qF -- "$want" <<<"$out" || why "exit $rc: $out"
}
no_spidev() {
  expect_error "--spi /dev/spidev1.0: not found" --spi /dev/spidev1.0 "${PIN_ARGS[@]}" &&
    expect_error "is the SPI controller enabled?" --spi /dev/spidev1.0 "${PIN_ARGS[@]}"
}
no_chip() { expect_error "--cs-gpio gpiochip7:8: not found" --spi /dev/spidev0.0 --nrst gpiochip0:17 --cs-gpio gpiochip7:8; }
no_line() { expect_error "--nrst gpiochip0:99" --spi /dev/spidev0.0 --nrst gpiochip0:99 --cs-gpio gpiochip0:8; }

check nrst_not_wired_clear_error_app_keeps_running nrst_open
check miso_not_wired_clear_error_slots_untouched miso_open
check update_over_spidev_gpiod_trial_confirmed update
check missing_spidev_named no_spidev
check missing_gpio_chip_named no_chip
check missing_gpio_line_named no_line
echo "linux-port: checks=$total passed=$passed"
[ "$total" = "$passed" ]
