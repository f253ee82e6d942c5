#!/usr/bin/env bash
# The integration kit from outside the repository: configure and build
# examples/cube-app as a project of its own with find_package(fota-f407),
# and again with the make include, in a directory outside the source tree;
# both must give verified slot A and slot B images with the example's
# confirm window and the stack in CCM. With the host build tree given, the
# same twice more against the kit as `cmake --install` lays it out
# (DESTDIR in the build tree, prefix /opt/fota-f407), the installed
# bin/fota found by the package itself.
#   tests/kit/kit_build.sh <fota-tool> [<host-build-dir>]
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
FOTA="${1:?usage: kit_build.sh <fota-tool> [<host-build-dir>]}"
HOST_BUILD="${2:-}"
work="$(mktemp -d "${TMPDIR:-/tmp}/fota-kit.XXXXXX")"
trap 'rm -rf "$work"' EXIT
fail() { echo "kit: FAIL $*"; exit 1; }
command -v arm-none-eabi-gcc >/dev/null || fail "arm-none-eabi-gcc missing"

# A copy outside the repository, as a user's project would be.
cp -r "$root/examples/cube-app" "$work/app"
# cmake_app <build-dir> <cmake args...>: configure and build the copy.
cmake_app() {
  local b=$1; shift
  cmake -S "$work/app" -B "$b" \
    -DCMAKE_TOOLCHAIN_FILE="$work/app/cmake/gcc-arm-none-eabi.cmake" \
    -DCMAKE_BUILD_TYPE=MinSizeRel "$@" >"$b.configure.log" 2>&1 ||
    { tail -20 "$b.configure.log"; fail "configure $b"; }
  cmake --build "$b" -j 2 >"$b.build.log" 2>&1 ||
    { tail -30 "$b.build.log"; fail "build $b"; }
}

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
# check_build <dir> <what>: both images verify, the stack is at the top of
# CCM (the vector table's first word).
check_build() {
  local s sp
  for s in a b; do
    check_img "$1/cube-app-slot-$s.img" $s
  done
  sp=$(od -An -tx4 -j512 -N4 "$1/cube-app-slot-a.img" | tr -d ' ')
  [ "$sp" = 10010000 ] || fail "$2: initial SP 0x$sp, want 0x10010000"
  echo "kit: $2: slot A and B images, sp 0x$sp, confirm window 10000 ms"
}
# make_app <out-dir> <kit root> <fota tool>: the plain-Makefile build.
make_app() {
  make -C "$work/app" FOTA_F407="$2" FOTA_TOOL="$3" FOTA_OUT="$1" \
    >"$1.log" 2>&1 || { tail -20 "$1.log"; fail "make $1"; }
}

cmake_app "$work/build" -DCMAKE_PREFIX_PATH="$root/cmake" -DFOTA_TOOL="$FOTA"
check_build "$work/build" "cmake package"
make_app "$work/make" "$root" "$FOTA"
check_build "$work/make" "make include"

if [ -n "$HOST_BUILD" ]; then
  stage="$HOST_BUILD/kit-stage"
  prefix=/opt/fota-f407
  rm -rf "$stage"
  DESTDIR="$stage" cmake --install "$HOST_BUILD" --prefix "$prefix" >"$work/install.log" 2>&1 ||
    { tail -20 "$work/install.log"; fail "cmake --install"; }
  P="$stage$prefix"
  for f in bin/fota share/fota-f407/cmake/fota-f407-config.cmake \
           share/fota-f407/cmake/fota-f407.mk share/fota-f407/lib/fota_app/fota_app.h \
           share/fota-f407/lib/fota_app/ld/fota_slot_a.ld share/fota-f407/include/fota/fota_layout.h; do
    [ -f "$P/$f" ] || fail "not installed: $f"
  done
  # No FOTA_TOOL: the package must find the tool installed beside it.
  cmake_app "$work/build-installed" -DCMAKE_PREFIX_PATH="$P"
  grep -q "^FOTA_TOOL:FILEPATH=$P/bin/fota$" "$work/build-installed/CMakeCache.txt" ||
    fail "FOTA_TOOL is not the installed tool: $(grep FOTA_TOOL "$work/build-installed/CMakeCache.txt")"
  check_build "$work/build-installed" "installed cmake package"
  make_app "$work/make-installed" "$P/share/fota-f407" "$P/bin/fota"
  check_build "$work/make-installed" "installed make include"
fi
echo "kit: PASS"
