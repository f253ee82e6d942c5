#!/usr/bin/env bash
# The exception-model test firmware (tests/vboard/fw/fw_exc.c) on QEMU's
# netduinoplus2 (STM32F405, its own NVIC and SysTick): its USART2 output
# must equal tests/vboard/fw/fw_exc.expect, the text the virtual board
# prints (test_vboard_exc).
#
#   run_qemu_exc.sh <fw_exc ELF> <expect file> <work dir>
#
# -icount: QEMU's SysTick otherwise runs on host time, so on a loaded
# machine a whole 1 ms period can pass between two instructions and a
# second SysTick (priority 0xE0) is taken before the PendSV (0xF0) the
# first one pended: the round robin's "alternate" observation then reads 0,
# which silicon at 16000 cycles per tick never shows. With instruction-
# counted time QEMU behaves like the chip and the board.
# The firmware ends with BKPT; without a debugger QEMU escalates it to
# HardFault, whose handler's BKPT locks the core up and QEMU aborts: the
# exit status is not checked, the output is.
set -u
elf=$1
expect=$2
work=$3
qemu=${QEMU:-qemu-system-arm}

if ! command -v "$qemu" >/dev/null; then
    echo "FAIL: $qemu not installed"
    exit 1
fi
mkdir -p "$work"
: >"$work/usart1.txt"
: >"$work/usart2.txt"
timeout 20 "$qemu" -M netduinoplus2 -nographic -monitor none -icount shift=4 \
    -serial "file:$work/usart1.txt" -serial "file:$work/usart2.txt" \
    -kernel "$elf" </dev/null >"$work/qemu.log" 2>&1
if diff -u "$expect" "$work/usart2.txt"; then
    echo "qemu: fw_exc output equals the board's ($(wc -l <"$expect") lines)"
    exit 0
fi
echo "FAIL: fw_exc on QEMU differs from $expect"
sed 's/^/    /' "$work/qemu.log" | head -5
exit 1
