"""``/v1/clusters``: the queue, one cluster, triage, audit trail and case bundle."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from graphsiem.api.deps import AnalystCaller, Context
from graphsiem.api.errors import Unprocessable
from graphsiem.api.queue_order import SORTABLE, parse_sort
from graphsiem.api.schemas import (
    AuditOut,
    CaseBundle,
    ClusterDetail,
    ClusterPage,
    ClusterSummary,
    TriagePatch,
)
from graphsiem.api.services import clusters as service
from graphsiem.api.services import triage_writes
from graphsiem.api.state import Status, Verdict

router = APIRouter(prefix="/v1/clusters", tags=["clusters"])

ClusterId = Annotated[str, Path(min_length=1, max_length=128, description="Cluster id.")]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such cluster."}}
_PATCH_ERRORS: dict[int | str, dict[str, Any]] = {
    **_NOT_FOUND,
    412: {"description": "`If-Match` names a triage version the cluster is no longer at; "
          "the error's details carry the current triage, the ETag header its version."},
    415: {"description": "The body is not sent as JSON."},
}
_QUEUE_ERRORS: dict[int | str, dict[str, Any]] = {
    304: {"description": "`If-None-Match` names this page's ETag: unchanged."},
    409: {"description": "`queue_changed`: the cursor was made on an earlier detection's queue; "
          "restart from the first page."},
}


def _epoch(name: str, value: datetime | None) -> float | None:
    """Epoch seconds of a query time; 422 naming it when it has no zone (it would be read in the server's)."""
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise Unprocessable(f"{name} needs a time zone (e.g. 2026-11-20T09:00:00Z or +02:00)", field=name)
    return value.timestamp()


def _json_body(content_type: Annotated[str | None, Header(include_in_schema=False)] = None) -> None:
    triage_writes.require_json(content_type)


@router.get("", response_model=ClusterPage, responses=_QUEUE_ERRORS, summary="The cluster queue, highest risk first, ties rarest first")
async def list_clusters(
    ctx: Context,
    _: AnalystCaller,
    min_score: Annotated[float | None, Query(ge=0, le=100, description="Minimum risk.")] = None,
    status: Annotated[Status | None, Query()] = None,
    verdict: Annotated[Verdict | None, Query()] = None,
    since: Annotated[datetime | None, Query(
        description="Only clusters last seen (event time) at or after this ISO-8601 time; zone required.")] = None,
    updated_since: Annotated[datetime | None, Query(
        description="Only clusters whose `updated_at` (a detection changed them or their triage was "
        "written; server time) is at or after this ISO-8601 time; zone required.")] = None,
    q: Annotated[str | None, Query(max_length=256, description=(
        "Only clusters whose summary, a host name, an entity's value or key (a file's digest) or the "
        "pivot's key contains this text, in any case of any script and compatibility form (NFKC, "
        "Unicode's full case mapping: `ÄDMIN` finds `ädmin`, `STRASSE` `straße`; the dotless ı "
        "matches i); lookalike letters of other scripts are not folded."))] = None,
    sort: Annotated[str | None, Query(max_length=32, description=(
        "The order: a column of the queue, `-` before it for descending: "
        + ", ".join(SORTABLE) + " (e.g. `-last_seen`). Ties, and without it the whole queue, go "
        "by risk (highest first), then fewest hosts, then id. A missing value (no verdict, no "
        "assignee) sorts first ascending; a summary compares by its first 200 characters. "
        "A cursor is for the sort it was made under."))] = None,
    cursor: Annotated[str | None, Query(max_length=2048, description="From next_cursor.")] = None,
    limit: Annotated[int | None, Query(ge=1, description="Page size (capped).")] = None,
    include_inactive: Annotated[bool, Query(description=(
        "Every stored cluster, also those the latest detection did not produce. Without it: "
        "the latest detection's clusters plus inactive ones still being worked on (triaged, "
        "not closed, not benign; with `status` or `verdict`, closed and benign ones too)."
    ))] = False,
    if_none_match: Annotated[str | None, Header(max_length=2048, description=(
        "A page's ETag: 304 while the page is unchanged."))] = None,
) -> Response:
    # Reads only the state database: cheap enough to run on the event loop,
    # which keeps the queue fast under many concurrent clients.
    size = min(limit or ctx.settings.page_size_default, ctx.settings.page_size_max)
    try:
        order = parse_sort(sort)
    except ValueError as exc:
        raise Unprocessable(str(exc), field="sort") from None
    body, etag = service.list_clusters_json(
        ctx, min_score=min_score, status=status, verdict=verdict, since=_epoch("since", since),
        updated_since=_epoch("updated_since", updated_since), cursor=cursor, limit=size,
        include_inactive=include_inactive, text=(q or "").strip() or None, sort=order)
    if triage_writes.etag_matches(if_none_match, etag):
        return Response(status_code=304, headers={"ETag": etag})
    return Response(body, media_type="application/json", headers={"ETag": etag})


@router.get("/{cluster_id}", response_model=ClusterDetail, responses=_NOT_FOUND,
            summary="Members, subgraph, explanation and evidence of one cluster")
async def get_cluster(
    ctx: Context, _: AnalystCaller, cluster_id: ClusterId, response: Response,
    include: Annotated[str | None, Query(max_length=64, description=(
        "The heavy parts to return, comma-separated: `subgraph`, `evidence`. Without the parameter "
        "both; `include=` (empty) neither, and those left out are null (an 828-host cluster's "
        "detail is 5 MB, its subgraph nearly all of it: a SOAR reading the triage and the "
        "explanation leaves it out)."))] = None,
) -> ClusterDetail:
    parts = service.detail_parts(include)
    detail = await run_in_threadpool(service.cluster_detail, ctx, cluster_id, parts=parts)
    # The triage version: what a PATCH's If-Match names (not a cache validator of the detail).
    response.headers["ETag"] = service.triage_etag(detail.triage.version)
    return detail


@router.patch("/{cluster_id}", response_model=ClusterSummary, responses=_PATCH_ERRORS,
              dependencies=[Depends(_json_body)],
              summary="Triage: status, verdict, assignee, note (audited; If-Match, Idempotency-Key)")
def patch_cluster(
    ctx: Context, caller: AnalystCaller, cluster_id: ClusterId, patch: TriagePatch,
    if_match: Annotated[str | None, Header(max_length=2048, description=(
        "The cluster's ETag (its triage version) as read: the change is refused with 412 when "
        "someone changed the triage since. Without it the change is applied whatever the version."))] = None,
    idempotency_key: Annotated[str | None, Header(max_length=255, description=(
        "A key of your choice (1-255 visible ASCII characters): a retry with the same key and body "
        "within 24 h gets the first answer again and is not applied or audited twice."))] = None,
) -> Response:
    answer = triage_writes.patch_once(ctx, cluster_id, patch, actor=caller.actor,
                                      if_match=if_match, idempotency_key=idempotency_key)
    headers = {"ETag": service.triage_etag(answer.version)}
    if answer.replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(answer.body, media_type="application/json", headers=headers)


@router.get("/{cluster_id}/audit", response_model=list[AuditOut], responses=_NOT_FOUND,
            summary="Audit trail of a cluster's triage: who changed what, when")
def get_audit(ctx: Context, _: AnalystCaller, cluster_id: ClusterId) -> list[AuditOut]:
    return service.audit(ctx, cluster_id)


@router.get("/{cluster_id}/bundle", response_model=CaseBundle, responses=_NOT_FOUND,
            summary="Case bundle: members, subgraph, explanation, evidence and audit as JSON")
def get_bundle(ctx: Context, caller: AnalystCaller, cluster_id: ClusterId) -> CaseBundle:
    return service.bundle(ctx, cluster_id, actor=caller.actor)
