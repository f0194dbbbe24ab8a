"""``GET /v1/evidence``: journaled events by id, for the page's evidence table.

The cluster detail carries a capped sample of its evidence events; an edge the
analyst clicks (or one reached by exploring neighbours) names event ids that
may not be in that sample.  This route reads them back from the journal.  It
is mounted with the page because the page is what needs it; it uses the API's
own authentication (analyst role) and context.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from graphsiem.api.deps import AnalystCaller, Context
from graphsiem.api.schemas import JournalEvent, MappedHost

MAX_IDS = 200

router = APIRouter(prefix="/v1", tags=["evidence"])


class EvidenceOut(BaseModel):
    """Events found in the journal, and the ids it does not hold."""

    items: list[JournalEvent] = Field(description=(
        "Events: id, kind, ts, host, source, origin, fields, raw; an event received on a live channel "
        "(syslog listener, POST /v1/events, /v1/files) also has received_at (ISO-8601 UTC, when it arrived) "
        "and, when it arrived after the time it claims, received_late_s (receipt minus ts, seconds). "
        "Events of files ingested with `graphsiem ingest` have neither."))
    missing: list[str] = Field(default_factory=list)
    mapped_hosts: dict[str, list[MappedHost]] = Field(default_factory=dict, description=(
        "Event id -> the host the ingest's IP -> host map held for its source and destination addresses at "
        "its time, source first: only for events that name no host (Zeek, Suricata) and that the map ties "
        "to one. The items stay as recorded."))


@router.get("/evidence", response_model=EvidenceOut, summary="Journaled events by id (evidence)")
async def get_evidence(
    ctx: Context,
    _: AnalystCaller,
    ids: Annotated[list[str], Query(min_length=1, max_length=MAX_IDS,
                                    description=f"Event ids (repeat the parameter, at most {MAX_IDS}).")],
) -> EvidenceOut:
    """The events behind a node or an edge, as the journal keeps them."""
    wanted = list(dict.fromkeys(i for i in ids if 0 < len(i) <= 256))
    if ctx.journal is None or not wanted:
        return EvidenceOut(items=[], missing=wanted)
    from graphsiem.api.services.evidence_hosts import evidence_with_hosts

    found, mapped = await run_in_threadpool(evidence_with_hosts, ctx, wanted)
    return EvidenceOut(items=[found[i] for i in wanted if i in found],
                       missing=[i for i in wanted if i not in found], mapped_hosts=mapped)
