# Shared helpers for the infra/local scripts. Sourced, not run.
# Everything downloaded or built lives under AMAN_CACHE (outside the work tree) and is reused;
# runtime state (pid files, data, logs) lives under AMAN_RUN, one directory per service and port
# ($AMAN_RUN/kafka-9092, $AMAN_RUN/ferretdb-27017), so instances on different ports never share it.

set -euo pipefail

AMAN_CACHE="${AMAN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/aman}"
AMAN_RUN="${AMAN_RUN:-$AMAN_CACHE/run}"
mkdir -p "$AMAN_CACHE" "$AMAN_RUN"

log() { printf '[%s] %s\n' "$(basename "$0" .sh)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# check_port NAME VALUE: dies unless VALUE is a TCP port number; NAME is the variable that set it.
check_port() {
  [[ "$2" =~ ^[1-9][0-9]{0,4}$ ]] && (($2 <= 65535)) || die "$1=$2 is not a TCP port (1-65535)"
}

# pid_alive FILE MARKER: true when FILE names a running process whose command line contains MARKER.
# The marker (it names this instance's run directory) makes sure a stale pid file that now
# names an unrelated process, or another instance's server, is never taken for this one.
pid_alive() {
  local pid args
  [[ -f "$1" ]] || return 1
  pid="$(cat "$1")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  args="$(ps -ww -o args= -p "$pid" 2>/dev/null)" || return 1
  [[ "$args" == *"$2"* ]]
}

# lock_run DIR: holds DIR/lock until the script exits, so that a start and a stop (or two starts)
# of the same instance do not interleave. A server started while it is held must not inherit the
# lock's descriptor: start it with 9>&-.
lock_run() {
  mkdir -p "$1"
  command -v flock >/dev/null || return 0
  exec 9>"$1/lock"
  flock -w 180 9 || die "another start or stop of this instance has held $1/lock for 3 minutes"
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

# stop_pid FILE MARKER NAME: stops the process FILE names, if it is the one MARKER identifies (see
# pid_alive): SIGTERM, then SIGKILL after 30 s. Removes FILE. Any other process is left alone.
stop_pid() {
  local file="$1" marker="$2" name="$3" pid
  if ! pid_alive "$file" "$marker"; then
    if [[ -f "$file" ]]; then
      log "$name is not running (removed the stale pid file $file)"
    else
      log "$name is not running"
    fi
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
  log "$name stopped (pid $pid)"
}
