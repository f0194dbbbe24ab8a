"""Forged antivirus lines neither remove the risk floor nor raise it (task AVFIX, red team T13 F2 and F4).

F2: a campaign binary (Sysmon SHA-256 ``9f..9f``) quarantined by Defender on 5 of its 12 hosts, matched
by path, is floored at 80.  One forged 1116 from ws-039, outside the cluster, whose ``Path`` is the
digest was read as a SHA-256 match; as only the strongest kind of match was kept, the 5 quarantines were
dropped: risk 80 -> 14.7, "on none of the cluster's 12 hosts".  Now no digest is read from a path or key,
and every host keeps its own match.

F4: ws-039 runs 8 benign agent rollouts (22 hosts each) and forges 8 Defender lines naming their paths:
each rollout went 36.3 -> 80.  Now one host's detections give the step, never the floor, and the step
names the host that reports many clusters' files.  Variant: a rollout at 50 floored above a campaign at 50.

The records are real Defender 1116/1117 Winlogbeat lines ingested through the pipeline, on both stores.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analytics.antivirus import (
    AV_RISK_FLOOR,
    FLOOR_MIN_HOSTS,
    floor_hosts_needed,
    match_cluster,
    read_detections,
)
from analytics.config import ConfigError, DetectionConfig
from analytics.detect import detect
from graphsiem.model import Entity
from graphsiem.store.base import GraphStore
from ingest.journal import Journal
from tests.analytics.behaviour_campaign import EXPLORER, HOSTS, H, relation
from tests.analytics.test_antivirus_corroboration import (
    AT,
    CONFIG,
    NOW,
    UPD,
    UPD_HOSTS,
    _defender,
    _detection,
    _ingest,
)
from tests.analytics.vendor_fleet import Fleet

DIGEST = "9f" * 32
"""The campaign binary's SHA-256, as Sysmon hashes it."""
FORGER = HOSTS[39]
"""ws-039: the one compromised endpoint, outside the campaign, running every rollout."""
AGENTS = [f"C:\\Program Files\\Agent{k}\\agentupd{k}.exe" for k in range(8)]


def _refs(cluster) -> set:
    return {e.ref for e in cluster.entities} | {cluster.pivot.ref}


def _campaign_with_digest(store: GraphStore) -> None:
    fleet = Fleet(days=2)
    for i, h in enumerate(UPD_HOSTS):
        run = fleet.process(h, "upd", f'"{UPD}" /silent', UPD, AT + 60 * i, 120, digest=DIGEST)
        fleet.relations.append(relation(EXPLORER, "SPAWNED", run, AT + 60 * i))
    agent = "C:\\Program Files\\Agent\\agentupd.exe"
    for i, h in enumerate(HOSTS[12:40]):
        fleet.process(h, "agentupd", f'"{agent}" /update', agent, AT + 240 * i, 300)
    fleet.write(store)


def _upd(result):
    (cluster,) = [c for c in result.clusters if ("process", "upd") in _refs(c)]
    return cluster


@pytest.mark.parametrize("forged", [False, True], ids=["genuine", "with-forged-digest-line"])
def test_a_forged_digest_path_outside_the_cluster_keeps_the_floor_and_the_quarantines(
        store: GraphStore, tmp_path: Path, forged: bool) -> None:
    _campaign_with_digest(store)
    genuine = [_defender(h, 1117, AT + H + 60 * i) for i, h in enumerate(UPD_HOSTS[:5])]
    extra = [_defender(FORGER, 1116, AT + 2 * H, DIGEST)] if forged else []
    with Journal(tmp_path / "journal.sqlite") as journal:
        _ingest(store, journal, tmp_path, genuine + extra, [])
        upd = _upd(detect(store, config=CONFIG, now=NOW, journal=journal))
    step = upd.explanation.checks[0].check
    assert upd.score == AV_RISK_FLOOR
    assert "in C:\\Users\\Public\\upd.exe" in step and "(matched by its full path) on 5 of the cluster's 12 hosts" in step
    assert "quarantined 5" in step and "The risk was raised from" in step
    # the forged line names a file "9f..9f" with no hash: no digest, path or name of the cluster's
    assert "and on no host outside it" in step and "ws-039" not in step and "SHA-256" not in step


def test_a_digest_is_read_from_the_hash_property_never_from_a_key_or_path(store: GraphStore, tmp_path: Path) -> None:
    """The forged line alone: its file is keyed apart from the digest it names (``path:``, projection 8), with
    no hash; no SHA-256 match."""
    _campaign_with_digest(store)
    with Journal(tmp_path / "journal.sqlite") as journal:
        _ingest(store, journal, tmp_path, [_defender(UPD_HOSTS[0], 1116, AT + 2 * H, DIGEST)], [])
    (detection,) = read_detections(store, AT, NOW)
    assert detection.file_key == "path:" + DIGEST and detection.file.sha256 == ""
    upd = _upd(detect(store, config=CONFIG, now=NOW))
    assert upd.score < AV_RISK_FLOOR
    assert "matched by SHA-256" not in upd.explanation.checks[0].check


def _rollouts(store: GraphStore, *, one_host_set: bool) -> None:
    fleet = Fleet(days=2)
    for k, agent in enumerate(AGENTS):
        if one_host_set:  # all on one host set: one merged cluster (the red team's low-risk variant)
            hosts, at = HOSTS[12:40], [AT + 240 * i + 17 * k for i in range(28)]
        else:  # 8 rollouts, 22 hosts each, different sets and hours; the forger runs them all
            hosts = [h for j, h in enumerate(HOSTS[:39]) if (j * 7 + k * 3) % 8 != 0][:21] + [FORGER]
            at = [AT + k * 2 * H + 240 * i for i in range(len(hosts))]
        for h, t in zip(hosts, at, strict=True):
            fleet.process(h, f"agentupd{k}", f'"{agent}" /update', agent, t, 300)
    fleet.dropper_campaign("dr", HOSTS[0:22], AT + 4 * H)
    fleet.write(store)


def _is_campaign(cluster) -> bool:
    return any(ref[1].startswith("dr-") for ref in _refs(cluster)) or "behaviour" in cluster.pivot.ref[1]


def test_eight_forged_lines_from_one_endpoint_floor_no_rollout(store: GraphStore, tmp_path: Path) -> None:
    _rollouts(store, one_host_set=False)
    before = {c.id: c.score for c in detect(store, config=CONFIG, now=NOW).clusters}
    forged = [_defender(FORGER, 1116, AT + 5 * H + 60 * k, agent) for k, agent in enumerate(AGENTS)]
    with Journal(tmp_path / "journal.sqlite") as journal:
        _ingest(store, journal, tmp_path, forged, [])
        after = detect(store, config=CONFIG, now=NOW, journal=journal).clusters
    assert _is_campaign(after[0])
    rollouts = [c for c in after if any(ref[1].startswith("agentupd") for ref in _refs(c))]
    assert len(rollouts) == 8
    for cluster in rollouts:
        assert cluster.score == before[cluster.id] < AV_RISK_FLOOR  # to the digit
        step = cluster.explanation.checks[0].check
        assert "on 1 of the cluster's 22 hosts (ws-039)" in step
        assert "Not raised to the 80 floor: that needs a SHA-256 or path detection on 3 of the cluster's hosts" in step
        assert "Detected hosts that also report other clusters' files in this run: ws-039 (7 other clusters)" in step


def test_forged_lines_do_not_lift_a_merged_rollout_above_a_campaign(store: GraphStore, tmp_path: Path) -> None:
    _rollouts(store, one_host_set=True)
    forged = [_defender(FORGER, 1116, AT + 5 * H + 60 * k, agent) for k, agent in enumerate(AGENTS)]
    with Journal(tmp_path / "journal.sqlite") as journal:
        _ingest(store, journal, tmp_path, forged, [])
        after = detect(store, config=CONFIG, now=NOW, journal=journal).clusters
    assert _is_campaign(after[0])
    assert all(c.score < AV_RISK_FLOOR for c in after)


def test_detections_on_two_of_a_clusters_hosts_floor_it_and_one_does_not(store: GraphStore, tmp_path: Path) -> None:
    _campaign_with_digest(store)
    with Journal(tmp_path / "journal.sqlite") as journal:
        _ingest(store, journal, tmp_path, [_defender(UPD_HOSTS[0], 1117, AT + H)], [])
        one = _upd(detect(store, config=CONFIG, now=NOW, journal=journal))
        _ingest(store, journal, tmp_path, [_defender(UPD_HOSTS[1], 1117, AT + H + 60)], [])
        two = _upd(detect(store, config=CONFIG, now=NOW, journal=journal))
    assert one.score < AV_RISK_FLOOR and "on 1 of the cluster's 12 hosts (ws-000)" in one.explanation.checks[0].check
    assert "Not raised to the 80 floor" in one.explanation.checks[0].check
    assert two.score == AV_RISK_FLOOR and "on 2 of the cluster's 12 hosts" in two.explanation.checks[0].check


def test_a_stronger_match_on_the_clusters_hosts_is_never_dropped_for_one_elsewhere() -> None:
    entities = [Entity("process", "upd", "upd", {"image": UPD, "sha256": DIGEST})]
    detections = [_detection(h, path=UPD.lower(), name="upd.exe") for h in UPD_HOSTS[:3]]
    detections.append(_detection(FORGER, sha256=DIGEST))
    match = match_cluster(entities, UPD_HOSTS, detections)
    assert match is not None and match.how == "path" and match.cluster_hosts == UPD_HOSTS[:3]
    assert match.strong_cluster_hosts == UPD_HOSTS[:3] and match.other_hosts == [FORGER]
    assert match.kind_of(FORGER) == "SHA-256" and len(match.detections) == 4


def test_the_floor_share_is_a_setting_with_a_clear_error() -> None:
    assert DetectionConfig().antivirus_floor_host_share == 0.1 and FLOOR_MIN_HOSTS == 2
    assert floor_hosts_needed(12, 0.1) == 2 and floor_hosts_needed(22, 0.1) == 3 and floor_hosts_needed(22, 0.5) == 11
    with pytest.raises(ConfigError, match=r"antivirus_floor_host_share must be in \[0, 1\], got 1.5"):
        DetectionConfig.from_dict({"antivirus_floor_host_share": 1.5})
