"""A live pipe settling into the embedded store leaves its write lock to other writers between settles.

The embedded store takes its write lock at its first write and keeps it until
its flush; other writers (the API's projector, another ingest) wait for it
``lock_timeout`` (30 s) at most.  A live stream that settles holds its batches
until the settle, and a settle that cannot take the lock is tried again at the
next one: the journal keeps the events meanwhile.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from graphsiem.model import Entity
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from tests.ingest.test_pipeline_settle import ENDPOINT, _journal_counts, _reference
from tests.ingest.test_pipeline_stores import graph_facts
from tests.ingest.test_stdin_live import DEADLINE, _lines, wait_for

OTHER = Entity("host", "other-writer", "other-writer")
"""What another writer adds to the store while the pipe is open."""
NAMED = b"".join(line + b"\n" for line in ENDPOINT.splitlines() if b'"host"' in line)
"""ECS process events each of a named host: before, such batches went into the store at once."""


def _ingest_in_thread(tmp_path: Path, stdin, store: EmbeddedStore, reports: list, **options) -> threading.Thread:
    def ingest() -> None:  # a journal is used by the thread that opened it
        with Journal(tmp_path / "journal.sqlite") as journal:
            reports.append(ingest_paths(["-"], store=store, journal=journal, stdin=stdin, progress=False,
                                        flush_seconds=0.05, **options))

    worker = threading.Thread(target=ingest)
    worker.start()
    return worker


def test_between_settles_another_writer_takes_the_lock_at_once(tmp_path):
    read_end, write_end = os.pipe()
    graph = tmp_path / "graph"
    store = EmbeddedStore(graph)
    reports: list = []
    with open(read_end, "rb") as stdin:
        worker = _ingest_in_thread(tmp_path, stdin, store, reports, settle_seconds=600)
        try:
            os.write(write_end, NAMED)
            wait_for(lambda: _journal_counts(tmp_path / "journal.sqlite")[0] == _lines(NAMED), "journaled")
            threading.Event().wait(0.5)  # the batch's projection follows its commit in the ingest's thread
            # endpoint batches were written into the store at once, taking its lock until the
            # next settle (600 s here, 60 s by default): this writer gave up after its timeout
            other = EmbeddedStore(graph, lock_timeout=2)
            other.upsert_entities([OTHER])
            other.close()
        finally:
            os.close(write_end)
            worker.join(DEADLINE)
    assert not worker.is_alive()
    (report,) = reports
    assert report.projected["events"] == report.total.events == _lines(NAMED) == 3
    # the ingest's graph builds on the other writer's: nothing of either is lost
    assert store.get_entity(*OTHER.ref) is not None
    facts = graph_facts(store)
    store.close()
    assert facts == _reference(tmp_path, "reference", NAMED)  # the other writer added an entity only


def test_a_settle_that_cannot_take_the_lock_is_tried_again_at_the_next(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="ingest.pipeline")
    read_end, write_end = os.pipe()
    graph = tmp_path / "graph"
    store = EmbeddedStore(graph, lock_timeout=0.3)
    holder = EmbeddedStore(graph)
    holder.upsert_entities([OTHER])  # holds the write lock until its flush
    reports: list = []
    with open(read_end, "rb") as stdin:
        worker = _ingest_in_thread(tmp_path, stdin, store, reports, settle_seconds=0.2)
        try:
            os.write(write_end, ENDPOINT)
            wait_for(lambda: _journal_counts(tmp_path / "journal.sqlite")[0] == _lines(ENDPOINT), "journaled")
            threading.Event().wait(1.5)  # several settles fail while the lock is held
            # the failed settles ended the ingest before: a live pipe died with StoreError
            assert worker.is_alive()
            holder.close()  # flushed: the lock is free
            reader = EmbeddedStore(graph)
            try:
                wait_for(lambda: reader.counts().get("entities", {}).get("host", 0) > 1, "a later settle")
            finally:
                reader.close()
        finally:
            os.close(write_end)
            worker.join(DEADLINE)
    (report,) = reports
    assert report.projected["events"] == report.total.events == _lines(ENDPOINT)
    assert report.graph_pending == 0
    assert store.get_entity(*OTHER.ref) is not None
    store.close()
    # one warning when the settles start failing and one when one is taken again, not one a settle
    messages = [record.getMessage() for record in caplog.records]
    assert sum("cannot take the graph" in message for message in messages) == 1, messages
    assert sum("takes the graph again" in message for message in messages) == 1, messages
