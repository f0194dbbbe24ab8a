"""The same message without a time, sent twice, is two events (review R5, item 6).

An RFC 5424 line whose TIMESTAMP is NILVALUE is dated by its receipt; its id
used to come from its bytes alone, so the second of two identical failed
log-ons (a brute force repeats itself) was a duplicate and lost.  The id of a
record dated by its receipt includes the receipt time; a record that carries
its own time keeps the id of its bytes, so a repeat of it is still nothing new.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

from tests.api.conftest import make_settings, running_api
from tests.api.syslog_listener_thread import wait_until

NIL = b"<38>1 - fw01 sshd - - - Failed password for root from 203.0.113.9 port 4242 ssh2"
DATED = b"<38>1 2026-11-01T09:00:00Z fw01 sshd - - - Failed password for root from 203.0.113.9 port 4243 ssh2"


def test_a_repeated_message_without_a_time_is_two_events(store: Any, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", syslog_udp_port=0, syslog_flush_s=0.05)
    with running_api(settings, store) as api:
        port = api.app.state.syslog.udp_port
        metrics = api.ctx.metrics.ingest_records
        counted = lambda: sum(metrics.labels("syslog-udp", what)._value.get()  # noqa: E731
                              for what in ("accepted", "rejected"))
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        with sender:
            for message in (NIL, DATED, NIL, DATED):
                sender.sendto(message, ("127.0.0.1", port))
                time.sleep(0.3)  # a batch each (the listener flushes every 0.05 s): ids are per record anyway
        wait_until(lambda: counted() >= 4, "four messages counted")
        journal = api.ctx.ingest.journal()
        events = [item.event for item in journal.iter_events()]
        repeats = [e for e in events if e.fields.get("log.syslog.time_source") == "receipt"]
        assert len(repeats) == 2 and repeats[0].ts < repeats[1].ts
        assert len({e.id for e in repeats}) == 2
        # a message dated by itself, sent again, adds nothing (as a file ingested twice)
        assert len([e for e in events if e not in repeats]) == 1
        assert api.ctx.metrics.ingest_duplicates.labels("syslog-udp")._value.get() == 1
