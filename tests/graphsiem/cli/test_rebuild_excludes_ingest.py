"""``graphsiem rebuild`` and ``graphsiem ingest`` on one data directory exclude each other (task F15, gap 1).

A rebuild empties the graph and projects the journal again from 0; an
ingest's batch projected in between leaves a mark the replay trusts over a
graph without that batch's predecessors (the race review RV3 found for
``serve``).  The rebuild held only the service's lock, so an ingest ran
through it.  Now the CLI's writers hold ``writers.lock`` shared and a rebuild
holds it exclusive: whichever comes second is refused in one line naming the
other's PID, and ``kill -9`` of the holder leaves no lock behind.  An ingest
beside a service, or beside another ingest, goes on as before.

Real processes: the holder is a ``graphsiem`` child, caught mid-run without
sleeps: an ingest reading a pipe has read what a blocking write of more than
the pipe's capacity handed it (so it holds its lock: taken before it reads),
and a rebuild whose store is a socket this test listens on has connected to
it (its locks are taken before it opens the store).
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from pathlib import Path

from graphsiem.cli import main
from graphsiem.data_dir_lock import WRITERS_LOCK_NAME, DataDirLock
from ingest.journal import Journal

REPO = Path(__file__).resolve().parents[3]
WAIT_S = 60.0
"""How long a child may take to reach its blocking point or to end: a guard against a hang, not a measure."""
PIPE_FILL = 256 * 1024
"""More than a pipe holds (64 KiB on Linux): the write returns once the child has read from it."""


def _records(count: int, tag: str) -> str:
    return "".join(json.dumps({
        "@timestamp": "2026-11-29T10:00:00Z", "host": {"name": f"ws-{j % 3}"},
        "event": {"category": "network", "action": "dns"}, "dns": {"question": {"name": f"{tag}-{j}.example"}},
    }) + "\n" for j in range(count))


def _ingested(tmp_path: Path, name: str = "data") -> Path:
    source = tmp_path / f"{name}.ndjson"
    source.write_text(_records(20, name))
    data = tmp_path / name
    assert main(["ingest", str(source), "--data", str(data), "--no-progress", "--json"]) == 0
    return data


def _more_records(tmp_path: Path, data: Path) -> tuple[Path, int]:
    """A file of 10 records not yet ingested, and how many events the journal of ``data`` holds."""
    source = tmp_path / "more.ndjson"
    source.write_text(_records(10, "more"))
    with Journal(data / "journal.sqlite") as journal:
        return source, journal.counts()["events"]


def _graphsiem(*args: str, **options) -> subprocess.Popen[bytes]:  # type: ignore[no-untyped-def]
    return subprocess.Popen([sys.executable, "-m", "graphsiem", *args], cwd=REPO, **options)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=WAIT_S)


def test_a_rebuild_is_refused_while_an_ingest_writes_and_runs_once_it_is_killed(tmp_path, capsys):
    data = _ingested(tmp_path)
    capsys.readouterr()
    ingest = _graphsiem("ingest", "-", "--data", str(data), "--no-progress", stdin=subprocess.PIPE,
                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert ingest.stdin is not None
        payload = _records(PIPE_FILL // 100, "live").encode()
        assert len(payload) > PIPE_FILL
        ingest.stdin.write(payload)  # blocks until the ingest has read from the pipe: it holds its lock
        ingest.stdin.flush()

        status = main(["rebuild", "--data", str(data)])

        err = capsys.readouterr().err.strip()
        assert status == 1, err
        assert err.count("\n") == 0 and str(data) in err, err
        assert f"is being written by another process (pid {ingest.pid})" in err, err
        assert "let the ingest end first" in err, err
    finally:
        _kill(ingest)  # SIGKILL: no release by the process, only by the kernel
    assert main(["rebuild", "--data", str(data)]) == 0, capsys.readouterr().err
    assert "rebuilt the graph" in capsys.readouterr().out


def test_an_ingest_is_refused_while_a_rebuild_runs_and_runs_once_it_is_killed(tmp_path, capsys):
    data = _ingested(tmp_path)
    source, events = _more_records(tmp_path, data)
    capsys.readouterr()
    with socket.create_server(("127.0.0.1", 0)) as store:  # a "Neo4j" that never answers
        store.settimeout(WAIT_S)
        rebuild = _graphsiem("rebuild", "--data", str(data), "--store", f"bolt://127.0.0.1:{store.getsockname()[1]}",
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            connection, _ = store.accept()  # the rebuild holds its locks and opens its store
            with connection:
                status = main(["ingest", str(source), "--data", str(data), "--no-progress"])

                err = capsys.readouterr().err.strip()
                assert status == 2, err
                assert err.count("\n") == 0 and str(data) in err, err
                assert f"is being rebuilt by another process (pid {rebuild.pid})" in err, err
                assert "nothing was read" in err, err
                with Journal(data / "journal.sqlite") as journal:
                    assert journal.counts()["events"] == events  # nothing journaled
        finally:
            _kill(rebuild)
    assert main(["ingest", str(source), "--data", str(data), "--no-progress"]) == 0, capsys.readouterr().err
    with Journal(data / "journal.sqlite") as journal:
        assert journal.counts()["events"] == events + 10


def test_an_ingest_runs_beside_a_service_and_beside_another_ingest(tmp_path, capsys):
    # what the README promises stays: the service's lock and other writers' shared locks do not stop an ingest
    data = _ingested(tmp_path)
    source = tmp_path / "more.ndjson"
    source.write_text(_records(10, "more"))
    with DataDirLock(data), DataDirLock(data, name=WRITERS_LOCK_NAME, shared=True):
        assert main(["ingest", str(source), "--data", str(data), "--no-progress"]) == 0, capsys.readouterr().err
        status = main(["rebuild", "--data", str(data)])  # the service holds it
        assert status == 1 and "stop the service first" in capsys.readouterr().err


def test_detect_with_paths_is_a_writer_refused_during_a_rebuild(tmp_path, capsys):
    # `graphsiem detect PATH...` ingests first: a rebuild's exclusive writers' lock refuses it
    # as it refuses `graphsiem ingest`, before anything is read or journaled
    data = _ingested(tmp_path)
    source, events = _more_records(tmp_path, data)
    capsys.readouterr()
    with DataDirLock(data, name=WRITERS_LOCK_NAME):  # held exclusively, as `graphsiem rebuild` holds it
        status = main(["detect", str(source), "--data", str(data)])
        err = capsys.readouterr().err.strip()
    assert status == 2, err
    assert err.count("\n") == 0 and err.startswith("graphsiem detect: ") and "nothing was read" in err, err
    with Journal(data / "journal.sqlite") as journal:
        assert journal.counts()["events"] == events
    assert main(["detect", str(source), "--data", str(data), "--quiet"]) == 0, capsys.readouterr().err
    with Journal(data / "journal.sqlite") as journal:
        assert journal.counts()["events"] == events + 10
