"""Injection: hostile strings are data in Neo4j; hostile upload names stay in the data dir.

Cypher: records whose host, user, command line, executable and URL carry
Cypher fragments, quotes, backslashes and control characters go through the
full pipeline into a real Neo4j.  The same journal replayed into the embedded
store (no query language at all) is the reference: both graphs must be
identical, Neo4j must hold no node that is not an entity of the graph, and the
command lines must come back byte for byte.

Uploads: file names with ``..``, absolute paths, backslashes and NUL are only
hints; nothing is written outside ``<data>/uploads`` and that folder is left
empty.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from neo4j import GraphDatabase

from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal
from ingest.pipeline import ingest_records
from ingest.replay import replay
from tests.reliability.inprocess import app_over
from tests.reliability.snapshot import snapshot

PAYLOADS = [
    "x' }) MATCH (n) DETACH DELETE n //",
    'x" }) MATCH (n) DETACH DELETE n //',
    "'; CALL db.clearQueryCaches(); //",
    "x`) CREATE (:Pwned {a: 1}) //",
    "} ] ) RETURN 1 UNION MATCH (n) SET n.pwned = true //",
    "$key ${value} {{param}}",
    "back\\slash \\' \\\" \\\\ end\\",
    "line\nbreak\r\ttab \u0000 nul \u202e rtl \U0001F4A3",
    "MERGE (a:Host {key: 'evil'})-[:SEEN]->(b) RETURN a",
    "/* comment */ // comment",
]


def _records() -> list[dict[str, Any]]:
    records = []
    for index, payload in enumerate(PAYLOADS):
        ts = f"2026-01-01T00:{index:02d}:00Z"
        records.append({"@timestamp": ts, "host": {"name": f"ws-{index}"},
                        "event": {"category": "process", "action": "start"},
                        "user": {"name": payload},
                        "process": {"executable": "C:\\Tools\\" + payload + ".exe",
                                    "command_line": payload,
                                    "parent": {"executable": "C:\\Windows\\explorer.exe"}}})
        records.append({"@timestamp": ts, "host": {"name": payload},
                        "event": {"category": "network", "action": "dns"},
                        "process": {"executable": "C:\\b.exe"},
                        "dns": {"question": {"name": f"s{index}.example"}},
                        "url": {"full": "http://e.example/" + payload}})
    return records


def _raw_node_count(neo4j_server: Any) -> tuple[int, int]:
    driver = GraphDatabase.driver(neo4j_server.uri,
                                  auth=(neo4j_server.user, neo4j_server.password))
    try:
        with driver.session(database=neo4j_server.database) as session:
            # every node but the store's own marks (label GraphsiemMeta: the projection mark, the
            # version of the search copies and the graph's owner, one each) is an entity
            nodes = session.run("MATCH (n) WHERE NOT n:GraphsiemMeta RETURN count(n) AS c").single()["c"]
            marks = [record["name"] for record in session.run("MATCH (n:GraphsiemMeta) RETURN n.name AS name")]
            assert len(marks) == len(set(marks)) and set(marks) <= {"projection", "search", "owner"}, marks
            pwned = session.run(
                "MATCH (n) WHERE n:Pwned OR n.pwned IS NOT NULL RETURN count(n) AS c"
            ).single()["c"]
    finally:
        driver.close()
    return nodes, pwned


def test_cypher_fragments_round_trip_verbatim(neo4j_store: Any, neo4j_server: Any,
                                              tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    reference = EmbeddedStore(tmp_path / "graph")
    try:
        report = ingest_records(_records(), store=neo4j_store, journal=journal, origin="api")
        assert report.total.accepted > len(PAYLOADS), report.total
        live = snapshot(neo4j_store)
        replay(journal, reference)
        expected = snapshot(reference)
    finally:
        journal.close()
        reference.close()
    assert live == expected
    command_lines = {e.value for e in neo4j_store.iter_entities("process")}
    for payload in PAYLOADS:
        assert payload in command_lines, payload
    nodes, pwned = _raw_node_count(neo4j_server)
    assert nodes == sum(live["counts"]["entities"].values())
    assert pwned == 0
    # Hostile strings as lookup keys are harmless too.
    for payload in PAYLOADS:
        assert neo4j_store.get_entity("host", payload + "-nope") is None
        assert neo4j_store.neighbors("user", payload + "-nope") == []
    assert snapshot(neo4j_store) == live


TRAVERSAL_NAMES = [
    "../../etc/passwd",
    "../../../../../../tmp/graphsiem-pwned.log",
    "/etc/cron.d/graphsiem",
    "..\\..\\windows\\system32\\evil.log",
    "ok.log\x00../../../escape.log",
    "....//....//escape.log",
    "%2e%2e%2fescape.log",
    ".hidden",
    "",
]


def _tree(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_size
            for p in root.rglob("*") if p.is_file()}


def test_upload_names_go_nowhere_outside_the_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "site" / "data"
    store = EmbeddedStore(data_dir / "graph")
    record = (b'{"@timestamp": "2026-01-01T00:00:00Z", "host": {"name": "h"}, '
              b'"dns": {"question": {"name": "t.example"}}}\n')
    passwd = os.stat("/etc/passwd")
    outside_before = {k: v for k, v in _tree(tmp_path).items() if not k.startswith("site/data")}
    try:
        with app_over(store, data_dir) as api:
            for name in TRAVERSAL_NAMES:
                response = api.post("/v1/files", "ingest", files={"file": (name, record)})
                assert response.status_code in (200, 422), (name, response.text)
                if response.status_code == 200:
                    assert response.json()["accepted"] == 1, (name, response.text)
                assert str(data_dir) not in response.text  # no absolute paths leak
    finally:
        store.close()
    outside_after = {k: v for k, v in _tree(tmp_path).items() if not k.startswith("site/data")}
    assert outside_after == outside_before
    assert not (data_dir / "uploads").exists() or not any((data_dir / "uploads").rglob("*"))
    assert not Path("/tmp/graphsiem-pwned.log").exists()
    assert not Path("/etc/cron.d/graphsiem").exists()
    assert os.stat("/etc/passwd").st_mtime_ns == passwd.st_mtime_ns
