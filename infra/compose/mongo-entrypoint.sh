#!/usr/bin/env bash
# docker-compose.yml's MongoDB entrypoint: with authentication on, a replica set needs a key file
# for its members to authenticate each other, even with a single member. One member needs no
# shared key, so a fresh random one at every start serves and none is kept anywhere. Then the
# image's own entrypoint (root user from MONGO_INITDB_ROOT_*, mongo-init/ on an empty volume).
set -euo pipefail

key=/data/configdb/replica-set.key
umask 077
head -c 756 /dev/urandom | base64 -w 0 >"$key"
chown mongodb:mongodb "$key"
chmod 400 "$key"
exec docker-entrypoint.sh "$@"
