# Capacity Scheduler image: the compiled service, `node dist/src/main.js`.
#
# It does NOT contain the Temporal CLI, so it cannot run local mode: run it with TEMPORAL_ADDRESS (plus
# TEMPORAL_NAMESPACE and TEMPORAL_API_KEY or the mTLS paths) pointing at a Temporal cluster or at Temporal Cloud.
# Without TEMPORAL_CLOUD_API_KEY the service uses its embedded Cloud Ops emulator, and no real namespace changes.
# Built and run in CI by `npm run test:image` (docs/development.md, "Container stages").
#
# Debian (glibc) base on purpose: the Temporal SDK's native core does not support musl (Alpine). Node 24, the
# major the tests run on (.nvmrc).

# ---- build: compile TypeScript into dist/ -------------------------------------------------------------
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# `npm run build` compiles src/ and then runs scripts/bundle-workflows.ts to prebuild the workflow bundle.
COPY scripts/bundle-workflows.ts ./scripts/
# Then drop the dev dependencies: the runtime stage copies node_modules instead of downloading it all again.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: production dependencies and the compiled output only ------------------------------------
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
# jemalloc in place of glibc's malloc, which Node's documentation of process.memoryUsage() points to when RSS grows
# while the V8 heap does not. With glibc, the worker held ~3 times the memory per cached workflow, and peaked at
# 629-757 MB at 1,000 windows instead of 468-549 MB (bench/README.md, "Memory per cached window"). The link gives
# LD_PRELOAD one path on every architecture.
RUN apt-get update && apt-get install -y --no-install-recommends libjemalloc2=5.3.0-1 && rm -rf /var/lib/apt/lists/* \
  && lib="$(find /usr/lib -name libjemalloc.so.2 -print -quit)" && test -n "$lib" \
  && ln -s "$lib" /usr/local/lib/libjemalloc.so.2
WORKDIR /app
COPY package.json package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The runbook client, running the compiled CLI: `docker compose exec capacity-scheduler node bin/capacityctl.js --help`.
COPY bin ./bin

ENV HOST=0.0.0.0 PORT=8080
ENV LD_PRELOAD=/usr/local/lib/libjemalloc.so.2
# jemalloc's options: two arenas, not four per CPU (src/worker/index.ts, SERVICE_MALLOC_CONF, says why).
ENV MALLOC_CONF=narenas:2
# The base image's user `node`, by number: Kubernetes' runAsNonRoot can only check a numeric user.
USER 1000:1000
EXPOSE 8080
# Liveness on PORT, which every role serves (ROLE=worker answers /healthz and /readyz there too).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM starts the ordered stop: in-flight requests finish, the worker drains (give it time: docker stop -t,
# compose stop_grace_period). node is PID 1 and handles the signal itself; it starts no child processes.
STOPSIGNAL SIGTERM
# V8 flags for the worker's memory (src/worker/index.ts, SERVICE_NODE_FLAGS, says why; NODE_OPTIONS refuses one).
CMD ["node", "--heap-growing-percent=20", "--max-semi-space-size=8", "dist/src/main.js"]
