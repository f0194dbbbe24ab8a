"""The stage harness for callgrind counts runs each stage over a file and counts what that stage sees."""

from __future__ import annotations

from pathlib import Path

from benchmarks.ingest_stages import STAGES, main, run_stage
from ingest.journal import Journal

FIXTURES = Path(__file__).resolve().parents[1] / "ingest" / "parsers" / "fixtures" / "windows"


def _lines(tmp_path: Path) -> Path:
    """The winlogbeat 7 fixture with a line that is not JSON: a read error for every stage."""
    source = tmp_path / "records.ndjson"
    records = (FIXTURES / "table_winlogbeat7.ndjson").read_bytes().splitlines()
    source.write_bytes(b"\n".join([*records, b"not json"]) + b"\n")
    return source


def test_each_stage_counts_what_it_saw(tmp_path: Path) -> None:
    source = _lines(tmp_path)
    lines = [line for line in source.read_bytes().splitlines() if line.strip()]
    read = run_stage("read", source, tmp_path / "read")
    parsed = run_stage("parse", source, tmp_path / "parse")
    journaled = run_stage("journal", source, tmp_path / "journal")
    full = run_stage("full", source, tmp_path / "full")
    assert read == parsed == len(lines)  # the bad line is a read error, counted
    assert journaled == full > 0
    with Journal(tmp_path / "full" / "journal.sqlite") as journal:
        assert journal.connection.execute("SELECT COUNT(*) FROM events").fetchone()[0] == full
        reasons = [reason for (reason,) in journal.connection.execute("SELECT reason FROM rejected")]
    assert len(reasons) == 1 and reasons[0].startswith("invalid JSON")  # the bad line, kept with its reason
    assert (tmp_path / "full" / "graph").is_dir() and not (tmp_path / "journal" / "graph").exists()


def test_main_prints_the_stage_and_its_count(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    source = _lines(tmp_path)
    for stage in STAGES:
        assert main([str(source), stage, str(tmp_path / stage)]) == 0
    printed = capsys.readouterr().out.split()
    assert printed[0::2] == list(STAGES)
    assert printed[1] == printed[3] and int(printed[5]) == int(printed[7]) > 0
