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
