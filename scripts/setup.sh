#!/usr/bin/env bash
# Installs what the project needs (Debian packages, npm packages). Idempotent
# and quick when everything is already there; called by the Makefile.
set -euo pipefail

APT_PACKAGES=(
  build-essential cmake pkg-config
  gcc-arm-none-eabi libnewlib-arm-none-eabi
  libcmocka-dev
  clang libclang-rt-14-dev
  stm32flash socat
  libunicorn-dev libcapstone-dev qemu-system-arm
  libcurl4-openssl-dev libcjson-dev
  libgpiod-dev
  nodejs python3
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done

# Some images ship Node.js with npm bundled (a "nodejs" that conflicts with
# Debian's npm package); ask for Debian's npm only when npm is absent.
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages (the local S3 API server) live in the repository's tools/node.
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ -f "$root/tools/node/package.json" ] && [ ! -x "$root/tools/node/node_modules/.bin/s3rver" ]; then
  echo "setup: installing npm packages"
  (cd "$root/tools/node" && npm install --no-audit --no-fund --silent)
fi
