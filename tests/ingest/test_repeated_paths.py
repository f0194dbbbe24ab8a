"""One real file named several times in one ``graphsiem ingest`` call is read once.

Before, ``f.json f.json ../dir/f.json`` gave one row with ``received`` doubled
plus a row for the other spelling (three reads), and a bad line in it was
journaled as rejected three times.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from graphsiem.cli import main
from ingest.journal import Journal

FIXTURES = Path(__file__).parent / "fixtures"
MIXED = FIXTURES / "mixed_quality.ndjson"  # 5 records (and a blank line), 4 rejected


def _ingest(capsys, data: Path, *paths: str) -> dict:
    main(["ingest", *paths, "--data", str(data), "--json", "--no-progress"])
    return json.loads(capsys.readouterr().out)


def _rejected_rows(data: Path) -> int:
    with Journal(data / "journal.sqlite") as journal:
        return journal.counts()["rejected"]


def test_a_file_named_three_ways_is_read_once(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "dir"
    folder.mkdir()
    (folder / "f.json").write_bytes(MIXED.read_bytes())
    monkeypatch.chdir(folder)
    report = _ingest(capsys, tmp_path / "data", "f.json", "f.json", "../dir/f.json")
    rows = {row["path"]: row for row in report["files"]}
    assert set(rows) == {"f.json", "../dir/f.json"}
    assert (rows["f.json"]["received"], rows["f.json"]["rejected"]) == (5, 4)
    assert rows["../dir/f.json"]["skipped"] == "the same file as f.json (read once in this call)"
    assert rows["../dir/f.json"]["received"] == 0
    assert (report["received"], report["rejected"]) == (5, 4)
    assert _rejected_rows(tmp_path / "data") == 4  # each bad line kept once


def test_a_file_inside_a_given_directory_and_given_itself_is_read_once(tmp_path, capsys):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.ndjson").write_bytes(MIXED.read_bytes())
    report = _ingest(capsys, tmp_path / "data", str(tmp_path / "in"), str(tmp_path / "in" / "a.ndjson"))
    assert report["received"] == 5
    assert [row["skipped"] for row in report["files"]] == [None]  # the same spelling: one row


@pytest.mark.skipif(not hasattr(os, "link"), reason="needs hard links")
def test_a_hard_link_is_the_same_file(tmp_path, capsys):
    (tmp_path / "a.ndjson").write_bytes(MIXED.read_bytes())
    os.link(tmp_path / "a.ndjson", tmp_path / "b.ndjson")
    report = _ingest(capsys, tmp_path / "data", str(tmp_path))
    rows = {Path(row["path"]).name: row for row in report["files"]}
    assert rows["a.ndjson"]["received"] == 5 and rows["b.ndjson"]["skipped"].startswith("the same file as ")
    assert report["received"] == 5 and _rejected_rows(tmp_path / "data") == 4


def test_two_files_with_the_same_content_are_two_files(tmp_path, capsys):
    # identity is the file (device, inode), not its bytes: a copy is read, its records are duplicates
    (tmp_path / "a.ndjson").write_bytes(MIXED.read_bytes())
    (tmp_path / "b.ndjson").write_bytes(MIXED.read_bytes())
    report = _ingest(capsys, tmp_path / "data", str(tmp_path))
    assert report["received"] == 10 and report["duplicates"] == 1
