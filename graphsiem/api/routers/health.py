"""Liveness (with the projection lag), readiness (store reachable) and Prometheus metrics."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from pydantic import Field
from starlette.responses import Response

from graphsiem.api.deps import AnalystCaller, Context
from graphsiem.api.errors import Unavailable
from graphsiem.api.schemas import HealthOut
from graphsiem.api.services.projection_status import ProjectionOut
from ingest.journal_clock_gaps import clock_gaps_in_file
from ingest.projection_version import rebuild_advised, version_in_file

router = APIRouter(tags=["health"])
log = logging.getLogger("graphsiem.api")


class LivenessOut(HealthOut):
    """``/healthz``: alive, how far the graph is behind the journal, and whether it needs a rebuild."""

    projection: ProjectionOut | None = None
    graph_projection_version: int | None = Field(
        default=None, description="The oldest projection version in the graph (ingest.projection_version); "
        "null when nothing is projected or the journal cannot be read.")
    graph_rebuild_advised: bool = Field(
        default=False, description="The graph was projected by an older release: `graphsiem rebuild` re-reads "
        "the events ingested before the upgrade with what the projection adds now.")
    clock_gap_hosts: int = Field(
        default=0, description="How many hosts' own clocks the latest ingest of their records found two "
        "minutes or more from a sensor's (kept in the journal, ingest.journal_clock_gaps): their events sit "
        "that far from the sensor rows of the same moments. A warning; no time is changed. A count only, "
        "as this route needs no key: `graphsiem stats` and the host's timeline (a key) name them.")


@router.get("/healthz", response_model=LivenessOut,
            summary="Liveness, and whether the graph is caught up (no key needed)")
async def healthz(ctx: Context) -> LivenessOut:
    """Always ``ok`` while the process serves; ``projection.lag_events`` 0 means caught up.

    The projection figures are ``null`` when the journal cannot be read: the
    service is alive all the same (``/readyz`` and ``/metrics`` say more).
    """
    try:
        status = await run_in_threadpool(ctx.ingest.projection_status)
    except Exception:  # noqa: BLE001 - liveness must not depend on the journal
        log.warning("/healthz: cannot read the journal's projection status", exc_info=True)
        return LivenessOut(status="ok")
    # one read-only look at the journal's meta (two keys): cheap enough for every probe
    version = await run_in_threadpool(version_in_file, ctx.settings.data_dir / "journal.sqlite")
    gaps = await run_in_threadpool(clock_gaps_in_file, ctx.settings.data_dir / "journal.sqlite")
    return LivenessOut(status="ok", projection=ProjectionOut.of(status), graph_projection_version=version,
                       graph_rebuild_advised=rebuild_advised(version),
                       clock_gap_hosts=len({gap["host"] for gap in gaps}))


@router.get("/readyz", response_model=HealthOut, summary="Readiness: the store is reachable",
            responses={503: {"description": "The graph store is not reachable."}})
async def readyz(ctx: Context) -> HealthOut:
    from graphsiem.api.disk_floor import app_disk_floor
    from graphsiem.api.journal_writes import RETRY_AFTER_SECONDS, journal_writes

    # not ready while the journal's disk refuses writes (the last write's outcome) or has less
    # free space than the ingest floor (one statvfs)
    journal_problem = journal_writes(ctx).problem() or app_disk_floor(ctx).problem()
    if journal_problem is not None:
        raise Unavailable(journal_problem, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})

    def _ping() -> bool:
        try:
            return bool(ctx.store.ping())
        except Exception:  # noqa: BLE001 - any failure to ping means not ready
            return False

    if not await run_in_threadpool(_ping):
        raise Unavailable("the graph store is not reachable")
    return HealthOut(status="ready", store=getattr(ctx.store, "name", None))


@router.get("/metrics", summary="Prometheus metrics (analyst or admin key)",
            response_class=Response,
            responses={200: {"content": {"text/plain": {}}, "description": "Exposition format"}})
async def metrics(ctx: Context, _: AnalystCaller) -> Response:
    def _render() -> bytes:
        # the projection gauges are read from the journal at each scrape (by key, no scan)
        ctx.metrics.observe_projection(ctx.ingest.projection_status())
        return ctx.metrics.render()

    return Response(await run_in_threadpool(_render), media_type=ctx.metrics.content_type)
