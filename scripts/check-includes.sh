#!/usr/bin/env bash
# Checks which part may include which (docs/developing.md, "Structure"):
#   common/      include/fota/ and freestanding C headers only
#   boot/core/   that, plus its own headers (boot/core/)
#   agent/core/  that, plus its own headers and cJSON
#   boot_proto_state.h (the engine's internals): boot_proto.[ch] and tests
# A core that includes a port, the simulator, the tools or an OS header
# fails the check. Prints "includes: files=<N> violations=<V>"; exit 1 on
# any violation.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root" || exit 2

# Freestanding headers (C11 section 4: what a freestanding implementation
# provides) plus string.h, which the cores get from fw_libc on the target.
std='stdint.h|stddef.h|stdbool.h|stdalign.h|stdarg.h|limits.h|float.h|iso646.h|stdnoreturn.h|string.h'

files=0 bad=0
# check <dir> <allowed quoted-include regex>
check() {
  local dir=$1 allowed=$2 f line inc
  for f in $(git ls-files "$dir" | grep -E '\.[ch]$'); do
    files=$((files + 1))
    while IFS= read -r line; do
      inc=$(printf '%s' "${line#*:}" | sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*\([<"][^>"]*[>"]\).*/\1/p')
      [ -n "$inc" ] || continue
      case "$inc" in
        \<*) printf '%s' "$inc" | grep -Eq "^<($std)>$" && continue ;;
        \"*) printf '%s' "$inc" | grep -Eq "^\"($allowed)\"$" && continue ;;
      esac
      echo "includes: $f:${line%%:*}: $inc is not allowed in $dir"
      bad=$((bad + 1))
    done < <(grep -n '#[[:space:]]*include' "$f")
  done
}

# private <header> <regex of the files that may include it directly>: a
# part's internal header, used outside the part only by the tests.
private() {
  local hdr=$1 allowed=$2 f
  for f in $(git grep -l "#[[:space:]]*include[[:space:]]*\"$hdr\"" -- '*.c' '*.h'); do
    printf '%s' "$f" | grep -Eq "$allowed" && continue
    echo "includes: $f: \"$hdr\" is internal to $allowed"
    bad=$((bad + 1))
  done
}

check common/ 'fota/[a-z0-9_]+\.h'
check boot/core/ 'fota/[a-z0-9_]+\.h|boot_[a-z0-9_]+\.h'
check agent/core/ 'fota/[a-z0-9_]+\.h|agent_[a-z0-9_]+\.h|cJSON\.h'

# The engine's state layout: boot_proto.h exposes it for sizeof only.
private boot_proto_state.h '^(boot/core/boot_proto\.[ch]|tests/)'

echo "includes: files=$files violations=$bad"
[ "$bad" -eq 0 ]
