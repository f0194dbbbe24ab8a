"""Candidate history across a change of candidate rules (review RV7, finding 3).

An upgrade whose rules text differs (``behaviour_pivots`` joined it) left the previous
release's rows in ``state.sqlite`` for ever (retention deleted old windows of the current
rules only), and the first detection under the new rules backfilled without a word.
Here, on a real state database: rows of any rules age out on the next write, the current
rules' retention is as before, and the first detection under new rules says once that its
history was started afresh.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest

from analytics.candidate_history import RETAIN_DAYS, candidate_rules, remember_candidates
from analytics.config import DetectionConfig
from analytics.detect import detect
from analytics.entity_stats import Window
from analytics.features import SCORED_FEATURES
from graphsiem.api.state import StateStore
from graphsiem.store.embedded import EmbeddedStore
from tests.analytics.fleet import END, populate

DAY = 86400.0
PREVIOUS = DetectionConfig(behaviour_pivots=False)
"""Rules of the previous release, whose rules text had no ``behaviour_pivots`` (another text all the same)."""


def _row(value: float) -> dict[str, float]:
    return dict.fromkeys(SCORED_FEATURES, value)


def _window_ends(path: Path, rules: str) -> dict[str, list[float]]:
    """The window ends each table holds under ``rules``, read on a connection of its own."""
    db = sqlite3.connect(path)
    try:
        return {table: sorted(end for (end,) in db.execute(
                    f"SELECT DISTINCT window_end FROM {table} WHERE rules = ?", (rules,)))  # noqa: S608
                for table in ("candidate_rows", "candidate_windows")}
    finally:
        db.close()


@pytest.mark.parametrize("history_days", [7.0, 20.0])
def test_rows_of_any_rules_past_the_retention_go_on_the_next_write(tmp_path, history_days):
    path = tmp_path / "state.sqlite"
    config = DetectionConfig(history_days=history_days)
    current, previous = candidate_rules(config), candidate_rules(PREVIOUS)
    retain = max(history_days, RETAIN_DAYS)
    aged_out, within = END - (retain + 1) * DAY, END - (retain - 1) * DAY
    state = StateStore(path)
    try:
        for rules in (current, previous):
            for end in (aged_out, within):
                state.replace_candidate_rows(rules, (end - DAY, end), "earlier", [("a", _row(1.0)), ("b", _row(1.0))])
        remember_candidates(state, config, Window(END - DAY, END), [SimpleNamespace(id="c", features=_row(2.0))])
    finally:
        state.close()
    # the previous rules' aged-out window is gone from both tables; the one within retention
    # stays (a configuration switched back reads it again)
    assert _window_ends(path, previous) == {"candidate_rows": [within], "candidate_windows": [within]}
    # the current rules' retention is unchanged: the aged-out window goes, the rest stays
    assert _window_ends(path, current) == {"candidate_rows": [within, END], "candidate_windows": [within, END]}


def _detect_logged(store, state, caplog, config: DetectionConfig | None = None):
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="analytics.candidate_history"):
        result = detect(store, config=config, history=state)
    lines = [r.getMessage() for r in caplog.records if r.name == "analytics.candidate_history"]
    return result, lines


def test_the_first_detection_under_new_rules_says_so_once(tmp_path, caplog):
    store = EmbeddedStore(tmp_path / "graph")
    state = StateStore(tmp_path / "state.sqlite")
    try:
        populate(store)
        # the previous release kept a window a day before this one
        state.replace_candidate_rows(candidate_rules(PREVIOUS), (END - 2 * DAY, END - DAY), "previous release",
                                     [("a", _row(1.0))])
        first, lines = _detect_logged(store, state, caplog)
        assert first.stats["history_rules_changed"] == 1
        assert first.stats["fleet_history"]  # so it kept its window under the new rules
        assert len(lines) == 1
        # two days of data: no earlier window has a baseline to backfill
        assert first.stats["history_backfilled"] == 0
        assert lines[0] == ("candidate rules changed (an upgrade or a changed configuration): scoring history "
                            "started afresh under the new rules, no earlier window backfilled; the window kept "
                            "under the previous rules is not read (dropped once 14 days old)")
        # the next detection has history under its rules: nothing more is said
        again, lines = _detect_logged(store, state, caplog)
        assert "history_rules_changed" not in again.stats
        assert lines == []
        # switched back to the previous rules: their window is still there, so nothing is said
        back, lines = _detect_logged(store, state, caplog, PREVIOUS)
        assert "history_rules_changed" not in back.stats
        assert lines == []
    finally:
        state.close()
        store.close()

