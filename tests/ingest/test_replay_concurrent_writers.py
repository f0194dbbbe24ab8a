"""Two writers projecting one journal at once count every event once (review S2, item 1).

The service's projector and a CLI ``graphsiem ingest`` into its data directory
each pick the events after the checkpoint, project them, and only then write:
by then the other may have written some of them.  Here the second writer picks
its range, then (at its first read of the pending events, through a journal
connection that lets the other writer run right then) the first writer projects
the journal up to some seq and more events are journaled; then the second one
writes.  No threads, no timing: the interleaving a busy service and an ingest
produce, made every time.

Each writer has its own store instance and journal connection, as two
processes have.  The graph must be the one a single projection makes, on the
embedded store (one data directory) and on Neo4j (one database).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from graphsiem.store.base import GraphStore
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from ingest.replay import project_pending

EVENTS = 40
FIRST_FILE = 28
"""Events journaled (and projected by the first writer) before the second writer reads."""


class _OtherWriterFirst(Journal):
    """A journal connection whose first read of pending events lets another writer run first."""

    def __init__(self, path: Path, meanwhile: Callable[[], None]) -> None:
        super().__init__(path)
        self._meanwhile: Callable[[], None] | None = meanwhile

    def iter_events(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self._meanwhile is not None:
            run, self._meanwhile = self._meanwhile, None
            run()
        return super().iter_events(*args, **kwargs)


def _write_inputs(directory: Path, events: int = EVENTS) -> tuple[Path, Path]:
    """Two NDJSON files of DNS lookups: hosts and domains repeat, so counts add up."""
    lines = [
        json.dumps({
            "@timestamp": f"2026-11-29T10:{j // 60:02d}:{j % 60:02d}Z", "host": {"name": f"ws-{j % 5}"},
            "event": {"category": "network", "action": "dns"},
            "dns": {"question": {"name": f"d-{j % 7}.example"}},
        })
        for j in range(events)
    ]
    first, second = directory / "first.ndjson", directory / "second.ndjson"
    first.write_text("\n".join(lines[:FIRST_FILE]) + "\n")
    second.write_text("\n".join(lines[FIRST_FILE:]) + "\n")
    return first, second


def _facts(store: GraphStore) -> tuple:
    entities = sorted((e.type, e.key, e.value, json.dumps(e.props, sort_keys=True)) for e in store.iter_entities())
    relations = sorted((r.src, r.type, r.dst, r.count, sorted(r.evidence), r.first_seen, r.last_seen)
                       for r in store.iter_relations())
    sightings = sorted((s.host, s.entity, s.count, s.first_seen, s.last_seen) for s in store.iter_sightings())
    return entities, relations, sightings


def _one_projection(tmp_path: Path, inputs: tuple[Path, Path], store: GraphStore, events: int = EVENTS) -> tuple:
    """The graph one writer makes of the whole journal (then the store is emptied again)."""
    with Journal(tmp_path / "reference" / "journal.sqlite") as journal:
        ingest_paths(inputs, store=None, journal=journal, progress=False)
        assert journal.last_seq() == events
        project_pending(journal, store)
    facts = _facts(store)
    assert any(count > 1 for *_, count, _, _ in facts[2])  # counts that a double write would change
    store.clear()
    store.flush()
    return facts


def _project_concurrently(
    data: Path, inputs: tuple[Path, Path], first_store: GraphStore, second_store: GraphStore,
    *, all_before: bool,
) -> None:
    """The second writer picks its range at checkpoint 0; the first projects meanwhile.

    ``all_before``: every event is journaled before the first writer projects
    (the second one's batches are all in the graph already), else the second
    file is journaled after (the mark falls inside one of its batches).
    """
    first_file, second_file = inputs
    with Journal(data / "journal.sqlite") as setup:
        ingest_paths([first_file, second_file] if all_before else [first_file],
                     store=None, journal=setup, progress=False)

    def first_writer() -> None:
        with Journal(data / "journal.sqlite") as journal:
            project_pending(journal, first_store)
            if not all_before:
                ingest_paths([second_file], store=None, journal=journal, progress=False)

    with _OtherWriterFirst(data / "journal.sqlite", first_writer) as journal:
        project_pending(journal, second_store, batch_size=8)
        assert journal.checkpoint() == journal.last_seq() == EVENTS


@pytest.mark.parametrize("all_before", [True, False], ids=["batches-all-written", "mark-inside-a-batch"])
def test_two_embedded_writers_of_one_data_dir_count_once(tmp_path, all_before):
    inputs = _write_inputs(tmp_path)
    reference = EmbeddedStore(tmp_path / "reference" / "graph")
    try:
        once = _one_projection(tmp_path, inputs, reference)
    finally:
        reference.close()
    data = tmp_path / "data"
    data.mkdir()
    first, second = EmbeddedStore(data / "graph"), EmbeddedStore(data / "graph")
    try:
        _project_concurrently(data, inputs, first, second, all_before=all_before)
    finally:
        first.close()
        second.close()
    restarted = EmbeddedStore(data / "graph")  # what the next process (or a restart) loads
    try:
        assert _facts(restarted) == once
        assert restarted.projection_mark() == EVENTS
    finally:
        restarted.close()


@pytest.mark.neo4j
@pytest.mark.parametrize("all_before", [True, False], ids=["batches-all-written", "mark-inside-a-batch"])
def test_two_neo4j_writers_of_one_journal_count_once(tmp_path, neo4j_store, neo4j_server, all_before):
    inputs = _write_inputs(tmp_path)
    once = _one_projection(tmp_path, inputs, neo4j_store)
    data = tmp_path / "data"
    data.mkdir()
    other = neo4j_server.connect()  # a second client of the database, as a second process is
    try:
        _project_concurrently(data, inputs, other, neo4j_store, all_before=all_before)
    finally:
        other.close()
    assert _facts(neo4j_store) == once
    with Journal(data / "journal.sqlite") as journal:
        assert neo4j_store.batch_mark(journal.identity) == EVENTS


RACED = 1500
"""Events two writers on two threads race to project, in batches of different sizes."""


def _race(data: Path, stores: tuple[GraphStore, GraphStore]) -> None:
    """Both writers project the journal at once, each with its own journal connection and store instance."""
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def writer(store: GraphStore, batch_size: int) -> None:
        try:
            with Journal(data / "journal.sqlite") as journal:
                start.wait()
                project_pending(journal, store, batch_size=batch_size)
                store.flush()
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(store, size)) for store, size in zip(stores, (40, 55), strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures


@pytest.mark.parametrize("kind", ["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def test_two_writers_racing_on_threads_count_once(tmp_path, kind, request):
    inputs = _write_inputs(tmp_path, RACED)
    data = tmp_path / "data"
    with Journal(data / "journal.sqlite") as setup:
        ingest_paths(inputs, store=None, journal=setup, progress=False)
    if kind == "embedded":
        reference = EmbeddedStore(tmp_path / "reference" / "graph")
        try:
            once = _one_projection(tmp_path, inputs, reference, RACED)
        finally:
            reference.close()
        stores: tuple[GraphStore, GraphStore] = (EmbeddedStore(data / "graph"), EmbeddedStore(data / "graph"))
    else:
        once = _one_projection(tmp_path, inputs, request.getfixturevalue("neo4j_store"), RACED)
        stores = (request.getfixturevalue("neo4j_store"), request.getfixturevalue("neo4j_server").connect())
    try:
        _race(data, stores)
    finally:
        stores[1].close()
        if kind == "embedded":
            stores[0].close()
    if kind == "embedded":
        with closing(EmbeddedStore(data / "graph")) as graph:  # what the next process loads
            assert _facts(graph) == once
    else:
        assert _facts(stores[0]) == once
