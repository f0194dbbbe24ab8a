"""Only the newest backtests' clusters are kept (review RV4, item 2: nothing was ever deleted)."""

from __future__ import annotations

from graphsiem.api.state import StateStore
from graphsiem.api.state_verdicts import get_backtest, save_backtest


def test_older_backtests_clusters_are_dropped_past_the_kept_number(tmp_path) -> None:
    state = StateStore(tmp_path / "state.sqlite")
    try:
        for run in ("r1", "r2", "r3"):
            save_backtest(state, run, 1.7e9, [{"id": f"{run}-c", "score": 50.0}], keep=2)
        assert get_backtest(state, "r1") is None
        assert get_backtest(state, "r2") == (1.7e9, [{"id": "r2-c", "score": 50.0}])
        assert get_backtest(state, "r3") == (1.7e9, [{"id": "r3-c", "score": 50.0}])
        save_backtest(state, "r2", 1.8e9, [], keep=2)  # the same run again replaces its row
        assert get_backtest(state, "r2") == (1.8e9, []) and get_backtest(state, "r3") is not None
    finally:
        state.close()
