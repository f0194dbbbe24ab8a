"""Ingest is refused below a free-space floor, before the disk is full (review R5, item 5).

The journal never deletes; a disk that filled answered 507 only once the
journal's writes failed, after it had taken the disk's last bytes.  Now every
ingest write first asks the data directory's filesystem: below
``disk_min_free_bytes`` (or ``disk_min_free_percent``, the smaller) HTTP ingest
answers 507 naming the floor, syslog batches are counted as dropped, and
``/readyz`` is not ready.  The floor is set above the real free space of the
test's filesystem (no figures are faked), then lowered as if space was freed.
A real app, a real journal, a real syslog TCP listener.
"""

from __future__ import annotations

import gzip
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graphsiem.api.disk_floor import app_disk_floor
from tests.api.conftest import Api, make_settings, running_api
from tests.api.syslog_listener_thread import wait_until

ABOVE_ANY_DISK = 1 << 60  # bytes: more than any filesystem has free
LINE = b"<134>1 2026-11-02T10:00:00Z fw01 app - - - over the floor\n"


@pytest.fixture
def floored(store: Any, tmp_path: Path) -> Iterator[Api]:
    store.clear()
    settings = make_settings(tmp_path / "data", disk_min_free_bytes=ABOVE_ANY_DISK, disk_min_free_percent=0,
                             syslog_tcp_port=0, syslog_flush_s=0.05)
    with running_api(settings, store) as api:
        yield api


def _journaled(api: Api) -> int:
    return api.ctx.ingest.projection_status().journaled_seq


def _syslog_dropped(api: Api) -> float:
    text = api.get("/metrics", role="analyst").text
    found = re.search(r'^graphsiem_syslog_dropped_total\{transport="tcp"\} (\S+)$', text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_ingest_below_the_floor_is_507_not_ready_and_nothing_is_journaled(floored: Api) -> None:
    ready = floored.client.get("/readyz")
    assert ready.status_code == 503  # said before any write is tried
    assert "below the floor" in ready.json()["error"]["message"]

    events = floored.post("/v1/events", role="ingest", content=LINE, headers={"Content-Type": "text/plain"})
    assert events.status_code == 507, events.text
    assert "below the floor" in events.json()["error"]["message"]
    assert "disk_min_free_bytes" in events.json()["error"]["message"]
    assert events.headers["Retry-After"]

    upload = floored.post("/v1/files", role="ingest",
                          files={"file": ("x.log.gz", gzip.compress(LINE), "application/gzip")})
    assert upload.status_code == 507, upload.text
    assert "below the floor" in upload.json()["error"]["message"]

    with socket.create_connection(("127.0.0.1", floored.app.state.syslog.tcp_port), timeout=10) as sender:
        sender.sendall(LINE)
    wait_until(lambda: _syslog_dropped(floored) == 1.0, "the syslog message counted as dropped")
    assert _journaled(floored) == 0


def test_ingest_resumes_once_space_is_free_again(floored: Api) -> None:
    assert floored.post("/v1/events", role="ingest", content=LINE,
                        headers={"Content-Type": "text/plain"}).status_code == 507
    app_disk_floor(floored.ctx).min_free_bytes = 1  # as if the operator freed space
    events = floored.post("/v1/events", role="ingest", content=LINE, headers={"Content-Type": "text/plain"})
    assert events.status_code == 200 and events.json()["accepted"] == 1
    assert floored.client.get("/readyz").status_code == 200
    assert _journaled(floored) == 1
