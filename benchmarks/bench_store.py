"""Relation upserts per second into each store, and Neo4j batched vs naive.

Usage::

    .venv/bin/python benchmarks/bench_store.py [--relations 100000] [--naive-rows 5000]

Neo4j: ``GRAPHSIEM_NEO4J_URI`` (+ ``_USER``/``_PASSWORD``) when set, otherwise a
private server started through ``scripts/neo4j/neo4j.sh`` and stopped at the
end.  The database is cleared before each measurement, so point it at a
scratch database only.

The data is generated, pre-aggregated relations of a fleet (hosts RAN
processes, processes RESOLVED domains / CONNECTED ips / SPAWNED processes),
1-3 evidence ids each, written in batches of ``--batch`` like ingest does.
The naive baseline writes the first ``--naive-rows`` of the same relations with
one ``MERGE`` statement (one auto-commit transaction) per row; its rate is
compared with the batched rate on the same rows.

Targets (issue 2): embedded >= 200,000 rel/s; Neo4j batched >= 20,000 rel/s and
>= 20x the naive path.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from graphsiem.model import EVIDENCE_CAP, Relation, entity_uid
from graphsiem.store import neo4j_queries as q
from graphsiem.store.embedded import EmbeddedStore
from graphsiem.store.neo4j_server import Neo4jServer, start_private_server, stop_private_server
from graphsiem.store.neo4j_store import Neo4jStore


def generate(n: int, *, seed: int = 7) -> list[Relation]:
    """``n`` distinct relations over a fleet sized like the demo (hosts ~ n/100)."""
    rng = random.Random(seed)
    hosts = max(n // 100, 10)
    processes, domains, ips = max(n // 20, 50), max(n // 40, 20), max(n // 40, 20)
    kinds = [
        ("host", hosts, "RAN", "process", processes),
        ("process", processes, "RESOLVED", "domain", domains),
        ("process", processes, "CONNECTED", "ip", ips),
        ("process", processes, "SPAWNED", "process", processes),
    ]
    seen: set[tuple[str, str, str]] = set()
    relations: list[Relation] = []
    event = 0
    while len(relations) < n:
        src_type, n_src, rel_type, dst_type, n_dst = rng.choice(kinds)
        src = (src_type, f"{src_type[:1]}-{rng.randrange(n_src):06d}")
        dst = (dst_type, f"{dst_type[:1]}-{rng.randrange(n_dst):06d}")
        if (src[1], rel_type, dst[1]) in seen:
            continue
        seen.add((src[1], rel_type, dst[1]))
        k = rng.randint(1, 3)
        evidence = [f"ev-{event + i:09d}" for i in range(k)]
        event += k
        t = 1_700_000_000.0 + rng.random() * 86_400
        relations.append(Relation(src, rel_type, dst, t, t + rng.random() * 600, k, evidence))
    return relations


def batches(relations: Sequence[Relation], size: int) -> list[Sequence[Relation]]:
    return [relations[i : i + size] for i in range(0, len(relations), size)]


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_embedded(relations: Sequence[Relation], batch: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = EmbeddedStore(Path(tmp))
        parts = batches(relations, batch)
        fresh = timed(lambda: [store.upsert_relations(p) for p in parts])
        merge = timed(lambda: [store.upsert_relations(p) for p in parts])
        flush = timed(store.flush)
        store.close()
    n = len(relations)
    print(f"embedded  new edges     : {n / fresh:12,.0f} rel/s  ({n:,} in {fresh:.2f}s)")
    print(f"embedded  merge (re-run): {n / merge:12,.0f} rel/s  ({n:,} in {merge:.2f}s)")
    print(f"embedded  flush to disk : {flush:.2f}s")


def naive_upsert(store: Neo4jStore, relations: Sequence[Relation]) -> None:
    """One MERGE statement per relation, each its own auto-commit transaction."""
    with store._driver.session(database=store.database) as session:
        for r in relations:
            session.run(
                q.naive_upsert_relation(r.src[0], r.type, r.dst[0]),
                src=r.src[1], src_uid=entity_uid(*r.src), src_type=r.src[0],
                dst=r.dst[1], dst_uid=entity_uid(*r.dst), dst_type=r.dst[0],
                first_seen=r.first_seen, last_seen=r.last_seen, count=r.count,
                evidence=r.evidence, cap=EVIDENCE_CAP,
            ).consume()


def bench_neo4j(server: Neo4jServer, relations: Sequence[Relation], batch: int, naive_rows: int) -> None:
    store = server.connect(batch_size=batch)
    try:
        # Warm-up: plan every query once so the timings measure writes, not the planner.
        store.upsert_relations(generate(400, seed=1))
        naive_upsert(store, generate(40, seed=2))
        store.clear()

        parts = batches(relations, batch)
        n = len(relations)
        fresh = timed(lambda: [store.upsert_relations(p) for p in parts])
        merge = timed(lambda: [store.upsert_relations(p) for p in parts])
        assert store.counts()["relations"] and sum(store.counts()["relations"].values()) == n
        print(f"neo4j     batched new   : {n / fresh:12,.0f} rel/s  ({n:,} in {fresh:.2f}s, batch {batch})")
        print(f"neo4j     batched merge : {n / merge:12,.0f} rel/s  ({n:,} in {merge:.2f}s)")

        subset = relations[:naive_rows]
        store.clear()
        batched_subset = timed(lambda: [store.upsert_relations(p) for p in batches(subset, batch)])
        store.clear()
        naive = timed(lambda: naive_upsert(store, subset))
        m = len(subset)
        print(f"neo4j     naive 1/row   : {m / naive:12,.0f} rel/s  ({m:,} in {naive:.2f}s)")
        print(f"neo4j     batched, same : {m / batched_subset:12,.0f} rel/s  ({m:,} in {batched_subset:.2f}s)")
        print(f"neo4j     batched/naive : {naive / batched_subset:12.1f}x  (same {m:,} rows)")
        print(f"neo4j     batched(all)/naive: {(n / fresh) / (m / naive):8.1f}x")
        store.clear()
    finally:
        store.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--relations", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--naive-rows", type=int, default=5_000)
    parser.add_argument("--skip-neo4j", action="store_true")
    args = parser.parse_args(argv)

    relations = generate(args.relations)
    print(f"{len(relations):,} distinct relations, batches of {args.batch:,}")
    bench_embedded(relations, args.batch)
    if args.skip_neo4j:
        return 0
    server = Neo4jServer.from_env()
    home = None
    if server is None:
        home = Path(tempfile.mkdtemp(prefix="bench-neo4j-"))
        server = start_private_server(home)
        print(f"started private Neo4j at {server.uri} (home {home})")
    try:
        bench_neo4j(server, relations, args.batch, args.naive_rows)
    finally:
        if home is not None:
            stop_private_server(home)
    return 0


if __name__ == "__main__":
    sys.exit(main())
