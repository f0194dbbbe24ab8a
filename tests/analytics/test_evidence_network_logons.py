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
    # ... while evidence with a host stays on each cluster's hosts: the admin tools
    # (procexp64 reading LSASS on it-0001/it-0002) stay out of every cluster's evidence.
    for cluster in result.clusters:
        assert {str(e.host) for e in events[cluster.id] if e.host is not None} <= set(cluster.hosts)
