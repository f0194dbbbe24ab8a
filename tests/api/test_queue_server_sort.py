"""``GET /v1/clusters?sort=``: the queue's column sorts on the server (task PAGE2 #1).

The page reads at most 1,000 clusters and sorted those rows only: "oldest first seen"
over a bigger queue showed the oldest of the riskiest 1,000.  ``sort`` orders the whole
queue by a column (``-`` for descending), ties by the queue's own order (risk, fewest
hosts, id), and keyset paging walks it: every cluster once, in that order, whatever the
page size.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from graphsiem.api.queue_order import SORTABLE, SUMMARY_PREFIX
from tests.api.conftest import Api
from tests.web.queue_helpers import stored_cluster

COUNT = 40
STATUSES = ["open", "investigating", "closed"]


def _clusters() -> list[dict[str, Any]]:
    rng = random.Random(11)
    clusters = []
    for i in range(COUNT):
        # few distinct scores and host counts: ties must go on to the next key
        cluster = stored_cluster(rng.choice([20.0, 55.5, 55.5, 90.0]), f"s{i:02d}",
                                 hosts=[f"ws-{i:02d}-{n}" for n in range(rng.choice([1, 2, 2, 5]))])
        first = None if i % 9 == 0 else 1_763_600_000.0 + rng.choice([0, 60, 60, 3600])
        cluster["first_seen_ts"] = first
        cluster["last_seen_ts"] = None if first is None else first + rng.choice([0, 600])
        cluster["explanation"]["summary"] = rng.choice(["Beacon", "beacon", "Äther", "zeta", "alpha"]) \
            + " " + "x" * rng.choice([0, SUMMARY_PREFIX])
        clusters.append(cluster)
    return clusters


def _triage(api: Api) -> dict[str, dict[str, Any]]:
    """Status, verdict and assignee written on some clusters, as an analyst does."""
    rng = random.Random(13)
    written: dict[str, dict[str, Any]] = {}
    for i in range(0, COUNT, 3):
        body = {"status": rng.choice(STATUSES), "assignee": rng.choice(["bob", "alice", None]),
                "note": "sorting"}
        if i % 2:
            body["verdict"] = rng.choice(["malicious", "benign"])
        answer = api.patch(f"/v1/clusters/c-s{i:02d}", role="analyst", json=body)
        assert answer.status_code == 200, answer.text
        written[f"c-s{i:02d}"] = body
    return written


def _expected(clusters: list[dict[str, Any]], triage: dict[str, dict[str, Any]], sort: str) -> list[str]:
    """The order ``sort`` promises, computed here from what was stored."""
    column, descending = sort.removeprefix("-"), sort.startswith("-")
    smallest = float("-inf")

    def value(c: dict[str, Any]) -> Any:
        t = triage.get(c["id"], {})
        return {
            "score": c["score"], "host_count": len(c["hosts"]),
            "first_seen": c["first_seen_ts"] if c["first_seen_ts"] is not None else smallest,
            "last_seen": c["last_seen_ts"] if c["last_seen_ts"] is not None else smallest,
            "status": t.get("status") or "open", "verdict": t.get("verdict") or "",
            "assignee": t.get("assignee") or "", "summary": c["explanation"]["summary"][:SUMMARY_PREFIX],
        }[column]

    queue = sorted(clusters, key=lambda c: (-c["score"], len(c["hosts"]), c["id"]))
    # stable: equal values keep the queue's own order
    return [c["id"] for c in sorted(queue, key=value, reverse=descending)] if not descending else \
        [c["id"] for c in _stable_descending(queue, value)]


def _stable_descending(queue: list[dict[str, Any]], value) -> list[dict[str, Any]]:
    groups: dict[Any, list[dict[str, Any]]] = {}
    for c in queue:
        groups.setdefault(value(c), []).append(c)
    return [c for key in sorted(groups, reverse=True) for c in groups[key]]


def _walk(api: Api, limit: int, **params: Any) -> tuple[list[str], set[int]]:
    ids, totals, cursor = [], set(), None
    while True:
        answer = api.get("/v1/clusters", role="analyst",
                         params={**params, "limit": limit} | ({"cursor": cursor} if cursor else {}))
        assert answer.status_code == 200, answer.text
        body = answer.json()
        ids += [c["id"] for c in body["items"]]
        totals.add(body["total"])
        cursor = body["next_cursor"]
        if cursor is None:
            return ids, totals


@pytest.fixture
def sorted_api(api: Api) -> tuple[Api, list[dict[str, Any]], dict[str, dict[str, Any]]]:
    clusters = _clusters()
    api.ctx.state.save_clusters("d1", clusters)
    return api, clusters, _triage(api)


@pytest.mark.parametrize("sort", [*SORTABLE, *(f"-{column}" for column in SORTABLE)])
def test_every_column_sorts_the_whole_queue_across_pages(sorted_api, sort: str) -> None:
    api, clusters, triage = sorted_api
    expected = _expected(clusters, triage, sort)
    for limit in (1, 7, 100):
        ids, totals = _walk(api, limit, sort=sort)
        assert ids == expected, (sort, limit)
        assert totals == {COUNT}


def test_the_default_and_minus_score_are_the_queue_order(sorted_api) -> None:
    api, clusters, triage = sorted_api
    queue = _walk(api, 100)[0]
    assert queue == _walk(api, 7, sort="-score")[0] == _expected(clusters, triage, "-score")


def test_a_sort_combines_with_the_filters_and_q(sorted_api) -> None:
    api, clusters, triage = sorted_api
    ids, totals = _walk(api, 3, sort="first_seen", q="ÄTHER", min_score=50)
    expected = [i for i in _expected(clusters, triage, "first_seen")
                if (c := next(c for c in clusters if c["id"] == i))["score"] >= 50
                and c["explanation"]["summary"].startswith("Äther")]
    assert ids == expected and totals == {len(expected)} and expected


def test_a_cursor_is_for_the_sort_it_was_made_under(sorted_api) -> None:
    api, _, _ = sorted_api
    cursor = api.get("/v1/clusters", role="analyst", params={"sort": "-last_seen", "limit": 5}).json()["next_cursor"]
    answer = api.get("/v1/clusters", role="analyst", params={"sort": "status", "cursor": cursor})
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "query.cursor"
    assert "made for sort=-last_seen, not sort=status" in answer.json()["error"]["message"]
    plain = api.get("/v1/clusters", role="analyst", params={"limit": 5}).json()["next_cursor"]
    assert api.get("/v1/clusters", role="analyst", params={"sort": "-last_seen", "cursor": plain}).status_code == 422


@pytest.mark.parametrize("sort", ["risk;DROP TABLE clusters", "hosts", "--score", "c.id"])
def test_an_unknown_sort_is_refused_naming_the_columns(sorted_api, sort: str) -> None:
    api, _, _ = sorted_api
    answer = api.get("/v1/clusters", role="analyst", params={"sort": sort})
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["field"] == "query.sort" and "one of score, host_count" in error["message"]


def test_a_sorted_page_has_its_own_etag_and_answers_304(sorted_api) -> None:
    api, _, _ = sorted_api
    first = api.get("/v1/clusters", role="analyst", params={"sort": "assignee"})
    other = api.get("/v1/clusters", role="analyst", params={"sort": "-assignee"})
    assert first.headers["ETag"] != other.headers["ETag"]
    again = api.client.get("/v1/clusters", params={"sort": "assignee"},
                           headers={**api.headers("analyst"), "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("sort", ["first_seen", "-last_seen", "summary"])
def test_a_sorted_page_is_read_from_its_column_index_down_to_the_cursor(tmp_path, sort: str) -> None:
    # Sorting the whole queue for each page cost 105-285 ms on 20,000 clusters, for every one
    # of the page's 10 pages; read from the column's index it is 4-16 ms (benchmarks/bench_queue.py).
    from graphsiem.api import state_clusters
    from graphsiem.api.queue_order import parse_sort
    from graphsiem.api.state import StateStore

    state = StateStore(tmp_path / "state.sqlite")
    try:
        state.save_clusters("d1", _clusters())
        order = parse_sort(sort)
        where, params = state_clusters._queue_filters()
        fragment, values = order.after("x", 50.0, 1, "c-s01")
        sql = (state_clusters._CLUSTER_COLUMNS + state_clusters._CLUSTER_FROM + " WHERE "
               + " AND ".join([*where, fragment]) + f" ORDER BY {order.order_by()} LIMIT 101")
        plan = " | ".join(row[3] for row in state._query("EXPLAIN QUERY PLAN " + sql, [*params, *values]))
        assert f"INDEX clusters_sort_{order.column}" in plan, plan
    finally:
        state.close()
