"""Neo4j down when ``graphsiem ingest`` or ``graphsiem serve`` starts (review S2, finding 3).

The README and ``docs/reliability.md`` promise that a store that does not
answer does not stop the journal; both commands used to refuse to start
("cannot open store", exit 1; exit 2 with nothing journaled).  The commands
reach the test server through a real loopback TCP proxy (:mod:`tests.ingest.tcp_proxy`)
cut before they start, as a server that is down; the test reads the server
directly.  Deadlines are generous bounds on waiting, not claims about speed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from graphsiem.cli import EXIT_GRAPH_BEHIND, main
from ingest.journal import Journal
from tests.graphsiem.cli.test_serve_detects_at_start import _wait_for
from tests.ingest.tcp_proxy import TcpProxy, running
from tests.serve_process import free_port

pytestmark = pytest.mark.neo4j

FILES = ("ecs_events.ndjson", "concatenated_pretty.json")


@pytest.fixture
def proxy(neo4j_server) -> Iterator[TcpProxy]:
    """A proxy to the test server's Bolt port, cut: the server looks down."""
    address = urlsplit(neo4j_server.uri)
    with running(TcpProxy((address.hostname or "127.0.0.1", address.port or 7687))) as started:
        started.cut()
        yield started


@pytest.fixture
def via_proxy(neo4j_server, neo4j_store, proxy, monkeypatch) -> TcpProxy:
    """``GRAPHSIEM_NEO4J_*`` naming the server through the (cut) proxy; the database emptied."""
    for name, value in {**neo4j_server.environ(), "GRAPHSIEM_NEO4J_URI": proxy.uri}.items():
        monkeypatch.setenv(name, value)
    return proxy


def _ingest(capsys, data: Path, files: list[Path]) -> tuple[int, dict, str]:
    status = main(["ingest", *map(str, files), "--data", str(data), "--store", "neo4j", "--json", "--no-progress"])
    out, err = capsys.readouterr()
    return status, json.loads(out), err


def _reference(capsys, tmp_path: Path, files: list[Path]) -> dict:
    data = tmp_path / "reference"
    assert main(["ingest", *map(str, files), "--data", str(data), "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["stats", "--data", str(data), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_ingest_journals_while_neo4j_is_down_at_start_and_the_next_one_projects(
    tmp_path, fixtures, capsys, caplog, via_proxy, neo4j_store
):
    data, files = tmp_path / "d", [fixtures / f for f in FILES]

    status, report, _ = _ingest(capsys, data, files)

    assert status == EXIT_GRAPH_BEHIND  # 75: journaled, the graph behind
    with Journal(data / "journal.sqlite") as journal:
        journaled = journal.counts()["events"]
    assert journaled > 0 and report["graph_pending"] == journaled
    assert f":{via_proxy.port}" in caplog.text  # the warning names the store and where it is
    assert neo4j_store.counts()["entities"] == {}
    assert main(["stats", "--data", str(data)]) == 2  # the directory is Neo4j's: not "0 entities"
    assert "use --store neo4j" in capsys.readouterr().err and not (data / "graph").exists()

    via_proxy.restore()
    status, report, _ = _ingest(capsys, data, files)  # the same input: nothing journaled twice

    assert status == 0 and report["graph_pending"] == 0
    assert report["projected"]["events"] == journaled
    assert neo4j_store.counts() == _reference(capsys, tmp_path, files)


def test_serve_answers_and_journals_while_neo4j_is_down_at_start(tmp_path, fixtures, via_proxy, neo4j_store):
    data, port, admin = tmp_path / "d", free_port(), "bootstrap-" + os.urandom(8).hex()
    proc = subprocess.Popen(
        [sys.executable, "-m", "graphsiem", "serve", "--store", "neo4j", "--data", str(data),
         "--port", str(port), "--log-level", "warning", "--no-detect-at-start"],
        env=dict(os.environ, GRAPHSIEM_BOOTSTRAP_ADMIN_KEY=admin),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {admin}"}

    def alive() -> bool | None:
        assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
        try:
            return httpx.get(f"{base}/healthz", timeout=1).status_code == 200 or None
        except httpx.TransportError:
            return None

    try:
        _wait_for(alive, "graphsiem serve did not start with Neo4j down")
        answer = httpx.post(f"{base}/v1/events", headers={**headers, "Content-Type": "application/x-ndjson"},
                            content=(fixtures / FILES[0]).read_bytes(), timeout=30)
        assert answer.status_code < 300, answer.text
        with Journal(data / "journal.sqlite") as journal:
            journaled = journal.counts()["events"]
        assert journaled > 0
        # Several retries fail while the server stays down (the projector retries every second)...
        _wait_for(lambda: (httpx.get(f"{base}/healthz", timeout=30).json()["projection"] or {})
                  .get("lag_seconds", 0) >= 4 or None, "the projection was not retried for 4 s")

        via_proxy.restore()  # the graph catches up once the server answers
        _wait_for(lambda: neo4j_store.counts()["entities"] or None, "the graph never caught up", seconds=120)
        with Journal(data / "journal.sqlite") as journal:
            _wait_for(lambda: journal.checkpoint() == journaled or None, "the checkpoint never caught up")
    finally:
        proc.terminate()
        output = proc.communicate(timeout=60)[0].decode()
    assert "cannot open store" not in output
    # ...and the log says so once with its traceback, not once a second (before: one traceback per retry)
    assert output.count("background projection failed") == 1, output
    assert "background projection recovered" in output
