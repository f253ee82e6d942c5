#!/usr/bin/env bash
# A single-node Ceph RADOS Gateway on loopback: a real S3 implementation
# (strict SigV4, clock-skew checks, If-Match, multipart ETags) for tests.
#
#   scripts/rgw-local.sh start [bucket...]  start one ceph-mon, one ceph-osd
#                                           (memstore: data in RAM) and
#                                           radosgw (beast on 127.0.0.1),
#                                           make the S3 user and the
#                                           buckets, print the endpoint URL
#   scripts/rgw-local.sh url                print the endpoint URL
#   scripts/rgw-local.sh stop               stop every daemon by its pid and
#                                           delete the cluster
#   scripts/rgw-local.sh status             exit 0 if radosgw is running
#
# The cluster runs with auth none (cephx off) and is reachable on
# 127.0.0.1 only; S3 clients authenticate with SigV4 as on AWS. Credentials:
# access key FOTARGW, secret FOTARGWSECRET (or $RGW_ACCESS_KEY /
# $RGW_SECRET_KEY), region us-east-1. State (config, pids, logs, the
# daemons' data) lives in $RGW_LOCAL_STATE, by default
# ${TMPDIR:-/tmp}/fota-rgw-local-<uid>; give each concurrent user its own.
# Needs the Debian packages ceph-mon ceph-osd radosgw ceph-common
# (scripts/setup.sh).
set -euo pipefail

state="${RGW_LOCAL_STATE:-${TMPDIR:-/tmp}/fota-rgw-local-$(id -u)}"
ak="${RGW_ACCESS_KEY:-FOTARGW}" sk="${RGW_SECRET_KEY:-FOTARGWSECRET}"
start_timeout_s=${RGW_START_TIMEOUT_S:-90}
daemons=(radosgw osd mon) # stop order

die() { echo "rgw-local: $*" >&2; exit 1; }

alive() { [ -f "$state/$1.pid" ] && kill -0 "$(cat "$state/$1.pid")" 2>/dev/null; }
url() { echo "http://127.0.0.1:$(cat "$state/rgw.port")"; }
ceph_() { ceph -c "$state/ceph.conf" --connect-timeout 10 "$@"; }

# Two ports the kernel just handed out (and released).
free_ports() {
  python3 -c 'import socket
ss=[socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1",0))
print(" ".join(str(s.getsockname()[1]) for s in ss))'
}

# wait_for <what> <command...>: retry until it succeeds or the start-up
# time is over.
wait_for() {
  local what=$1 deadline=$((SECONDS + start_timeout_s))
  shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || { stop; die "$what not ready within ${start_timeout_s}s"; }
    sleep 0.3
  done
}

# daemon <name> <command...>: run in the foreground of its own session, in
# the background of this script; its pid goes to $state/<name>.pid.
daemon() {
  local name=$1
  shift
  setsid "$@" -f > "$state/log/$name.out" 2>&1 < /dev/null &
  echo $! > "$state/$name.pid"
}

write_conf() {
  cat > "$state/ceph.conf" <<CONF
[global]
fsid = $(cat "$state/fsid")
mon host = [v2:127.0.0.1:$1]
mon initial members = a
ms bind ipv6 = false
ms bind ipv4 = true
public addr = 127.0.0.1
cluster addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = false
# Without cephx there are no session keys, so no "secure" connections.
ms cluster mode = crc
ms service mode = crc
ms client mode = crc
ms mon cluster mode = crc
ms mon service mode = crc
ms mon client mode = crc
run dir = $state/run
admin socket = $state/run/\$name.asok
log file = $state/log/\$name.log
log to stderr = false
debug ms = ${RGW_DEBUG_MS:-0}
debug osd = ${RGW_DEBUG_OSD:-0}
debug mon = ${RGW_DEBUG_MON:-0}
err to stderr = true
keyring = $state/keyring
mon data = $state/mon/\$cluster-\$id
osd data = $state/osd/\$cluster-\$id
osd objectstore = memstore
memstore device bytes = 1073741824
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
osd max object name len = 256
osd max object namespace len = 64
[client.rgw.local]
rgw frontends = beast endpoint=127.0.0.1:$2
rgw data = $state/rgw
CONF
}

start() {
  local p
  for p in ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool; do
    command -v $p >/dev/null || die "$p is missing: run 'make setup' (packages ceph-mon ceph-osd radosgw ceph-common)"
  done
  if alive radosgw; then url; return 0; fi
  RGW_LOCAL_KEEP= stop >/dev/null 2>&1 || true
  mkdir -p "$state"/{run,log,mon/ceph-a,osd/ceph-0,rgw}
  python3 -c 'import uuid; print(uuid.uuid4())' > "$state/fsid"
  read -r mon_port rgw_port < <(free_ports)
  echo "$rgw_port" > "$state/rgw.port"
  write_conf "$mon_port" "$rgw_port"
  : > "$state/keyring"
  monmaptool --create --addv a "[v2:127.0.0.1:$mon_port]" --fsid "$(cat "$state/fsid")" \
    "$state/monmap" > "$state/log/monmap.out" 2>&1 || die "monmaptool failed: $(cat "$state/log/monmap.out")"
  ceph-mon -c "$state/ceph.conf" --mkfs -i a --monmap "$state/monmap" \
    > "$state/log/mon-mkfs.out" 2>&1 || die "ceph-mon --mkfs failed: $(tail -3 "$state/log/mon-mkfs.out")"
  daemon mon ceph-mon -c "$state/ceph.conf" -i a
  wait_for "ceph-mon" ceph_ mon stat
  local id osd_uuid
  osd_uuid=$(python3 -c 'import uuid; print(uuid.uuid4())')
  id=$(ceph_ osd create "$osd_uuid")
  [ "$id" = 0 ] || { stop; die "osd create gave id '$id'"; }
  ceph-osd -c "$state/ceph.conf" -i 0 --mkfs --osd-uuid "$osd_uuid" > "$state/log/osd-mkfs.out" 2>&1 ||
    { stop; die "ceph-osd --mkfs failed: $(tail -3 "$state/log/osd-mkfs.out")"; }
  daemon osd ceph-osd -c "$state/ceph.conf" -i 0
  wait_for "ceph-osd" bash -c "ceph -c '$state/ceph.conf' osd stat | grep -q '1 up'"
  daemon radosgw radosgw -c "$state/ceph.conf" -n client.rgw.local
  wait_for "radosgw" curl -sf -o /dev/null "$(url)/"
  radosgw-admin -c "$state/ceph.conf" user create --uid=fota --display-name=fota \
    --access-key="$ak" --secret="$sk" > "$state/log/user.out" 2>&1 ||
    { stop; die "radosgw-admin user create failed: $(tail -3 "$state/log/user.out")"; }
  for b in "$@"; do make_bucket "$b"; done
  url
}

make_bucket() {
  local code
  code=$(curl -s -o "$state/bucket.out" -w '%{http_code}' -X PUT \
    --aws-sigv4 "aws:amz:us-east-1:s3" --user "$ak:$sk" \
    -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
    "$(url)/$1")
  [ "$code" = 200 ] || die "creating bucket $1: HTTP $code: $(cat "$state/bucket.out")"
}

stop() {
  local d pid deadline
  for d in "${daemons[@]}"; do
    [ -f "$state/$d.pid" ] || continue
    pid=$(cat "$state/$d.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      deadline=$((SECONDS + 10))
      while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$state/$d.pid"
  done
  # RGW_LOCAL_KEEP=1 keeps the logs and data for a look after a failure.
  [ -n "${RGW_LOCAL_KEEP:-}" ] || rm -rf "$state"
  return 0
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  start) start "$@" ;;
  stop) stop ;;
  url) alive radosgw || die "not running (state in $state)"; url ;;
  status) alive radosgw ;;
  *) echo "usage: $0 start [bucket...] | url | stop | status" >&2; exit 2 ;;
esac
