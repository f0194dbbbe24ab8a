"""Antivirus detections corroborate the cluster of the file they found (task AVCHK).

A cluster of 12 hosts running ``C:\\Users\\Public\\upd.exe`` at once, where Microsoft Defender
quarantined ``upd.exe`` on 4 of them, failed to remove it on a fifth, and Symantec quarantined it on
a sixth, said nothing of it: the detections were ``host DETECTED file`` edges no analysis read.  Now
the cluster's first step names the products, threats, actions and hosts (inside and outside the
cluster) and how the file matched, its risk is raised to the floor, and the detection events lead its
evidence.  A benign rollout beside it, detected nowhere, keeps its risk to the digit.

The detections are real records (Defender 1116/1117 as Winlogbeat JSON, Symantec's text as syslog
lines) ingested through the real pipeline into the same store as the fleet, on [embedded] and [neo4j].
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from analytics.antivirus import (
    AV_RISK_FLOOR,
    AntivirusMatch,
    Detection,
    FileIdentity,
    match_cluster,
)
from analytics.config import DetectionConfig
from analytics.detect import detect
from graphsiem.model import Entity, Sighting
from graphsiem.store.base import GraphStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from tests.analytics.behaviour_campaign import DAY, EXPLORER, HOSTS, START, H, relation
from tests.analytics.vendor_fleet import Fleet

UPD = "C:\\Users\\Public\\upd.exe"
UPD_HOSTS = HOSTS[:12]
ROLLOUT_HOSTS = HOSTS[12:40]
AT = START + DAY + 2 * H
NOW = START + 2 * DAY - 1
CONFIG = DetectionConfig(history_days=0)
CHANNEL = "Microsoft-Windows-Windows Defender/Operational"


def _fleet() -> Fleet:
    fleet = Fleet(days=2)
    dropped = ("file", UPD.lower())  # keyed by its path, as a Sysmon 11 without a digest keys it
    fleet.entities.append(Entity(*dropped, UPD, {"path": UPD, "name": "upd.exe"}))
    for i, h in enumerate(UPD_HOSTS):
        fleet.sightings.append(Sighting(h, dropped, AT + 60 * i - 30, AT + 60 * i - 30, 1))
        run = fleet.process(h, "upd", f'"{UPD}" /silent', UPD, AT + 60 * i, 120)
        fleet.relations += [relation(EXPLORER, "WROTE", dropped, AT + 60 * i - 30),
                            relation(EXPLORER, "SPAWNED", run, AT + 60 * i)]
    agent = "C:\\Program Files\\Agent\\agentupd.exe"
    for i, h in enumerate(ROLLOUT_HOSTS):  # a benign rollout: one signed agent over two hours
        fleet.process(h, "agentupd", f'"{agent}" /update', agent, AT + 240 * i, 300)
    fleet.dropper_campaign("dr", HOSTS[20:30], AT + 4 * H)
    return fleet


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _defender(host: str, event_id: int, at: float, path: str = UPD, *, action: str = "Quarantine",
              result: str = "The operation completed successfully.") -> dict:
    return {"@timestamp": _iso(at), "agent": {"type": "winlogbeat", "version": "8.11.0"},
            "winlog": {"computer_name": host, "event_id": str(event_id), "channel": CHANNEL,
                       "record_id": int(at) % 100000,
                       "event_data": {"Threat Name": "Trojan:Win32/Wacatac.B!ml",
                                      "Path": f"file:_{path};process:_pid:4120,ProcessStart:1",
                                      "Action Name": "Not Applicable" if event_id == 1116 else action,
                                      "Source Name": "Real-Time Protection", "Error Description": result}},
            "message": "Microsoft Defender Antivirus has detected malware or other potentially unwanted software."}


def _symantec(host: str, at: float, path: str = UPD) -> str:
    return (f"<14>1 {_iso(at)} {host} EvntSLog - - - Security Risk Found! Trojan Horse in File: {path} by: "
            "Auto-Protect scan. Action: Quarantine succeeded : Access denied. Action Description: The file was "
            "quarantined successfully.")


def _ingest(store: GraphStore, journal: Journal, tmp_path: Path, defender: list[dict], symantec: list[str]) -> None:
    paths = []
    if defender:
        paths.append(tmp_path / "defender.ndjson")
        paths[-1].write_bytes(b"\n".join(orjson.dumps(r) for r in defender) + b"\n")
    if symantec:
        paths.append(tmp_path / "symantec.log")
        paths[-1].write_text("\n".join(symantec) + "\n")
    report = ingest_paths(paths, store=store, journal=journal, progress=False)
    store.flush()
    assert report.total.rejected == 0


def _upd(result):
    (cluster,) = [c for c in result.clusters if ("process", "upd") in {e.ref for e in c.entities}]
    return cluster


def _rollout(result):
    (cluster,) = [c for c in result.clusters if c.pivot.ref == ("process", "agentupd")]
    return cluster


def test_detections_of_the_clusters_file_lead_its_steps_raise_its_risk_and_its_evidence(
        store: GraphStore, tmp_path: Path) -> None:
    _fleet().write(store)
    before = detect(store, config=CONFIG, now=NOW)
    upd_before, rollout_before = _upd(before).score, _rollout(before).score
    assert upd_before < AV_RISK_FLOOR  # the fixture's premise: the floor has something to raise
    assert not any("detected" in c.check for c in _upd(before).explanation.checks)

    t = AT + H
    defender = [_defender(h, 1117, t + 60 * i) for i, h in enumerate(UPD_HOSTS[:4])]
    defender.append(_defender(UPD_HOSTS[4], 1117, t + 300, action="Remove", result="Access is denied."))
    # not acted on yet, on a host that never ran it: a detection is no sighting, so ws-039 stays outside (task AV2)
    defender.append(_defender(HOSTS[39], 1116, t + 360))
    with Journal(tmp_path / "journal.sqlite") as journal:
        _ingest(store, journal, tmp_path, defender, [_symantec(UPD_HOSTS[5], t + 420)])
        after = detect(store, config=CONFIG, now=NOW, journal=journal)

    upd = _upd(after)
    step = upd.explanation.checks[0].check
    assert step.startswith("Microsoft Defender Antivirus, Symantec Endpoint Protection detected "
                           "Trojan:Win32/Wacatac.B!ml, Trojan Horse in C:\\Users\\Public\\upd.exe "
                           "(matched by its full path) on 6 of the cluster's 12 hosts (")
    assert "and on 1 host outside it (ws-039)" in step
    assert "what it did: quarantined 5, detected 1, failed 1" in step
    assert f"The risk was raised from {upd_before:.1f} to 80 by this detection" in step
    assert "not removed (the action failed, not acted on yet)" in step
    assert upd.score == AV_RISK_FLOOR
    # the detections lead the evidence (5 of the 7)
    inside = {i for r in store.iter_relations("DETECTED") for i in r.evidence}
    evidence = [row["event_id"] for row in upd.evidence]
    assert len(inside) == 7 and len(set(evidence[:5])) == 5 and set(evidence[:5]) <= inside
    # the benign rollout, detected nowhere, does not move; nor does it get a step
    rollout = _rollout(after)
    assert rollout.score == rollout_before
    assert [c.check for c in rollout.explanation.checks] == [c.check for c in _rollout(before).explanation.checks]


def test_a_name_only_match_is_said_weaker_and_moves_no_risk(store: GraphStore, tmp_path: Path) -> None:
    """Symantec found ``upd.exe`` elsewhere on disk (``C:\\Windows\\Temp``) on 3 of the cluster's hosts and on
    one host outside it."""
    _fleet().write(store)
    lines = [_symantec(h, AT + H + 60 * i, "C:\\Windows\\Temp\\upd.exe") for i, h in enumerate([*UPD_HOSTS[:3], HOSTS[39]])]
    with Journal(tmp_path / "journal.sqlite") as journal:
        _ingest(store, journal, tmp_path, [], lines)
    upd = _upd(detect(store, config=CONFIG, now=NOW))
    step = upd.explanation.checks[0].check
    assert "in C:\\Windows\\Temp\\upd.exe (matched by file name only, a weaker match" in step
    assert "on 3 of the cluster's 12 hosts" in step and "on 1 host outside it (ws-039)" in step
    # no floor (the temporary file's own candidate changes the forest's population, so not "the same risk")
    assert "raised" not in step and upd.score < AV_RISK_FLOOR


def _detection(host: str, sha256: str = "", path: str = "", name: str = "x.exe") -> Detection:
    return Detection(host, sha256 or path, FileIdentity(sha256, path, name), path or sha256)


@pytest.mark.parametrize(("ours", "theirs", "how"), [
    ({"sha256": "a" * 64, "image": "C:\\A\\x.exe"}, ("a" * 64, "", "x.exe"), "SHA-256"),
    ({"sha256": "a" * 64, "image": "C:\\A\\x.exe"}, ("b" * 64, "c:\\a\\x.exe", "x.exe"), None),  # digests differ
    ({"image": "C:/A/X.exe"}, ("", "c:\\a\\x.exe", "x.exe"), "path"),
    ({"image": "C:\\B\\x.exe"}, ("", "c:\\a\\x.exe", "x.exe"), "file name"),
    ({"image": "C:\\B\\y.exe"}, ("", "c:\\a\\x.exe", "x.exe"), None),
])
def test_matching_prefers_the_digest_then_the_path_then_the_name(ours: dict, theirs: tuple, how: str | None) -> None:
    process = Entity("process", "p", f'"{ours["image"]}"', ours)
    match = match_cluster([process], ["ws-1"], [_detection("ws-1", *theirs)])
    assert (match.how if isinstance(match, AntivirusMatch) else None) == how
