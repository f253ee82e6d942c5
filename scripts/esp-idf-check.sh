#!/usr/bin/env bash
# Type-check the ESP-IDF component (agent/port/esp-idf), the example's
# main.c, the assembled self-contained component and the Arduino library's
# C sources against real ESP-IDF trees' headers with the host gcc, for
# machines without the Xtensa toolchain. It is not a build: nothing is
# linked and inline assembly is never assembled; what it proves is that
# every ESP-IDF type, field, constant and function the port uses exists
# with the signature the port calls it with, for ESP32, in that release.
#
#   scripts/esp-idf-check.sh [--component DIR] [--arduino DIR] IDF_PATH...
#   make esp-idf-check IDF_PATH=/path/v5.0.9:/path/v5.5.5:/path/v6.0.2
#
# IDF_PATH: one or more ESP-IDF trees (several separated by ':'), each with
# the headers of its lwip, mbedtls and (up to 5.x) json/cJSON submodules
# (`git submodule update --init components/lwip/lwip components/mbedtls/mbedtls
# components/json/cJSON`;
# from 6.0 mbedtls carries TF-PSA-Crypto as its own submodule). The tree's
# release comes from tools/cmake/version.cmake, and the include
# directories from the components it has: the driver split (5.3), lwip's
# port layout, and 6.0's esp_hal_*, esp_security, esp_blockdev, esp_libc
# and TF-PSA-Crypto directories are found by looking, not by a table per
# release. The headers see the ESP32's CPU (__XTENSA__, the xtensa
# component's headers). The architecture-specific part of FreeRTOS comes from
# ESP-IDF's own Linux (POSIX) port, since the Xtensa port headers need the
# Xtensa toolchain's newlib. Up to 5.x cJSON is the json component's
# submodule (components/json/cJSON); from 6.0, where ESP-IDF ships none,
# the registry's espressif/cjson header is taken from CJSON_INCLUDE (a
# directory holding that release's cJSON.h; default: the host's
# /usr/include/cjson, the same upstream API).
# The sdkconfig.h is made from the component's Kconfig defaults, once per
# mode (anonymous on VSPI, SigV4 with reports on HSPI), plus every other
# CONFIG_ symbol the headers ask for, defined as 1 (found by compiling;
# only its existence matters for a type check).
#
# --component DIR: also check the assembled component (make
#   esp-idf-component) on its own: only DIR's include directories.
# --arduino DIR: also check the Arduino library's C sources (DIR/src) with
#   its run-time configuration (no Kconfig symbol of the component).
#
# --arduino-core DIR: with --arduino, also the example sketches against
#   an arduino-esp32 3.x tree (DIR/cores/esp32/Arduino.h), and the SPI
#   note's claims (the agent's host numbers are the core's HSPI/VSPI); its
#   release must match the ESP-IDF tree's (3.1 on 5.3, 3.3 on 5.5, ...); a
#   2.x tree is refused. The board variant is DIR/variants/$ARDUINO_VARIANT
#   (default esp32, the ESP32 Dev Module's).
#
# Prints per tree "esp-idf-check: <version> port=<n> component=<n>
# arduino=<n> modes=2 ok" (with --arduino also "arduino-check:
# arduino-esp32=<version|none> idf=<version> files=<n> ok", none: no
# --arduino-core, the sketch not compiled), then "esp-idf-check:
# versions=<v,...> ok".
set -uo pipefail
export LC_ALL=C # gcc's diagnostics in ASCII: the patterns below rely on it
root="$(cd "$(dirname "$0")/.." && pwd)"
comp="" ardu="" acore=""
while [ $# -gt 0 ]; do
  case $1 in
    --component) comp=$2; shift 2 ;;
    --arduino) ardu=$2; shift 2 ;;
    --arduino-core) acore=$2; shift 2 ;;
    *) break ;;
  esac
done
trees=()
for a in "$@"; do IFS=: read -ra parts <<<"$a"; trees+=("${parts[@]}"); done
[ ${#trees[@]} -gt 0 ] || [ -z "${IDF_PATH:-}" ] || IFS=: read -ra trees <<<"$IDF_PATH"
[ ${#trees[@]} -gt 0 ] || { echo "usage: $0 [--component DIR] [--arduino DIR] IDF_PATH[:IDF_PATH...]" >&2; exit 2; }
[ -z "$comp" ] || [ -f "$comp/CMakeLists.txt" ] || { echo "esp-idf-check: $comp is no component (make esp-idf-component)" >&2; exit 2; }
[ -z "$ardu" ] || [ -f "$ardu/library.properties" ] || { echo "esp-idf-check: $ardu is no Arduino library" >&2; exit 2; }
[ -z "$acore" ] || { [ -n "$ardu" ] && [ -f "$acore/cores/esp32/Arduino.h" ]; } ||
  { echo "esp-idf-check: --arduino-core needs --arduino and an arduino-esp32 tree (cores/esp32/Arduino.h)" >&2; exit 2; }
# The arduino-esp32 release (cores/esp32/esp_arduino_version.h) and the
# ESP-IDF minor it is built on: 3.0 on 5.1, 3.1 on 5.3, 3.2 on 5.4, 3.3 on
# 5.5. A board package names its ESP-IDF in the esp32-arduino-libs tool it
# installs: "idf-release_v5.3-489d7a2b-v1" for 3.1.3, idf-release_v5.1 for
# 3.0.7 and idf-release_v5.5 for 3.3.x in published build settings (3.2's
# not seen). A later 3.x is taken with any 5.x/6.x tree.
aver="" aidf=""
if [ -n "$acore" ]; then
  aver=$(sed -n 's/^#define ESP_ARDUINO_VERSION_\(MAJOR\|MINOR\|PATCH\) *\([0-9]*\).*/\2/p' \
    "$acore/cores/esp32/esp_arduino_version.h" 2>/dev/null | paste -sd. -)
  case $aver in
    3.0.*) aidf=5.1 ;;
    3.1.*) aidf=5.3 ;;
    3.2.*) aidf=5.4 ;;
    3.3.*) aidf=5.5 ;;
    3.*) ;;
    "") echo "esp-idf-check: $acore: no version (cores/esp32/esp_arduino_version.h)" >&2; exit 2 ;;
    *) echo "esp-idf-check: arduino-esp32 $aver in $acore: the library needs 3.x (2.x is built on ESP-IDF 4.4)" >&2; exit 2 ;;
  esac
  # The board's variant (pins_arduino.h): the generic ESP32 Dev Module's
  # "esp32" unless ARDUINO_VARIANT names another (a board package that
  # ships only some variants, e.g. doitESP32devkitV1 for DOIT's DevKit V1).
  avar=${ARDUINO_VARIANT:-esp32}
  [ -f "$acore/variants/$avar/pins_arduino.h" ] ||
    { echo "esp-idf-check: $acore has no variants/$avar/pins_arduino.h (ARDUINO_VARIANT: one of $(cd "$acore/variants" 2>/dev/null && ls -d -- */ | tr -d / | paste -sd' ' -))" >&2; exit 2; }
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/esp-idf-check.XXXXXX")"
trap 'rm -rf "$work"' EXIT

idf_version() { # idf_version <tree>: "6.0.2"
  local v
  v=$(sed -n 's/^set(IDF_VERSION_\(MAJOR\|MINOR\|PATCH\) *\([0-9]*\)).*/\2/p' \
    "$1/tools/cmake/version.cmake" 2>/dev/null | paste -sd. -)
  [ -n "$v" ] || v=$(sed -n 's/^#define ESP_IDF_VERSION_\(MAJOR\|MINOR\|PATCH\) *\([0-9]*\).*/\2/p' \
    "$1/components/esp_common/include/esp_idf_version.h" 2>/dev/null | paste -sd. -)
  echo "$v"
}

# Include directories of the components the port and the example use, in
# whichever layout the tree has.
tree_incs() { # tree_incs <components dir>: sets incs=()
  local C=$1 d
  incs=()
  for d in \
    freertos/FreeRTOS-Kernel/include freertos/FreeRTOS-Kernel/include/freertos \
    freertos/FreeRTOS-Kernel/portable/linux/include freertos/FreeRTOS-Kernel/portable/linux/include/freertos \
    freertos/config/linux/include freertos/config/include freertos/config/include/freertos \
    freertos/esp_additions/include freertos/esp_additions/include/freertos \
    driver/include esp_driver_spi/include esp_driver_gpio/include \
    esp_common/include esp_system/include esp_hw_support/include esp_hw_support/include/soc \
    esp_rom/include esp_rom/esp32/include soc/include soc/esp32/include soc/esp32/register \
    hal/include hal/esp32/include hal/platform_port/include \
    heap/include log/include esp_timer/include esp_event/include \
    esp_netif/include esp_wifi/include esp_http_client/include esp-tls esp-tls/esp-tls-crypto \
    mbedtls/port/include mbedtls/mbedtls/include mbedtls/esp_crt_bundle/include \
    mbedtls/mbedtls/tf-psa-crypto/include mbedtls/mbedtls/tf-psa-crypto/drivers/builtin/include \
    mbedtls/port/psa_driver/include \
    nvs_flash/include esp_partition/include spi_flash/include \
    lwip/include lwip/include/apps lwip/include/apps/sntp lwip/lwip/src/include \
    lwip/port/include lwip/port/freertos/include lwip/port/esp32xx/include lwip/port/esp32/include \
    lwip/lwip/src/include/compat/posix json/cJSON esp_pm/include esp_phy/include \
    esp_coex/include esp_mm/include esp_security/include esp_blockdev/include \
    app_update/include esp_app_format/include bootloader_support/include \
    esp_bootloader_format/include \
    esp_libc/platform_include; do
    [ -d "$C/$d" ] && incs+=(-isystem "$C/$d")
  done
  # 6.x: the HAL split into one component per peripheral, and
  # esp_hw_support's parts (etm, dma, ...) each with its include/.
  for d in "$C"/esp_hal_*/include "$C"/esp_hal_*/esp32/include "$C"/esp_hw_support/*/include; do
    [ -d "$d" ] && incs+=(-isystem "$d")
  done
  # The ESP32 is an Xtensa LX6: its headers' CPU branch (esp_cpu.h,
  # spinlock.h: xt_utils.h, xtensa/xtruntime.h and the ESP32's core-isa.h
  # from the xtensa component), not the RISC-V one. Up to 6.0 a compiler
  # that is neither fell into the RISC-V branch through spinlock.h's
  # "#else"; from 6.1 (master, 6.2.0-dev) that is "#elif __riscv" and the
  # host saw neither (rv_utils_* and RVHAL_EXCM_LEVEL_CLIC undeclared).
  incs+=(-D__XTENSA__=1)
  for d in xtensa/include xtensa/esp32/include; do
    [ -d "$C/$d" ] && incs+=(-isystem "$C/$d")
  done
  # arduino-esp32's core and libraries include more of ESP-IDF than the
  # port does (its esp32-arduino-libs put the components' include
  # directories on the path): the ones their headers reach, by layout
  # (esp_driver_*: the driver split of 5.3).
  arduino_idf_incs=()
  for d in esp_rom/include/esp32 \
    esp_ringbuf/include \
    ; do
    [ -d "$C/$d" ] && arduino_idf_incs+=(-isystem "$C/$d")
  done
  for d in "$C"/esp_driver_*/include; do
    [ -d "$d" ] && arduino_idf_incs+=(-isystem "$d")
  done
  if [ ! -d "$C/json/cJSON" ]; then
    # 6.x: espressif/cjson's header, from CJSON_INCLUDE (a directory with
    # the cJSON.h of the registry component's release) or the host's.
    local h=${CJSON_INCLUDE:-/usr/include/cjson}
    [ -f "$h/cJSON.h" ] || { echo "esp-idf-check: this tree has no json component, and no cJSON.h in $h (CJSON_INCLUDE, or libcjson-dev)" >&2; return 1; }
    incs+=(-isystem "$h")
  elif [ ! -f "$C/json/cJSON/cJSON.h" ]; then
    echo "esp-idf-check: $C/json/cJSON lacks its submodule (git submodule update --init components/json/cJSON)" >&2; return 1
  fi
}

# Two newlib-only headers the host C library lacks.
mkdir -p "$work/machine"
printf '#include <endian.h>\n' > "$work/machine/endian.h"
printf 'struct _reent { int _errno; };\n' > "$work/reent.h"
# newlib's assert hook, which 6.x's assert.h calls; C++ needs it declared.
printf '#ifdef __cplusplus\nextern "C"\n#endif\nvoid __assert_func(const char *, int, const char *, const char *) __attribute__((noreturn));\n' \
  > "$work/newlib_assert.h"

# sdkconfig.h: the component's Kconfig defaults (strings quoted, ints and
# bools as numbers; a "default X if SYM" applies when SYM is chosen), the
# mode's choices, and the structural settings whose values matter to the
# headers (single core: the POSIX FreeRTOS port; one TCP oversize choice;
# log levels).
base_config() { # base_config <auth: ANONYMOUS|SIGV4> <host: VSPI|HSPI>
  local chosen="FOTA_S3_AUTH_$1 FOTA_SPI_HOST_$2"
  awk -v chosen=" $chosen " '
    /^[ \t]*(menu)?config FOTA_/ { name = $2; type = ""; next }
    name != "" && /^[ \t]*(string|int|bool)/ { type = $1; next }
    name != "" && /^[ \t]*default / {
      v = $0; sub(/^[ \t]*default /, "", v)
      if (match(v, / if [A-Z0-9_]+$/)) {
        cond = substr(v, RSTART + 4); v = substr(v, 1, RSTART - 1)
        if (index(chosen, " " cond " ") == 0) next
      }
      if (type == "bool") { if (v == "y") print "#define CONFIG_" name " 1" }
      else if (type != "") print "#define CONFIG_" name " " v
      name = ""
    }' "$root/agent/port/esp-idf/Kconfig"
  for c in $chosen; do echo "#define CONFIG_$c 1"; done
  # Reports need a SigV4 key: check that branch of the code with them on.
  [ "$1" = SIGV4 ] && echo "#define CONFIG_FOTA_REPORT 1"
  cat <<'EOF2'
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
EOF2
}

# check <file> <cfgdir> <-I...>: compile until no CONFIG_ symbol is missing
# (C; with cxx=1 the file is C++: an Arduino sketch).
cxx=0
check() {
  local f=$1 cfg=$2 out missing
  local cc=(gcc -std=gnu17 -Wstrict-prototypes -Wshadow)
  # C++ as arduino-esp32's "all warnings" (-Wall -Wextra); g++ defines
  # _GNU_SOURCE, which makes the host's fcntl.h declare what lwIP's
  # sockets.h declares again. -fpermissive: esp_cpu.h casts pointers to
  # uint32_t, an error in C++ on this 64-bit host only (the ESP32's
  # pointers are 32 bits); it turns such errors into warnings, which
  # -Werror makes errors again outside the -isystem headers, in the code
  # under test.
  [ "$cxx" = 0 ] || cc=(g++ -std=gnu++17 -fpermissive -x c++ -U_GNU_SOURCE -include "$work/newlib_assert.h")
  shift 2
  for _ in $(seq 40); do
    out=$("${cc[@]}" -fsyntax-only -U__linux__ -DESP_PLATFORM -DIDF_VER="\"v$version\"" \
      -I"$cfg" -I"$work" "$@" "${incs[@]}" \
      -Wall -Wextra -Werror "$f" 2>&1) && return 0
    missing=$(grep -o "'CONFIG_[A-Z0-9_]*' undeclared" <<<"$out" | grep -o "CONFIG_[A-Z0-9_]*" | sort -u)
    [ -n "$missing" ] || { echo "$out" | grep -v "^In file included" | head -20; return 1; }
    for m in $missing; do echo "#define $m 1" >> "$cfg/sdkconfig.h"; done
  done
  echo "$out" | head -20
  return 1
}

versions=() fail=0
for IDF in "${trees[@]}"; do
  C="$IDF/components"
  [ -d "$C" ] || { echo "esp-idf-check: $IDF is no ESP-IDF tree (no components/)" >&2; exit 2; }
  [ -d "$C/lwip/lwip/src/include" ] && [ -d "$C/mbedtls/mbedtls/include" ] ||
    { echo "esp-idf-check: $IDF lacks the lwip/mbedtls submodules (git submodule update --init)" >&2; exit 2; }
  version=$(idf_version "$IDF")
  [ -n "$version" ] || { echo "esp-idf-check: $IDF: no version (tools/cmake/version.cmake)" >&2; exit 2; }
  [ "${version%%.*}" -lt 6 ] || [ -d "$C/mbedtls/mbedtls/tf-psa-crypto/include" ] ||
    { echo "esp-idf-check: $IDF ($version) lacks mbedtls's tf-psa-crypto submodule" >&2; exit 2; }
  tree_incs "$C" || exit 2
  if [ -n "$aidf" ] && [ "${version%.*}" != "$aidf" ]; then
    echo "esp-idf-check: arduino-esp32 $aver is built on ESP-IDF $aidf, $IDF is $version" >&2; exit 2
  fi
  tfail=0
  port_files=("$root"/agent/port/esp-idf/*.c "$root/examples/esp32-agent/main/main.c")
  comp_files=() ardu_files=()
  [ -z "$comp" ] || mapfile -t comp_files < <(find "$comp" -name '*.c' | sort)
  [ -z "$ardu" ] || mapfile -t ardu_files < <(find "$ardu/src" -name '*.c' | sort)
  for mode in "ANONYMOUS VSPI" "SIGV4 HSPI"; do
    cfg="$work/cfg-${mode// /-}"; mkdir -p "$cfg"
    # shellcheck disable=SC2086
    base_config $mode > "$cfg/sdkconfig.h"
    for f in "${port_files[@]}"; do
      check "$f" "$cfg" -DFOTA_CONFIG_FILE='"fota_esp_config.h"' \
        -I"$root/agent/port/esp-idf/include" -I"$root/include" -I"$root/agent/core" ||
        { echo "esp-idf-check: $version FAIL ${f#"$root"/} ($mode)"; tfail=1; }
    done
    # The assembled component: its own directories and nothing else.
    for f in "${comp_files[@]}"; do
      check "$f" "$cfg" -DFOTA_CONFIG_FILE='"fota_esp_config.h"' \
        -I"$comp/include" -I"$comp/core/include" -I"$comp/core/agent/core" ||
        { echo "esp-idf-check: $version FAIL component ${f#"$comp"/} ($mode)"; tfail=1; }
    done
  done
  # The Arduino library: no Kconfig of its own, configured at run time.
  acfg="$work/cfg-arduino"; mkdir -p "$acfg"
  base_config ANONYMOUS VSPI | grep -v 'CONFIG_FOTA_' > "$acfg/sdkconfig.h"
  for f in "${ardu_files[@]}"; do
    check "$f" "$acfg" -I"$ardu/src" ||
      { echo "esp-idf-check: $version FAIL arduino ${f#"$ardu"/}"; tfail=1; }
  done
  # FotaAgent.h as a sketch (C++) sees it, with the calls the example
  # makes.
  if [ -n "$ardu" ]; then
    cat > "$work/fota_sketch_api.cpp" <<'EOF2'
#include "FotaAgent.h"
static FotaAgentConfig cfg;
static FotaAgentCredentials creds;
int fota_sketch_api(void);
int fota_sketch_api(void)
{
    fota_agent_default_config(&cfg);
    fota_agent_use_hspi(&cfg);
    if (fota_agent_pins_safe(&cfg) != 0)
        return 1;
    if (fota_agent_load_credentials(&creds, "fota_cred", false) != 0)
        return 2;
    cfg.endpoint = "https://s3.eu-west-1.amazonaws.com";
    cfg.bucket = "b";
    cfg.prefix = "p";
    cfg.spi_host = FOTA_AGENT_VSPI;
    return fota_agent_begin(&cfg);
}
EOF2
    cxx=1
    check "$work/fota_sketch_api.cpp" "$acfg" -I"$ardu/src" ||
      { echo "esp-idf-check: $version FAIL arduino FotaAgent.h from C++"; tfail=1; }
    cxx=0
    ardu_files+=("$work/fota_sketch_api.cpp")
  fi
  # The sketch, as arduino-esp32 compiles it: C++ with Arduino.h first,
  # the defines of its recipe (platform.txt, an ESP32 Dev Module), the
  # core's, the variant's and the libraries' headers; then the SPI note's
  # claims against this core: the agent's host numbers are the core's
  # HSPI/VSPI, and a sketch can keep the global SPI (VSPI) beside an
  # SPIClass(HSPI) of its own.
  if [ -n "$acore" ]; then
    alibs=()
    for l in "$acore"/libraries/*/src; do [ -d "$l" ] && alibs+=(-I"$l"); done
    cat > "$work/fota_arduino_spi.cpp" <<'EOF2'
#include <SPI.h>
#include "FotaAgent.h"
static_assert(FOTA_AGENT_VSPI == VSPI, "the agent's VSPI is the core's");
static_assert(FOTA_AGENT_HSPI == HSPI, "the agent's HSPI is the core's");
static SPIClass own_hspi(HSPI);
static FotaAgentConfig spi_cfg;
int fota_arduino_spi(void);
int fota_arduino_spi(void)
{
    fota_agent_default_config(&spi_cfg);
    fota_agent_use_hspi(&spi_cfg);
    SPI.begin();
    own_hspi.begin(14, 12, 13, 15);
    return spi_cfg.spi_host == HSPI ? 0 : 1;
}
EOF2
    for f in "$ardu"/examples/*/*.ino "$work/fota_arduino_spi.cpp"; do
      cxx=1
      check "$f" "$acfg" -DF_CPU=240000000L -DARDUINO=10812 -DARDUINO_ESP32_DEV \
        -DARDUINO_ARCH_ESP32 -DARDUINO_BOARD='"ESP32_DEV"' -DARDUINO_VARIANT="\"$avar\"" \
        -DARDUINO_PARTITION_default -DESP32=ESP32 -DCORE_DEBUG_LEVEL=0 \
        -DARDUINO_USB_CDC_ON_BOOT=0 "${arduino_idf_incs[@]}" -include Arduino.h \
        -I"$acore/cores/esp32" -I"$acore/variants/$avar" "${alibs[@]}" -I"$ardu/src" ||
        { n=${f#"$ardu"/}; echo "esp-idf-check: $version FAIL arduino sketch ${n#"$work"/}"; tfail=1; }
      cxx=0
      ardu_files+=("$f")
    done
  fi
  if [ "$tfail" = 0 ]; then
    echo "esp-idf-check: $version port=${#port_files[@]} component=${#comp_files[@]} arduino=${#ardu_files[@]} modes=2 ok"
    [ -z "$ardu" ] ||
      echo "arduino-check: arduino-esp32=${aver:-none} idf=$version files=${#ardu_files[@]} ok"
    versions+=("$version")
  else
    fail=1
  fi
done
[ "$fail" = 0 ] || exit 1
echo "esp-idf-check: versions=$(IFS=,; echo "${versions[*]}") ok"
