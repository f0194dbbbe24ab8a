"""``graphsiem detect`` says the window it read: its real start, end and length, a capped
widening and the hosts that caused it, "as of --now" in a backtest, what the window held
and when each host reported (review T9, finding F8; task G5).

On T9's real datasets (clocks spanning 2018-2025) it said the window started "a
window before the rest of the fleet's newest event" when it started five years
after it, called the 48 h window "24 h", and at ``--now`` said "in the store" of
a store read as of then.  Here on small fleets whose clocks disagree
(``tests.graphsiem.cli.window_fleets``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from graphsiem.cli import main
from graphsiem.model import epoch_to_iso
from graphsiem.store.embedded import EmbeddedStore
from tests.graphsiem.cli.window_fleets import (
    CAPPED_LEAD_H,
    DAY,
    EARLY,
    FLEET_END,
    WIDENED_LEAD_H,
    build_fleet,
    newest_event,
)


def _data_dir(tmp_path: Path, lead_h: float) -> Path:
    store = EmbeddedStore(tmp_path / "data" / "graph")
    build_fleet(store, lead_h)
    store.close()
    return tmp_path / "data"


def _detect(data: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    assert main(["detect", "--data", str(data), *extra]) == 0
    return capsys.readouterr().out


def test_a_capped_widening_is_said_with_the_real_start_length_and_leading_hosts(tmp_path, capsys):
    end = newest_event(CAPPED_LEAD_H)
    out = _detect(_data_dir(tmp_path, CAPPED_LEAD_H), capsys)
    assert out.startswith("0 clusters")
    # the window is 48 h (one extra window at most), and a leading host's clock set its end
    assert (f"window {epoch_to_iso(end - 2 * DAY)} .. {epoch_to_iso(end)} (48 h ending at l1's newest event "
            "(a leading host's clock)); 1 entity shared by >= 3 hosts in it, 0 of them first seen in it") in out
    assert "24 h ending" not in out
    # not "a window before the rest of the fleet's newest event": that event is 8 days before the start
    assert "a window before" not in out
    assert "capped at one extra window (24 h)" in out
    assert (f"holds none of the rest of the fleet's data, whose newest event ({epoch_to_iso(FLEET_END)}) is "
            "8 days before its start") in out
    assert "3 hosts lead the fleet by 10 days (l1 by 10 days, l2 by 10 days, l3 by 10 days)" in out
    assert "the window holds 3 sightings (host x entity) on 3 of the 8 hosts that had reported by its end" in out


def test_a_widening_within_the_cap_gives_the_windows_real_length(tmp_path, capsys):
    end = newest_event(WIDENED_LEAD_H)
    out = _detect(_data_dir(tmp_path, WIDENED_LEAD_H), capsys)
    start = FLEET_END - DAY
    assert f"window {epoch_to_iso(start)} .. {epoch_to_iso(end)} (29 h ending at l1's newest event" in out
    assert (f"window starts at {epoch_to_iso(start)}, 24 h before the rest of the fleet's newest event "
            f"({epoch_to_iso(FLEET_END)}), so it is 29 h long, not 24 h") in out
    assert "on 8 of the 8 hosts" in out


def test_an_empty_backtest_says_as_of_now_and_lists_each_hosts_data(tmp_path, capsys):
    now = EARLY + DAY  # only f0 had reported: nothing shared by two hosts yet
    out = _detect(_data_dir(tmp_path, CAPPED_LEAD_H), capsys, "--now", epoch_to_iso(now))
    assert (f"as of --now ({epoch_to_iso(now)}), no entity is shared by 2 or more hosts in the store "
            "(nothing first seen later is read): nothing to cluster") in out
    assert "on 1 of the one host that had reported by its end (f0)" in out
    # each host's span in the whole store, newest first, to pick a --now worth a backtest
    lines = out.splitlines()
    first = lines.index(next(line for line in lines if line.startswith("the store's data per host")))
    spans = [line.split() for line in lines[first + 1:first + 9]]
    assert [span[0] for span in spans] == ["l1", "l2", "l3", "f0", "f1", "f2", "f3", "f4"]
    assert spans[3][1:] == [epoch_to_iso(EARLY), "..", epoch_to_iso(FLEET_END)]


def test_an_empty_detection_on_a_plain_window_says_what_it_held(tmp_path, capsys):
    data = tmp_path / "data"
    store = EmbeddedStore(data / "graph")
    build_fleet(store, 0.0)  # no host leads: the last 24 h ending at the newest event
    store.close()
    out = _detect(data, capsys)
    end = FLEET_END
    assert f"window {epoch_to_iso(end - DAY)} .. {epoch_to_iso(end)} (24 h ending at the newest event); " in out
    assert "window starts at" not in out
    assert "the window holds 8 sightings (host x entity) on 8 of the 8 hosts that had reported by its end" in out
