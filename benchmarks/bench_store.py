"""Relation upserts per second into each store, and Neo4j batched vs naive.

Usage::

    .venv/bin/python benchmarks/bench_store.py [--relations 100000] [--naive-rows 5000]

Neo4j: ``GRAPHSIEM_NEO4J_URI`` (+ ``_USER``/``_PASSWORD``) when set, otherwise a
private server started through ``scripts/neo4j/neo4j.sh`` with the deployed
memory settings (docker-compose.yml: 1g heap, 512m page cache) and stopped at
the end.  The database is cleared before each measurement, so point it at a
scratch database only.

The data is generated, pre-aggregated relations of a fleet (hosts RAN
processes, processes RESOLVED domains / CONNECTED ips / SPAWNED processes),
1-3 evidence ids each, written in batches of ``--batch`` like ingest does.
Neo4j is warmed up first (``--warmup`` untimed rounds: the JIT compiles for
~20 CPU-seconds), then each measurement runs ``--repeat`` times and the median
is printed with the spread.  The naive baseline writes ``--naive-rows`` rows
with one ``MERGE`` statement (one auto-commit transaction) per row; batched
and naive alternate on the same rows for ``--ratio-rounds`` rounds, on two
samples: a fleet sized for those rows (shaped like the full run) and the head
of the full run's fleet (more distinct nodes than relations: the batched
path's worst case).

Targets (issue 2): embedded >= 200,000 rel/s; Neo4j batched >= 20,000 rel/s and
>= 20x the naive path.

Latest run, ``--naive-full`` (2026-11-28 21:20, load 0.3 -> 1.1): embedded new
edges 258k rel/s wall (runs 251-266k); Neo4j batched new 23.8k rel/s wall
(runs 23.5-23.9k, 28.5k per server CPU-second), merges 38.9k; the naive path
over all 100,000 rows 963 rel/s, **batched/naive on the same rows 24.7x**;
5,000-row samples: fleet-sized 37.3x (rounds 29.8-59.1x), head of the full run
19.5x (rounds 18.3-26.3x).

The run before, ``--naive-full`` (2026-11-28 17:00, machine quiet: load 0.1 -> 1.2):

* embedded new edges 244k rel/s wall (runs 237-249k), merges 748k;
* Neo4j batched new 23.0k rel/s wall (runs 22.7-23.1k; 21.8k per server
  CPU-second), merges 39.6k;
* **the naive path over all 100,000 rows: 812 rel/s, so batched/naive on the
  same rows is 28.3x**;
* same 5,000 rows: 39.9x on the fleet-sized sample (rounds 35.3-51.0x), 21.3x
  on the head of the full run (rounds 17.2-26.9x: its worst case, below 20x in
  2 of 5 rounds).

Earlier, on the shared 2-core machine (other sessions busy), two
full runs after new endpoints became lookup + ``CREATE`` and sightings went by
element id, medians of the runs (load average start -> end):

* embedded new edges 330k / 293k rel/s wall (runs 270-343k), merges 871k / 853k;
* Neo4j batched new 21.4k / 23.8k rel/s wall (runs 20.0-24.4k; 17.5k / 27.2k
  per server CPU-second, client 0.9-1.0 s per 100k), merges 39.3k / 45.5k;
* batched/naive on the same 5,000 rows: 36.4x / 40.9x on the fleet-sized
  sample (rounds 26.3-65.2x); 22.0x / 18.7x on the head of the full run
  (rounds 12.8-25.8x; batched 16.7k / 15.4k rel/s, naive 779 / 778 rel/s);
  the full batched run is 27.5x / 30.6x the naive rate.
  (load 1.5 -> 1.4 / 1.3 -> 1.5)

Before that (two runs, load 3.8 -> 2.4 / 1.5 -> 1.8): Neo4j new 24.2k / 20.2k
rel/s wall, head-of-run ratio 18.2x / 18.4x (rounds 14.2-20.7x), fleet-sized
34.9x / 39.5x.  Head of the run alone, alternating rounds on one warm server
(load 0.7-1.9): ``MERGE`` of new nodes 13.1k rel/s wall, 11.5k per server
CPU-second; lookup + ``CREATE`` 16.3k, 19.2k.  Sightings (100,000 over known
nodes, load 1.6): by key 24.7k/s new, 30.5k merge; by element id 34.3k, 46.2k.
A plain index instead of the ``uid`` uniqueness constraint made no measurable
difference (18.2k vs 19.2k per server CPU-second) and was not kept.

Before this round of work (same machine, load ~2): Neo4j new 8.0-15.4k rel/s
(8.7k per server CPU-second, 512m heap, cold JIT), embedded 170-283k.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from functools import partial
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


def write_all(store: EmbeddedStore | Neo4jStore, parts: Sequence[Sequence[Relation]]) -> None:
    for part in parts:
        store.upsert_relations(part)


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


def median_run(
    label: str, n: int, runs: list[tuple[float, float, float]], *, per_cpu: bool = False
) -> str:
    """The run with the median wall time, and the spread of the wall rates."""
    mid = sorted(runs)[len(runs) // 2]
    rates = sorted(n / run[0] for run in runs)
    extra = f" = {n / mid[1]:,.0f} rel/CPU-s" if per_cpu else ""
    if len(runs) > 1:
        extra += f"; {len(runs)} runs {rates[0]:,.0f}-{rates[-1]:,.0f} rel/s"
    return line(label, n, mid, extra)


def bench_embedded(relations: Sequence[Relation], batch: int, repeat: int) -> None:
    clock = Clock()
    n = len(relations)
    parts = batches(relations, batch)
    fresh, merge, flush = [], [], []
    for _ in range(repeat + 1):  # the first round only warms up (imports, allocator)
        with tempfile.TemporaryDirectory() as tmp:
            store = EmbeddedStore(Path(tmp))
            fresh.append(clock.measure(partial(write_all, store, parts)))
            merge.append(clock.measure(partial(write_all, store, parts)))
            flush.append(clock.measure(store.flush))
            store.close()
    print(median_run("embedded new edges", n, fresh[1:], per_cpu=True))
    print(median_run("embedded merge (re-run)", n, merge[1:], per_cpu=True))
    print(f"{'embedded flush to disk':<26}: {sorted(f[0] for f in flush[1:])[len(flush[1:]) // 2]:.2f}s")


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
    server_pid: int | None, warmup: int, repeat: int, ratio_rounds: int, naive_full: bool = False,
) -> None:
    clock = Clock(server_pid)
    store = server.connect(batch_size=batch)
    parts = batches(relations, batch)
    n = len(relations)
    subset = relations[:naive_rows]
    m = len(subset)
    try:
        # Warm-up: plan every query and let the JIT compile the hot paths, so the
        # timings measure writes, not a cold JVM.  A fresh server spends ~20
        # CPU-seconds in its compiler threads over the first ~300,000 relations
        # (measured: 12.4, 4.3, 1.7, 0.5 s in four successive 100,000-relation
        # rounds); two rounds of 20,000 left the first timed run at a third of
        # the warm rate.
        for _ in range(warmup):
            write_all(store, parts)
            write_all(store, parts)
            store.clear()
        naive_upsert(store, subset[: max(m // 10, 1)])
        store.clear()

        fresh, merge = [], []
        for _ in range(repeat):
            fresh.append(clock.measure(partial(write_all, store, parts)))
            merge.append(clock.measure(partial(write_all, store, parts)))
            assert sum(store.counts()["relations"].values()) == n
            store.clear()
        print(median_run(f"neo4j batched new (b={batch})", n, fresh))
        print(median_run("neo4j batched merge", n, merge))

        # The ratio on the same rows, both paths measured in each round (alternating,
        # from an empty graph each time), so a burst of load on this shared machine
        # moves one round's ratio, not the median.  Two samples: a fleet generated
        # at the sample's size, shaped like the full run (0.11 new nodes per
        # relation), and the head of the full run's fleet, whose 5,000 relations
        # touch 6,273 distinct nodes (1.25 new nodes per relation: the batched
        # path's worst case, since node creation is work while the naive path's
        # cost is mostly its per-statement round trip and commit).
        samples = [("fleet-sized", generate(naive_rows, seed=11)), ("head of full run", subset)]
        for name, rows in samples:
            ratios, naive_runs, batched_runs = [], [], []
            for _ in range(ratio_rounds):
                batched = clock.measure(partial(write_all, store, batches(rows, batch)))
                store.clear()
                naive = clock.measure(partial(naive_upsert, store, rows))
                store.clear()
                batched_runs.append(batched)
                naive_runs.append(naive)
                ratios.append(naive[0] / batched[0])
            k = len(rows)
            nodes = len({r.src for r in rows} | {r.dst for r in rows})
            print(f"-- {k:,} rows, {name} ({nodes:,} nodes)")
            print(median_run("neo4j naive, 1 MERGE/row", k, naive_runs))
            print(median_run("neo4j batched, same rows", k, batched_runs))
            ratios.sort()
            print(f"{'neo4j batched/naive':<26}: {ratios[len(ratios) // 2]:9.1f}x median "
                  f"({len(ratios)} rounds: {', '.join(f'{r:.1f}x' for r in ratios)})")
        naive_rate = m / sorted(r[0] for r in naive_runs)[len(naive_runs) // 2]
        full_rate = n / sorted(f[0] for f in fresh)[len(fresh) // 2]
        print(f"{'full batched run / naive':<26}: {full_rate / naive_rate:9.1f}x (head-of-fleet naive rate)")
        if naive_full:
            # The plainest comparison: the naive path over every row of the full
            # run, from an empty graph like each batched "new" run (~2 minutes).
            whole = clock.measure(partial(naive_upsert, store, relations))
            assert sum(store.counts()["relations"].values()) == n
            store.clear()
            print(median_run("neo4j naive, whole run", n, [whole]))
            print(f"{'whole run batched/naive':<26}: {whole[0] / sorted(f[0] for f in fresh)[len(fresh) // 2]:9.1f}x "
                  f"(same {n:,} rows, batched median of {len(fresh)} runs)")
    finally:
        store.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--relations", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--naive-rows", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3,
                        help="timed runs of each measurement; the median is reported")
    parser.add_argument("--ratio-rounds", type=int, default=5,
                        help="alternating batched/naive rounds on the same rows; the median is reported")
    parser.add_argument("--warmup", type=int, default=4,
                        help="untimed rounds (new + merge of every relation) to warm Neo4j up")
    parser.add_argument("--skip-neo4j", action="store_true")
    parser.add_argument("--naive-full", action="store_true",
                        help="also run the naive path over every row of the full run (~2 min)")
    parser.add_argument("--neo4j-pid", type=int,
                        help="PID of a local server given by URI, to report its CPU time")
    args = parser.parse_args(argv)

    relations = generate(args.relations)
    print(f"{len(relations):,} distinct relations, batches of {args.batch:,}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    bench_embedded(relations, args.batch, args.repeat)
    if args.skip_neo4j:
        return 0
    server = Neo4jServer.from_env()
    home, server_pid = None, args.neo4j_pid
    if server is None:
        # The private server gets the memory of the deployed one (docker-compose.yml:
        # 1g heap, 512m page cache), not the test-sized 512m heap of neo4j.sh, where
        # G1 spends ~40% of the server's CPU on 10,000-row write transactions
        # (measured: 2.2 of 5.5 server CPU-seconds per 100,000 new relations at
        # 512m, 1.0 of 4.3 at 1g).  NEO4J_HEAP / NEO4J_PAGECACHE still override.
        os.environ.setdefault("NEO4J_HEAP", "1g")
        os.environ.setdefault("NEO4J_PAGECACHE", "512m")
        home = Path(tempfile.mkdtemp(prefix="bench-neo4j-"))
        server = start_private_server(home)
        server_pid = int((home / "neo4j.pid").read_text())
        print(f"started private Neo4j at {server.uri} (home {home}, heap {os.environ['NEO4J_HEAP']}, "
              f"page cache {os.environ['NEO4J_PAGECACHE']})")
    try:
        bench_neo4j(server, relations, args.batch, args.naive_rows, server_pid, args.warmup,
                    args.repeat, args.ratio_rounds, args.naive_full)
    finally:
        if home is not None:
            stop_private_server(home)
            # the store files of a 100k-relation run are ~0.5 GB: leaving them
            # behind filled the disk after a few dozen runs
            shutil.rmtree(home, ignore_errors=True)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
