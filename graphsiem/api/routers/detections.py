"""``/v1/detections``: run a detection now and follow it."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Response

from graphsiem.api.deps import AnalystCaller, Context
from graphsiem.api.errors import Forbidden, Unprocessable
from graphsiem.api.schemas import BacktestClustersOut, DetectionOut
from graphsiem.api.services import detections as service
from graphsiem.api.state import Role
from graphsiem.api.state_detection_pages import UnknownRun, detections_page

router = APIRouter(prefix="/v1/detections", tags=["detections"])

RunId = Annotated[str, Path(min_length=1, max_length=64, description="Detection run id.")]


RUN_DESCRIPTION = """
Queue one detection run and answer at once (202); poll `GET /v1/detections/{id}`
until its status is `done` or `failed`.  The run applies the pivots suppressed by
benign verdicts (`/v1/suppressions`).  A run without `now` replaces the queue's
active clusters; a backtest does not (below).

The detection window is the last 24 h ending at:

* `now`, when given: a **backtest**.  ISO-8601 with a zone (`2026-11-02T00:00:00Z`,
  `2026-11-02T01:00:00+01:00`); nothing first seen after it is read, as with
  `graphsiem detect --now`.  A time without a zone or that is not ISO-8601 is **422**
  (`field: "now"`).  Its clusters are kept under the run's id, read them with
  `GET /v1/detections/{id}/clusters`; the queue, its metrics and the webhook are left
  as they were, so one analyst's look at the past does not empty everyone's queue.
  With `activate=true` (admin keys only; **403** otherwise) the backtest becomes the
  active queue instead, which then shows what was detectable at `now` until the next
  run without `now`.
* otherwise the fleet's newest event: the newest sighting of the hosts whose clocks
  agree with the fleet's.  One or two hosts more than a window ahead of the next, and
  events dated more than 1 h past the server's clock, do not move it, so one host with
  a wrong clock (or an event stamped 2099) cannot move the window past everything else.
  Fewer than half of the hosts more than 1 h ahead of the rest *lead* the fleet: the
  window ends at their newest event and its start moves back to a window before the
  rest's newest event, by one extra window at most (so up to 48 h).

A finished run's record gives the window it read (`window_start`, `window_end`,
`window_hours`), what it held (`window_hosts`, `window_sightings` of `fleet_hosts`),
how it was set when that is not the plain last 24 h (`window_note`: a widened or
capped start and the leading hosts, hosts ahead ignored) and, when it found no
cluster, why (`no_cluster_reason`).
"""

NowQuery = Annotated[str | None, Query(
    max_length=64, examples=["2026-11-02T00:00:00Z"],
    description="End of the detection window for a backtest, ISO-8601 with a zone "
                "(Z or +hh:mm); default the fleet's newest event.")]

ActivateQuery = Annotated[bool, Query(
    description="Make a backtest (`now` given) the active queue; admin keys only. "
                "Without it a backtest's clusters are kept under its run id.")]


@router.post("", response_model=DetectionOut, status_code=202,
             summary="Run a detection now (asynchronous; poll GET /v1/detections/{id})",
             description=RUN_DESCRIPTION,
             responses={202: {"description": "Accepted: the run, also at its `Location`.",
                              "headers": {"Location": {"description": "The run's URL, `/v1/detections/{id}`.",
                                                       "schema": {"type": "string"}}}},
                        403: {"description": "`activate=true` without an admin key."},
                        422: {"description": "`now` is not ISO-8601 with a zone."}})
def run_detection(ctx: Context, caller: AnalystCaller, response: Response, now: NowQuery = None,
                  activate: ActivateQuery = False) -> DetectionOut:
    when = service.parse_now(now)
    if activate and when is not None and caller.role is not Role.ADMIN:
        raise Forbidden("only an admin key may make a backtest the active queue (activate=true)",
                        field="activate")
    run, _ = ctx.detections.submit(trigger="api" if when is None else "backtest",
                                   requested_by=caller.actor, now=when, activate=activate)
    # where to follow the accepted run (RFC 9110 §15.3.3), as the list's Link header does (review U3 #3d)
    response.headers["Location"] = f"{router.prefix}/{run.id}"
    return service.to_out(run)


LIST_LIMIT_DEFAULT = 50
"""Runs answered when ``limit`` is not given (the list's size before it could be paged)."""
LIST_LIMIT_MAX = 200

LIST_DESCRIPTION = f"""
The detection runs, newest first (by request time), **a bare JSON array** as it always was:
`limit` runs (default {LIST_LIMIT_DEFAULT}, at most {LIST_LIMIT_MAX}).  When more runs
follow, the answer has a `Link: </v1/detections?limit=N&before=ID>; rel="next"` header;
`before` is the id of the last run of a page and reads the runs requested before it, so
runs started meanwhile never shift the pages that follow.  An unknown `before` is **422**
(`field: "query.before"`).
"""


@router.get("", response_model=list[DetectionOut], summary="Detection runs, newest first (paged)",
            description=LIST_DESCRIPTION,
            responses={200: {"headers": {"Link": {
                "description": 'The next page, `<...>; rel="next"`; absent on the last page.',
                "schema": {"type": "string"}}}},
                       422: {"description": "`limit` out of range, or `before` names no run."}})
def list_detections(
    ctx: Context, _: AnalystCaller, response: Response,
    limit: Annotated[int, Query(ge=1, le=LIST_LIMIT_MAX, description="Most runs answered.")] = LIST_LIMIT_DEFAULT,
    before: Annotated[str | None, Query(min_length=1, max_length=64, description=(
        "A run's id (the last of the previous page): answer the runs requested before it."))] = None,
) -> list[DetectionOut]:
    try:
        runs, more = detections_page(ctx.state, limit=limit, before=before)
    except UnknownRun:
        raise Unprocessable(f"no detection run {str(before)[:80]!r} to page after (before)",
                            field="query.before") from None
    if more and runs:
        query = urlencode({"limit": limit, "before": runs[-1].id})
        response.headers["Link"] = f'</v1/detections?{query}>; rel="next"'
    return service.runs_out(ctx, runs)


@router.get("/{detection_id}/clusters", response_model=BacktestClustersOut,
            summary="A backtest's clusters, kept apart from the queue",
            responses={404: {"description": "No such run, or it kept no backtest clusters."}})
def get_backtest_clusters(ctx: Context, _: AnalystCaller, detection_id: RunId) -> BacktestClustersOut:
    """The clusters of a backtest that did not become the active queue (``now`` and the
    clusters' stored form, highest risk first)."""
    return BacktestClustersOut.model_validate(service.backtest_clusters(ctx, detection_id))


@router.get("/{detection_id}", response_model=DetectionOut, summary="One detection run",
            responses={404: {"description": "No such run."}})
def get_detection(ctx: Context, _: AnalystCaller, detection_id: RunId) -> DetectionOut:
    return service.get_detection(ctx, detection_id)
