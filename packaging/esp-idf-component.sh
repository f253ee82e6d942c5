#!/usr/bin/env bash
# Assemble the self-contained ESP-IDF component (what can go to the ESP
# Component Registry): the ESP-IDF port of agent/port/esp-idf plus copies
# of the portable core sources it compiles (the list is the core_srcs of
# its CMakeLists.txt) and their headers, under core/, so that the
# component's CMakeLists.txt needs nothing outside its directory.
#
#   packaging/esp-idf-component.sh OUT_DIR      (make esp-idf-component)
#
# FOTA_COMPONENT_URL / _REPOSITORY / _LICENSE, when set, replace the
# placeholders of idf_component.yml in the copy.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out=${1:?usage: $0 OUT_DIR}
src="$root/agent/port/esp-idf"
rm -rf "$out"
mkdir -p "$out/core/include" "$out/core/agent/core" "$out/core/common"
cp "$src"/CMakeLists.txt "$src"/Kconfig "$src"/idf_component.yml "$src"/README.md "$src"/*.c "$out/"
cp -r "$src/include" "$out/include"
n=0
while read -r f; do
  mkdir -p "$out/core/$(dirname "$f")"
  cp "$root/$f" "$out/core/$f"
  n=$((n + 1))
done < <(sed -n 's|^ *${FOTA_ROOT}/\([A-Za-z0-9/_]*\.c\)).*|\1|p; s|^ *${FOTA_ROOT}/\([A-Za-z0-9/_]*\.c\)$|\1|p' "$src/CMakeLists.txt")
[ "$n" -gt 0 ] || { echo "esp-idf-component: no core sources found in $src/CMakeLists.txt" >&2; exit 1; }
cp -r "$root/include/fota" "$out/core/include/fota"
cp "$root"/agent/core/*.h "$out/core/agent/core/"
sub() { # sub KEY VALUE
  [ -z "$2" ] || sed -i "s|^$1: .*|$1: \"$2\"|" "$out/idf_component.yml"
}
sub url "${FOTA_COMPONENT_URL:-}"
sub repository "${FOTA_COMPONENT_REPOSITORY:-}"
sub license "${FOTA_COMPONENT_LICENSE:-}"
# The copy always uses its own core/: drop the in-place branch, and make
# sure nothing else in it points outside the directory.
awk '/^if\(EXISTS .*core\/common\/image.c\)/ { print "set(FOTA_ROOT ${CMAKE_CURRENT_LIST_DIR}/core)"; skip = 1; next }
     skip && /^endif\(\)/ { skip = 0; next }
     !skip' "$src/CMakeLists.txt" > "$out/CMakeLists.txt"
if grep -v '^ *#' "$out/CMakeLists.txt" | grep -q '\.\./'; then
  echo "esp-idf-component: CMakeLists.txt refers outside the component" >&2; exit 1
fi
echo "esp-idf-component: $out core=$n files=$(find "$out" -type f | wc -l)"
