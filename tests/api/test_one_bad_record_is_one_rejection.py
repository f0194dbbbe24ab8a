"""One bad record is one rejection (review R2, items 3, 5, 6, 8): syslog batches, text bodies, files.

A syslog batch is read as syslog messages whatever one of them holds; a
``text/plain`` body is read line by line, an explicit ``format`` choosing the
reader; a text file with a few bytes that are not UTF-8 is read line by line;
a body is never split on a bare ``\\r`` (only a file of such lines is).  Every report has
received = accepted + rejected, and each rejection is kept with its reason.
"""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import Api, make_settings, running_api

GOOD = b"<13>1 2026-11-20T09:00:00Z ws-0001 sshd 42 - - Accepted password for bob from 10.0.0.9 port 22 ssh2"

POISONS = {
    # message, whether it comes first in the batch (where a first line chose the framing)
    "nul": (b"<13>1 2026-11-20T09:00:00Z evil sshd 42 - - hello\x00world", False),
    "ctrl": (b"<13>1 2026-11-20T09:00:00Z evil sshd 42 - - " + bytes(range(1, 9)) * 8, False),
    "json": (b'{"a":1}', True),
    "csv": (b"TimeGenerated,Computer,EventID", True),
    "xml": (b"<Event><System/></Event>", True),
    "zeek": (b"#separator \\x09", True),
    # ASCII with NULs between: the pattern of UTF-16 text without a byte-order mark
    "utf16": ("<13>1 2026".encode("utf-16-le") * 2, True),
}


def _sshd(tag: str, i: int) -> bytes:
    return (f"<13>1 2026-11-20T09:00:00Z {tag}-{i:03d} sshd 42 - - Accepted password for "
            f"{tag}user{i} from 10.0.0.9 port 22 ssh2").encode()


def _counts(api: Api, channel: str) -> tuple[float, float]:
    metric = api.ctx.metrics.ingest_records
    return (metric.labels(channel, "accepted")._value.get(), metric.labels(channel, "rejected")._value.get())


@pytest.mark.parametrize("poison", sorted(POISONS))
def test_one_poison_message_in_a_syslog_batch_is_one_record(embedded_store: Any, tmp_path: Path,
                                                            poison: str) -> None:
    message, first = POISONS[poison]
    # one flush for the whole batch: the 21 datagrams arrive well within a second
    settings = make_settings(tmp_path / "data", syslog_udp_port=0, syslog_flush_s=1.0)
    with running_api(settings, embedded_store) as api:
        port = api.app.state.syslog.udp_port
        datagrams = [_sshd(poison, i) for i in range(20)]
        datagrams.insert(0 if first else len(datagrams), message)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            for datagram in datagrams:
                sender.sendto(datagram, ("127.0.0.1", port))
        deadline = time.monotonic() + 20
        while sum(_counts(api, "syslog-udp")) < 21 and time.monotonic() < deadline:
            time.sleep(0.05)
        accepted, rejected = _counts(api, "syslog-udp")
        # before: nothing (a NUL, control bytes, UTF-16's pattern), or all 21 rejected;
        # a message with a NUL or control bytes is a syslog message: read, its bytes kept
        assert (accepted, rejected) == ((21, 0) if poison in ("nul", "ctrl") else (20, 1))
        journal = api.ctx.ingest.journal()
        users = {e.event.fields.get("user.name") for e in journal.iter_events()}
        assert {f"{poison}user{i}" for i in range(20)} <= users
        kept = journal.rejected()
        assert len(kept) == rejected
        if poison == "nul":
            assert "hello\x00world" in {e.event.fields.get("message") for e in journal.iter_events()}
        if rejected:
            (rejection,) = kept
            assert rejection.reason.startswith("not a syslog record")
            assert rejection.origin.startswith("syslog-udp/") and rejection.origin.endswith(
                ":1" if first else ":21")


def _post(api: Api, body: bytes, content_type: str = "text/plain", **params: str) -> dict:
    answer = api.post("/v1/events", role="ingest", content=body, headers={"Content-Type": content_type},
                      params=params)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["received"] == report["accepted"] + report["rejected"]
    return report


@pytest.mark.parametrize("first", [b'{"a":1}', b"TimeGenerated,Computer,EventID", b"<Event><System/></Event>",
                                   b"#separator \\x09"])
@pytest.mark.parametrize("fmt", ["syslog", "auto"])
def test_the_first_line_of_a_text_body_decides_nothing_for_the_others(api: Api, first: bytes, fmt: str) -> None:
    body = first + b"\n" + GOOD + b"\n" + GOOD.replace(b"bob", b"carol") + b"\n" + GOOD.replace(b"bob", b"dave")
    report = _post(api, body, format=fmt)
    # before: 4 rejected (JSON, CSV first), or 2 received for 4 lines (<Event> merged the 3 after it)
    assert (report["received"], report["accepted"], report["rejected"]) == (4, 3, 1), report
    (rejection,) = report["rejections"]
    assert re.fullmatch(r"api/[0-9a-f]{16}:1", rejection["origin"])  # api/<X-Request-ID>:<line>
    if fmt == "syslog":
        assert rejection["reason"].startswith("not a syslog record")


def test_text_plain_detects_each_line_json_or_text(api: Api) -> None:
    # an NDJSON line after a syslog line is still read as the JSON object it is
    ecs = b'{"@timestamp": "2026-11-20T09:00:00Z", "host": {"name": "ws-0002"}, "event": {"kind": "event"}}'
    report = _post(api, GOOD + b"\n" + ecs + b"\n")
    assert (report["received"], report["accepted"], report["rejected"]) == (2, 2, 0), report
    assert set(report["by_format"]) == {"syslog", "ecs"}


def test_a_bare_cr_in_a_body_never_splits_it(api: Api) -> None:
    # review RV1, item 3: a body is never split on \r (only a file is), so a field holding
    # "\r<13>... Accepted password for administrator" cannot forge a second record
    lines = [GOOD.replace(b"bob", f"cruser{i}".encode()) for i in range(3)]
    report = _post(api, b"\r".join(lines) + b"\r")
    assert report["received"] == 1, report  # before (dd1f67c): 3 records


def test_a_body_of_bare_crs_is_one_line_against_the_record_limit(api: Api) -> None:
    limit = api.ctx.settings.max_batch_records
    answer = api.post("/v1/events", role="ingest", content=b"x\r" * (limit + 1),
                      headers={"Content-Type": "text/plain"})
    assert answer.status_code == 200, answer.text  # before (dd1f67c): 413, counted as limit + 1 lines
    assert answer.json()["received"] == 1


def test_a_latin1_byte_keeps_its_line_written_as_an_escape(api: Api) -> None:
    body = GOOD + b"\n" + GOOD.replace(b"bob", b"jos\xe9") + b"\n" + GOOD.replace(b"bob", b"carol") + b"\n"
    for upload in (False, True):
        if upload:
            answer = api.post("/v1/files", role="ingest", files={"file": ("latin.log", body)})
            assert answer.status_code == 200, answer.text  # before: 422, the whole file refused
            report = answer.json()
        else:
            report = _post(api, body)
        assert (report["received"], report["accepted"]) == (3, 3), report
    users = {e.event.fields.get("user.name") for e in api.ctx.ingest.journal().iter_events()}
    assert "jos\\xe9" in users and not any("\ufffd" in (u or "") for u in users)
