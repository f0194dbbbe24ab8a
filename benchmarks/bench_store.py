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
import os
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


class Clock:
    """Wall time, this process's CPU time and (when its PID is known) the server's CPU time.

    On a shared 2-core machine the wall rate depends on everyone else's load;
    the CPU rates say what the code costs.  Both are printed.
    """

    def __init__(self, server_pid: int | None = None) -> None:
        self.server_pid = server_pid

    def _server_cpu(self) -> float:
        if self.server_pid is None:
            return 0.0
        try:
            fields = Path(f"/proc/{self.server_pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def measure(self, fn) -> tuple[float, float, float]:
        """``(wall, client cpu, server cpu)`` seconds spent in ``fn()``."""
        wall, cpu, server = time.perf_counter(), time.process_time(), self._server_cpu()
        fn()
        return (time.perf_counter() - wall, time.process_time() - cpu,
                self._server_cpu() - server)


def line(label: str, n: int, spent: tuple[float, float, float], extra: str = "") -> str:
    wall, cpu, server = spent
    text = f"{label:<26}: {n / wall:9,.0f} rel/s wall ({n:,} in {wall:.2f}s; client CPU {cpu:.2f}s"
    if server:
        text += f", server CPU {server:.2f}s = {n / server:,.0f} rel/server-CPU-s"
    return text + extra + ")"


def bench_embedded(relations: Sequence[Relation], batch: int) -> None:
    clock = Clock()
    n = len(relations)
    with tempfile.TemporaryDirectory() as tmp:
        store = EmbeddedStore(Path(tmp))
        parts = batches(relations, batch)
        fresh = clock.measure(lambda: [store.upsert_relations(p) for p in parts])
        merge = clock.measure(lambda: [store.upsert_relations(p) for p in parts])
        flush = clock.measure(store.flush)
        store.close()
    print(line("embedded new edges", n, fresh, f" = {n / fresh[1]:,.0f} rel/CPU-s"))
    print(line("embedded merge (re-run)", n, merge, f" = {n / merge[1]:,.0f} rel/CPU-s"))
    print(f"{'embedded flush to disk':<26}: {flush[0]:.2f}s")


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


def bench_neo4j(
    server: Neo4jServer, relations: Sequence[Relation], batch: int, naive_rows: int,
    server_pid: int | None, warmup: int,
) -> None:
    clock = Clock(server_pid)
    store = server.connect(batch_size=batch)
    try:
        # Warm-up: plan every query and let the JIT compile the hot paths, so the
        # timings measure writes, not a cold JVM (a fresh server spends several
        # CPU-seconds compiling during its first ~20,000 relations).
        for seed in (1, 2):
            store.upsert_relations(generate(warmup, seed=seed))
            store.clear()
        naive_upsert(store, generate(200, seed=3))
        store.clear()

        parts = batches(relations, batch)
        n = len(relations)
        fresh = clock.measure(lambda: [store.upsert_relations(p) for p in parts])
        merge = clock.measure(lambda: [store.upsert_relations(p) for p in parts])
        assert sum(store.counts()["relations"].values()) == n
        print(line(f"neo4j batched new (b={batch})", n, fresh))
        print(line("neo4j batched merge", n, merge))

        subset = relations[:naive_rows]
        m = len(subset)
        store.clear()
        batched = clock.measure(lambda: [store.upsert_relations(p) for p in batches(subset, batch)])
        store.clear()
        naive = clock.measure(lambda: naive_upsert(store, subset))
        print(line("neo4j naive, 1 MERGE/row", m, naive))
        print(line("neo4j batched, same rows", m, batched))
        print(f"{'neo4j batched/naive':<26}: {naive[0] / batched[0]:9.1f}x on the same {m:,} rows; "
              f"{(n / fresh[0]) / (m / naive[0]):.1f}x for the full batched run")
        store.clear()
    finally:
        store.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--relations", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--naive-rows", type=int, default=5_000)
    parser.add_argument("--warmup", type=int, default=20_000,
                        help="relations written (twice) to warm Neo4j up before timing")
    parser.add_argument("--skip-neo4j", action="store_true")
    parser.add_argument("--neo4j-pid", type=int,
                        help="PID of a local server given by URI, to report its CPU time")
    args = parser.parse_args(argv)

    relations = generate(args.relations)
    print(f"{len(relations):,} distinct relations, batches of {args.batch:,}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    bench_embedded(relations, args.batch)
    if args.skip_neo4j:
        return 0
    server = Neo4jServer.from_env()
    home, server_pid = None, args.neo4j_pid
    if server is None:
        home = Path(tempfile.mkdtemp(prefix="bench-neo4j-"))
        server = start_private_server(home)
        server_pid = int((home / "neo4j.pid").read_text())
        print(f"started private Neo4j at {server.uri} (home {home})")
    try:
        bench_neo4j(server, relations, args.batch, args.naive_rows, server_pid, args.warmup)
    finally:
        if home is not None:
            stop_private_server(home)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
