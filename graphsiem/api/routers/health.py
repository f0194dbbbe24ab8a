"""Liveness, readiness (store reachable) and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from graphsiem.api.deps import AnalystCaller, Context
from graphsiem.api.errors import Unavailable
from graphsiem.api.schemas import HealthOut

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut, summary="Liveness (no key needed)")
async def healthz() -> HealthOut:
    return HealthOut(status="ok")


@router.get("/readyz", response_model=HealthOut, summary="Readiness: the store is reachable",
            responses={503: {"description": "The graph store is not reachable."}})
async def readyz(ctx: Context) -> HealthOut:
    from graphsiem.api.journal_writes import RETRY_AFTER_SECONDS, journal_writes

    # not ready while the journal's disk refuses writes: the last write's outcome, no disk probe
    journal_problem = journal_writes(ctx).problem()
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
    return Response(ctx.metrics.render(), media_type=ctx.metrics.content_type)
