"""The projection mark belongs to one journal: another journal's batch is refused, not a take-over (task F15, gap 2).

Against the test Neo4j server, two :class:`Neo4jStore` clients of one
database standing for two data directories' writers.  ``PROJECTION_MARK_ADVANCE``
used to move a mark held by another journal to the writer's own (``ELSE 0``),
so a writer whose database had been taken over wrote its next batch into the
new owner's graph.  The first projection into an empty database still makes
the mark, and a rebuild's explicit claim (:meth:`Neo4jWrites.empty_for`)
still moves it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from graphsiem.model import Entity, Projection, Relation, Sighting
from graphsiem.store.neo4j_store import Neo4jStore
from graphsiem.store.neo4j_writes import ProjectionMarkTaken

pytestmark = pytest.mark.neo4j

OLD, NEW = "journal-old", "journal-new"


def _batch(tag: str) -> Projection:
    host = Entity("host", f"ws-{tag}", f"ws-{tag}")
    domain = Entity("domain", f"{tag}.example", f"{tag}.example")
    return Projection(
        entities=[host, domain],
        relations=[Relation(host.ref, "RESOLVED", domain.ref, 1.0, 2.0, 1, [f"e-{tag}"])],
        sightings=[Sighting(host.key, domain.ref, 1.0, 2.0)],
    )


@pytest.fixture
def other_writer(neo4j_server, neo4j_store) -> Iterator[Neo4jStore]:
    """A second client of the (emptied) test database: another data directory's writer."""
    store = neo4j_server.connect()
    yield store
    store.close()


def _hosts(store: Neo4jStore) -> set[str]:
    return {entity.key for entity in store.iter_entities("host")}


def test_the_first_projection_into_an_empty_database_makes_the_mark(neo4j_store):
    assert neo4j_store.batch_mark(OLD) is None
    assert neo4j_store.apply_batch(_batch("a"), 5, OLD, first=1)
    assert neo4j_store.batch_mark(OLD) == 5
    assert neo4j_store.apply_batch(_batch("b"), 9, OLD, first=6)
    assert neo4j_store.batch_mark(OLD) == 9


def test_a_batch_of_a_journal_that_does_not_hold_the_mark_is_refused_and_written_nowhere(neo4j_store, other_writer):
    assert neo4j_store.apply_batch(_batch("old-1"), 5, OLD, first=1)
    # the database emptied and projected from another journal (as a take-over does), the old
    # writer's store still open: its next batch must not take the mark back
    other_writer.clear()
    assert other_writer.apply_batch(_batch("new-1"), 3, NEW, first=1)

    with pytest.raises(ProjectionMarkTaken) as refused:
        neo4j_store.apply_batch(_batch("old-2"), 10, OLD, first=6)

    message = str(refused.value)
    assert f"journal {NEW}, not of journal {OLD}" in message and "6..10" in message, message
    assert _hosts(other_writer) == {"ws-new-1"}  # nothing of the refused batch, entities included
    assert other_writer.batch_mark(NEW) == 3 and other_writer.batch_mark(OLD) is None
    # the new owner goes on as before
    assert other_writer.apply_batch(_batch("new-2"), 7, NEW, first=4)
    assert other_writer.batch_mark(NEW) == 7


def test_an_entity_only_batch_of_another_journal_is_refused_too(neo4j_store, other_writer):
    other_writer.apply_batch(_batch("new-1"), 3, NEW, first=1)
    lone = Projection(entities=[Entity("host", "ws-lone", "ws-lone")])
    with pytest.raises(ProjectionMarkTaken):
        neo4j_store.apply_batch(lone, 4, OLD, first=4)
    assert _hosts(other_writer) == {"ws-new-1"}


def test_a_rebuilds_claim_moves_the_mark_and_empties_the_graph(neo4j_store, other_writer):
    assert neo4j_store.apply_batch(_batch("old-1"), 5, OLD, first=1)
    neo4j_store.claim_graph(OLD, "/data/old")

    assert other_writer.empty_for(NEW) == OLD

    state = other_writer.owner_state()
    assert (state.mark_journal, state.mark_seq, state.owner) == (NEW, 0, None)  # the next binding claims it
    assert _hosts(other_writer) == set()
    with pytest.raises(ProjectionMarkTaken):  # the old writer is refused from the claim on
        neo4j_store.apply_batch(_batch("old-2"), 10, OLD, first=6)
    assert other_writer.apply_batch(_batch("new-1"), 4, NEW, first=1)
    assert _hosts(other_writer) == {"ws-new-1"} and other_writer.batch_mark(NEW) == 4
