"""A live event's sightings are dated no earlier than its receipt minus the allowed lateness (ingest.receipt).

Review R5, item 1: syslog lines, which need no key, may claim any host and any
time; dated a day early they made a campaign "old".  Here: the same CEF line
read from an operator's file is dated as written (last week's logs still make
last week's entities old); received live a day after its time, its sightings
are dated by the receipt; 10 minutes late, as written.  A replay of the
journal projects the same sightings as the live ingest did.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graphsiem.model import Event
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths, ingest_records
from ingest.pipeline_lines import ingest_lines
from ingest.projection import Projector
from ingest.receipt import API_LATENESS_ENV, DEFAULT_LATENESS_S, LATENESS_ENV, RECEIVED_AT
from ingest.replay import replay
from tests.reliability.snapshot import snapshot

WRITTEN = 1_793_523_600.0  # 2026-11-01T09:00:00Z, what the line says
DOMAIN = ("domain", "cdn-img-delivery.example")
LINE = ("<134>1 2026-11-01T09:00:00Z ws-0040 edr - - - CEF:0|Acme|EDR|1.0|100|web|3|rt=2026-11-01T09:00:00Z "
        "dvchost=ws-0040 sproc=C:\\\\Windows\\\\explorer.exe request=http://cdn-img-delivery.example/")


def _first_seen(store: Any) -> float:
    (sighting,) = [s for s in store.hosts_of(*DOMAIN) if s.host == "ws-0040"]
    return float(sighting.first_seen)


def test_an_operators_file_is_dated_as_written(tmp_path: Path) -> None:
    (tmp_path / "last_week.log").write_text(LINE + "\n")
    store = EmbeddedStore(tmp_path / "graph")
    journal = Journal(tmp_path / "journal.sqlite")
    try:
        ingest_paths([tmp_path / "last_week.log"], store=store, journal=journal, progress=False)
        (event,) = [item.event for item in journal.iter_events()]
        assert RECEIVED_AT not in event.fields and event.ts == WRITTEN
        assert _first_seen(store) == WRITTEN
    finally:
        journal.close()
        store.close()


@pytest.mark.parametrize(("late_by", "seen_at"), [
    (600.0, WRITTEN),  # a backlog of 10 minutes: as written
    (86_400.0, WRITTEN + 86_400.0 - DEFAULT_LATENESS_S),  # back-dated by a day: the lateness before its receipt
])
def test_a_live_line_is_sighted_no_earlier_than_its_receipt_minus_the_lateness(
    tmp_path: Path, late_by: float, seen_at: float,
) -> None:
    store = EmbeddedStore(tmp_path / "graph")
    journal = Journal(tmp_path / "journal.sqlite")
    try:
        ingest_lines([LINE], origin="syslog-udp/t", store=store, journal=journal,
                     received=[WRITTEN + late_by], received_at=WRITTEN + late_by)
        (event,) = [item.event for item in journal.iter_events()]
        # the event keeps its own time; its receipt is journaled beside it
        assert (event.ts, event.fields[RECEIVED_AT]) == (WRITTEN, WRITTEN + late_by)
        assert _first_seen(store) == seen_at
        # the journal alone rebuilds the same sightings (live = replay)
        live = snapshot(store)
        replay(journal, store)
        assert snapshot(store)["sightings"] == live["sightings"]
        assert _first_seen(store) == seen_at
    finally:
        journal.close()
        store.close()


@pytest.mark.parametrize(("origin", "environment", "seen_at"), [
    ("syslog-udp/ab12:1", {}, WRITTEN + 86_400.0 - DEFAULT_LATENESS_S),
    ("syslog-tcp/ab12:1", {LATENESS_ENV: "43200"}, WRITTEN + 86_400.0 - 43_200.0),
    ("api/5f0c:1", {}, WRITTEN),  # an ingest key's: dated as written unless bounded too
    ("api/5f0c:1", {API_LATENESS_ENV: "3600"}, WRITTEN + 86_400.0 - 3_600.0),
])
def test_the_allowed_lateness_is_per_channel_and_configurable(
    monkeypatch: pytest.MonkeyPatch, origin: str, environment: dict[str, str], seen_at: float,
) -> None:
    for name in (LATENESS_ENV, API_LATENESS_ENV):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    fields = {"dns.question.name": "cdn-img-delivery.example", "process.executable": "C:\\a.exe",
              RECEIVED_AT: WRITTEN + 86_400.0}
    event = Event("e1", "sysmon:dns_query", WRITTEN, "ws-0040", "test", fields, origin)
    (sighting,) = [s for s in Projector().project([event]).sightings if s.entity == DOMAIN]
    assert sighting.first_seen == seen_at


def test_a_bad_lateness_is_refused_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LATENESS_ENV, "half a day")
    with pytest.raises(ValueError, match=LATENESS_ENV):
        Projector()


def test_a_record_cannot_claim_a_receipt_time(tmp_path: Path) -> None:
    """The key is the session's: an API record's own value is overwritten, a file's lands under ``ecs.``."""
    record = {"@timestamp": "2026-11-01T09:00:00Z", "host": {"name": "ws-0040"},
              "dns": {"question": {"name": "cdn-img-delivery.example"}}, "graphsiem": {"received_at": 1.0}}
    journal = Journal(tmp_path / "journal.sqlite")
    try:
        ingest_records([record], store=None, journal=journal, receipt=WRITTEN + 5.0)
        (event,) = [item.event for item in journal.iter_events()]
        assert event.fields[RECEIVED_AT] == WRITTEN + 5.0
        (tmp_path / "file.ndjson").write_text('{"@timestamp": "2026-11-01T10:00:00Z", "host": {"name": "ws-1"}, '
                                              '"graphsiem.received_at": 1e10}\n')
        ingest_paths([tmp_path / "file.ndjson"], store=None, journal=journal, progress=False)
        second = [item.event for item in journal.iter_events()][1]
        assert RECEIVED_AT not in second.fields
    finally:
        journal.close()
