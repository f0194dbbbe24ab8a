"""A cluster's risk does not hang on the day's other candidates: the scorer is fitted on the
candidates earlier detections kept in the data directory's state too (task F18).

One simulated fleet of 100 hosts over 7 days (the simulator's attacks and decoys on the last
day) with five benign vendor updates on each day after the first, so that every day has
candidates.  It is read through the notebook path (``lab.open``): the first detection finds no
earlier run and backtests the earlier days (the backfill), keeping their candidates in
``<data>/state.sqlite``; later ones read them.

The quiet day is the busy day's attack scored alone among the earlier rows the detection read
(``Workspace.rescore`` of that one cluster on its scored features: the same scorer, fitted on the
same reference plus itself), so the attack's own features are the same and only what else the day
produced differs.  (It used to be the window with every other candidate suppressed; a suppressed
cluster is scored with the others since review T11 F1, so triage no longer makes a quiet day.)
Without a history the lone attack scores 50 (one candidate has nothing to be unusual against)
against 70-82 among the busy day's candidates.

The bound, 15 risk points, is measured, not derived: the forest is fitted on the earlier
candidates *plus* today's, so a busy day's other outliers (here three other attacks) still share
the isolation with the attack and mask it a little.  On this fleet (27-28 earlier rows, 12
candidates that day) that moved the four attacks by 4.7 to 10.1 points (the quiet day scoring
higher; 4.6 to 12.6 with the suppressed quiet day before T11 F1), while the forest's own seed-to-seed spread on the same rows is up to 4.5 points and
leaving one day out of the history moves them by up to 2.3.  Without the history the gaps were
20-32 points (the lone attack at 50).  Fitting on the earlier rows alone would make the gap 0
but ranked two benign updates above two attacks on this fleet (see the F18 report).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from analytics.candidate_history import candidate_rules, earlier_candidates
from analytics.config import DetectionConfig
from analytics.detect import detect
from analytics.entity_stats import Window
from analytics.evaluate import load_truth, match
from analytics.features import SCORED_FEATURES
from graphsiem import lab
from graphsiem.api.state import StateStore
from graphsiem.model import epoch_to_iso
from graphsiem.simulator import DEFAULT_SCENARIOS
from graphsiem.simulator.engine import simulate
from graphsiem.store.embedded import EmbeddedStore
from tests.analytics.fleet import END, populate

DAYS = 7
QUIET_BUSY_BOUND = 15.0
"""Most risk points a quiet day's attack may differ from the same attack on a busy day (module docstring)."""
SETTINGS = {"evidence_top": 0}


def vendor_updates(folder: Path, days: int, per_day: int = 5) -> list[str]:
    """Benign scenario files: ``per_day`` updates from new vendor domains on each day but the first,
    on 4-35 % of the workstations, their first contacts spread over 20 minutes to 12 hours."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for day in range(-(days - 1), 0):
        for k in range(per_day):
            name = f"update_{-day}_{k}"
            fraction = (0.04, 0.08, 0.15, 0.25, 0.35)[k % 5]
            spread = (20, 90, 240, 480, 700)[(2 * k - day) % 5]
            path = folder / f"{name}.yaml"
            path.write_text(f"""name: {name}
label: vendor update {name}
kind: benign
hosts: {{group: workstations, fraction: {fraction}}}
pivot: {{type: domain}}
activities:
  - schedule: {{every: once, day: {day}, at: "{7 + k:02d}:{(-13 * day) % 60:02d}", spread_minutes: {spread}}}
    steps:
      - action: process
        parent: services
        user: system
        image: 'C:\\Program Files\\Vendor{k}\\updater.exe'
        command_line: '"C:\\Program Files\\Vendor{k}\\updater.exe" /silent /job {name}'
      - {{action: download, url: 'https://dl{-day}-{k}.vendor{k}-updates.example/pkg/{name}.msi', content: {name}.msi, size: 2000000}}
""", encoding="utf-8")
            files.append(str(path))
    return files


@pytest.fixture(scope="module")
def week(tmp_path_factory):
    """The simulated week: its telemetry and ground truth (the stores are made per test)."""
    root = tmp_path_factory.mktemp("candidate_history")
    scenarios = [*DEFAULT_SCENARIOS, *vendor_updates(root / "scenarios", DAYS)]
    simulate(root / "telemetry", hosts=100, days=DAYS, seed=7, density=0.2, scenarios=scenarios)
    return root / "telemetry"


@pytest.fixture(scope="module")
def workspace(week, tmp_path_factory):
    ws = lab.open("embedded", data_dir=tmp_path_factory.mktemp("week_data"), create=True)
    ws.ingest(week / "endpoint", week / "network")
    yield ws
    ws.close()


def _attacks(views, truth) -> dict[str, tuple[str, str, float]]:
    """Attack name -> (pivot type, pivot key, risk) of the first cluster matching it."""
    found: dict[str, tuple[str, str, float]] = {}
    for view in views:
        entry = match(view.to_dict(), truth)
        if entry is not None and entry.kind == "attack" and entry.name not in found:
            found[entry.name] = (view.pivot.type, view.pivot.key, view.score)
    return found


def test_quiet_day_attack_scores_as_among_the_busy_days_candidates(workspace, week):
    truth = load_truth(week / "ground_truth.json")
    busy_views = workspace.detect(**SETTINGS)
    busy = _attacks(busy_views, truth)
    assert len(busy) == 4, busy
    stats = workspace.last_detection.stats
    assert stats["history_rows"] >= 20, stats  # a reference of earlier days, not the lone candidate
    by_pivot = {(v.pivot.type, v.pivot.key): v for v in busy_views}
    for name, (pivot_type, pivot_key, busy_risk) in busy.items():
        alone = [by_pivot[(pivot_type, pivot_key)]]
        assert len(alone[0].reference) == stats["history_rows"]  # what the quiet day is fitted on besides it
        quiet = workspace.rescore(alone, workspace.cluster_frame(alone)[list(SCORED_FEATURES)])
        quiet_risk = quiet[0].score
        assert abs(quiet_risk - busy_risk) <= QUIET_BUSY_BOUND, (name, quiet_risk, busy_risk)


def test_a_first_run_backfills_and_later_runs_reuse_the_kept_rows(week, tmp_path):
    data = tmp_path / "data"
    ws = lab.open("embedded", data_dir=data, create=True)
    try:
        ws.ingest(week / "endpoint", week / "network")
        first = ws.detect(**SETTINGS)
        stats = ws.last_detection.stats
        # days 2..6 backtested (day 1 has no baseline before it); their candidates kept
        assert stats["history_backfilled"] == DAYS - 2
        assert stats["history_rows"] >= 20
        window = Window(stats["window_start"], stats["window_end"])
        config = DetectionConfig(**SETTINGS)
        # kept in the data directory's state: another connection (another process) reads them
        state = StateStore(data / "state.sqlite")
        try:
            kept = earlier_candidates(state, config, window, [v.id for v in first])
            assert len(kept) == stats["history_rows"]
            assert state.candidate_window_count(candidate_rules(config), since=window.end - DAYS * 86400.0,
                                                until=window.end) == DAYS - 1  # the backfilled and today's
        finally:
            state.close()
        again = ws.detect(**SETTINGS)
        stats_again = ws.last_detection.stats
        assert "history_backfilled" not in stats_again  # a run kept windows: nothing to backfill
        assert stats_again["history_rows"] == stats["history_rows"]
        assert [(v.id, v.score) for v in again] == [(v.id, v.score) for v in first]
    finally:
        ws.close()


def test_rerunning_a_window_replaces_its_rows(workspace):
    first = workspace.detect(**SETTINGS)
    stats = workspace.last_detection.stats
    db = sqlite3.connect(workspace.data_dir / "state.sqlite")
    try:
        def rows_of_the_window() -> int:
            return db.execute("SELECT COUNT(*) FROM candidate_rows WHERE window_start = ? AND window_end = ?",
                              (stats["window_start"], stats["window_end"])).fetchone()[0]

        assert rows_of_the_window() == len(first)
        again = workspace.detect(**SETTINGS)
        assert rows_of_the_window() == len(first)  # replaced, not added
        assert workspace.last_detection.stats["history_rows"] == stats["history_rows"]
        assert [(v.id, v.score) for v in again] == [(v.id, v.score) for v in first]
        # a re-run leaves only its own rows: one of a candidate it no longer finds goes
        db.execute("INSERT INTO candidate_rows (rules, window_start, window_end, cluster_id, features) "
                   "SELECT rules, window_start, window_end, 'no-longer-found', features FROM candidate_rows "
                   "WHERE window_start = ? AND window_end = ? LIMIT 1", (stats["window_start"], stats["window_end"]))
        db.commit()
        assert rows_of_the_window() == len(first) + 1
        workspace.detect(**SETTINGS)
        assert rows_of_the_window() == len(first)
        # a suppressed candidate is still one (scored with the others, then left out: review T11 F1)
        one = first[-1]
        fewer = workspace.detect(suppressed=frozenset({(one.pivot.type, one.pivot.key)}), **SETTINGS)
        assert len(fewer) == len(first) - 1
        assert rows_of_the_window() == len(first)
    finally:
        db.close()


# -- without a history it scores as before ------------------------------------------------


def test_no_history_scores_exactly_as_without_one(tmp_path):
    store = EmbeddedStore(tmp_path / "graph")
    state = StateStore(tmp_path / "state.sqlite")
    try:
        populate(store)
        alone = detect(store)
        with_state = detect(store, history=state)
        assert with_state.stats["history_rows"] == 0
        assert [(c.id, c.score) for c in with_state.clusters] == [(c.id, c.score) for c in alone.clusters]
        assert [c.explanation for c in with_state.clusters] == [c.explanation for c in alone.clusters]
    finally:
        state.close()
        store.close()


# -- the state's rows ------------------------------------------------------------------


def _row(value: float) -> dict[str, float]:
    return dict.fromkeys(SCORED_FEATURES, value)


def test_rows_read_back_newest_per_cluster_within_the_lookback(tmp_path):
    state = StateStore(tmp_path / "state.sqlite")
    try:
        config = DetectionConfig(history_days=2)
        rules, day = candidate_rules(config), 86400.0
        for end, rows in ((END - 3 * day, [("old", _row(9.0))]),
                          (END - 1.5 * day, [("a", _row(1.0)), ("b", _row(2.0))]),
                          (END - day, [("a", _row(3.0)), ("c", _row(4.0))]),
                          (END + day, [("future", _row(5.0))])):
            state.replace_candidate_rows(rules, (end - day, end), "run", rows)
        state.replace_candidate_rows(candidate_rules(DetectionConfig(min_hosts=5)), (END - 2 * day, END - day),
                                     "other-rules", [("d", _row(6.0))])
        today = Window(END - day, END)
        got = earlier_candidates(state, config, today, ["c"])
        # "a" once (its newest row), not "c" (scored today), nor the row outside the 2 days,
        # nor the backtest's future, nor other rules'
        assert sorted(got[:, 0].tolist()) == [2.0, 3.0]
        assert earlier_candidates(state, DetectionConfig(history_days=2, history_max_rows=1), today, []).shape == (
            1, len(SCORED_FEATURES))
        assert earlier_candidates(state, DetectionConfig(history_days=0), today, []).shape == (0, len(SCORED_FEATURES))
        # a run over this very window does not read its own earlier rows
        state.replace_candidate_rows(rules, (today.start, today.end), "run", [("e", _row(7.0))])
        assert 7.0 not in earlier_candidates(state, config, today, [])[:, 0]
    finally:
        state.close()


def test_rows_of_a_window_are_replaced(tmp_path):
    state = StateStore(tmp_path / "state.sqlite")
    try:
        rules, window = candidate_rules(DetectionConfig()), (END - 86400.0, END)
        state.replace_candidate_rows(rules, window, "first", [("a", _row(1.0)), ("b", _row(1.0))])
        state.replace_candidate_rows(rules, window, "again", [("a", _row(2.0))])
        rows = state.candidate_rows(rules, since=END - 86400.0 * 7, until=END + 1, exclude=(0.0, 0.0), limit=10)
        assert [(cluster, features[SCORED_FEATURES[0]]) for cluster, _, features in rows] == [("a", 2.0)]
        assert state.candidate_window_count(rules, since=0.0, until=END) == 1
    finally:
        state.close()


def test_history_settings_are_checked():
    from analytics.config import ConfigError

    with pytest.raises(ConfigError, match="history_days"):
        DetectionConfig(history_days=-1)
    with pytest.raises(ConfigError, match="history_max_rows"):
        DetectionConfig(history_max_rows=2.5)  # type: ignore[arg-type]
    assert np.isfinite(DetectionConfig().history_days)


def test_windows_past_the_retention_are_forgotten(tmp_path):
    from types import SimpleNamespace

    from analytics.candidate_history import RETAIN_DAYS, remember_candidates

    state = StateStore(tmp_path / "state.sqlite")
    try:
        config, day = DetectionConfig(), 86400.0
        rules = candidate_rules(config)
        old_end = END - (RETAIN_DAYS + 1) * day
        kept_end = END - (RETAIN_DAYS - 1) * day
        for end in (old_end, kept_end):
            state.replace_candidate_rows(rules, (end - day, end), "earlier", [("a", _row(1.0))])
        remember_candidates(state, config, Window(END - day, END), [SimpleNamespace(id="b", features=_row(2.0))])
        assert state.candidate_window_count(rules, since=0.0, until=END) == 2  # the kept one and today's
        assert state.candidate_window_count(rules, since=0.0, until=old_end) == 0
    finally:
        state.close()


def test_a_backtest_keeps_nothing_so_the_next_run_scores_as_without_it(week, tmp_path, capsys):
    # review RV4: `detect --now` (and POST /v1/detections?now=) kept its candidates and
    # backfilled, so the next ordinary run was fitted on what backtests left behind and one
    # cluster went 42.1 -> 35.5.  A backtest reads the history and keeps nothing.
    from graphsiem.cli import main

    plain, backtested = tmp_path / "plain", tmp_path / "backtested"
    assert main(["ingest", str(week / "endpoint"), str(week / "network"), "--data", str(plain), "--no-progress"]) == 0
    shutil.copytree(plain, backtested)

    def detect(data: Path, *extra: str) -> dict:
        out = tmp_path / f"{data.name}-{len(extra)}.json"
        assert main(["detect", "--data", str(data), "--json", str(out), "--quiet", *extra]) == 0
        return json.loads(out.read_text(encoding="utf-8"))

    ordinary = detect(plain)
    stats = ordinary["detection"]["stats"]
    assert stats["history_backfilled"] >= 2  # the ordinary run does keep and backfill
    past = epoch_to_iso(stats["window_end"] - 36 * 3600.0)
    backtest = detect(backtested, "--now", past)
    assert "history_backfilled" not in backtest["detection"]["stats"]
    state = StateStore(backtested / "state.sqlite")
    try:
        assert state.candidate_window_count(candidate_rules(DetectionConfig()), since=0.0, until=stats["window_end"]) == 0
    finally:
        state.close()
    after = detect(backtested)
    capsys.readouterr()
    assert after["detection"]["stats"]["history_rows"] == stats["history_rows"]
    assert [(c["id"], c["score"]) for c in after["clusters"]] == [(c["id"], c["score"]) for c in ordinary["clusters"]]


def test_behaviour_pivots_switch_is_part_of_the_candidate_rules() -> None:
    """Behaviour pivots add candidates: rows kept with them off are another population."""
    on, off = DetectionConfig(), DetectionConfig(behaviour_pivots=False)
    assert candidate_rules(on) != candidate_rules(off)
    assert json.loads(candidate_rules(off))["behaviour_pivots"] is False


def test_detect_says_once_that_a_change_of_rules_started_the_history_afresh(week, tmp_path, capsys):
    # review RV7 finding 3: after an upgrade changed the rules text, the first detection
    # re-backfilled without a line of text, and the old rows stayed for ever
    from graphsiem.cli import main

    data, previous = tmp_path / "data", tmp_path / "previous.json"
    previous.write_text(json.dumps({"behaviour_pivots": False}), encoding="utf-8")
    assert main(["ingest", str(week / "endpoint"), str(week / "network"), "--data", str(data), "--no-progress"]) == 0

    def detect(*extra: str) -> tuple[dict, list[str]]:
        out = tmp_path / "detect.json"
        capsys.readouterr()
        assert main(["detect", "--data", str(data), "--json", str(out), *extra]) == 0
        captured = capsys.readouterr()
        said = [line for line in (captured.out + captured.err).splitlines() if "candidate rules changed" in line]
        return json.loads(out.read_text(encoding="utf-8"))["detection"]["stats"], said

    before, said = detect("--config", str(previous))  # the previous release's rules
    assert said == []  # a first run: nothing changed
    after, said = detect()
    assert after["history_rules_changed"] == before["history_backfilled"] + 1  # its backfill and its own window
    assert after["history_backfilled"] == DAYS - 2
    assert said == [f"graphsiem detect: candidate rules changed (an upgrade or a changed configuration): scoring "
                    f"history started afresh under the new rules, {DAYS - 2} earlier windows backfilled; the "
                    f"{DAYS - 1} windows kept under the previous rules are not read (dropped once 14 days old)"]
    again, said = detect()
    assert "history_rules_changed" not in again and said == []
    # the previous rules' rows are within the retention: kept, so switching back finds them
    state = StateStore(data / "state.sqlite")
    try:
        assert state.candidate_window_count(candidate_rules(DetectionConfig(behaviour_pivots=False)), since=0.0,
                                            until=after["window_end"]) == DAYS - 1
    finally:
        state.close()
