"""``/v1/clusters``: the queue, one cluster, triage, audit trail and case bundle."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from graphsiem.api.deps import AnalystCaller, Context
from graphsiem.api.schemas import (
    AuditOut,
    CaseBundle,
    ClusterDetail,
    ClusterPage,
    ClusterSummary,
    TriagePatch,
)
from graphsiem.api.services import clusters as service
from graphsiem.api.state import Status, Verdict

router = APIRouter(prefix="/v1/clusters", tags=["clusters"])

ClusterId = Annotated[str, Path(min_length=1, max_length=128, description="Cluster id.")]
_NOT_FOUND = {404: {"description": "No such cluster."}}


@router.get("", response_model=ClusterPage, summary="The cluster queue, highest risk first, ties rarest first")
async def list_clusters(
    ctx: Context,
    _: AnalystCaller,
    min_score: Annotated[float | None, Query(ge=0, le=100, description="Minimum risk.")] = None,
    status: Annotated[Status | None, Query()] = None,
    verdict: Annotated[Verdict | None, Query()] = None,
    since: Annotated[datetime | None, Query(
        description="Only clusters last seen at or after this ISO-8601 time.")] = None,
    cursor: Annotated[str | None, Query(max_length=512, description="From next_cursor.")] = None,
    limit: Annotated[int | None, Query(ge=1, description="Page size (capped).")] = None,
    include_inactive: Annotated[bool, Query(description=(
        "Every stored cluster, also those the latest detection did not produce. Without it: "
        "the latest detection's clusters plus inactive ones still being worked on (triaged, "
        "not closed, not benign; with `status` or `verdict`, closed and benign ones too)."
    ))] = False,
) -> Response:
    # Reads only the state database: cheap enough to run on the event loop,
    # which keeps the queue fast under many concurrent clients.
    size = min(limit or ctx.settings.page_size_default, ctx.settings.page_size_max)
    since_ts = since.timestamp() if since is not None else None
    body = service.list_clusters_json(ctx, min_score=min_score, status=status, verdict=verdict,
                                      since=since_ts, cursor=cursor, limit=size,
                                      include_inactive=include_inactive)
    return Response(body, media_type="application/json")


@router.get("/{cluster_id}", response_model=ClusterDetail, responses=_NOT_FOUND,
            summary="Members, subgraph, explanation and evidence of one cluster")
async def get_cluster(ctx: Context, _: AnalystCaller, cluster_id: ClusterId) -> ClusterDetail:
    return await run_in_threadpool(service.cluster_detail, ctx, cluster_id)


@router.patch("/{cluster_id}", response_model=ClusterSummary, responses=_NOT_FOUND,
              summary="Triage: status, verdict, assignee, note (audited)")
def patch_cluster(ctx: Context, caller: AnalystCaller, cluster_id: ClusterId,
                  patch: TriagePatch) -> ClusterSummary:
    return service.patch_triage(ctx, cluster_id, patch, actor=caller.actor)


@router.get("/{cluster_id}/audit", response_model=list[AuditOut], responses=_NOT_FOUND,
            summary="Audit trail of a cluster's triage: who changed what, when")
def get_audit(ctx: Context, _: AnalystCaller, cluster_id: ClusterId) -> list[AuditOut]:
    return service.audit(ctx, cluster_id)


@router.get("/{cluster_id}/bundle", response_model=CaseBundle, responses=_NOT_FOUND,
            summary="Case bundle: members, subgraph, explanation, evidence and audit as JSON")
def get_bundle(ctx: Context, caller: AnalystCaller, cluster_id: ClusterId) -> CaseBundle:
    return service.bundle(ctx, cluster_id, actor=caller.actor)
