# Sourced by the test scripts made of named checks.
# check <name> <command...>: one check of a script: runs the command,
# counts it in total/passed and prints "<CHECK_TAG>: PASS|FAIL <name>".
# why <text>: explains a failure (indented) and fails.
total=0 passed=0
check() {
  local name=$1 t0=$SECONDS; shift
  total=$((total + 1))
  if "$@"; then passed=$((passed + 1)); echo "$CHECK_TAG: PASS $name ($((SECONDS - t0)) s)"
  else echo "$CHECK_TAG: FAIL $name"; fi
}
why() { echo "  $*"; return 1; }
