#!/usr/bin/env bash
# The Debian package, installed and run: packaging/deb.sh builds
# fota-agent from the build under test, dpkg installs it into a scratch
# root (dpkg --root, maintainer scripts run chroot-less with DPKG_ROOT
# set; without root rights the package is unpacked with dpkg -x), and the
# installed /usr/bin/fota runs `fota agent --config` with the installed
# /etc/fota-agent.conf's keys (pointed at a local s3rver) for one update
# of the host-model target (--target sim:FILE on the command line, which
# drops the file's spidev/GPIO keys) and of the gateway itself (the
# file's gateway-* keys enabled): exit 75, then the restart proves the
# new gateway version. Also: the unit passes
# systemd-analyze verify, journald priority prefixes appear when
# JOURNAL_STREAM names stderr, and a bad config line is refused by name.
# Ends with "deb-test: checks=<n> ok"; exit status 0 only if all hold.
#   tests/deb/run.sh [build-dir]
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${1:-$root/build}"
FOTA="$BUILD/tools/fota"
work="$(mktemp -d "${TMPDIR:-/tmp}/fota-deb-test.XXXXXX")"
export S3_LOCAL_STATE="$work/s3"
BUCKET=debtest PREFIX=gw AK=S3RVER SK=S3RVER
cleanup() {
  bash "$root/scripts/s3-local.sh" stop >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
checks=0
fail() { echo "deb-test: FAIL $*"; exit 1; }
ok() { checks=$((checks + 1)); }
[ -x "$FOTA" ] || fail "$FOTA missing (build first)"

# 1. Build the package; look at what it declares.
out=$(bash "$root/packaging/deb.sh" "$FOTA" "$work/out" 9.8.7) || fail "deb.sh: $out"
deb=$(sed -n 's/^deb: \([^ ]*\) .*/\1/p' <<<"$out")
[ -f "$deb" ] || fail "no package: $out"
[ "$(dpkg-deb -f "$deb" Package)" = fota-agent ] && [ "$(dpkg-deb -f "$deb" Version)" = 9.8.7 ] ||
  fail "control: $(dpkg-deb -f "$deb")"
dpkg-deb -f "$deb" Depends | grep -q libcurl || fail "Depends lacks libcurl: $(dpkg-deb -f "$deb" Depends)"
ok
list=$(dpkg-deb -c "$deb")
for p in ./usr/bin/fota ./lib/systemd/system/fota-agent.service ./etc/fota-agent.conf; do
  grep -q " $p\$" <<<"$list" || fail "package lacks $p"
done
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qx /etc/fota-agent.conf ||
  fail "/etc/fota-agent.conf is no conffile"
ok

# 2. Install into a scratch root.
R="$work/root"
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/var/lib/dpkg/triggers"
: > "$R/var/lib/dpkg/status"; : > "$R/var/lib/dpkg/available"
dflags=(--root="$R" --log=/dev/null --force-script-chrootless --force-depends)
[ "$(id -u)" = 0 ] || dflags+=(--force-not-root)
if dpkg "${dflags[@]}" -i "$deb" > "$work/dpkg.log" 2>&1; then
  dpkg "${dflags[@]}" -s fota-agent 2>/dev/null | grep -q '^Status: install ok installed' ||
    fail "dpkg --root does not list fota-agent as installed"
  how="dpkg --root"
else
  # No dpkg database rights: the files as they would land.
  dpkg -x "$deb" "$R" || fail "dpkg -x: $(cat "$work/dpkg.log")"
  how="dpkg -x"
fi
[ -x "$R/usr/bin/fota" ] && [ -f "$R/lib/systemd/system/fota-agent.service" ] &&
  [ -f "$R/etc/fota-agent.conf" ] || fail "installed tree incomplete ($how)"
ok

# 3. The unit as systemd reads it (ExecStart resolved inside the root).
if systemd-analyze --help 2>/dev/null | grep -q -- '--root'; then
  v=$(systemd-analyze verify --root="$R" "$R/lib/systemd/system/fota-agent.service" 2>&1 |
      grep -v 'Unit [a-z.-]*\.target not found\|Cannot add dependency')
  [ -z "$v" ] || fail "systemd-analyze verify: $v"
fi
for k in ProtectSystem=strict NoNewPrivileges=yes StateDirectory=fota-agent DevicePolicy=closed \
         'DeviceAllow=char-spi rw' 'DeviceAllow=char-gpiochip rw' User=fota \
         'ExecStart=/usr/bin/fota agent --config /etc/fota-agent.conf' \
         SuccessExitStatus=75 RestartForceExitStatus=75 Restart=on-failure; do
  grep -qx "$k" "$R/lib/systemd/system/fota-agent.service" || fail "unit lacks $k"
done
ok

# 4. A bad line is refused, naming file, line and key.
printf 'endpoint=http://x\nbuckt=b\n' > "$work/bad.conf"
msg=$("$R/usr/bin/fota" agent --config "$work/bad.conf" 2>&1) && fail "bad config accepted"
grep -q "bad.conf:2: unknown key 'buckt'" <<<"$msg" || fail "bad config message: $msg"
ok

# 5. One update from the local S3 with the installed binary and config.
. "$root/scripts/fota-release-lib.sh"
ENDPOINT="$(bash "$root/scripts/s3-local.sh" start "$BUCKET")" || fail "s3rver did not start"
D="$work/dev"; mkdir -p "$D"
mkraw a 32768 1 "$D/f.bin"
"$FOTA" image pack --slot a --version 1.0.0 --sec-counter 1 "$D/f.bin" -o "$D/f.img" >/dev/null &&
  "$FOTA" agent sim-install --flash "$D/flash.bin" --slot a "$D/f.img" >/dev/null || fail "device setup"
# The release carries the gateway's own image too: the config's gateway
# keys (uncommented below) make the agent install it after the STM32's.
head -c 40000 /dev/urandom > "$D/gw.bin"
RELEASE_ARGS="--gateway-image $D/gw.bin --gateway-version 2.0.0 --gateway-product deb-gateway" \
  release "$work/rel" 1.1.0 2 0 65536 || fail "publish"
conf="$work/fota-agent.conf"
sed -e "s|^endpoint=.*|endpoint=$ENDPOINT|" -e "s|^bucket=.*|bucket=$BUCKET|" \
    -e "s|^prefix=.*|prefix=$PREFIX|" -e "s|^state-dir=.*|state-dir=$D/state|" \
    -e "s|^#access-key=.*|access-key=$AK|" -e "s|^#secret-key=.*|secret-key=$SK|" \
    -e "s|^region=.*|region=us-east-1|" -e "s|^device-id=.*|device-id=deb-gw|" \
    -e "s|^#gateway-product=.*|gateway-product=deb-gateway|" \
    -e "s|^#gateway-dir=.*|gateway-dir=$D/gwslots|" \
    -e "s|^#gateway-version=.*|gateway-version=1.5.0|" \
    "$R/etc/fota-agent.conf" > "$conf"
grep -q '^spi=' "$conf" || fail "installed config has no spi= line to override"
for k in gateway-product gateway-dir gateway-version; do
  grep -q "^$k=" "$conf" || fail "installed config has no #$k= line to enable"
done
# stderr to a file whose device:inode JOURNAL_STREAM names, as systemd does.
: > "$work/journal"
js=$(stat -c '%d:%i' "$work/journal")
res=$(JOURNAL_STREAM=$js "$R/usr/bin/fota" agent --config "$conf" \
        --target "sim:$D/flash.bin" --once --timeout-ms 5000 2>>"$work/journal"); rc=$?
# 75: the gateway image was installed, start me again (the unit's
# RestartForceExitStatus=75).
[ "$rc" = 75 ] || fail "agent: exit $rc (want 75): $res / $(tail -5 "$work/journal")"
[ "$(field outcome "$res")" = "updated" ] || fail "outcome: $res"
gw=$(grep '^<[0-7]>gateway:' <<<"$res")
[ "$(field outcome "$gw")" = installed ] && [ "$(field restart "$gw")" = yes ] ||
  fail "gateway side: $res"
[ "$(sed -n 's/^active //p' "$D/gwslots/boot")" = b ] && cmp -s "$D/gw.bin" "$D/gwslots/slot-b" ||
  fail "gateway slot: $(cat "$D/gwslots/boot" 2>&1)"
"$FOTA" agent sim-status --flash "$D/flash.bin" | grep -q "slot B, version 1.1.0" ||
  fail "device does not run 1.1.0: $("$FOTA" agent sim-status --flash "$D/flash.bin")"
ok
grep -q '^<6>' <<<"$res" || fail "summary without priority prefix: $res"
[ -s "$work/journal" ] && ! grep -v '^<[0-7]>' "$work/journal" | grep -q . ||
  fail "journal lines without a priority: $(grep -v '^<[0-7]>' "$work/journal" | head -3)"
! grep -q $'\e\|\r' "$work/journal" || fail "escape or CR in journal output"
ok
# The restart the unit forces: 2.0.0 on trial reaches S3 and the STM32.
res=$("$R/usr/bin/fota" agent --config "$conf" --target "sim:$D/flash.bin" --once \
        --timeout-ms 5000 2>>"$work/journal"); rc=$?
gw=$(grep '^gateway:' <<<"$res")
[ "$rc" = 0 ] && [ "$(field outcome "$gw")" = proven ] && [ "$(field running "$gw")" = 2.0.0 ] ||
  fail "restart after the gateway install: exit $rc: $res"
ok
echo "deb-test: $how checks=$checks ok"
