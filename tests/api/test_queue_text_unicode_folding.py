"""``GET /v1/clusters?q=`` folds case for every script, not A-Z only (task PAGE2 #2).

SQLite's ``lower()`` folded ASCII letters only: ``ÄDMIN`` did not find a cluster of
``CORP\\ädmin``, nor ``STRASSE`` one of ``straße.example``.  Now the stored text and ``q``
are folded alike (:func:`graphsiem.api.queue_search.search_fold`: NFKC, full case
mapping, the dotless ``ı`` read as ``i``): on both graph stores' apps, over all pages.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from graphsiem.api.queue_search import search_fold
from graphsiem.api.state import StateStore
from tests.api.conftest import Api
from tests.web.queue_helpers import stored_cluster


def _named(name: str, score: float, *, host: str, value: str) -> dict:
    return stored_cluster(score, name, hosts=[host], entities=[{"type": "user", "value": value}],
                          entity_keys=[{"type": "user", "key": value.lower()}])


CLUSTERS = [
    _named("admin", 90.0, host="ws-01", value="CORP\\ädmin"),
    _named("turkish", 80.0, host="kırıkkale-01", value="CORP\\İlker"),
    _named("german", 70.0, host="ws-02", value="müller@straße.example"),
    _named("plain", 60.0, host="ws-03", value="CORP\\admin-tools"),
]

# q -> the clusters it finds (ids without "c-"), in queue order
EXPECTED = {
    "ÄDMIN": ["admin"],
    "ädmin": ["admin"],
    "KIRIKKALE": ["turkish"],  # the dotless ı is read as i: the queue does not know the locale
    "kırıkkale": ["turkish"],
    "ILKER": ["turkish"],  # İ is I (its dot dropped), as i is
    "ilker": ["turkish"],
    "STRASSE": ["german"],  # ß is ss, as str.casefold() says
    "STRAẞE": ["german"],
    "straße": ["german"],
    "MÜLLER": ["german"],
    "ＡＤＭＩＮ－ＴＯＯＬＳ": ["plain"],  # full-width letters (NFKC), as host names are read at ingest
    "аdmin": [],  # a Cyrillic а is another letter: q finds what is written, not lookalikes
}


def _walk(api: Api, text: str) -> tuple[list[str], set[int]]:
    ids, totals, cursor = [], set(), None
    while True:
        body = api.get("/v1/clusters", params={"q": text, "limit": 1} | ({"cursor": cursor} if cursor else {})).json()
        ids += [c["id"].removeprefix("c-") for c in body["items"]]
        totals.add(body["total"])
        cursor = body["next_cursor"]
        if cursor is None:
            return ids, totals


def test_q_folds_case_for_every_script_over_all_pages(api: Api) -> None:
    api.ctx.state.save_clusters("d1", CLUSTERS)
    for text, expected in EXPECTED.items():
        ids, totals = _walk(api, text)
        assert ids == expected, text
        assert totals == {len(expected)}, text


@pytest.mark.parametrize(("text", "folded"), [
    ("ÄDMIN", "ädmin"), ("Straße", "strasse"), ("STRAẞE", "strasse"), ("İSTANBUL", "istanbul"),
    ("KIRIKKALE", "kirikkale"), ("kırıkkale", "kirikkale"), ("ΣΟΦΊΑ", "σοφία"), ("ＷＳ－０１", "ws-01"),
])
def test_search_fold(text: str, folded: str) -> None:
    assert search_fold(text) == folded


def test_a_state_database_from_before_the_search_table_is_searched(tmp_path: Path) -> None:
    state = StateStore(tmp_path / "state.sqlite")
    state.save_clusters("d1", CLUSTERS)
    with state._tx() as db:
        db.execute("DELETE FROM cluster_search")  # as a database written before the table
    assert state.list_clusters(text="ädmin") == []
    state.close()
    reopened = StateStore(tmp_path / "state.sqlite")
    try:
        assert [row.id for row in reopened.list_clusters(text="ÄDMIN")] == ["c-admin"]
        assert reopened.count_clusters(text="STRASSE") == 1
    finally:
        reopened.close()
