# syntax=docker/dockerfile:1
# One image for Cohort's apps; the command chooses which one runs:
#   node apps/chat/dist/main.js    the chat (the default)
#   node apps/cache/dist/main.js   the replicated cache (HTTP and the Redis protocol)
#   node apps/cli/dist/main.js     the cohort command, e.g. `status --node chat@172.18.0.3:4370 --cookie …`
# Built JavaScript and production dependencies only, run as the unprivileged `node` user (uid 1000).
# docker-compose.yml builds it; deploy/k8s/ runs it as cohort:0.1.0.

ARG NODE_IMAGE=node:20-slim

# --- build: the whole workspace, compiled ------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# pnpm at the version package.json pins in packageManager (npm rather than corepack: no signing keys to go stale).
RUN npm install -g pnpm@10.34.9
COPY . .
RUN pnpm install --frozen-lockfile \
 && pnpm exec tsc -b apps/chat apps/cache apps/cli

# --- production-deps: the three apps' runtime dependencies, nothing for tests, benchmarks or the compiler --------
FROM build AS production-deps
RUN rm -rf node_modules packages/*/node_modules apps/*/node_modules test/node_modules bench/node_modules \
 && pnpm install --frozen-lockfile --prod --filter "@cohort/chat..." --filter "@cohort/cache..." --filter "@cohort/cli..."

# --- runtime ------------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
# RECOMMENDED_GLIBC_TUNABLES (packages/transport/README.md, "Large messages and the allocator"): glibc reads it when a
# process starts, so every command run in the image (docker-compose.yml's too) gets it from here.
ENV GLIBC_TUNABLES=glibc.malloc.mmap_threshold=16777216:glibc.malloc.trim_threshold=67108864
WORKDIR /app
COPY --from=production-deps /app/package.json ./package.json
COPY --from=production-deps /app/node_modules ./node_modules
COPY --from=production-deps /app/packages/core/package.json ./packages/core/package.json
COPY --from=production-deps /app/packages/core/dist ./packages/core/dist
COPY --from=production-deps /app/packages/core/node_modules ./packages/core/node_modules
COPY --from=production-deps /app/packages/transport/package.json ./packages/transport/package.json
COPY --from=production-deps /app/packages/transport/dist ./packages/transport/dist
COPY --from=production-deps /app/packages/transport/node_modules ./packages/transport/node_modules
COPY --from=production-deps /app/packages/discovery/package.json ./packages/discovery/package.json
COPY --from=production-deps /app/packages/discovery/dist ./packages/discovery/dist
COPY --from=production-deps /app/packages/discovery/node_modules ./packages/discovery/node_modules
COPY --from=production-deps /app/apps/chat/package.json ./apps/chat/package.json
COPY --from=production-deps /app/apps/chat/dist ./apps/chat/dist
COPY --from=production-deps /app/apps/chat/public ./apps/chat/public
COPY --from=production-deps /app/apps/chat/node_modules ./apps/chat/node_modules
COPY --from=production-deps /app/apps/cache/package.json ./apps/cache/package.json
COPY --from=production-deps /app/apps/cache/dist ./apps/cache/dist
COPY --from=production-deps /app/apps/cache/node_modules ./apps/cache/node_modules
COPY --from=production-deps /app/apps/cli/package.json ./apps/cli/package.json
COPY --from=production-deps /app/apps/cli/bin ./apps/cli/bin
COPY --from=production-deps /app/apps/cli/dist ./apps/cli/dist
COPY --from=production-deps /app/apps/cli/node_modules ./apps/cli/node_modules
USER node
# 4370: the cluster (node to node); 8080: HTTP (the app, probes, /metrics, /observer); 6379: the cache's Redis protocol.
EXPOSE 4370 8080 6379
# --initial-heap-size=64: RECOMMENDED_NODE_FLAGS (packages/transport/README.md, "Large messages and the collector").
CMD ["node", "--initial-heap-size=64", "apps/chat/dist/main.js"]
