"""A rebuild killed while it empties Neo4j must not make the next ingest count twice (task F28, review T4 finding 1).

``empty_for`` set the projection mark to 0 and then deleted the graph in
bounded batches: a rebuild killed between two batches left the mark saying
"empty" over most of the old graph, and the next ``graphsiem ingest`` (no new
input) projected the journal from 0 over it: every sighting counted twice,
exit 0.  Here a real ``graphsiem rebuild`` child, against the test server, is
SIGKILLed between two delete batches (its deletes made small, and a marker
printed after the second, by a wrapper of the store's write call in the
child: the driver and server are real); then the ingest runs again and the
graph is compared, sighting by sighting, with an embedded store of the same input.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from graphsiem.cli import main
from graphsiem.store.embedded import EmbeddedStore
from tests.ingest.conftest import FIXTURES

pytestmark = pytest.mark.neo4j

REPO = Path(__file__).resolve().parents[3]
FILES = [FIXTURES / "ecs_events.ndjson", FIXTURES / "concatenated_pretty.json"]

# The rebuild, with deletes of 3 rows a transaction; after the second delete batch it says so
# and waits to be killed (the write call wrapped, not replaced: every delete reaches the server).
KILLABLE_REBUILD = textwrap.dedent("""
    import sys, time
    from graphsiem.store.neo4j_connection import Neo4jConnection
    from graphsiem.store import neo4j_queries as q
    real = Neo4jConnection._read_write
    done = []
    def read_write(self, query, **params):
        if "batch" in params:
            params["batch"] = 3
        records = real(self, query, **params)
        if query in (q.CLEAR_RELATIONSHIPS, q.CLEAR_NODES):
            done.append(query)
            if len(done) == 2:
                print("DELETING", flush=True)
                time.sleep(600)
        return records
    Neo4jConnection._read_write = read_write
    from graphsiem.cli import main
    sys.exit(main(sys.argv[1:]))
""")


def _sightings(store) -> dict[tuple[str, tuple[str, str]], int]:
    return {(s.host, s.entity): s.count for s in store.iter_sightings()}


def _links(store) -> int:
    """Relationships of every kind (the rebuild deletes relations and sightings alike)."""
    counts = store.counts()
    return sum(counts["relations"].values()) + counts["sightings"]["total"]


def _ingest(data: Path, *store: str) -> int:
    return main(["ingest", *map(str, FILES), "--data", str(data), *store, "--no-progress", "--json"])


def ingested_twice(tmp_path: Path, neo4j_server, neo4j_store, monkeypatch) -> tuple[Path, dict]:
    """FILES ingested into the test database (data directory ``tmp_path/neo``) and, for reference, an
    embedded store; the CLI pointed at the server.  Returns the data directory and the sightings expected."""
    for name, value in neo4j_server.environ().items():
        monkeypatch.setenv(name, value)
    data, reference = tmp_path / "neo", tmp_path / "embedded"
    assert _ingest(reference) == 0
    embedded = EmbeddedStore(reference / "graph")
    expected = _sightings(embedded)
    embedded.close()
    assert _ingest(data, "--store", "neo4j") == 0
    assert _sightings(neo4j_store) == expected and max(expected.values()) > 1
    return data, expected


def kill_rebuild_mid_delete(script: str, data: Path, neo4j_server) -> None:
    """Run ``graphsiem rebuild`` of ``data`` in a child running ``script`` and SIGKILL it at its marker."""
    child = subprocess.Popen(
        [sys.executable, "-c", script, "rebuild", "--store", "neo4j", "--data", str(data)],
        cwd=REPO, env={**os.environ, **neo4j_server.environ()}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = child.stdout.readline() if child.stdout else ""
        assert line.strip() == "DELETING", child.stderr.read() if child.stderr else ""
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=60)


def test_an_ingest_after_a_rebuild_killed_mid_delete_counts_each_sighting_once(
    tmp_path, neo4j_server, neo4j_store, monkeypatch, capsys
):
    data, expected = ingested_twice(tmp_path, neo4j_server, neo4j_store, monkeypatch)
    links_before = _links(neo4j_store)

    kill_rebuild_mid_delete(KILLABLE_REBUILD, data, neo4j_server)
    # killed between delete batches: some of the old graph went, most is still there
    assert 0 < _links(neo4j_store) < links_before
    capsys.readouterr()

    status = _ingest(data, "--store", "neo4j")  # nothing new in the input

    assert status == 0, capsys.readouterr().err
    assert _sightings(neo4j_store) == expected  # each counted once, none lost
    report = json.loads(capsys.readouterr().out)
    assert report.get("graph_pending", 0) == 0


def test_a_batch_that_meets_a_half_emptied_graph_is_refused_and_the_next_mark_read_finishes_the_emptying(
    neo4j_store,
):
    from graphsiem.model import Entity, Projection, Sighting
    from graphsiem.store.neo4j_clearing import GraphHalfEmptied

    host, domain = Entity("host", "ws-1", "ws-1"), Entity("domain", "a.example", "a.example")
    batch = Projection(entities=[host, domain], relations=[], sightings=[Sighting("ws-1", domain.ref, 1.0, 2.0)])
    assert neo4j_store.apply_batch(batch, 5, "journal-a", first=1)
    # what a rebuild killed right after its claim leaves: the mark claimed and flagged, the graph whole
    neo4j_store._read_write(
        "MATCH (m:GraphsiemMeta {name: 'projection'}) SET m.seq = 0, m.clearing = true")

    with pytest.raises(GraphHalfEmptied, match="interrupted rebuild left the graph half-emptied"):
        neo4j_store.apply_batch(batch, 5, "journal-a", first=1)
    assert [s.count for s in neo4j_store.iter_sightings()] == [1]

    assert neo4j_store.batch_mark("journal-a") == 0  # finished: the mark of 0 is true now
    assert neo4j_store.counts()["entities"] == {}
    assert neo4j_store.apply_batch(batch, 5, "journal-a", first=1)
    assert [s.count for s in neo4j_store.iter_sightings()] == [1]
