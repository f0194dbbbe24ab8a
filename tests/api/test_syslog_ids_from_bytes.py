"""Distinct syslog messages stay distinct: a message's event id comes from its bytes (review RV1, item 7).

The listener writes a byte that is not UTF-8 as ``\\xNN`` and the API's syslog
sink escaped a CR inside an octet-counted frame as ``\\r``; the id was derived
from that text, so the byte ``\\xe9`` and the four characters ``\\xe9`` (or a
CR and the two characters ``\\r``) got one id and the second message was dropped
as a duplicate.  Files and bodies hash the bytes as read; now syslog does too.
These tests use the real API (journal, pipeline) and, for the listener, a real socket.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from graphsiem.syslog_listener import TcpFramer
from tests.api.conftest import Api, make_settings, running_api
from tests.api.syslog_listener_thread import wait_until

BYTE = b"<13>Nov 29 10:00:00 h1 sshd[1]: Failed password for jos\xe9 from 10.0.0.1\n"
ESCAPE = b"<13>Nov 29 10:00:00 h1 sshd[1]: Failed password for jos\\xe9 from 10.0.0.1\n"
CR = b"<13>Nov 29 10:00:00 h1 app: step one\rstep two"
BACKSLASH_R = b"<13>Nov 29 10:00:00 h1 app: step one\\rstep two"


def _framed(data: bytes) -> list[str]:
    return TcpFramer(max_message=64 * 1024).feed(data)


def test_a_byte_and_its_written_escape_are_two_records(embedded_store: Any, tmp_path: Path) -> None:
    with running_api(make_settings(tmp_path / "data"), embedded_store) as api:
        report = api.ctx.ingest.ingest_syslog(_framed(BYTE + ESCAPE), "tcp")
        assert (report.received, report.accepted, report.duplicates) == (2, 2, 0), report  # before: 1 duplicate
        report = api.ctx.ingest.ingest_syslog(_framed(b"%d " % len(CR) + CR + BACKSLASH_R + b"\n"), "tcp")
        assert (report.received, report.accepted, report.duplicates) == (2, 2, 0), report  # before: 1 duplicate
        # the same message sent again is still a duplicate
        report = api.ctx.ingest.ingest_syslog(_framed(BYTE), "tcp")
        assert (report.received, report.accepted, report.duplicates) == (1, 1, 1), report
        # and a text body holding the same bytes names the same events (ids from the bytes as read)
        body = api.post("/v1/events", role="ingest", content=BYTE + ESCAPE,
                        headers={"content-type": "text/plain"}).json()
        assert (body["received"], body["duplicates"]) == (2, 2), body


def test_over_a_real_socket_both_messages_reach_the_journal(embedded_store: Any, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", syslog_tcp_port=0, syslog_flush_s=0.05)
    with running_api(settings, embedded_store) as api:
        with socket.create_connection(("127.0.0.1", api.app.state.syslog.tcp_port), timeout=10) as sender:
            sender.sendall(BYTE + ESCAPE + BYTE)
            wait_until(lambda: _accepted(api) >= 3, "three messages accepted")
        events = [item.event for item in api.ctx.ingest.journal().iter_events()]
    # before: one event, the escape's line dropped as a duplicate of the byte's (whose text it shares)
    assert len(events) == 2 and len({e.id for e in events}) == 2, events
    assert {e.fields.get("message") for e in events} == {"Failed password for jos\\xe9 from 10.0.0.1"}, events


def _accepted(api: Api) -> float:
    return float(api.ctx.metrics.ingest_records.labels("syslog-tcp", "accepted")._value.get())
