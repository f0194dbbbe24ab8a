"""Lateral movement keeps its network evidence: a sensor's log-on at a cluster server is the cluster's.

simulate -> ingest -> detect on the seed-3 fleet of ``test_fleet_detection.py``.
Its lateral movement runs from it-0002 to five servers; Zeek sees two of the
NTLM log-ons (``corp\\svc-deploy`` to srv-0008 and srv-0009, port 445) at a
time the IP map has a gap for those servers' static addresses, so the
projection relates ``user LOGGED_ON ip:10.1.10.117``.  The user is also seen
outside the cluster and the address is no member, so the relation is not
bound to the cluster and the host-less Zeek events were refused: the cluster
lost its only network evidence of the movement.  Their destination address is
a cluster server's (held by it before and after), which binds them.

The same log-ons name the host they came from (review U2 #1): the cluster's address member was held
by it-0002 at their time, and it-0002's ``wmic /node:`` command lines are the cluster's evidence.
"""

from __future__ import annotations

import pytest

from analytics.config import DetectionConfig
from analytics.detect import detect
from analytics.evaluate import load_truth
from graphsiem.simulator.engine import simulate
from ingest.journal import Journal
from ingest.pipeline import ingest_paths


@pytest.fixture(scope="module")
def telemetry(tmp_path_factory):
    root = tmp_path_factory.mktemp("fleet-lateral") / "telemetry"
    simulate(root, hosts=120, days=2, seed=3, density=0.3)
    return root


@pytest.fixture
def detection(telemetry, store, tmp_path):
    """The detection with a journal, and the journaled events of each cluster's evidence."""
    with Journal(tmp_path / "journal.sqlite") as journal:
        ingest_paths([telemetry / "endpoint", telemetry / "network"], store=store, journal=journal, progress=False)
        result = detect(store, config=DetectionConfig(evidence_per_cluster=2000), journal=journal)
        events = {c.id: journal.get([r["event_id"] for r in c.evidence]) for c in result.clusters}
    truth = next(t for t in load_truth(telemetry / "ground_truth.json") if t.name == "lateral_movement")
    lateral = next(c for c in result.clusters if set(c.hosts) <= truth.hosts and len(c.hosts) >= 3)
    return result, events, lateral


def test_lateral_movement_keeps_its_zeek_ntlm_logons(detection):
    result, events, cluster = detection
    ntlm = [e for e in events[cluster.id] if e.kind == "zeek:ntlm"]
    servers = {str(e.fields.get("zeek.server_nb_computer_name", "")).lower() for e in ntlm}
    assert {"srv-0008", "srv-0009"} <= servers
    assert {"srv-0008", "srv-0009"} <= set(cluster.hosts)
    assert all(e.host is None and e.fields.get("destination.port") == 445 for e in ntlm)
    # ... while evidence with a host stays on each cluster's hosts, or the host its log-ons came from
    # (its remote commands: analytics/lateral_sources.py): the admin tools (procexp64 reading LSASS on
    # it-0001/it-0002) stay out of every cluster's evidence.
    for cluster in result.clusters:
        sources = {s["host"] for s in cluster.lateral_sources or () if s["host"]}
        on_hosts = {str(e.host) for e in events[cluster.id] if e.host is not None}
        assert on_hosts <= set(cluster.hosts) | sources
        assert all("/node:" in str(e.fields.get("process.command_line", ""))
                   for e in events[cluster.id] if e.host in sources)


def _source_host(telemetry, cluster) -> str:
    """The lateral movement's source: the truth's host the cluster's log-ons reached no other from."""
    truth = next(t for t in load_truth(telemetry / "ground_truth.json") if t.name == "lateral_movement")
    (source,) = truth.hosts - set(cluster.hosts)
    return source


def test_lateral_movement_names_its_source_host(detection, telemetry):
    """Review U2 #1: the source was drawn only as its address; the IP map held it on the source host."""
    _, _, cluster = detection
    source = _source_host(telemetry, cluster)
    (record,) = cluster.to_contract()["lateral_sources"]
    assert record["host"] == source
    assert set(record["targets"]) == set(cluster.hosts)
    assert ("ip", record["ip"]) in {(e.type, e.key) for e in cluster.entities}
    assert f"logged on from {source} ({record['ip']})" in cluster.explanation.summary
    assert any(f"placed on {source}" in c.check and "wmic /node:" in c.check for c in cluster.explanation.checks)


def test_lateral_movement_holds_the_source_hosts_remote_commands(detection, telemetry):
    """The source host's own ``wmic /node:`` command lines, one per target, are the cluster's evidence."""
    _, events, cluster = detection
    source = _source_host(telemetry, cluster)
    (record,) = cluster.lateral_sources
    assert {t for p in record["processes"] for t in p["targets"]} == set(cluster.hosts)
    assert all(p["value"].lower().startswith("wmic /node:") for p in record["processes"])
    wmic = [e for e in events[cluster.id] if e.host == source]
    assert len(wmic) >= len(cluster.hosts)
    assert all("/node:" in str(e.fields.get("process.command_line", "")) for e in wmic)
