#!/usr/bin/env bash
# Instances on different ports do not interfere (issue 6, item 7): two FerretDB servers and two
# Kafka brokers on free high ports, sharing one AMAN_RUN as two users of one machine would, are
# started and checked ready; stopping one of each leaves the other running and ready. Also checks
# that start and stop are idempotent, that run state is keyed by port, and that a taken controller
# port is refused.
#
#   infra/local/test-ports.sh        exit 0 when every check passes
#
# It runs in a temporary AMAN_RUN (removed at the end) and never uses 9092, 9093 or 27017, so the
# services a developer or CI runs on the default ports are not touched; it checks that too. Needs
# what the scripts need (Java 17+ with Maven, Go), and reuses the cached binaries under AMAN_CACHE.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Never the default AMAN_RUN: the clean-up removes this directory.
AMAN_RUN="$(mktemp -d "${TMPDIR:-/tmp}/aman-test-ports.XXXXXX")"
[[ -d "$AMAN_RUN" ]] || exit 1
export AMAN_RUN
trap 'rm -rf "$AMAN_RUN"' EXIT # until the full clean-up below is in place
# shellcheck source=lib.sh
source "$HERE/lib.sh"
unset KAFKA_PORT KAFKA_CONTROLLER_PORT FERRETDB_PORT

PROTECTED=(9092 9093 27017)
taken=("${PROTECTED[@]}")
ferretdb_ports=()
kafka_ports=()
decoy=

ferretdb() { FERRETDB_PORT="$1" "$HERE/ferretdb.sh" "${@:2}"; }
kafka() { KAFKA_PORT="$1" "$HERE/kafka.sh" "${@:2}"; }

cleanup() {
  local rc=$? port
  # Finish cleaning up even when signalled again.
  trap - EXIT
  trap '' INT TERM HUP
  log "cleaning up"
  if [[ -n "$decoy" ]]; then kill "$decoy" 2>/dev/null || true; fi
  for port in "${kafka_ports[@]}"; do kafka "$port" stop || true; done
  for port in "${ferretdb_ports[@]}"; do ferretdb "$port" stop || true; done
  if ((rc != 0)); then
    for log_file in "$AMAN_RUN"/*/server.log; do
      [[ -s "$log_file" ]] || continue
      log "last lines of $log_file:"
      tail -n 20 "$log_file" >&2 || true
    done
  fi
  rm -rf "$AMAN_RUN"
  if ((rc == 0)); then log "PASS"; else log "FAIL (exit $rc)"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

ok() { log "ok - $*"; }
fail() { die "not ok - $*"; }

# expect_ok DESCRIPTION COMMAND...: COMMAND exits 0.
expect_ok() {
  local what="$1"
  shift
  if "$@"; then ok "$what"; else fail "$what (exit $?)"; fi
}

# expect_fail DESCRIPTION COMMAND...: COMMAND exits non-zero.
expect_fail() {
  local what="$1"
  shift
  if "$@"; then fail "$what (exit 0)"; else ok "$what"; fi
}

is_taken() {
  local port="$1" t
  for t in "${taken[@]}"; do ((t == port)) && return 0; done
  port_open "$port"
}

# free_port [SPAN]: prints a port P in 20000-31999 with P..P+SPAN-1 free and not handed out before
# (below Linux's ephemeral range, so no outgoing connection takes it meanwhile).
free_port() {
  local span="${1:-1}" port i
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 12000))
    for ((i = 0; i < span; i++)); do
      is_taken $((port + i)) && continue 2
    done
    for ((i = 0; i < span; i++)); do taken+=($((port + i))); done
    echo "$port"
    return 0
  done
  die "found no free port"
}

pid_of() { cat "$AMAN_RUN/$1/$2.pid" 2>/dev/null || echo none; }

protected_before=()
for port in "${PROTECTED[@]}"; do
  if port_open "$port"; then protected_before+=(open); else protected_before+=(closed); fi
done

# Ports are picked one at a time into `taken`, so the value must not be captured in a subshell.
free_port >"$AMAN_RUN/port" && fa="$(cat "$AMAN_RUN/port")"
free_port >"$AMAN_RUN/port" && fb="$(cat "$AMAN_RUN/port")"
free_port 2 >"$AMAN_RUN/port" && ka="$(cat "$AMAN_RUN/port")"
free_port 2 >"$AMAN_RUN/port" && kb="$(cat "$AMAN_RUN/port")"
free_port 2 >"$AMAN_RUN/port" && kc="$(cat "$AMAN_RUN/port")"
rm -f "$AMAN_RUN/port"
for port in "$fa" "$fb" "$ka" "$((ka + 1))" "$kb" "$((kb + 1))" "$kc" "$((kc + 1))"; do
  for p in "${PROTECTED[@]}"; do ((port != p)) || die "picked protected port $port"; done
done
log "AMAN_RUN=$AMAN_RUN; FerretDB on $fa and $fb;" \
  "Kafka on $ka and $kb (controllers $((ka + 1)), $((kb + 1)))"

expect_ok "FerretDB installed" "$HERE/ferretdb.sh" install
expect_ok "Kafka installed" "$HERE/kafka.sh" install

# --- FerretDB
ferretdb_ports=("$fa" "$fb")
expect_ok "FerretDB $fa started" ferretdb "$fa" start
expect_ok "FerretDB $fb started beside it (not taken for the one on $fa)" ferretdb "$fb" start
expect_ok "FerretDB $fa ready" ferretdb "$fa" status
expect_ok "FerretDB $fb ready" ferretdb "$fb" status
for port in "$fa" "$fb"; do
  expect_ok "FerretDB $port keeps its state in ferretdb-$port" \
    test -f "$AMAN_RUN/ferretdb-$port/ferretdb.pid" -a -d "$AMAN_RUN/ferretdb-$port/data"
done
pid_fa="$(pid_of "ferretdb-$fa" ferretdb)"
pid_fb="$(pid_of "ferretdb-$fb" ferretdb)"
[[ "$pid_fa" != "$pid_fb" ]] || fail "the two FerretDB servers have distinct pids"
expect_ok "start again on $fa is a no-op" ferretdb "$fa" start
[[ "$(pid_of "ferretdb-$fa" ferretdb)" == "$pid_fa" ]] || fail "FerretDB $fa kept its pid"

expect_ok "FerretDB $fa stopped" ferretdb "$fa" stop
expect_fail "FerretDB $fa status fails after its stop" ferretdb "$fa" status
expect_fail "nothing listens on $fa any more" port_open "$fa"
expect_ok "FerretDB $fb still ready" ferretdb "$fb" status
[[ "$(pid_of "ferretdb-$fb" ferretdb)" == "$pid_fb" ]] && kill -0 "$pid_fb" ||
  fail "FerretDB $fb still runs as pid $pid_fb"
ok "FerretDB $fb still runs as pid $pid_fb"
expect_ok "stop again on $fa is a no-op" ferretdb "$fa" stop
expect_ok "FerretDB $fb still ready after the second stop" ferretdb "$fb" status

# A pid file left behind that now names some other process: neither reported nor stopped.
sleep 300 &
decoy=$!
echo "$decoy" >"$AMAN_RUN/ferretdb-$fa/ferretdb.pid"
expect_fail "FerretDB $fa status ignores a pid file that names another process" \
  ferretdb "$fa" status
expect_ok "FerretDB $fa stop with that pid file" ferretdb "$fa" stop
expect_ok "the process that pid file named is left alone" kill -0 "$decoy"
expect_fail "the stale pid file is gone" test -e "$AMAN_RUN/ferretdb-$fa/ferretdb.pid"
kill "$decoy"
wait "$decoy" 2>/dev/null || true
decoy=

# --- Kafka
kafka_ports=("$ka" "$kb" "$kc")
expect_ok "Kafka $ka started" kafka "$ka" start
expect_ok "Kafka $kb started beside it (not taken for the one on $ka)" kafka "$kb" start
expect_ok "Kafka $ka ready" kafka "$ka" status
expect_ok "Kafka $kb ready" kafka "$kb" status
for port in "$ka" "$kb"; do
  expect_ok "Kafka $port's controller listens on $((port + 1))" port_open $((port + 1))
  expect_ok "Kafka $port keeps its state in kafka-$port" \
    grep -q "^log.dirs=$AMAN_RUN/kafka-$port/data\$" "$AMAN_RUN/kafka-$port/server.properties"
done
pid_ka="$(pid_of "kafka-$ka" kafka)"
pid_kb="$(pid_of "kafka-$kb" kafka)"
expect_ok "start again on $ka is a no-op" kafka "$ka" start
[[ "$(pid_of "kafka-$ka" kafka)" == "$pid_ka" ]] || fail "Kafka $ka kept its pid"

# A controller port that is taken is refused before anything starts (FerretDB $fb holds it).
if KAFKA_CONTROLLER_PORT="$fb" kafka "$kc" start 2>"$AMAN_RUN/refused.log"; then
  fail "Kafka $kc with the taken controller port $fb is refused"
fi
cat "$AMAN_RUN/refused.log" >&2
grep -q "controller port $fb is taken" "$AMAN_RUN/refused.log" ||
  fail "the refusal names the controller port"
expect_fail "nothing listens on $kc after the refusal" port_open "$kc"
ok "Kafka $kc with the taken controller port $fb is refused"

expect_ok "Kafka $ka stopped" kafka "$ka" stop
expect_fail "Kafka $ka status fails after its stop" kafka "$ka" status
expect_fail "nothing listens on $ka any more" port_open "$ka"
expect_fail "nothing listens on its controller port $((ka + 1)) any more" port_open $((ka + 1))
expect_ok "Kafka $kb still ready" kafka "$kb" status
[[ "$(pid_of "kafka-$kb" kafka)" == "$pid_kb" ]] && kill -0 "$pid_kb" ||
  fail "Kafka $kb still runs as pid $pid_kb"
ok "Kafka $kb still runs as pid $pid_kb"
expect_ok "FerretDB $fb still ready" ferretdb "$fb" status

# --- the rest
expect_ok "Kafka $kb stopped" kafka "$kb" stop
expect_fail "Kafka $kb status fails after its stop" kafka "$kb" status
expect_ok "FerretDB $fb stopped" ferretdb "$fb" stop
expect_fail "FerretDB $fb status fails after its stop" ferretdb "$fb" status

# Whatever served the default ports before the test still does (someone else's services).
for i in "${!PROTECTED[@]}"; do
  port="${PROTECTED[$i]}"
  if [[ "${protected_before[$i]}" == open ]]; then
    port_open "$port" || fail "port $port was open before the test and is closed after it"
    ok "port $port still open, as before the test"
  else
    ok "port $port was closed before the test (nothing to keep)"
  fi
done
