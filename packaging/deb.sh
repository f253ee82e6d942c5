#!/usr/bin/env bash
# Build the Debian package fota-agent with dpkg-deb: /usr/bin/fota, the
# systemd unit, /etc/fota-agent.conf (a conffile), the Linux gateway
# guide. Depends: from dpkg-shlibdeps on the binary.
#
#   packaging/deb.sh FOTA_BINARY OUT_DIR [VERSION]     (make deb)
# Prints "deb: <file> version=<v> arch=<a> bytes=<n>".
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin=${1:?usage: $0 FOTA_BINARY OUT_DIR [VERSION]}
out=${2:?usage: $0 FOTA_BINARY OUT_DIR [VERSION]}
version=${3:-0.2.0}
[ -x "$bin" ] || { echo "deb: $bin is no executable (build it first)" >&2; exit 1; }
for t in dpkg-deb dpkg-shlibdeps dpkg-architecture fakeroot; do
  command -v "$t" >/dev/null || { echo "deb: $t missing (Debian: dpkg-dev, fakeroot)" >&2; exit 1; }
done
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
mkdir -p "$out"
stage="$(mktemp -d "${TMPDIR:-/tmp}/fota-deb.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
pkg="$stage/pkg"
install -D -m 0755 "$bin" "$pkg/usr/bin/fota"
install -D -m 0644 "$root/packaging/fota-agent.service" "$pkg/lib/systemd/system/fota-agent.service"
install -D -m 0640 "$root/packaging/fota-agent.conf" "$pkg/etc/fota-agent.conf"
install -D -m 0644 "$root/docs/gateway-linux.md" "$pkg/usr/share/doc/fota-agent/gateway-linux.md"
mkdir -p "$pkg/DEBIAN"
for s in postinst prerm postrm; do install -m 0755 "$root/packaging/deb/$s" "$pkg/DEBIAN/$s"; done
echo /etc/fota-agent.conf > "$pkg/DEBIAN/conffiles"
# dpkg-shlibdeps wants a source package's debian/control beside it.
mkdir -p "$stage/src/debian"
printf 'Source: fota-agent\n\nPackage: fota-agent\nArchitecture: any\n' > "$stage/src/debian/control"
deps=$(cd "$stage/src" && dpkg-shlibdeps -O -e "$pkg/usr/bin/fota" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$deps" ] || { echo "deb: dpkg-shlibdeps found no dependencies of $bin" >&2; exit 1; }
size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@DEPENDS@|$deps|" \
  -e "s|@SIZE@|$size|" "$root/packaging/deb/control.in" > "$pkg/DEBIAN/control"
deb="$out/fota-agent_${version}_${arch}.deb"
fakeroot dpkg-deb --build --root-owner-group "$pkg" "$deb" >/dev/null
echo "deb: $deb version=$version arch=$arch bytes=$(stat -c %s "$deb")"
