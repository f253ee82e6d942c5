#!/usr/bin/env bash
# End-to-end: the gateway updates itself (docs/agent.md, "The gateway
# updates itself"). One release carries an STM32 pair and the gateway's
# own image (`fota release publish --gateway-image`); the real
# `fota agent --gateway-product` on the Linux build (libcurl, SigV4, file
# storage, the file-backed gateway slots) against s3rver, through the
# fault proxy, with the host model as the STM32 (--target sim:FILE).
#  - both: the STM32 is updated first, then the gateway image goes into
#    the other slot file and the agent exits 75 (restart me); the next
#    start runs the new version on trial, reaches S3 and the STM32 and
#    marks it valid; a third start has nothing to do.
#  - rollback: the new gateway version cannot reach S3 (the restarted
#    agent points at a dead endpoint); after --gateway-attempts starts it
#    rolls back to the previous version, which then refuses to install
#    the rejected one again.
#  - crash: a trial image that never gets to its first cycle (the agent
#    dies before it) is rolled back at the start after the attempts.
#  - options: bad --gateway-* values stop the start (exit 2) by name.
# Ends with "e2e: scenarios=<N> passed=<P>"; exit status 0 only if all pass.
#   tests/e2e/gateway.sh [build-dir] [scenario-name-substring]
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${1:-$root/build}"
ONLY="${2:-}"
FOTA="$BUILD/tools/fota"
work="$(mktemp -d "${TMPDIR:-/tmp}/fota-e2e-gw.XXXXXX")"
export S3_LOCAL_STATE="$work/s3"
BUCKET=e2e AK=S3RVER SK=S3RVER
. "$root/scripts/fota-release-lib.sh"
. "$root/tests/e2e/e2e-lib.sh"
trap e2e_end_servers EXIT
e2e_begin

GWP=linux-gateway
# gw_release <version> <gateway version>: an STM32 pair and a gateway
# image (random bytes; the Linux slots treat it as opaque) in one release.
gw_release() {
  head -c 70000 /dev/urandom >"$D/gw-$2.bin"
  RELEASE_ARGS="--gateway-image $D/gw-$2.bin --gateway-version $2 --gateway-product $GWP" \
    release "$D/rel" "$1" 2 0 65536
}
# gw_agent: one start of the gateway; sets out (both summary lines)
# and rc (its exit status).
gw_agent() {
  out=$(agent --once --gateway-product $GWP --gateway-attempts 2); rc=$?
}
gw_field() { field "$1" "$(grep '^gateway:' <<<"$out")"; }
boot() { sed -n "s/^$1 //p" "$D/state/gateway/boot"; }

s_both() {
  fresh gwboth; gw_release 1.1.0 2.0.0 || return 1
  gw_agent
  [ "$rc" = 75 ] || why "install run: exit $rc: $out" || return 1
  [ "$(field outcome "$out")" = updated ] || why "STM32: $out" || return 1
  running | grep -q "slot B, version 1.1.0" || why "STM32 not on 1.1.0" || return 1
  [ "$(gw_field outcome)" = installed ] && [ "$(gw_field restart)" = yes ] || why "gateway: $out" || return 1
  [ "$(boot active)" = b ] && [ "$(boot version-b)" = 2.0.0 ] && [ "$(boot pending)" = 1 ] ||
    why "boot record: $(cat "$D/state/gateway/boot")" || return 1
  cmp -s "$D/gw-2.0.0.bin" "$D/state/gateway/slot-b" || why "slot-b differs from the image" || return 1
  # The gateway image came after the STM32's (STM32 first), whole.
  [ "$(ranges gateway-2.0.0.bin)" = "0 " ] || why "gateway ranges: $(ranges gateway-2.0.0.bin)" || return 1
  plog | grep -v '"event"' | grep -E 'slot-b.img|gateway-2.0.0.bin' | head -1 | grep -q slot-b.img ||
    why "the gateway image was fetched before the STM32 image" || return 1
  # The next start: 2.0.0 on trial reaches S3 and the STM32: valid.
  gw_agent
  [ "$rc" = 0 ] && [ "$(gw_field outcome)" = proven ] && [ "$(gw_field running)" = 2.0.0 ] ||
    why "proving run: exit $rc: $out" || return 1
  [ "$(boot pending)" = 0 ] || why "still pending: $(cat "$D/state/gateway/boot")" || return 1
  gw_agent
  [ "$rc" = 0 ] && [ "$(gw_field outcome)" = up-to-date ] && [ "$(field image_requests "$out")" = 0 ] ||
    why "third run: exit $rc: $out" || return 1
  # --json: one object carrying both sides.
  out=$(agent --once --gateway-product $GWP --json) || why "json run: $out" || return 1
  python3 -c 'import json, sys; o = json.loads(sys.argv[1]); sys.exit(0 if o["outcome"] == "up_to_date" and o["gateway_outcome"] == "up-to-date" and o["gateway_running"] == "2.0.0" and o["gateway_pending"] is False else 1)' "$out" ||
    why "json: $out"
}
s_rollback() {
  fresh gwback; gw_release 1.1.0 2.0.0 || return 1
  gw_agent
  [ "$rc" = 75 ] && [ "$(gw_field outcome)" = installed ] || why "install run: exit $rc: $out" || return 1
  # 2.0.0 "points at a wrong endpoint": nothing listens there.
  AGENT_ENDPOINT=http://127.0.0.1:9 gw_agent
  [ "$rc" = 1 ] && [ "$(gw_field outcome)" = trial-failed ] && [ "$(gw_field attempts)" = 1 ] ||
    why "trial 1: exit $rc: $out" || return 1
  AGENT_ENDPOINT=http://127.0.0.1:9 gw_agent
  [ "$rc" = 75 ] && [ "$(gw_field outcome)" = rolled-back ] || why "trial 2: exit $rc: $out" || return 1
  [ "$(boot active)" = a ] && [ "$(boot rejected)" = 2.0.0 ] && [ "$(boot pending)" = 0 ] ||
    why "boot record: $(cat "$D/state/gateway/boot")" || return 1
  # Back on 1.0.0, S3 reachable: 2.0.0 is not installed again.
  mark
  gw_agent
  [ "$rc" = 0 ] && [ "$(gw_field outcome)" = skipped ] && [ "$(gw_field running)" = 1.0.0 ] ||
    why "after rollback: exit $rc: $out" || return 1
  grep -q "why=this version was rolled back before" <<<"$out" || why "$out" || return 1
  [ -z "$(ranges gateway-2.0.0.bin)" ] || why "downloaded again: $(ranges gateway-2.0.0.bin)"
}
s_crash() {
  fresh gwcrash; gw_release 1.1.0 2.0.0 || return 1
  gw_agent
  [ "$rc" = 75 ] || why "install run: exit $rc: $out" || return 1
  # Two starts that die before their first cycle ends: the manifest GET
  # hangs in the proxy and the agent is killed (SIGKILL) once its start
  # has been counted in the boot record.
  faults '[{"match":"manifest.json","delay_ms":30000,"count":100}]'
  for n in 1 2; do
    agent_bg --gateway-product $GWP --gateway-attempts 2 --once; pid=$!
    for _ in $(seq 200); do [ "$(boot starts)" = $n ] && break; sleep 0.05; done
    kill -9 "$pid"; wait "$pid" 2>/dev/null
    [ "$(boot starts)" = $n ] && [ "$(boot attempts)" = 0 ] || why "start $n not counted: $(cat "$D/state/gateway/boot")" || return 1
  done
  faults '[]'
  gw_agent
  [ "$(boot active)" = a ] && [ "$(boot rejected)" = 2.0.0 ] || why "boot record: $(cat "$D/state/gateway/boot")" || return 1
  grep -q "started 2 times without proving itself: rolled back" "$D/agent.log" || why "no rollback line" || return 1
  [ "$(gw_field running)" = 1.0.0 ] && [ "$(gw_field outcome)" = skipped ] || why "$out"
}

s_options() {
  fresh gwopts
  local bad
  for bad in "--gateway-product ''" "--gateway-product a-gateway-product-name-of-32-chr" \
    "--gateway-product $GWP --gateway-version 1.0" "--gateway-product $GWP --gateway-attempts 0"; do
    out=$(eval "\"$FOTA\" agent $(agent_args) --once $bad" 2>&1); rc=$?
    [ "$rc" = 2 ] && grep -q "bad gateway options" <<<"$out" || why "$bad: exit $rc: $out" || return 1
  done
  [ ! -e "$D/state/gateway" ] || why "a refused start created the gateway slots"
}

check gateway_updates_with_stm32 s_both
check gateway_rollback_when_s3_unreachable s_rollback
check gateway_rollback_when_start_dies s_crash
check gateway_bad_options_refused s_options
e2e_summary
