"""``POST /v1/events`` and ``POST /v1/files`` in UTF-16/UTF-32, with and without a byte-order mark."""

from __future__ import annotations

import codecs

import orjson
import pytest

from tests.api.conftest import Api
from tests.api.fleet import fleet_events

EVENTS = fleet_events()[:5]
SYSLOG = ("<34>1 2026-11-20T09:00:00Z ws-0001 sshd 42 - - Failed password for root\r\n"
          "<13>1 2026-11-20T09:00:01Z ws-0002 su 7 - - session opened for user bob\r\n")
MARKS = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE,
         "utf-32-le": codecs.BOM_UTF32_LE, "utf-32-be": codecs.BOM_UTF32_BE}
ENCODINGS = [pytest.param(encoding, mark, id=f"{encoding}-{'marked' if mark else 'unmarked'}")
             for encoding in MARKS for mark in (True, False)]


def _encoded(text: str, encoding: str, mark: bool) -> bytes:
    return (MARKS[encoding] if mark else b"") + text.encode(encoding)


def _counts(report: dict) -> tuple[int, int, int]:
    return report["received"], report["accepted"], report["rejected"]


@pytest.mark.parametrize(("encoding", "mark"), ENCODINGS)
@pytest.mark.parametrize("content_type", ["application/json", ""])
def test_a_utf16_or_utf32_json_array_body_is_read_as_utf8(api: Api, encoding: str, mark: bool,
                                                          content_type: str) -> None:
    # .NET's Encoding.Unicode.GetBytes(json) posted as is: before, orjson refused the body
    # and the stream reader read nothing of it
    body = _encoded(orjson.dumps(EVENTS, option=orjson.OPT_INDENT_2).decode(), encoding, mark)
    headers = {"Content-Type": content_type} if content_type else {}
    report = api.post("/v1/events", role="ingest", content=body, headers=headers).json()
    assert _counts(report) == (5, 5, 0), report
    utf8 = api.post("/v1/events", role="ingest", content=orjson.dumps(EVENTS)).json()
    assert utf8["duplicates"] == 5  # the same records as their UTF-8 text: same ids


@pytest.mark.parametrize(("encoding", "mark"), ENCODINGS)
def test_a_utf16_or_utf32_ndjson_body_is_read_as_utf8(api: Api, encoding: str, mark: bool) -> None:
    text = "".join(orjson.dumps(record).decode() + "\r\n" for record in EVENTS)
    report = api.post("/v1/events", role="ingest", content=_encoded(text, encoding, mark),
                      headers={"Content-Type": "application/x-ndjson"}).json()
    assert _counts(report) == (5, 5, 0), report


@pytest.mark.parametrize(("encoding", "mark"), ENCODINGS)
@pytest.mark.parametrize("route", ["events", "files"])
def test_utf16_or_utf32_syslog_text_is_read_as_utf8(api: Api, encoding: str, mark: bool, route: str) -> None:
    body = _encoded(SYSLOG, encoding, mark)
    if route == "events":
        answer = api.post("/v1/events", role="ingest", content=body, headers={"Content-Type": "text/plain"})
    else:
        answer = api.post("/v1/files", role="ingest", files={"file": ("messages.log", body)})
    report = answer.json()
    assert _counts(report) == (2, 2, 0), report
    assert report["by_format"]["syslog"]["accepted"] == 2
