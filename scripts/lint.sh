#!/usr/bin/env bash
# make lint: the static gate run by .ci/run before the tests.
#  1. clang-format: every tracked C file matches .clang-format
#  2. cppcheck (warning, portability, performance) on the portable cores
#  3. clang-tidy (.clang-tidy) on the portable cores, with the host build's
#     compile_commands.json
#  4. scripts/check-includes.sh: which part may include which
# Prints one "lint: <step> ok|failed" line per step; exit 1 if any failed.
#   scripts/lint.sh [host-build-dir]
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root" || exit 2
BUILD="${1:-build}"
failed=0
cores=(common boot/core agent/core)

step() { # step <name> <status>
  if [ "$2" -eq 0 ]; then echo "lint: $1 ok"; else echo "lint: $1 failed"; failed=1; fi
}

mapfile -t cfiles < <(git ls-files '*.c' '*.h')
bad=()
for f in "${cfiles[@]}"; do
  clang-format --style=file --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
for f in "${bad[@]}"; do echo "lint: clang-format: $f (run: clang-format -i $f)"; done
step "clang-format files=${#cfiles[@]}" "${#bad[@]}"

cppcheck -q --enable=warning,portability,performance --std=c11 \
  --error-exitcode=1 --inline-suppr -UFOTA_CONFIG_FILE \
  -I include -I boot/core -I agent/core "${cores[@]}"
step cppcheck $?

if [ ! -f "$BUILD/compile_commands.json" ]; then
  echo "lint: clang-tidy needs $BUILD/compile_commands.json (make build first)"
  step clang-tidy 1
else
  rc=0
  mapfile -t tidy < <(git ls-files "${cores[@]}" | grep -E '\.c$')
  for f in "${tidy[@]}"; do
    # Not a pipeline into grep: under pipefail an error finding (clang-tidy
    # exits 1) would make the pipeline fail and the finding pass.
    out=$(clang-tidy -p "$BUILD" --quiet "$f" 2>/dev/null)
    st=$?
    if grep -E 'warning:|error:' <<<"$out" || [ "$st" -ne 0 ]; then
      echo "lint: clang-tidy: $f (exit $st)"
      rc=1
    fi
  done
  step "clang-tidy files=${#tidy[@]}" $rc
fi

bash scripts/check-includes.sh >/dev/null
step includes $?

exit $failed
