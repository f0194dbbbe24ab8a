"""A second data directory on a Neo4j database another one holds is refused before its journal is made
(task F28, review T4 finding 5).

The refusal was right and clear, but the new directory was left with an empty
``journal.sqlite`` (and its ``-journal`` file) of a journal that never held an
event, while docs/reliability.md says it is refused before anything is written.
Against the test server.
"""

from __future__ import annotations

import pytest

from graphsiem.cli import main
from tests.ingest.conftest import FIXTURES

pytestmark = pytest.mark.neo4j

INPUT = FIXTURES / "ecs_events.ndjson"


def test_the_refused_directory_gets_no_journal(tmp_path, capsys, monkeypatch, neo4j_server, neo4j_store):
    for name, value in neo4j_server.environ().items():
        monkeypatch.setenv(name, value)
    first, second = tmp_path / "first", tmp_path / "second"
    assert main(["ingest", str(INPUT), "--data", str(first), "--store", "neo4j", "--no-progress"]) == 0
    capsys.readouterr()

    status = main(["ingest", str(INPUT), "--data", str(second), "--store", "neo4j", "--no-progress"])

    err = capsys.readouterr().err
    assert status == 2
    assert f"holds the graph of {first}, not of {second}" in err
    assert not list(second.glob("journal.sqlite*"))
    assert not (second / "graph").exists()
