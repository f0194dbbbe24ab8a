"""Replay: the graph rebuilt from the journal alone equals the live one (both stores).

The live graph is built the way production builds it: several ingest calls
(ECS batches, then Zeek/DHCP sensor files whose IP joins depend on leases of
an earlier call), each projected as it lands.  Replay clears the store and
the IP -> host map and projects the journal from seq 0.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ingest.journal import Journal
from ingest.pipeline import ingest_paths, ingest_records
from ingest.replay import replay
from tests.api.fleet import fleet_events
from tests.reliability.snapshot import snapshot

FIXTURES = Path(__file__).resolve().parent.parent / "ingest" / "fixtures"


def _live(store: Any, journal: Journal) -> None:
    events = fleet_events()
    third = len(events) // 3
    for chunk in (events[:third], events[third:2 * third], events[2 * third:]):
        report = ingest_records(chunk, store=store, journal=journal, origin="api")
        assert report.total.rejected == 0
    ingest_paths([FIXTURES / "sensor" / "b_dhcp.json"], store=store, journal=journal,
                 progress=False)
    ingest_paths([FIXTURES / "sensor" / "a_conn.json", FIXTURES / "ecs_events.ndjson"],
                 store=store, journal=journal, progress=False)


def test_replay_rebuilds_the_live_graph(store: Any, tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    try:
        _live(store, journal)
        live = snapshot(store)
        assert live["counts"]["sightings"]["total"] > 0 and live["relations"]
        summary = replay(journal, store)
        assert summary.events == journal.counts()["events"]
        assert summary.errors == 0
        rebuilt = snapshot(store)
    finally:
        journal.close()
    for part in ("counts", "entities", "relations", "sightings"):
        assert rebuilt[part] == live[part], part


def test_replay_twice_is_the_same_graph(embedded_store: Any, tmp_path: Path) -> None:
    """Replay is idempotent: nothing accumulates across rebuilds."""
    journal = Journal(tmp_path / "journal.sqlite")
    try:
        _live(embedded_store, journal)
        replay(journal, embedded_store)
        first = snapshot(embedded_store)
        replay(journal, embedded_store)
        assert snapshot(embedded_store) == first
    finally:
        journal.close()
