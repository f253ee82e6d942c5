# Shell helpers shared by scripts/demo.sh and tests/e2e/run.sh: build test
# payloads, pack them, publish a release to an S3 endpoint with curl's
# SigV4 signer. Source it; needs $FOTA (the fota binary), $ENDPOINT,
# $BUCKET, $PREFIX, $AK/$SK.

# mkraw <slot a|b> <size> <seed> <out>: a raw body linked for the slot:
# vector table (MSP top of SRAM, reset handler inside the body), then
# seeded pseudo-random bytes.
mkraw() {
  python3 - "$1" "$2" "$3" "$4" <<'PY'
import random, struct, sys
slot, size, seed, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
base = 0x08020200 if slot == 'a' else 0x08080200
r = random.Random(seed)
body = struct.pack('<II', 0x20020000, base + 0x101) + bytes(r.getrandbits(8) for _ in range(size - 8))
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

# release <dir> <version> <sec> <flags> <body-size> [manifest-sha-override]:
# pack slot-a/slot-b images, upload them and the manifest.
release() {
  local dir=$1 ver=$2 sec=$3 flags=$4 size=$5 badsha=${6:-}
  mkdir -p "$dir/$ver"
  local s seed=0
  for s in a b; do
    seed=$((seed + 1))
    mkraw $s "$size" "$(echo "$ver$s" | cksum | cut -d' ' -f1)" "$dir/$ver/$s.bin"
    "$FOTA" image pack --slot $s --version "$ver" --sec-counter "$sec" --flags "$flags" \
      "$dir/$ver/$s.bin" -o "$dir/$ver/slot-$s.img" >/dev/null
    s3put "$PREFIX/releases/$ver/slot-$s.img" "$dir/$ver/slot-$s.img"
  done
  local sa sb za zb
  sa=$(sha256sum "$dir/$ver/slot-a.img" | cut -d' ' -f1)
  sb=$(sha256sum "$dir/$ver/slot-b.img" | cut -d' ' -f1)
  [ -n "$badsha" ] && { sa=$badsha; sb=$badsha; }
  za=$(stat -c %s "$dir/$ver/slot-a.img")
  zb=$(stat -c %s "$dir/$ver/slot-b.img")
  cat > "$dir/$ver/manifest.json" <<JSON
{"format":1,"product":"stm32f407-disco","version":"$ver","security_counter":$sec,
 "rollout_percent":100,"published_at":"$(date -u +%Y-%m-%dT%H:%M:%SZ)",
 "slots":{"a":{"key":"$PREFIX/releases/$ver/slot-a.img","size":$za,"sha256":"$sa"},
          "b":{"key":"$PREFIX/releases/$ver/slot-b.img","size":$zb,"sha256":"$sb"}}}
JSON
  s3put "$PREFIX/manifest.json" "$dir/$ver/manifest.json" application/json
}

# field <key> <agent summary line>: value of key=value
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -1; }
