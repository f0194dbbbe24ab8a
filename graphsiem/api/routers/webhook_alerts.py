"""``/v1/webhook/alerts``: where each webhook alert's delivery stands (admin).

Dead alerts (refused, or given up after their attempts or age) were visible
only as a count in ``/metrics``, an error log line and rows of
``state.sqlite``: an operator could not see *which* clusters' alerts never
reached the receiver without opening the database.  This lists the outbox
(:mod:`graphsiem.webhook_outbox`), oldest first, without the alerts' bodies
(``GET /v1/clusters/{id}`` has the cluster).  Admin only: it names the
receiver's errors.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from graphsiem.api.deps import AdminCaller, Context
from graphsiem.model import epoch_to_iso

router = APIRouter(prefix="/v1/webhook", tags=["webhook"])


class WebhookAlertOut(BaseModel):
    delivery_id: str = Field(description="`X-GraphSIEM-Delivery` of every try of this alert.")
    event: str
    cluster_id: str
    detection_id: str
    state: str = Field(description="`pending` (waiting for its next try) or `dead` (never resent).")
    attempts: int
    created_at: str | None = Field(None, description="When the alert was decided (UTC).")
    next_attempt_at: str | None = Field(None, description="A pending alert's next try (UTC).")
    last_attempt_at: str | None = None
    last_error: str | None = Field(None, description="The last try's failure: `HTTP 503`, `ReadTimeout…`.")
    dead_at: str | None = None
    in_backup_at: str | None = Field(None, description="When a backup copied this alert waiting: this data "
                                     "directory was restored from it, and the original may have delivered it "
                                     "(sent with `X-GraphSIEM-Possible-Duplicate: backup`).")


class WebhookAlertsOut(BaseModel):
    enabled: bool = Field(description="Whether a webhook is configured (`GRAPHSIEM_WEBHOOK_URL`).")
    pending: int
    dead: int
    items: list[WebhookAlertOut]


@router.get("/alerts", response_model=WebhookAlertsOut,
            summary="Webhook alerts waiting or dead, oldest first (admin)")
async def list_webhook_alerts(
    ctx: Context,
    _: AdminCaller,
    state: Annotated[Literal["pending", "dead"] | None, Query(description="Only this state.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> WebhookAlertsOut:
    """The outbox's rows (no bodies), and how many wait or are dead."""
    webhook = ctx.webhook
    if webhook is None:
        return WebhookAlertsOut(enabled=False, pending=0, dead=0, items=[])
    outbox = webhook.outbox

    def read() -> WebhookAlertsOut:
        rows = outbox.rows(state, limit=limit)
        items = [WebhookAlertOut(
            delivery_id=r.delivery_id, event=r.event, cluster_id=r.cluster_id,
            detection_id=r.detection_id, state=r.state, attempts=r.attempts,
            created_at=epoch_to_iso(r.created_at),
            next_attempt_at=epoch_to_iso(r.next_attempt_at) if r.state == "pending" else None,
            last_attempt_at=epoch_to_iso(r.last_attempt_at), last_error=r.last_error,
            dead_at=epoch_to_iso(r.dead_at), in_backup_at=epoch_to_iso(r.in_backup_at)) for r in rows]
        return WebhookAlertsOut(enabled=True, pending=outbox.count("pending"), dead=outbox.count("dead"),
                                items=items)

    return await run_in_threadpool(read)
