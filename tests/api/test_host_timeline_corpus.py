"""PC-HELEN's timeline from the Brim syslog log (review T9 F1 remainder).

The Brim ``zeek-default/syslog.log`` carries 22 Windows events of PC-helen.jerry.land
as ``@cee`` JSON (88 lines: each datagram logged 4 times, one event), every one a service-state or other unmapped System event: no
process, user or address, so the graph has the host and no relation, and its
entity page had nothing to read.  The timeline lists them from the journal.
Read in place from ``$GRAPHSIEM_SAMPLES``; both graph stores.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import Api, make_settings, running_api

SYSLOG = "brimdata-zed-sample-data/zeek-default/syslog.log"
HELEN_EVENTS = 22
"""PC-helen's events of the log (``tests/ingest/parsers/test_zeek_syslog_windows_text_corpus.py``)."""


@pytest.fixture
def corpus_api(store: Any, tmp_path: Path, samples_dir: Path) -> Iterator[Api]:
    store.clear()
    with running_api(make_settings(tmp_path / "data", max_upload_bytes=4 * 1024 * 1024), store) as api:
        path = samples_dir / SYSLOG
        with path.open("rb") as handle:
            response = api.post("/v1/files", role="ingest", files={"file": (path.name, handle)})
        assert response.status_code == 200, response.text
        api.ctx.ingest.catch_up()
        yield api


def test_pc_helens_service_events_are_its_timeline(corpus_api: Api) -> None:
    api = corpus_api
    # what the page had: the host, and no relation to read
    assert api.get("/v1/entities/host/pc-helen/neighbors", role="analyst").json()["graph"]["edges"] == []
    rows, before = [], None
    while True:
        params: dict[str, Any] = {"limit": 50, **({"before": before} if before else {})}
        page = api.get("/v1/entities/host/PC-helen.jerry.land/events", role="analyst", params=params).json()
        assert page["host"] == "pc-helen" and page["total"] == HELEN_EVENTS
        rows += page["items"]
        before = page["next_before"]
        if before is None:
            break
    assert len(rows) == HELEN_EVENTS == len({row["id"] for row in rows})
    assert [row["ts"] for row in rows] == sorted((row["ts"] for row in rows), reverse=True)
    assert {row["kind"] for row in rows} == {"windows:other"}
    # the record's place: the uploaded file (the data directory as <data>) and its line
    assert all(row["origin"].startswith("<data>/uploads/") and row["origin"].rsplit(":", 1)[0].endswith(
        "/syslog.log") and row["origin"].rsplit(":", 1)[1].isdigit() for row in rows)
    # each row tells what happened: the service-state messages read
    states = Counter(row["summary"] for row in rows if "service entered the" in row["summary"])
    assert "The Multimedia Class Scheduler service entered the stopped state." in states
    assert all(row["summary"] for row in rows)
    # and the kind filter keeps the count of the whole timeline
    assert api.get("/v1/entities/host/pc-helen/events", role="analyst",
                   params={"kind": "windows:other", "limit": 1}).json()["total"] == HELEN_EVENTS
