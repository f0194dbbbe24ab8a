"""One contract suite for every GraphStore: each test runs on [embedded] and [neo4j]."""

from __future__ import annotations

from collections.abc import Callable

import networkx as nx
import pytest

from graphsiem.evidence_keep import EVIDENCE_HEAD
from graphsiem.model import EVIDENCE_CAP, Entity, Relation, Sighting
from graphsiem.store.base import GraphStore
from graphsiem.store.embedded import EmbeddedStore


def rel(src, rel_type, dst, first, last, *evidence, count=None):
    """A relation between ``(type, key)`` endpoints with the given evidence ids."""
    return Relation(src, rel_type, dst, first, last,
                    len(evidence) if count is None else count, list(evidence))


HOST_A, HOST_B, HOST_C = ("host", "ws-a"), ("host", "ws-b"), ("host", "ws-c")
PS = ("process", "p-powershell")
CMD = ("process", "p-cmd")
DOMAIN = ("domain", "cdn-img-delivery.example")
IP = ("ip", "203.0.113.7")
SCRIPT = ("script", "s-1")


def small_graph() -> list[Relation]:
    """ws-a/ws-b RAN powershell; powershell RESOLVED a domain, CONNECTED an ip, SPAWNED cmd."""
    return [
        rel(HOST_A, "RAN", PS, 10.0, 20.0, "e1", "e2", "e3"),
        rel(HOST_B, "RAN", PS, 11.0, 11.0, "e4"),
        rel(PS, "RESOLVED", DOMAIN, 12.0, 13.0, "e5", "e6"),
        rel(PS, "CONNECTED", IP, 14.0, 14.0, "e7"),
        rel(PS, "SPAWNED", CMD, 15.0, 15.0, "e8"),
        rel(DOMAIN, "RESOLVES_TO", IP, 12.0, 12.0, "e9"),
        rel(CMD, "EXECUTED", SCRIPT, 16.0, 16.0, "e10"),
    ]


@pytest.fixture
def reopen(request: pytest.FixtureRequest) -> Callable[[GraphStore], GraphStore]:
    """Flush a store and open a new instance on the same data (new dir reader / new driver)."""
    opened: list[GraphStore] = []

    def _reopen(store: GraphStore) -> GraphStore:
        store.flush()
        if isinstance(store, EmbeddedStore):
            fresh: GraphStore = EmbeddedStore(store.directory)
        else:
            fresh = request.getfixturevalue("neo4j_server").connect()
        opened.append(fresh)
        return fresh

    yield _reopen
    for fresh in opened:
        fresh.close()


def edge(store: GraphStore, src, rel_type, dst) -> Relation:
    (found,) = [r for r in store.iter_relations(rel_type) if r.src == src and r.dst == dst]
    return found


# -- writes ---------------------------------------------------------------------
def test_batch_upsert_counts_entities_relations_and_sightings(store):
    store.upsert_relations(small_graph())
    store.upsert_sightings([Sighting("ws-a", PS, 10.0, 20.0, 3), Sighting("ws-b", PS, 11.0, 11.0)])

    assert store.counts() == {
        "entities": {"domain": 1, "host": 2, "ip": 1, "process": 2, "script": 1},
        "relations": {"CONNECTED": 1, "EXECUTED": 1, "RAN": 2, "RESOLVED": 1,
                      "RESOLVES_TO": 1, "SPAWNED": 1},
        "sightings": {"total": 2},
    }


def test_same_evidence_twice_does_not_double_count(store):
    store.upsert_relations(small_graph())
    store.upsert_relations(small_graph())

    ran = edge(store, HOST_A, "RAN", PS)
    assert (ran.count, ran.evidence) == (3, ["e1", "e2", "e3"])
    assert store.counts()["relations"]["RAN"] == 2


def test_merge_adds_count_widens_times_and_appends_evidence(store):
    store.upsert_relations([rel(HOST_A, "RAN", PS, 10.0, 20.0, "e1", "e2")])
    store.upsert_relations([rel(HOST_A, "RAN", PS, 5.0, 15.0, "e2", "e3", "e4")])
    store.upsert_relations([rel(HOST_A, "RAN", PS, 12.0, 30.0, "e5")])

    ran = edge(store, HOST_A, "RAN", PS)
    assert (ran.count, ran.first_seen, ran.last_seen) == (5, 5.0, 30.0)
    assert ran.evidence == ["e1", "e2", "e3", "e4", "e5"]


def test_duplicates_inside_one_batch_are_merged(store):
    store.upsert_relations([
        rel(HOST_A, "RAN", PS, 10.0, 10.0, "e1"),
        rel(HOST_A, "RAN", PS, 9.0, 9.0, "e1", "e2"),
    ])

    ran = edge(store, HOST_A, "RAN", PS)
    assert (ran.count, ran.first_seen, ran.last_seen, ran.evidence) == (2, 9.0, 10.0, ["e1", "e2"])


def test_evidence_keeps_both_ends_of_a_long_run_while_count_keeps_counting(store):
    """Past the cap an edge keeps its first half-cap ids and its most recent ones (U1 #1: a spray's end)."""
    ids = [f"e{i}" for i in range(EVIDENCE_CAP + 10)]
    store.upsert_relations([rel(HOST_A, "RAN", PS, 1.0, 1.0, *ids[:40])])
    store.upsert_relations([rel(HOST_A, "RAN", PS, 1.0, 1.0, *ids[40:])])
    store.upsert_relations([rel(HOST_A, "RAN", PS, 1.0, 1.0, "late")])

    ran = edge(store, HOST_A, "RAN", PS)
    assert ran.count == EVIDENCE_CAP + 11
    assert ran.evidence == ids[:EVIDENCE_HEAD] + [*ids, "late"][-(EVIDENCE_CAP - EVIDENCE_HEAD):]


def test_count_beyond_listed_evidence_is_kept(store):
    store.upsert_relations([rel(HOST_A, "RAN", PS, 1.0, 2.0, "e1", count=500)])

    assert edge(store, HOST_A, "RAN", PS).count == 500


def test_entity_upsert_merges_props_and_replaces_value_only_when_given(store):
    store.upsert_relations([rel(HOST_A, "RAN", PS, 1.0, 1.0, "e1")])
    assert store.get_entity(*PS) == Entity("process", PS[1], PS[1], {})

    store.upsert_entities([Entity("process", PS[1], "powershell.exe -nop", {"image": "ps.exe"})])
    store.upsert_entities([Entity("process", PS[1], "", {"hosts_hint": 2, "tags": ["a", "b"]})])

    assert store.get_entity(*PS) == Entity(
        "process", PS[1], "powershell.exe -nop",
        {"image": "ps.exe", "hosts_hint": 2, "tags": ["a", "b"]},
    )


def test_repeated_entity_in_one_batch_merges_like_separate_batches(store):
    store.upsert_entities([
        Entity("process", PS[1], "", {"image": "ps.exe", "name": "first"}),
        Entity("process", PS[1], "powershell.exe -nop", {"name": "second"}),
        Entity("process", PS[1], "", {"sha256": "ab"}),
    ])

    assert store.get_entity(*PS) == Entity(
        "process", PS[1], "powershell.exe -nop", {"image": "ps.exe", "name": "second", "sha256": "ab"})


def test_sightings_merge_min_max_sum(store):
    store.upsert_sightings([Sighting("ws-a", PS, 10.0, 20.0, 2)])
    store.upsert_sightings([Sighting("ws-a", PS, 5.0, 15.0, 3), Sighting("ws-a", PS, 12.0, 25.0, 1)])

    (sighting,) = store.hosts_of(*PS)
    assert (sighting.host, sighting.first_seen, sighting.last_seen, sighting.count) == (
        "ws-a", 5.0, 25.0, 6)


def test_invalid_batch_is_refused_whole_with_reason(store):
    good = rel(HOST_A, "RAN", PS, 1.0, 1.0, "e1")
    bad = rel(HOST_A, "TELEPORTED", PS, 1.0, 1.0, "e2")

    with pytest.raises(ValueError, match="TELEPORTED"):
        store.upsert_relations([good, bad])
    with pytest.raises(ValueError, match="spaceship"):
        store.upsert_entities([Entity("spaceship", "x", "x")])
    with pytest.raises(ValueError, match="reserved"):
        store.upsert_entities([Entity("host", "ws-b", "ws-b"), Entity("host", "ws-a", "ws-a", {"key": "other"})])
    with pytest.raises(ValueError, match="empty host"):
        store.upsert_sightings([Sighting("ws-a", PS, 1.0, 1.0), Sighting("", PS, 1.0, 1.0)])
    with pytest.raises(ValueError, match="spaceship"):
        store.upsert_sightings([Sighting("ws-a", PS, 1.0, 1.0), Sighting("ws-a", ("spaceship", "x"), 1.0, 1.0)])

    assert store.counts() == {"entities": {}, "relations": {}, "sightings": {"total": 0}}


def test_clear_empties_the_store(store):
    store.upsert_relations(small_graph())
    store.upsert_sightings([Sighting("ws-a", PS, 1.0, 1.0)])

    store.clear()

    assert store.counts() == {"entities": {}, "relations": {}, "sightings": {"total": 0}}
    assert store.get_entity(*PS) is None


# -- reads ----------------------------------------------------------------------
def test_get_entity_unknown_is_none(store):
    store.upsert_relations(small_graph())

    assert store.get_entity("process", "nope") is None
    assert store.get_entity("domain", PS[1]) is None  # same key, other type: other entity


def test_neighbors_follow_direction(store):
    store.upsert_relations(small_graph())

    out = store.neighbors(*PS, direction="out")
    inc = store.neighbors(*PS, direction="in")
    both = store.neighbors(*PS)

    assert [n.entity.ref for n in out] == [DOMAIN, IP, CMD]  # count desc, then type
    assert [(n.relation.src, n.entity.ref) for n in inc] == [(HOST_A, HOST_A), (HOST_B, HOST_B)]
    assert {n.entity.ref for n in both} == {DOMAIN, IP, CMD, HOST_A, HOST_B}
    assert all(n.relation.dst == PS for n in inc) and all(n.relation.src == PS for n in out)


def test_neighbors_filter_by_relation_and_entity_type_and_limit(store):
    store.upsert_relations(small_graph())

    by_rel = store.neighbors(*PS, relation_types=["RESOLVED", "CONNECTED"])
    by_type = store.neighbors(*PS, entity_types=["host"])
    first = store.neighbors(*PS, limit=1)

    assert {n.entity.ref for n in by_rel} == {DOMAIN, IP}
    assert {n.entity.ref for n in by_type} == {HOST_A, HOST_B}
    assert [(n.entity.ref, n.relation.count) for n in first] == [(HOST_A, 3)]
    assert store.neighbors("process", "missing") == []


def test_neighbor_relation_carries_aggregates(store):
    store.upsert_relations(small_graph())

    (resolved,) = store.neighbors(*PS, relation_types=["RESOLVED"])

    assert resolved.relation == rel(PS, "RESOLVED", DOMAIN, 12.0, 13.0, "e5", "e6")


def test_subgraph_radius_one_and_two(store):
    store.upsert_relations(small_graph())

    one = store.subgraph([HOST_A], radius=1)
    two = store.subgraph([HOST_A], radius=2)

    assert isinstance(one, nx.MultiDiGraph)
    assert set(one.nodes) == {"host:ws-a", "process:p-powershell"}
    assert set(two.nodes) == {"host:ws-a", "host:ws-b", "process:p-powershell",
                              "domain:cdn-img-delivery.example", "ip:203.0.113.7", "process:p-cmd"}
    # induced: the domain -> ip edge between two radius-2 nodes is included
    assert two.has_edge("domain:cdn-img-delivery.example", "ip:203.0.113.7", key="RESOLVES_TO")
    assert two.number_of_edges() == 6


def test_subgraph_attributes_match_the_protocol(store):
    store.upsert_relations(small_graph())
    store.upsert_entities([Entity("domain", DOMAIN[1], DOMAIN[1], {"registered_domain": "x.example"})])

    graph = store.subgraph([DOMAIN], radius=1)

    assert graph.nodes["domain:cdn-img-delivery.example"] == {
        "type": "domain", "key": DOMAIN[1], "value": DOMAIN[1], "registered_domain": "x.example"}
    assert graph.edges["process:p-powershell", "domain:cdn-img-delivery.example", "RESOLVED"] == {
        "type": "RESOLVED", "count": 2, "first_seen": 12.0, "last_seen": 13.0,
        "evidence": ["e5", "e6"]}


def test_subgraph_limit_and_unknown_seeds(store):
    store.upsert_relations(small_graph())

    assert len(store.subgraph([PS], radius=2, limit=3)) == 3
    assert len(store.subgraph([("host", "unknown")], radius=2)) == 0


def _sightings(store):
    store.upsert_sightings([
        Sighting("ws-a", DOMAIN, 100.0, 200.0, 2),
        Sighting("ws-b", DOMAIN, 50.0, 60.0, 1),
        Sighting("ws-c", DOMAIN, 300.0, 300.0, 4),
        Sighting("ws-a", PS, 10.0, 20.0, 1),
        Sighting("ws-a", IP, 10.0, 10.0, 1),
    ])


def test_host_prevalence_counts_distinct_hosts(store):
    _sightings(store)
    store.upsert_sightings([Sighting("ws-a", DOMAIN, 400.0, 400.0)])  # same host again

    assert store.host_prevalence([DOMAIN, PS, ("domain", "never.example")]) == {
        DOMAIN: 3, PS: 1, ("domain", "never.example"): 0}
    assert store.host_prevalence() == {DOMAIN: 3, PS: 1, IP: 1}


def test_sighting_hosts_counts_the_hosts_that_sent_telemetry_not_every_host_node(store, reopen):
    _sightings(store)
    # a host named only by another machine's event (a logon's WorkstationName) sees nothing itself
    store.upsert_relations([rel(("host", "kali"), "LOGGED_ON", HOST_A, 5.0, 5.0, "e1")])

    assert store.counts()["entities"]["host"] == 4  # ws-a..c are sighting hosts, kali a named one
    assert store.sighting_hosts() == 3
    assert reopen(store).sighting_hosts() == 3


def test_entity_prevalence_aggregates_sightings(store):
    _sightings(store)
    store.upsert_entities([Entity("domain", DOMAIN[1], "CDN-IMG-DELIVERY.example")])

    rows = list(store.entity_prevalence())
    (domain,) = store.entity_prevalence(entity_types=["domain"], min_hosts=2)

    assert [row.entity for row in rows] == [DOMAIN, IP, PS]  # ordered by (type, key)
    assert (domain.value, domain.hosts, domain.first_seen, domain.last_seen, domain.count) == (
        "CDN-IMG-DELIVERY.example", 3, 50.0, 300.0, 7)
    assert domain.host_first_seen == (50.0, 100.0, 300.0)
    assert list(store.entity_prevalence(min_hosts=4)) == []


def test_iter_sightings_by_type_and_since(store):
    _sightings(store)

    everything = {(s.host, s.entity) for s in store.iter_sightings()}
    recent = {(s.host, s.entity) for s in store.iter_sightings(since=200.0)}
    processes = list(store.iter_sightings(entity_types=["process"]))

    assert len(everything) == 5
    assert recent == {("ws-a", DOMAIN), ("ws-c", DOMAIN)}
    assert [(s.host, s.entity, s.first_seen, s.last_seen, s.count) for s in processes] == [
        ("ws-a", PS, 10.0, 20.0, 1)]


def test_hosts_of_lists_one_sighting_per_host_sorted(store):
    _sightings(store)

    assert [s.host for s in store.hosts_of(*DOMAIN)] == ["ws-a", "ws-b", "ws-c"]
    assert store.hosts_of("domain", "never.example") == []


def test_iter_entities_and_relations_by_type(store):
    store.upsert_relations(small_graph())

    processes = {e.ref for e in store.iter_entities("process")}
    everything = {e.ref for e in store.iter_entities()}
    ran = {(r.src, r.dst) for r in store.iter_relations("RAN")}

    assert processes == {PS, CMD}
    assert everything == {HOST_A, HOST_B, PS, CMD, DOMAIN, IP, SCRIPT}
    assert ran == {(HOST_A, PS), (HOST_B, PS)}
    assert len(list(store.iter_relations())) == 7


def test_data_survives_reopen(store, reopen):
    store.upsert_relations(small_graph())
    store.upsert_entities([Entity("process", PS[1], "powershell.exe -nop", {"n": 1})])
    _sightings(store)
    before = store.counts()

    again = reopen(store)

    assert again.counts() == before
    assert again.get_entity(*PS) == Entity("process", PS[1], "powershell.exe -nop", {"n": 1})
    assert edge(again, HOST_A, "RAN", PS).evidence == ["e1", "e2", "e3"]
    assert again.host_prevalence([DOMAIN]) == {DOMAIN: 3}


def test_ping(store):
    assert store.ping() is True


# -- hostile values -------------------------------------------------------------
HOSTILE = [
    "it's \"quoted\"",
    "back`tick` `` and \\ backslash \\\\ end\\",
    "multi\nline\r\nvalue\ttab and a NUL \x00 byte",
    "unicode: ÿ 雪 🦀 \u200b zero-width, RTL \u202e",
    "'}) MATCH (n) DETACH DELETE n //",
    "\"}) MATCH (n) DETACH DELETE n //",
    "`) DETACH DELETE n; //",
    "$param {param} ${param}",
    "MATCH (n) RETURN n",
    "<script>alert(1)</script>",
    "x" * 100_000,
]


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: repr(t[:24]))
def test_hostile_strings_round_trip_and_change_nothing(store, text):
    store.upsert_relations(small_graph())
    before = store.counts()
    key = text[:5000]  # also longer than the indexable limit of Neo4j for the last case

    store.upsert_entities([Entity("domain", key, text, {"note": text, "list": [text, text]})])
    store.upsert_relations([rel(HOST_A, "RESOLVED", ("domain", key), 1.0, 2.0, text)])
    store.upsert_sightings([Sighting(key, ("domain", key), 1.0, 2.0)])

    assert store.get_entity("domain", key) == Entity("domain", key, text,
                                                     {"note": text, "list": [text, text]})
    assert edge(store, HOST_A, "RESOLVED", ("domain", key)).evidence == [text]
    assert store.hosts_of("domain", key)[0].host == key
    assert store.host_prevalence([("domain", key)]) == {("domain", key): 1}
    assert f"domain:{key}" in store.subgraph([("domain", key)], radius=1)
    after = store.counts()
    assert after["entities"] == dict(before["entities"], domain=2, host=3)
    assert after["relations"] == dict(before["relations"], RESOLVED=2)
    assert after["sightings"] == {"total": 1}
