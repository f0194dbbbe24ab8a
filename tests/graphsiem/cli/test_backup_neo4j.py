"""A backup of a data directory projected into Neo4j: the database is not in it, so the copy is projected whole.

The copy's journal has its checkpoint at 0: restored beside a new or emptied
database (the one lost with the server), ``detect`` says the graph is behind
the whole journal and that an ingest or ``serve`` projects it, and the next ingest does project
all of it, not only the events journaled after the restore (with the
original's checkpoint the database got the new events only).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graphsiem.cli import main
from ingest.journal import Journal

pytestmark = pytest.mark.neo4j


def _stats(data: Path, capsys) -> tuple[int, dict | None, str]:
    status = main(["stats", "--data", str(data), "--store", "neo4j", "--json"])
    captured = capsys.readouterr()
    return status, json.loads(captured.out) if status == 0 else None, captured.err


def test_a_copy_restored_beside_an_emptied_database_is_projected_whole_by_the_next_ingest(
    tmp_path, capsys, neo4j_server, neo4j_store, monkeypatch
) -> None:
    for name, value in neo4j_server.environ().items():
        monkeypatch.setenv(name, value)
    source, nothing = tmp_path / "dns.ndjson", tmp_path / "nothing.ndjson"
    source.write_text("".join(json.dumps({
        "@timestamp": "2026-11-29T10:00:00Z", "host": {"name": f"ws-{j % 3}"},
        "event": {"category": "network", "action": "dns"}, "dns": {"question": {"name": f"x-{j}.example"}},
    }) + "\n" for j in range(10)))
    nothing.write_text("")
    data, copy = tmp_path / "data", tmp_path / "backup"
    assert main(["ingest", str(source), "--data", str(data), "--store", "neo4j", "--no-progress"]) == 0
    capsys.readouterr()
    original = _stats(data, capsys)[1]
    assert original is not None and original["entities"]["domain"] == 10

    assert main(["backup", str(copy), "--data", str(data), "--json"]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert (report["store"], report["checkpoint"], report["projected_later"]) == ("neo4j", 0, 10)
    assert "`graphsiem rebuild --store neo4j --data DIR`" in captured.err
    assert not (copy / "graph").exists()
    with Journal(copy / "journal.sqlite") as journal:
        assert journal.counts()["events"] == 10

    neo4j_store.clear()  # the server's database is lost, or a new one is given
    main(["detect", "--data", str(copy), "--store", "neo4j"])
    assert "the graph is behind the journal by 10 events" in capsys.readouterr().err
    assert main(["ingest", str(nothing), "--data", str(copy), "--store", "neo4j", "--no-progress"]) == 0
    capsys.readouterr()
    assert _stats(copy, capsys)[1] == original
