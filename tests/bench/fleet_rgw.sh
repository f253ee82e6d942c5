#!/usr/bin/env bash
# Load test of a real S3 (`make bench-rgw`, not part of `make test`): a
# single-node Ceph RGW (scripts/rgw-local.sh), a signed release with two
# phases (20% at once, 100% from a third of the run, start delays spread
# over half of it) halted a quarter of the run after phase 2 opens, and
# N simulated devices (tests/bench/bench_fleet_rgw.c: the agent core, the
# libcurl port, the simulated target) polling it in wall-clock time.
#
#   tests/bench/fleet_rgw.sh [build-dir]
#   FLEET_RGW_DEVICES (default 100), FLEET_RGW_DURATION_S (60),
#   FLEET_RGW_POLL_MS (3000)
#
# Prints the halt and the figure lines of bench_fleet_rgw:
#   fleet_rgw: devices=N requests=R errors=0 p50_ms=.. p99_ms=.. rps=..
# Stops every daemon by its pid and deletes its state on exit.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${1:-$root/build}"
FOTA="$BUILD/tools/fota"
N=${FLEET_RGW_DEVICES:-100}
DUR=${FLEET_RGW_DURATION_S:-60}
POLL=${FLEET_RGW_POLL_MS:-3000}
BENCH="$BUILD/tests/bench/bench_fleet_rgw"
for b in "$FOTA" "$BENCH"; do
  [ -x "$b" ] || { echo "fleet_rgw: $b missing (build first)" >&2; exit 1; }
done
[ "$DUR" -ge 8 ] || { echo "fleet_rgw: FLEET_RGW_DURATION_S must be >= 8" >&2; exit 1; }
work="$(mktemp -d "${TMPDIR:-/tmp}/fota-fleet-rgw.XXXXXX")"
export RGW_LOCAL_STATE="$work/rgw"
halt_pid=
cleanup() {
  [ -n "$halt_pid" ] && kill "$halt_pid" 2>/dev/null
  bash "$root/scripts/rgw-local.sh" stop >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

BUCKET=fleet PREFIX=p-load AK=FOTARGW SK=FOTARGWSECRET
t0=$SECONDS
ENDPOINT=$(bash "$root/scripts/rgw-local.sh" start "$BUCKET")
echo "fleet_rgw: rgw started in $((SECONDS - t0)) s at $ENDPOINT"
. "$root/scripts/fota-release-lib.sh"

# The release key, the devices' factory flash (1.0.0 in slot A).
"$FOTA" key gen -o "$work/manifest.key" >/dev/null
"$FOTA" key pub "$work/manifest.key" -o "$work/manifest.pub" >/dev/null
mkraw a 32768 1 "$work/f.bin"
"$FOTA" image pack --slot a --version 1.0.0 --sec-counter 1 "$work/f.bin" -o "$work/f.img" >/dev/null
"$FOTA" agent sim-install --flash "$work/flash.bin" --slot a "$work/f.img"
mkdir -p "$work/devices"

p2=$((DUR / 3)) spread=$((DUR / 2)) halt_at=$((DUR / 3 + DUR / 4))
RELEASE_ARGS="--manifest-key $work/manifest.key --phases 20@+0,100@+$p2 --spread $spread" \
  release "$work/rel" 1.1.0 2 0 65536
echo "fleet_rgw: published 1.1.0: phases 20% now, 100% from +${p2} s, spread ${spread} s; halt at +${halt_at} s"
(
  sleep "$halt_at"
  AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK "$FOTA" release halt --endpoint "$ENDPOINT" \
    --bucket "$BUCKET" --prefix "$PREFIX" --manifest-key "$work/manifest.key" > "$work/halt.out" 2>&1 &&
    echo "fleet_rgw: halted at +${halt_at} s"
) &
halt_pid=$!
rc=0
AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK "$BENCH" --endpoint "$ENDPOINT" --bucket "$BUCKET" \
  --prefix "$PREFIX" --devices "$N" --duration-s "$DUR" --poll-ms "$POLL" \
  --flash "$work/flash.bin" --manifest-pub "$work/manifest.pub" --work "$work/devices" || rc=$?
wait "$halt_pid" || { echo "fleet_rgw: halting failed: $(cat "$work/halt.out")" >&2; rc=1; }
halt_pid=
AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK "$FOTA" fleet status --endpoint "$ENDPOINT" \
  --bucket "$BUCKET" --prefix "$PREFIX"
exit $rc
