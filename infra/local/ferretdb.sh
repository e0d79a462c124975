#!/usr/bin/env bash
# A MongoDB-wire-protocol server on loopback, without Docker: FerretDB 1.x on its SQLite backend,
# built from the Go module proxy through the small main module in infra/local/ferretdb.
#
#   infra/local/ferretdb.sh install             build the binary into the cache (idempotent)
#   infra/local/ferretdb.sh start [--reuse-data] build if needed, start, wait until ready
#   infra/local/ferretdb.sh stop                stop the server started by `start`
#   infra/local/ferretdb.sh status              exit 0 when running and ready
#
# FERRETDB_PORT (27017) chooses the port; the URI is mongodb://127.0.0.1:$FERRETDB_PORT/.
# The data directory is fresh on every start unless --reuse-data is given.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
FERRETDB_VERSION="$(sed -n 's:^require github.com/FerretDB/FerretDB \(v.*\)$:\1:p' "$HERE/ferretdb/go.mod")"
FERRETDB_PORT="${FERRETDB_PORT:-27017}"
# The build key covers every input, so a change to main.go or go.sum rebuilds.
BUILD_KEY="$(cat "$HERE/ferretdb/go.mod" "$HERE/ferretdb/go.sum" "$HERE/ferretdb/main.go" | sha256sum | cut -c1-16)"
BIN="$AMAN_CACHE/ferretdb-$FERRETDB_VERSION-$BUILD_KEY/aman-ferretdb"
RUN="$AMAN_RUN/ferretdb"
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
  if pid_alive "$PID"; then
    wait_until 30 "FerretDB already running on 127.0.0.1:$FERRETDB_PORT" ready && return 0
    die "a FerretDB process is running (pid $(cat "$PID")) but not ready; see $RUN/server.log"
  fi
  port_open "$FERRETDB_PORT" && die "port $FERRETDB_PORT is taken by another process; set FERRETDB_PORT"
  install

  mkdir -p "$RUN"
  if ((reuse == 0)); then rm -rf "$RUN/data"; fi
  mkdir -p "$RUN/data"
  : >"$RUN/server.log"
  nohup "$BIN" -listen-addr "127.0.0.1:$FERRETDB_PORT" -sqlite-dir "$RUN/data" >>"$RUN/server.log" 2>&1 &
  echo $! >"$PID"
  if ! wait_until 60 "FerretDB $FERRETDB_VERSION ready on 127.0.0.1:$FERRETDB_PORT (pid $(cat "$PID"))" ready; then
    tail -n 40 "$RUN/server.log" >&2 || true
    stop_pid "$PID" ferretdb
    die "FerretDB did not become ready within 60 s"
  fi
}

case "${1:-}" in
  install) install ;;
  start) shift; start "$@" ;;
  stop) stop_pid "$PID" ferretdb ;;
  status) pid_alive "$PID" && ready ;;
  *) die "usage: $0 install|start [--reuse-data]|stop|status" ;;
esac
