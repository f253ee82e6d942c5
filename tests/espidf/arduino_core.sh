#!/usr/bin/env bash
# The Arduino library's example sketch against a real arduino-esp32 3.x
# tree and the ESP-IDF tree it is built on (scripts/esp-idf-check.sh
# --arduino-core), both given from outside, never fetched:
#   ARDUINO_ESP32_PATH  the arduino-esp32 tree (cores/esp32/Arduino.h)
#   ARDUINO_IDF_PATH    its ESP-IDF tree (default: IDF_PATH)
#   ARDUINO_VARIANT     the board variant (default: esp32)
# Without ARDUINO_ESP32_PATH it skips: exit 77, CTest's SKIP_RETURN_CODE.
#
# Two runs: the library as packaged must pass, printing its
# "arduino-check: arduino-esp32=<v> idf=<v> files=<n> ok" line; a copy
# whose sketch calls ledcSetup() (arduino-esp32 2.x, removed in 3.0) must
# fail with exit 1, naming the sketch, and print no ok line. Ends with
# "arduino-core-test: arduino-esp32=<v> idf=<v> checks=2 ok".
#   tests/espidf/arduino_core.sh
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
CHECK="$root/scripts/esp-idf-check.sh"
core=${ARDUINO_ESP32_PATH:-}
idf=${ARDUINO_IDF_PATH:-${IDF_PATH:-}}
if [ -z "$core" ]; then
  echo "arduino-core-test: SKIP: ARDUINO_ESP32_PATH is not set (an arduino-esp32 3.x tree, and ARDUINO_IDF_PATH or IDF_PATH its ESP-IDF tree)"
  exit 77
fi
[ -n "$idf" ] || { echo "arduino-core-test: FAIL ARDUINO_ESP32_PATH=$core without ARDUINO_IDF_PATH or IDF_PATH"; exit 1; }
case $idf in *:*) echo "arduino-core-test: FAIL one ESP-IDF tree, not a list: $idf"; exit 1 ;; esac
work="$(mktemp -d "${TMPDIR:-/tmp}/fota-arduino-core.XXXXXX")"
trap 'rm -rf "$work"' EXIT
fail() { echo "arduino-core-test: FAIL $*"; exit 1; }

lib="$work/FotaAgent"
bash "$root/packaging/arduino-library.sh" "$lib" >/dev/null || fail "arduino-library.sh"
out=$(bash "$CHECK" --arduino "$lib" --arduino-core "$core" "$idf" 2>&1); rc=$?
[ "$rc" = 0 ] || fail "the packaged library: exit $rc: $(tail -20 <<<"$out")"
line=$(grep '^arduino-check: arduino-esp32=[0-9.]* idf=[0-9.]* files=[0-9]* ok$' <<<"$out") ||
  fail "no arduino-check line: $out"
grep -q 'arduino-esp32=3\.' <<<"$line" || fail "not a 3.x tree: $line"
echo "$line"

# The same library, its sketch with a call 3.x no longer has.
bad="$work/broken/FotaAgent"
mkdir -p "$(dirname "$bad")" && cp -r "$lib" "$bad"
ino="$bad/examples/FotaGateway/FotaGateway.ino"
grep -q '^  Serial.begin(115200);$' "$ino" || fail "the sketch has no Serial.begin line to put the call after"
sed -i 's/^  Serial.begin(115200);$/&\n  ledcSetup(0, 5000, 8);/' "$ino"
out=$(bash "$CHECK" --arduino "$bad" --arduino-core "$core" "$idf" 2>&1); rc=$?
[ "$rc" = 1 ] || fail "the broken sketch: exit $rc (want 1): $(tail -5 <<<"$out")"
grep -q "ledcSetup' was not declared" <<<"$out" || fail "no compiler error for ledcSetup: $(tail -5 <<<"$out")"
grep -q 'FAIL arduino sketch examples/FotaGateway/FotaGateway.ino$' <<<"$out" ||
  fail "the FAIL line does not name the sketch: $(tail -5 <<<"$out")"
! grep -q '^arduino-check:.* ok$' <<<"$out" || fail "a failed check printed an ok line"

v=$(sed 's/^arduino-check: \(arduino-esp32=[0-9.]* idf=[0-9.]*\).*/\1/' <<<"$line")
echo "arduino-core-test: $v checks=2 ok"
