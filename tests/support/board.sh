# Sourced by the test scripts that run the real firmware on `fota board`.
# board_fota <root> <fallback-fota>: prints the fota binary to run the
# board with: build-rel's (optimised, no sanitizers; configured if missing,
# ~10 s from nothing, and rebuilt), because emulation under ASan is ~3x
# slower; the fallback (the build under test) if that build fails.
# Builds the firmware (make cross) first; fails if that fails.
board_fota() {
  local root=$1 fallback=$2
  make --no-print-directory -C "$root" cross >/dev/null || { echo "make cross failed" >&2; return 1; }
  if { [ -f "$root/build-rel/CMakeCache.txt" ] ||
       cmake -S "$root" -B "$root/build-rel" -DCMAKE_BUILD_TYPE=Release -DFOTA_SANITIZE=OFF \
         >/dev/null 2>&1; } &&
     cmake --build "$root/build-rel" --target fota -j "$(nproc)" >/dev/null 2>&1; then
    echo "$root/build-rel/tools/fota"
  else
    echo "$fallback"
  fi
}
# uart_wait_log <log> <after> <text> <seconds>: the board's UART log shows text
# after the first occurrence of after ("" = anywhere).
uart_wait_log() {
  local i
  for i in $(seq $(($4 * 10))); do
    python3 - "$1" "$2" "$3" <<'PY' && return 0
import sys
u = open(sys.argv[1], errors="replace").read()
i = u.find(sys.argv[2])
sys.exit(0 if i >= 0 and sys.argv[3] in u[i:] else 1)
PY
    sleep 0.1
  done
  return 1
}
