"""``graphsiem ingest -``: standard input piped into the real command, as a shell pipe would.

Most tests run ``python -m graphsiem ingest -`` as a child process with its
standard input a pipe (what ``zcat eve.json.gz | graphsiem ingest -`` gives);
a few run the entry point in-process with ``sys.stdin`` over bytes.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from graphsiem.cli import main
from ingest.journal import Journal
from tests.ingest.stdin_sources import FIXTURES, mixed_formats_ndjson, zeek_json_lines

REPO = Path(__file__).resolve().parents[3]


def _graphsiem(*args: str, stdin: bytes = b"", timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m graphsiem ARGS`` with ``stdin`` piped in."""
    return subprocess.run(
        [sys.executable, "-m", "graphsiem", *args], cwd=REPO, input=stdin, capture_output=True, timeout=timeout,
    )


def _ingest_piped(data_dir: Path, data: bytes, *options: str) -> tuple[int, dict]:
    child = _graphsiem("ingest", "-", "--data", str(data_dir), "--json", "--no-progress", *options, stdin=data)
    assert b"Traceback" not in child.stderr, child.stderr.decode()
    return child.returncode, json.loads(child.stdout)


def _ids(data_dir: Path) -> set[str]:
    with Journal(data_dir / "journal.sqlite") as journal:
        return {item.event.id for item in journal.iter_events()}


def test_piped_windows_zeek_and_eve_lines_are_counted_as_the_same_file(tmp_path, capsys):
    data = mixed_formats_ndjson()
    code, piped = _ingest_piped(tmp_path / "piped", data)
    as_file = tmp_path / "records.ndjson"
    as_file.write_bytes(data)
    assert main(["ingest", str(as_file), "--data", str(tmp_path / "file"), "--json", "--no-progress"]) == 0
    by_file = json.loads(capsys.readouterr().out)
    assert code == 0
    assert piped["formats"] == by_file["formats"]
    assert {name: counts["accepted"] for name, counts in piped["formats"].items()} == {
        "suricata": 18, "winlogbeat": 5, "zeek": 17}
    (source,) = piped["files"]
    assert (source["path"], source["reader"], source["received"], source["accepted"]) == ("<stdin>", "ndjson", 40, 40)
    assert piped["projected"]["events"] == 40


def test_gzip_piped_with_bad_lines_lists_rejections_under_the_source_name(tmp_path):
    data = gzip.compress((FIXTURES / "mixed_quality.ndjson").read_bytes())
    code, report = _ingest_piped(tmp_path, data, "--source-name", "sensor7/eve.json.gz")
    assert code == 1  # some records were rejected
    assert (report["received"], report["accepted"], report["rejected"]) == (5, 1, 4)
    assert report["files"][0]["path"] == "sensor7/eve.json.gz"
    listed = _graphsiem("rejected", "--data", str(tmp_path), "--json")
    origins = sorted(row["origin"] for row in json.loads(listed.stdout)["rejected"])
    assert origins == [f"sensor7/eve.json.gz:{line}" for line in (2, 3, 5, 6)]


def test_rejections_of_unnamed_stdin_say_stdin_and_the_line(tmp_path):
    code, _ = _ingest_piped(tmp_path, (FIXTURES / "mixed_quality.ndjson").read_bytes())
    listed = _graphsiem("rejected", "--data", str(tmp_path)).stdout.decode()
    assert code == 1 and "4 rejected record(s)" in listed
    assert all(f"<stdin>:{line}\t" in listed for line in (2, 3, 5, 6)), listed


def test_a_file_then_the_same_file_piped_adds_nothing(tmp_path, capsys):
    data = mixed_formats_ndjson()
    as_file = tmp_path / "records.ndjson"
    as_file.write_bytes(data)
    data_dir = tmp_path / "data"
    assert main(["ingest", str(as_file), "--data", str(data_dir), "--json", "--no-progress"]) == 0
    first = json.loads(capsys.readouterr().out)
    ids = _ids(data_dir)
    code, again = _ingest_piped(data_dir, gzip.compress(data))
    assert code == 0 and first["events"] == 40
    assert (again["accepted"], again["duplicates"], again["events"]) == (40, 40, 0)
    assert _ids(data_dir) == ids


def test_empty_stdin_gives_zero_counts_and_exit_0(tmp_path):
    code, report = _ingest_piped(tmp_path, b"")
    assert code == 0
    assert (report["received"], report["accepted"], report["rejected"], report["events"]) == (0, 0, 0, 0)
    assert report["files"] == [{"path": "<stdin>", "reader": None, "skipped": "empty file", "received": 0,
                                "accepted": 0, "rejected": 0, "duplicates": 0, "events": 0}]


@pytest.mark.parametrize("content", [b"", gzip.compress(zeek_json_lines())], ids=["empty", "gzip"])
def test_stdin_redirected_from_a_file_is_read_as_the_pipe(tmp_path, content):
    # `graphsiem ingest - < conn.json.gz`: standard input is a regular file, read as it comes
    redirected = tmp_path / "input.bin"
    redirected.write_bytes(content)
    with redirected.open("rb") as stdin:
        child = subprocess.run(
            [sys.executable, "-m", "graphsiem", "ingest", "-", "--data", str(tmp_path / "data"), "--json"],
            cwd=REPO, stdin=stdin, capture_output=True, timeout=120,
        )
    report = json.loads(child.stdout)
    assert child.returncode == 0, child.stderr.decode()
    assert report["accepted"] == (2 if content else 0) and report["rejected"] == 0


def test_dash_twice_exits_2_before_anything_is_read(tmp_path):
    child = _graphsiem("ingest", "-", str(FIXTURES / "ecs_events.ndjson"), "-", "--data", str(tmp_path / "data"),
                       stdin=zeek_json_lines())
    assert child.returncode == 2
    assert b"standard input ('-') is named 2 times; it can be read only once" in child.stderr
    assert not (tmp_path / "data").exists()


def test_source_name_without_dash_exits_2(tmp_path):
    child = _graphsiem("ingest", str(FIXTURES / "ecs_events.ndjson"), "--source-name", "x.json",
                       "--data", str(tmp_path))
    assert child.returncode == 2 and b"--source-name names standard input" in child.stderr


def test_a_terminal_on_stdin_is_refused_with_a_hint_not_waited_on(tmp_path):
    controller, terminal = pty.openpty()
    try:
        child = subprocess.run(
            [sys.executable, "-m", "graphsiem", "ingest", "-", "--data", str(tmp_path)],
            cwd=REPO, stdin=terminal, capture_output=True, timeout=60,
        )
    finally:
        os.close(terminal)
        os.close(controller)
    assert child.returncode == 2
    assert b"standard input ('-') is a terminal; pipe records in" in child.stderr


def test_closed_stdin_with_dash_exits_2(tmp_path):
    # `graphsiem ingest - <&-`: no standard input at all
    child = subprocess.run(
        [sys.executable, "-m", "graphsiem", "ingest", "-", "--data", str(tmp_path)],
        cwd=REPO, capture_output=True, timeout=60, preexec_fn=lambda: os.close(0),
    )
    assert child.returncode == 2 and b"standard input ('-') is closed" in child.stderr


def test_forced_format_reads_piped_zeek_and_rejects_what_is_not(tmp_path):
    data = zeek_json_lines() + (FIXTURES / "ecs_events.ndjson").read_bytes().split(b"\n")[0] + b"\n"
    code, report = _ingest_piped(tmp_path, data, "--format", "zeek")
    assert code == 1
    assert report["formats"]["zeek"] == {"received": 3, "accepted": 2, "rejected": 1, "duplicates": 0, "events": 2}
    with Journal(tmp_path / "journal.sqlite") as journal:
        (rejection,) = journal.rejected()
    assert rejection.origin == "<stdin>:3" and rejection.reason.startswith("not a zeek record")


def test_dash_among_files_in_process_table_names_stdin(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(zeek_json_lines())))
    code = main(["ingest", str(FIXTURES / "ecs_events.ndjson"), "-", "--data", str(tmp_path), "--no-progress"])
    table = capsys.readouterr().out
    assert code == 0
    assert "<stdin>" in table and "ecs_events.ndjson" in table


def test_piped_suricata_eve_corpus_gzip_matches_the_file(samples_dir, tmp_path, capsys):
    eve = samples_dir / "suricata-sample-data" / "wrccdc-2018" / "alerts-only.json"
    code, piped = _ingest_piped(tmp_path / "piped", gzip.compress(eve.read_bytes()), "--source-name", eve.name)
    main(["ingest", str(eve), "--data", str(tmp_path / "file"), "--json", "--no-progress"])
    by_file = json.loads(capsys.readouterr().out)
    assert piped["formats"] == by_file["formats"] and piped["accepted"] > 0
    assert piped["files"][0]["path"] == "alerts-only.json"
    assert _ids(tmp_path / "piped") == _ids(tmp_path / "file")


@pytest.mark.parametrize("args", [["--format", "nope"], ["--timezone", "Mars/Olympus"]])
def test_option_errors_exit_2_without_reading_stdin(tmp_path, args):
    child = _graphsiem("ingest", "-", "--data", str(tmp_path), *args, stdin=zeek_json_lines())
    assert child.returncode == 2 and not (tmp_path / "journal.sqlite").exists()
