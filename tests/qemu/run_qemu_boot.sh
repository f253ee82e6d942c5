#!/usr/bin/env bash
# QEMU cross-check of the real firmware: the bootloader ELF and packed
# application images from the cross build boot on qemu-system-arm's
# netduinoplus2 (an STM32F405: no FLASH controller, no RCC, no GPIO, flash
# reads 0x00 where nothing was loaded), so the boot path is not tuned to
# our own virtual board.
#
#   run_qemu_boot.sh <qemu_pack> <cross build dir> <work dir>
#
# Cases (each must print what it expects within 10 s, else the test fails):
#   a      slot A image only               -> "fota-app <v> slot A"
#   b      slot B image only               -> "fota-app <v> slot B"
#   ab     A 1.0.0 and B 2.0.0, no journal -> factory picks the higher: B
#   bad    slot A with one body byte flipped -> fail closed: update mode,
#          and the application never starts
set -u
pack=$1
cross=$2
work=$3
boot=$cross/boot/fota-boot.elf
qemu=${QEMU:-qemu-system-arm}
fails=0

for f in "$boot" "$cross/app/fota-app-slot-a.bin" "$cross/app/fota-app-slot-b.bin"; do
    if [ ! -f "$f" ]; then
        echo "FAIL: $f missing (run 'make cross' first)"
        exit 1
    fi
done
if ! command -v "$qemu" >/dev/null; then
    echo "FAIL: $qemu not installed"
    exit 1
fi
mkdir -p "$work"

"$pack" "$cross/app/fota-app-slot-a.bin" 0 1.0.0 "$work/a.img" || exit 1
"$pack" "$cross/app/fota-app-slot-b.bin" 1 2.0.0 "$work/b.img" || exit 1
cp "$work/a.img" "$work/bad.img"
# Flip one bit in the body (past the 512-byte header and the vector table).
off=$((512 + 1024))
byte=$(od -An -tu1 -j $off -N1 "$work/bad.img" | tr -d ' ')
printf "$(printf '\\%03o' $(( byte ^ 1 )))" |
    dd of="$work/bad.img" bs=1 seek=$off conv=notrunc status=none

# run <name> <expect-regex> <reject-regex|-> <loader args...>
run() {
    local name=$1 expect=$2 reject=$3
    shift 3
    local log=$work/$name.log
    : >"$log"
    timeout 10 "$qemu" -M netduinoplus2 -nographic -serial stdio -monitor none \
        -kernel "$boot" "$@" </dev/null >"$log" 2>&1 &
    local pid=$!
    local found=0
    for _ in $(seq 1 100); do
        if grep -Eq "$expect" "$log"; then
            found=1
            sleep 0.2 # let a wrong follow-up line show up too
            break
        fi
        kill -0 $pid 2>/dev/null || break
        sleep 0.1
    done
    kill $pid 2>/dev/null
    wait $pid 2>/dev/null
    if [ $found -eq 1 ] && { [ "$reject" = - ] || ! grep -Eq "$reject" "$log"; }; then
        echo "ok: $name: $(grep -Eo "$expect" "$log" | head -1)"
    else
        echo "FAIL: $name: expected /$expect/${reject:+ without /$reject/}; output:"
        sed 's/^/    /' "$log"
        fails=$((fails + 1))
    fi
}

a="-device loader,file=$work/a.img,addr=0x08020000"
b="-device loader,file=$work/b.img,addr=0x08080000"
bad="-device loader,file=$work/bad.img,addr=0x08020000"
run a "fota-app [0-9]+\.[0-9]+\.[0-9]+ slot A" "slot B" $a
run b "fota-app [0-9]+\.[0-9]+\.[0-9]+ slot B" "slot A" $b
run ab "fota-app [0-9]+\.[0-9]+\.[0-9]+ slot B" "fota-app .* slot A" $a $b
run bad "boot: update mode" "fota-app" $bad

if [ $fails -ne 0 ]; then
    echo "qemu: $fails case(s) failed"
    exit 1
fi
echo "qemu: boot path ok"
