"""A process node's ``sha256`` is the build of its earliest creation by event time, ties by event id,
wherever batches are cut (HOSTF3 #2): runs on [embedded] and [neo4j].

The node is keyed by image and command line, so every host's run of one updater is one node, and its
builds can differ (a trojan at the updater's path).  The projection kept the first build in a batch and
both stores the last batch's, so the node's build depended on how a collector cut the records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from graphsiem.model import Entity
from graphsiem.store.earliest_build import build_seen
from ingest.journal import Journal
from ingest.pipeline import ingest_records

UPDATER = r"C:\Program Files\Vendor\Update\vupdate.exe"
COMMAND = f'"{UPDATER}" /ua /installsource scheduler'
START = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
EARLY, MIDDLE, LATE = "aa" * 32, "bb" * 32, "cc" * 32


def _creation(host: str, seconds: int, digest: str, record_id: int) -> dict:
    at = (START + timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S.000")
    return {"EventTime": at, "Hostname": f"{host}.corp.local", "EventID": 1, "RecordNumber": record_id,
            "SourceName": "Microsoft-Windows-Sysmon", "Channel": "Microsoft-Windows-Sysmon/Operational",
            "SourceModuleType": "im_msvistalog", "UtcTime": at, "Image": UPDATER, "CommandLine": COMMAND,
            "ProcessGuid": f"{{{record_id:08d}-0000-0000-0000-000000000000}}", "ProcessId": 1000 + record_id,
            "ParentImage": r"C:\Windows\System32\svchost.exe", "Hashes": f"SHA256={digest.upper()}"}


# delivered neither in time order nor with the earliest first: the middle build, the earliest, the latest
RECORDS = [_creation("ws-01", 200, MIDDLE, 1), _creation("ws-02", 100, EARLY, 2), _creation("ws-03", 300, LATE, 3)]


def _node_build(store) -> str:
    return next(e for e in store.iter_entities("process") if e.props.get("image") == UPDATER).props["sha256"]


@pytest.mark.parametrize("batch_size", [1, 2, 3])
@pytest.mark.parametrize("order", ["delivered", "reversed"])
def test_a_process_node_holds_its_earliest_creations_build_wherever_batches_are_cut(
        store, tmp_path: Path, batch_size: int, order: str) -> None:
    records = RECORDS if order == "delivered" else RECORDS[::-1]
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_records(records, store=store, journal=journal, batch_size=batch_size)
    store.flush()
    assert report.total.accepted == 3
    assert _node_build(store) == EARLY


def test_two_creations_at_one_instant_keep_the_build_of_the_smaller_event_id(store) -> None:
    def run(digest: str, seen: str) -> Entity:
        return Entity("process", "p-updater", COMMAND, {"image": UPDATER, "sha256": digest, "sha256_seen": seen})

    store.upsert_entities([run(MIDDLE, build_seen(100.0, "e-2"))])
    store.upsert_entities([run(EARLY, build_seen(100.0, "e-1")), run(LATE, build_seen(100.0, "e-3"))])
    store.flush()
    assert store.get_entity("process", "p-updater").props["sha256"] == EARLY
