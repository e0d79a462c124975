#!/usr/bin/env bash
# A MongoDB-wire-protocol server on loopback, without Docker: FerretDB 1.x on its SQLite backend,
# built from the Go module proxy through the small main module in infra/local/ferretdb.
#
#   infra/local/ferretdb.sh install             build the binary into the cache (idempotent)
#   infra/local/ferretdb.sh start [--reuse-data] build if needed, start, wait until ready
#   infra/local/ferretdb.sh stop                stop the server `start` started on FERRETDB_PORT
#   infra/local/ferretdb.sh status              exit 0 when the one on FERRETDB_PORT runs, ready
#
# FERRETDB_PORT (27017) chooses the port; the URI is mongodb://127.0.0.1:$FERRETDB_PORT/. Each port
# has its own run state, $AMAN_RUN/ferretdb-$FERRETDB_PORT (pid file, log, data), so servers on
# different ports never see each other's. The data directory is fresh on every start unless
# --reuse-data is given.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
FERRETDB_VERSION="$(sed -n 's:^require github.com/FerretDB/FerretDB \(v.*\)$:\1:p' "$HERE/ferretdb/go.mod")"
FERRETDB_PORT="${FERRETDB_PORT:-27017}"
check_port FERRETDB_PORT "$FERRETDB_PORT"
# The build key covers every input, so a change to main.go or go.sum rebuilds.
BUILD_KEY="$(cat "$HERE/ferretdb/go.mod" "$HERE/ferretdb/go.sum" "$HERE/ferretdb/main.go" | sha256sum | cut -c1-16)"
BIN="$AMAN_CACHE/ferretdb-$FERRETDB_VERSION-$BUILD_KEY/aman-ferretdb"
RUN="$AMAN_RUN/ferretdb-$FERRETDB_PORT"
NAME="FerretDB on 127.0.0.1:$FERRETDB_PORT"
# The server's command line names its address and its data directory: that is how its pid is
# recognised.
MARKER="-listen-addr 127.0.0.1:$FERRETDB_PORT -sqlite-dir $RUN/data"
PID="$RUN/ferretdb.pid"

install() {
  [[ -x "$BIN" ]] && return 0
  command -v go >/dev/null || die "Go is needed to build FerretDB from the Go module proxy"
  log "building FerretDB $FERRETDB_VERSION (SQLite backend) from the Go module proxy"
  mkdir -p "$(dirname "$BIN")"
  (cd "$HERE/ferretdb" && CGO_ENABLED=0 GOFLAGS=-mod=readonly go build -trimpath -o "$BIN.tmp" .)
  mv "$BIN.tmp" "$BIN"
}

ready() {
  port_open "$FERRETDB_PORT"
}

start() {
  local reuse=0
  [[ "${1:-}" == "--reuse-data" ]] && reuse=1
  lock_run "$RUN"
  if pid_alive "$PID" "$MARKER"; then
    if wait_until 30 "$NAME is already running (pid $(cat "$PID"))" ready; then return 0; fi
    die "$NAME is running (pid $(cat "$PID")) but not ready; see $RUN/server.log"
  fi
  if port_open "$FERRETDB_PORT"; then
    die "port $FERRETDB_PORT is taken by another process; set FERRETDB_PORT"
  fi
  install

  if ((reuse == 0)); then rm -rf "$RUN/data"; fi
  mkdir -p "$RUN/data"
  : >"$RUN/server.log"
  nohup "$BIN" -listen-addr "127.0.0.1:$FERRETDB_PORT" -sqlite-dir "$RUN/data" \
    >>"$RUN/server.log" 2>&1 9>&- &
  echo $! >"$PID"
  local started="FerretDB $FERRETDB_VERSION ready on 127.0.0.1:$FERRETDB_PORT"
  started+=" (pid $(cat "$PID"), state in $RUN)"
  if ! wait_until 60 "$started" ready; then
    tail -n 40 "$RUN/server.log" >&2 || true
    stop_pid "$PID" "$MARKER" "$NAME"
    die "$NAME did not become ready within 60 s"
  fi
}

stop() {
  if [[ -d "$RUN" ]]; then lock_run "$RUN"; fi
  stop_pid "$PID" "$MARKER" "$NAME"
}

status() {
  if ! pid_alive "$PID" "$MARKER"; then
    log "$NAME is not running"
    return 1
  fi
  if ! ready; then
    log "$NAME is running (pid $(cat "$PID")) but not ready; see $RUN/server.log"
    return 1
  fi
  log "$NAME is running and ready (pid $(cat "$PID"), state in $RUN)"
}

case "${1:-}" in
  install) install ;;
  start) shift; start "$@" ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: $0 install|start [--reuse-data]|stop|status" ;;
esac
