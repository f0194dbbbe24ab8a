"""``graphsiem ingest`` and ``graphsiem rejected`` through the real CLI entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from graphsiem.cli import main

FIXTURES = Path(__file__).parents[2] / "ingest" / "fixtures"


def test_ingest_json_report_has_totals_per_file_and_per_format(tmp_path, capsys):
    code = main(["ingest", str(FIXTURES / "ecs_events.ndjson"), "--data", str(tmp_path), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (report["received"], report["accepted"], report["rejected"]) == (4, 4, 0)
    assert report["formats"]["ecs"]["accepted"] == 4
    assert report["files"][0]["path"].endswith("ecs_events.ndjson")
    assert (tmp_path / "journal.sqlite").exists() and (tmp_path / "graph").is_dir()


def test_ingest_table_and_rejected_listing(tmp_path, capsys):
    code = main(["ingest", str(FIXTURES / "mixed_quality.ndjson"), "--data", str(tmp_path)])
    table = capsys.readouterr().out
    assert code == 1  # some records were rejected
    assert "total" in table and "per format:" in table
    assert main(["rejected", "--data", str(tmp_path), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["total"] == 4
    assert {r["origin"].rsplit(":", 1)[1] for r in listed["rejected"]} == {"2", "3", "5", "6"}
    assert main(["rejected", "--data", str(tmp_path), "--limit", "1"]) == 0
    assert "4 rejected record(s) kept; showing 1" in capsys.readouterr().out


def test_unknown_format_and_missing_path_exit_2(tmp_path, capsys):
    assert main(["ingest", str(FIXTURES / "lines.log"), "--data", str(tmp_path), "--format", "nope"]) == 2
    assert "unknown format 'nope'" in capsys.readouterr().err
    assert main(["ingest", str(tmp_path / "absent.log"), "--data", str(tmp_path)]) == 2
    assert "no such file" in capsys.readouterr().err


def test_a_reader_that_leaves_early_gets_no_traceback_and_the_ingest_stands(tmp_path, capsys):
    # as `graphsiem ingest --json | head -c 0`: standard output is closed before the report
    command = [sys.executable, "-m", "graphsiem", "ingest", str(FIXTURES / "ecs_events.ndjson"),
               "--data", str(tmp_path), "--json", "--no-progress"]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    child.stdout.close()
    stderr = child.stderr.read().decode()
    assert child.wait(timeout=120) == 141 and "Traceback" not in stderr, stderr
    # the first run journaled every event: the same file again adds nothing
    assert main(["ingest", str(FIXTURES / "ecs_events.ndjson"), "--data", str(tmp_path), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["received"], again["duplicates"], again["events"]) == (4, 4, 0)
