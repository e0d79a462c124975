#!/usr/bin/env bash
# A real Apache Kafka broker on loopback, without Docker: the pinned release's jars from Maven Central,
# started in KRaft combined mode (broker + controller in one JVM) with single-broker settings.
#
#   infra/local/kafka.sh install             fetch the jars into the cache (idempotent)
#   infra/local/kafka.sh start [--reuse-data] install if needed, start, wait until ready
#   infra/local/kafka.sh stop                stop the broker that `start` started on KAFKA_PORT
#   infra/local/kafka.sh status              exit 0 when the broker on KAFKA_PORT runs and is ready
#
# KAFKA_PORT (9092) chooses the client port, 127.0.0.1:$KAFKA_PORT; the KRaft controller listens on
# KAFKA_CONTROLLER_PORT, KAFKA_PORT+1 unless set. Each KAFKA_PORT has its own run state,
# $AMAN_RUN/kafka-$KAFKA_PORT (pid file, configuration, logs, data), so brokers on different ports
# never see each other's. The data directory is fresh on every start unless --reuse-data is given.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$HERE/kafka/pom.xml")"
KAFKA_PORT="${KAFKA_PORT:-9092}"
check_port KAFKA_PORT "$KAFKA_PORT"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
check_port KAFKA_CONTROLLER_PORT "$KAFKA_CONTROLLER_PORT"
((KAFKA_CONTROLLER_PORT != KAFKA_PORT)) ||
  die "KAFKA_CONTROLLER_PORT must differ from KAFKA_PORT ($KAFKA_PORT)"
LIBS="$AMAN_CACHE/kafka-$KAFKA_VERSION/libs"
RUN="$AMAN_RUN/kafka-$KAFKA_PORT"
NAME="Kafka on 127.0.0.1:$KAFKA_PORT"
PID="$RUN/kafka.pid"
# The broker's command line names its own server.properties: that is how its pid is recognised.
MARKER="$RUN/server.properties"

install() {
  if [[ -f "$LIBS/.complete" ]] && cmp -s "$HERE/kafka/pom.xml" "$LIBS/.complete"; then
    return 0
  fi
  command -v mvn >/dev/null || die "Maven (mvn) is needed to fetch Kafka from Maven Central"
  command -v java >/dev/null || die "Java 17+ is needed to run Kafka $KAFKA_VERSION"
  log "fetching Kafka $KAFKA_VERSION and its runtime dependencies from Maven Central"
  rm -rf "$LIBS"
  mkdir -p "$LIBS"
  mvn -q -B -f "$HERE/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$LIBS"
  cp "$HERE/kafka/pom.xml" "$LIBS/.complete"
}

ready() {
  port_open "$KAFKA_PORT" && grep -q 'Kafka Server started' "$RUN/server.log" 2>/dev/null
}

start() {
  local reuse=0
  [[ "${1:-}" == "--reuse-data" ]] && reuse=1
  lock_run "$RUN"
  if pid_alive "$PID" "$MARKER"; then
    if wait_until 60 "$NAME is already running (pid $(cat "$PID"))" ready; then return 0; fi
    die "$NAME is running (pid $(cat "$PID")) but not ready; see $RUN/server.log"
  fi
  if port_open "$KAFKA_PORT"; then
    die "port $KAFKA_PORT is taken by another process; set KAFKA_PORT"
  fi
  if port_open "$KAFKA_CONTROLLER_PORT"; then
    die "controller port $KAFKA_CONTROLLER_PORT is taken by another process;" \
      "set KAFKA_CONTROLLER_PORT (default KAFKA_PORT+1) or KAFKA_PORT"
  fi
  install

  if ((reuse == 0)); then rm -rf "$RUN/data"; fi
  mkdir -p "$RUN/data"

  cat >"$RUN/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$RUN/data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
PROPS

  cat >"$RUN/log4j2.properties" <<'PROPS'
status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = out
logger.kafka.name = kafka
logger.kafka.level = warn
logger.apache.name = org.apache.kafka
logger.apache.level = warn
logger.raftserver.name = kafka.server.KafkaRaftServer
logger.raftserver.level = info
PROPS

  local java_opts=(-Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true
    "-Dlog4j2.configurationFile=$RUN/log4j2.properties")

  if [[ ! -f "$RUN/data/meta.properties" ]]; then
    java "${java_opts[@]}" -cp "$LIBS/*" kafka.tools.StorageTool format \
      --cluster-id "$(java -cp "$LIBS/*" kafka.tools.StorageTool random-uuid 2>/dev/null)" \
      --config "$RUN/server.properties" --ignore-formatted >"$RUN/format.log" 2>&1 ||
      { cat "$RUN/format.log" >&2; die "formatting the KRaft log directory failed"; }
  fi

  : >"$RUN/server.log"
  nohup java "${java_opts[@]}" -cp "$LIBS/*" kafka.Kafka "$MARKER" \
    >>"$RUN/server.log" 2>&1 9>&- &
  echo $! >"$PID"
  local started="Kafka $KAFKA_VERSION ready on 127.0.0.1:$KAFKA_PORT"
  started+=", controller 127.0.0.1:$KAFKA_CONTROLLER_PORT (pid $(cat "$PID"), state in $RUN)"
  if ! wait_until 120 "$started" ready; then
    tail -n 40 "$RUN/server.log" >&2 || true
    stop_pid "$PID" "$MARKER" "$NAME"
    die "$NAME did not become ready within 120 s"
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
