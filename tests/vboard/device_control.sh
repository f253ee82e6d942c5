#!/usr/bin/env bash
# `fota device` on the real firmware (bootloader and application on
# `fota board`), through --target board:SOCK, checked against the rules of
# docs/tools.md ("fota device"):
#   1. status of a running, confirmed application: answered by the
#      application itself, both slots shown, no reset (the UART shows no
#      new boot);
#   2. `fota flash --no-reboot --json`: one object, one reset (the running
#      application was asked for update mode, no NRST); status then comes
#      from the bootloader: B pending with all its attempts;
#   3. confirm: B confirmed and active before any trial boot; reset boots
#      it as a confirmed image;
#   4. test: the old image in A (an application that would confirm only
#      5 s after boot) is committed for a trial, the reboot runs it as a
#      trial; confirm then asks the running application, which confirms
#      and resets into its confirmed boot (one reset, before its own
#      confirm was due);
#   5. test --no-reboot then rollback: B rejected (its version kept), A
#      keeps running; a second rollback and a confirm with nothing pending
#      reset nothing; committing the rejected version again is refused.
# Ends with "device-control: checks=<N> passed=<P>"; exit 0 only if all pass.
#   tests/vboard/device_control.sh <fota> [<build-arm>]
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
FOTA="$1" CROSS="${2:-$root/build-arm}"
work="$(mktemp -d "${TMPDIR:-/tmp}/fota-device.XXXXXX")"
board_pid=
stop_board() {
  [ -n "$board_pid" ] && kill "$board_pid" 2>/dev/null && wait "$board_pid" 2>/dev/null
  board_pid=
}
cleanup() { stop_board; [ -n "${DEVICE_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"; }
trap cleanup EXIT
. "$root/tests/support/board.sh"
. "$root/tests/support/checks.sh"
CHECK_TAG=device-control
die() { echo "device-control: $*"; echo "device-control: checks=0 passed=0"; exit 1; }

BOARD_FOTA=$(board_fota "$root" "$FOTA") || die "no firmware"
ATTEMPTS=$(sed -n 's/^#define FOTA_TRIAL_ATTEMPTS \([0-9]*\)$/\1/p' "$root/include/fota/fota_config.h")
[ -n "$ATTEMPTS" ] || die "FOTA_TRIAL_ATTEMPTS not found"
"$FOTA" image pack --slot a --version 1.0.0 --sec-counter 1 \
  "$CROSS/app/fota-app-late-slot-a.bin" -o "$work/a.img" >/dev/null || die "pack a"
"$FOTA" image pack --slot b --version 1.1.0 --sec-counter 1 \
  "$CROSS/app/fota-app-slot-b.bin" -o "$work/b.img" >/dev/null || die "pack b"

D="$work/dev"; mkdir -p "$D"
"$BOARD_FOTA" board --flash "$D/flash.bin" --boot "$CROSS/boot/fota-boot.elf" \
  --init-slot-a "$work/a.img" --spi-socket "$D/spi.sock" >"$D/uart.log" 2>"$D/board.err" &
board_pid=$!
T="board:$D/spi.sock"

# dev <out> <fota device args...>: run, keep stdout in $work/<out>.json and
# the exit status in $work/<out>.rc.
dev() {
  local out=$1; shift
  "$FOTA" device "$@" --target "$T" --json >"$work/$out.json" 2>"$work/$out.err"
  echo $? >"$work/$out.rc"
}
# expect <out> <rc> <python expression over j (the JSON object)>...
expect() {
  local out=$1 rc=$2; shift 2
  [ "$(cat "$work/$out.rc")" = "$rc" ] ||
    why "$out: exit $(cat "$work/$out.rc"), want $rc: $(cat "$work/$out.err" "$work/$out.json")" || return 1
  python3 - "$work/$out.json" "$@" <<'PY' || why "$out: $(cat "$work/$out.json")"
import json, sys
j = json.load(open(sys.argv[1]))
def slot(name):
    return [s for s in j["status"]["slots"] if s["slot"] == name][0]
for e in sys.argv[2:]:
    if not eval(e):
        print("  not true:", e)
        sys.exit(1)
PY
}
boots() { grep -c "^fota-boot" "$D/uart.log"; }
mark() { stat -c %s "$D/uart.log"; }
# since <mark> <text> <seconds>: the UART shows text after byte mark.
since() {
  local i
  for i in $(seq 0 $(($3 * 10))); do
    python3 - "$D/uart.log" "$1" "$2" <<'PY' && return 0
import sys
f = open(sys.argv[1], "rb"); f.seek(int(sys.argv[2]))
sys.exit(0 if sys.argv[3].encode() in f.read() else 1)
PY
    sleep 0.1
  done
  return 1
}

status_from_app() {
  uart_wait_log "$D/uart.log" "" "app: self-test pass" 60 || why "board: $(cat "$D/board.err" "$D/uart.log")" || return 1
  local b0; b0=$(boots)
  dev s1 status
  expect s1 0 'j["outcome"] == "ok"' 'j["target_resets"] == 0' \
    'j["status"]["source"] == "app"' 'j["status"]["running_slot"] == "A"' \
    'j["status"]["on_trial"] is False' 'j["status"]["active_slot"] == "A"' \
    'j["status"]["boot_proto_version"] != ""' 'j["status"]["sec_floor"] == 1' \
    'slot("A")["state"] == "confirmed" and slot("A")["version"] == "1.0.0"' \
    'slot("A")["header_valid"] and slot("A")["active"]' \
    'slot("B")["state"] == "empty" and slot("B")["version"] is None' \
    'not slot("B")["header_valid"] and slot("B")["attempts_left"] == 0' || return 1
  sleep 1
  [ "$(boots)" = "$b0" ] || why "status rebooted the board: $(tail -5 "$D/uart.log")"
}

flash_then_pending() {
  "$FOTA" flash "$work/b.img" --target "$T" --no-reboot --json >"$work/f.json" 2>"$work/f.err" ||
    why "flash: $(cat "$work/f.err")" || return 1
  python3 - "$work/f.json" <<'PY' || why "flash: $(cat "$work/f.json")" || return 1
import json, sys
j = json.load(open(sys.argv[1]))
assert j["outcome"] == "committed" and j["slot"] == "B" and j["version"] == "1.1.0", j
assert j["bytes"] > 512 and j["target_resets"] == 1 and j["rebooted"] is False, j
assert j["error"] is None, j
PY
  # The application reset itself into update mode: no pin reset.
  ! grep -q "reset=pin" "$D/uart.log" || why "NRST was pulsed: $(cat "$D/uart.log")" || return 1
  dev s2 status
  expect s2 0 'j["target_resets"] == 0' 'j["status"]["source"] == "bootloader"' \
    'j["status"]["running_slot"] is None' 'j["status"]["active_slot"] == "A"' \
    'slot("B")["state"] == "pending" and slot("B")["version"] == "1.1.0"' \
    "slot('B')['attempts_left'] == $ATTEMPTS and j['status']['attempts_left'] == $ATTEMPTS" \
    'slot("B")["header_valid"] and not slot("B")["active"]'
}

confirm_then_reset() {
  dev c1 confirm --no-reboot
  expect c1 0 'j["outcome"] == "ok"' 'j["rebooted"] is False' 'j["target_resets"] == 0' \
    'j["status"]["active_slot"] == "B"' 'j["status"]["inactive_slot"] == "A"' \
    'slot("B")["state"] == "confirmed" and slot("B")["active"]' \
    'slot("B")["attempts_left"] == 0 and j["status"]["attempts_left"] == 0' \
    'slot("A")["state"] == "confirmed"' || return 1
  local m; m=$(mark)
  dev r1 reset
  expect r1 0 'j["rebooted"] is True' 'j["target_resets"] == 1' || return 1
  since "$m" "boot: boot slot B" 30 &&
    uart_wait_log "$D/uart.log" "boot: boot slot B" "app: confirm ok" 60 ||
    why "UART: $(tail -8 "$D/uart.log")" || return 1
  ! grep -q "trial boot slot B" "$D/uart.log" || why "B ran a trial" || return 1
  dev s3 status
  expect s3 0 'j["status"]["source"] == "app"' 'j["status"]["running_slot"] == "B"' \
    'j["status"]["on_trial"] is False' 'j["target_resets"] == 0'
}

test_runs_a_trial() {
  local m; m=$(mark)
  dev t1 test
  # The status is read after the commit, before the reboot.
  expect t1 0 'j["rebooted"] is True' 'j["target_resets"] == 2' \
    'slot("A")["state"] == "pending" and slot("A")["version"] == "1.0.0"' \
    "slot('A')['attempts_left'] == $ATTEMPTS" 'j["status"]["active_slot"] == "B"' || return 1
  since "$m" "boot: trial boot slot A" 30 && since "$m" "app: self-test pass" 60 ||
    why "UART: $(tail -8 "$D/uart.log")" || return 1
  dev s4 status
  expect s4 0 'j["status"]["running_slot"] == "A"' 'j["status"]["on_trial"] is True' \
    "slot('A')['state'] == 'pending' and slot('A')['attempts_left'] == $ATTEMPTS - 1" || return 1
  m=$(mark)
  dev c3 confirm
  expect c3 0 'j["note"] == "confirmed by the running application"' \
    'j["target_resets"] == 1' 'j["rebooted"] is True' \
    'j["status"]["source"] == "app"' 'j["status"]["running_slot"] == "A"' \
    'j["status"]["on_trial"] is False' 'j["status"]["active_slot"] == "A"' \
    'slot("A")["state"] == "confirmed" and slot("A")["attempts_left"] == 0' \
    'slot("B")["state"] == "confirmed" and slot("B")["version"] == "1.1.0"' || return 1
  # Its reset went into a confirmed boot; its own late confirm never ran.
  since "$m" "boot: boot slot A" 30 || why "UART: $(tail -8 "$D/uart.log")" || return 1
  ! since "$m" "app: confirm and reset" 0 || why "the application confirmed itself first" || return 1
  ! since "$m" "boot: update mode" 0 || why "the bootloader was asked instead"
}

rollback_rejects() {
  dev t2 test --no-reboot
  expect t2 0 'j["rebooted"] is False' 'slot("B")["state"] == "pending"' || return 1
  local m; m=$(mark)
  dev rb1 rollback
  expect rb1 0 'j["rebooted"] is True' 'j["target_resets"] == 1' \
    'slot("B")["state"] == "rejected" and slot("B")["version"] == "1.1.0"' \
    'slot("B")["attempts_left"] == 0' 'j["status"]["active_slot"] == "A"' || return 1
  since "$m" "boot: boot slot A" 30 && since "$m" "app: self-test pass" 60 ||
    why "UART: $(tail -8 "$D/uart.log")" || return 1
  dev s5 status
  expect s5 0 'j["status"]["source"] == "app"' 'j["status"]["running_slot"] == "A"' \
    'j["status"]["on_trial"] is False' 'slot("B")["state"] == "rejected"' || return 1
  # Nothing pending: refused or a no-op, and neither resets the target.
  local b0; b0=$(boots)
  dev rb2 rollback
  expect rb2 1 'j["outcome"] == "error"' 'j["error"] is not None' 'j["target_resets"] == 0' || return 1
  dev c2 confirm
  expect c2 0 'j["outcome"] == "ok"' '"nothing pending" in j["note"]' 'j["target_resets"] == 0' || return 1
  [ "$(boots)" = "$b0" ] || why "a no-op reset the board" || return 1
  # The rejected version stays rejected in B.
  m=$(mark)
  dev t3 test
  expect t3 1 'j["outcome"] == "error"' '"reject" in j["error"]' || return 1
  since "$m" "boot: boot slot A" 30 && since "$m" "app: self-test pass" 60 ||
    why "A did not come back: $(tail -8 "$D/uart.log")"
}

check status_answered_by_the_running_app_without_reset status_from_app
check flash_json_one_reset_then_bootloader_status flash_then_pending
check confirm_before_trial_then_reset confirm_then_reset
check test_runs_a_trial_confirm_asks_the_app test_runs_a_trial
check rollback_rejects_and_noops_reset_nothing rollback_rejects
echo "device-control: checks=$total passed=$passed"
[ "$total" = "$passed" ]
