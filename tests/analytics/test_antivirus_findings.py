"""Antivirus detections no fan-out cluster carries are findings of their own, one per threat (task AV3 #2).

The fleet of :mod:`tests.analytics.test_antivirus_corroboration`: 12 hosts run ``upd.exe`` (a fan-out
cluster); Defender quarantines it on 4 of them (the cluster carries those: its step and floor) and detects
it, not acted on, on ws-039 outside the cluster.  Beside it, detections no cluster matches: adware
quarantined on 6 laptops under each user's profile, a trojan Defender failed to remove on ws-050, and
the EICAR test file quarantined on ws-051.  Before, these were on the hosts' pages only: the run had no
case for any of them.  The records are real Defender 1116/1117 Winlogbeat lines ingested through the
pipeline, on both stores.
"""

from __future__ import annotations

from pathlib import Path

from analytics.antivirus import Detection, FileIdentity
from analytics.antivirus_finding_words import antivirus_finding_clusters
from analytics.antivirus_findings import (
    NOT_REMEDIATED,
    OUTCOME_KEY,
    PIVOT_TYPE,
    REMEDIATED,
    REMEDIATED_ON_MANY,
    covered_by_verdict,
)
from analytics.config import DetectionConfig
from analytics.detect import detect
from graphsiem.store.base import GraphStore
from ingest.journal import Journal
from tests.analytics.behaviour_campaign import HOSTS, H
from tests.analytics.test_antivirus_corroboration import (
    AT,
    CONFIG,
    NOW,
    UPD_HOSTS,
    _defender,
    _fleet,
    _ingest,
)

ADWARE = "PUA:Win32/Presenoker"
TROJAN = "Trojan:Win32/Emotet.RPX!MTB"
EICAR = "Virus:DOS/EICAR_Test_File"
LAPTOPS = [f"lt-{i:03d}" for i in range(6)]
FAILED_HOST, EICAR_HOST = "ws-050", "ws-051"


def _threat(record: dict, name: str) -> dict:
    record["winlog"]["event_data"]["Threat Name"] = name
    return record


def _records() -> list[dict]:
    t = AT + H
    records = [_defender(h, 1117, t + 60 * i) for i, h in enumerate(UPD_HOSTS[:4])]  # the cluster's
    records.append(_defender(HOSTS[39], 1116, t + 300))  # the same trojan outside the cluster, not acted on
    for i, host in enumerate(LAPTOPS):
        path = f"C:\\Users\\user{i}\\AppData\\Local\\Temp\\setup_presenoker.exe"
        records += [_threat(_defender(host, 1116, t + 400 + 60 * i, path), ADWARE),
                    _threat(_defender(host, 1117, t + 410 + 60 * i, path), ADWARE)]
    trojan = "C:\\ProgramData\\svc\\payload.dll"
    records += [_threat(_defender(FAILED_HOST, 1116, t + 900, trojan), TROJAN),
                _threat(_defender(FAILED_HOST, 1117, t + 905, trojan, action="Remove", result="Access is denied."),
                        TROJAN)]
    eicar = "C:\\Users\\tester\\Downloads\\eicar.com"
    records += [_threat(_defender(EICAR_HOST, 1116, t + 1000, eicar), EICAR),
                _threat(_defender(EICAR_HOST, 1117, t + 1001, eicar), EICAR)]
    return records


def _findings(result) -> dict[str, object]:
    return {c.antivirus["threat"]: c for c in result.clusters if c.antivirus is not None}


def test_detections_no_cluster_carries_are_one_finding_per_threat_ranked_by_what_happened(
        store: GraphStore, tmp_path: Path) -> None:
    """Was: no cluster of the run held the adware, the trojan left on ws-050 or the EICAR file."""
    _fleet().write(store)
    with Journal(tmp_path / "journal.sqlite") as journal:
        _ingest(store, journal, tmp_path, _records(), [])
        result = detect(store, config=CONFIG, now=NOW, journal=journal)
    findings = _findings(result)
    assert set(findings) == {ADWARE, TROJAN, EICAR, "Trojan:Win32/Wacatac.B!ml"}

    adware = findings[ADWARE]
    assert adware.pivot.ref == (PIVOT_TYPE, "threat:" + ADWARE.lower())
    assert adware.hosts == sorted(LAPTOPS) and adware.score == 50.0
    assert adware.antivirus["outcome_class"] == REMEDIATED_ON_MANY and adware.antivirus["files_total"] == 6
    assert all(row["remediated"] and row["actions"] == {"detected": 1, "quarantined": 1}
               for row in adware.antivirus["hosts"])

    trojan = findings[TROJAN]
    assert trojan.hosts == [FAILED_HOST] and trojan.score == 80.0
    assert trojan.antivirus["outcome_class"] == NOT_REMEDIATED
    assert trojan.antivirus["hosts"][0]["actions"] == {"detected": 1, "failed": 1}
    assert trojan.explanation.summary.startswith(f"Antivirus: {TROJAN} detected on 1 host, not remediated on 1 host "
                                                 f"({FAILED_HOST}: detected/failed)")
    assert f"The threat may still be on {FAILED_HOST}" in trojan.explanation.checks[0].check
    assert len(trojan.evidence) == 2  # the 1116 and the 1117

    assert findings[EICAR].score == 20.0 and findings[EICAR].antivirus["outcome_class"] == REMEDIATED

    # the cluster's 4 quarantines stay the cluster's (its floor and step); ws-039's 1116 is a finding
    upd = next(c for c in result.clusters if ("process", "upd") in {e.ref for e in c.entities})
    assert upd.score == 80.0 and upd.antivirus is None
    wacatac = findings["Trojan:Win32/Wacatac.B!ml"]
    assert wacatac.hosts == [HOSTS[39]] and wacatac.antivirus["carried_hosts"] == sorted(UPD_HOSTS[:4])
    assert "its detections on 4 more hosts are in the fan-out cluster" in wacatac.explanation.summary
    # ranked beside the fan-out clusters by their fixed risk, never scored by the forest
    scores = [c.score for c in result.clusters]
    assert scores == sorted(scores, reverse=True)
    assert result.stats["antivirus_findings"] == 4 and result.stats["antivirus_carried"] == 4


def test_a_benign_verdict_hides_the_threat_until_it_gets_worse(store: GraphStore, tmp_path: Path) -> None:
    """A verdict on the quarantined adware hides it, and a later failure to remove it shows it again."""
    _fleet().write(store)
    pivot = (PIVOT_TYPE, "threat:" + ADWARE.lower())
    judged = DetectionConfig(history_days=0, suppressed=frozenset({pivot}),
                             suppressed_members={pivot: frozenset({pivot, (OUTCOME_KEY, REMEDIATED_ON_MANY)})})
    with Journal(tmp_path / "journal.sqlite") as journal:
        _ingest(store, journal, tmp_path, _records(), [])
        hidden = detect(store, config=judged, now=NOW, journal=journal)
        assert ADWARE not in _findings(hidden) and TROJAN in _findings(hidden)
        assert list(pivot) in hidden.stats["suppressions_applied"]
        failed = _threat(_defender("ws-060", 1117, AT + 3 * H, "C:\\Users\\x\\setup_presenoker.exe", action="Remove",
                                   result="Access is denied."), ADWARE)
        (tmp_path / "more").mkdir()
        _ingest(store, journal, tmp_path / "more", [failed], [])
        shown = detect(store, config=judged, now=NOW, journal=journal)
    adware = _findings(shown)[ADWARE]
    assert adware.antivirus["outcome_class"] == NOT_REMEDIATED and "ws-060" in adware.hosts


def _detection(host: str, threat: str, actions: dict[str, int], path: str) -> Detection:
    return Detection(host, path.lower(), FileIdentity("", path.lower(), path.rpartition("\\")[2]), path,
                     threats={threat: 1}, actions=actions, evidence=(f"{host}-{threat}",))


def test_a_verdict_covers_no_worse_class_and_a_verdict_without_members_covers_all() -> None:
    pivot = (PIVOT_TYPE, "threat:x")
    on_many = {pivot: {pivot, (OUTCOME_KEY, REMEDIATED_ON_MANY)}}
    assert covered_by_verdict(pivot, REMEDIATED, {pivot}, on_many)
    assert covered_by_verdict(pivot, REMEDIATED_ON_MANY, {pivot}, on_many)
    assert not covered_by_verdict(pivot, NOT_REMEDIATED, {pivot}, on_many)
    assert covered_by_verdict(pivot, NOT_REMEDIATED, {pivot}, {})  # an old verdict: the pivot's every finding
    assert not covered_by_verdict(pivot, REMEDIATED, set(), on_many)


def test_threat_names_group_without_case_and_a_failure_beside_a_quarantine_stays_unremediated() -> None:
    detections = [_detection("ws-1", "Adware:Win32/X", {"quarantined": 1}, "C:\\a\\x.exe"),
                  _detection("ws-2", "adware:win32/x", {"quarantined": 1, "failed": 1}, "C:\\b\\x.exe")]
    (cluster,), stats = antivirus_finding_clusters(detections, {}, [], CONFIG, None)
    assert cluster.hosts == ["ws-1", "ws-2"] and cluster.antivirus["outcome_class"] == NOT_REMEDIATED
    assert [row["host"] for row in cluster.antivirus["hosts"]] == ["ws-2", "ws-1"]  # the one left first
    assert {row["event_id"] for row in cluster.evidence} == {"ws-1-Adware:Win32/X", "ws-2-adware:win32/x"}
    assert stats["antivirus_findings"] == 1
