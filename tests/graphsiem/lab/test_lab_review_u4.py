"""``graphsiem.lab`` after review U4: rows without cluster ids are checked before they are taken in
cluster order (F2), ``cluster_frame().reset_index()`` is matched by its ``cluster_id`` column, a parsed
``ground_truth.json`` is a truth, and a rescored explanation speaks detection's words (F5)."""

from __future__ import annotations

import json

import pytest

from analytics.config import ConfigError
from analytics.feature_words import PLAIN_DESCRIPTIONS
from analytics.features import SCORED_FEATURES
from graphsiem import lab
from tests.graphsiem.lab.test_workspace import clusters, fleet  # noqa: F401 - module fixtures reused

SCORED = list(lab.SCORED_FEATURES)


def _risks(views) -> dict[str, float]:
    return {v.id: round(v.score, 9) for v in views}


def _sorted_after_reset(frame):
    reordered = frame.sort_values(["hosts", "burst_hosts"]).iloc[::-1].reset_index(drop=True)
    assert list(reordered["id"]) != list(frame["id"]), "the fleet's clusters must come out in another order"
    return reordered


def test_a_frame_sorted_after_reset_index_is_refused_not_misread(fleet, clusters) -> None:  # noqa: F811
    ws, _ = fleet
    frame = ws.cluster_frame(clusters)
    with pytest.raises(ValueError, match=r"row \d+'s '\w+' is .* and cluster '.+' has .*: the rows look sorted"):
        ws.rescore(clusters, _sorted_after_reset(frame)[SCORED])
    # the same rows in cluster order are still taken as they are
    assert _risks(ws.rescore(clusters, frame[SCORED].reset_index(drop=True))) == _risks(
        ws.rescore(clusters, frame[SCORED]))


def test_an_array_of_other_clusters_rows_is_refused(fleet, clusters) -> None:  # noqa: F811
    ws, _ = fleet
    frame = ws.cluster_frame(clusters)
    with pytest.raises(ValueError, match="X is an array, so its rows are taken in the clusters' order"):
        ws.rescore(clusters, _sorted_after_reset(frame)[SCORED].to_numpy())


def test_reset_index_keeps_the_cluster_id_column_to_match_rows_by(fleet, clusters) -> None:  # noqa: F811
    ws, _ = fleet
    frame = ws.cluster_frame(clusters)
    expected = _risks(ws.rescore(clusters, frame[SCORED]))
    shuffled = frame.reset_index().iloc[::-1].reset_index(drop=True)
    assert _risks(ws.rescore(clusters, shuffled[["cluster_id", *SCORED]])) == expected
    # both id columns: they agree, neither is a feature
    both = ws.rescore(clusters, shuffled[["cluster_id", "id", *SCORED]])
    assert _risks(both) == expected
    assert {f.name for f in both[0].explanation.features} == set(SCORED)
    disagreeing = shuffled[["cluster_id", "id", *SCORED]].assign(id=list(shuffled["id"])[::-1])
    with pytest.raises(ValueError, match="'id' and 'cluster_id' columns name different clusters in row 0"):
        ws.rescore(clusters, disagreeing)


def test_order_clusters_takes_changed_values_and_unverifiable_rows(fleet, clusters) -> None:  # noqa: F811
    ws, _ = fleet
    frame = ws.cluster_frame(clusters)
    doubled = frame[SCORED].reset_index(drop=True).assign(burst_hosts=lambda f: f["burst_hosts"] * 2 + 1)
    with pytest.raises(ValueError, match="order='clusters'"):
        ws.rescore(clusters, doubled)
    by_id = ws.rescore(clusters, doubled.set_axis(frame.index))
    assert _risks(ws.rescore(clusters, doubled, order="clusters")) == _risks(by_id)
    own = frame.reset_index(drop=True)[["hosts", "members"]]
    with pytest.raises(ValueError, match="no scored-feature column, so nothing tells which cluster each row is"):
        ws.rescore(clusters, own)
    rescored = ws.rescore(clusters, own, order="clusters", history=False)
    assert {f.name for f in rescored[0].explanation.features} == {"hosts", "members"}
    with pytest.raises(ValueError, match="order must be None or 'clusters'"):
        ws.rescore(clusters, own, order="rows")


def test_rescored_explanations_use_the_words_of_detection(fleet, clusters) -> None:  # noqa: F811
    ws, _ = fleet
    detected = {f.name: f.description for f in clusters[0].explanation.features}
    rescored = ws.rescore(clusters, ws.cluster_frame(clusters)[SCORED])
    again = next(v for v in rescored if v.id == clusters[0].id)
    assert {f.name: f.description for f in again.explanation.features} == detected
    assert detected["burst_hosts"] == PLAIN_DESCRIPTIONS["burst_hosts"]


def test_analytics_scored_features_select_columns_as_the_lab_list_does(fleet, clusters) -> None:  # noqa: F811
    ws, _ = fleet
    frame = ws.cluster_frame(clusters)
    assert list(frame[SCORED_FEATURES].columns) == SCORED
    assert _risks(ws.rescore(clusters, frame[SCORED_FEATURES])) == _risks(ws.rescore(clusters, frame[SCORED]))


def test_evaluate_takes_the_parsed_ground_truth(fleet, clusters) -> None:  # noqa: F811
    ws, truth = fleet
    expected = ws.evaluate(truth, clusters)
    parsed = json.loads(truth.read_text(encoding="utf-8"))
    entries = parsed["scenarios"]  # what the review passed: "its loaded entries"
    for given in (parsed, entries, str(truth)):
        got = ws.evaluate(given, clusters)
        assert got.equals(expected) and got.attrs["metrics"] == expected.attrs["metrics"]
    assert lab.compare(parsed, {"scorer": clusters}).loc["scorer", "seed_rank"] == expected.attrs["metrics"]["seed_rank"]
    with pytest.raises(TypeError, match="TruthEntry objects, got int"):
        ws.evaluate(3, clusters)
    with pytest.raises(TypeError, match="must all be TruthEntry objects or all dicts .* got a str"):
        ws.evaluate([*entries, "seed"], clusters)


def test_refused_rows_name_no_row_label_as_a_cluster(fleet, clusters) -> None:  # noqa: F811
    ws, _ = fleet
    frame = ws.cluster_frame(clusters).reset_index()
    with pytest.raises(ValueError, match="column 'pivot_type' is not numbers") as refused:
        ws.rescore(clusters, frame[["cluster_id", "pivot_type", *SCORED]])
    named = refused.value.args[0].split("(cluster ")[1].split(")")[0].strip("'")
    assert named in {c.id for c in clusters}


def test_detect_refuses_a_bad_setting_by_name(fleet) -> None:  # noqa: F811
    ws, _ = fleet
    with pytest.raises(ConfigError, match=r"unknown detection setting\(s\): min_host \(did you mean min_hosts\?\)"):
        ws.detect(min_host=4)
    with pytest.raises(ConfigError, match="min_hosts must be an integer, got '3'"):
        ws.detect(min_hosts="3")
    with pytest.raises(ConfigError, match="n_estimators must be >= 1, got 0"):
        ws.detect(n_estimators=0)
