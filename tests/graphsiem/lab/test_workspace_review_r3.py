"""``graphsiem.lab`` after review R3 (items 1, 3, 9, 11, 12, 13): the window, rescoring,
fleet size, data directories, entity features, cluster frames and evidence limits."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from analytics.detect import detect
from graphsiem import lab
from graphsiem.api.state import StateStore
from graphsiem.model import Entity, epoch_to_iso
from tests.analytics.fleet import CAMPAIGN_HOSTS, DAY, START, populate
from tests.graphsiem.lab.test_workspace import clusters, fleet  # noqa: F401 - module fixtures reused

CAMPAIGN_STARTS = START + 1.5 * DAY


@pytest.fixture
def hand_built(tmp_path: Path):
    """A workspace over the 40-host hand-built fleet of ``tests.analytics.fleet``."""
    ws = lab.open("embedded", data_dir=tmp_path / "data", create=True)
    populate(ws.store)
    yield ws
    ws.close()


# -- item 1: Workspace.detect(now=...) ---------------------------------------------


def test_detect_now_moves_the_window_and_reads_nothing_after_it(hand_built) -> None:
    before = hand_built.detect(now=CAMPAIGN_STARTS - 3600)
    assert all(CAMPAIGN_HOSTS != c.hosts for c in before)
    assert hand_built.last_detection.stats["window_end"] == CAMPAIGN_STARTS - 3600
    during = hand_built.detect(now=epoch_to_iso(CAMPAIGN_STARTS + 3600))
    assert during[0].hosts == CAMPAIGN_HOSTS
    # as detect over the workspace's data directory: with its state, which keeps the
    # earlier window's candidates for the scorer (analytics.candidate_history)
    state = StateStore(hand_built.data_dir / "state.sqlite")
    try:
        assert [c.to_dict() for c in during] == [
            c.to_contract() for c in detect(hand_built.store, now=CAMPAIGN_STARTS + 3600,
                                            journal=hand_built.journal, history=state).clusters
        ]
    finally:
        state.close()
    aware = hand_built.detect(now=datetime.fromtimestamp(CAMPAIGN_STARTS + 3600, tz=UTC))
    assert [c.id for c in aware] == [c.id for c in during]


def test_detect_now_without_a_zone_is_refused(hand_built) -> None:
    with pytest.raises(ValueError, match="no time zone"):
        hand_built.detect(now="2023-11-16T10:00:00")
    with pytest.raises(ValueError, match="no time zone"):
        hand_built.detect(now=datetime(2023, 11, 16, 10))


# -- item 3: rescore scores as detect does, and re-explains ---------------------------


def test_rescore_on_the_scored_features_gives_detections_risks_back(fleet, clusters) -> None:  # noqa: F811
    ws, _ = fleet
    frame = ws.cluster_frame(clusters)
    rescored = {c.id: c for c in ws.rescore(clusters, frame[list(lab.SCORED_FEATURES)])}
    for view in clusters:
        assert rescored[view.id].score == pytest.approx(view.score)
        got = {f.name: f.contribution for f in rescored[view.id].explanation.features}
        assert got == pytest.approx({f.name: f.contribution for f in view.explanation.features}, abs=1e-4)
    # an unnamed array of the scored columns is read as them
    as_array = ws.rescore(clusters, frame[list(lab.SCORED_FEATURES)].to_numpy())
    assert [c.score for c in as_array] == pytest.approx(sorted((c.score for c in clusters), reverse=True))


def test_rescore_two_sided_is_asked_for_by_name(fleet, clusters) -> None:  # noqa: F811
    ws, _ = fleet
    X = ws.cluster_frame(clusters)[list(lab.SCORED_FEATURES)]
    two_sided = {c.id: c.score for c in ws.rescore(clusters, X, directions=None)}
    assert any(two_sided[c.id] != pytest.approx(c.score) for c in clusters)


def test_rescore_refuses_what_it_cannot_direct(fleet, clusters) -> None:  # noqa: F811
    ws, _ = fleet
    with pytest.raises(ValueError, match="unnamed columns"):
        ws.rescore(clusters, np.zeros((len(clusters), 3)))
    with pytest.raises(ValueError, match="one row per cluster"):
        ws.rescore(clusters, np.zeros((len(clusters) + 1, len(lab.SCORED_FEATURES))))


# -- items 9 and 12: features() ----------------------------------------------------------


def test_features_fleet_fraction_is_of_the_hosts_that_sent_telemetry(hand_built) -> None:
    # 200 names a client wrote into logons are host nodes without telemetry of their own
    hand_built.store.upsert_entities([Entity("host", f"ext-pc-{i:03d}", f"EXT-PC-{i:03d}") for i in range(200)])
    hand_built.store.flush()
    frame = hand_built.features()
    row = frame[frame["value"] == "bad.example"].iloc[0]
    assert row["fleet_fraction"] == pytest.approx(8 / 40)


def test_features_spread_and_burst_follow_the_detectors_rules(hand_built) -> None:
    frame = hand_built.features(min_hosts=2)
    old = frame[~frame["is_new"]]
    assert len(old) and (old["first_contact_spread_min"] == 60.0).all() and (old["burst_hosts"] == 0).all()
    new = frame[frame["is_new"]]
    assert (new["first_contact_spread_min"] <= 60.0).all()
    assert ((new["burst_hosts"] == 0) | (new["burst_hosts"] >= 0.5 * new["hosts"])).all()
    campaign = frame[frame["value"] == "bad.example"].iloc[0]
    assert (campaign["first_contact_spread_min"], campaign["burst_hosts"]) == (3.5, 8)  # 8 hosts a minute apart
    assert (old["first_contact_spread_raw_min"] != 60.0).any()  # the raw values are still there


@pytest.mark.parametrize("hours", [0, -5])
def test_features_refuse_a_window_that_is_not_positive(hand_built, hours) -> None:
    with pytest.raises(ValueError, match=f"window_hours must be > 0, got {hours}"):
        hand_built.features(window_hours=hours)


def test_features_as_of_now_know_nothing_later(hand_built) -> None:
    frame = hand_built.features(now=CAMPAIGN_STARTS - 3600)
    assert "bad.example" not in set(frame["value"])
    assert frame.attrs["window"][1] == epoch_to_iso(CAMPAIGN_STARTS - 3600)


# -- item 11: data directories -----------------------------------------------------------


def test_open_refuses_a_missing_data_dir_unless_asked_to_create_it(tmp_path: Path) -> None:
    missing = tmp_path / "lab-dta"
    with pytest.raises(FileNotFoundError, match=f"no data directory at {missing}: pass create=True"):
        lab.open("embedded", data_dir=missing)
    assert not missing.exists()
    with lab.open("embedded", data_dir=missing, create=True) as ws:
        assert ws.data_dir == missing and missing.is_dir()


def test_simulate_refuses_to_merge_another_fleet_into_a_used_journal(tmp_path: Path) -> None:
    with lab.open("embedded", data_dir=tmp_path / "data", create=True) as ws:
        telemetry = ws.simulate(hosts=6, days=1, seed=1, density=0.05)
        ws.ingest(telemetry / "endpoint", telemetry / "network")
        events = ws.journal.counts()["events"]
        with pytest.raises(FileExistsError, match=f"already holds {events} journaled events.*merge=True"):
            ws.simulate(hosts=6, days=1, seed=2, density=0.05)
        # the same simulation again is the same fleet: allowed, and ingesting it adds nothing
        again = ws.simulate(hosts=6, days=1, seed=1, density=0.05)
        ws.ingest(again / "endpoint", again / "network")
        assert ws.journal.counts()["events"] == events
        ws.simulate(hosts=6, days=1, seed=2, density=0.05, merge=True)


# -- item 13: cluster_frame and evidence ---------------------------------------------------


def test_cluster_frame_of_no_clusters_has_the_columns(fleet) -> None:  # noqa: F811
    ws, truth = fleet
    empty = ws.cluster_frame([], truth)
    assert len(empty) == 0
    assert {"rank", "score", "hosts", "pivot_type", "pivot_value", "truth", "truth_kind"} <= set(empty.columns)
    assert set(lab.SCORED_FEATURES) <= set(empty.columns)
    assert empty[["rank", "score", "hosts", "pivot_value", "truth"]].empty  # notebook 01's selection works


def test_cluster_frame_names_the_pivot_value_so_frame_pivot_stays_the_method(fleet, clusters) -> None:  # noqa: F811
    frame = fleet[0].cluster_frame(clusters)
    assert list(frame["pivot_value"]) == [c.pivot.value for c in clusters]
    assert "pivot" not in frame.columns


def test_evidence_honours_a_limit_past_what_detection_attached(clusters) -> None:  # noqa: F811
    top = clusters[0]
    attached = [ref["event_id"] for ref in top.cluster.evidence]
    assert len(attached) == 20  # DetectionConfig.evidence_per_cluster
    frame = top.evidence(limit=35)
    assert 20 < len(frame) <= 35
    assert set(attached) <= set(frame["event_id"])
    assert len(top.evidence(limit=5)) == 5
    with pytest.raises(ValueError, match="limit must be at least 1"):
        top.evidence(limit=0)
