"""The Neo4j store's schema (:mod:`graphsiem.store.neo4j_schema`): constraints."""

from __future__ import annotations

import pytest

from graphsiem.model import EntityType

pytestmark = pytest.mark.neo4j


def test_uniqueness_constraints_exist_per_label_and_on_uid(neo4j_store):
    records, _, _ = neo4j_store._driver.execute_query(
        "SHOW CONSTRAINTS YIELD type, labelsOrTypes, properties", database_=neo4j_store.database)
    unique = {(r["labelsOrTypes"][0], r["properties"][0]) for r in records
              if r["type"] == "UNIQUENESS"}

    assert {(t.label, "key") for t in EntityType} | {("Entity", "uid")} <= unique
