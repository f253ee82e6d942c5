#!/bin/bash
# stm32flash (Debian's client of ST's UART bootloader protocol) against the
# bootloader's command engine on a pseudo-terminal:
#   1. write a random 20 KiB binary into slot B with verify, read it back
#      and compare (also against the saved flash array);
#   2. writing at 0x08000000 (sector 0, the bootloader) must fail;
#   3. a mass erase (-o) must fail;
# and the flash array must be unchanged by 2 and 3.
#
# usage: stm32flash_test.sh <proto_uart_target binary> [work dir]
set -u

TARGET=${1:?usage: $0 <proto_uart_target> [workdir]}
WORK=${2:-$(mktemp -d)}
mkdir -p "$WORK"
STM32FLASH=$(command -v stm32flash) || { echo "FAIL: stm32flash not installed"; exit 1; }
PID=
fail() { echo "FAIL: $*"; stop_target; exit 1; }

start_target() {
    rm -f "$WORK/pty"
    "$TARGET" --pty-file "$WORK/pty" --flash "$WORK/flash.bin" &
    PID=$!
    # stm32flash gives up after ~1 s without an answer: serve first.
    for _ in $(seq 100); do
        [ -s "$WORK/pty" ] && break
        sleep 0.05
    done
    [ -s "$WORK/pty" ] || fail "target did not start"
    PTY=$(cat "$WORK/pty")
}

stop_target() {
    if [ -n "$PID" ]; then
        kill -TERM "$PID" 2>/dev/null
        wait "$PID" 2>/dev/null
        PID=
    fi
}

flash() { timeout 120 "$STM32FLASH" -m 8n1 -b 115200 "$@" "$PTY" >"$WORK/log" 2>&1; }

rm -f "$WORK/flash.bin"
head -c 20480 /dev/urandom >"$WORK/image.bin"

# 1. write + verify, read back.
start_target
t0=$(date +%s.%N)
flash -w "$WORK/image.bin" -v -S 0x08080000 || { cat "$WORK/log"; fail "write to slot B"; }
t1=$(date +%s.%N)
grep -q "Device ID    : 0x0413" "$WORK/log" || fail "device id not reported"
flash -r "$WORK/back.bin" -S 0x08080000:20480 || { cat "$WORK/log"; fail "read back"; }
cmp -s "$WORK/back.bin" "$WORK/image.bin" || fail "read-back differs"
stop_target
dd if="$WORK/flash.bin" of="$WORK/slotb.bin" bs=4096 skip=$((0x80000 / 4096)) \
   count=5 status=none
cmp -s "$WORK/slotb.bin" "$WORK/image.bin" || fail "flash array does not hold the image"
cp "$WORK/flash.bin" "$WORK/before.bin"

# 2. sector 0 and 3. mass erase: refused, nothing changes.
start_target
flash -w "$WORK/image.bin" -S 0x08000000 && fail "write at 0x08000000 succeeded"
flash -o && fail "mass erase succeeded"
# Still serving normally afterwards.
flash -r "$WORK/back2.bin" -S 0x08080000:1024 || { cat "$WORK/log"; fail "read after refusals"; }
cmp -s "$WORK/back2.bin" <(head -c 1024 "$WORK/image.bin") || fail "read after refusals differs"
stop_target
cmp -s "$WORK/flash.bin" "$WORK/before.bin" || fail "refused commands changed the flash"

printf 'stm32flash: write+verify 20 KiB in %.1f s, read-back equal, sector-0 write and mass erase refused, flash unchanged\n' \
    "$(echo "$t1 - $t0" | bc)"
echo "PASS"
