"""Neo4j projection is exactly once: each batch and its projection mark commit together.

Sightings (and relations past their evidence cap) add counts, so a batch
written twice counts twice.  These tests run against the real Neo4j server
of the test session.
"""

from __future__ import annotations

import pytest

from graphsiem.model import Entity, Projection, Relation, Sighting
from graphsiem.store.neo4j_writes import ProjectionMarkTaken
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from ingest.replay import project_pending


def _batch(host: str = "ws-1") -> Projection:
    return Projection(
        entities=[Entity("host", host, host), Entity("domain", "rare.example", "rare.example")],
        relations=[Relation(("host", host), "RESOLVED", ("domain", "rare.example"), 1.0, 2.0, 2, ["e1", "e2"])],
        sightings=[Sighting(host, ("domain", "rare.example"), 1.0, 2.0, 3)],
    )


def _facts(store) -> tuple:
    relations = sorted((r.src, r.type, r.dst, r.count, sorted(r.evidence)) for r in store.iter_relations())
    sightings = sorted((s.host, s.entity, s.count) for s in store.iter_sightings())
    return relations, sightings


def test_a_batch_written_again_is_skipped(neo4j_store):
    assert neo4j_store.apply_batch(_batch(), 10, "journal-a") is True
    once = _facts(neo4j_store)
    assert once[1] == [("ws-1", ("domain", "rare.example"), 3)]

    assert neo4j_store.apply_batch(_batch(), 10, "journal-a") is False  # the same batch, retried
    assert neo4j_store.apply_batch(_batch(), 7, "journal-a") is False  # an older one
    assert _facts(neo4j_store) == once
    assert neo4j_store.batch_mark("journal-a") == 10


def test_marks_of_another_journal_are_not_compared(neo4j_store):
    neo4j_store.apply_batch(_batch(), 10, "journal-a")
    once = _facts(neo4j_store)
    # Seq 5 of another journal is another event, not one at or below journal-a's mark: it is not
    # skipped, and not written either while journal-a holds the database (task F15: no take-over
    # by a batch; the mark stays journal-a's)
    with pytest.raises(ProjectionMarkTaken, match="journal journal-a, not of journal journal-b"):
        neo4j_store.apply_batch(_batch(), 5, "journal-b")
    assert _facts(neo4j_store) == once and neo4j_store.batch_mark("journal-a") == 10
    # once a rebuild gives the database to journal-b, its seq 5 is written (10 is not compared with it)
    neo4j_store.empty_for("journal-b")
    assert neo4j_store.apply_batch(_batch(), 5, "journal-b") is True
    assert _facts(neo4j_store)[1] == [("ws-1", ("domain", "rare.example"), 3)]
    assert neo4j_store.batch_mark("journal-b") == 5
    assert neo4j_store.batch_mark("journal-a") is None


def test_a_failing_batch_writes_none_of_its_relations(neo4j_store):
    bad = _batch()
    # A lone surrogate cannot travel over Bolt: the sighting fails after the
    # relation's statement ran in the same transaction.
    bad.sightings.append(Sighting("ws-\ud800", ("domain", "rare.example"), 1.0, 1.0, 1))
    bad.entities = bad.entities[1:]  # the good host is created by the batch's own transaction
    with pytest.raises(ValueError, match="not valid Unicode"):
        neo4j_store.apply_batch(bad, 10, "journal-a")
    assert list(neo4j_store.iter_relations()) == []
    assert list(neo4j_store.iter_sightings()) == []
    assert neo4j_store.batch_mark("journal-a") is None


def test_catch_up_after_a_crash_before_the_checkpoint_counts_once(neo4j_store, fixtures, tmp_path):
    inputs = [fixtures / "ecs_events.ndjson", fixtures / "sensor", fixtures / "concatenated_pretty.json"]
    with Journal(tmp_path / "journal.sqlite") as journal:
        ingest_paths(inputs, store=neo4j_store, journal=journal, progress=False)
        projected = _facts(neo4j_store)
        assert any(count > 0 for *_, count in projected[1])
        last = journal.last_seq()
        assert neo4j_store.batch_mark(journal.identity) == last

        # The process died after Neo4j committed, before the journal's checkpoint
        # was written: the next catch-up starts from Neo4j's mark, not from 0.
        journal.set_checkpoint(0)
        summary = project_pending(journal, neo4j_store)
        assert summary.events == 0
        assert journal.checkpoint() == last
        assert _facts(neo4j_store) == projected


def test_replay_clears_the_mark_and_rebuilds_the_same_graph(neo4j_store, fixtures, tmp_path):
    inputs = [fixtures / "ecs_events.ndjson", fixtures / "sensor"]
    with Journal(tmp_path / "journal.sqlite") as journal:
        ingest_paths(inputs, store=neo4j_store, journal=journal, progress=False)
        projected = _facts(neo4j_store)
        summary = journal.replay(neo4j_store)
        assert summary.events == journal.last_seq()
        assert _facts(neo4j_store) == projected
