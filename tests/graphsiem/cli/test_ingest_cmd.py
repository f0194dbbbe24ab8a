"""``graphsiem ingest`` and ``graphsiem rejected`` through the real CLI entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from graphsiem.cli import main
from ingest.journal import Journal

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


# Three RFC 3164 lines as loghub's Linux_2k.log writes them (2005, no year in the lines).
YEARLESS_LINES = (
    "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; rhost=218.188.2.4\n"
    "Jun 15 02:04:59 combo sshd(pam_unix)[20882]: authentication failure; rhost=220-135-151-1.hinet.net\n"
    "Jul  1 09:00:55 combo ftpd[23893]: connection from 24.54.76.216 () at Fri Jul  1 09:00:55 2005\n"
)


def _journaled_times(data: Path) -> list[str]:
    with Journal(data / "journal.sqlite") as journal:
        stamps = sorted(item.event.ts for item in journal.iter_events())
    return [datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S") for ts in stamps]


def test_year_dates_yearless_syslog_lines(tmp_path, capsys):
    log = tmp_path / "linux.log"
    log.write_text(YEARLESS_LINES, encoding="utf-8")
    data = tmp_path / "data"
    code = main(["ingest", str(log), "--data", str(data), "--year", "2005", "--timezone", "Europe/Paris",
                 "--json", "--no-progress"])
    assert code == 0 and json.loads(capsys.readouterr().out)["accepted"] == 3
    # 2005 in the given zone (CEST, UTC+2); the ftpd message's own "2005" is only text
    assert _journaled_times(data) == ["2005-06-14T13:16:01", "2005-06-15T00:04:59", "2005-07-01T07:00:55"]


@pytest.mark.parametrize("year", ["1969", "2100"])
def test_year_outside_the_accepted_event_times_exits_2(tmp_path, capsys, year):
    assert main(["ingest", str(FIXTURES / "lines.log"), "--data", str(tmp_path), "--year", year]) == 2
    assert f"--year {year} is outside 1970-2099" in capsys.readouterr().err
    assert not (tmp_path / "journal.sqlite").exists()


@pytest.mark.parametrize("zone", ["Bad/Zone", "utc", "Europe", "../etc/passwd", ""])
def test_unknown_timezone_exits_2_before_reading(tmp_path, capsys, zone):
    assert main(["ingest", str(FIXTURES / "lines.log"), "--data", str(tmp_path), "--timezone", zone]) == 2
    err = capsys.readouterr().err
    assert f"--timezone: unknown time zone {zone!r}" in err and "Traceback" not in err
    assert not (tmp_path / "journal.sqlite").exists()  # nothing read, nothing rejected


def test_unknown_store_exits_2_with_the_known_ones(tmp_path, capsys):
    assert main(["ingest", str(FIXTURES / "lines.log"), "--data", str(tmp_path), "--store", "bogus"]) == 2
    captured = capsys.readouterr()
    assert "graphsiem ingest: unknown store 'bogus': use 'embedded', 'neo4j'" in captured.err
    assert captured.out == "" and not (tmp_path / "journal.sqlite").exists()


@pytest.mark.parametrize("value", ["{not json", '{"theshire.local": "the.shire"}', '["theshire"]'])
def test_a_bad_realm_map_exits_2_before_reading(tmp_path, capsys, monkeypatch, value):
    # the projector reads GRAPHSIEM_REALM_DOMAINS after records are journaled: checked up front instead
    monkeypatch.setenv("GRAPHSIEM_REALM_DOMAINS", value)
    assert main(["ingest", str(FIXTURES / "lines.log"), "--data", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("graphsiem ingest: GRAPHSIEM_REALM_DOMAINS") and "Traceback" not in err
    assert not (tmp_path / "journal.sqlite").exists()


def test_a_good_realm_map_lets_the_ingest_run(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GRAPHSIEM_REALM_DOMAINS", '{"theshire.local": "theshire"}')
    assert main(["ingest", str(FIXTURES / "lines.log"), "--data", str(tmp_path)]) in (0, 1)
    assert (tmp_path / "journal.sqlite").exists()
