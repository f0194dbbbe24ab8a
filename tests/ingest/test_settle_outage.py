"""A live pipe's graph survives a graph store that goes away (:mod:`ingest.pipeline_projection`).

The real command (``python -m graphsiem ingest -``, a child process fed through
a real pipe left open) writes into the test Neo4j server through a loopback
TCP proxy (:mod:`tests.ingest.tcp_proxy`) that the tests cut, as a network
failure or a server going down would, and restore.  The test process reads
the server directly, past the proxy.  Deadlines are generous bounds on
waiting, not claims about speed.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from graphsiem.cli import EXIT_GRAPH_BEHIND
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from ingest.report import IngestReport
from tests.ingest.stdin_sources import mixed_formats_ndjson
from tests.ingest.tcp_proxy import TcpProxy, running
from tests.ingest.test_pipeline_settle import (
    CONN,
    LEASE,
    _journal_counts,
    _reference,
    _wait_for_graph,
    _write,
)
from tests.ingest.test_pipeline_settle_lock import NAMED
from tests.ingest.test_pipeline_stores import graph_facts
from tests.ingest.test_stdin_live import DEADLINE, REPO, wait_for

FAILED = "cannot take the graph"
"""What the one warning of an outage says."""
BACK = "takes the graph again"
"""What the warning of its end says."""
DRIVER_RETRIES = 30.0
"""How long the Neo4j driver retries a write whose connection failed before it gives up (its default)."""


class _Child:
    """A ``graphsiem ingest`` child into Neo4j through ``proxy``; its standard error read as it comes."""

    def __init__(self, data: Path, proxy: TcpProxy, env: dict[str, str], *paths: str) -> None:
        self.data = data
        self.process = subprocess.Popen(
            [sys.executable, "-m", "graphsiem", "ingest", *paths, "--data", str(data), "--store", "neo4j",
             "--json", "--no-progress", "--flush-seconds", "0.05", "--settle-seconds", "0.3"],
            cwd=REPO, env={**env, "GRAPHSIEM_NEO4J_URI": proxy.uri},
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.decode("utf-8", "replace"))

    def said(self, text: str) -> list[str]:
        """The lines of its standard error so far that hold ``text``."""
        return [line for line in list(self.lines) if text in line]

    def wait_to_say(self, text: str, deadline: float = DEADLINE) -> str:
        """The first line that holds ``text``, once it comes; fail if the child ends or ``deadline`` passes."""
        give_up = time.monotonic() + deadline
        while not (found := self.said(text)):
            assert self.process.poll() is None or self._reader.is_alive(), "".join(self.lines)
            assert time.monotonic() < give_up, f"not within {deadline:.0f} s: {text!r}; stderr: {''.join(self.lines)}"
            time.sleep(0.05)
        return found[0]

    def finish(self) -> dict:
        """Close its pipe; its JSON report, once it has ended (its standard error read to the end)."""
        process = self.process
        assert process.stdin is not None and process.stdout is not None
        process.stdin.close()
        out = process.stdout.read()
        process.wait(timeout=DEADLINE)
        self._reader.join(DEADLINE)
        assert "Traceback" not in "".join(self.lines), "".join(self.lines)
        return json.loads(out)  # type: ignore[no-any-return]

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def proxy(neo4j_server) -> Iterator[TcpProxy]:
    """A proxy to the test server's Bolt port."""
    address = urlsplit(neo4j_server.uri)
    with running(TcpProxy((address.hostname or "127.0.0.1", address.port or 7687))) as started:
        yield started


@pytest.fixture
def child_env(neo4j_server) -> dict[str, str]:
    return {**os.environ, **neo4j_server.environ()}


def _new_events(*pieces: bytes) -> int:
    """How many events ``pieces`` journal, in that order, into an empty journal (none is a duplicate)."""
    with tempfile.TemporaryDirectory() as scratch, Journal(Path(scratch) / "journal.sqlite") as journal:
        return ingest_paths(["-"], store=None, journal=journal, stdin=io.BytesIO(b"".join(pieces))).total.events


def _settled(child: _Child, reader, tmp_path: Path, piece: bytes) -> None:
    """Write ``piece`` to the child's pipe and wait until its settle is over: graph, mark and checkpoint.

    The graph shows before the settle has written its checkpoint; a cut then would meet the settle's
    last writes, which the driver retries past a short outage.
    """
    _write(child.process, piece)
    _wait_for_graph(reader, _reference(tmp_path, "settled", piece), "the piece settled", 3 * DEADLINE)
    journal = child.data / "journal.sqlite"
    wait_for(lambda: (counts := _journal_counts(journal))[1] == counts[2] > 0, "the settle's checkpoint")


@pytest.mark.neo4j
def test_a_store_cut_off_mid_pipe_is_caught_up_once_it_is_back(tmp_path, proxy, child_env, neo4j_store):
    first, during, later = LEASE + CONN, NAMED, mixed_formats_ndjson()
    child = _Child(tmp_path / "live", proxy, child_env, "-")
    try:
        _settled(child, neo4j_store, tmp_path, first)
        proxy.cut()
        # endpoint records of named hosts: their batch goes to the store at its commit (before the change,
        # the StoreError it meets, once the driver has retried for 30 s, ended the ingest)
        _write(child.process, during)
        line = child.wait_to_say(FAILED, DRIVER_RETRIES + 3 * DEADLINE)
        assert "neo4j" in line and f":{proxy.port}" in line  # names the store and where it is
        _write(child.process, later)
        total = _new_events(first, during, later)
        wait_for(lambda: _journal_counts(child.data / "journal.sqlite")[0] == total, "journaled while cut off")
        time.sleep(1.5)  # five settle periods: each finds the store still down
        assert child.process.poll() is None  # the outage did not end the ingest
        assert len(child.said(FAILED)) == 1, child.lines  # one line an outage, not one per attempt
        assert graph_facts(neo4j_store) == _reference(tmp_path, "first", first)  # behind the journal
        proxy.restore()
        _wait_for_graph(neo4j_store, _reference(tmp_path, "whole", first + during + later),
                        "the graph caught up with the journal once the store is back", 3 * DEADLINE)
        child.wait_to_say(BACK)
        report = child.finish()
    finally:
        child.kill()
    assert child.process.returncode == 0
    assert report["graph_pending"] == 0
    # every event counted once in the projection, across the settles before, during and after the outage
    assert report["projected"]["events"] == report["events"] == total
    assert len(child.said(FAILED)) == 1 and len(child.said(BACK)) == 1


@pytest.mark.neo4j
def test_a_store_still_down_at_the_end_leaves_the_graph_pending_for_the_next_ingest(
    tmp_path, proxy, child_env, neo4j_store
):
    first, later = LEASE + CONN, mixed_formats_ndjson()
    child = _Child(tmp_path / "live", proxy, child_env, "-")
    try:
        _settled(child, neo4j_store, tmp_path, first)
        proxy.cut()
        # sensor records, held for the settle: its question to the store finds the outage at once
        _write(child.process, later)
        child.wait_to_say(FAILED)
        report = child.finish()
    finally:
        child.kill()
    assert child.process.returncode == EXIT_GRAPH_BEHIND == 75  # not 1, a crash's (or rejected records')
    assert report["graph_pending"] == _new_events(later) == report["events"] - report["projected"]["events"]
    assert report["rejected"] == 0
    assert graph_facts(neo4j_store) == _reference(tmp_path, "first", first)

    proxy.restore()
    again = tmp_path / "again.ndjson"
    again.write_bytes(first + later)  # the same input: nothing is journaled twice
    done = subprocess.run(
        [sys.executable, "-m", "graphsiem", "ingest", str(again), "--data", str(child.data), "--store", "neo4j",
         "--json", "--no-progress"],
        cwd=REPO, env={**child_env, "GRAPHSIEM_NEO4J_URI": proxy.uri}, capture_output=True, timeout=3 * DEADLINE,
    )
    assert done.returncode == 0, done.stderr.decode()
    caught_up = json.loads(done.stdout)
    assert caught_up["events"] == 0 and caught_up["graph_pending"] == 0
    assert caught_up["projected"]["events"] == report["graph_pending"]
    assert graph_facts(neo4j_store) == _reference(tmp_path, "whole", first + later)


def test_the_report_says_how_far_the_graph_is_behind_the_journal():
    report = IngestReport()
    assert report.to_dict()["graph_pending"] == 0
    assert "behind" not in report.render()
    report.graph_pending = 42
    assert report.to_dict()["graph_pending"] == 42
    assert "graph behind the journal: 42 events" in report.render()
