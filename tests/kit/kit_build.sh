#!/usr/bin/env bash
# The integration kit from outside the repository: configure and build
# examples/cube-app as a project of its own with find_package(fota-f407),
# and again with the make include, in a directory outside the source tree;
# both must give verified slot A and slot B images with the example's
# confirm window and the stack in CCM.
#   tests/kit/kit_build.sh <fota-tool>
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
FOTA="${1:?usage: kit_build.sh <fota-tool>}"
work="$(mktemp -d "${TMPDIR:-/tmp}/fota-kit.XXXXXX")"
trap 'rm -rf "$work"' EXIT
fail() { echo "kit: FAIL $*"; exit 1; }
command -v arm-none-eabi-gcc >/dev/null || fail "arm-none-eabi-gcc missing"

# A copy outside the repository, as a user's project would be.
cp -r "$root/examples/cube-app" "$work/app"
cmake -S "$work/app" -B "$work/build" \
  -DCMAKE_TOOLCHAIN_FILE="$work/app/cmake/gcc-arm-none-eabi.cmake" \
  -DCMAKE_PREFIX_PATH="$root/cmake" -DFOTA_TOOL="$FOTA" \
  -DCMAKE_BUILD_TYPE=MinSizeRel >"$work/configure.log" 2>&1 ||
  { tail -20 "$work/configure.log"; fail "configure"; }
cmake --build "$work/build" -j 2 >"$work/build.log" 2>&1 ||
  { tail -30 "$work/build.log"; fail "build"; }

check_img() { # check_img <img> <slot>
  local j
  "$FOTA" image verify --slot "$2" "$1" >/dev/null || fail "$1 does not verify"
  j=$("$FOTA" image inspect --json "$1") || fail "inspect $1"
  python3 - "$j" "$2" <<'PY' || fail "$1: $j"
import json, sys
j = json.loads(sys.argv[1])
h = j.get("header", j)
want = 0x08020200 if sys.argv[2] == "a" else 0x08080200
assert h["load_addr"] == want, h["load_addr"]
assert h["confirm_window_ms"] == 10000, h["confirm_window_ms"]
PY
}
for s in a b; do
  check_img "$work/build/cube-app-slot-$s.img" $s
done
# The stack is at the top of CCM (the vector table's first word).
sp=$(od -An -tx4 -j512 -N4 "$work/build/cube-app-slot-a.img" | tr -d ' ')
[ "$sp" = 10010000 ] || fail "initial SP 0x$sp, want 0x10010000"
echo "kit: cmake package: slot A and B images, sp 0x$sp, confirm window 10000 ms"

make -C "$work/app" FOTA_F407="$root" FOTA_TOOL="$FOTA" FOTA_OUT="$work/make" \
  >"$work/make.log" 2>&1 || { tail -20 "$work/make.log"; fail "make"; }
for s in a b; do
  check_img "$work/make/cube-app-slot-$s.img" $s
done
echo "kit: make include: slot A and B images"
echo "kit: PASS"
