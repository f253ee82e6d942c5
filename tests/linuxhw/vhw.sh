# Sourced by the scripts that run `fota` on the virtual hardware:
# vhw_preload_list <fota-binary> <libfota_vhw.so> prints the LD_PRELOAD
# value: the binary's AddressSanitizer runtime first when it has one (ASan
# insists on coming first), then the spidev/GPIO stand-in.
vhw_preload_list() {
  local asan
  asan=$(ldd "$1" 2>/dev/null | awk '/libasan/ { print $3; exit }')
  if [ -n "$asan" ]; then echo "$asan:$2"; else echo "$2"; fi
}
# vhw_report_clean <report>: every process in the report ran clean on the
# bus (no violation: mode 0, 8-bit words, NRST open drain, BOOT0 low, no
# byte clocked with CS released), stayed within spidev's 4096-byte
# message buffer, and at least one of them moved bulk data (a message of
# more than one byte, the DMA-received payloads).
vhw_report_clean() {
  awk '
    /^violation: / { bad = 1 }
    /^opens=/ {
      n++
      for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      if (v["violations"] != 0 || v["emsgsize"] != 0 || v["max_message"] > 4096) bad = 1
      if (v["max_message"] > 1) bulk = 1
    }
    END { exit (n > 0 && !bad && bulk) ? 0 : 1 }' "$1"
}
