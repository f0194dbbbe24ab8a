"""``graphsiem ingest`` stops at the free-space floor the service keeps, before the disk is full.

A bulk ingest from the command line wrote until the disk was full, taking
the space a running service on the same data directory needs (the service's
own writes stop at the floor since review R5).  The floor is set above the
test filesystem's real free space through the same variables the service
reads (no figures are faked), then lifted as if space was freed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graphsiem.cli import EXIT_IO_ERROR, main
from ingest.journal import Journal

FIXTURES = Path(__file__).parents[2] / "ingest" / "fixtures"
ABOVE_ANY_DISK = str(1 << 60)  # bytes: more than any filesystem has free


def _journaled(data: Path) -> int:
    with Journal(data / "journal.sqlite") as journal:
        return journal.counts()["events"]


def test_below_the_floor_nothing_is_journaled_and_the_floor_is_named(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GRAPHSIEM_DISK_MIN_FREE_BYTES", ABOVE_ANY_DISK)
    monkeypatch.setenv("GRAPHSIEM_DISK_MIN_FREE_PERCENT", "0")
    code = main(["ingest", str(FIXTURES / "ecs_events.ndjson"), "--data", str(tmp_path), "--json"])
    captured = capsys.readouterr()
    assert code == EXIT_IO_ERROR
    assert "below the floor" in captured.err
    assert "GRAPHSIEM_DISK_MIN_FREE_BYTES" in captured.err  # the variable to change is named
    assert "ingest the same input again once the disk has room" in captured.err
    assert _journaled(tmp_path) == 0

    # space freed: the same input is journaled whole, nothing twice
    monkeypatch.setenv("GRAPHSIEM_DISK_MIN_FREE_BYTES", "0")
    assert main(["ingest", str(FIXTURES / "ecs_events.ndjson"), "--data", str(tmp_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["accepted"] > 0
    assert _journaled(tmp_path) == report["accepted"]


@pytest.mark.parametrize(("variable", "value"), [
    ("GRAPHSIEM_DISK_MIN_FREE_BYTES", "lots"),
    ("GRAPHSIEM_DISK_MIN_FREE_BYTES", "-1"),
    ("GRAPHSIEM_DISK_MIN_FREE_PERCENT", "120"),
    ("GRAPHSIEM_DISK_MIN_FREE_PERCENT", "nan"),
])
def test_a_bad_floor_setting_exits_2_before_reading(tmp_path, capsys, monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    assert main(["ingest", str(FIXTURES / "ecs_events.ndjson"), "--data", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert variable in err and repr(value) in err
    assert not (tmp_path / "journal.sqlite").exists()


def test_detect_with_paths_stops_at_the_floor_without_a_traceback_or_a_detection(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GRAPHSIEM_DISK_MIN_FREE_BYTES", ABOVE_ANY_DISK)
    monkeypatch.setenv("GRAPHSIEM_DISK_MIN_FREE_PERCENT", "0")
    code = main(["detect", str(FIXTURES / "ecs_events.ndjson"), "--data", str(tmp_path), "--json", "-"])
    captured = capsys.readouterr()
    assert code == EXIT_IO_ERROR
    assert captured.out == ""  # no clusters ranked over part of the input
    assert "below the floor" in captured.err and "nothing was detected" in captured.err
    assert "Traceback" not in captured.err
    assert _journaled(tmp_path) == 0

    monkeypatch.setenv("GRAPHSIEM_DISK_MIN_FREE_PERCENT", "bad")
    assert main(["detect", str(FIXTURES / "ecs_events.ndjson"), "--data", str(tmp_path)]) == 2
    assert "GRAPHSIEM_DISK_MIN_FREE_PERCENT='bad'" in capsys.readouterr().err
