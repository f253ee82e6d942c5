#!/usr/bin/env bash
# Assemble the Arduino library (arduino-esp32 3.x) from arduino/FotaAgent:
# its own files, plus copies of the portable core and of the ESP-IDF port
# (all but agent_esp_kconfig.c: a sketch configures the agent at run
# time), flattened into src/ as the Arduino library format wants; the
# example sketch gets the example's partitions.csv and credentials.csv.
#
#   packaging/arduino-library.sh OUT_DIR      (make arduino-library)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out=${1:?usage: $0 OUT_DIR}
port="$root/agent/port/esp-idf"
rm -rf "$out"
mkdir -p "$(dirname "$out")"
cp -r "$root/arduino/FotaAgent" "$out"
for f in "$port"/*.c; do
  [ "$(basename "$f")" = agent_esp_kconfig.c ] || cp "$f" "$out/src/"
done
for h in "$port"/include/*.h; do
  [ "$(basename "$h")" = fota_esp_config.h ] || cp "$h" "$out/src/"
done
n=0
while read -r f; do cp "$root/$f" "$out/src/"; n=$((n + 1)); done \
  < <(sed -n 's|^ *${FOTA_ROOT}/\([A-Za-z0-9/_]*\.c\)$|\1|p; s|^ *${FOTA_ROOT}/\([A-Za-z0-9/_]*\.c\)).*|\1|p' "$port/CMakeLists.txt")
[ "$n" -gt 0 ] || { echo "arduino-library: no core sources found" >&2; exit 1; }
cp -r "$root/include/fota" "$out/src/fota"
cp "$root"/agent/core/*.h "$out/src/"
ex="$out/examples/FotaGateway"
cp "$root/examples/esp32-agent/partitions.csv" "$root/examples/esp32-agent/credentials.csv" "$ex/"
# No Kconfig symbol of the component may reach the library.
if grep -l 'CONFIG_FOTA_\|fota_esp_config.h' "$out"/src/*.c "$out"/src/*.h >/dev/null 2>&1; then
  echo "arduino-library: a source uses the component's Kconfig:" \
    "$(grep -l 'CONFIG_FOTA_\|fota_esp_config.h' "$out"/src/*.c "$out"/src/*.h | tr '\n' ' ')" >&2
  exit 1
fi
echo "arduino-library: $out core=$n src=$(find "$out/src" -name '*.c' | wc -l)"
