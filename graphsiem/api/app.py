"""The application factory: ``create_app(settings, store)``.

Nothing is built at import time.  The app owns its state database, journal,
metrics registry, detection runner, webhook notifier and (when ports are set)
syslog listener; the caller owns the graph store and closes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Depends, FastAPI

import graphsiem
from graphsiem.api.concurrency import ConcurrencyLimitMiddleware
from graphsiem.api.context import AppContext
from graphsiem.api.early_auth import EarlyAuthMiddleware
from graphsiem.api.errors import install_handlers
from graphsiem.api.metrics import Metrics
from graphsiem.api.middleware import (
    BodyLimitMiddleware,
    BodyTimeoutMiddleware,
    HeadAsGetMiddleware,
    RequestCountMiddleware,
    RequestIdMiddleware,
    SecurityHeadersMiddleware,
)
from graphsiem.api.openapi_errors import describe_errors
from graphsiem.api.query_params import reject_unknown_query_parameters
from graphsiem.api.routers import (
    clusters,
    detections,
    entities,
    events,
    health,
    keys,
    suppressions,
    webhook_alerts,
)
from graphsiem.api.services.detections import DetectionRunner
from graphsiem.api.startup_log import log_startup
from graphsiem.api.state import Role, StateStore
from graphsiem.internal_networks import use_service_networks
from graphsiem.settings import Settings
from graphsiem.store.base import GraphStore

log = logging.getLogger("graphsiem.api")

DESCRIPTION = """
Graph-based security event correlation.

* **Ingest** events (`POST /v1/events`, `POST /v1/files`) with an `ingest` key.
* Read **clusters** and **entities**, triage, run **detections** with an `analyst` key.
* `admin` keys may do everything, including managing keys (`/v1/keys`).

Send the key as `Authorization: Bearer <key>` or `X-API-Key: <key>`.  A missing,
unknown or revoked key is **401**; a key whose role may not use a route is **403**.
A key over its request quota (`GRAPHSIEM_API_KEY_RATE_PER_S`) is **429** with `Retry-After`.
Errors share one body: `{"error": {"code", "message", "field", "details"}}`.
"""


def _build_webhook(settings: Settings, metrics: Metrics, state: StateStore) -> Any:
    """The notifier over the outbox in ``state`` (what a previous run left is sent first)."""
    if not settings.webhook_url or settings.webhook_secret is None:
        return None
    import functools
    import time

    from graphsiem.webhook import WebhookNotifier
    from graphsiem.webhook_outbox import DEAD, PENDING, Outbox

    outbox = Outbox(state, max_rows=settings.webhook_outbox_max_rows)
    for row_state in (PENDING, DEAD):
        metrics.webhook_outbox_alerts.labels(row_state).set_function(
            functools.partial(outbox.count, row_state))
    metrics.webhook_oldest_pending_age.set_function(lambda: outbox.oldest_pending_age(time.time()))
    return WebhookNotifier(
        url=settings.webhook_url, secret=settings.webhook_secret.get_secret_value(),
        min_score=settings.webhook_min_score, max_attempts=settings.webhook_max_attempts,
        backoff_s=settings.webhook_backoff_s, timeout_s=settings.webhook_timeout_s,
        backoff_max_s=settings.webhook_backoff_max_s, max_age_s=settings.webhook_max_age_s,
        outbox=outbox, on_result=lambda outcome: metrics.webhook_deliveries.labels(outcome).inc(),
        public_url=settings.public_url, told_retention_s=settings.webhook_told_retention_s,
        min_confidence=settings.webhook_min_confidence,
    )


def create_app(settings: Settings, store: GraphStore) -> FastAPI:
    """Build the GraphSIEM HTTP application.

    Parameters
    ----------
    settings : Settings
        Validated settings (data directory, limits, schedule, webhook, syslog).
    store : GraphStore
        An open graph store; the caller closes it after the app has stopped.

    Returns
    -------
    FastAPI
        The app; its lifespan starts the detection schedule and the syslog
        listener (when configured) and stops them on shutdown.
    """
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # private by its mode (graphsiem.paths)
    use_service_networks(settings.internal_networks)  # ingest reads the networks its detections use
    metrics = Metrics()
    state = StateStore(settings.state_path)
    from graphsiem.api.services.ingest import IngestService

    ctx = AppContext(settings=settings, store=store, state=state, metrics=metrics,
                     webhook=_build_webhook(settings, metrics, state))
    ctx.ingest = IngestService(ctx)
    ctx.detections = DetectionRunner(ctx)
    if settings.bootstrap_admin_key is not None:
        state.ensure_key(settings.bootstrap_admin_key.get_secret_value(), role=Role.ADMIN,
                         name="bootstrap-admin")

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tasks: list[asyncio.Task[None]] = []
        listener = None
        if settings.detect_interval_s > 0:
            tasks.append(asyncio.create_task(ctx.detections.schedule(settings.detect_interval_s)))
        if settings.syslog_udp_port is not None or settings.syslog_tcp_port is not None:
            from graphsiem.api.syslog_sink import syslog_sink
            from graphsiem.syslog_listener import SyslogListener

            listener = SyslogListener(
                syslog_sink(ctx), host=settings.syslog_host,
                udp_port=settings.syslog_udp_port, tcp_port=settings.syslog_tcp_port,
                batch_records=settings.syslog_batch_records, flush_s=settings.syslog_flush_s,
                max_message=settings.syslog_max_message_bytes,
                max_inflight_batches=settings.syslog_max_inflight_batches,
                max_tcp_connections=settings.syslog_max_tcp_connections,
                max_tcp_connections_per_peer=settings.syslog_max_tcp_connections_per_peer,
                idle_timeout_s=settings.syslog_tcp_idle_timeout_s,
                rate_per_source=settings.syslog_rate_per_source,
                burst_per_source=settings.syslog_burst_per_source,
                max_rate_sources=settings.syslog_rate_max_sources, metrics=ctx.metrics)
            await listener.start()
        app.state.syslog = listener
        log_startup(settings, store, syslog_udp=listener.udp_port if listener else None,
                    syslog_tcp=listener.tcp_port if listener else None)
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            if listener is not None:
                await listener.stop()
            ctx.detections.shutdown()
            if ctx.webhook is not None:
                ctx.webhook.close()
            ctx.ingest.close()
            state.close()

    app = FastAPI(
        title="GraphSIEM API", version=graphsiem.__version__, description=DESCRIPTION,
        lifespan=lifespan,
        # every route: a /v1 request naming a query parameter its route does not read is a 422
        dependencies=[Depends(reject_unknown_query_parameters)],
        # FastAPI's pages load Swagger UI and ReDoc from a CDN (floating version,
        # no integrity) on the origin that holds the analyst's key: the web
        # package serves /docs from its vendored copy instead (graphsiem.web.api_docs).
        docs_url=None, redoc_url=None,
        openapi_tags=[
            {"name": "ingest", "description": "Push events and log files (ingest role)."},
            {"name": "clusters", "description": "Scored clusters, triage, case bundles."},
            {"name": "entities", "description": "Entity prevalence, neighbours, search."},
            {"name": "detections", "description": "Run detection and follow runs."},
            {"name": "suppressions", "description": "Pivots suppressed by benign verdicts."},
            {"name": "keys", "description": "API key administration (admin)."},
            {"name": "webhook", "description": "Where webhook alerts' deliveries stand (admin)."},
            {"name": "health", "description": "Liveness, readiness, metrics."},
        ],
    )
    app.state.ctx = ctx
    install_handlers(app)
    for module in (health, events, clusters, entities, detections, suppressions, keys, webhook_alerts):
        app.include_router(module.router)
    describe_errors(app)  # the document declares the one error body the handlers give
    _mount_web(app)
    # Each add_middleware wraps the ones before it: a request meets them bottom-up.
    app.add_middleware(BodyLimitMiddleware, max_body=settings.max_body_bytes,
                       max_upload=settings.max_upload_bytes, upload_paths=frozenset({"/v1/files"}))
    app.add_middleware(BodyTimeoutMiddleware, timeout_s=settings.body_timeout_s,
                       min_rate=settings.body_min_rate_bytes)
    # FastAPI parses a declared body before dependencies: key and role are checked
    # on the headers when the routed app first asks for the body.
    app.add_middleware(EarlyAuthMiddleware, ctx=ctx)
    app.add_middleware(HeadAsGetMiddleware)
    # Before authentication and the body limits: an overloaded service looks nothing up.
    app.add_middleware(ConcurrencyLimitMiddleware, max_requests=settings.http_limit_concurrency)
    app.add_middleware(RequestCountMiddleware, metrics=metrics)
    # Outermost, so the 413s answered by the body limit get the headers too.
    app.add_middleware(SecurityHeadersMiddleware)
    # Every answer, refusals included, names its request (X-Request-ID).
    app.add_middleware(RequestIdMiddleware)
    return app


def _mount_web(app: FastAPI) -> None:
    """Serve the analysts' page at ``/`` when the web package provides ``mount``."""
    try:
        from graphsiem import web
    except ImportError:  # pragma: no cover - the page is optional for API-only deployments
        return
    mount = getattr(web, "mount", None)
    if mount is not None:
        mount(app)
