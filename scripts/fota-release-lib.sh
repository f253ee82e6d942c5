# Shell helpers shared by scripts/demo.sh and tests/e2e/run.sh: build test
# payloads, pack them, publish a release to an S3 endpoint with
# `fota release publish` (and, for the deliberately broken releases of the
# tests, raw uploads with curl's SigV4 signer). Source it; needs $FOTA
# (the fota binary), $ENDPOINT, $BUCKET, $PREFIX, $AK/$SK.

# mkraw <slot a|b> <size> <seed> <out>: a raw body linked for the slot:
# vector table (MSP top of SRAM, reset handler inside the body), then
# seeded pseudo-random bytes.
mkraw() {
  python3 - "$1" "$2" "$3" "$4" <<'PY'
import random, struct, sys
slot, size, seed, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
base = 0x08020200 if slot == 'a' else 0x08080200
r = random.Random(seed)
body = struct.pack('<II', 0x2001FFF0, base + 0x101) + bytes(r.getrandbits(8) for _ in range(size - 8))
open(out, 'wb').write(body)
PY
}

# s3put <key> <file> [content-type]
s3put() {
  local sha code
  sha=$(sha256sum "$2" | cut -d' ' -f1)
  code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary "@$2" \
    --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" \
    -H "x-amz-content-sha256: $sha" -H "Content-Type: ${3:-application/octet-stream}" \
    "$ENDPOINT/$BUCKET/$1")
  [ "$code" = 200 ] || { echo "PUT $1: HTTP $code" >&2; return 1; }
}

# s3get <key> <out>: prints the HTTP code
s3get() {
  curl -s -o "$2" -w '%{http_code}' --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" \
    -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
    "$ENDPOINT/$BUCKET/$1"
}

# build_pair <dir> <version> <sec> <flags> <body-size>: pack
# <dir>/<version>/slot-a.img and slot-b.img (bodies seeded by the version
# and $SALT, so the same version always gives the same bytes unless SALT
# differs).
build_pair() {
  local dir=$1 ver=$2 sec=$3 flags=$4 size=$5 s
  mkdir -p "$dir/$ver"
  for s in a b; do
    mkraw $s "$size" "$(echo "$ver$s${SALT:-}" | cksum | cut -d' ' -f1)" "$dir/$ver/$s.bin"
    "$FOTA" image pack --slot $s --version "$ver" --sec-counter "$sec" --flags "$flags" \
      "$dir/$ver/$s.bin" -o "$dir/$ver/slot-$s.img" >/dev/null || return 1
  done
}

# release <dir> <version> <sec> <flags> <body-size>: pack the pair and
# publish it with `fota release publish` (images under
# <prefix>/<version>/, then the manifest). RELEASE_VERBOSE=1 shows what
# the publisher printed; RELEASE_ARGS adds options (--manifest-key ...).
release() {
  build_pair "$@" || return 1
  AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK" AWS_SESSION_TOKEN= \
    "$FOTA" release publish --endpoint "$ENDPOINT" --bucket "$BUCKET" --prefix "$PREFIX" \
    --slot-a "$1/$2/slot-a.img" --slot-b "$1/$2/slot-b.img" ${RELEASE_ARGS:-} >"$1/$2/publish.out" 2>&1 ||
    { cat "$1/$2/publish.out" >&2; return 1; }
  [ -z "${RELEASE_VERBOSE:-}" ] || cat "$1/$2/publish.out"
}

# image_key <version> <a|b>: where `fota release publish` puts an image.
image_key() { echo "$PREFIX/$1/slot-$2.img"; }

# release_manual <dir> <version> <sec> <flags> <body-size> [sha-override]:
# the same pair uploaded with curl and a hand-written manifest, for
# releases the publisher rightly refuses to produce (a manifest whose
# SHA-256 does not match its images, a version's objects replaced).
release_manual() {
  build_pair "$1" "$2" "$3" "$4" "$5" || return 1
  publish_manual "$1" "$2" "$3" "${6:-}"
}

# publish_manual <dir> <version> <sec> [sha-override]: upload a pair made
# by build_pair and its manifest with curl.
publish_manual() {
  local dir=$1 ver=$2 sec=$3 badsha=${4:-} s sa sb za zb
  for s in a b; do s3put "$(image_key "$ver" $s)" "$dir/$ver/slot-$s.img" || return 1; done
  sa=$(sha256sum "$dir/$ver/slot-a.img" | cut -d' ' -f1)
  sb=$(sha256sum "$dir/$ver/slot-b.img" | cut -d' ' -f1)
  [ -n "$badsha" ] && { sa=$badsha; sb=$badsha; }
  za=$(stat -c %s "$dir/$ver/slot-a.img")
  zb=$(stat -c %s "$dir/$ver/slot-b.img")
  cat > "$dir/$ver/manifest.json" <<JSON
{"format":1,"product":"stm32f407-disco","version":"$ver","security_counter":$sec,
 "rollout_percent":100,"published_at":"$(date -u +%Y-%m-%dT%H:%M:%SZ)",
 "slots":{"a":{"key":"$(image_key "$ver" a)","size":$za,"sha256":"$sa"},
          "b":{"key":"$(image_key "$ver" b)","size":$zb,"sha256":"$sb"}}}
JSON
  s3put "$PREFIX/manifest.json" "$dir/$ver/manifest.json" application/json
}

# field <key> <agent summary line>: value of key=value
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -1; }
