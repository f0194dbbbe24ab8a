"""A process node's ``sha256`` is the build of its earliest creation by event time, ties by event id,
wherever batches are cut (HOSTF3 #2): runs on [embedded] and [neo4j].

The node is keyed by image and command line, so every host's run of one updater is one node, and its
builds can differ (a trojan at the updater's path).  The projection kept the first build in a batch and
both stores the last batch's, so the node's build depended on how a collector cut the records.

The build is one creation's whole (HOSTF4 #2): its ``sha1``, ``md5``, ``imphash`` and ``original_file_name``
followed the batch's first event that said them, so the node could pair the genuine SHA-256 with a trojan's
MD5 and name.  Now they come from the creation whose SHA-256 the node holds; a run whose Sysmon hashes
nothing (only its OriginalFileName) never takes the build, even run first."""

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
WEAK = ("sha1", "md5", "imphash")
BUILDS = ("sha256", *WEAK, "original_file_name")


def _creation(host: str, seconds: int, digest: str, record_id: int, **more: str) -> dict:
    """A Sysmon 1 run of the updater; ``digest`` its SHA-256 (empty: none hashed), ``more`` other fields."""
    at = (START + timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S.000")
    record = {"EventTime": at, "Hostname": f"{host}.corp.local", "EventID": 1, "RecordNumber": record_id,
              "SourceName": "Microsoft-Windows-Sysmon", "Channel": "Microsoft-Windows-Sysmon/Operational",
              "SourceModuleType": "im_msvistalog", "UtcTime": at, "Image": UPDATER, "CommandLine": COMMAND,
              "ProcessGuid": f"{{{record_id:08d}-0000-0000-0000-000000000000}}", "ProcessId": 1000 + record_id,
              "ParentImage": r"C:\Windows\System32\svchost.exe", **more}
    if digest:
        record["Hashes"] = f"SHA256={digest.upper()}" + "".join(f",{k.upper()}={v.upper()}" for k, v in more.items()
                                                               if k in WEAK)
        for name in WEAK:
            record.pop(name, None)
    return record


# delivered neither in time order nor with the earliest first: the middle build, the earliest, the latest
RECORDS = [_creation("ws-01", 200, MIDDLE, 1), _creation("ws-02", 100, EARLY, 2), _creation("ws-03", 300, LATE, 3)]


def _node(store, records: list[dict], tmp_path: Path, batch_size: int) -> dict:
    """The updater's node's props once ``records`` are ingested in batches of ``batch_size``."""
    with Journal(tmp_path / "journal.sqlite") as journal:
        report = ingest_records(records, store=store, journal=journal, batch_size=batch_size)
    store.flush()
    assert report.total.accepted == len(records)
    return next(e for e in store.iter_entities("process") if e.props.get("image") == UPDATER).props


@pytest.mark.parametrize("batch_size", [1, 2, 3])
@pytest.mark.parametrize("order", ["delivered", "reversed"])
def test_a_process_node_holds_its_earliest_creations_build_wherever_batches_are_cut(
        store, tmp_path: Path, batch_size: int, order: str) -> None:
    records = RECORDS if order == "delivered" else RECORDS[::-1]
    assert _node(store, records, tmp_path, batch_size)["sha256"] == EARLY


def test_two_creations_at_one_instant_keep_the_build_of_the_smaller_event_id(store) -> None:
    def run(digest: str, seen: str) -> Entity:
        return Entity("process", "p-updater", COMMAND, {"image": UPDATER, "sha256": digest, "sha256_seen": seen})

    store.upsert_entities([run(MIDDLE, build_seen(100.0, "e-2"))])
    store.upsert_entities([run(EARLY, build_seen(100.0, "e-1")), run(LATE, build_seen(100.0, "e-3"))])
    store.flush()
    assert store.get_entity("process", "p-updater").props["sha256"] == EARLY


# the earliest hashed run says SHA-256 and MD5 only (its Sysmon hashed no more); the later two say all four
# and another PE name; a run before them all hashed nothing
WHOLE = [_creation("ws-01", 200, MIDDLE, 1, sha1="b" * 40, md5="b" * 32, imphash="b" * 32, OriginalFileName="trojan.exe"),
         _creation("ws-02", 100, EARLY, 2, md5="a" * 32, OriginalFileName="vupdate.exe"),
         _creation("ws-03", 300, LATE, 3, sha1="c" * 40, md5="c" * 32, imphash="c" * 32, OriginalFileName="other.exe"),
         _creation("ws-04", 50, "", 4, OriginalFileName="unhashed.exe")]


@pytest.mark.parametrize("batch_size", [1, 2, 3, 4])
@pytest.mark.parametrize("order", ["delivered", "reversed"])
def test_a_process_node_holds_one_creations_whole_build_wherever_batches_are_cut(
        store, tmp_path: Path, batch_size: int, order: str) -> None:
    props = _node(store, WHOLE if order == "delivered" else WHOLE[::-1], tmp_path, batch_size)
    assert {name: props[name] for name in BUILDS if name in props} == {
        "sha256": EARLY, "md5": "a" * 32, "original_file_name": "vupdate.exe"}


@pytest.mark.parametrize("order", ["delivered", "reversed"])
def test_without_any_hashed_run_the_earliest_creations_name_is_the_build(store, tmp_path: Path, order: str) -> None:
    records = [_creation("ws-05", 200, "", 5, OriginalFileName="later.exe"),
               _creation("ws-06", 100, "", 6, OriginalFileName="earlier.exe")]
    props = _node(store, records if order == "delivered" else records[::-1], tmp_path, 1)
    assert {name: props[name] for name in BUILDS if name in props} == {"original_file_name": "earlier.exe"}
