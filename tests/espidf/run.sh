#!/usr/bin/env bash
# scripts/esp-idf-check.sh refuses what it cannot check, by name, before
# compiling anything: no tree, a folder that is no ESP-IDF tree, a tree
# without its lwip/mbedtls submodules, an arduino-esp32 tree without a
# version or of release 2.x, or without the board variant asked for
# (ARDUINO_VARIANT, default esp32), and a 3.x tree given an ESP-IDF other than
# the one it is built on (3.3 on 5.5). A matching pair gets past those
# checks to the compiler. The trees here are skeletons (directories and
# version files only), so no ESP-IDF is needed; the type check itself
# runs with real trees (make esp-idf-check / make arduino-check).
# Ends with "espidf-check-test: checks=<n> ok"; exit status 0 only if all
# hold.
#   tests/espidf/run.sh
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
CHECK="$root/scripts/esp-idf-check.sh"
unset ARDUINO_VARIANT # the skeletons have the default variant only
work="$(mktemp -d "${TMPDIR:-/tmp}/fota-espidf-test.XXXXXX")"
trap 'rm -rf "$work"' EXIT
checks=0
fail() { echo "espidf-check-test: FAIL $*"; exit 1; }
# refused <what> <message pattern> <args...>: exit 2 and the message.
refused() {
  local what=$1 pat=$2 out rc
  shift 2
  out=$(env -u IDF_PATH bash "$CHECK" "$@" 2>&1); rc=$?
  [ "$rc" = 2 ] || fail "$what: exit $rc (want 2): $(head -5 <<<"$out")"
  grep -q -- "$pat" <<<"$out" || fail "$what: message: $out"
  checks=$((checks + 1))
}
# idf_tree <dir> <major> <minor> <patch>: the skeleton of a tree.
idf_tree() {
  mkdir -p "$1/tools/cmake" "$1/components/lwip/lwip/src/include" \
    "$1/components/mbedtls/mbedtls/include" "$1/components/json/cJSON"
  : > "$1/components/json/cJSON/cJSON.h"
  printf 'set(IDF_VERSION_MAJOR %s)\nset(IDF_VERSION_MINOR %s)\nset(IDF_VERSION_PATCH %s)\n' \
    "$2" "$3" "$4" > "$1/tools/cmake/version.cmake"
}
# arduino_core <dir> [major minor patch]: cores/esp32 with Arduino.h.
arduino_core() {
  mkdir -p "$1/cores/esp32" "$1/variants/esp32"
  : > "$1/cores/esp32/Arduino.h"
  : > "$1/variants/esp32/pins_arduino.h"
  [ $# -lt 4 ] || printf '#define ESP_ARDUINO_VERSION_MAJOR %s\n#define ESP_ARDUINO_VERSION_MINOR %s\n#define ESP_ARDUINO_VERSION_PATCH %s\n' \
    "$2" "$3" "$4" > "$1/cores/esp32/esp_arduino_version.h"
}

lib="$work/FotaAgent"
bash "$root/packaging/arduino-library.sh" "$lib" >/dev/null || fail "arduino-library.sh"
idf_tree "$work/idf55" 5 5 1
idf_tree "$work/idf50" 5 0 9
mkdir -p "$work/nosub/components"
arduino_core "$work/ard33" 3 3 1
arduino_core "$work/ard20" 2 0 14
arduino_core "$work/ardnov"

refused "no tree" "usage:"
refused "no ESP-IDF tree" "is no ESP-IDF tree" "$work"
refused "no submodules" "lacks the lwip/mbedtls submodules" "$work/nosub"
refused "core without --arduino" "needs --arduino" --arduino-core "$work/ard33" "$work/idf55"
refused "core without a version" "no version (cores/esp32/esp_arduino_version.h)" \
  --arduino "$lib" --arduino-core "$work/ardnov" "$work/idf55"
refused "arduino-esp32 2.x" "arduino-esp32 2.0.14 in .*: the library needs 3.x" \
  --arduino "$lib" --arduino-core "$work/ard20" "$work/idf55"
ARDUINO_VARIANT=nosuch refused "no such variant" \
  "has no variants/nosuch/pins_arduino.h (ARDUINO_VARIANT: one of esp32)" --arduino "$lib" --arduino-core "$work/ard33" "$work/idf55"
refused "3.3 with ESP-IDF 5.0" "arduino-esp32 3.3.1 is built on ESP-IDF 5.5, .*idf50 is 5.0.9" \
  --arduino "$lib" --arduino-core "$work/ard33" "$work/idf50"

# 3.3 with a 5.5 tree passes the checks above and reaches the compiler,
# which fails on the skeleton (no headers): exit 1, FAIL lines, no
# refusal.
out=$(bash "$CHECK" --arduino "$lib" --arduino-core "$work/ard33" "$work/idf55" 2>&1); rc=$?
[ "$rc" = 1 ] && grep -q "esp-idf-check: 5.5.1 FAIL" <<<"$out" && ! grep -q "built on ESP-IDF" <<<"$out" ||
  fail "matching pair: exit $rc: $(head -5 <<<"$out")"
! grep -q "^arduino-check:.* ok" <<<"$out" || fail "a failed check printed an ok line"
checks=$((checks + 1))
echo "espidf-check-test: checks=$checks ok"
