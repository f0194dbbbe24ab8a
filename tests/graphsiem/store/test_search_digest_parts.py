"""A short needle is no part of a digest (review U2, task SRCH #2), on both stores.

Searching the event id ``4662`` listed a process whose key (a 32-digit hash of its image and
command line) happened to hold those four digits: noise, since any short number is in some
digest.  A digest-shaped value or key is now matched in part only by a needle of
:data:`~graphsiem.store.search_match.DIGEST_PART_MIN` characters or more (a truncated hash a
hunter pastes); a whole digest still finds its entity, and text that holds the digits still does.
"""

from __future__ import annotations

from graphsiem.model import Entity
from graphsiem.store.base import CONTAINS, PREFIX, GraphStore
from graphsiem.store.search_match import match_rank

PROCESS_KEY = "0c7d4662ab0e44f1b93a8e2f5d6c7b19"  # 32 hex digits holding "4662"
FILE_SHA256 = "9f" * 10 + "4662" + "ab" * 20  # a digest-only file: its value is its SHA-256
ENTITIES = [
    Entity("process", PROCESS_KEY, "C:\\Windows\\System32\\svchost.exe -k netsvcs"),
    Entity("file", FILE_SHA256, FILE_SHA256),
    Entity("host", "dc-4662", "DC-4662"),
    Entity("process", "p-text", "cmd.exe /c wevtutil qe Security /q:*[System[(EventID=4662)]]"),
]


def _written(store: GraphStore) -> GraphStore:
    store.upsert_entities(ENTITIES)
    store.flush()
    return store


def test_a_short_number_is_no_part_of_a_digest(store: GraphStore) -> None:
    hits = _written(store).search_entities("4662", limit=20)
    assert {(h.entity.type, h.entity.key) for h in hits} == {("host", "dc-4662"), ("process", "p-text")}


def test_eight_digits_of_a_digest_find_it_in_part(store: GraphStore) -> None:
    hits = _written(store).search_entities("4662ab0e", limit=20)
    assert [(h.entity.key, h.rank, h.matched) for h in hits] == [(PROCESS_KEY, CONTAINS, "key")]
    hits = _written(store).search_entities(FILE_SHA256[:8], limit=20)
    assert [(h.entity.key, h.rank, h.matched) for h in hits] == [(FILE_SHA256, PREFIX, "value")]


def test_a_whole_digest_still_finds_its_entity(store: GraphStore) -> None:
    hits = _written(store).search_entities(PROCESS_KEY.upper(), limit=20)
    assert [(h.entity.key, h.rank) for h in hits] == [(PROCESS_KEY, PREFIX)]


def test_the_reference_rule() -> None:
    assert match_rank("4662", "process", PROCESS_KEY, "svchost.exe", {}) is None
    assert match_rank("4662ab0e", "process", PROCESS_KEY, "svchost.exe", {}) == (CONTAINS, "key")
    assert match_rank("4662", "host", "dc-4662", "DC-4662", {}) == (CONTAINS, "value")
