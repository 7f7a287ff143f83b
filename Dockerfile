# chainvault's daemon in a container. Build: `docker build -t chainvault .`; run it with compose.yaml.
# Stage 1 installs the production dependencies once; the runtime stage copies them without npm's cache.

FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:24-slim AS runtime
# postgresql-client: `chainvault backup` uses pg_dump when it is at least as new as the server (else a COPY dump).
# tini: signals reach the daemon (SIGTERM stops it gracefully) and zombies are reaped.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client tini \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system chainvault \
    && useradd --system --gid chainvault --home-dir /var/lib/chainvault --create-home --shell /usr/sbin/nologin chainvault
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
ENV NODE_ENV=production \
    CHAINVAULT_CONFIG=/etc/chainvault/chainvault.yaml \
    CHAINVAULT_DATA_DIR=/var/lib/chainvault/data
USER chainvault
WORKDIR /var/lib/chainvault
EXPOSE 9464
# /healthz answers 200 while the scheduler loop goes round (src/http/liveness.ts). Off loopback the daemon
# requires a bearer token, so the check sends CHAINVAULT_HTTP_TOKEN when it is set.
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD ["node", "-e", "const t=process.env.CHAINVAULT_HTTP_TOKEN;fetch('http://127.0.0.1:9464/healthz',{headers:t?{authorization:'Bearer '+t}:{}}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["tini", "--", "node", "/app/bin/chainvault.js"]
CMD ["daemon"]
