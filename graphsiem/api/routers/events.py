"""``POST /v1/events`` and ``POST /v1/files``: push telemetry (ingest role)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute

from graphsiem.api.context import AppContext
from graphsiem.api.deps import Context, IngestCaller
from graphsiem.api.disk_floor import app_disk_floor
from graphsiem.api.errors import InsufficientStorage
from graphsiem.api.journal_writes import RETRY_AFTER_SECONDS, journal_writes
from graphsiem.api.schemas import IngestReport
from graphsiem.api.services.ingest import BODY_CODINGS, check_content_encoding, decode_content
from graphsiem.api.upload_limits import check_decompressed_size
from ingest.parsers.base import FIRST_YEAR, LAST_YEAR
from ingest.write_failure import STORAGE_ERRORS, JournalWriteError, storage_reason

_UPLOAD_CODING_HINT = ("send the file itself gzip-compressed (a .gz file is recognised by its "
                       "content) instead of compressing the multipart request")


def _content_encoding(request: Request) -> str:
    """Every ``Content-Encoding`` line, joined: repeated lines are one list (RFC 9110 5.3).

    ``headers.get`` gave only the first line, so ``identity`` then ``gzip`` was read as
    identity (the gzip body framed as text) and ``identity`` then ``compress`` was not refused.
    """
    return ", ".join(request.headers.getlist("content-encoding"))


class _CodingCheckedRoute(APIRoute):
    """Refuses an unsupported ``Content-Encoding`` (415) before the body is read or parsed.

    FastAPI parses a multipart form before the endpoint (or any dependency)
    runs, so ``/v1/files`` could not answer for the encoding itself: a gzip
    envelope got a 400 from the form parser (measured), which names no encoding.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        endpoint = self.endpoint

        async def checked(request: Request) -> Response:
            header = _content_encoding(request)
            if header:
                # read per request: the endpoints are given their codings after they are routed
                check_content_encoding(header, accepted=getattr(endpoint, "content_codings", ()),
                                       hint=getattr(endpoint, "content_coding_hint", ""))
            return await handler(request)

        return checked


log = logging.getLogger("graphsiem.api")

_STORAGE_ANSWER = {"description": "The journal's disk refused the write (full, read-only): the "
                                  "message names the reason and what of the request was journaled "
                                  "before; `Retry-After` says when to send it again."}


router = APIRouter(prefix="/v1", tags=["ingest"], route_class=_CodingCheckedRoute)

Format = Annotated[str, Query(
    min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$",
    description="Parser name (`suricata`, `zeek`, `winlogbeat`, `syslog`, ...) or `auto` "
                "(each record is sniffed).")]

Timezone = Annotated[str | None, Query(
    min_length=1, max_length=64,
    description="IANA time zone of timestamps written without one and without a better source "
                "(as `graphsiem ingest --timezone`; docs/fields.md), e.g. `Europe/Paris`; UTC when "
                "not given.  A CSV export's `X [Local Time]` columns are read only when it is given "
                "(their rows are rejected otherwise, the reason naming the column).")]

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
        "text/csv": {
            "schema": {"type": "string"},
            "example": '"TimeGenerated [UTC]",Computer,EventID,Channel,TargetUserName\n'
                       '"2/25/2025, 9:19:25.391 AM",ws-0001,4624,Security,alice\n',
        },
        "text/tab-separated-values": {
            "schema": {"type": "string"},
            "example": "_time\thost\t_raw\n1764403200\tweb01\tsshd[42]: Accepted password for bob\n",
        },
    },
}


@router.post(
    "/events", response_model=IngestReport,
    summary="Ingest events: a JSON array, NDJSON, a CSV export, or syslog text lines",
    openapi_extra={"requestBody": _EVENTS_BODY},
    responses={400: {"description": "A body that is not valid data of its `Content-Encoding`."},
               413: {"description": "Body, decompressed body or batch over the limit (the limit "
                                    "is named)."},
               415: {"description": "A `Content-Encoding` other than gzip, x-gzip, deflate, "
                                    "zstd, br or identity."},
               422: {"description": "Unknown format or time zone, unreadable body, or a CSV body "
                                    "whose first line is no export's header (field and reason)."},
               507: _STORAGE_ANSWER},
)
async def post_events(
    ctx: Context, caller: IngestCaller, request: Request, format: Format = "auto",
    timezone: Timezone = None, year: Year = None,
) -> IngestReport:
    """Framing follows ``Content-Type`` (``application/json``: an array or one object;
    ``application/x-ndjson``; ``text/csv`` or ``text/tab-separated-values``: an export's
    header line, then a record per row, rejections named ``api/<request id>:<line>``; ``text/plain``:
    one record per line) or, when absent or generic, the first byte of the body.
    ``accepted`` records are journaled before the answer; each rejected record is
    listed with its reason.

    A body sent with ``Content-Encoding: gzip`` (``x-gzip``, ``deflate``, ``zstd``
    when installed) is decompressed first, up to the body limit: shippers
    compress (Fluent Bit ``compress gzip``, Vector, Logstash ``http_compression``)."""
    body = await request.body()
    coding = _content_encoding(request)
    if coding and body:
        # already checked by the route class: only the decoding (and its size bound) is left
        body = await run_in_threadpool(decode_content, body, coding,
                                       limit=ctx.settings.max_body_bytes)
    content_type = request.headers.get("content-type", "")
    with _journal_writes_noted(ctx):
        return await run_in_threadpool(ctx.ingest.ingest_body, body, fmt=format,
                                       content_type=content_type, timezone=timezone, year=year,
                                       key_id=caller.key_id)


@router.post(
    "/files", response_model=IngestReport,
    summary="Upload a log file (Zeek, EVE, EVTX, Windows JSON, syslog; gzip accepted)",
    responses={413: {"description": "Upload, or what a gzip upload decompresses to, over the limit (the "
                                    "limit is named; nothing of it journaled)."},
               415: {"description": "A `Content-Encoding` on the request: upload a .gz file "
                                    "instead."},
               422: {"description": "Unknown format or unreadable file (field and reason)."},
               507: _STORAGE_ANSWER},
)
async def post_file(
    ctx: Context, caller: IngestCaller,
    file: Annotated[UploadFile, File(description="The log file; its name is only a hint.")],
    format: Format = "auto", timezone: Timezone = None, year: Year = None,
) -> IngestReport:
    """The file is stored under the data directory with a generated name (the
    client's file name is sanitised and only used as a format hint, never as a path),
    then ingested like ``graphsiem ingest``.  A gzip file that decompresses to more than
    ``max_upload_decompressed_bytes`` is refused (413) before any of it is read."""
    with _journal_writes_noted(ctx):
        # the upload is not copied under the data directory below the free-space floor (disk_floor)
        app_disk_floor(ctx).check()
        await run_in_threadpool(check_decompressed_size, file.file, ctx.settings.max_upload_decompressed_bytes)
        return await run_in_threadpool(ctx.ingest.ingest_upload, file.file, file.filename or "",
                                       fmt=format, timezone=timezone, year=year, key_id=caller.key_id)


@contextmanager
def _journal_writes_noted(ctx: AppContext) -> Iterator[None]:
    """A refused journal write answered 507 (with ``Retry-After``) and noted for ``/readyz``; a write that
    went through noted too (:mod:`graphsiem.api.journal_writes`).

    The message names the disk's reason, never a path (:mod:`graphsiem.api.errors`),
    and how many of the request's records were journaled before (a body of more
    than one batch commits a batch at a time): sending the request again
    journals the rest, and nothing twice.
    """
    writes = journal_writes(ctx)
    try:
        yield
    except JournalWriteError as exc:
        writes.failed(exc.reason)
        log.error("journal write refused: %s (answered 507; /readyz not ready for %d s)", exc, RETRY_AFTER_SECONDS)
        journaled = exc.report.total.accepted if exc.report is not None else 0
        raise InsufficientStorage(
            f"the journal could not be written: {exc.reason}; {journaled} records of this request were "
            f"journaled before it and {exc.records} were not; send the request again later (records "
            "already journaled are not journaled twice)",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from None
    except STORAGE_ERRORS as exc:
        # an upload stored under the data directory, or the journal opened for this thread
        writes.failed(storage_reason(exc))
        log.error("data directory write refused: %s (answered 507)", exc)
        raise InsufficientStorage(
            f"the data directory could not be written: {storage_reason(exc)}; nothing of this request "
            "was journaled; send it again later",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from None
    writes.succeeded()


post_events.content_codings = BODY_CODINGS  # type: ignore[attr-defined]
post_file.content_codings = ()  # type: ignore[attr-defined]
post_file.content_coding_hint = _UPLOAD_CODING_HINT  # type: ignore[attr-defined]
