# syntax=docker/dockerfile:1
# Tessera: multi-stage image. The build stage compiles with the dev toolchain; the runtime stage
# carries only production dependencies and the compiled output, and runs as the non-root `node`.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# No telemetry from install scripts during the build.
ENV SCARF_ANALYTICS=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_UPDATE_NOTIFIER=false
# Dependencies first, so source edits do not invalidate the npm cache layer.
COPY package.json package-lock.json ./
# npm workspaces: npm ci needs every workspace's manifest to match the lock file.
COPY packages/account/package.json packages/account/
COPY packages/client/package.json packages/client/
COPY packages/verifier/package.json packages/verifier/
RUN npm ci
COPY . .
RUN npm run build \
    && npm prune --omit=dev \
    && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
# MALLOC_ARENA_MAX: see src/memory-settings.ts (V8's settings are applied by main.ts itself).
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/app/data
WORKDIR /app
# Code and dependencies stay owned by root (read-only for the app); only DATA_DIR is writable.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/packages/account/dist ./packages/account/dist
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
# The slim image has no curl: probe readiness with Node's built-in fetch.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=5 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:3000/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/start.js"]
