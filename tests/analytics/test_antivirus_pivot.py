"""An antivirus detection corroborates a cluster; it is no sighting that makes its file a pivot (task AV2).

A 12-host cluster of ``C:\\Users\\Public\\upd.exe`` runs, whose file no Sysmon 11 saw written, where
Defender quarantined the file on 7 of the hosts: each detection sighted the file on its host, so the
file became a 7-host pivot that outranked the process cluster and dropped it as its duplicate (its
hosts mostly the file's).  The analyst saw a file on 7 hosts, not the 12 hosts that ran it.  Now the
detection is the ``host DETECTED file`` edge alone: the process cluster stays, with the antivirus
step on it; a fleet where Defender found the same adware on 50 hosts and nothing else happened forms
no cluster (nothing ran), and each host's detection stays readable in the window.
"""

from __future__ import annotations

from pathlib import Path

from analytics.antivirus import AV_RISK_FLOOR
from analytics.detect import detect
from graphsiem.model import Entity, RelationType
from graphsiem.store.base import GraphStore
from ingest.journal import Journal
from tests.analytics.behaviour_campaign import DAY, EXPLORER, H, relation
from tests.analytics.test_antivirus_corroboration import (
    AT,
    CONFIG,
    NOW,
    UPD,
    UPD_HOSTS,
    _defender,
    _ingest,
)
from tests.analytics.vendor_fleet import Fleet

ADWARE = "C:\\Users\\Public\\Downloads\\CouponPal\\couponpal.exe"


def _unwritten_upd_fleet() -> Fleet:
    """12 hosts run upd.exe; no event saw the file written (no sighting of it)."""
    fleet = Fleet(days=2)
    fleet.entities.append(Entity("file", UPD.lower(), UPD, {"path": UPD, "name": "upd.exe"}))
    for i, h in enumerate(UPD_HOSTS):
        run = fleet.process(h, "upd", f'"{UPD}" /silent', UPD, AT + 60 * i, 120)
        fleet.relations.append(relation(EXPLORER, "SPAWNED", run, AT + 60 * i))
    return fleet


def test_a_file_seen_only_by_detections_leaves_the_process_cluster_whole(store: GraphStore, tmp_path: Path) -> None:
    _unwritten_upd_fleet().write(store)
    defender = [_defender(h, 1117, AT + H + 60 * i) for i, h in enumerate(UPD_HOSTS[:7])]
    with Journal(tmp_path / "journal.sqlite") as journal:
        _ingest(store, journal, tmp_path, defender, [])
        result = detect(store, config=CONFIG, now=NOW, journal=journal)

    assert [c.pivot.ref for c in result.clusters if ("file", UPD.lower()) in {e.ref for e in c.entities}] == []
    (upd,) = [c for c in result.clusters if c.pivot.ref == ("process", "upd")]
    assert sorted(upd.hosts) == sorted(UPD_HOSTS)
    assert upd.explanation.checks[0].check.startswith(
        "Microsoft Defender Antivirus detected Trojan:Win32/Wacatac.B!ml in C:\\Users\\Public\\upd.exe "
        "(matched by its full path) on 7 of the cluster's 12 hosts (")
    assert upd.score == AV_RISK_FLOOR
    # the detections are still on the graph, one edge per host
    detected = store.relations_active(RelationType.DETECTED.value, AT, NOW)
    assert sorted(r.src[1] for r in detected) == sorted(UPD_HOSTS[:7])


def test_adware_detected_fleet_wide_and_nothing_else_forms_no_cluster(store: GraphStore, tmp_path: Path) -> None:
    """50 detections of one adware, quarantined, nothing ran: no fan-out cluster (a detection is no sighting),
    one antivirus finding of the 50 hosts at the medium risk of a threat remediated on many (task AV3: they
    stayed on the hosts' pages, and nobody triaged them)."""
    fleet = Fleet(days=2)
    fleet.write(store)
    hosts = [f"ws-{i:03d}" for i in range(50)]  # the fixture fleet's 40 and 10 more
    defender = [_defender(h, 1117, AT + 60 * i, ADWARE) for i, h in enumerate(hosts)]
    with Journal(tmp_path / "journal.sqlite") as journal:
        _ingest(store, journal, tmp_path, defender, [])
        result = detect(store, config=CONFIG, now=NOW, journal=journal)

    assert not [c for c in result.clusters if c.antivirus is None and any(e.ref[0] == "file" for e in c.entities)]
    (finding,) = [c for c in result.clusters if c.antivirus is not None]
    assert len(finding.hosts) == 50 and finding.score == 50.0
    assert finding.antivirus["outcome_class"] == "remediated_on_many"
    detected = store.relations_active(RelationType.DETECTED.value, AT - DAY, NOW)
    assert len({r.src[1] for r in detected}) == 50
    assert {r.dst for r in detected} == {("file", ADWARE.lower())}
