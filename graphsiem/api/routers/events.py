"""``POST /v1/events`` and ``POST /v1/files``: push telemetry (ingest role)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool

from graphsiem.api.deps import Context, IngestCaller
from graphsiem.api.schemas import IngestReport
from ingest.parsers.base import FIRST_YEAR, LAST_YEAR

router = APIRouter(prefix="/v1", tags=["ingest"])

Format = Annotated[str, Query(
    min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$",
    description="Parser name (`suricata`, `zeek`, `winlogbeat`, `syslog`, ...) or `auto` "
                "(each record is sniffed).")]

Timezone = Annotated[str, Query(
    min_length=1, max_length=64,
    description="IANA time zone of timestamps written without one and without a better source "
                "(as `graphsiem ingest --timezone`; docs/fields.md), e.g. `Europe/Paris`.")]

Year = Annotated[int | None, Query(
    ge=FIRST_YEAR, le=LAST_YEAR,
    description="Year of timestamps written without one (RFC 3164 syslog lines), as "
                "`graphsiem ingest --year`; by default the date nearest to now.")]

_EVENTS_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {"type": "array", "items": {"type": "object"}},
            "example": [{"timestamp": "2021-06-06T10:00:00.000000+0000",
                         "event_type": "dns", "src_ip": "192.168.1.129",
                         "dest_ip": "8.8.8.8", "dns": {"type": "query",
                                                       "rrname": "example.com"}}],
        },
        "application/x-ndjson": {
            "schema": {"type": "string"},
            "example": '{"_path":"dns","ts":1591367999.3,"uid":"C1","id.orig_h":"10.0.0.5",'
                       '"id.orig_p":53000,"id.resp_h":"10.0.0.1","id.resp_p":53,'
                       '"query":"example.com"}\n',
        },
        "text/plain": {
            "schema": {"type": "string"},
            "example": "<13>1 2026-11-20T09:00:00Z ws-0001 sshd 42 - - Accepted password\n",
        },
    },
}


@router.post(
    "/events", response_model=IngestReport,
    summary="Ingest events: a JSON array, NDJSON, or syslog text lines",
    openapi_extra={"requestBody": _EVENTS_BODY},
    responses={413: {"description": "Body or batch over the limit (the limit is named)."},
               422: {"description": "Unknown format or unreadable body (field and reason)."}},
)
async def post_events(
    ctx: Context, _: IngestCaller, request: Request, format: Format = "auto",
    timezone: Timezone = "UTC", year: Year = None,
) -> IngestReport:
    """Framing follows ``Content-Type`` (``application/json``: an array or one object;
    ``application/x-ndjson``; ``text/plain``: one record per line) or, when absent
    or generic, the first byte of the body.  ``accepted`` records are journaled
    before the answer; each rejected record is listed with its reason."""
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    return await run_in_threadpool(ctx.ingest.ingest_body, body, fmt=format,
                                   content_type=content_type, timezone=timezone, year=year)


@router.post(
    "/files", response_model=IngestReport,
    summary="Upload a log file (Zeek, EVE, EVTX, Windows JSON, syslog; gzip accepted)",
    responses={413: {"description": "Upload over the limit (the limit is named)."},
               422: {"description": "Unknown format or unreadable file (field and reason)."}},
)
async def post_file(
    ctx: Context, _: IngestCaller,
    file: Annotated[UploadFile, File(description="The log file; its name is only a hint.")],
    format: Format = "auto", timezone: Timezone = "UTC", year: Year = None,
) -> IngestReport:
    """The file is stored under the data directory with a generated name (the
    client's file name is sanitised and only used as a format hint, never as a path),
    then ingested like ``graphsiem ingest``."""
    return await run_in_threadpool(ctx.ingest.ingest_upload, file.file, file.filename or "",
                                   fmt=format, timezone=timezone, year=year)
