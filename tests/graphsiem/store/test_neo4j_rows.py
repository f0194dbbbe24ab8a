"""Indexed keys (:mod:`graphsiem.store.neo4j_rows`): long keys by hash, read back verbatim."""

from __future__ import annotations

import pytest

from graphsiem.model import Entity
from graphsiem.store.neo4j_rows import HASHED_PREFIX, MAX_INDEXED_KEY_BYTES, index_key

pytestmark = pytest.mark.neo4j


def test_overlong_keys_are_indexed_by_hash_and_read_back_verbatim(neo4j_store):
    key = "u" * (MAX_INDEXED_KEY_BYTES + 1)
    indexed, full = index_key(key)
    neo4j_store.upsert_entities([Entity("url", key, "v")])

    assert indexed.startswith(HASHED_PREFIX) and full == key
    assert neo4j_store.get_entity("url", key).key == key
    # a short key that looks like a hashed one is hashed too, so it cannot collide
    assert index_key(indexed)[0] != indexed
