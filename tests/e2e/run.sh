#!/usr/bin/env bash
# End-to-end scenarios: each one real `fota agent` runs (libcurl, SigV4,
# file storage) against s3rver, through a fault-injecting proxy
# (tests/e2e/faultproxy.js) that can answer 500, drop the connection
# mid-body, corrupt a byte or delay. Releases are published with
# `fota release publish` straight to s3rver.
# The device:
#  - real_firmware_* scenarios (happy path, rollback): the real bootloader
#    and application (build-arm, from make cross) on the virtual board,
#    `fota board` in the background with its flash in a file, the agent
#    through --target board:SOCK. The board runs from build-rel/tools/fota
#    (optimised, no sanitizers; configured if missing and rebuilt first:
#    emulation under ASan is ~3x slower), or from the build under test if
#    that build fails; E2E_BOARD_FOTA overrides. The agent is always the
#    build under test.
#  - the other scenarios: the host model (--target sim:FILE), whose device
#    state persists in its flash file across agent processes (the SIGKILL
#    scenario relies on it) and which runs in a fraction of the time.
# Ends with "e2e: scenarios=<N> passed=<P>"; exit status 0 only if all pass.
#   tests/e2e/run.sh [build-dir] [scenario-name-substring]
# E2E_KEEP=1 keeps the work directory (logs, flash files, UART, proxy log).
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${1:-$root/build}"
ONLY="${2:-}"
FOTA="$BUILD/tools/fota"
work="$(mktemp -d "${TMPDIR:-/tmp}/fota-e2e.XXXXXX")"
export S3_LOCAL_STATE="$work/s3"
BUCKET=e2e AK=S3RVER SK=S3RVER
. "$root/scripts/fota-release-lib.sh"
. "$root/tests/e2e/e2e-lib.sh"
board_pid=
cleanup() {
  [ -n "$board_pid" ] && kill "$board_pid" 2>/dev/null && wait "$board_pid" 2>/dev/null
  e2e_end_servers
}
trap cleanup EXIT
e2e_begin

s_happy() {
  fresh happy; release "$D/rel" 1.1.0 2 0 65536 || return 1
  out=$(agent --once) || why "agent failed: $out" || return 1
  [ "$(field outcome "$out")" = updated ] || why "outcome: $out" || return 1
  running | grep -q "slot B, version 1.1.0" || why "not running 1.1.0" || return 1
  [ "$(ranges 1.1.0/slot-b.img)" = "0 " ] || why "ranges: $(ranges 1.1.0/slot-b.img)"
}
s_304() {
  fresh notmod; release "$D/rel" 1.1.0 2 0 65536 || return 1
  agent --once >/dev/null || return 1
  mark
  out=$(agent --interval 0 --cycles 25) || return 1
  [ "$(field not_modified "$out")" = 25 ] && [ "$(field image_requests "$out")" = 0 ] || why "$out" || return 1
  # Seen from the wire: 25 conditional manifest GETs, all 304, nothing else.
  [ "$(plog | grep -c '"if_none_match":"\\"')" = 25 ] && [ "$(plog | grep -c '"status":304')" = 25 ] &&
    [ "$(plog | grep -c slot-)" = 0 ] || why "proxy saw: $(plog | head -3)"
}
s_404() {
  fresh missing
  out=$(agent --once) && { why "agent succeeded"; return 1; }
  grep -q "error=not found " <<<"$out" || why "error: $out" || return 1
  [ "$(statuses manifest.json)" = "404 " ] && untouched
}
s_403() {
  fresh denied; release "$D/rel" 1.1.0 2 0 65536 || return 1
  out=$(KEY=WRONGKEY agent --once) && { why "agent succeeded"; return 1; }
  [ "$(field image_requests "$out")" = 0 ] && [ "$(statuses manifest.json)" = "403 " ] &&
    grep -q "error=auth" <<<"$out" && untouched || why "$out"
}
s_500_manifest() {
  # Two polls answered 500: both cycles fail without touching anything,
  # the third completes the update.
  fresh err500; release "$D/rel" 1.1.0 2 0 65536 || return 1
  faults '[{"match":"manifest.json","status":500,"count":2}]'
  for i in 1 2; do
    out=$(agent --once) && { why "run $i succeeded"; return 1; }
    [ "$(field image_requests "$out")" = 0 ] || why "run $i: $out" || return 1
  done
  untouched || return 1
  out=$(agent --once) || why "third run: $out" || return 1
  [ "$(field outcome "$out")" = updated ] && [ "$(statuses manifest.json)" = "500 500 200 " ] || why "$out"
}
s_500_image() {
  # The image GET answered 500 twice: the cycle retries within itself.
  fresh img500; release "$D/rel" 1.1.0 2 0 65536 || return 1
  faults '[{"match":"1.1.0/slot-b.img","status":500,"count":2}]'
  out=$(agent --once) || why "agent failed: $out" || return 1
  [ "$(field outcome "$out")" = updated ] && [ "$(statuses 1.1.0/slot-b.img)" = "500 500 206 " ] &&
    running | grep -q "slot B, version 1.1.0" || why "$out / $(statuses 1.1.0/slot-b.img)"
}
s_drop() {
  # The connection drops after 100000 body bytes: the next request resumes
  # at the last 4 KiB boundary before the drop (98304), not from 0.
  fresh drop; release "$D/rel" 1.1.0 2 0 200000 || return 1
  faults '[{"match":"1.1.0/slot-b.img","cut_after":100000}]'
  out=$(agent --once) || why "agent failed: $out" || return 1
  [ "$(field outcome "$out")" = updated ] && [ "$(field resumes "$out")" = 1 ] &&
    [ "$(field restarts "$out")" = 0 ] || why "$out" || return 1
  [ "$(ranges 1.1.0/slot-b.img)" = "0 98304 " ] || why "ranges: $(ranges 1.1.0/slot-b.img)" || return 1
  # Bytes fetched: the image once, plus what lay past the boundary.
  local size; size=$(stat -c %s "$D/rel/1.1.0/slot-b.img")
  [ "$(field image_bytes "$out")" = $((size + 100000 - 98304)) ] || why "image_bytes $(field image_bytes "$out") size $size" || return 1
  running | grep -q "slot B, version 1.1.0"
}
s_corrupt() {
  # One byte of the body flipped in transit: the SHA-256 check refuses the
  # image, nothing reaches the target; the next cycle downloads it again.
  fresh corrupt; release "$D/rel" 1.1.0 2 0 65536 || return 1
  faults '[{"match":"1.1.0/slot-b.img","corrupt_at":30000}]'
  out=$(agent --once) && { why "agent succeeded"; return 1; }
  [ "$(field flashes "$out")" = 0 ] && grep -q "error=corrupt data " <<<"$out" || why "$out" || return 1
  untouched || return 1
  plog | grep -q '"action":"corrupt"' || why "no corruption happened" || return 1
  out=$(agent --once) || why "rerun: $out" || return 1
  [ "$(field outcome "$out")" = updated ] && running | grep -q "slot B, version 1.1.0"
}
s_hash() {
  # The manifest's SHA-256 does not match the images.
  fresh hash; release_manual "$D/rel" 1.1.0 2 0 65536 "$(printf '0%.0s' {1..64})" || return 1
  out=$(agent --once) && { why "agent succeeded"; return 1; }
  [ "$(field flashes "$out")" = 0 ] && untouched || why "$out"
}
s_truncated() {
  # The object on the server is shorter than the manifest says.
  fresh trunc; release "$D/rel" 1.1.0 2 0 65536 || return 1
  head -c 40000 "$D/rel/1.1.0/slot-b.img" > "$D/short.img"
  s3put "$(image_key 1.1.0 b)" "$D/short.img" || return 1
  out=$(agent --once) && { why "agent succeeded"; return 1; }
  [ "$(field flashes "$out")" = 0 ] && untouched || why "$out"
}
s_replaced() {
  # The image and the manifest are replaced (same version, other bytes,
  # same size) while the download is stalled mid-body. The resumed request
  # carries If-Match with the first ETag; s3rver ignores it and answers 206
  # with the new object, whose other ETag makes the agent start again at 0
  # rather than mix two objects. The staged image then fails the old
  # manifest's hash (nothing committed); the next cycle reads the new
  # manifest and installs the new bytes.
  fresh replaced; release "$D/rel" 1.1.0 2 0 200000 || return 1
  SALT=2 build_pair "$D/rel2" 1.1.0 2 0 200000 || return 1
  cmp -s "$D/rel/1.1.0/slot-b.img" "$D/rel2/1.1.0/slot-b.img" && { why "replacement has the same bytes"; return 1; }
  local etag0; etag0=$(curl -sI "$ENDPOINT/$BUCKET/$(image_key 1.1.0 b)" | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p')
  faults '[{"match":"1.1.0/slot-b.img","cut_after":60000,"pause_ms":3000}]'
  agent_bg --once; local pid=$!
  for _ in $(seq 250); do plog | grep -q '"event":"stall"' && break; sleep 0.02; done
  plog | grep -q '"event":"stall"' || why "the download never stalled" || return 1
  publish_manual "$D/rel2" 1.1.0 2 || return 1
  plog | grep -q '"action":"cut"' && { why "replaced only after the cut: too slow"; return 1; }
  wait $pid && { why "first run succeeded"; return 1; }
  out=$(cat "$D/bg.out")
  [ "$(ranges 1.1.0/slot-b.img)" = "0 57344 0 " ] || why "ranges: $(ranges 1.1.0/slot-b.img)" || return 1
  plog | grep -F 1.1.0/slot-b.img | grep -F "bytes=57344-" | grep -qF "\"if_match\":\"${etag0//\"/\\\"}\"" ||
    why "resume without If-Match $etag0" || return 1
  # Two restarts: the ETag change, then the failed hash of the new bytes.
  [ "$(field restarts "$out")" = 2 ] && [ "$(field flashes "$out")" = 0 ] && untouched || why "$out" || return 1
  grep -q "ETag changed" "$D/agent.log" || why "no ETag change seen" || return 1
  out=$(agent --once) || why "rerun: $out" || return 1
  [ "$(field outcome "$out")" = updated ] && running | grep -q "slot B, version 1.1.0" || why "$out"
}
s_delay() {
  # The server sits on the image request longer than the agent's timeout:
  # the agent gives up on it and asks again within the same cycle.
  fresh delay; release "$D/rel" 1.1.0 2 0 65536 || return 1
  faults '[{"match":"1.1.0/slot-b.img","delay_ms":2500}]'
  out=$(agent --once --timeout-ms 800) || why "agent failed: $out" || return 1
  [ "$(field outcome "$out")" = updated ] && [ "$(field image_requests "$out")" = 2 ] &&
    running | grep -q "slot B, version 1.1.0" || why "$out"
}
# rec_phase <state-dir>: the phase in the agent's newest valid progress
# record (agent_update.h: seq at byte 8, phase at 12, CRC-32 at 508).
rec_phase() {
  python3 - "$1" <<'PY'
import struct, sys, zlib
best = None
for c in (0, 1):
    try:
        b = open(f"{sys.argv[1]}/progress.{c}", "rb").read(512)
    except OSError:
        continue
    if len(b) < 512 or struct.unpack_from("<I", b, 508)[0] != zlib.crc32(b[:508]):
        continue
    seq = struct.unpack_from("<I", b, 8)[0]
    if best is None or (seq - best[0]) & 0x80000000 == 0:
        best = (seq, b[12])
print(["idle", "downloading", "staged", "flashing", "observing"][best[1]] if best else "none")
PY
}
s_kill() {
  # SIGKILL at 20 random points of updates. How long one uninterrupted
  # update takes is measured on a twin device; each kill lands uniformly
  # within that time. Once the device runs the latest release the next one
  # is published, so the kills keep landing in updates. After every run
  # the device must be bootable, and no run that got to its end may have
  # failed; a final rerun completes the update in progress.
  # The proxy serves images at 1 MB/s, so that the download takes about
  # as long as the flash and the kills land in both.
  fresh kill-twin; release "$D/rel" 1.1.0 2 0 200000 || return 1
  faults '[{"match":"/slot-","count":100000,"bytes_per_s":1000000}]'
  local t0 t_ms; t0=$(date +%s%N)
  agent --once --checkpoint 4096 >/dev/null || why "twin update failed" || return 1
  t_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  fresh kill
  faults '[{"match":"/slot-","count":100000,"bytes_per_s":1000000}]'
  local i=0 rc minor=1 killed=0 finished=0 ok=1 phases=""
  release "$D/rel" 1.1.0 2 0 200000 || return 1
  # Until 20 runs were killed mid-run (runs that finish first do not
  # count; at most 60 runs).
  while [ $killed -lt 20 ] && [ $i -lt 60 ]; do
    i=$((i + 1))
    agent_bg --once --checkpoint 4096; pid=$!
    sleep "$(awk -v ms=$((RANDOM % t_ms + 1)) 'BEGIN { printf "%.3f", ms / 1000 }')"
    kill -9 $pid 2>/dev/null; { wait $pid; } 2>/dev/null; rc=$?
    out=$(cat "$D/bg.out")
    echo "kill $i: rc=$rc $out" >> "$D/kills.log"
    running >/dev/null || { echo "  not bootable after kill $i"; ok=0; }
    # No summary: killed mid-run. A summary: the run got to its end (the
    # kill may still have hit it on the way out).
    if [ -z "$out" ]; then
      killed=$((killed + 1)); phases="$phases $(rec_phase "$D/state")"
    else
      finished=$((finished + 1))
    fi
    [ "$(field outcome "$out")" = error ] && { echo "  run $i failed: $out"; ok=0; }
    # Once the device runs the latest release (the update may also have
    # completed just before a kill), publish the next one.
    if running | grep -q "version 1.$minor.0"; then
      minor=$((minor + 1))
      release "$D/rel" "1.$minor.0" 2 0 200000 || return 1
    fi
  done
  echo "  one update takes ${t_ms} ms; $killed runs killed, $finished finished first, releases 1.1.0..1.$minor.0"
  echo "  record phase after each kill:$(tr ' ' '\n' <<<"$phases" | sort | uniq -c | awk 'NF == 2 { printf " %s=%s", $2, $1 }')"
  out=$(agent --once) || why "rerun failed: $out" || return 1
  [ $ok = 1 ] && [ $killed = 20 ] || why "all runs fine=$ok, killed=$killed" || return 1
  grep -q "rejected\|corrupt" "$D/agent.log" && { why "$(grep "rejected\|corrupt" "$D/agent.log" | head -3)"; return 1; }
  running | grep -q "version 1.$minor.0" || why "running: $(running), expected 1.$minor.0"
}
s_concurrent() {
  # A second agent on the same device and state while one is running (its
  # poll held up by the proxy) is refused and changes nothing.
  fresh concurrent; release "$D/rel" 1.1.0 2 0 65536 || return 1
  faults '[{"match":"manifest.json","delay_ms":1500}]'
  agent_bg --once; local pid=$!
  for _ in $(seq 100); do [ -s "$D/state/staging.img" ] || [ -e "$D/state/progress.1" ] && break; sleep 0.02; done
  sleep 0.2
  out=$(agent --once) && { why "second agent ran: $out"; return 1; }
  grep -q "busy" "$D/agent.log" || why "no busy error: $(tail -2 "$D/agent.log")" || return 1
  wait $pid || why "first agent failed: $(cat "$D/bg.out")" || return 1
  [ "$(field outcome "$(cat "$D/bg.out")")" = updated ] && [ "$(statuses manifest.json)" = "200 " ] &&
    running | grep -q "slot B, version 1.1.0" || why "$(cat "$D/bg.out")"
}
s_rollback() {
  fresh rollback; release "$D/rel" 1.1.0 2 0 65536 || return 1
  agent --once >/dev/null || return 1
  release "$D/rel" 1.2.0 2 1 65536 || return 1
  out=$(agent --once) || return 1
  [ "$(field outcome "$out")" = rolled_back ] || why "$out" || return 1
  running | grep -q "slot B, version 1.1.0" || return 1
  # Republished manifest (new ETag), same version: still not retried.
  [ "$(s3get "$PREFIX/manifest.json" "$D/man.json")" = 200 ] && echo >> "$D/man.json" &&
    s3put "$PREFIX/manifest.json" "$D/man.json" application/json || return 1
  mark
  out=$(agent --once) || return 1
  [ "$(field flashes "$out")" = 0 ] && [ "$(field image_requests "$out")" = 0 ] &&
    [ "$(statuses manifest.json)" = "200 " ] &&
    [ "$(s3get "$PREFIX/reports/dev-$PREFIX.json" "$D/rep.json")" = 200 ] &&
    grep -q rolled_back "$D/rep.json" || why "$out"
}

# A release whose image passes the agent's checks but that the bootloader
# refuses at commit (a vector table with its initial SP outside RAM): it
# is flashed once, reported as refused, and never flashed again, not even
# when republished: ten further cycles erase no sector (the flash model's
# erase counters) and reset nothing.
erases() { "$FOTA" agent sim-status --flash "$D/flash.bin" --json | sed -n 's/.*"erases":\[\([0-9,]*\)\].*/\1/p'; }
s_refused() {
  local e0 i
  fresh refused; mkdir -p "$D/rel/1.1.0"
  for s in a b; do
    python3 - "$s" "$D/rel/1.1.0/$s.bin" <<'PY'
import struct, sys
base = 0x08020200 if sys.argv[1] == 'a' else 0x08080200
open(sys.argv[2], 'wb').write(struct.pack('<II', 0x30000000, base + 0x101) + bytes(4088))
PY
    "$FOTA" image pack --slot $s --version 1.1.0 --sec-counter 2 --no-vector-check \
      "$D/rel/1.1.0/$s.bin" -o "$D/rel/1.1.0/slot-$s.img" >/dev/null || return 1
  done
  publish_manual "$D/rel" 1.1.0 2 || return 1
  e0=$(erases)
  out=$(agent --once) && why "refused release reported success: $out"
  [ "$(field outcome "$out")" = refused ] && [ "$(field flashes "$out")" = 1 ] &&
    [ "$(field refused "$out")" = 1 ] || why "first run: $out" || return 1
  untouched || why "device no longer boots 1.0.0: $(running)" || return 1
  e0=$(erases)
  for i in $(seq 10); do
    # Republished every other cycle (a new ETag: the agent decides again).
    [ $((i % 2)) = 0 ] && { publish_manual "$D/rel" 1.1.0 2 || return 1; }
    out=$(agent --once) || why "cycle $i: $out" || return 1
    [ "$(field flashes "$out")" = 0 ] && [ "$(field image_requests "$out")" = 0 ] &&
      [ "$(field target_resets "$out")" = 0 ] || why "cycle $i: $out" || return 1
  done
  [ "$(erases)" = "$e0" ] || why "sectors erased again: $e0 -> $(erases)" || return 1
  echo "  erases per sector: $(erases)"
}

# `fota agent --help` names every option the parser takes.
s_help() {
  local help opt missing=
  help=$("$FOTA" agent --help) || return 1
  for opt in $(sed -n '/const tool_opt_t opts\[\] = {/,/};/p' "$root/tools/fota_agent.c" |
               grep -o '{"[a-z0-9-]*"' | tr -d '{"' | sort -u); do
    grep -q -- "--$opt\b" <<<"$help" || missing="$missing $opt"
  done
  for opt in target spi nrst cs-gpio boot0 hz no-cs; do
    grep -q -- "--$opt\b" <<<"$help" || missing="$missing $opt"
  done
  [ -z "$missing" ] || why "not in fota agent --help:$missing"
}

# ---- the real firmware on the virtual board ----
CROSS="$root/build-arm"
BOARD_FOTA="${E2E_BOARD_FOTA:-}"
. "$root/tests/support/board.sh"
# board_setup: the firmware and the board's fota binary (once).
board_setup() {
  [ -n "${board_ready:-}" ] && return 0
  [ -n "$BOARD_FOTA" ] || BOARD_FOTA=$(board_fota "$root" "$FOTA") || return 1
  echo "  board: $BOARD_FOTA"
  board_ready=1
}
# fresh_board <name>: a new device on the board: the real bootloader, the
# slot-A application packed as v1.0.0 (installed factory-style), empty
# state; returns once the application has confirmed itself.
fresh_board() {
  board_setup || return 1
  D="$work/$1"; PREFIX="p-$1"; mkdir -p "$D"
  faults '[]'; mark
  "$FOTA" image pack --slot a --version 1.0.0 --sec-counter 1 "$CROSS/app/fota-app-slot-a.bin" \
    -o "$D/f.img" >/dev/null || return 1
  "$BOARD_FOTA" board --flash "$D/flash.bin" --boot "$CROSS/boot/fota-boot.elf" \
    --init-slot-a "$D/f.img" --spi-socket "$D/spi.sock" >"$D/uart.log" 2>"$D/board.err" &
  board_pid=$!
  TARGET="board:$D/spi.sock"; HW=; HW_ENV=
  # Status reads go to the application (no reset); 2.5 s between reads
  # after a commit keeps the socket traffic of the observation small.
  OBSERVE="--observe-ms 2500"
  uart_wait "" "app: confirm ok" 60 && [ -S "$D/spi.sock" ] || why "board did not start: $(cat "$D/board.err")"
}
board_stop() {
  [ -n "$board_pid" ] && kill "$board_pid" 2>/dev/null && wait "$board_pid" 2>/dev/null
  board_pid=
}
# uart_wait <after> <text> <seconds>: the board's UART shows text after the
# first occurrence of after ("" = anywhere).
uart_wait() { uart_wait_log "$D/uart.log" "$@"; }
# fw_release <version> <sec> <flags> [variant]: publish the application
# builds as a release (flags 1 = the never-confirming variant; its banner
# says so; variant "late-": the build that confirms 5 s after boot).
fw_release() {
  local v=$1 s var="${4:-}"; [ "$3" = 1 ] && var=noconfirm-
  mkdir -p "$D/rel/$v"
  for s in a b; do
    "$FOTA" image pack --slot $s --version "$v" --sec-counter "$2" --flags "$3" \
      "$CROSS/app/fota-app-${var}slot-$s.bin" -o "$D/rel/$v/slot-$s.img" >/dev/null || return 1
  done
  AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK" AWS_SESSION_TOKEN= \
    "$FOTA" release publish --endpoint "$ENDPOINT" --bucket "$BUCKET" --prefix "$PREFIX" \
    --slot-a "$D/rel/$v/slot-a.img" --slot-b "$D/rel/$v/slot-b.img" >"$D/publish.out" 2>&1 ||
    { cat "$D/publish.out"; return 1; }
}
# board_update_b: one agent run updates the board to 1.1.0 in slot B: the
# outcome, then on the UART update mode from the strap, the trial boot of
# slot B and its application confirming itself; stops the board.
board_update_b() {
  out=$(agent --once) || why "agent failed: $out $(tail -3 "$D/agent.log")" || { board_stop; return 1; }
  echo "  $(field outcome "$out") hw_time_ms=$(field hw_time_ms "$out") wall_ms=$(field wall_ms "$out")"
  [ "$(field outcome "$out")" = updated ] && [ "$(field running "$out")" = 1.1.0 ] ||
    why "outcome: $out" || { board_stop; return 1; }
  uart_wait "boot: update mode" "boot: trial boot slot B" 10 &&
    uart_wait "boot: trial boot slot B" "app: confirm ok" 30 ||
    why "UART: $(tail -5 "$D/uart.log")" || { board_stop; return 1; }
  board_stop
  running | grep -q "slot B, version 1.1.0" || why "not running 1.1.0: $(running)"
}
s_board_happy() {
  fresh_board board-happy || return 1
  fw_release 1.1.0 2 0 || return 1
  board_update_b || return 1
  [ "$(ranges 1.1.0/slot-b.img)" = "0 " ] || why "ranges: $(ranges 1.1.0/slot-b.img)"
}
# An application that confirms 5 s after boot (fota_app_confirm(), with its
# reset into the confirmed boot), observed through its SPI1 responder: one
# trial boot, updated, and the agent caused exactly the two resets an
# update needs (update mode at the application's request, the reboot after
# the commit).
s_board_late_confirm() {
  fresh_board board-late || return 1
  OBSERVE="--observe-ms 500"
  fw_release 1.1.0 2 0 late- || return 1
  out=$(agent --once) || why "agent failed: $out $(tail -3 "$D/agent.log")" || { board_stop; return 1; }
  echo "  $(field outcome "$out") target_resets=$(field target_resets "$out") hw_time_ms=$(field hw_time_ms "$out")"
  [ "$(field outcome "$out")" = updated ] && [ "$(field running "$out")" = 1.1.0 ] &&
    [ "$(field target_resets "$out")" = 2 ] || why "outcome: $out" || { board_stop; return 1; }
  local trials
  trials=$(grep -c "boot: trial boot slot B" "$D/uart.log")
  [ "$trials" = 1 ] && grep -q "app: confirm and reset" "$D/uart.log" &&
    ! grep -q "rejected" "$D/uart.log" ||
    why "trial boots of B: $trials; $(grep -E '^(boot|fota-app|app: conf)' "$D/uart.log" | tail -8 | tr '\n' '|')" ||
    { board_stop; return 1; }
  board_stop
  running | grep -q "slot B, version 1.1.0" || why "not running 1.1.0: $(running)"
}
# Ten poll cycles that install nothing, against the running application:
# unchanged manifest (304), a release outside the rollout, a version that
# is not newer, the server down. No cycle resets the target
# (target_resets=0) and the application's UART shows no new boot.
s_board_quiet() {
  fresh_board board-quiet || return 1
  local boots i
  fw_release 1.0.0 1 0 || return 1
  out=$(agent --once) || why "first poll: $out" || { board_stop; return 1; }
  [ "$(field outcome "$out")" = up_to_date ] || why "first poll: $out" || { board_stop; return 1; }
  boots=$(grep -c "^fota-boot" "$D/uart.log")
  for i in $(seq 10); do
    case $i in
      3) # 1.1.0 published, then the manifest replaced by one with
         # rollout 0 before any agent polls.
         fw_release 1.1.0 2 0 >/dev/null || { board_stop; return 1; }
         AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK" AWS_SESSION_TOKEN= \
           "$FOTA" release publish --endpoint "$ENDPOINT" --bucket "$BUCKET" --prefix "$PREFIX" \
           --rollout 0 --slot-a "$D/rel/1.1.0/slot-a.img" --slot-b "$D/rel/1.1.0/slot-b.img" \
           >"$D/publish.out" 2>&1 || { cat "$D/publish.out"; board_stop; return 1; } ;;
      6) faults '[{"match":"manifest.json","status":503,"count":2}]' ;;
    esac
    out=$(agent --once)
    [ "$(field target_resets "$out")" = 0 ] && [ "$(field flashes "$out")" = 0 ] &&
      [ "$(field image_requests "$out")" = 0 ] || why "cycle $i: $out" || { board_stop; return 1; }
    echo "  cycle $i: outcome=$(field outcome "$out") target_resets=$(field target_resets "$out")"
  done
  [ "$(grep -c "^fota-boot" "$D/uart.log")" = "$boots" ] ||
    why "the application rebooted: $(grep -E '^fota-boot' "$D/uart.log" | tr '\n' '|')" || { board_stop; return 1; }
  board_stop
}
s_board_rollback() {
  fresh_board board-rollback || return 1
  fw_release 1.1.0 2 0 || return 1
  out=$(agent --once) || why "first update failed: $out" || { board_stop; return 1; }
  fw_release 1.2.0 2 1 || return 1
  out=$(agent --once) || why "agent failed: $out" || { board_stop; return 1; }
  echo "  $(field outcome "$out") hw_time_ms=$(field hw_time_ms "$out") wall_ms=$(field wall_ms "$out")"
  [ "$(field outcome "$out")" = rolled_back ] && [ "$(field running "$out")" = 1.1.0 ] ||
    why "outcome: $out" || { board_stop; return 1; }
  # The never-confirming build ran its three trial attempts in slot A, then
  # the bootloader went back to slot B and its application confirmed.
  local tries
  tries=$(grep -c "boot: trial boot slot A" "$D/uart.log")
  [ "$tries" = 3 ] && grep -q "slot A (noconfirm)" "$D/uart.log" &&
    grep -q "app: resetting unconfirmed" "$D/uart.log" ||
    why "trial boots of A: $tries; $(grep -E '^(boot|fota-app)' "$D/uart.log" | tail -8 | tr '\n' '|')" ||
    { board_stop; return 1; }
  uart_wait "app: resetting unconfirmed" "boot: boot slot B" 30 &&
    uart_wait "app: resetting unconfirmed" "app: confirm ok" 30 || why "no return to B" || { board_stop; return 1; }
  # Not retried.
  mark
  out=$(agent --once) || why "poll failed: $out" || { board_stop; return 1; }
  [ "$(field flashes "$out")" = 0 ] && [ "$(field image_requests "$out")" = 0 ] || why "$out" ||
    { board_stop; return 1; }
  board_stop
  running | grep -q "slot B, version 1.1.0" || why "not running 1.1.0: $(running)" || return 1
  [ "$(s3get "$PREFIX/reports/dev-$PREFIX.json" "$D/rep.json")" = 200 ] && grep -q rolled_back "$D/rep.json" ||
    why "report: $(cat "$D/rep.json")"
}

# The agent as on a Raspberry Pi gateway: the Linux port (spidev, libgpiod
# and its clock) of the same binary, the kernel's devices standing in for
# by tests/linuxhw/vhw_preload.c, wired to the board.
s_board_linux_port() {
  local vhw="$BUILD/tests/linuxhw/libfota_vhw.so" report
  [ -f "$vhw" ] || why "$vhw missing" || return 1
  fresh_board board-linux || return 1
  . "$root/tests/linuxhw/vhw.sh"
  report="$D/vhw.report"
  HW="--spi /dev/spidev0.0 --nrst gpiochip0:17 --cs-gpio gpiochip0:8 --boot0 gpiochip0:27"
  HW_ENV="LD_PRELOAD=$(vhw_preload_list "$FOTA" "$vhw") FOTA_VHW_SOCKET=$D/spi.sock FOTA_VHW_REPORT=$report"
  fw_release 1.1.0 2 0 || return 1
  board_update_b || return 1
  echo "  vhw: $(head -1 "$report")"
  # The bus and the lines were used as the wiring requires: mode 0, 8-bit
  # words, messages within spidev's buffer, bulk messages, NRST open
  # drain, BOOT0 low, no byte clocked with CS released.
  vhw_report_clean "$report" || why "vhw report: $(cat "$report")"
}

check happy_path s_happy
check unchanged_manifest_no_download s_304
check missing_manifest_404 s_404
check wrong_access_key_403 s_403
check server_500_on_manifest s_500_manifest
check server_500_on_image_retried s_500_image
check connection_dropped_resumes_at_offset s_drop
check body_byte_corrupted_nothing_committed s_corrupt
check manifest_hash_mismatch_nothing_committed s_hash
check truncated_object_nothing_committed s_truncated
check object_replaced_etag_restart s_replaced
check slow_server_timeout_retried s_delay
check sigkill_20_points_bootable_and_completes s_kill
check second_agent_refused s_concurrent
check rollback_not_retried s_rollback
check refused_at_commit_flashed_once s_refused
check agent_help_lists_every_option s_help
check real_firmware_happy_path s_board_happy
check real_firmware_rollback_not_retried s_board_rollback
check real_firmware_late_confirm_two_resets s_board_late_confirm
check real_firmware_quiet_cycles_no_reset s_board_quiet
check real_firmware_linux_spidev_gpiod s_board_linux_port
e2e_summary
