"""One ``graphsiem serve`` per data directory, and a taken port fails before any write (review S2, item 1).

Two services on one data directory both projected the journal, and every
count became 2; a second service whose port was taken had run its startup
catch-up before uvicorn failed to bind.  Real ``graphsiem serve`` processes on
loopback, as ``tests/api/test_cli.py`` runs them; the first one is killed with
SIGKILL to show its lock is not left behind.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from pathlib import Path

from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from tests.graphsiem.cli.test_serve_detects_at_start import _wait_for
from tests.serve_process import free_port, wait_until_ready

WAIT_S = 60.0
"""How long a process may take to answer or to end: a guard against a hang, not a measure."""


def _serve(data: Path, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "graphsiem", "serve", "--data", str(data), "--port", str(port),
         "--log-level", "warning", "--no-detect-at-start"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_ready(proc: subprocess.Popen[bytes], port: int) -> None:
    wait_until_ready(f"http://127.0.0.1:{port}", proc, seconds=WAIT_S)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
    proc.communicate(timeout=WAIT_S)


def _snapshot(data: Path) -> dict[str, tuple[int, int]]:
    """The journal's and the graph's files with their sizes and modification times: what a write changes."""
    files = [data / "journal.sqlite", *sorted((data / "graph").iterdir())]
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in files}


def _wait_projected(data: Path, seq: int) -> None:
    """Wait until the service has projected the journal up to ``seq`` (its catch-up at start)."""

    def projected() -> bool | None:
        with Journal(data / "journal.sqlite") as journal:
            return journal.checkpoint() == seq or None

    _wait_for(projected, "graphsiem serve did not project the journal", seconds=WAIT_S)


def _journaled_only(tmp_path: Path) -> Path:
    """A data directory whose journal holds events no graph holds yet (journaled, never projected)."""
    source = tmp_path / "lookups.ndjson"
    source.write_text("".join(json.dumps({
        "@timestamp": "2026-11-29T10:00:00Z", "host": {"name": f"ws-{j % 3}"},
        "event": {"category": "network", "action": "dns"}, "dns": {"question": {"name": f"d-{j}.example"}},
    }) + "\n" for j in range(30)))
    data = tmp_path / "data"
    with Journal(data / "journal.sqlite") as journal:
        ingest_paths([source], store=None, journal=journal, progress=False)
        assert journal.last_seq() == 30 and journal.checkpoint() == 0
    return data


def test_a_second_serve_on_the_data_dir_refuses_until_the_first_is_killed(tmp_path: Path) -> None:
    data = _journaled_only(tmp_path)
    first_port = free_port()
    first = _serve(data, first_port)
    second = third = None
    try:
        _wait_ready(first, first_port)
        _wait_projected(data, 30)
        before = _snapshot(data)

        second = _serve(data, free_port())
        _, err = second.communicate(timeout=WAIT_S)
        message = err.decode().strip()
        assert second.returncode == 1, message
        assert message.count("\n") == 0, message  # one line, no traceback
        assert str(data) in message and f"pid {first.pid}" in message, message
        assert _snapshot(data) == before  # refused before opening the journal or the graph

        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=WAIT_S)
        # The kernel dropped the killed service's lock: the next one starts, and the
        # file naming the dead pid does not stop it.
        third_port = free_port()
        third = _serve(data, third_port)
        _wait_ready(third, third_port)
        assert (data / "serve.lock").read_text().strip() == str(third.pid)
    finally:
        for proc in (first, second, third):
            if proc is not None:
                _stop(proc)


def test_a_taken_port_fails_before_the_journal_is_projected(tmp_path: Path) -> None:
    data = _journaled_only(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = _serve(data, port)
        _, err = proc.communicate(timeout=WAIT_S)
    message = err.decode()
    assert proc.returncode == 3, message
    with Journal(data / "journal.sqlite") as journal:
        assert journal.checkpoint() == 0  # nothing was projected: the next service does it
    assert not (data / "graph" / "graph.pickle").exists()
    assert f"cannot listen on 127.0.0.1:{port}" in message and "Traceback" not in message, message
    # The lock went with the process: a service on a free port takes the directory.
    port = free_port()
    proc = _serve(data, port)
    try:
        _wait_ready(proc, port)
    finally:
        _stop(proc)


def test_rebuild_refuses_a_data_dir_a_service_is_running_on(tmp_path: Path, capsys) -> None:
    # A rebuild empties the graph the service projects into every second: with the service
    # running, a batch it wrote between the clear and the replay could leave the graph empty
    # behind a mark that says it is full (review RV3, defect 1).  Refused, one line, nothing touched.
    from graphsiem.cli import main

    data = _journaled_only(tmp_path)
    port = free_port()
    service = _serve(data, port)
    try:
        _wait_ready(service, port)
        _wait_projected(data, 30)
        before = _snapshot(data)

        status = main(["rebuild", "--data", str(data)])

        err = capsys.readouterr().err.strip()
        assert status == 1, err
        assert err.count("\n") == 0 and f"pid {service.pid}" in err and "stop the service first" in err, err
        assert _snapshot(data) == before
    finally:
        _stop(service)
    assert main(["rebuild", "--data", str(data)]) == 0  # the service gone, the rebuild runs
    assert "rebuilt the graph" in capsys.readouterr().out
