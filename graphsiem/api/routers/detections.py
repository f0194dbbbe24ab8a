"""``/v1/detections``: run a detection now and follow it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from graphsiem.api.deps import AnalystCaller, Context
from graphsiem.api.schemas import DetectionOut
from graphsiem.api.services import detections as service

router = APIRouter(prefix="/v1/detections", tags=["detections"])

RunId = Annotated[str, Path(min_length=1, max_length=64, description="Detection run id.")]


RUN_DESCRIPTION = """
Queue one detection run and answer at once (202); poll `GET /v1/detections/{id}`
until its status is `done` or `failed`.  The run applies the pivots suppressed by
benign verdicts (`/v1/suppressions`) and its clusters become the queue's active ones.

The detection window is the last 24 h ending at:

* `now`, when given: a **backtest**.  ISO-8601 with a zone (`2026-11-02T00:00:00Z`,
  `2026-11-02T01:00:00+01:00`); nothing first seen after it is read, as with
  `graphsiem detect --now`.  A time without a zone or that is not ISO-8601 is **422**
  (`field: "now"`).  The queue then shows what was detectable at `now`: run again
  without `now` to return to the present.
* otherwise the fleet's newest event: the newest sighting of the hosts whose clocks
  agree with the fleet's.  Hosts more than 2 h ahead of the time by which 90 % of the
  hosts last reported, and events dated more than 1 h past the server's clock, do not
  move it, so one host with a wrong clock (or an event stamped 2099) cannot move the
  window past everything else.
"""

NowQuery = Annotated[str | None, Query(
    max_length=64, examples=["2026-11-02T00:00:00Z"],
    description="End of the detection window for a backtest, ISO-8601 with a zone "
                "(Z or +hh:mm); default the fleet's newest event.")]


@router.post("", response_model=DetectionOut, status_code=202,
             summary="Run a detection now (asynchronous; poll GET /v1/detections/{id})",
             description=RUN_DESCRIPTION,
             responses={422: {"description": "`now` is not ISO-8601 with a zone."}})
def run_detection(ctx: Context, caller: AnalystCaller, now: NowQuery = None) -> DetectionOut:
    run, _ = ctx.detections.submit(trigger="api", requested_by=caller.actor,
                                   now=service.parse_now(now))
    return service.to_out(run)


@router.get("", response_model=list[DetectionOut], summary="Recent detection runs")
def list_detections(ctx: Context, _: AnalystCaller) -> list[DetectionOut]:
    return [service.to_out(r) for r in ctx.state.list_detections(limit=50)]


@router.get("/{detection_id}", response_model=DetectionOut, summary="One detection run",
            responses={404: {"description": "No such run."}})
def get_detection(ctx: Context, _: AnalystCaller, detection_id: RunId) -> DetectionOut:
    return service.get_detection(ctx, detection_id)
