"""SIGINT and SIGTERM during ``graphsiem ingest``: what was read is journaled, the report says interrupted.

The command runs as a child process (``python -m graphsiem ingest``) fed by a
real pipe or a real file, and is sent real signals; the journal is read with
:class:`ingest.journal.Journal`.  A child that holds every byte written to its
pipe (the pipe has none left unread) parses each whole line before it reads
again, and a stop takes effect only at a read or a batch's commit: so the
records it must journal are known exactly, without timing assumptions.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from graphsiem.store import open_store
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from tests.ingest.stdin_sources import mixed_formats_ndjson
from tests.ingest.test_pipeline_stores import graph_facts
from tests.ingest.test_stdin_live import DEADLINE, unread_bytes, wait_for

REPO = Path(__file__).resolve().parents[3]
STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143}


def _start(data_dir: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "graphsiem", "ingest", *args, "--data", str(data_dir), "--no-progress"],
        cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def _journal_counts(data_dir: Path) -> dict[str, int]:
    path = data_dir / "journal.sqlite"
    if not path.exists():
        return {"events": 0, "rejected": 0}
    with Journal(path) as journal:
        return journal.counts()


def _ids(data_dir: Path) -> list[str]:
    with Journal(data_dir / "journal.sqlite") as journal:
        return [item.event.id for item in journal.iter_events()]


def _feed_and_hold(child: subprocess.Popen[bytes], data: bytes) -> None:
    """Write ``data`` to the child's pipe, left open, until the child has read all of it."""
    assert child.stdin is not None
    child.stdin.write(data)
    child.stdin.flush()
    wait_for(lambda: unread_bytes(child.stdin.fileno()) == 0, "the child reading the pipe")


def _interrupt(child: subprocess.Popen[bytes], signum: int, before: Callable[[], None]) -> tuple[bytes, bytes]:
    """Run ``before`` (feed the child, wait for it), send ``signum``: the child's output, once it
    has exited with the status that signal gives and without a traceback."""
    try:
        before()
        child.send_signal(signum)
        out, err = child.communicate(timeout=DEADLINE)
    finally:
        child.kill()
    assert b"Traceback" not in err, err.decode()
    assert child.returncode == STATUS[signum]
    return out, err


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_mid_stream_journals_the_batch_read_so_far(tmp_path, signum):
    records = mixed_formats_ndjson()
    lines = len(records.splitlines())
    # no clock flush within the test: the records read are held in the batch, unjournaled
    child = _start(tmp_path, "-", "--json", "--flush-seconds", "60")

    def held() -> None:
        _feed_and_hold(child, records)
        assert _journal_counts(tmp_path)["events"] == 0

    out, err = _interrupt(child, signum, held)
    assert f"{signum.name}: stopping".encode() in err
    report = json.loads(out)
    assert report["interrupted"] is True
    assert report["received"] == report["accepted"] + report["rejected"] == lines
    assert report["accepted"] == report["events"] == lines
    assert _journal_counts(tmp_path)["events"] == lines


def test_a_signal_after_clock_flushes_keeps_them_and_journals_the_rest(tmp_path):
    records = mixed_formats_ndjson().splitlines(keepends=True)
    first, rest = b"".join(records[:10]), b"".join(records[10:])
    child = _start(tmp_path, "-", "--flush-seconds", "0.1")

    def journaled_then_held() -> None:
        _feed_and_hold(child, first)
        wait_for(lambda: _journal_counts(tmp_path)["events"] == 10, "the first records journaled by the clock")
        _feed_and_hold(child, rest)

    out, _ = _interrupt(child, signal.SIGINT, journaled_then_held)
    text = out.decode()
    assert "interrupted by SIGINT" in text
    total = text.splitlines()[[line.split()[:1] for line in text.splitlines()].index(["total"])]
    assert total.split()[1:4] == [str(len(records)), str(len(records)), "0"]  # received, accepted, rejected
    assert _journal_counts(tmp_path)["events"] == len(records)


def _zeek_conn_lines(count: int) -> bytes:
    """``count`` distinct Zeek ``conn`` records (JSON lines), enough for several batches."""
    template = (
        '{{"_path":"conn","ts":"2026-03-01T10:{m:02d}:{s:02d}.{n:06d}Z","uid":"C{n}","id.orig_h":"10.20.{a}.{b}",'
        '"id.orig_p":{p},"id.resp_h":"198.51.100.77","id.resp_p":443,"proto":"tcp","service":"ssl"}}\n'
    )
    return "".join(
        template.format(m=n // 60 % 60, s=n % 60, n=n, a=n // 250 % 250, b=n % 250 + 1, p=1024 + n % 60000)
        for n in range(count)
    ).encode()


@pytest.fixture
def big_file(tmp_path):
    path = tmp_path / "conn.json"
    # ~5 CPU-seconds of ingest: the signal, sent once the first batch is journaled, must
    # meet the child part-way even when this process is starved for a while on a loaded machine.
    path.write_bytes(_zeek_conn_lines(200_000))
    yield path
    path.unlink()


def test_a_signal_during_a_file_ingest_keeps_every_batch_committed(tmp_path, big_file):
    child = _start(tmp_path / "data", str(big_file), "--json")
    out, _ = _interrupt(
        child, signal.SIGINT,
        lambda: wait_for(lambda: _journal_counts(tmp_path / "data")["events"] > 0, "a first batch journaled"),
    )
    report = json.loads(out)
    assert report["interrupted"] is True
    assert report["received"] == report["accepted"] + report["rejected"]
    assert 0 < report["accepted"] < 200_000  # stopped part-way, not at the end
    ids = _ids(tmp_path / "data")
    assert len(ids) == report["events"] == report["accepted"]


def test_a_second_sigint_while_the_last_batch_commits_quits_and_an_ingest_again_completes_it(tmp_path):
    records = _zeek_conn_lines(4_999)  # one batch, held unjournaled until the stop commits it
    data = tmp_path / "data"
    child = _start(data, "-", "--json", "--flush-seconds", "60")
    try:
        _feed_and_hold(child, records)
        time.sleep(0.5)  # time to parse what it holds: the second signal then meets the last commit
        child.send_signal(signal.SIGINT)
        assert child.stderr is not None
        assert b"SIGINT: stopping" in child.stderr.readline()
        child.send_signal(signal.SIGINT)  # at once: while the batch commits or projects (or after)
        out, err = child.communicate(timeout=DEADLINE)
    finally:
        child.kill()
    assert b"Traceback" not in err, err.decode()
    assert child.returncode == 130
    kept = _journal_counts(data)["events"]
    assert kept in (0, 4_999)  # the batch is one transaction: all of it or none
    if out:  # the second signal came after the report
        assert json.loads(out)["accepted"] == kept
    with sqlite3.connect(data / "journal.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    # the same records again (as a file: ids come from the bytes, not the source)
    as_file = tmp_path / "conn.json"
    as_file.write_bytes(records)
    again = _start(data, str(as_file), "--json")
    out, err = again.communicate(timeout=DEADLINE)
    assert again.returncode == 0, err.decode()
    report = json.loads(out)
    assert (report["received"], report["accepted"], report["duplicates"]) == (4_999, 4_999, kept)
    assert report["events"] == 4_999 - kept and report["projected"]["errors"] == 0
    ids = _ids(data)
    assert len(ids) == len(set(ids)) == 4_999
    # the graph is the one a single uninterrupted ingest makes
    reference = open_store("embedded", data_dir=tmp_path / "clean")
    store = open_store("embedded", data_dir=data)
    try:
        with Journal(tmp_path / "clean" / "journal.sqlite") as journal:
            ingest_paths([as_file], store=reference, journal=journal, progress=False)
        assert graph_facts(store) == graph_facts(reference)
    finally:
        store.close()
        reference.close()


_COMMIT_THEN_HANG = """
import sys, time
from graphsiem.model import Event
from graphsiem.store import open_store
from ingest.journal import Journal
from ingest.pipeline import ingest_paths

def events(first, count):
    return [Event(kind="test:event", ts=1.7e9 + n, host="ws-1", fields={"n": n}, origin=f"t:{n}", source="test",
                  id=f"id-{n}") for n in range(first, first + count)]

with Journal(sys.argv[1]) as journal:
    journal.append(events(0, 100))

    def hang(new):
        print("inside the transaction", flush=True)
        time.sleep(60)

    journal.append(events(100, 100), rejections=[("t:x", "test", "bad", "{}")], before_commit=hang)
"""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_a_batch_cut_off_inside_its_transaction_is_not_in_the_journal_after_a_restart(tmp_path, signum):
    """A second Ctrl-C (KeyboardInterrupt: ROLLBACK), or a kill (no rollback: SQLite's hot journal
    is rolled back when the journal is opened again), during a batch's commit."""
    path = tmp_path / "journal.sqlite"
    child = subprocess.Popen(
        [sys.executable, "-c", _COMMIT_THEN_HANG, str(path)], cwd=REPO, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == b"inside the transaction\n"
        child.send_signal(signum)
        child.communicate(timeout=DEADLINE)
    finally:
        child.kill()
    assert child.returncode != 0
    with Journal(path) as journal:
        assert journal.counts() == {"events": 100, "rejected": 0, "projected_seq": 0, "last_seq": 100}
        assert journal.connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        # the batch, given again, is new: nothing of it was committed
        from graphsiem.model import Event

        again = [
            Event(kind="test:event", ts=1.7e9 + n, host="ws-1", fields={"n": n}, origin=f"t:{n}", source="test",
                  id=f"id-{n}")
            for n in range(100, 200)
        ]
        assert len(journal.append(again)) == 100
        assert journal.counts()["events"] == 200


def test_a_stop_inside_a_record_of_parts_takes_every_part_of_it_and_no_record_after(tmp_path):
    """An Elasticsearch response of 23 hits, batches of 5, a stop requested at its third hit: the
    batch commit at the sixth must not end the reading half-way through the record already read."""
    from ingest.parsers.base import ParseContext, ParserRegistry
    from ingest.parsers.elasticsearch import ElasticsearchExportParser
    from ingest.pipeline import StopRequest
    from ingest.registry import DEFAULT_MODULES
    from tests.ingest.parsers.test_elasticsearch_export import ZEEK, response, zeek_hits

    class StopAtThirdHit(ElasticsearchExportParser):
        """The real parser, which asks to stop (as a signal handler would) when it parses hit 3."""

        def __init__(self, registry: ParserRegistry, stop: StopRequest) -> None:
            super().__init__(registry)
            self.stop = stop

        def parse(self, record, context: ParseContext):
            if context.origin.endswith("#hit-3"):
                self.stop.set()
            return super().parse(record, context)

    path = tmp_path / "export.ndjson"
    after = {**ZEEK, "uid": "after"}
    path.write_bytes(json.dumps(response(*zeek_hits(23))).encode() + b"\n" + json.dumps(after).encode() + b"\n")
    with StopRequest() as stop, Journal(tmp_path / "journal.sqlite") as journal:
        registry = ParserRegistry()
        registry.register(StopAtThirdHit(registry, stop))
        for module in DEFAULT_MODULES:
            for parser in module.parsers():
                registry.register(parser)
        report = ingest_paths([path], store=None, journal=journal, registry=registry, batch_size=5, progress=False,
                              stop=stop)
        origins = [item.event.origin for item in journal.iter_events()]
    assert report.total.received == report.total.accepted == 23
    assert origins == [f"{path}:1#hit-{n}" for n in range(1, 24)]


def _has_mapped(pid: int, library: str) -> bool:
    try:
        with open(f"/proc/{pid}/maps", encoding="utf-8", errors="replace") as maps:
            return library in maps.read()
    except OSError:  # the child has gone
        return True


def test_sigint_during_start_up_exits_130_with_one_line_and_no_traceback(tmp_path):
    # the EVTX extension is loaded by the import of ingest_cmd's readers, well before the
    # signal handlers are set: a SIGINT then meets Python's KeyboardInterrupt
    child = _start(tmp_path, "-")
    try:
        wait_for(lambda: _has_mapped(child.pid, "evtx/_native"), "the child importing the readers")
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=DEADLINE)
    finally:
        child.kill()
    assert b"Traceback" not in err, err.decode()
    assert child.returncode == 130
    assert len(err.decode().strip().splitlines()) == 1, err.decode()
