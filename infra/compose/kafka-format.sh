#!/usr/bin/env bash
# docker-compose.yml's kafka-format: runs once before the broker, on its data volume. KRaft keeps
# SCRAM credentials in the cluster metadata, and `kafka-storage.sh format --add-scram` is how the
# first ones get there before any listener is up (KIP-900): the user the services log in as.
# A volume formatted before is left alone; a new password then takes
#   kafka-configs.sh --bootstrap-server localhost:9094 --alter --entity-type users
#     --entity-name "$KAFKA_SASL_USERNAME" --add-config 'SCRAM-SHA-512=[password=…]'
# inside the kafka container (its loopback listener needs no credentials).
set -euo pipefail

: "${CLUSTER_ID:?}" "${SCRAM_USERNAME:?}" "${SCRAM_PASSWORD:?}" "${KAFKA_LOG_DIRS:?}"

if [[ -e "$KAFKA_LOG_DIRS/meta.properties" ]]; then
  echo "kafka-format: $KAFKA_LOG_DIRS is formatted already; nothing to do"
  exit 0
fi

# --add-scram takes name=…,password=… inside brackets: a comma, bracket or quote would cut it.
safe='^[A-Za-z0-9._~-]+$'
if [[ ! $SCRAM_USERNAME =~ $safe || ! $SCRAM_PASSWORD =~ $safe ]]; then
  echo "kafka-format: KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD may hold A-Z a-z 0-9 . _ ~ - only (openssl rand -hex 32 makes a password)" >&2
  exit 1
fi

# The broker's own settings (the same KAFKA_* variables as the kafka service), as properties.
properties=$(mktemp)
trap 'rm -f "$properties"' EXIT
cat >"$properties" <<PROPERTIES
node.id=${KAFKA_NODE_ID}
process.roles=${KAFKA_PROCESS_ROLES}
controller.quorum.voters=${KAFKA_CONTROLLER_QUORUM_VOTERS}
controller.listener.names=${KAFKA_CONTROLLER_LISTENER_NAMES}
listeners=${KAFKA_LISTENERS}
advertised.listeners=${KAFKA_ADVERTISED_LISTENERS}
listener.security.protocol.map=${KAFKA_LISTENER_SECURITY_PROTOCOL_MAP}
inter.broker.listener.name=${KAFKA_INTER_BROKER_LISTENER_NAME}
sasl.enabled.mechanisms=${KAFKA_SASL_ENABLED_MECHANISMS}
log.dirs=${KAFKA_LOG_DIRS}
PROPERTIES

/opt/kafka/bin/kafka-storage.sh format \
  --cluster-id "$CLUSTER_ID" \
  --config "$properties" \
  --add-scram "SCRAM-SHA-512=[name=${SCRAM_USERNAME},password=${SCRAM_PASSWORD}]"
echo "kafka-format: formatted $KAFKA_LOG_DIRS with SCRAM-SHA-512 user $SCRAM_USERNAME"
