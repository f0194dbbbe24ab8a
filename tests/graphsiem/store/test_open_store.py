"""open_store: spec -> store."""

from __future__ import annotations

import pytest

from graphsiem.store import open_store
from graphsiem.store.embedded import EmbeddedStore
from graphsiem.store.neo4j_store import Neo4jStore


def test_default_is_embedded_in_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHSIEM_DATA", str(tmp_path))

    store = open_store()

    assert isinstance(store, EmbeddedStore)
    assert store.directory == tmp_path / "graph"
    store.close()


def test_explicit_data_dir_wins(tmp_path):
    store = open_store("embedded", data_dir=tmp_path / "d")

    assert store.directory == tmp_path / "d" / "graph"
    store.close()


def test_unknown_spec_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown store 'sqlite'"):
        open_store("sqlite")


@pytest.mark.neo4j
def test_neo4j_from_environment_and_from_uri(neo4j_server, monkeypatch):
    for name, value in neo4j_server.environ().items():
        monkeypatch.setenv(name, value)

    by_name = open_store("neo4j")
    by_uri = open_store(neo4j_server.uri)

    assert isinstance(by_name, Neo4jStore) and by_name.ping()
    assert isinstance(by_uri, Neo4jStore) and by_uri.database == "neo4j"
    by_name.close()
    by_uri.close()
