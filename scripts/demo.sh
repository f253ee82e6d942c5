#!/usr/bin/env bash
# make demo: a local S3 API server, a simulated STM32F407 (bootloader core
# and protocol engine on the flash model, flash persisted in a file), and
# the update agent: v1.0.0 factory-installed, v1.1.0 published and
# installed, then v1.2.0 (a build that never confirms) published: its
# trial boots fail, the device rolls back, the agent reports the rollback
# and does not retry it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${BUILD:-$root/build}"
FOTA="$BUILD/tools/fota"
[ -x "$FOTA" ] || { echo "demo: $FOTA missing (make build)" >&2; exit 1; }
work="$(mktemp -d "${TMPDIR:-/tmp}/fota-demo.XXXXXX")"
export S3_LOCAL_STATE="$work/s3"
BUCKET=fota-demo PREFIX=fw/stm32f407 AK=S3RVER SK=S3RVER
t_start=$(date +%s%N)

cleanup() {
  local rc=$?
  bash "$root/scripts/s3-local.sh" stop >/dev/null 2>&1 || true
  rm -rf "$work"
  [ $rc = 0 ] || echo "demo: FAILED" >&2
  exit $rc
}
trap cleanup EXIT INT TERM

. "$root/scripts/fota-release-lib.sh"
RELEASE_VERBOSE=1
step() { echo; echo "== $*"; }
fail() { echo "demo: $*" >&2; exit 1; }

step "starting s3rver on loopback"
ENDPOINT="$(bash "$root/scripts/s3-local.sh" start "$BUCKET")"
echo "endpoint $ENDPOINT, bucket $BUCKET, prefix $PREFIX"

flash="$work/flash.bin"
step "factory: v1.0.0 in slot A of a fresh simulated flash"
mkraw a 65536 1 "$work/factory.bin"
"$FOTA" image pack --slot a --version 1.0.0 --sec-counter 1 "$work/factory.bin" -o "$work/factory.img" >/dev/null
"$FOTA" agent sim-install --flash "$flash" --slot a "$work/factory.img"
"$FOTA" agent sim-status --flash "$flash"

agent() {
  "$FOTA" agent --endpoint "$ENDPOINT" --bucket "$BUCKET" --prefix "$PREFIX" \
    --device-id demo-0001 --access-key "$AK" --secret-key "$SK" \
    --state-dir "$work/state" --target "sim:$flash" --once "$@"
}
declare -a rows

step "publishing v1.1.0 (fota release publish)"
release "$work/rel" 1.1.0 2 0 131072
step "agent run: update to v1.1.0"
out=$(agent) || fail "agent run failed: $out"
echo "$out"
[ "$(field outcome "$out")" = updated ] || fail "expected outcome=updated"
[ "$(field running "$out")" = 1.1.0 ] || fail "expected v1.1.0 running"
rows+=("1.1.0|$(field outcome "$out")|$(field running "$out")|$(field slot "$out")|$(field image_bytes "$out")|$(field hw_time_ms "$out")|$(field wall_ms "$out")")
"$FOTA" agent sim-status --flash "$flash"

step "publishing v1.2.0, a test build that never confirms (fota release publish)"
release "$work/rel" 1.2.0 2 1 131072
step "agent run: install v1.2.0, trial boots fail, rollback"
out=$(agent) || fail "agent run failed: $out"
echo "$out"
[ "$(field outcome "$out")" = rolled_back ] || fail "expected outcome=rolled_back"
[ "$(field running "$out")" = 1.1.0 ] || fail "expected v1.1.0 running after the rollback"
rows+=("1.2.0|$(field outcome "$out")|$(field running "$out")|$(field slot "$out")|$(field image_bytes "$out")|$(field hw_time_ms "$out")|$(field wall_ms "$out")")
"$FOTA" agent sim-status --flash "$flash"
[ "$(s3get "$PREFIX/reports/demo-0001.json" "$work/report.json")" = 200 ] || fail "no report"
echo "report: $(cat "$work/report.json")"
grep -q '"state":"rolled_back"' "$work/report.json" || fail "report does not say rolled_back"

step "agent run again: v1.2.0 is not retried"
out=$(agent) || fail "agent run failed: $out"
echo "$out"
[ "$(field flashes "$out")" = 0 ] && [ "$(field image_requests "$out")" = 0 ] || fail "v1.2.0 was retried"
rows+=("poll|$(field outcome "$out")|$(field running "$out")|$(field slot "$out")|$(field image_bytes "$out")|$(field hw_time_ms "$out")|$(field wall_ms "$out")")

step "summary"
printf '%-8s %-14s %-9s %-5s %-12s %-12s %-8s\n' release outcome running slot image_bytes hw_time_ms wall_ms
for r in "${rows[@]}"; do
  IFS='|' read -r a b c d e f g <<<"$r"
  printf '%-8s %-14s %-9s %-5s %-12s %-12s %-8s\n' "$a" "$b" "$c" "$d" "$e" "$f" "$g"
done
echo "total wall time: $(( ($(date +%s%N) - t_start) / 1000000 )) ms"
echo "demo: OK"
