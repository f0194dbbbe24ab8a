"""``graphsiem rebuild --take-over`` while the old owner's projection is mid catch-up (task F15, gap 2).

The old owner's store was bound to the database at its start; its catch-up
writes batch after batch.  A take-over by another data directory between two
of them used to be noticed only at the old owner's *next* catch-up: its next
batch's mark advance took the mark back (``CASE WHEN m.journal = $journal ...
ELSE 0``) and wrote into the new owner's graph.  Now the batch is refused
where it is written, naming both journals, and the new owner's graph is
exactly its own.  Real commands against the test Neo4j server; the take-over
runs from the catch-up's own progress callback, i.e. between two batches.
"""

from __future__ import annotations

import pytest

from graphsiem.cli import main
from graphsiem.store import StoreError, open_store
from graphsiem.store.neo4j_writes import ProjectionMarkTaken
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from ingest.replay import project_pending
from tests.ingest.test_store_binding import FILES, _ingest, _stats, neo4j_env  # noqa: F401 - a fixture

pytestmark = [pytest.mark.neo4j, pytest.mark.usefixtures("neo4j_env")]  # the server in the environment

BATCH = 1
"""Events per batch of the old owner's catch-up: one, so the pending events make several batches."""


def test_a_take_over_between_two_batches_refuses_the_old_owners_next_batch(tmp_path, fixtures, capsys, neo4j_store):
    old, new = tmp_path / "old", tmp_path / "new"
    assert _ingest(capsys, old, fixtures / FILES[0], store="neo4j")[0] == 0
    assert _ingest(capsys, new, fixtures / FILES[1])[0] == 0  # embedded, to be moved
    expected = _stats(capsys, new)[1]
    with Journal(old / "journal.sqlite") as journal:
        ingest_paths([fixtures / FILES[1]], store=None, journal=journal, progress=False)  # pending
        old_identity = journal.identity
        pending = journal.last_seq() - journal.checkpoint()
    assert pending >= 2 * BATCH  # the catch-up below has batches left after the take-over
    with Journal(new / "journal.sqlite") as journal:
        new_identity = journal.identity

    store = open_store("neo4j", data_dir=old)  # the old owner's service: bound at its start
    taken: list[int] = []

    def take_over_once(events: int) -> None:
        if not taken:
            taken.append(main(["rebuild", "--store", "neo4j", "--data", str(new), "--take-over"]))

    try:
        with Journal(old / "journal.sqlite") as journal:
            before = journal.checkpoint()
            with pytest.raises(StoreError) as refused:
                project_pending(journal, store, batch_size=BATCH, progress=take_over_once)
            checkpoint = journal.checkpoint()
    finally:
        store.close()
    capsys.readouterr()

    assert taken == [0]
    assert isinstance(refused.value, ProjectionMarkTaken)
    message = str(refused.value)
    assert old_identity in message and new_identity in message and "--take-over" in message, message
    assert checkpoint == before  # the old journal does not believe its batches reached a graph
    # the new owner's graph is its journal's alone: nothing of the old owner's batches in it
    assert _stats(capsys, new, "neo4j")[1] == expected
    state = neo4j_store.owner_state()
    assert state.mark_journal == new_identity and state.owner is not None and state.owner.journal == new_identity


def test_the_old_owners_next_catch_up_is_refused_at_its_binding(tmp_path, fixtures, capsys):
    # what held before and still does: once taken over, the old directory's projection is refused up front
    old, new = tmp_path / "old", tmp_path / "new"
    assert _ingest(capsys, old, fixtures / FILES[0], store="neo4j")[0] == 0
    assert _ingest(capsys, new, fixtures / FILES[1])[0] == 0
    assert main(["rebuild", "--store", "neo4j", "--data", str(new), "--take-over"]) == 0
    capsys.readouterr()
    status, _, err = _ingest(capsys, old, fixtures / FILES[1], store="neo4j")
    assert status == 2 and f"holds the graph of {new}" in err
