#!/usr/bin/env bash
# Prints the slowest tests of a ctest run beside their time limits, from
# the JUnit file that run wrote (ctest --output-junit), and flags any that
# used half of its limit or more:
#   slowest: <name> <seconds> s of <limit> s (<percent>%)
#   scripts/ctest-slowest.sh <build-dir> <junit-file> [count]
set -uo pipefail
BUILD="$1" JUNIT="$2" N="${3:-5}"
[ -f "$JUNIT" ] || { echo "slowest: no $JUNIT"; exit 0; }
(cd "$BUILD" && ctest --show-only=json-v1) | python3 -c '
import json, sys, xml.etree.ElementTree as ET
junit, n = sys.argv[1], int(sys.argv[2])
limits = {}
for t in json.load(sys.stdin).get("tests", []):
    lim = 1500.0  # CTest default
    for p in t.get("properties", []):
        if p.get("name") == "TIMEOUT":
            lim = float(p["value"])
    limits[t["name"]] = lim
cases = [(float(c.get("time", 0)), c.get("name")) for c in ET.parse(junit).iter("testcase")]
for t, name in sorted(cases, reverse=True)[:n]:
    lim = limits.get(name, 1500.0)
    pct = 100.0 * t / lim
    flag = "  (half of its limit or more)" if pct >= 50 else ""
    print(f"slowest: {name} {t:.1f} s of {lim:.0f} s ({pct:.0f}%){flag}")
' "$JUNIT" "$N"
