"""``graphsiem ingest`` of a named file that no reader takes says so (review R2, item 5).

Before, ``graphsiem ingest capture.bin`` printed the file as skipped and
exited 0, as if it had been read; a script could not tell.  A path named on
the command line and refused for its content now exits 1 with a line on
stderr naming it; a binary file found while walking a directory stays a skip.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graphsiem.cli import main

LOG = b"Nov 20 09:00:00 web1 sshd[42]: Failed password for bob from 10.0.0.9 port 22 ssh2\n"


def _ingest(tmp_path: Path, *paths: Path) -> int:
    return main(["ingest", *map(str, paths), "--data", str(tmp_path / "data"), "--year", "2026", "--json",
                 "--no-progress"])


def test_a_named_binary_file_is_reported_and_fails_the_exit_status(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    blob = tmp_path / "capture.bin"
    blob.write_bytes(bytes(range(256)) * 64)
    log = tmp_path / "auth.log"
    log.write_bytes(LOG)
    status = _ingest(tmp_path, log, blob)
    out, err = capsys.readouterr()
    assert status == 1  # before: 0
    assert f"{blob} not read: no reader recognises this file" in err
    report = json.loads(out)
    assert report["accepted"] == 1
    assert {f["path"]: f["skipped"] for f in report["files"]}[str(blob)].startswith("no reader recognises")


def test_a_binary_file_met_in_a_walked_directory_stays_a_skip(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "capture.bin").write_bytes(bytes(range(256)) * 64)
    (folder / "auth.log").write_bytes(LOG)
    assert _ingest(tmp_path, folder) == 0
    assert "not read" not in capsys.readouterr().err


def test_a_named_log_with_one_hostile_line_is_read_not_refused(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    # review RV1, item 4: one line of 700 ESC in a field made the whole file "binary" (exit 1, 0 read)
    lines = [LOG.replace(b"bob", f"user{i}".encode()) for i in range(2002)]
    lines[1] = LOG.replace(b"bob", b"\x1b" * 700)
    log = tmp_path / "ctl.log"
    log.write_bytes(b"".join(lines))
    status = _ingest(tmp_path, log)
    out, err = capsys.readouterr()
    assert "not read" not in err, err
    report = json.loads(out)
    assert report["received"] == 2002 and report["accepted"] >= 2001, report
    assert status == (1 if report["rejected"] else 0)
