"""A data directory the disk refuses: one line naming the path and the reason, a documented status, no traceback.

Review S2, item 4: ``graphsiem ingest`` on a full disk printed a 70-line
traceback and no report; a read-only directory or a ``--data`` path under a
regular file gave an SQLite or ``NotADirectoryError`` traceback.  Each case is
real (:mod:`tests.disk_limits`): a file size cap in the child for a full
disk, a directory without write bits for a read-only one.
"""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from graphsiem.cli import EXIT_CANNOT_CREATE, EXIT_IO_ERROR
from ingest.journal import Journal
from tests.disk_limits import file_size_limit, modes_apply

REPO = Path(__file__).resolve().parents[3]
RECORDS = 12_000  # three batches of 5,000: the first fits under the cap (full_disk_cap), the second does not
BATCH = 5000


def _graphsiem(*args: str, preexec: Callable[[], None] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "graphsiem", *args], cwd=REPO, capture_output=True, text=True,
        preexec_fn=preexec, timeout=120,
    )


def _assert_one_line(result: subprocess.CompletedProcess[str], *expected: str) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def _dns_lines(count: int) -> str:
    return "".join(json.dumps({
        "@timestamp": "2026-11-29T10:00:00Z", "host": {"name": "ws-1"},
        "event": {"category": "network", "action": "dns"},
        "dns": {"question": {"name": f"full-{n}.example"}},
    }) + "\n" for n in range(count))


@pytest.fixture
def dns_events(tmp_path: Path) -> Path:
    path = tmp_path / "dns.ndjson"
    path.write_text(_dns_lines(RECORDS))
    return path


@pytest.fixture
def full_disk_cap(tmp_path: Path) -> int:
    """A file size cap between the journal of one batch of the events and that of two.

    Measured, not assumed: the journal's bytes a batch depend on the paths
    it records (the origins), and so on where the test runs.
    """
    scratch = tmp_path / "measure"
    scratch.mkdir()
    source = scratch / "dns.ndjson"
    source.write_text(_dns_lines(BATCH))
    result = _graphsiem("ingest", str(source), "--data", str(scratch / "data"), "--no-progress")
    assert result.returncode == 0, result.stderr
    return int((scratch / "data" / "journal.sqlite").stat().st_size * 1.5)


def test_a_data_dir_under_a_regular_file_is_one_line_and_exit_73(tmp_path, dns_events):
    (tmp_path / "afile").write_text("x")
    target = tmp_path / "afile" / "data"
    result = _graphsiem("ingest", str(dns_events), "--data", str(target), "--no-progress")
    assert result.returncode == EXIT_CANNOT_CREATE == 73
    _assert_one_line(result, "graphsiem ingest:", str(target), "Not a directory")


def test_keys_create_under_a_regular_file_is_one_line_and_exit_73(tmp_path):
    (tmp_path / "afile").write_text("x")
    target = tmp_path / "afile" / "data"
    result = _graphsiem("keys", "create", "--role", "admin", "--data", str(target))
    assert result.returncode == 73
    _assert_one_line(result, "graphsiem keys:", str(target), "Not a directory")


def _read_only(path: Path) -> None:
    for item in [path, *path.rglob("*")]:
        mode = item.stat().st_mode
        item.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def test_an_ingest_into_a_read_only_data_dir_is_one_line_and_exit_73(tmp_path, dns_events):
    drop = modes_apply()
    data = tmp_path / "data"
    first = _graphsiem("ingest", str(dns_events), "--data", str(data), "--no-progress")
    assert first.returncode == 0, first.stderr
    _read_only(data)
    try:
        more = tmp_path / "more.ndjson"
        more.write_text(dns_events.read_text().replace("full-", "more-", 10))
        result = _graphsiem("ingest", str(more), "--data", str(data), "--no-progress", preexec=drop)
        assert result.returncode == EXIT_CANNOT_CREATE
        line = _assert_one_line(result, "graphsiem ingest: cannot write")
        assert str(data) in line and ("readonly" in line or "Permission denied" in line), line
    finally:
        for item in [data, *data.rglob("*")]:
            item.chmod(item.stat().st_mode | stat.S_IWUSR)
    with Journal(data / "journal.sqlite") as journal:
        assert journal.counts()["events"] == RECORDS  # nothing half-written


def test_a_full_disk_reports_what_was_journaled_and_exits_74(tmp_path, dns_events, full_disk_cap):
    data = tmp_path / "data"
    result = _graphsiem("ingest", str(dns_events), "--data", str(data), "--no-progress", "--json",
                        preexec=file_size_limit(full_disk_cap))
    assert result.returncode == EXIT_IO_ERROR == 74, result.stderr
    line = _assert_one_line(result, "graphsiem ingest: cannot write", str(data / "journal.sqlite"))
    assert "5000 records of the batch being written were not journaled" in line, line
    report = json.loads(result.stdout)
    with Journal(data / "journal.sqlite") as journal:
        journaled = journal.counts()["events"]
    # the report counts exactly what the journal holds: the first batch, accepted
    assert journaled == report["accepted"] == report["received"] == BATCH
    assert report["rejected"] == 0
    assert report["failed"]["not_journaled"] == 5000
    assert report["failed"]["reason"] in ("disk I/O error", "database or disk is full")

    # once there is room, the same input journals the rest and nothing twice
    again = _graphsiem("ingest", str(dns_events), "--data", str(data), "--no-progress", "--json")
    assert again.returncode == 0, again.stderr
    second = json.loads(again.stdout)
    assert second["events"] == RECORDS - 5000 and second["duplicates"] == 5000
    with Journal(data / "journal.sqlite") as journal:
        assert journal.counts()["events"] == RECORDS


def test_a_full_disk_text_report_counts_the_journaled_batch(tmp_path, dns_events, full_disk_cap):
    data = tmp_path / "data"
    result = _graphsiem("ingest", str(dns_events), "--data", str(data), "--no-progress",
                        preexec=file_size_limit(full_disk_cap))
    assert result.returncode == 74
    total = next(line for line in result.stdout.splitlines() if line.startswith("total"))
    assert total.split()[1:4] == ["5000", "5000", "0"]
    assert "records read after the counts above were not journaled" in result.stdout


def test_a_graph_that_cannot_be_saved_is_one_line_and_a_later_ingest_projects_what_was_journaled(tmp_path):
    drop = modes_apply()
    data, first, second = tmp_path / "data", tmp_path / "first.ndjson", tmp_path / "second.ndjson"
    first.write_text(_dns_lines(10))
    second.write_text(_dns_lines(30))  # the first 10 again, and 20 more
    assert _graphsiem("ingest", str(first), "--data", str(data), "--no-progress").returncode == 0
    graph = data / "graph"
    graph.chmod(0o555)  # the journal can be written, the embedded graph's directory cannot
    try:
        result = _graphsiem("ingest", str(second), "--data", str(data), "--no-progress", preexec=drop)
    finally:
        graph.chmod(0o700)
    assert result.returncode == EXIT_CANNOT_CREATE
    line = _assert_one_line(result, "graphsiem ingest: cannot write", str(graph), "Permission denied")
    assert "the graph was not saved, the records journaled are kept" in line
    with Journal(data / "journal.sqlite") as journal:
        assert journal.counts()["events"] == 30

    # once the graph can be written, any ingest brings it up to the journal
    again = _graphsiem("ingest", str(first), "--data", str(data), "--no-progress", "--json")
    assert again.returncode == 0, again.stderr
    stats = _graphsiem("stats", "--data", str(data), "--json")
    assert json.loads(stats.stdout)["sightings"]["total"] == 30, stats.stdout
