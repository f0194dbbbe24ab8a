"""``search_entities`` puts an entity whose whole value or key is the needle first (review R4, item 10).

Before, each rank kept its hits in the store's order (insertion on the
embedded store, index order on Neo4j) and a scan stopped after ``limit + 1``
prefix hits: ``10.32.0.1`` came after ``10.32.0.10`` … ``10.32.0.19``, or not
at all when more than ``limit`` longer addresses were written first.
"""

from __future__ import annotations

import pytest

from graphsiem.model import Entity
from graphsiem.store.base import PREFIX, GraphStore

# Written before the address they all start with: insertion and index order
# both put the longer ones first.
LONGER = [Entity("ip", f"10.32.0.{i}", f"10.32.0.{i}") for i in range(10, 30)]
EXACT = Entity("ip", "10.32.0.1", "10.32.0.1")
HOST = Entity("host", "ws-0001", "WS-0001")  # a value that differs from the needle's case
HOST_LONGER = [Entity("host", f"ws-0001{i}", f"WS-0001{i}") for i in range(8)]


@pytest.fixture
def written(store: GraphStore) -> GraphStore:
    store.upsert_entities([*LONGER, *HOST_LONGER])
    store.flush()
    store.upsert_entities([EXACT, HOST])
    store.flush()
    return store


@pytest.mark.parametrize("limit", [1, 5, 20, 100])
def test_the_exact_address_comes_first_whatever_the_limit(written: GraphStore, limit: int) -> None:
    hits = written.search_entities("10.32.0.1", limit=limit)
    assert (hits[0].entity.key, hits[0].rank, hits[0].matched) == ("10.32.0.1", PREFIX, "value")
    assert len(hits) == min(limit + 1, 1 + 10)  # 10.32.0.1 and 10.32.0.10 … 19
    assert len({h.entity.key for h in hits}) == len(hits)  # listed once


def test_an_exact_match_ignores_case_and_the_others_follow(written: GraphStore) -> None:
    hits = written.search_entities("WS-0001", limit=3)
    assert hits[0].entity.key == "ws-0001"
    assert [h.rank for h in hits] == [PREFIX] * 4  # limit + 1: more were found
    assert all(h.entity.key.startswith("ws-0001") for h in hits)


def test_a_type_filter_keeps_the_exact_hit_first(written: GraphStore) -> None:
    assert written.search_entities("10.32.0.1", entity_type="ip", limit=2)[0].entity.key == "10.32.0.1"
    assert written.search_entities("10.32.0.1", entity_type="host", limit=2) == []
