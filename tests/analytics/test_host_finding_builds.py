"""A fan-out cluster vouches for the build most of its hosts ran, not the last one the store merged (red
team T15 finding 1, analytics.host_finding_builds).

Through the real ingest (NXLog Sysmon 1 and 10 into the embedded store and the journal) in two batches,
as a live collector delivers them: the genuine updater on eleven hosts, then one trojanised build at its
path with its command line.  The process node's ``sha256`` was then the trojan's (the last build merged; since
HOSTF3 #2 the earliest creation's), and the cluster built from that node carried the trojan's LSASS read while
the eleven genuine reads became a finding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from analytics.config import DetectionConfig
from analytics.explain import Explanation
from analytics.host_finding_builds import NO_BUILD, vouched_builds
from analytics.host_finding_words import host_finding_clusters
from analytics.host_findings import read_hits
from analytics.result import Cluster
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.pipeline import ingest_records

UPDATER = r"C:\Program Files\Vendor\Update\vupdate.exe"
COMMAND = f'"{UPDATER}" /ua /installsource scheduler'
GOOD, BAD = "aa" * 32, "bb" * 32
LSASS = r"C:\Windows\system32\lsass.exe"
HOSTS = [f"ws-{n:02d}" for n in range(12)]
START = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
WINDOW = (START.timestamp() - 60.0, START.timestamp() + 86_400.0)


def _sysmon(host: str, event_id: int, seconds: int, **data: object) -> dict:
    at = (START + timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S.000")
    return {"EventTime": at, "Hostname": f"{host}.corp.local", "EventID": event_id,
            "SourceName": "Microsoft-Windows-Sysmon", "Channel": "Microsoft-Windows-Sysmon/Operational",
            "SourceModuleType": "im_msvistalog", "UtcTime": at, **data}


def _run(n: int, digest: str | None) -> list[dict]:
    """Host ``n``'s updater (of build ``digest``; None: its Sysmon logs no hashes) starting and opening LSASS."""
    guid = f"{{{n:08d}-0000-0000-0000-000000000000}}"
    hashes = {"Hashes": f"SHA256={digest.upper()}"} if digest else {}
    return [_sysmon(HOSTS[n], 1, 100 * n, Image=UPDATER, CommandLine=COMMAND, ProcessGuid=guid, ProcessId=1000 + n,
                    ParentImage=r"C:\Windows\System32\svchost.exe", **hashes),
            _sysmon(HOSTS[n], 10, 100 * n + 1, SourceImage=UPDATER, SourceProcessGUID=guid, SourceProcessId=1000 + n,
                    TargetImage=LSASS, GrantedAccess="0x1410")]


def _cluster(store: EmbeddedStore, hosts: list[str] = HOSTS) -> Cluster:
    """The updater's fan-out cluster as detection builds it: the store's process node is its member."""
    member = next(e for e in store.iter_entities("process") if e.props.get("image") == UPDATER)
    return Cluster(id="c", pivot=member, score=30.0, hosts=hosts, entities=[member], first_seen=0.0, last_seen=1.0,
                   features={}, explanation=Explanation("an updater", ()), evidence=[])


@pytest.mark.parametrize("genuine", [GOOD, None], ids=["hashed", "no-hashes"])
def test_one_hosts_trojan_ingested_last_is_not_the_clusters_build(tmp_path: Path, genuine: str | None) -> None:
    """The genuine runs logged with their build, or without hashes (the trojan's host alone says a build)."""
    store = EmbeddedStore(tmp_path / "graph")
    try:
        with Journal(tmp_path / "journal.sqlite") as journal:
            ingest_records([r for n in range(11) for r in _run(n, genuine)], store=store, journal=journal)
            ingest_records(_run(11, BAD), store=store, journal=journal)  # the trojan, a later batch
            cluster = _cluster(store)
            # what the store keeps: the earliest creation's build (HOSTF3 #2), the trojan's only when no other said one
            assert cluster.entities[0].props["sha256"] == (genuine or BAD)
            found, stats = host_finding_clusters(journal, DetectionConfig(), WINDOW, [cluster])
    finally:
        store.close()
    if genuine:  # the genuine reads are the cluster's
        assert [(c.hosts, c.host_finding["risk_rule"]) for c in found] == [(["ws-11"], "lsass_read")]
        assert stats["host_finding_carried"] == 11
    else:  # no build is vouched for: no LSASS read is carried, the trojan's among them
        assert "ws-11" in [h for c in found for h in c.hosts] and stats["host_finding_carried"] == 0


def test_no_build_on_half_the_hosts_vouches_for_none_and_a_member_never_created_keeps_its_node(
        tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "graph")
    try:
        with Journal(tmp_path / "journal.sqlite") as journal:
            ingest_records([r for n in range(4) for r in _run(n, f"{n + 1:x}" * 64)], store=store, journal=journal)
            hits = read_hits(journal.connection, HOSTS[:4], *WINDOW)
            key = ("c:\\program files\\vendor\\update\\vupdate.exe", COMMAND.lower())
            held = {host: {key} for host in HOSTS[:4]}
            vouched = vouched_builds(journal.connection, WINDOW, hits, held, {key: frozenset({"44" * 32})})
            assert vouched == {key: frozenset({NO_BUILD})}  # four builds, one host each
            later = (WINDOW[1] + 1.0, WINDOW[1] + 2.0)  # the window holds none of its creations
            assert vouched_builds(journal.connection, later, hits, held, {key: frozenset({"44" * 32})}) == {
                key: frozenset({"44" * 32})}
    finally:
        store.close()


def test_a_two_host_cluster_does_not_vouch_for_the_build_of_one_of_its_hosts(tmp_path: Path) -> None:
    """Half is not most: on a two-host cluster a trojan run on one host is not the cluster's build (HOSTF3 #1)."""
    store = EmbeddedStore(tmp_path / "graph")
    try:
        with Journal(tmp_path / "journal.sqlite") as journal:
            ingest_records(_run(0, GOOD) + _run(1, BAD), store=store, journal=journal)
            found, stats = host_finding_clusters(journal, DetectionConfig(), WINDOW, [_cluster(store, HOSTS[:2])])
    finally:
        store.close()
    assert sorted(h for c in found for h in c.hosts) == ["ws-00", "ws-01"]
    assert stats["host_finding_carried"] == 0


def test_a_build_on_two_of_three_hosts_is_vouched_for(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "graph")
    try:
        with Journal(tmp_path / "journal.sqlite") as journal:
            ingest_records(_run(0, GOOD) + _run(1, GOOD) + _run(2, BAD), store=store, journal=journal)
            found, stats = host_finding_clusters(journal, DetectionConfig(), WINDOW, [_cluster(store, HOSTS[:3])])
    finally:
        store.close()
    assert [c.hosts for c in found] == [["ws-02"]]
    assert stats["host_finding_carried"] == 2
