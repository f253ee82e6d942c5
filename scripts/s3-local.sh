#!/usr/bin/env bash
# A local S3 API server (s3rver, from tools/node) on loopback, for tests, the
# demo and manual work.
#
#   scripts/s3-local.sh start [bucket...]  start on a free port with a fresh
#                                          temporary data directory, create
#                                          the buckets, print the endpoint URL
#   scripts/s3-local.sh url                print the endpoint URL
#   scripts/s3-local.sh stop               stop it and delete its data
#   scripts/s3-local.sh status             exit 0 if running
#
# State (pid, port, data directory, log) lives in $S3_LOCAL_STATE, by
# default ${TMPDIR:-/tmp}/fota-s3-local-<uid>; give each concurrent user
# (parallel tests) its own. Credentials are s3rver's: S3RVER / S3RVER,
# region us-east-1. s3rver does not check SigV4 signatures, only that the
# access key is known, and it needs the x-amz-content-sha256 header.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
s3rver="$root/tools/node/node_modules/.bin/s3rver"
state="${S3_LOCAL_STATE:-${TMPDIR:-/tmp}/fota-s3-local-$(id -u)}"
start_timeout_s=15

die() { echo "s3-local: $*" >&2; exit 1; }

running() {
  [ -f "$state/pid" ] && kill -0 "$(cat "$state/pid")" 2>/dev/null
}

url() { echo "http://127.0.0.1:$(cat "$state/port")"; }

# A port the kernel just handed out (and released): free unless someone
# grabs it in the next few milliseconds, which start() detects.
free_port() {
  node -e 'const s=require("net").createServer();
           s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'
}

make_bucket() {
  local code
  code=$(curl -s -o "$state/bucket.out" -w '%{http_code}' -X PUT \
    --aws-sigv4 "aws:amz:us-east-1:s3" --user "S3RVER:S3RVER" \
    -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
    "$(url)/$1")
  [ "$code" = 200 ] || die "creating bucket $1: HTTP $code: $(cat "$state/bucket.out")"
}

start() {
  [ -x "$s3rver" ] || die "s3rver is missing at $s3rver: run 'make setup' (npm install in tools/node)"
  command -v node >/dev/null || die "node is missing: run 'make setup'"
  if running; then
    url
    return 0
  fi
  mkdir -p "$state"
  local data port pid deadline
  data="$(mktemp -d "${TMPDIR:-/tmp}/fota-s3-data.XXXXXX")"
  port="$(free_port)"
  echo "$data" > "$state/dir"
  echo "$port" > "$state/port"
  # setsid: the server gets its own process group, so a test runner's Ctrl-C
  # does not leave it half dead; stop() ends it by pid.
  setsid "$s3rver" -d "$data" -a 127.0.0.1 -p "$port" --silent \
    > "$state/log" 2>&1 < /dev/null &
  pid=$!
  echo "$pid" > "$state/pid"
  deadline=$((SECONDS + start_timeout_s))
  until curl -s -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$state/pid"
      die "s3rver exited during start-up: $(tail -5 "$state/log")"
    fi
    [ $SECONDS -lt $deadline ] || { stop; die "s3rver did not answer within ${start_timeout_s}s"; }
    sleep 0.1
  done
  for b in "$@"; do make_bucket "$b"; done
  url
}

stop() {
  if [ -f "$state/pid" ]; then
    local pid deadline
    pid="$(cat "$state/pid")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      deadline=$((SECONDS + 5))
      while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$state/pid"
  fi
  if [ -f "$state/dir" ]; then
    rm -rf "$(cat "$state/dir")"
    rm -f "$state/dir"
  fi
  rm -f "$state/port" "$state/log" "$state/bucket.out"
  rmdir "$state" 2>/dev/null || true
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  start) start "$@" ;;
  stop) stop ;;
  url) running || die "not running (state in $state)"; url ;;
  status) running ;;
  *) echo "usage: $0 start [bucket...] | url | stop | status" >&2; exit 2 ;;
esac
