"""A ``graphsiem serve`` refused at start leaves a new data directory unmade: no ``serve.lock`` (task F2, item 3).

The service takes the data directory's lock first (one service per directory), which makes
the directory and its ``serve.lock``.  A syslog port in use then ended the start with the
lock file (and the directories the lock made) left behind, and an HTTP port in use
with the embedded store's ``graph/`` too, for a service that never ran.  The kernel
released the lock itself (the next start was not refused); the files stayed.  Real
``graphsiem serve`` processes and real sockets held by the test.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.graphsiem.cli.test_serve_syslog_refusals import held_tcp_port, held_udp_port  # noqa: F401 - fixtures
from tests.graphsiem.cli.test_startup_refusals import REPO
from tests.serve_process import free_port, wait_until_ready

WAIT_S = 60.0
"""How long a process may take to answer or to end: a guard against a hang, not a measure."""


def _serve(data: Path, port: int, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "graphsiem", "serve", "--data", str(data), "--port", str(port),
         "--log-level", "warning", "--no-detect-at-start", *extra],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)


def _refused(data: Path, port: int, *extra: str) -> str:
    """Run a start that must be refused; its standard error."""
    proc = _serve(data, port, *extra)
    err = proc.communicate(timeout=WAIT_S)[1].decode(errors="replace")
    assert proc.returncode == 3, err
    assert "Traceback" not in err, err
    return err


def test_a_syslog_tcp_port_in_use_leaves_no_directory_and_the_next_start_serves(tmp_path, held_tcp_port):  # noqa: F811 - the fixture
    data = tmp_path / "parent" / "data"

    err = _refused(data, free_port(), "--syslog-tcp", str(held_tcp_port))

    assert f"cannot listen for syslog on 127.0.0.1:{held_tcp_port}/tcp" in err
    assert not (tmp_path / "parent").exists(), sorted(str(p) for p in tmp_path.rglob("*"))
    # and the directory is not held: a start with a free syslog port serves it
    port = free_port()
    proc = _serve(data, port, "--syslog-tcp", str(free_port()))
    try:
        wait_until_ready(f"http://127.0.0.1:{port}", proc, seconds=WAIT_S)
        assert (data / "serve.lock").read_text().strip() == str(proc.pid)
    finally:
        proc.terminate()
        proc.communicate(timeout=WAIT_S)


def test_a_syslog_udp_port_in_use_leaves_no_lock_file(tmp_path, held_udp_port):  # noqa: F811 - the fixture
    data = tmp_path / "data"

    err = _refused(data, free_port(), "--syslog-udp", str(held_udp_port))

    assert f"cannot listen for syslog on 127.0.0.1:{held_udp_port}/udp" in err
    assert not data.exists()


def test_an_http_port_in_use_leaves_no_lock_file_nor_graph(tmp_path, held_tcp_port):  # noqa: F811 - the fixture
    data = tmp_path / "data"

    err = _refused(data, held_tcp_port)

    assert f"cannot listen on 127.0.0.1:{held_tcp_port}" in err
    assert not data.exists(), sorted(p.name for p in data.iterdir())


def test_a_refused_start_keeps_an_existing_directory_as_it_was(tmp_path, held_tcp_port):  # noqa: F811 - the fixture
    """A directory that already held something keeps it; only what the refused start made goes."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "notes.txt").write_text("the operator's\n")

    _refused(data, held_tcp_port)

    assert sorted(p.name for p in data.iterdir()) == ["notes.txt"]
