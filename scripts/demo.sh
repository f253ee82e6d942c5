#!/usr/bin/env bash
# make demo: a local S3 API server, an STM32F407 and the update agent:
# v1.0.0 factory-installed in slot A, v1.1.0 published and installed, then
# v1.2.0 (a build that never confirms) published: its trial boots fail, the
# device rolls back, the agent reports the rollback and does not retry it.
# On the board every release is signed with a release key made for the
# run: the bootloader is built with its public half, the agent checks it
# too, and an unsigned image written straight over SPI (a compromised
# gateway) is refused by the bootloader.
#
# The device (DEMO_TARGET):
#   board (default)  the real firmware (build-arm: bootloader ELF, the
#                    example application built once per version) on the
#                    virtual board, `fota board` running in the background
#                    with its flash in a file; the agent reaches it with
#                    --target board:SOCK and its UART is shown per step.
#                    The board runs from an optimised build (build-rel;
#                    emulation under ASan is ~3x slower), the agent and
#                    the other fota commands from $BUILD.
#   sim              the host model (bootloader core and protocol engine
#                    on the flash model, flash in a file: --target sim:FILE)
#                    with generated payloads.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${BUILD:-$root/build}"
FOTA="$BUILD/tools/fota"
[ -x "$FOTA" ] || { echo "demo: $FOTA missing (make build)" >&2; exit 1; }
work="$(mktemp -d "${TMPDIR:-/tmp}/fota-demo.XXXXXX")"
export S3_LOCAL_STATE="$work/s3"
BUCKET=fota-demo PREFIX=fw/stm32f407 AK=S3RVER SK=S3RVER
t_start=$(date +%s%N)
DEMO_TARGET="${DEMO_TARGET:-board}"
board_pid=

cleanup() {
  local rc=$?
  if [ -n "$board_pid" ]; then
    kill "$board_pid" 2>/dev/null || true
    wait "$board_pid" 2>/dev/null || true
  fi
  bash "$root/scripts/s3-local.sh" stop >/dev/null 2>&1 || true
  rm -rf "$work"
  [ $rc = 0 ] || echo "demo: FAILED" >&2
  exit $rc
}
trap cleanup EXIT INT TERM

. "$root/scripts/fota-release-lib.sh"
RELEASE_VERBOSE=1
step() { echo; echo "== $*"; }
fail() { echo "demo: $*" >&2; exit 1; }

step "starting s3rver on loopback"
ENDPOINT="$(bash "$root/scripts/s3-local.sh" start "$BUCKET")"
echo "endpoint $ENDPOINT, bucket $BUCKET, prefix $PREFIX"

flash="$work/flash.bin"
sock="$work/spi.sock"
uart="$work/uart.log"
uart_off=0
# uart_show: the board's UART lines since the last call (boot decisions,
# application banners, confirm / reset), indented.
# It first waits (up to 30 s) until the chip has settled: nothing new, or
# the last line an application confirming (the agent's last status read
# reboots the chip as it leaves, so the boot it starts is still running).
uart_show() {
  [ "$DEMO_TARGET" = board ] || return 0
  local n last i
  for i in $(seq 300); do
    last=$(tail -c +$((uart_off + 1)) "$uart" | grep -E '^(fota-boot|boot:|fota-app|app:)' | tail -1) || true
    [ -z "$last" ] || [ "$last" = "app: confirm ok" ] && break
    sleep 0.1
  done
  n=$(stat -c %s "$uart")
  tail -c +$((uart_off + 1)) "$uart" | head -c $((n - uart_off)) |
    grep -E '^(fota-boot|boot:|fota-app|app: (confirm|not confirming|resetting|self-test))' |
    sed 's/^/  uart| /' || true
  uart_off=$n
}
# wait_uart <text> <seconds>: until the board's UART has printed text.
wait_uart() {
  local i
  for i in $(seq $(($2 * 10))); do
    tail -c +$((uart_off + 1)) "$uart" | grep -qF "$1" && return 0
    kill -0 "$board_pid" 2>/dev/null || fail "the board stopped: $(cat "$work/board.err")"
    sleep 0.1
  done
  fail "the board's UART did not show '$1' within $2 s"
}
# status: what a cold boot of the device's flash would run (for the board,
# decided by the host boot core on a copy of its flash file).
status() {
  if [ "$DEMO_TARGET" = board ]; then
    cp "$flash" "$work/flash-copy.bin"
    "$FOTA" agent sim-status --flash "$work/flash-copy.bin"
  else
    "$FOTA" agent sim-status --flash "$flash"
  fi
}

case "$DEMO_TARGET" in
board)
  step "release key: fota key gen (offline in real life); the bootloader and the agent get its public half"
  "$FOTA" key gen -o "$work/release.pem"
  PUBKEY=$("$FOTA" key pub "$work/release.pem" -o "$work/release.pub" |
    awk '/public key/ { print $3; exit }')
  SIGN_KEY="$work/release.pem"
  step "building the firmware: bootloader with the release key, application v1.0.0, v1.1.0, v1.2.0"
  make --no-print-directory -C "$root" cross >/dev/null
  cmake -S "$root" -B "$root/build-demo/boot" -DCMAKE_BUILD_TYPE=MinSizeRel \
    -DCMAKE_TOOLCHAIN_FILE="$root/cmake/arm-none-eabi.cmake" -DFOTA_BOOT_PUBKEY="$PUBKEY" >/dev/null
  cmake --build "$root/build-demo/boot" -j "$(nproc)" --target fota-boot >/dev/null
  BOOT_ELF="$root/build-demo/boot/boot/fota-boot.elf"
  [ -f "$BOOT_ELF" ] || fail "$BOOT_ELF missing"
  echo "  bootloader trusting $PUBKEY"
  # One cross build per version (the banner's version is a compile-time
  # definition, FOTA_APP_VERSION), kept in build-demo/ between runs.
  for v in 1.0.0 1.1.0 1.2.0; do
    cmake -S "$root" -B "$root/build-demo/fw-$v" -DCMAKE_BUILD_TYPE=MinSizeRel \
      -DCMAKE_TOOLCHAIN_FILE="$root/cmake/arm-none-eabi.cmake" -DFOTA_APP_VERSION="$v" >/dev/null
    cmake --build "$root/build-demo/fw-$v" -j "$(nproc)" --target fota-app-slot-a \
      fota-app-slot-b fota-app-noconfirm-slot-a fota-app-noconfirm-slot-b >/dev/null
    ls -l "$root/build-demo/fw-$v"/app/*.bin | awk '{ printf "  %6d %s\n", $5, $NF }'
  done
  step "building fota for the board (optimised, build-rel)"
  cmake -S "$root" -B "$root/build-rel" -DCMAKE_BUILD_TYPE=Release -DFOTA_SANITIZE=OFF >/dev/null
  cmake --build "$root/build-rel" -j "$(nproc)" --target fota >/dev/null
  BOARD_FOTA="$root/build-rel/tools/fota"

  step "factory: v1.0.0 (signed) in slot A of a fresh board flash, bootloader in sectors 0-1"
  "$FOTA" image pack --slot a --version 1.0.0 --sec-counter 1 \
    "$root/build-demo/fw-1.0.0/app/fota-app-slot-a.bin" -o "$work/factory.img"
  "$FOTA" image sign --key "$SIGN_KEY" "$work/factory.img"
  "$BOARD_FOTA" board --flash "$flash" --boot "$BOOT_ELF" --init-slot-a "$work/factory.img" \
    --spi-socket "$sock" >"$uart" 2>"$work/board.err" &
  board_pid=$!
  echo "fota board running (pid $board_pid), SPI/NRST/PA4 on $sock"
  wait_uart "app: confirm ok" 60
  for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
  uart_show
  # The agent waits this long (board time) before each status read after a
  # flash: a read resets the chip and so starts another trial attempt; the
  # never-confirming build resets itself after 2 s, so 2.5 s lets its three
  # attempts run out within the agent's three reads.
  TARGET="board:$sock" OBSERVE=(--observe-ms 2500)
  ;;
sim)
  step "factory: v1.0.0 in slot A of a fresh simulated flash"
  mkraw a 65536 1 "$work/factory.bin"
  "$FOTA" image pack --slot a --version 1.0.0 --sec-counter 1 "$work/factory.bin" -o "$work/factory.img" >/dev/null
  "$FOTA" agent sim-install --flash "$flash" --slot a "$work/factory.img"
  TARGET="sim:$flash" OBSERVE=() SIGN_KEY=""
  ;;
*) fail "DEMO_TARGET: board or sim, not '$DEMO_TARGET'" ;;
esac
status

# publish <version> <sec-counter> <flags>: the release's slot-A and slot-B
# images, published with `fota release publish`: for the board the
# application builds of that version (flags 1 = the never-confirming
# variant), for the host model generated payloads.
publish() {
  local v=$1 sec=$2 flags=$3 s var=""
  if [ "$DEMO_TARGET" = sim ]; then
    release "$work/rel" "$v" "$sec" "$flags" 131072
    return
  fi
  [ "$flags" = 1 ] && var=noconfirm-
  mkdir -p "$work/rel/$v"
  for s in a b; do
    "$FOTA" image pack --slot $s --version "$v" --sec-counter "$sec" --flags "$flags" \
      "$root/build-demo/fw-$v/app/fota-app-${var}slot-$s.bin" -o "$work/rel/$v/slot-$s.img"
    "$FOTA" image sign --key "$SIGN_KEY" "$work/rel/$v/slot-$s.img"
  done
  AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK" AWS_SESSION_TOKEN= \
    "$FOTA" release publish --endpoint "$ENDPOINT" --bucket "$BUCKET" --prefix "$PREFIX" \
    --require-signature "$work/release.pub" \
    --slot-a "$work/rel/$v/slot-a.img" --slot-b "$work/rel/$v/slot-b.img"
}

agent() {
  local key=()
  [ -n "$SIGN_KEY" ] && key=(--pubkey "$work/release.pub")
  "$FOTA" agent --endpoint "$ENDPOINT" --bucket "$BUCKET" --prefix "$PREFIX" \
    --device-id demo-0001 --access-key "$AK" --secret-key "$SK" \
    --state-dir "$work/state" --target "$TARGET" "${OBSERVE[@]}" "${key[@]}" --once "$@"
}
declare -a rows

step "publishing v1.1.0 (fota release publish)"
publish 1.1.0 2 0
step "agent run: update to v1.1.0"
out=$(agent) || fail "agent run failed: $out"
echo "$out"
uart_show
[ "$(field outcome "$out")" = updated ] || fail "expected outcome=updated"
[ "$(field running "$out")" = 1.1.0 ] || fail "expected v1.1.0 running"
rows+=("1.1.0|$(field outcome "$out")|$(field running "$out")|$(field slot "$out")|$(field image_bytes "$out")|$(field hw_time_ms "$out")|$(field wall_ms "$out")")
status

step "publishing v1.2.0, a test build that never confirms (fota release publish)"
publish 1.2.0 2 1
step "agent run: install v1.2.0, trial boots fail, rollback"
out=$(agent) || fail "agent run failed: $out"
echo "$out"
uart_show
[ "$(field outcome "$out")" = rolled_back ] || fail "expected outcome=rolled_back"
[ "$(field running "$out")" = 1.1.0 ] || fail "expected v1.1.0 running after the rollback"
rows+=("1.2.0|$(field outcome "$out")|$(field running "$out")|$(field slot "$out")|$(field image_bytes "$out")|$(field hw_time_ms "$out")|$(field wall_ms "$out")")
status
[ "$(s3get "$PREFIX/reports/demo-0001.json" "$work/report.json")" = 200 ] || fail "no report"
echo "report: $(cat "$work/report.json")"
grep -q '"state":"rolled_back"' "$work/report.json" || fail "report does not say rolled_back"

if [ "$DEMO_TARGET" = board ]; then
  step "a compromised gateway writes an unsigned v1.3.0 straight over SPI (fota flash): the bootloader refuses it"
  "$FOTA" image pack --slot a --version 1.3.0 --sec-counter 9 \
    "$root/build-demo/fw-1.2.0/app/fota-app-slot-a.bin" -o "$work/unsigned.img" >/dev/null
  if out=$("$FOTA" flash "$work/unsigned.img" --target "$TARGET" 2>&1); then
    fail "the bootloader accepted an unsigned image: $out"
  fi
  echo "$out" | grep -E "failed|refused" || true
  grep -q "refused the image's signature" <<<"$out" || fail "expected the signature refusal: $out"
  uart_show
  status
fi

step "agent run again: v1.2.0 is not retried"
out=$(agent) || fail "agent run failed: $out"
echo "$out"
uart_show
[ "$(field flashes "$out")" = 0 ] && [ "$(field image_requests "$out")" = 0 ] || fail "v1.2.0 was retried"
rows+=("poll|$(field outcome "$out")|$(field running "$out")|$(field slot "$out")|$(field image_bytes "$out")|$(field hw_time_ms "$out")|$(field wall_ms "$out")")

step "summary (target: $DEMO_TARGET)"
printf '%-8s %-14s %-9s %-5s %-12s %-12s %-8s\n' release outcome running slot image_bytes hw_time_ms wall_ms
for r in "${rows[@]}"; do
  IFS='|' read -r a b c d e f g <<<"$r"
  printf '%-8s %-14s %-9s %-5s %-12s %-12s %-8s\n' "$a" "$b" "$c" "$d" "$e" "$f" "$g"
done
echo "total wall time: $(( ($(date +%s%N) - t_start) / 1000000 )) ms"
echo "demo: OK"
