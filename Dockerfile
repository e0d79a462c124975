# syntax=docker/dockerfile:1
# One image per Aman service, chosen by the SERVICE build argument (a folder of services/):
#   docker build --build-arg SERVICE=intake -t aman/intake .
# docker-compose.yml builds all six. Stage `build` installs the service's part of the workspace
# from the lockfile and compiles it; the runtime stage holds its compiled code, proto/ and its
# production dependencies only, and runs as a non-root user.

ARG NODE_VERSION=24.21.0

FROM node:${NODE_VERSION}-bookworm-slim AS build
# better-sqlite3's native addon (the embedded mode's stores; @aman/eventstore and @aman/messaging
# import it): a prebuilt binary when one downloads, otherwise node-gyp compiles it with these.
# Build stage only, so not pinned (DL3008): Debian drops superseded versions from its mirrors.
# hadolint ignore=DL3008
RUN apt-get update \
  && apt-get install -y --no-install-recommends g++ make python3 \
  && rm -rf /var/lib/apt/lists/*
ARG PNPM_VERSION=10.34.9
RUN npm install -g pnpm@${PNPM_VERSION}
ENV CI=true npm_config_store_dir=/pnpm/store
WORKDIR /workspace

# The lockfile alone decides what is downloaded: this layer stays cached until it changes.
COPY pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
RUN --mount=type=cache,id=aman-pnpm-store,target=/pnpm/store pnpm fetch

COPY . .
ARG SERVICE
RUN test -f "services/${SERVICE}/src/main.ts" \
  || { echo "SERVICE must name a folder of services/ (got '${SERVICE}')" >&2; exit 1; }
# The service, the workspace packages it builds against (its tsconfig references, tests
# included) and the root's TypeScript; nothing of the other services or the benchmarks. Selected
# by folder: package names differ (services/projections is @aman/projections-service).
RUN --mount=type=cache,id=aman-pnpm-store,target=/pnpm/store \
  pnpm install --offline --frozen-lockfile --filter "{./services/${SERVICE}}..." --filter aman
RUN pnpm exec tsc -b "services/${SERVICE}"

# The runtime tree keeps the workspace's layout: service-kit finds proto/ (served by gRPC
# reflection) three folders above its dist/. Every manifest goes in, since a frozen install
# checks the whole lockfile; then only the service's production dependencies are installed.
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN mkdir -p /runtime/infra/compose \
  && cp package.json pnpm-lock.yaml pnpm-workspace.yaml .npmrc /runtime/ \
  && for manifest in packages/*/package.json services/*/package.json bench/package.json bench/*/package.json; do \
       dir="$(dirname "$manifest")"; \
       mkdir -p "/runtime/$dir" && cp "$manifest" "/runtime/$dir/"; \
       if [ -d "$dir/dist" ]; then cp -r "$dir/dist" "/runtime/$dir/"; fi; \
     done \
  && find /runtime -path '*/dist/*' -name '*.test.*' -delete \
  && cp -r proto /runtime/proto && rm -rf /runtime/proto/baseline \
  && cp infra/compose/healthcheck.mjs /runtime/infra/compose/
WORKDIR /runtime
RUN --mount=type=cache,id=aman-pnpm-store,target=/pnpm/store \
  pnpm install --offline --frozen-lockfile --prod --filter-prod "{./services/${SERVICE}}..."

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ARG SERVICE
# docker-compose.yml gives each service a uid of its own in this group, so that no service reads
# another's private key. The key directory: every service writes its own key pair there and
# reads the others' public keys by name (mode 1733: no listing), sticky so that none removes or
# replaces another's key; compose's keys-init sets the same mode on the shared volume.
RUN groupadd --system --gid 10000 aman \
  && useradd --system --uid 10001 --gid aman --home-dir /nonexistent --shell /usr/sbin/nologin aman \
  && mkdir -p /var/lib/aman/data /var/lib/aman/keys \
  && chown aman:aman /var/lib/aman/data \
  && chmod 1733 /var/lib/aman/keys
COPY --from=build /runtime /app
ENV NODE_ENV=production \
  AMAN_SERVICE=${SERVICE} \
  AMAN_HOST=0.0.0.0 \
  AMAN_HTTP_HOST=0.0.0.0 \
  AMAN_DATA_DIR=/var/lib/aman/data \
  AMAN_KEYS_DIR=/var/lib/aman/keys
WORKDIR /app/services/${SERVICE}
# Numeric, so that a runtime can tell it is not root without reading /etc/passwd.
USER 10001:10000
# gRPC services: grpc.health.v1 Check; the gateway: GET /health (infra/compose/healthcheck.mjs).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=6 \
  CMD ["node", "/app/infra/compose/healthcheck.mjs"]
CMD ["node", "dist/main.js"]
