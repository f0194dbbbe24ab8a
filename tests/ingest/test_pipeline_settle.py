"""A live pipe's graph follows the pipe: ``--settle-seconds`` (:meth:`ingest.pipeline.CallProjection.settle`).

The real command (``python -m graphsiem ingest -``, a child process) reads a
real OS pipe that these tests write a piece at a time and leave open; another
reader (an :class:`~graphsiem.store.embedded.EmbeddedStore` of this process on
the same directory, or the test Neo4j server) must see each piece's graph
while the pipe stays open.  Deadlines are generous bounds on waiting, not
claims about speed.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from graphsiem.cli import main
from graphsiem.store import open_store
from graphsiem.store.base import GraphStore
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.pipeline import SETTLE_SECONDS, ingest_paths, settle_period
from tests.ingest.stdin_sources import FIXTURES, mixed_formats_ndjson
from tests.ingest.test_pipeline_stores import graph_facts
from tests.ingest.test_stdin_live import DEADLINE, REPO, _lines, wait_for

SETTLE = "0.3"
"""The children's settle period: short, so that a test waits for several."""

ENDPOINT = (FIXTURES / "ecs_events.ndjson").read_bytes()
"""ECS process events of named hosts (ws-0001 ...): projected without the IP map."""
CONN = (FIXTURES / "sensor" / "a_conn.json").read_bytes()
"""Two Zeek conn records of client 10.20.0.15 (10:05 and 08:00)."""
LEASE = (FIXTURES / "sensor" / "b_dhcp.json").read_bytes()
"""The DHCP lease of 10.20.0.15 to WS-0042 from 10:00, which maps the 10:05 conn."""


def _pieces_leases_first() -> list[bytes]:
    """Endpoint events; the lease, then the sensor events it maps; Winlogbeat, Zeek and EVE lines."""
    return [ENDPOINT, LEASE + CONN, mixed_formats_ndjson()]


class _Live:
    """Where a child's graph goes, and a reader of it that is not the child."""

    def __init__(self, data: Path, reader: GraphStore, options: list[str], env: dict[str, str]) -> None:
        self.data, self.reader, self.options, self.env = data, reader, options, env

    def start(self, *options: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "graphsiem", "ingest", "-", "--data", str(self.data), "--json",
             "--no-progress", "--flush-seconds", "0.05", *self.options, *options],
            cwd=REPO, env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )

    @property
    def journal(self) -> Path:
        return self.data / "journal.sqlite"


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def live(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[_Live]:
    env = dict(os.environ)
    data = tmp_path / "live"
    if request.param == "neo4j":
        server = request.getfixturevalue("neo4j_server")
        reader = request.getfixturevalue("neo4j_store")  # emptied first
        env.update(server.environ())
        yield _Live(data, reader, ["--store", "neo4j"], env)
        return
    # a second instance on the child's directory: it loads what the child flushed, never writes
    embedded = _embedded(tmp_path)
    try:
        yield embedded
    finally:
        embedded.reader.close()


def _embedded(tmp_path: Path) -> _Live:
    """A child's embedded store and a second instance reading it (the test closes ``reader``)."""
    data = tmp_path / "live"
    return _Live(data, EmbeddedStore(data / "graph"), [], dict(os.environ))


def _write(child: subprocess.Popen[bytes], data: bytes) -> None:
    """Write ``data`` to the child's pipe, leaving it open."""
    assert child.stdin is not None
    rest = memoryview(data)
    while rest:  # by descriptor: nothing stays buffered in this process
        rest = rest[os.write(child.stdin.fileno(), rest):]


def _reference(tmp_path: Path, name: str, *calls: bytes) -> tuple:
    """The graph facts of ``calls`` ingested as files into a fresh embedded store, one ingest call each."""
    base = tmp_path / name
    base.mkdir()
    store = open_store("embedded", data_dir=base)
    try:
        with Journal(base / "journal.sqlite") as journal:
            for index, data in enumerate(calls):
                path = base / f"call-{index}.ndjson"
                path.write_bytes(data)
                ingest_paths([path], store=store, journal=journal, progress=False)
        return graph_facts(store)
    finally:
        store.close()


def _wait_for_graph(reader: GraphStore, expected: tuple, what: str, deadline: float = DEADLINE) -> None:
    """Poll ``reader``'s graph facts until they are ``expected``; fail after ``deadline`` s showing the difference."""
    give_up = time.monotonic() + deadline
    while (facts := graph_facts(reader)) != expected:
        if time.monotonic() > give_up:
            pairs = [(set(map(repr, want)), set(map(repr, got))) for want, got in zip(expected, facts, strict=True)]
            missing = [sorted(want - got) for want, got in pairs]
            extra = [sorted(got - want) for want, got in pairs]
            raise AssertionError(f"not within {deadline:.0f} s: {what}; missing {missing}, extra {extra}")
        time.sleep(0.1)  # each look is a query to Neo4j or a graph file loaded again


def _finish(child: subprocess.Popen[bytes]) -> dict:
    out, err = child.communicate(timeout=DEADLINE)
    assert b"Traceback" not in err, err.decode()
    return json.loads(out)


def _journal_counts(path: Path) -> tuple[int, int, int]:
    """(events, last seq, checkpoint) of the journal at ``path``; zeros before the child made it."""
    if not path.exists():
        return 0, 0, 0
    with Journal(path) as journal:
        return journal.counts()["events"], journal.last_seq(), journal.checkpoint()


def test_another_reader_sees_each_piece_of_an_open_pipe_as_a_file_ingest_would_project_it(live, tmp_path):
    pieces = _pieces_leases_first()
    child = live.start("--settle-seconds", SETTLE)
    try:
        for count in range(1, len(pieces) + 1):
            _write(child, pieces[count - 1])
            expected = _reference(tmp_path, f"prefix-{count}", b"".join(pieces[:count]))
            # the first wait includes the child's start: once over 30 s in a full run at a load of 9.5 on 2 cores (Neo4j)
            _wait_for_graph(live.reader, expected, f"another reader sees the graph of the first {count} pieces",
                            3 * DEADLINE if count == 1 else DEADLINE)
            assert child.poll() is None  # the pipe is open: only a settle can have projected them
        # the sensor event is on its host (its lease came first), seen from outside the child
        linked = {n.entity.key for n in live.reader.neighbors("host", "ws-0042", direction="out")}
        assert "198.51.100.77" in linked
    finally:
        report = _finish(child)
    assert child.returncode == 0
    # the report sums every settle's projection and the end's
    assert report["projected"]["events"] == report["events"] == _journal_counts(live.journal)[0]
    assert graph_facts(live.reader) == _reference(tmp_path, "whole", b"".join(pieces))


def test_a_lease_after_a_settle_leaves_the_sensor_events_settled_before_as_separate_calls_do(tmp_path):
    live = _embedded(tmp_path)
    reader = live.reader
    child = live.start("--settle-seconds", SETTLE)
    try:
        _write(child, CONN)
        wait_for(lambda: reader.get_entity("ip", "198.51.100.77") is not None, "the conn records settled")
        _write(child, LEASE)
    finally:
        report = _finish(child)
    try:
        assert report["rejected"] == 0
        facts = graph_facts(reader)
    finally:
        reader.close()
    # the conn at 10:05 stays its client's IP's: the lease came in a later settle, as in a later call
    assert facts == _reference(tmp_path, "two-calls", CONN, LEASE)
    assert facts != _reference(tmp_path, "one-call", CONN + LEASE)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_a_stop_or_a_crash_between_settles_loses_nothing_and_counts_nothing_twice(tmp_path, signum):
    first, second = ENDPOINT, LEASE + CONN + mixed_formats_ndjson()
    live = _embedded(tmp_path)
    reader = live.reader
    child = live.start("--settle-seconds", "2")
    try:
        _write(child, first)
        expected_first = _reference(tmp_path, "first", first)
        wait_for(lambda: graph_facts(reader) == expected_first, "the first piece settled")
        _write(child, second)
        with Journal(tmp_path / "count.sqlite") as journal:
            total = ingest_paths(["-"], store=None, journal=journal, stdin=io.BytesIO(first + second)).total.events
        wait_for(lambda: _journal_counts(live.journal)[0] == total, "the second piece journaled")
        child.send_signal(signum)  # most likely before its settle is due: 2 s
        child.communicate(timeout=DEADLINE)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == (130 if signum == signal.SIGINT else -signal.SIGKILL)
    if signum == signal.SIGKILL:
        # a crash leaves the last settle's graph and mark; the next call catches up from there
        path = tmp_path / "again.ndjson"
        path.write_bytes(first + second)
        store = open_store("embedded", data_dir=live.data)
        try:
            with Journal(live.journal) as journal:
                ingest_paths([path], store=store, journal=journal, progress=False)
        finally:
            store.close()
    try:
        assert graph_facts(reader) == _reference(tmp_path, "whole", first + second)
    finally:
        reader.close()


class _FlushCountingStore(EmbeddedStore):
    """The embedded store, counting its flushes (each a save of the graph file)."""

    flushes = 0

    def flush(self) -> None:
        self.flushes += 1
        super().flush()


def test_a_file_is_projected_once_whatever_the_settle_period(tmp_path):
    path = tmp_path / "records.ndjson"
    path.write_bytes(b"".join(_pieces_leases_first()))
    facts = []
    for settle in (0.0, 1e-9):
        store = _FlushCountingStore(tmp_path / f"graph-{settle}")
        with Journal(tmp_path / f"journal-{settle}.sqlite") as journal:
            report = ingest_paths([path], store=store, journal=journal, progress=False, batch_size=10,
                                  settle_seconds=settle)
        assert store.flushes == 1, settle
        assert report.projected["events"] == report.total.events
        facts.append(graph_facts(store))
        store.close()
    assert facts[0] == facts[1]


def test_a_pipe_read_in_process_settles_its_store_between_pieces(tmp_path):
    read_end, write_end = os.pipe()
    store = _FlushCountingStore(tmp_path / "graph")
    reports = []
    with open(read_end, "rb") as stdin:

        def ingest() -> None:  # a journal is used by the thread that opened it
            with Journal(tmp_path / "journal.sqlite") as journal:
                reports.append(ingest_paths(["-"], store=store, journal=journal, stdin=stdin, progress=False,
                                            flush_seconds=0.05, settle_seconds=0.1))

        worker = threading.Thread(target=ingest)
        worker.start()
        try:
            for number, piece in enumerate(_pieces_leases_first(), start=1):
                os.write(write_end, piece)
                wait_for(lambda number=number: store.flushes >= number, f"settle {number}")
        finally:
            os.close(write_end)
            worker.join(DEADLINE)
    assert not worker.is_alive()
    (report,) = reports
    assert report.projected["events"] == report.total.events
    assert graph_facts(store) == _reference(tmp_path, "whole", b"".join(_pieces_leases_first()))
    store.close()


def test_a_pipe_that_never_pauses_settles_between_batches(tmp_path):
    # every byte is in the pipe before the first read: the reader takes all 40 records from
    # its buffer without waiting (no pace), so only the batch commits can settle on the way
    read_end, write_end = os.pipe()
    store = _FlushCountingStore(tmp_path / "graph")
    records = mixed_formats_ndjson()
    os.write(write_end, records)
    reports = []
    with open(read_end, "rb") as stdin:

        def ingest() -> None:
            with Journal(tmp_path / "journal.sqlite") as journal:
                reports.append(ingest_paths(["-"], store=store, journal=journal, stdin=stdin, progress=False,
                                            batch_size=5, flush_seconds=0.2, settle_seconds=1e-9))

        worker = threading.Thread(target=ingest)
        worker.start()
        try:
            # 40 records in batches of 5: 7 commits while reading the head's buffer (read whole after a
            # pause of flush_seconds), each followed by a settle; the 8th batch waits for the flush clock
            wait_for(lambda: store.flushes >= 7, "a settle after each full batch")
        finally:
            os.close(write_end)
            worker.join(DEADLINE)
    (report,) = reports
    assert report.projected["events"] == report.total.events == _lines(records)
    store.close()


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process ``pid`` (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads CPU time from Linux /proc")
def test_an_idle_pipe_costs_next_to_no_cpu_once_settled(tmp_path):
    live = _embedded(tmp_path)
    reader = live.reader
    child = live.start("--settle-seconds", "0.1")
    try:
        _write(child, ENDPOINT)
        wait_for(lambda: reader.get_entity("host", "ws-0001") is not None, "the endpoint events settled")
        # The graph shows before the settle writes its checkpoint: wait for that too, so
        # the settle's last writes are not counted as idle cost on a slow machine.
        wait_for(lambda: (counts := _journal_counts(live.journal))[1] == counts[2] > 0, "the settle's checkpoint")
        time.sleep(0.3)  # past any last poll of the settle
        before = _cpu_seconds(child.pid)
        time.sleep(3.0)
        spent = _cpu_seconds(child.pid) - before
    finally:
        _finish(child)
        reader.close()
    # nothing waits to be journaled or settled: the read waits for bytes with no timeout
    assert spent < 0.05, f"{spent:.3f} CPU s in 3 s of an idle pipe"


def test_settle_zero_leaves_the_graph_to_the_end_of_the_pipe(tmp_path):
    live = _embedded(tmp_path)
    reader = live.reader
    child = live.start("--settle-seconds", "0")
    try:
        _write(child, ENDPOINT)
        wait_for(lambda: _journal_counts(live.journal)[0] > 0, "the endpoint events journaled")
        time.sleep(1.0)
        assert reader.get_entity("host", "ws-0001") is None
    finally:
        _finish(child)
    try:
        assert reader.get_entity("host", "ws-0001") is not None
    finally:
        reader.close()


@pytest.mark.parametrize("seconds", ["-1", "nan", "inf"])
def test_a_settle_period_that_is_no_number_of_seconds_is_refused_before_reading(tmp_path, capsys, seconds):
    path = FIXTURES / "ecs_events.ndjson"
    assert main(["ingest", str(path), "--data", str(tmp_path), "--settle-seconds", seconds, "--no-progress"]) == 2
    assert "--settle-seconds" in capsys.readouterr().err
    assert not (tmp_path / "journal.sqlite").exists()
    with Journal(tmp_path / "journal.sqlite") as journal:
        with pytest.raises(ValueError, match="settle_seconds"):
            ingest_paths([path], store=None, journal=journal, settle_seconds=float(seconds))
        assert journal.counts()["events"] == 0


def test_the_default_settle_period_is_the_embedded_stores_and_zero_turns_it_off(embedded_store):
    assert settle_period(embedded_store, None) == SETTLE_SECONDS["embedded"] == 60.0
    assert settle_period(embedded_store, 0.0) is None
    assert settle_period(embedded_store, 2.5) == 2.5
    assert settle_period(None, 2.5) is None  # no store, no graph to settle


@pytest.mark.neo4j
def test_the_default_settle_period_of_neo4j_is_shorter(neo4j_store):
    # its settle writes a checkpoint, not the whole graph
    assert settle_period(neo4j_store, None) == SETTLE_SECONDS["neo4j"] == 5.0
