"""A Neo4j graph half-emptied by a version from before the ``clearing`` flag is refused, not counted twice
(task G5, after F28's flag).

Since F28 an emptying flags the projection mark ``clearing`` until its last delete batch.  An older
version killed mid-emptying left no flag: the mark at 0 (a rebuild's claim) or none (a plain
emptying) over the rest of the old graph, and the next ingest projected from 0 over it: every
sighting counted twice, exit 0.  Here the older version is the real ``graphsiem rebuild`` with the
flag taken off right after its claim (as the claim was before F28), in a child SIGKILLed between two
delete batches, against the test server; then the ingest must refuse, and a rebuild put it right.
"""

from __future__ import annotations

import textwrap

import pytest

from graphsiem.cli import main
from graphsiem.model import Entity, Event, Projection, Relation, Sighting
from graphsiem.store.neo4j_clearing import GraphNotMarked
from ingest.journal import Journal
from ingest.store_binding import bind
from tests.graphsiem.store.test_neo4j_interrupted_rebuild import (
    KILLABLE_REBUILD,
    _ingest,
    _sightings,
    ingested_twice,
    kill_rebuild_mid_delete,
)

pytestmark = pytest.mark.neo4j

# The rebuild as a version before the flag ran it: the claim's flag removed at once (as the claim
# was before F28), under the interrupted-rebuild test's wrapper (3-row deletes, a marker after the
# second delete batch, then a wait to be killed).
OLD_KILLABLE_REBUILD = textwrap.dedent("""
    from graphsiem.store.neo4j_connection import Neo4jConnection
    from graphsiem.store import neo4j_queries as q
    claim_real = Neo4jConnection._read_write
    def without_flag(self, query, **params):
        records = claim_real(self, query, **params)
        if query == q.PROJECTION_MARK_CLAIM:
            claim_real(self, "MATCH (m:GraphsiemMeta {name: 'projection'}) REMOVE m.clearing")
        return records
    Neo4jConnection._read_write = without_flag
""") + KILLABLE_REBUILD


def test_an_ingest_over_a_graph_an_older_rebuild_half_emptied_is_refused_and_rebuild_puts_it_right(
    tmp_path, neo4j_server, neo4j_store, monkeypatch, capsys
):
    data, expected = ingested_twice(tmp_path, neo4j_server, neo4j_store, monkeypatch)

    kill_rebuild_mid_delete(OLD_KILLABLE_REBUILD, data, neo4j_server)
    left = _sightings(neo4j_store)
    assert left and not neo4j_store._read(  # no flag: what an older version left
        "MATCH (m:GraphsiemMeta {name: 'projection'}) WHERE m.clearing RETURN m")
    capsys.readouterr()

    status = _ingest(data, "--store", "neo4j")  # nothing new in the input

    err = capsys.readouterr().err
    assert status != 0
    assert "projection mark says none were projected" in err and "graphsiem rebuild --store neo4j" in err
    assert _sightings(neo4j_store) == left  # nothing written over it: no count doubled

    assert main(["rebuild", "--store", "neo4j", "--data", str(data)]) == 0, capsys.readouterr().err
    assert _sightings(neo4j_store) == expected


HOST, DOMAIN = Entity("host", "ws-1", "ws-1"), Entity("domain", "a.example", "a.example")
BATCH = Projection(entities=[HOST, DOMAIN], relations=[], sightings=[Sighting("ws-1", DOMAIN.ref, 1.0, 2.0)])


def test_no_mark_over_sightings_is_refused_too(neo4j_store):
    # what a plain emptying (clear) of an older version left: the mark deleted first, the graph in part
    assert neo4j_store.apply_batch(BATCH, 5, "journal-a", first=1)
    neo4j_store._read_write("MATCH (m:GraphsiemMeta {name: 'projection'}) DELETE m")

    with pytest.raises(GraphNotMarked, match="graphsiem rebuild"):
        neo4j_store.batch_mark("journal-a")
    assert [s.count for s in neo4j_store.iter_sightings()] == [1]


def test_entities_without_relations_under_no_mark_are_projected_as_before(neo4j_store):
    # a first batch cut off after its entity transaction: entities merge again, nothing counts twice
    neo4j_store.upsert_entities([HOST, DOMAIN])

    assert neo4j_store.batch_mark("journal-a") is None
    assert neo4j_store.apply_batch(BATCH, 5, "journal-a", first=1)
    assert neo4j_store.batch_mark("journal-a") == 5


def test_another_journals_graph_is_left_to_the_owner_check(neo4j_store):
    neo4j_store.apply_batch(
        Projection(entities=[HOST, DOMAIN], relations=[Relation(HOST.ref, "RESOLVED", DOMAIN.ref, 1.0, 2.0, 1, ["e"])],
                   sightings=[]), 5, "journal-a", first=1)

    assert neo4j_store.batch_mark("journal-b") is None  # not this journal's mark: bind names the holder


def test_a_journal_with_no_event_binds_to_an_unmarked_graph_and_its_first_event_is_refused(tmp_path, neo4j_store):
    # a graph written by other means (a notebook, a test fleet) explored from an empty data directory:
    # projecting nothing counts nothing twice; the journal's first event would, and is refused
    neo4j_store.apply_batch(BATCH, 5, "journal-a", first=1)
    neo4j_store._read_write("MATCH (m:GraphsiemMeta {name: 'projection'}) DELETE m")
    with Journal(tmp_path / "journal.sqlite") as journal:
        assert bind(journal, neo4j_store, tmp_path) == 0

        journal.append([Event("e-1", "sysmon:process_create", 1.0, "ws-1", "test", {"event.code": "1"})])
        with pytest.raises(GraphNotMarked, match="graphsiem rebuild"):
            bind(journal, neo4j_store, tmp_path)
    assert [s.count for s in neo4j_store.iter_sightings()] == [1]
