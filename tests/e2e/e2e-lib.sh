# Shell helpers of the end-to-end scripts (tests/e2e/run.sh, fleet.sh):
# the fault proxy, the device under test (`fota agent` on the host model),
# and the scenario runner. Source it after setting root, FOTA, work,
# BUCKET, AK, SK and ENDPOINT (and sourcing scripts/fota-release-lib.sh).
total=0 passed=0
proxy_pid=
t_start=$SECONDS

die() { echo "e2e: $*"; echo "e2e: scenarios=0 passed=0"; exit 1; }

# e2e_begin: s3rver with $BUCKET (ENDPOINT) and the fault proxy in front of
# it (PROXY); exits when either does not start.
e2e_begin() {
  [ -x "$FOTA" ] || die "$FOTA missing (build first)"
  ENDPOINT="$(bash "$root/scripts/s3-local.sh" start "$BUCKET")" || die "s3rver did not start"
  e2e_proxy_start "$ENDPOINT" || die "fault proxy did not start"
}
# e2e_end_servers: stop the proxy and s3rver, drop $work unless E2E_KEEP.
e2e_end_servers() {
  e2e_proxy_stop
  bash "$root/scripts/s3-local.sh" stop >/dev/null 2>&1
  if [ -n "${E2E_KEEP:-}" ]; then echo "e2e: kept $work"; else rm -rf "$work"; fi
}
# e2e_summary: the closing lines; status 0 only if every scenario passed.
e2e_summary() {
  echo "e2e: total $((SECONDS - t_start)) s"
  echo "e2e: scenarios=$total passed=$passed"
  [ "$total" = "$passed" ] && [ "$total" -gt 0 ]
}

# e2e_proxy_start <upstream>: the fault proxy the agents talk to (PROXY);
# publishing and test fixtures go direct to the upstream.
e2e_proxy_start() {
  PLOG="$work/proxy.log" PCTL="$work/proxy.json"
  : > "$PLOG"
  rm -f "$work/proxy.port" # a previous proxy's port is not this one's
  node "$root/tests/e2e/faultproxy.js" --upstream "$1" --control "$PCTL" \
    --log "$PLOG" --port-file "$work/proxy.port" 2>"$work/proxy.err" &
  proxy_pid=$!
  for _ in $(seq 100); do [ -s "$work/proxy.port" ] && break; sleep 0.05; done
  [ -s "$work/proxy.port" ] || { echo "fault proxy did not start: $(cat "$work/proxy.err")"; return 1; }
  PROXY="http://127.0.0.1:$(cat "$work/proxy.port")"
}
e2e_proxy_stop() {
  [ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null && wait "$proxy_pid" 2>/dev/null
  proxy_pid=
}


# faults <json rules>: replace the proxy's rules (rename: it sees a new file).
faults() { printf '%s\n' "$1" > "$PCTL.tmp" && mv "$PCTL.tmp" "$PCTL"; }
# mark / plog: the proxy's log lines since the mark.
mark() { LOG0=$(wc -l < "$PLOG"); }
plog() { tail -n +$((LOG0 + 1)) "$PLOG"; }
# ranges <key-substring>: start offsets of the logged Range requests for a key.
ranges() { plog | grep -F "$1" | grep -v '"event"' | sed -n 's/.*"range":"bytes=\([0-9]*\)-.*/\1/p' | tr '\n' ' '; }
# statuses <key-substring>: HTTP statuses the proxy returned for a key.
statuses() { plog | grep -F "$1" | grep -v '"event"' | sed -n 's/.*"status":\([0-9]*\).*/\1/p' | tr '\n' ' '; }

# fresh <name>: new device (flash with v1.0.0 in slot A, empty state) and
# its own prefix.
fresh() {
  D="$work/$1"; PREFIX="p-$1"; mkdir -p "$D"; TARGET=; OBSERVE=; HW=; HW_ENV=
  faults '[]'; mark
  mkraw a 32768 1 "$D/f.bin"
  "$FOTA" image pack --slot a --version 1.0.0 --sec-counter 1 "$D/f.bin" -o "$D/f.img" >/dev/null
  "$FOTA" agent sim-install --flash "$D/flash.bin" --slot a "$D/f.img"
}
# The device: --target TARGET (sim:FILE when empty), or the hardware
# options in HW (the Linux port, run with the environment in HW_ENV).
agent_args() {
  echo --endpoint "${AGENT_ENDPOINT:-$PROXY}" --bucket "${AGENT_BUCKET:-$BUCKET}" --prefix "$PREFIX" \
    --device-id "${DEVICE:-dev-$PREFIX}" --access-key "${KEY:-$AK}" --secret-key "$SK" \
    --state-dir "$D/state" ${HW:---target ${TARGET:-sim:$D/flash.bin}} $OBSERVE --quiet
}
agent() {
  # shellcheck disable=SC2046,SC2086
  env $HW_ENV "$FOTA" agent $(agent_args) --timeout-ms 5000 "$@" 2>>"$D/agent.log"
}
# agent_bg <args>: the agent in the background, $! being the fota process
# itself (exec), so that kill -9 $! kills the agent and not only a
# subshell that would leave it running on. Its summary goes to $D/bg.out.
agent_bg() {
  # shellcheck disable=SC2046
  ( exec "$FOTA" agent $(agent_args) --timeout-ms 5000 "$@" >"$D/bg.out" 2>>"$D/agent.log" ) &
}
# running: what a cold boot of the device's flash would run (the host
# boot core decides on a copy in memory; the file is not changed).
running() { "$FOTA" agent sim-status --flash "$D/flash.bin"; }
untouched() { running | grep -q "slot A, version 1.0.0"; }
check() { # check <name> <function>
  local name=$1 t0=$SECONDS; shift
  [ -n "$ONLY" ] && [[ "$name" != *"$ONLY"* ]] && return 0
  total=$((total + 1))
  if "$@"; then passed=$((passed + 1)); echo "e2e: PASS $name ($((SECONDS - t0)) s)"
  else echo "e2e: FAIL $name"; tail -5 "$D/agent.log" 2>/dev/null; fi
}
# why <message>: say what did not hold, and fail.
why() { echo "  $*"; return 1; }

