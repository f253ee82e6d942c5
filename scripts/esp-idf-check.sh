#!/usr/bin/env bash
# Type-check the ESP-IDF component (agent/port/esp-idf) and the example's
# main.c against a real ESP-IDF v5.x tree's headers with the host gcc, for
# machines without the Xtensa toolchain. It is not a build: nothing is
# linked and inline assembly is never assembled; what it proves is that
# every ESP-IDF type, field, constant and function the port uses exists
# with the signature the port calls it with, for ESP32, in that release.
#
#   scripts/esp-idf-check.sh <IDF_PATH>      (make esp-idf-check IDF_PATH=...)
#
# IDF_PATH: an ESP-IDF checkout with its lwip and mbedtls submodules
# (`git submodule update --init components/lwip/lwip components/mbedtls/mbedtls`).
# The architecture-specific part of FreeRTOS comes from ESP-IDF's own
# Linux (POSIX) port, since the Xtensa port headers need the Xtensa
# toolchain's newlib. The sdkconfig.h is made from the component's Kconfig
# defaults, once per credential mode (anonymous, SigV4), plus every other
# CONFIG_ symbol the headers ask for, defined as 1 (found by compiling;
# only its existence matters for a type check).
# Prints "esp-idf-check: <version> files=<n> modes=2 ok" or the errors.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
IDF="${1:-${IDF_PATH:-}}"
[ -n "$IDF" ] && [ -d "$IDF/components" ] || { echo "usage: $0 <IDF_PATH> (an ESP-IDF v5.x checkout)" >&2; exit 2; }
C="$IDF/components"
[ -d "$C/lwip/lwip/src/include" ] && [ -d "$C/mbedtls/mbedtls/include" ] ||
  { echo "esp-idf-check: $IDF lacks the lwip/mbedtls submodules (git submodule update --init)" >&2; exit 2; }
version=$(sed -n 's/^#define ESP_IDF_VERSION_\(MAJOR\|MINOR\|PATCH\) *\([0-9]*\).*/\2/p' \
  "$C/esp_common/include/esp_idf_version.h" | paste -sd. -)
work="$(mktemp -d "${TMPDIR:-/tmp}/esp-idf-check.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Include directories of the components the port and the example use; the
# paths moved between 5.0 and 5.3 (the driver split, lwip's port layout),
# so take whichever exist.
incs=()
for d in \
  freertos/FreeRTOS-Kernel/include freertos/FreeRTOS-Kernel/include/freertos \
  freertos/FreeRTOS-Kernel/portable/linux/include freertos/FreeRTOS-Kernel/portable/linux/include/freertos \
  freertos/config/linux/include freertos/config/include freertos/config/include/freertos \
  freertos/esp_additions/include freertos/esp_additions/include/freertos \
  driver/include esp_driver_spi/include esp_driver_gpio/include \
  esp_common/include esp_system/include esp_hw_support/include esp_hw_support/include/soc \
  esp_rom/include soc/include soc/esp32/include hal/include hal/esp32/include \
  hal/platform_port/include heap/include log/include esp_timer/include esp_event/include \
  esp_netif/include esp_wifi/include esp_http_client/include esp-tls esp-tls/esp-tls-crypto \
  mbedtls/port/include mbedtls/mbedtls/include mbedtls/esp_crt_bundle/include \
  nvs_flash/include esp_partition/include spi_flash/include \
  lwip/include lwip/include/apps lwip/include/apps/sntp lwip/lwip/src/include \
  lwip/port/include lwip/port/freertos/include lwip/port/esp32xx/include lwip/port/esp32/include \
  lwip/lwip/src/include/compat/posix json/cJSON esp_pm/include esp_phy/include \
  esp_coex/include esp_mm/include; do
  [ -d "$C/$d" ] && incs+=(-isystem "$C/$d")
done
# Two newlib-only headers the host C library lacks.
mkdir -p "$work/machine"
printf '#include <endian.h>\n' > "$work/machine/endian.h"
printf 'struct _reent { int _errno; };\n' > "$work/reent.h"

# sdkconfig.h: the component's Kconfig defaults (strings quoted, ints and
# bools as numbers), the chosen credential mode, and the structural
# settings whose values matter to the headers (single core: the POSIX
# FreeRTOS port; one TCP oversize choice; log levels).
base_config() { # base_config <auth: ANONYMOUS|SIGV4>
  awk '
    /^[ \t]*(menu)?config FOTA_/ { name = $2; type = ""; next }
    name != "" && /^[ \t]*(string|int|bool)/ { type = $1; next }
    name != "" && /^[ \t]*default / {
      v = $0; sub(/^[ \t]*default /, "", v)
      if (type == "bool") { if (v == "y") print "#define CONFIG_" name " 1" }
      else print "#define CONFIG_" name " " v
      name = ""
    }' "$root/agent/port/esp-idf/Kconfig" | grep -v "CONFIG_FOTA_S3_AUTH_"
  echo "#define CONFIG_FOTA_S3_AUTH_$1 1"
  # Reports need a SigV4 key: check that branch of the code with them on.
  [ "$1" = SIGV4 ] && echo "#define CONFIG_FOTA_REPORT 1"
  cat <<'EOF'
#define CONFIG_IDF_TARGET "esp32"
#define CONFIG_IDF_TARGET_ESP32 1
#define CONFIG_IDF_TARGET_ARCH_XTENSA 1
#define CONFIG_FREERTOS_HZ 100
#define CONFIG_FREERTOS_UNICORE 1
#define CONFIG_FREERTOS_NUMBER_OF_CORES 1
#define CONFIG_FREERTOS_MAX_TASK_NAME_LEN 16
#define CONFIG_FREERTOS_TASK_NOTIFICATION_ARRAY_ENTRIES 1
#define CONFIG_LOG_MAXIMUM_LEVEL 3
#define CONFIG_LOG_DEFAULT_LEVEL 3
#define CONFIG_LWIP_IPV4 1
#define CONFIG_LWIP_IPV6 1
#define CONFIG_LWIP_IPV6_NUM_ADDRESSES 3
#define CONFIG_LWIP_TCP_OVERSIZE_MSS 1
#define CONFIG_LWIP_TCPIP_CORE_LOCKING 0
#define CONFIG_ESP_TLS_USING_MBEDTLS 1
#define CONFIG_MBEDTLS_CERTIFICATE_BUNDLE 1
EOF
}

# check <file> <auth>: compile until no CONFIG_ symbol is missing.
check() {
  local f=$1 out missing i
  for i in $(seq 40); do
    out=$(gcc -std=gnu17 -fsyntax-only -U__linux__ -DESP_PLATFORM -DIDF_VER="\"v$version\"" \
      -DFOTA_CONFIG_FILE='"fota_esp_config.h"' -I"$work" -I"$root/agent/port/esp-idf/include" \
      -I"$root/include" -I"$root/agent/core" "${incs[@]}" \
      -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes "$f" 2>&1) && return 0
    missing=$(grep -o "‘CONFIG_[A-Z0-9_]*’ undeclared" <<<"$out" | grep -o "CONFIG_[A-Z0-9_]*" | sort -u)
    [ -n "$missing" ] || { echo "$out" | grep -v "^In file included" | head -20; return 1; }
    for m in $missing; do echo "#define $m 1" >> "$work/sdkconfig.h"; done
  done
  echo "$out" | head -20
  return 1
}

files=("$root"/agent/port/esp-idf/*.c "$root/examples/esp32-agent/main/main.c")
fail=0
for auth in ANONYMOUS SIGV4; do
  base_config "$auth" > "$work/sdkconfig.h"
  for f in "${files[@]}"; do
    check "$f" || { echo "esp-idf-check: FAIL ${f#"$root"/} ($auth)"; fail=1; }
  done
done
[ "$fail" = 0 ] || exit 1
echo "esp-idf-check: $version files=${#files[@]} modes=2 ok"
