# GraphSIEM HTTP service (API, analysts' page, optional syslog listener).
#
#   docker build -t graphsiem .
#   docker run -p 127.0.0.1:8000:8000 -e GRAPHSIEM_BOOTSTRAP_ADMIN_KEY=... -v graphsiem-data:/data graphsiem
#
# Settings come from GRAPHSIEM_* environment variables (graphsiem/settings.py).

# -- stage 1: the page's browser dependency (Cytoscape.js) from the npm registry
FROM node:20-slim AS web
WORKDIR /src
COPY web/package.json web/package-lock.json web/
COPY scripts/build_web.sh scripts/build_web.sh
RUN mkdir -p graphsiem/web/static \
    && bash scripts/build_web.sh

# -- stage 2: the Python service
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    GRAPHSIEM_DATA=/data \
    GRAPHSIEM_HOST=0.0.0.0 \
    GRAPHSIEM_PORT=8000 \
    GRAPHSIEM_SYSLOG_HOST=0.0.0.0
WORKDIR /app
COPY pyproject.toml README.md ./
COPY graphsiem graphsiem
COPY ingest ingest
COPY analytics analytics
COPY --from=web /src/graphsiem/web/static/vendor graphsiem/web/static/vendor
RUN pip install --no-compile . \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin graphsiem \
    && mkdir -p /data && chown graphsiem /data
USER graphsiem
VOLUME ["/data"]
EXPOSE 8000 5514/tcp 5514/udp
# Liveness through the public health route (no key needed); python is in the
# image, curl is not.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"GRAPHSIEM_PORT\", \"8000\")}/healthz', timeout=4)" || exit 1
ENTRYPOINT ["graphsiem", "serve"]
CMD []
