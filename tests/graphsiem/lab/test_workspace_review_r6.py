"""``graphsiem.lab`` after review R6: rescoring matches rows to clusters by id and scores as the
detection did (settings, history), detections do not depend on what ran before, a directory
without data is refused and left alone, and the smaller items (novelty, simulation.json,
density, baseline scores, rescored features)."""

from __future__ import annotations

import doctest
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from analytics.config import DetectionConfig
from analytics.inputs import load_inputs
from graphsiem import lab
from graphsiem.cli import main
from graphsiem.lab.data_dir import NothingIngestedError
from graphsiem.lab.rescore_views import is_fixed_risk
from graphsiem.model import Entity, Sighting
from tests.analytics.fleet import DAY, START, populate
from tests.graphsiem.lab.test_workspace import clusters, fleet  # noqa: F401 - module fixtures reused

SCORED = list(lab.SCORED_FEATURES)


def _risks(views) -> dict[str, float]:
    return {v.id: round(v.score, 9) for v in views}


# -- item 1: rescore matches a frame's rows to the clusters by id ----------------------


def test_rescore_of_a_sorted_frame_gives_each_cluster_its_own_row(fleet, clusters) -> None:  # noqa: F811
    ws, _ = fleet
    frame = ws.cluster_frame(clusters)
    in_order = ws.rescore(clusters, frame[SCORED])
    shuffled = frame.sort_values(["hosts", "burst_hosts"]).iloc[::-1]
    assert list(shuffled.index) != list(frame.index), "the fleet's clusters must come out in another order"
    assert _risks(ws.rescore(clusters, shuffled[SCORED])) == _risks(in_order)
    assert list(frame.index) == [c.id for c in clusters] and frame.index.name == "cluster_id"
    for view in ws.rescore(clusters, shuffled[SCORED]):
        explained = {f.name: f.value for f in view.explanation.features}
        assert explained["burst_hosts"] == round(float(frame.loc[view.id, "burst_hosts"]), 4)
    # an "id" column matches rows as well, and is no feature
    by_column = ws.rescore(clusters, frame.reset_index(drop=True)[["id", *SCORED]].iloc[::-1])
    assert _risks(by_column) == _risks(in_order)
    # arrays (and a frame indexed 0..n-1) are in cluster order
    assert _risks(ws.rescore(clusters, frame[SCORED].to_numpy())) == _risks(in_order)
    assert _risks(ws.rescore(clusters, frame[SCORED].reset_index(drop=True))) == _risks(in_order)


def test_rescore_refuses_rows_that_do_not_match_the_clusters(fleet, clusters) -> None:  # noqa: F811
    ws, _ = fleet
    frame = ws.cluster_frame(clusters)[SCORED]
    sorted_positions = frame.reset_index(drop=True).sort_values("burst_hosts", ascending=False)
    assert list(sorted_positions.index) != list(range(len(frame)))
    with pytest.raises(ValueError, match="do not match the clusters by its index: .* not these clusters"):
        ws.rescore(clusters, sorted_positions)
    with pytest.raises(ValueError, match=f"1 cluster\\(s\\) have no row \\('{clusters[-1].id}'\\)"):
        ws.rescore(clusters, frame.drop(index=clusters[-1].id))
    doubled = frame.copy()
    doubled.index = [clusters[0].id, *frame.index[:-1]]
    with pytest.raises(ValueError, match="two rows"):
        ws.rescore(clusters, doubled)


# -- items 2 and 5: detections do not depend on earlier runs; rescore scores as the detection --


ALL_PIVOTS = {"new_pivots_only": False}
"""Every shared entity starts a cluster: the day before's window has candidates to be the reference."""


@pytest.fixture(scope="module")
def three_days(tmp_path_factory: pytest.TempPathFactory):
    """A 40-host, three-day fleet: the first detection backfills the day before's window."""
    base = tmp_path_factory.mktemp("lab-history")
    ws = lab.open("embedded", data_dir=base / "data", create=True)
    telemetry = ws.simulate(hosts=40, days=3, seed=5, density=0.1, out=base / "telemetry")
    ws.ingest(telemetry / "endpoint", telemetry / "network")
    yield ws
    ws.close()


def test_a_backtest_does_not_change_the_next_detection(tmp_path: Path) -> None:
    # review R6: after a backtest 12 h back, the same detect() gave 79.9 instead of 70.6
    with lab.open("embedded", data_dir=tmp_path / "data", create=True) as ws:
        telemetry = ws.simulate(hosts=40, days=2, seed=3, density=0.1, out=tmp_path / "telemetry")
        ws.ingest(telemetry / "endpoint", telemetry / "network")
        first = ws.detect()
        end = ws.last_detection.stats["window_end"]
        ws.detect(now=end - 12 * 3600)  # a backtest over an overlapping window
        assert _risks(ws.detect()) == _risks(first)
        # kept on request, an overlapping window still is no earlier window: it ends after this one starts
        ws.detect(now=end - 12 * 3600, history=True)
        assert _risks(ws.detect()) == _risks(first)
        assert ws.last_detection.stats["history_rows"] == 0


def test_history_false_fits_on_this_window_alone(three_days) -> None:
    ws = three_days
    with_history = ws.detect(**ALL_PIVOTS)
    assert ws.last_detection.stats["history_rows"] > 0, "the backfilled day before is the reference"
    alone = ws.detect(history=False, **ALL_PIVOTS)
    assert "history_rows" not in ws.last_detection.stats
    # no earlier rows: only the window's own small new clusters (analytics.reference_clusters)
    assert all(len(v.reference) == ws.last_detection.stats["small_cluster_rows"] for v in alone)
    assert _risks(alone) != _risks(with_history)


def test_rescore_fits_on_the_detections_reference(three_days) -> None:
    ws = three_days
    views = ws.detect(**ALL_PIVOTS)
    stats = ws.last_detection.stats
    assert views[0].reference is not None and len(views[0].reference) == stats["history_rows"] + stats["small_cluster_rows"]
    frame = ws.cluster_frame(views)
    assert _risks(ws.rescore(views, frame[SCORED])) == pytest.approx(_risks(views))
    assert _risks(ws.rescore(views, frame[SCORED], history=False)) != _risks(views)
    # Fixed-risk findings (credential, antivirus, host findings: no scored
    # features, NaN in the frame) are read by no forest: they keep the rule's risk.
    findings = {v.id: v.score for v in views if is_fixed_risk(v.cluster)}
    assert findings and frame.loc[list(findings), SCORED].isna().any(axis=None)
    rescored = {v.id: v.score for v in ws.rescore(views, frame[SCORED], history=False)}
    assert {i: rescored[i] for i in findings} == findings
    frame["executed_share"] = np.linspace(0.0, 1.0, len(frame))
    with pytest.warns(UserWarning, match="fitted on the clusters alone"):
        ws.rescore(views, frame[[*SCORED, "executed_share"]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ws.rescore(views, frame[[*SCORED, "executed_share"]], history=False)
    with pytest.raises(ValueError, match="no column 'executed_share'"):
        ws.rescore(views, frame[[*SCORED, "executed_share"]], history=True)


def test_rescore_scores_with_the_detections_settings(fleet) -> None:  # noqa: F811
    ws, _ = fleet
    views = ws.detect(n_estimators=100, random_state=3)
    rescored = ws.rescore(views, ws.cluster_frame(views)[SCORED])
    assert _risks(rescored) == pytest.approx(_risks(views))
    assert all(v.config.n_estimators == 100 for v in rescored)


def test_rescore_refuses_clusters_of_two_detections(fleet, clusters) -> None:  # noqa: F811
    ws, _ = fleet
    other = ws.detect(random_state=3)
    mixed = [clusters[0], *other[1:]]
    with pytest.raises(ValueError, match="different detections"):
        ws.rescore(mixed, ws.cluster_frame(mixed)[SCORED])


def test_rescore_refuses_a_misspelt_scored_feature_unless_declared(fleet, clusters) -> None:  # noqa: F811
    ws, _ = fleet
    frame = ws.cluster_frame(clusters)[SCORED].rename(columns={"burst_hosts": "burst_host"})
    with pytest.raises(ValueError, match="'burst_host' is not a scored feature but looks like 'burst_hosts'"):
        ws.rescore(clusters, frame)
    rescored = ws.rescore(clusters, frame, custom=["burst_host"])
    described = {f.name: f.description for f in rescored[0].explanation.features}
    assert described["burst_host"] == "custom feature (rescore)"


# -- item 4: a directory without data -------------------------------------------------


def test_a_directory_without_data_is_left_alone_and_reads_refuse(tmp_path: Path, capsys) -> None:
    (tmp_path / "readme.txt").write_text("not a data directory")
    with lab.open("embedded", data_dir=tmp_path) as ws:
        for read in (ws.detect, ws.features, lambda: ws.baseline("host-count")):
            with pytest.raises(NothingIngestedError, match=f"nothing has been ingested in {tmp_path}"):
                read()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["readme.txt"]
    assert main(["detect", "--data", str(tmp_path), "--quiet"]) == 2
    assert "nothing has been ingested" in capsys.readouterr().err


def test_a_data_directory_with_an_empty_store_refuses_reads(tmp_path: Path) -> None:
    with lab.open("embedded", data_dir=tmp_path / "new", create=True) as ws:
        with pytest.raises(NothingIngestedError, match="holds no sightings"):
            ws.detect()
        with pytest.raises(NothingIngestedError, match="holds no sightings"):
            ws.features()


def test_ingest_makes_a_directory_without_data_a_data_directory(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with lab.open("embedded", data_dir=data) as ws:
        telemetry = ws.simulate(hosts=20, days=2, seed=2, density=0.05, out=tmp_path / "telemetry")
        assert not (data / "journal.sqlite").exists()
        report = ws.ingest(telemetry)
        assert report.total.accepted > 0 and report.total.rejected == 0
        assert (data / "journal.sqlite").exists() and (data / "graph").is_dir()
        assert isinstance(ws.detect(), list)


# -- items 7 and 8 ----------------------------------------------------------------------


def test_features_is_new_is_the_detectors_novelty(tmp_path: Path) -> None:
    with lab.open("embedded", data_dir=tmp_path / "data", create=True) as ws:
        populate(ws.store)
        # one host a day and a half early (a clock behind), nine inside the window
        hosts = ["ws-039"] + [f"ws-{i:03d}" for i in range(20, 29)]
        firsts = [START + 0.1 * DAY] + [START + 1.6 * DAY + 60 * i for i in range(9)]
        ws.store.upsert_entities([Entity("domain", "late.example", "late.example")])
        ws.store.upsert_sightings([Sighting(h, ("domain", "late.example"), f, f + 600, 2)
                                   for h, f in zip(hosts, firsts, strict=True)])
        ws.store.flush()
        frame = ws.features()
        row = frame[frame["key"] == "late.example"].iloc[0]
        inputs = load_inputs(ws.store, DetectionConfig())
        column = inputs.incidence.column_index()[("domain", "late.example")]
        assert bool(inputs.stats.is_new[column]) is True
        assert bool(row["is_new"]) is True
        assert row["first_seen"].timestamp() < inputs.window.start  # new although first seen before the window


def test_ingesting_a_simulation_directory_skips_its_parameters(tmp_path: Path) -> None:
    with lab.open("embedded", data_dir=tmp_path / "data", create=True) as ws:
        telemetry = ws.simulate(hosts=20, days=2, seed=2, density=0.05, out=tmp_path / "telemetry")
        report = ws.ingest(telemetry)
    assert report.total.rejected == 0
    assert "simulation.json" in report.render() and "skipped" in report.render()


@pytest.mark.parametrize("density", [-1, -0.1, math.nan, math.inf])
def test_simulate_refuses_a_density_that_is_not_a_volume(tmp_path: Path, density: float) -> None:
    with lab.open("embedded", data_dir=tmp_path, create=True) as ws:
        with pytest.raises(ValueError, match="density must be a finite number >= 0"):
            ws.simulate(hosts=5, days=1, density=density, out=tmp_path / "telemetry")
    assert not (tmp_path / "telemetry").exists()


def test_cluster_frame_gives_baseline_rows_no_risk(fleet) -> None:  # noqa: F811
    ws, _ = fleet
    rows = ws.baseline("host-count")
    frame = ws.cluster_frame(rows)
    assert frame["score"].isna().all()
    assert list(frame["hosts"]) == [len(r.hosts) for r in rows]
    assert "host-count=" in repr(rows[0])


def test_a_rescored_cluster_lists_its_columns_in_features_too(fleet, clusters) -> None:  # noqa: F811
    ws, _ = fleet
    frame = ws.cluster_frame(clusters)
    frame["executed_share"] = np.linspace(0.0, 1.0, len(frame))
    for view in ws.rescore(clusters, frame[[*SCORED, "executed_share"]]):
        contract = view.to_dict()
        assert {f["name"] for f in contract["explanation"]["features"]} <= set(contract["features"])
        assert contract["features"]["executed_share"] == pytest.approx(frame.loc[view.id, "executed_share"])


def test_the_module_examples_give_what_they_show(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ``graphsiem.lab`` docstring's walk-through, run (its figures went stale once: 24231 accepted)."""
    monkeypatch.chdir(tmp_path)
    text = re.sub(r"#\s*doctest:\s*\+SKIP", "", lab.__doc__ or "")
    example = doctest.DocTestParser().get_doctest(text, {}, "graphsiem.lab", None, 0)
    assert len(example.examples) >= 7
    out: list[str] = []
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(example, out=out.append)
    assert runner.failures == 0, "".join(out)
