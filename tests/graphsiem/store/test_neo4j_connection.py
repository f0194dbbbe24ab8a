"""The Neo4j store's connection (:mod:`graphsiem.store.neo4j_connection`): encoding and connection errors."""

from __future__ import annotations

import pytest

from graphsiem.model import Entity
from graphsiem.store.base import StoreError
from graphsiem.store.neo4j_store import Neo4jStore

pytestmark = pytest.mark.neo4j


def test_a_lone_surrogate_is_refused_naming_the_record(neo4j_store):
    with pytest.raises(ValueError, match="not valid Unicode") as info:
        neo4j_store.upsert_entities([Entity("domain", "ok.example", "bad \ud800 value")])

    assert "ok.example" in str(info.value)


def test_wrong_password_is_a_store_error(neo4j_server):
    with pytest.raises(StoreError, match=neo4j_server.uri):
        Neo4jStore(neo4j_server.uri, user=neo4j_server.user, password="wrong-password")
