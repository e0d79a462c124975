# Shared helpers for the infra/local scripts. Sourced, not run.
# Everything downloaded or built lives under AMAN_CACHE (outside the work tree) and is reused;
# runtime state (pid files, data, logs) lives under AMAN_RUN.

set -euo pipefail

AMAN_CACHE="${AMAN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/aman}"
AMAN_RUN="${AMAN_RUN:-$AMAN_CACHE/run}"
mkdir -p "$AMAN_CACHE" "$AMAN_RUN"

log() { printf '[%s] %s\n' "$(basename "$0" .sh)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# pid_alive FILE: true when FILE names a running process.
pid_alive() {
  [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null
}

# port_open PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wait_until SECONDS DESCRIPTION COMMAND...: polls COMMAND every half second.
wait_until() {
  local deadline=$((SECONDS + $1)) what="$2"
  shift 2
  until "$@"; do
    if ((SECONDS >= deadline)); then
      return 1
    fi
    sleep 0.5
  done
  log "$what"
}

# stop_pid FILE NAME: SIGTERM, then SIGKILL after 30 s; removes FILE.
stop_pid() {
  local file="$1" name="$2" pid
  if ! pid_alive "$file"; then
    log "$name is not running"
    rm -f "$file"
    return 0
  fi
  pid="$(cat "$file")"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name did not stop in 30 s; killing it"
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
  log "$name stopped"
}
