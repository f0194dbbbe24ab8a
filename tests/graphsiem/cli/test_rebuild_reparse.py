"""``graphsiem rebuild`` reads Security 4662 journaled as ``windows:other`` again, and projects what it now is (task IDS4 #3).

The data directory's journal is the fixture made by the release before the 4662 parser
(``tests/ingest/fixtures/before_sorted_ids/README.md``): two 4662s of ``dc-alpha`` by ``CORP\\eve``.
Read as ``winsec:object_operation`` the subject is an account the graph holds, on both stores.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from graphsiem.cli import main
from graphsiem.store.embedded import EmbeddedStore
from ingest.journal import Journal

OLD = Path(__file__).parents[2] / "ingest" / "fixtures" / "before_sorted_ids"


@pytest.fixture
def old_data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    with gzip.open(OLD / "before_sorted_ids_scheme2.sqlite.gz", "rb") as source, \
            (data / "journal.sqlite").open("wb") as target:
        shutil.copyfileobj(source, target)
    return data


def _rebuild(data: Path, capsys, *extra: str) -> tuple[dict, str]:
    assert main(["rebuild", "--data", str(data), "--json", *extra]) == 0
    out, err = capsys.readouterr()
    return json.loads(out), err


def test_rebuild_reads_4662_again_and_the_embedded_graph_holds_its_subject(old_data: Path, capsys) -> None:
    report, err = _rebuild(old_data, capsys)

    assert report["reparsed"]["changed"] == {"windows:other -> winsec:object_operation": 2}
    assert "2 windows:other -> winsec:object_operation (ids kept" in err
    with Journal(old_data / "journal.sqlite") as journal:
        kinds = [item.event.kind for item in journal.iter_events() if item.event.host == "dc-alpha"]
        assert kinds == ["winsec:object_operation"] * 2
        assert journal.projection_version() != 1  # rebuilt: no rebuild advised
    store = EmbeddedStore(old_data / "graph")
    try:
        assert store.get_entity("user", "corp\\eve") is not None
    finally:
        store.close()
    again, err = _rebuild(old_data, capsys)
    assert "reparsed" not in again and "again with this release's parsers" not in err  # done once


@pytest.mark.neo4j
def test_rebuild_into_neo4j_projects_the_4662_read_again(old_data: Path, capsys, neo4j_server, neo4j_store,
                                                         monkeypatch) -> None:
    for name, value in neo4j_server.environ().items():
        monkeypatch.setenv(name, value)

    report, _ = _rebuild(old_data, capsys, "--store", "neo4j")

    assert report["reparsed"]["changed"] == {"windows:other -> winsec:object_operation": 2}
    assert neo4j_store.get_entity("user", "corp\\eve") is not None
