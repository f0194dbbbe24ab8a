"""``/v1/detections``: run a detection now and follow it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from graphsiem.api.deps import AnalystCaller, Context
from graphsiem.api.schemas import DetectionOut
from graphsiem.api.services import detections as service

router = APIRouter(prefix="/v1/detections", tags=["detections"])

RunId = Annotated[str, Path(min_length=1, max_length=64, description="Detection run id.")]


@router.post("", response_model=DetectionOut, status_code=202,
             summary="Run a detection now (asynchronous; poll GET /v1/detections/{id})")
def run_detection(ctx: Context, caller: AnalystCaller) -> DetectionOut:
    run, _ = ctx.detections.submit(trigger="api", requested_by=caller.actor)
    return service.to_out(run)


@router.get("", response_model=list[DetectionOut], summary="Recent detection runs")
def list_detections(ctx: Context, _: AnalystCaller) -> list[DetectionOut]:
    return [service.to_out(r) for r in ctx.state.list_detections(limit=50)]


@router.get("/{detection_id}", response_model=DetectionOut, summary="One detection run",
            responses={404: {"description": "No such run."}})
def get_detection(ctx: Context, _: AnalystCaller, detection_id: RunId) -> DetectionOut:
    return service.get_detection(ctx, detection_id)
