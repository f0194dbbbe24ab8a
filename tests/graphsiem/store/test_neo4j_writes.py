"""The Neo4j store's writes (:mod:`graphsiem.store.neo4j_writes`): nodes, races, remembered endpoints."""

from __future__ import annotations

import threading
import time

import pytest

from graphsiem.model import Entity, Relation, Sighting

pytestmark = pytest.mark.neo4j


def _nodes_per_key(store, label):
    records, _, _ = store._driver.execute_query(
        f"MATCH (n:{label}) RETURN n.key AS key, count(*) AS n", database_=store.database)
    return {r["key"]: r["n"] for r in records}


def test_two_stores_creating_the_same_new_nodes_at_once_make_one_node_each(neo4j_store, neo4j_server):
    others = [neo4j_server.connect() for _ in range(2)]
    start = threading.Barrier(2)
    errors = []

    def write(store, tag):
        try:
            start.wait()
            for round_ in range(5):  # fresh nodes each round, so every round can race
                store.upsert_relations([
                    Relation(("host", f"ws-{round_}-{i % 50}"), "RAN", ("process", f"p-{round_}-{i}"),
                             1.0, 2.0, 1, [f"{tag}-{round_}-{i}"])
                    for i in range(500)])
        except Exception as exc:  # surfaced below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(s, tag)) for s, tag in zip(others, "ab", strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for other in others:
        other.close()

    assert errors == []
    hosts, processes = _nodes_per_key(neo4j_store, "Host"), _nodes_per_key(neo4j_store, "Process")
    assert (len(hosts), len(processes)) == (250, 2500)
    assert set(hosts.values()) == set(processes.values()) == {1}
    assert {r.count for r in neo4j_store.iter_relations("RAN")} == {2}


def test_a_node_another_transaction_is_creating_is_waited_for_and_reused(neo4j_store, neo4j_server):
    # Another client creates ws-1 in an open transaction: the store's lock-free
    # lookup does not see it, so the store's CREATE waits on the key constraint,
    # fails when the other commits, and the store redoes its write with MERGE.
    other = neo4j_server.connect()
    session = other._driver.session(database=other.database)
    tx = session.begin_transaction()
    tx.run("CREATE (:Host:Entity {key: 'ws-1', uid: 'host:ws-1', type: 'host', value: 'other'})")
    began = time.monotonic()  # before the timer: a stall between the two lines must not shorten the wait measured
    threading.Timer(1.0, tx.commit).start()
    try:
        neo4j_store.upsert_relations([Relation(("host", "ws-1"), "RAN", ("process", "p1"), 1.0, 2.0, 1, ["e1"])])
    finally:
        time.sleep(0.1)
        session.close()
        other.close()

    assert time.monotonic() - began >= 1.0  # it did wait for the other transaction
    assert _nodes_per_key(neo4j_store, "Host") == {"ws-1": 1}
    assert neo4j_store.get_entity("host", "ws-1").value == "other"
    (relation,) = neo4j_store.iter_relations("RAN")
    assert relation.src == ("host", "ws-1")


def test_nodes_carry_entity_and_type_labels_and_identity_properties(neo4j_store):
    neo4j_store.upsert_entities([Entity("domain", "evil.example", "Evil.Example", {"rd": "x"})])

    records, _, _ = neo4j_store._driver.execute_query(
        "MATCH (n:Entity:Domain {key: $key}) RETURN labels(n) AS labels, properties(n) AS p",
        {"key": "evil.example"}, database_=neo4j_store.database)

    assert sorted(records[0]["labels"]) == ["Domain", "Entity"]
    # plus the search copy of the value; none of the key, which lowers to the same
    assert records[0]["p"] == {"uid": "domain:evil.example", "key": "evil.example",
                               "type": "domain", "value": "Evil.Example", "rd": "x",
                               "_search_value": "evil.example"}


def test_nodes_deleted_behind_the_store_are_recreated(neo4j_store, neo4j_server):
    ran = Relation(("host", "ws-1"), "RAN", ("process", "p1"), 1.0, 2.0, 2, ["e1"])
    neo4j_store.upsert_relations([ran])  # the store now remembers both endpoints
    other = neo4j_server.connect()
    other.clear()  # ...which another client deletes
    other.close()

    neo4j_store.upsert_relations([ran])
    neo4j_store.upsert_sightings([Sighting("ws-1", ("process", "p1"), 1.0, 2.0)])

    (relation,) = neo4j_store.iter_relations("RAN")
    assert (relation.count, relation.evidence) == (2, ["e1"])
    assert neo4j_store.host_prevalence([("process", "p1")]) == {("process", "p1"): 1}


def test_a_remembered_node_id_now_held_by_another_node_is_not_used(neo4j_store):
    # Neo4j reuses the ids of deleted nodes.  Simulate another client deleting
    # ws-1 and a new node ws-2 getting its id: the store's memory of ws-1 now
    # points at ws-2, and the write must still land on ws-1.
    neo4j_store.upsert_relations([Relation(("host", "ws-1"), "RAN", ("process", "p1"), 1.0, 2.0, 1, ["e1"])])
    neo4j_store.upsert_entities([Entity("host", "ws-2", "ws-2")])
    neo4j_store._known_nodes[("host", "ws-1")] = neo4j_store._known_nodes[("host", "ws-2")]

    neo4j_store.upsert_relations([Relation(("host", "ws-1"), "RAN", ("process", "p2"), 3.0, 4.0, 1, ["e2"])])

    assert sorted((r.src, r.dst) for r in neo4j_store.iter_relations("RAN")) == [
        (("host", "ws-1"), ("process", "p1")), (("host", "ws-1"), ("process", "p2"))]
