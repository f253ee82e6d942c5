#!/bin/bash
# Build the libFuzzer targets with clang (outside the CMake gcc build) into
# build-fuzz/ and run them.
#   run.sh short   a bounded number of iterations per target (make test)
#   run.sh long    about 8 minutes in all, >= 1,000,000 executions (make fuzz)
# Ends with: fuzz: execs=<N> crashes=<C> policy_violations=<V>
# and exits non-zero on any crash or policy violation.
set -u
MODE=${1:-short}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${FUZZ_OUT:-$ROOT/build-fuzz}
CC=${FUZZ_CC:-clang}
mkdir -p "$OUT"

CFLAGS=(-std=c11 -g -O1 -fsanitize=fuzzer,address,undefined
        -fno-sanitize-recover=all -fno-omit-frame-pointer
        -Wall -Wextra -Werror -Wno-unused-command-line-argument
        -I"$ROOT/include" -I"$ROOT/boot/core" -I"$ROOT/boot/port/host"
        -I"$ROOT/sim/flash")
COMMON=("$ROOT/common/fota_err.c" "$ROOT/common/crc32.c" "$ROOT/common/sha256.c"
        "$ROOT/common/image.c" "$ROOT/common/image_check.c" "$ROOT/common/journal_rec.c" "$ROOT/common/proto_status.c"
        "$ROOT/common/sha512.c" "$ROOT/common/ed25519.c")
WRAP=-Wl,--wrap=sim_flash_program_word,--wrap=sim_flash_erase_sector,--wrap=sim_flash_start_word,--wrap=sim_flash_start_erase

build() {
    "$CC" "${CFLAGS[@]}" -o "$OUT/fuzz_proto_engine" \
        "$ROOT/tests/fuzz/fuzz_proto_engine.c" "${COMMON[@]}" \
        "$ROOT/boot/core/boot_journal.c" "$ROOT/boot/core/boot_core.c" \
        "$ROOT/boot/core/boot_proto.c" "$ROOT/boot/port/host/boot_port_host.c" \
        "$ROOT/sim/flash/sim_flash.c" "$WRAP" || return 1
    "$CC" "${CFLAGS[@]}" -o "$OUT/fuzz_image_hdr" \
        "$ROOT/tests/fuzz/fuzz_image_hdr.c" "${COMMON[@]}" || return 1
    # The manifest parser against the system cJSON (libcjson-dev).
    "$CC" "${CFLAGS[@]}" -I"$ROOT/agent/core" -I/usr/include/cjson \
        -o "$OUT/fuzz_manifest" "$ROOT/tests/fuzz/fuzz_manifest.c" \
        "$ROOT/agent/core/agent_manifest.c" "$ROOT/common/text.c" \
        "${COMMON[@]}" -lcjson || return 1
}

if ! build; then
    echo "fuzz: build failed"
    exit 1
fi

case "$MODE" in
short) ENGINE_ARGS=(-runs=20000 -max_total_time=12)
       IMAGE_ARGS=(-runs=100000 -max_total_time=6)
       MANIFEST_ARGS=(-runs=50000 -max_total_time=6) ;;
long)  ENGINE_ARGS=(-runs=100000000 -max_total_time=300)
       IMAGE_ARGS=(-runs=100000000 -max_total_time=120)
       MANIFEST_ARGS=(-runs=100000000 -max_total_time=60) ;;
*) echo "usage: $0 short|long"; exit 2 ;;
esac

total=0
crashes=0
violations=0
run_target() {
    local name=$1 corpus=$2
    shift 2
    local work="$OUT/corpus-$name" log="$OUT/$name.log"
    # Work on a copy: libFuzzer adds what it finds to its corpus directory.
    mkdir -p "$work"
    cp -n "$ROOT/tests/fuzz/corpus/$corpus"/* "$work"/ 2>/dev/null
    "$OUT/$name" "$@" -artifact_prefix="$OUT/$name-" -print_final_stats=1 \
        "$work" >"$log" 2>&1
    local rc=$?
    local n
    n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    n=${n:-0}
    total=$((total + n))
    if grep -q "POLICY VIOLATION" "$log"; then
        violations=$((violations + 1))
    fi
    if [ $rc -ne 0 ]; then
        crashes=$((crashes + 1))
        echo "fuzz: $name failed (rc=$rc), see $log:"
        grep -E "ERROR|VIOLATION|BROKEN|SUMMARY|Test unit written" "$log" | head -20
    fi
    echo "fuzz: $name execs=$n"
}
run_target fuzz_proto_engine engine -max_len=4096 "${ENGINE_ARGS[@]}"
run_target fuzz_image_hdr image -max_len=600 "${IMAGE_ARGS[@]}"
run_target fuzz_manifest manifest -max_len=4200 "${MANIFEST_ARGS[@]}"

echo "fuzz: execs=$total crashes=$crashes policy_violations=$violations"
if [ "$crashes" -ne 0 ] || [ "$violations" -ne 0 ]; then
    exit 1
fi
if [ "$MODE" = long ] && [ "$total" -lt 1000000 ]; then
    echo "fuzz: fewer than 1000000 executions"
    exit 1
fi
exit 0
