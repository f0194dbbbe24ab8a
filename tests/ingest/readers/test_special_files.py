"""FIFOs, sockets and devices are skipped with a reason, never opened.

Before, ``iter_files`` and ``read_head`` opened every name: a FIFO in an
ingested directory (a collector's named pipe left in its spool) blocked the
open for ever, with no writer, and the ingest never ended.  ``graphsiem
ingest`` reads no standard input (``-`` is "no such file"), so a FIFO given as
the path itself is reported the same way rather than read as a stream.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from ingest.readers.files import skip_reason

FIXTURES = Path(__file__).parents[1] / "fixtures"

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")


def _spool(tmp_path: Path) -> Path:
    spool = tmp_path / "spool"
    spool.mkdir()
    (spool / "a.ndjson").write_bytes((FIXTURES / "ecs_events.ndjson").read_bytes())
    os.mkfifo(spool / "b.pipe")
    return spool


def _cli(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    # a child process: on a hang the test fails at the timeout instead of hanging the suite
    return subprocess.run(
        [sys.executable, "-m", "graphsiem", "ingest", *args, "--data", str(data), "--json",
         "--no-progress"], capture_output=True, text=True, timeout=60, check=False)


def test_a_fifo_in_a_directory_is_skipped_and_the_ingest_ends(tmp_path: Path) -> None:
    spool = _spool(tmp_path)
    done = _cli(str(spool), data=tmp_path / "data")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    rows = {Path(row["path"]).name: row for row in report["files"]}
    assert rows["a.ndjson"]["accepted"] == 4
    assert rows["b.pipe"]["skipped"] == "not a regular file (a FIFO)"
    assert rows["b.pipe"]["received"] == 0 and report["received"] == 4


def test_a_fifo_given_as_the_path_is_reported_not_read(tmp_path: Path) -> None:
    spool = _spool(tmp_path)
    done = _cli(str(spool / "b.pipe"), data=tmp_path / "data")
    assert done.returncode == 0, done.stderr
    (row,) = json.loads(done.stdout)["files"]
    assert row["skipped"] == "not a regular file (a FIFO)"


def test_a_socket_and_a_device_are_skipped(tmp_path: Path) -> None:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(str(tmp_path / "agent.sock"))
        assert skip_reason(tmp_path / "agent.sock") == "not a regular file (a socket)"
        assert skip_reason(Path(os.devnull)) == "not a regular file (a character device)"
        with Journal(tmp_path / "j.sqlite") as journal:
            report = ingest_paths([tmp_path / "agent.sock", Path(os.devnull)], store=None,
                                  journal=journal, progress=False)
        assert [f.skipped for f in report.files.values()] == [
            "not a regular file (a socket)", "not a regular file (a character device)"]
        assert report.total.received == 0
    finally:
        listener.close()


def test_regular_files_and_links_to_them_are_read(tmp_path: Path) -> None:
    (tmp_path / "link.ndjson").symlink_to(FIXTURES / "ecs_events.ndjson")
    assert skip_reason(tmp_path / "link.ndjson") is None
    assert skip_reason(FIXTURES / "ecs_events.ndjson") is None
