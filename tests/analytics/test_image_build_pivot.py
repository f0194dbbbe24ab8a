"""A new build run at a known path with the known command line is a pivot (task T16B, red team T16 ``masq.yaml``).

A trojanised ``DriverHubUpdater.exe``: the vendor's path, parent, user and command line, another SHA-256,
run on a few hosts of a fleet that ran the genuine build the day before.  The updater's process node is
one for the fleet and old, so nothing was new: no cluster.  Each build a creation ran is now a file on
its hosts (:mod:`ingest.projection_builds`), and the new one pivots a cluster of exactly its hosts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from analytics.config import DetectionConfig
from analytics.detect import detect
from analytics.result import DetectionResult
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.pipeline import ingest_records

UPDATER = r"C:\Program Files (x86)\DriverHub\DriverHubUpdater.exe"
COMMAND = f'"{UPDATER}" /silent /scheduled'
GENUINE, TROJAN = "a1" * 32, "e7" * 32
DAY1 = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
HOSTS = [f"ws-{i:02d}" for i in range(12)]
TROJAN_HOSTS = HOSTS[:5]


def _creation(host: str, at: datetime, digest: str, record_id: int) -> dict:
    stamp = at.strftime("%Y-%m-%d %H:%M:%S.000")
    return {"EventTime": stamp, "Hostname": f"{host}.corp.local", "EventID": 1, "RecordNumber": record_id,
            "SourceName": "Microsoft-Windows-Sysmon", "Channel": "Microsoft-Windows-Sysmon/Operational",
            "SourceModuleType": "im_msvistalog", "UtcTime": stamp, "Image": UPDATER, "CommandLine": COMMAND,
            "ProcessGuid": f"{{{record_id:08d}-0000-0000-0000-000000000000}}", "ProcessId": 1000 + record_id,
            "User": "NT AUTHORITY\\SYSTEM", "ParentImage": r"C:\Windows\System32\svchost.exe",
            "ParentCommandLine": r"C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule",
            "Hashes": f"SHA256={digest.upper()}"}


def _fleet() -> list[dict]:
    """The genuine build on every host each morning of two days; on day 2 five hosts run the trojan instead."""
    records = []
    for day in (0, 1):
        for i, host in enumerate(HOSTS):
            at = DAY1 + timedelta(days=day, minutes=2 * i)
            digest = TROJAN if day == 1 and host in TROJAN_HOSTS else GENUINE
            records.append(_creation(host, at, digest, len(records) + 1))
    return records


def _detect_day2(tmp_path: Path) -> DetectionResult:
    """The fleet through the real ingest, detected at noon on day 2 (the window: day 2)."""
    store = EmbeddedStore(tmp_path / "graph")
    try:
        with Journal(tmp_path / "journal.sqlite") as journal:
            ingest_records(_fleet(), store=store, journal=journal)
        result = detect(store, config=DetectionConfig(evidence_top=0, history_days=0),
                        now=(DAY1 + timedelta(days=1, hours=12)).timestamp())
    finally:
        store.close()
    return result


def test_a_new_build_at_the_updaters_path_and_command_line_pivots_a_cluster_of_its_hosts(tmp_path: Path) -> None:
    result = _detect_day2(tmp_path)
    found = [(c.pivot.type, c.pivot.key, sorted(c.hosts)) for c in result.clusters]
    assert found == [("file", TROJAN, TROJAN_HOSTS)]
    (cluster,) = result.clusters
    assert cluster.pivot.value == UPDATER  # the build is named by the path it ran as


def test_the_build_pivots_summary_says_a_new_build_of_its_path_and_the_fleets_usual_build(tmp_path: Path) -> None:
    """Task T16C: the summary said "5 hosts first got file C:\\...\\DriverHubUpdater.exe", a file dropped
    at the vendor's path; the hosts ran a new build there, and the fleet's usual build is another."""
    result = _detect_day2(tmp_path)
    (cluster,) = result.clusters
    summary = cluster.explanation.summary
    assert summary.startswith(f"5 hosts first ran a new build of {UPDATER} (sha256 {TROJAN[:8]}…) within ")
    # the genuine build ran on all 12 hosts on day 1 (and on 7 of them on day 2)
    assert f"; the fleet's usual build is {GENUINE[:8]}… on 12 hosts" in summary
    assert "got file" not in summary
