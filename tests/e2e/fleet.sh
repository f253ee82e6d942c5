#!/usr/bin/env bash
# Fleet-side end-to-end scenarios: the real `fota agent` (host model
# target) and `fota release`/`fota fleet` against
#  - s3rver behind the fault proxy (tests/e2e/faultproxy.js), which
#    answers the S3 errors a real S3 gives (redirects, clock skew, ...);
#  - Ceph's RADOS Gateway (scripts/rgw-local.sh), a real S3: strict SigV4,
#    real clock-skew checks, If-Match, multipart ETags.
# Shares its helpers with tests/e2e/run.sh (tests/e2e/e2e-lib.sh and
# scripts/fota-release-lib.sh).
# Ends with "e2e: scenarios=<N> passed=<P>"; exit status 0 only if all pass.
#   tests/e2e/fleet.sh [build-dir] [scenario-name-substring]
# E2E_KEEP=1 keeps the work directory; FLEET_NO_RGW=1 skips the RGW part.
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${1:-$root/build}"
ONLY="${2:-}"
FOTA="$BUILD/tools/fota"
work="$(mktemp -d "${TMPDIR:-/tmp}/fota-fleet.XXXXXX")"
export S3_LOCAL_STATE="$work/s3" RGW_LOCAL_STATE="$work/rgw"
BUCKET=fleet AK=S3RVER SK=S3RVER
. "$root/scripts/fota-release-lib.sh"
. "$root/tests/e2e/e2e-lib.sh"
cleanup() {
  bash "$root/scripts/rgw-local.sh" stop >/dev/null 2>&1
  e2e_end_servers
}
trap cleanup EXIT
e2e_begin

# fails <name> <fault rules>: a fresh device with release 1.1.0 whose one
# agent run under the faults must fail; $out holds its summary, $D/agent.log
# what it said.
fails() {
  fresh "$1"; release "$D/rel" 1.1.0 2 0 65536 || return 1
  faults "$2"
  out=$(agent --once) && { why "agent succeeded: $out"; return 1; }
  return 0
}
# said <regex>: the agent's log says it.
said() { grep -Eq "$1" "$D/agent.log" || why "agent did not say '$1': $(tail -3 "$D/agent.log")"; }

# ---- errors that say what happened (fault proxy) ------------------------------

s_redirect() {
  fails redirect '[{"match":"manifest.json","status":301,"code":"PermanentRedirect",
    "message":"The bucket you are attempting to access must be addressed using the specified endpoint.",
    "headers":{"x-amz-bucket-region":"eu-west-1"}}]' || return 1
  grep -q "error=redirect: bucket in another region " <<<"$out" || why "$out" || return 1
  said "GET $PROXY/$BUCKET/p-redirect/manifest.json: HTTP 301 PermanentRedirect: .*; redirect: bucket is in eu-west-1" &&
    untouched
}
s_image_307() {
  # A 307 on the image ends the cycle at once: no four "interrupted" retries.
  fails img307 '[{"match":"1.1.0/slot-b.img","status":307,"code":"TemporaryRedirect","count":9,
    "headers":{"x-amz-bucket-region":"ap-south-1"}}]' || return 1
  [ "$(statuses 1.1.0/slot-b.img)" = "307 " ] || why "image statuses: $(statuses 1.1.0/slot-b.img)" || return 1
  said "redirect: bucket is in ap-south-1" && ! grep -q "interrupted" "$D/agent.log"
}
s_skew() {
  fails skew '[{"match":"manifest.json","status":403,"code":"RequestTimeTooSkewed",
    "message":"The difference between the request time and the current time is too large.",
    "date_offset_s":-1203}]' || return 1
  grep -q "error=clock skew " <<<"$out" || why "$out" || return 1
  said "clock skew: device is 120[234] s ahead \(server Date [A-Z][a-z]{2}, [0-9]{2} " &&
    said "signing with the server's time"
}
s_access_denied() {
  fails denied '[{"match":"manifest.json","status":403,"code":"AccessDenied","message":"Access Denied"}]' || return 1
  grep -q "error=refused by policy " <<<"$out" || why "$out" || return 1
  said "HTTP 403 AccessDenied: Access Denied; access denied by the bucket policy"
}
s_refused() {
  fresh refused
  out=$(AGENT_ENDPOINT=http://127.0.0.1:1 agent --once) && { why "agent succeeded"; return 1; }
  grep -q "error=cannot connect (refused or unreachable) " <<<"$out" || why "$out" || return 1
  said "GET http://127.0.0.1:1/$BUCKET/p-refused/manifest.json: cannot connect"
}
s_dns() {
  fresh dns
  out=$(AGENT_ENDPOINT=http://no-such-host.invalid agent --once) && { why "agent succeeded"; return 1; }
  grep -q "error=host name not resolved " <<<"$out" || why "$out" || return 1
  said "GET http://no-such-host.invalid/$BUCKET/p-dns/manifest.json: host name not resolved"
}
s_no_bucket() {
  fresh nobucket; release "$D/rel" 1.1.0 2 0 65536 || return 1
  out=$(AGENT_BUCKET=no-such-bucket agent --once) && { why "agent succeeded"; return 1; }
  grep -q "error=no such bucket " <<<"$out" || why "$out" || return 1
  said "HTTP 404 NoSuchBucket: .*; no such bucket: no-such-bucket"
}
s_dropped() {
  # Every image session cut mid-body: the cycle fails as "connection
  # dropped", naming how far the body got.
  fails dropped '[{"match":"1.1.0/slot-b.img","cut_after":3000,"count":9}]' || return 1
  grep -q "error=connection dropped " <<<"$out" || why "$out" || return 1
  said "slot-b.img: connection dropped .*after [0-9]+ of [0-9]+ bytes"
}
s_downgrade() {
  fresh downgrade; release "$D/rel" 1.2.0 2 0 65536 || return 1
  release "$D/rel" 1.1.0 2 0 65536 2>"$D/pub.err" && { why "downgrade published"; return 1; }
  grep -q "refused: 1.1.0 is older than 1.2.0" "$D/pub.err" || why "$(cat "$D/pub.err")" || return 1
  s3get "$PREFIX/manifest.json" "$D/m.json" >/dev/null
  grep -q '"version": "1.2.0"' "$D/m.json" || why "manifest moved: $(cat "$D/m.json")"
}

# ---- on a real S3: Ceph RGW -----------------------------------------------------

RGW=
# on_rgw: the following fixtures and agents use RGW directly; the fault
# proxy ($PROXY) now forwards to RGW too.
on_rgw() {
  if [ -z "$RGW" ]; then
    local t0=$SECONDS
    RGW=$(bash "$root/scripts/rgw-local.sh" start "$BUCKET") || { RGW=; return 1; }
    echo "  rgw: started in $((SECONDS - t0)) s at $RGW"
    e2e_proxy_stop
    e2e_proxy_start "$RGW" || { RGW=; return 1; }
  fi
  ENDPOINT=$RGW AGENT_ENDPOINT=$RGW AK=FOTARGW SK=FOTARGWSECRET
}
# report_ms <report file> <phase>: the phase's time in a device report.
report_ms() { sed -n "s/.*\"phase_ms\":{[^}]*\"$2\":\([0-9]*\).*/\1/p" "$1"; }
# etag_of <key>: the object's ETag as RGW gives it (with the quotes).
etag_of() {
  curl -s -o /dev/null -D - -I --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" \
    -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
    "$ENDPOINT/$BUCKET/$1" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p'
}
# multipart_put <key> <file>: upload the file as a one-part multipart upload
# with awscli (S3 and RGW refuse parts under 5 MiB except the last, so a
# small image makes one part); its ETag becomes "<md5 of the part MD5s>-1".
multipart_put() {
  local up part
  export AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK" AWS_DEFAULT_REGION=us-east-1
  up=$(aws --endpoint-url "$ENDPOINT" s3api create-multipart-upload --bucket "$BUCKET" \
    --key "$1" --query UploadId --output text) || return 1
  part=$(aws --endpoint-url "$ENDPOINT" s3api upload-part --bucket "$BUCKET" --key "$1" \
    --part-number 1 --upload-id "$up" --body "$2" --query ETag --output text) || return 1
  aws --endpoint-url "$ENDPOINT" s3api complete-multipart-upload --bucket "$BUCKET" \
    --key "$1" --upload-id "$up" \
    --multipart-upload "{\"Parts\":[{\"ETag\":$part,\"PartNumber\":1}]}" >/dev/null
}
s_rgw_happy() {
  on_rgw || why "RGW did not start" || return 1
  fresh rgw-happy; release "$D/rel" 1.1.0 2 0 200000 || return 1
  out=$(agent --once) || why "agent failed: $out" || return 1
  [ "$(field outcome "$out")" = updated ] && running | grep -q "slot B, version 1.1.0" || why "$out" || return 1
  # The report landed under the device's own key, SigV4-checked by RGW,
  # with the time of each phase (the trial at least one observe wait).
  [ "$(s3get "$PREFIX/reports/dev-$PREFIX.json" "$D/rep.json")" = 200 ] &&
    grep -q '"state":"updated"' "$D/rep.json" || why "report: $(cat "$D/rep.json")" || return 1
  local p
  for p in check download flash trial; do
    [ "$(report_ms "$D/rep.json" $p)" -gt 0 ] 2>/dev/null || why "$p time: $(cat "$D/rep.json")" || return 1
  done
}
s_rgw_replaced_multipart() {
  # A download cut every 30,000 bytes (four sessions) keeps what is
  # durable; the image is then
  # replaced by the same bytes uploaded as a multipart upload (ETag
  # "...-1"). The resumed request's If-Match names the old ETag: RGW answers
  # 412 and the agent starts again at 0 under the new ETag, is cut again,
  # resumes with If-Match "...-1" (206) and installs; the report counts the
  # restart.
  on_rgw || return 1
  fresh rgw-412; release "$D/rel" 1.1.0 2 0 200000 || return 1
  local key old new r
  key=$(image_key 1.1.0 b)
  faults '[{"match":"1.1.0/slot-b.img","cut_after":30000,"count":9}]'
  out=$(AGENT_ENDPOINT=$PROXY agent --once) && { why "cut agent succeeded: $out"; return 1; }
  grep -q "error=connection dropped " <<<"$out" || why "$out" || return 1
  old=$(etag_of "$key")
  multipart_put "$key" "$D/rel/1.1.0/slot-b.img" || why "multipart upload failed" || return 1
  new=$(etag_of "$key")
  [[ "$new" == *'-1"' ]] && [ "$new" != "$old" ] || why "ETag $old -> $new" || return 1
  mark
  faults '[{"match":"1.1.0/slot-b.img","skip":1,"cut_after":70000}]'
  out=$(AGENT_ENDPOINT=$PROXY agent --once) || why "agent failed: $out" || return 1
  [ "$(field outcome "$out")" = updated ] && [ "$(field restarts "$out")" = 1 ] &&
    [ "$(field resumes "$out")" = 2 ] || why "$out" || return 1
  [ "$(statuses 1.1.0/slot-b.img)" = "412 206 206 " ] || why "statuses: $(statuses 1.1.0/slot-b.img)" || return 1
  read -r -a r <<<"$(ranges 1.1.0/slot-b.img)"
  [ "${#r[@]}" = 3 ] && [ "${r[0]}" -gt 0 ] && [ "${r[1]}" = 0 ] && [ "${r[2]}" -gt 0 ] ||
    why "ranges: ${r[*]}" || return 1
  plog | grep -F 1.1.0/slot-b.img | head -1 | grep -qF "\"if_match\":\"${old//\"/\\\"}\"" &&
    plog | grep -F 1.1.0/slot-b.img | tail -1 | grep -qF "\"if_match\":\"${new//\"/\\\"}\"" ||
    why "If-Match: $(plog | grep -F 1.1.0/slot-b.img)" || return 1
  said "fetch: image changed, restarting at 0" || return 1
  [ "$(s3get "$PREFIX/reports/dev-$PREFIX.json" "$D/rep.json")" = 200 ] &&
    grep -q '"download_restarts":1,' "$D/rep.json" &&
    grep -q "\"bytes_downloaded\":$(stat -c %s "$D/rel/1.1.0/slot-b.img")," "$D/rep.json" ||
    why "report: $(cat "$D/rep.json")"
}
s_rgw_tilde_key() {
  # A prefix with '~' (unreserved: SigV4 leaves it unencoded). The project
  # signs and sends it as '~' and RGW accepts every request; curl's signer
  # given the same path as %7E signs it as written and RGW, which
  # canonicalises it back to '~', refuses the signature.
  on_rgw || return 1
  fresh rgw-tilde; PREFIX="p-rgw~tilde"
  release "$D/rel" 1.1.0 2 0 65536 || return 1
  out=$(agent --once) || why "agent failed: $out" || return 1
  [ "$(field outcome "$out")" = updated ] && [ "$(field reports "$out")" = 1 ] || why "$out" || return 1
  out=$(fcmd fleet status --prefix "$PREFIX") || why "status: $out" || return 1
  grep -q "fleet: version=1.1.0 devices=1 updated=1 " <<<"$out" || why "status: $out" || return 1
  [ "$(s3get "p-rgw~tilde/manifest.json" "$D/m.json")" = 200 ] || why "GET with ~ refused" || return 1
  [ "$(s3get "p-rgw%7Etilde/manifest.json" "$D/m7e.json")" = 403 ] &&
    grep -q "<Code>SignatureDoesNotMatch</Code>" "$D/m7e.json" || why "%7E: $(cat "$D/m7e.json")"
}
s_rgw_wrong_secret() {
  on_rgw || return 1
  fresh rgw-secret; release "$D/rel" 1.1.0 2 0 65536 || return 1
  out=$(SK=not-the-secret agent --once) && { why "agent succeeded"; return 1; }
  grep -q "error=authentication failed " <<<"$out" || why "$out" || return 1
  said "HTTP 403 SignatureDoesNotMatch.*; check the access key and secret" && untouched
}
s_rgw_clock_skew() {
  # The device's clock 1203 s fast: RGW refuses the signature as too
  # skewed; the agent names the skew from RGW's Date and signs the next
  # cycle with the server's time, which RGW accepts.
  on_rgw || return 1
  fresh rgw-skew; release "$D/rel" 1.1.0 2 0 65536 || return 1
  out=$(FOTA_AGENT_CLOCK_OFFSET_S=1203 agent --interval 0 --cycles 2)
  said "HTTP 403 RequestTimeTooSkewed.*clock skew: device is 120[234] s ahead" || return 1
  [ "$(field outcome "$out")" = updated ] || why "second cycle: $out" || return 1
  running | grep -q "slot B, version 1.1.0"
}
s_rgw_no_bucket() {
  on_rgw || return 1
  fresh rgw-nobucket
  out=$(AGENT_BUCKET=no-such-bucket agent --once) && { why "agent succeeded"; return 1; }
  grep -q "error=no such bucket " <<<"$out" || why "$out" || return 1
  said "HTTP 404 NoSuchBucket"
}

# ---- signed manifests on RGW ---------------------------------------------------

# mkeys: a release-manifest key (MKEY) and its public half for the agent.
mkeys() {
  [ -f "$work/manifest.key" ] && return 0
  "$FOTA" key gen -o "$work/manifest.key" >/dev/null &&
    "$FOTA" key pub "$work/manifest.key" -o "$work/manifest.pub" >/dev/null
}
# sagent: the agent requiring manifests signed by that key.
sagent() { agent --manifest-pubkey "$work/manifest.pub" "$@"; }
# srelease <dir> <version> [expires-in-s]: a signed release.
srelease() {
  RELEASE_ARGS="--manifest-key $work/manifest.key --expires-in ${3:-3600}" \
    release "$1" "$2" 2 0 65536
}
refused() { # refused <summary error text>: failed, named, nothing fetched
  grep -q "outcome=error error=$1 " <<<"$out" && [ "$(field image_requests "$out")" = 0 ] &&
    [ "$(field flashes "$out")" = 0 ] || why "$out"
}
s_signed() {
  on_rgw || return 1
  mkeys || why "fota key gen failed" || return 1
  fresh signed; srelease "$D/rel" 1.1.0 || return 1
  s3get "$PREFIX/manifest.json" "$D/seq1.json" >/dev/null
  grep -q '"sequence": 1' "$D/seq1.json" && grep -q ',"signature":"ed25519:' "$D/seq1.json" ||
    why "not signed: $(cat "$D/seq1.json")" || return 1
  srelease "$D/rel" 1.2.0 || return 1
  out=$(sagent --once) || why "agent failed: $out" || return 1
  [ "$(field outcome "$out")" = updated ] && running | grep -q "slot B, version 1.2.0" || why "$out" || return 1
  # Replay: the older, validly signed manifest (sequence 1) put back.
  s3put "$PREFIX/manifest.json" "$D/seq1.json" application/json || return 1
  out=$(sagent --once) && { why "replay accepted: $out"; return 1; }
  refused "manifest older than one accepted (replay)" || return 1
  said "manifest 1.1.0 refused: sequence 1 is below 2, the highest accepted" || return 1
  # Tampered: the current manifest with one byte changed (rollout 100 -> 10).
  srelease "$D/rel" 1.3.0 || return 1
  s3get "$PREFIX/manifest.json" "$D/cur.json" >/dev/null
  sed 's/"rollout_percent": 100/"rollout_percent": 10/' "$D/cur.json" > "$D/tampered.json"
  s3put "$PREFIX/manifest.json" "$D/tampered.json" application/json || return 1
  out=$(sagent --once) && { why "tampered accepted: $out"; return 1; }
  refused "authentication failed" && said "signature: does not verify \(manifest altered\)" || return 1
  # Unsigned (published without the key).
  SALT=u release "$D/relu" 1.4.0 2 0 65536 || return 1
  out=$(sagent --once) && { why "unsigned accepted: $out"; return 1; }
  refused "manifest not signed" || return 1
  # Expired: signed to expire in 1 s, read 2 s later.
  srelease "$D/rel" 1.5.0 1 || return 1
  sleep 2
  out=$(sagent --once) && { why "expired accepted: $out"; return 1; }
  refused "manifest expired" && said "manifest 1.5.0 refused: expired at " || return 1
  running | grep -q "slot B, version 1.2.0" || why "not on 1.2.0: $(running)"
}

# ---- fleet status arithmetic on RGW --------------------------------------------

# putreport <prefix> <device> <json>: a device report as the agent writes it.
putreport() { printf '%s\n' "$3" > "$work/rep.json" && s3put "$1/reports/$2.json" "$work/rep.json" application/json; }
s_status_aggregates() {
  # Crafted reports: four timed 1.2.0 updates (median is the lower one of
  # the sorted times), one 1.2.0 failure (counted, not timed), one report
  # of an older agent without phase_ms and one with a malformed one (both
  # counted, neither timed), and 1.1.0 rejected by three of them.
  # (On RGW: s3rver 3.7.1 answers 500 to a truncated ListObjectsV2 page.)
  on_rgw || return 1
  local P=p-status r t
  D="$work/status"; mkdir -p "$D"
  t() { echo "\"phase_ms\":{\"check\":$1,\"download\":$2,\"flash\":$3,\"trial\":$4}"; }
  r='"running_version":"1.2.0","target_version":"1.2.0"'
  putreport $P d1 "{\"state\":\"updated\",$r,\"rejected\":[\"1.1.0\"],$(t 4 400 40 4000)}" &&
    putreport $P d2 "{\"state\":\"updated\",$r,\"rejected\":[],$(t 1 100 10 1000)}" &&
    putreport $P d3 "{\"state\":\"updated\",$r,\"rejected\":[\"1.0.5\",\"1.1.0\"],$(t 3 300 30 3000)}" &&
    putreport $P d4 "{\"state\":\"updated\",$r,\"rejected\":[],$(t 2 200 20 4294967295)}" &&
    putreport $P d5 "{\"state\":\"error\",$r,\"rejected\":[\"1.1.0\"],$(t 9 9 9 9)}" &&
    putreport $P d6 "{\"state\":\"updated\",$r,\"rejected\":[]}" &&
    putreport $P d7 "{\"state\":\"updated\",$r,\"rejected\":[],\"phase_ms\":{\"check\":-1}}" ||
    why "putting reports failed" || return 1
  out=$(fcmd fleet status --prefix $P --page-size 3) || why "status: $out" || return 1
  grep -qx "fleet: reports=7 unreadable=0 list_pages=3" <<<"$out" &&
    grep -qx "fleet: version=1.2.0 devices=7 updated=6 rolled_back=0 failed=1 pending=0 rejected_by=0" <<<"$out" &&
    grep -qx "fleet: version=1.1.0 devices=0 updated=0 rolled_back=0 failed=0 pending=0 rejected_by=3" <<<"$out" &&
    grep -qx "fleet: version=1.0.5 devices=0 updated=0 rolled_back=0 failed=0 pending=0 rejected_by=1" <<<"$out" &&
    grep -qx "fleet_times: version=1.2.0 timed=4 check_ms_p50=2 check_ms_max=4 download_ms_p50=200 download_ms_max=400 flash_ms_p50=20 flash_ms_max=40 trial_ms_p50=3000 trial_ms_max=4294967295" <<<"$out" &&
    [ "$(grep -c '^fleet_times:' <<<"$out")" = 1 ] || why "status: $out" || return 1
  out=$(fcmd fleet status --prefix $P --json) || why "status --json: $out" || return 1
  python3 -c 'import json,sys
v={x["version"]: x for x in json.load(sys.stdin)["versions"]}
t=v["1.2.0"]["phase_ms"]
assert t["timed"]==4 and t["download"]=={"p50":200,"max":400} and t["trial"]["max"]==4294967295, t
assert v["1.1.0"]["rejected_by"]==3 and v["1.1.0"]["phase_ms"]=={"timed":0}, v' <<<"$out" ||
    why "status --json: $out"
}

# ---- staged rollout and the fleet commands on RGW ------------------------------

# bucket <device-id> <version>: the device's rollout bucket (as the agent
# computes it: SHA-256(id || version), first 4 bytes big-endian, mod 100).
bucket() {
  python3 -c 'import hashlib,sys; d=hashlib.sha256((sys.argv[1]+sys.argv[2]).encode()).digest(); print(int.from_bytes(d[:4],"big")%100)' "$1" "$2"
}
# devices <n> <version> <lo> <hi>: n device ids whose bucket is in [lo, hi).
devices() {
  local i=0 found=0 b
  while [ $found -lt "$1" ]; do
    b=$(bucket "dev-$i" "$2")
    if [ "$b" -ge "$3" ] && [ "$b" -lt "$4" ]; then echo "dev-$i"; found=$((found + 1)); fi
    i=$((i + 1))
  done
}
# device <prefix> <id>: a fresh device of the shared prefix (D, DEVICE set).
device() {
  fresh "$1-$2"; PREFIX="p-$1" DEVICE=$2
}
fcmd() { AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK" "$FOTA" "$@" --endpoint "$ENDPOINT" --bucket "$BUCKET"; }
s_phases() {
  # Phase 1: 50% now; phase 2: 100% from 8 s after publishing. A phase-2
  # device polls before its start: waits, downloads nothing; after it:
  # updates. A phase-1 device updates at once.
  on_rgw || return 1; mkeys || return 1
  local early late t0
  early=$(devices 1 1.1.0 0 50) late=$(devices 1 1.1.0 50 100)
  device phases "$early"; local d1=$D
  t0=$SECONDS
  RELEASE_ARGS="--manifest-key $work/manifest.key --phases 50@+0,100@+8" \
    release "$work/rel-phases" 1.1.0 2 0 65536 || return 1
  out=$(sagent --once) || why "phase-1 device: $out" || return 1
  [ "$(field outcome "$out")" = updated ] || why "phase-1 device: $out" || return 1
  device phases "$late"
  out=$(sagent --once)
  [ "$(field outcome "$out")" = up_to_date ] && [ "$(field image_requests "$out")" = 0 ] || why "late device: $out" || return 1
  sleep $((8 - (SECONDS - t0) + 1))
  out=$(sagent --once) || why "after phase 2 start: $out" || return 1
  [ "$(field outcome "$out")" = updated ] || why "after phase 2 start: $out"
}
s_watch_halts() {
  # A release that never confirms: three devices roll back and report it;
  # the watch halts the rollout; a fourth device then does not install.
  on_rgw || return 1; mkeys || return 1
  local ids i
  ids=$(devices 4 1.1.0 0 100)
  RELEASE_ARGS="--manifest-key $work/manifest.key" PREFIX=p-watch \
    release "$work/rel-watch" 1.1.0 2 1 65536 || return 1
  for i in $(echo "$ids" | head -3); do
    device watch "$i"
    out=$(sagent --once) || why "$i: $out" || return 1
    [ "$(field outcome "$out")" = rolled_back ] || why "$i: $out" || return 1
  done
  out=$(fcmd fleet status --prefix p-watch --page-size 2) || why "status: $out" || return 1
  grep -q "fleet: reports=3 unreadable=0 list_pages=2" <<<"$out" &&
    grep -q "fleet: version=1.1.0 devices=3 updated=0 rolled_back=3 failed=0 pending=0 rejected_by=3" <<<"$out" &&
    grep -Eq "fleet_times: version=1.1.0 timed=3 check_ms_p50=[0-9]+ .* trial_ms_p50=[1-9][0-9]* trial_ms_max=[1-9]" <<<"$out" ||
    why "status: $out" || return 1
  out=$(fcmd fleet status --prefix p-watch --json) || why "status --json: $out" || return 1
  python3 -c 'import json,sys; v=json.load(sys.stdin)["versions"][0]; t=v["phase_ms"]
assert v["rejected_by"]==3 and t["timed"]==3 and t["trial"]["p50"]>0 and t["trial"]["max"]>=t["trial"]["p50"], v' <<<"$out" ||
    why "status --json: $out" || return 1
  out=$(fcmd fleet watch --prefix p-watch --halt-if 'rolled_back+failed > 50% after 4' \
    --manifest-key "$work/manifest.key") || why "watch: $out" || return 1
  grep -q "too few finished yet" <<<"$out" && grep -q "continues" <<<"$out" || why "watch: $out" || return 1
  out=$(fcmd fleet watch --prefix p-watch --halt-if 'rolled_back+failed > 50% after 3' \
    --manifest-key "$work/manifest.key") || why "watch: $out" || return 1
  grep -q "criterion met: halted 1.1.0 under p-watch" <<<"$out" || why "watch: $out" || return 1
  device watch "$(echo "$ids" | tail -1)"
  out=$(sagent --once) || why "fourth: $out" || return 1
  [ "$(field outcome "$out")" = up_to_date ] && [ "$(field image_requests "$out")" = 0 ] && untouched ||
    why "fourth device: $out" || return 1
  # Resumed: it installs (and rolls back, like the others).
  fcmd release resume --prefix p-watch --manifest-key "$work/manifest.key" >/dev/null || return 1
  out=$(sagent --once) || why "after resume: $out" || return 1
  [ "$(field outcome "$out")" = rolled_back ] || why "after resume: $out"
}

check redirect_names_region s_redirect
check image_redirect_not_retried s_image_307
check clock_skew_from_server_date s_skew
check access_denied_named s_access_denied
check connection_refused_named s_refused
check dns_failure_named s_dns
check no_such_bucket_named s_no_bucket
check dropped_body_named s_dropped
check publish_refuses_downgrade s_downgrade
if [ -z "${FLEET_NO_RGW:-}" ]; then
  check rgw_signed_update_and_report s_rgw_happy
  check rgw_412_on_replaced_image_multipart_etag s_rgw_replaced_multipart
  check rgw_tilde_key_signed_as_unreserved s_rgw_tilde_key
  check rgw_wrong_secret_named s_rgw_wrong_secret
  check rgw_clock_skew_then_server_time s_rgw_clock_skew
  check rgw_no_such_bucket_named s_rgw_no_bucket
  check rgw_signed_manifest_replay_tamper_unsigned_expired s_signed
  check rgw_two_phases_second_waits s_phases
  check rgw_fleet_watch_halts_after_rollbacks s_watch_halts
  check rgw_fleet_status_aggregates_reports s_status_aggregates
fi

e2e_summary
