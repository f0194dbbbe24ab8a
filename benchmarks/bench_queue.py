"""The queue's cost with ``q=`` and sorts: ``GET /v1/clusters``' page and its ``total``.

Usage::

    .venv/bin/python benchmarks/bench_queue.py [--clusters 20000] [--repeat 5] [--sort -last_seen status]

A state database (``state.sqlite``, where the queue lives whatever the graph store:
the embedded store and Neo4j serve the same list) is filled with ``--clusters``
clusters shaped like a 3,000-host fleet's queue (most on 2-10 hosts, a tail up to
400; 3-12 members, each with its value and key; a one-line summary), stored as a
detection stores them (:meth:`graphsiem.api.state.StateStore.save_clusters`).
Then, for each query, the median of ``--repeat`` runs of:

* ``page``: the first page as the API reads it (101 rows: 100 and one to know
  whether another page follows);
* ``total``: :meth:`~graphsiem.api.state.StateStore.count_clusters` with the same
  filters, the page's ``total``, counted afresh (its per-version cache emptied);
* ``walk``: the page's listing, 10 pages of 100 each with its ``total``, as the API
  answers them (the count kept per state version after the first page).

Queries: no text; a host of one cluster (``ws-01234``, upper case); a text no
cluster holds; a text half of them hold (``ws-0``); a non-ASCII name (``ÄDMIN``).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from graphsiem.api.queue_order import DEFAULT_SORT, QueueSort, parse_sort
from graphsiem.api.state import StateStore

QUERIES: list[str | None] = [None, "WS-01234", "no-such-text-anywhere", "ws-0", "ÄDMIN"]


def fleet_queue(count: int, *, seed: int = 7) -> list[dict[str, Any]]:
    """``count`` stored clusters shaped like a fleet queue's (see the module's docstring)."""
    rng = random.Random(seed)
    clusters = []
    for i in range(count):
        host_count = rng.choice([2, 2, 3, 3, 4, 5, 6, 8, 10]) if rng.random() < 0.9 else rng.randint(11, 400)
        hosts = sorted({f"ws-{rng.randrange(3000):05d}" for _ in range(host_count)})
        names = [f"{rng.choice(['cdn', 'img', 'upd', 'api'])}-{i}-{n}.example" for n in range(rng.randint(3, 12))]
        if i % 997 == 0:
            names.append(f"corp\\ädmin{i}")
        members = [{"type": "domain", "key": name, "value": name} for name in names]
        score = round(rng.uniform(5, 95), 2)
        clusters.append({
            "id": f"c-{i:06d}", "score": score, "hosts": hosts,
            "entities": [{"type": m["type"], "value": m["value"]} for m in members],
            "entity_keys": [{"type": m["type"], "key": m["key"]} for m in members], "members": members,
            "first_seen": "2026-11-20T09:00:00.000Z", "last_seen": "2026-11-20T09:05:00.000Z",
            "first_seen_ts": 1_763_629_200.0 + rng.randrange(86_400),
            "last_seen_ts": 1_763_715_600.0 + rng.randrange(86_400),
            "explanation": {"summary": f"{names[0]} on {len(hosts)} hosts within {rng.randint(1, 90)} min",
                            "features": []},
            "pivot": {"type": "domain", "key": names[0]},
        })
    return clusters


def _median_ms(run, repeat: int) -> float:
    run()  # warm the page cache of the database file
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sort", nargs="*", default=["-last_seen", "first_seen", "status", "summary"],
                        help="also time the first page and the walk of these sorts")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-queue-") as folder:
        state = StateStore(Path(folder) / "state.sqlite")
        start = time.perf_counter()
        state.save_clusters("d1", fleet_queue(args.clusters))
        print(f"{args.clusters:,} clusters stored in {time.perf_counter() - start:.1f} s")
        def cold_count(text: str | None) -> int:
            state.__dict__.pop("_queue_totals", None)
            return state.count_clusters(text=text)

        def walk(text: str | None, sort: QueueSort = DEFAULT_SORT) -> None:
            state.__dict__.pop("_queue_totals", None)
            after, value = None, None
            for _ in range(10):
                rows = state.list_clusters(text=text, limit=101, after=after, after_value=value, sort=sort)
                state.count_clusters(text=text)
                if len(rows) < 101:
                    return
                last = rows[99]
                after, value = (last.score, last.host_count, last.id), last.data.get("queue_sort_value")

        for text in QUERIES:
            page = _median_ms(lambda t=text: state.list_clusters(text=t, limit=101), args.repeat)
            total = _median_ms(lambda t=text: cold_count(t), args.repeat)
            walked = _median_ms(lambda t=text: walk(t), args.repeat)
            found = cold_count(text)
            print(f"q={text!r:26} page {page:8.1f} ms  total {total:8.1f} ms  walk {walked:8.1f} ms  "
                  f"({found:,} match)")
        for name in args.sort:
            order = parse_sort(name)
            page = _median_ms(lambda o=order: state.list_clusters(limit=101, sort=o), args.repeat)
            walked = _median_ms(lambda o=order: walk(None, o), args.repeat)
            print(f"sort={name!r:23} page {page:8.1f} ms  walk {walked:8.1f} ms")
        state.close()


if __name__ == "__main__":
    main()
