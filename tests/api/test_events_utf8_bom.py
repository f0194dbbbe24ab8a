"""API bodies and uploads starting with a UTF-8 byte-order mark read as the same text without it."""

from __future__ import annotations

import codecs

import orjson
import pytest

from tests.api.conftest import Api
from tests.api.fleet import fleet_events

EVENTS = fleet_events()[:5]
NDJSON = b"".join(orjson.dumps(record) + b"\r\n" for record in EVENTS)
SYSLOG = (b"<34>1 2026-11-20T09:00:00Z ws-0001 sshd 42 - - Failed password for root\r\n"
          b"<13>1 2026-11-20T09:00:01Z ws-0002 su 7 - - session opened for user bob\r\n")
BODIES = {
    "ndjson": (NDJSON, "application/x-ndjson", 5),
    "ndjson-untyped": (NDJSON, "", 5),
    "json-array": (orjson.dumps(EVENTS), "application/json", 5),
    "json-array-untyped": (orjson.dumps(EVENTS), "", 5),
    "syslog": (SYSLOG, "text/plain", 2),
}


def _post(api: Api, body: bytes, content_type: str) -> dict:
    headers = {"Content-Type": content_type} if content_type else {}
    answer = api.post("/v1/events", role="ingest", content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.mark.parametrize("kind", list(BODIES))
def test_a_body_with_a_utf8_mark_gives_the_ids_of_the_body_without(api: Api, kind: str) -> None:
    body, content_type, records = BODIES[kind]
    marked = _post(api, codecs.BOM_UTF8 + body, content_type)
    assert (marked["received"], marked["accepted"], marked["rejected"]) == (records, records, 0), marked
    plain = _post(api, body, content_type)
    assert plain["duplicates"] == records and plain["events"] == 0, plain


@pytest.mark.parametrize(("name", "body", "records"),
                         [("events.ndjson", NDJSON, 5), ("messages.log", SYSLOG, 2)])
def test_an_upload_with_a_utf8_mark_gives_the_ids_of_the_file_without(api: Api, name: str, body: bytes,
                                                                      records: int) -> None:
    marked = api.post("/v1/files", role="ingest", files={"file": (name, codecs.BOM_UTF8 + body)}).json()
    assert (marked["received"], marked["accepted"], marked["rejected"]) == (records, records, 0), marked
    plain = api.post("/v1/files", role="ingest", files={"file": (name, body)}).json()
    assert plain["duplicates"] == records and plain["events"] == 0, plain
