"""Detection time and peak memory versus data size, embedded store (and Neo4j with ``--neo4j``).

For each size a fleet is simulated (hosts x days x background density chosen to
give about that many events), ingested through the real pipeline into an
embedded store (cached under ``--workdir``), then detection runs in a fresh
subprocess that reports:

* wall and CPU seconds of ``detect()`` (CPU is the stable figure on a shared machine);
* peak resident memory of the process, and its resident memory after loading
  the store (the difference is what detection itself adds).

With ``--neo4j`` each size's graph is copied into a private Neo4j server
(``scripts/neo4j/neo4j.sh``) and detection is timed there too, with the number
of bounded queries it made (one Bolt round trip each; the ``iter_*`` streams
are not counted).

    .venv/bin/python benchmarks/bench_detect.py                    # 100k and 1M events
    .venv/bin/python benchmarks/bench_detect.py --sizes 100k 1M 4M --neo4j

Detection on Neo4j (task G8, 2026-11-30, seed 1, the shared 2-core machine under
other jobs: wall seconds vary up to x6 between runs, the query counts do not).
"Cold" is the first detection after the graph was copied into a fresh server,
"warm" a repeat; "pivot reads" are the per-candidate-pivot ``neighbors`` calls
(linked processes and contact shares), with their share of the detection::

    size  events     embedded wall  Neo4j wall cold / warm  queries  pivot reads  their seconds cold / warm
    100k    140,960   1.3-4.1 s      22.9-23.2 s / 7.7 s        78       46        6.3 (27 %) / 0.6 (8 %)
    1M    1,330,305  14.0-33.7 s     15.0-92.5 s / 47.1 s       94       54        2.7 (3 %)  / 0.3 (0.7 %)

(The 15.0 s cold run at 1M came when the machine was quieter; its links phase,
``linked_processes_s``, took 0.72 s.)

Neo4j's time goes to streaming the window's sightings (``incidence_s``: 7.5-67 s
at 1M, half of the detection or more), not to the pivot reads: the simulated fleets have few candidate pivots
(54 at 1M, 6-13 ms a read warm), so those reads were left one per pivot.  A
batched read was built and measured (one ``UNWIND $keys`` query per entity type
and 500 pivots, each pivot read once for both questions): 7 queries instead of
54 and identical clusters on both stores, but 0.23 s instead of 0.32 s warm at
1M (0.64 s instead of 0.62 s at 100k), within the noise, so it was not kept.
It would pay on a fleet with thousands of candidate pivots; measure that first.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

# size label -> (hosts, days, density).  Measured on the simulator: about 300
# background events per host-day at density 1, plus ~29 per host-day of
# scheduled decoys (inventory, updater) whatever the density.
SIZES = {
    "100k": (1_000, 2, 0.07),
    "1M": (10_000, 2, 0.07),
    "4M": (10_000, 2, 0.74),  # 4,117,265 events with seed 1 (2026-11-28)
}


def prepare(workdir: Path, label: str, seed: int) -> Path:
    """Simulate and ingest one size (cached); return its directory."""
    from graphsiem.simulator.engine import simulate
    from graphsiem.store import open_store
    from ingest.journal import Journal
    from ingest.pipeline import ingest_paths

    hosts, days, density = SIZES[label]
    base = workdir / f"{label}-s{seed}"
    marker = base / "ingested.json"
    if marker.exists():
        return base
    t = time.perf_counter()
    summary = simulate(base / "telemetry", hosts=hosts, days=days, seed=seed, density=density)
    sim_s = time.perf_counter() - t
    t = time.perf_counter()
    store = open_store(None, data_dir=base / "data")
    try:
        with Journal(base / "data" / "journal.sqlite") as journal:
            ingest_paths([base / "telemetry" / "endpoint", base / "telemetry" / "network"],
                         store=store, journal=journal, progress=False)
        counts = store.counts()
    finally:
        store.close()
    marker.write_text(json.dumps({"events": summary.total_events, "hosts": hosts, "days": days,
                                  "simulate_s": sim_s, "ingest_s": time.perf_counter() - t,
                                  "sightings": counts["sightings"]["total"]}))
    return base


def _child(data: str, neo4j_uri: str | None) -> None:
    """Runs in a subprocess: open the store, detect, print figures as JSON."""
    from analytics.config import DetectionConfig
    from analytics.detect import detect
    from graphsiem.store import open_store
    from graphsiem.store.base import GraphStore

    if neo4j_uri:
        from graphsiem.store.neo4j_store import Neo4jStore

        # the copy is no data directory's projection (open_store would refuse it: the directory's is embedded)
        store: GraphStore = Neo4jStore.from_env({**os.environ, "GRAPHSIEM_NEO4J_URI": neo4j_uri})
    else:
        store = open_store(None, data_dir=data)
    store.counts()  # force the embedded store to load its graph
    queries = _count_queries(store) if neo4j_uri else None
    loaded_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu0, t0 = time.process_time(), time.perf_counter()
    result = detect(store, config=DetectionConfig())
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    store.close()
    phases = {k: round(v, 2) for k, v in result.stats.items() if k.endswith("_s")}
    print(json.dumps({"wall_s": wall, "cpu_s": cpu, "peak_kib": peak_kib, "loaded_kib": loaded_kib,
                      "clusters": len(result.clusters), "sightings": result.stats.get("window_sightings"),
                      "phases": phases, "queries": queries[0] if queries else None}))


def _count_queries(store) -> list[int]:
    """Count the Neo4j store's bounded queries (one Bolt round trip each; the ``iter_*`` streams
    are not counted): ``[n]``, updated as detection runs."""
    count = [0]
    read = store._read

    def counted(query: str, **params):
        count[0] += 1
        return read(query, **params)

    store._read = counted
    return count


def measure(data: Path, env: dict[str, str] | None = None, neo4j_uri: str | None = None) -> dict:
    """Run :func:`_child` in a fresh interpreter and return its figures."""
    cmd = [sys.executable, __file__, "--child", str(data)] + (["--neo4j-uri", neo4j_uri] if neo4j_uri else [])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def copy_to_neo4j(data: Path, neo4j_store, batch: int = 10_000) -> float:
    """Copy an embedded store's graph into Neo4j; seconds taken."""
    from graphsiem.model import Entity, Relation, Sighting
    from graphsiem.store import open_store

    source = open_store(None, data_dir=data)
    t = time.perf_counter()
    neo4j_store.clear()

    def flush(kind: str, buf: list) -> None:
        getattr(neo4j_store, f"upsert_{kind}")(buf)
        buf.clear()

    for kind, items in (
        ("entities", (Entity(e.type, e.key, e.value, dict(e.props)) for e in source.iter_entities())),
        ("relations", (Relation(r.src, r.type, r.dst, r.first_seen, r.last_seen, r.count, list(r.evidence))
                       for r in source.iter_relations())),
        ("sightings", (Sighting(s.host, s.entity, s.first_seen, s.last_seen, s.count)
                       for s in source.iter_sightings())),
    ):
        buf: list = []
        for item in items:
            buf.append(item)
            if len(buf) >= batch:
                flush(kind, buf)
        if buf:
            flush(kind, buf)
    neo4j_store.flush()
    source.close()
    return time.perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", default=["100k", "1M"], choices=sorted(SIZES))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/graphsiem-bench-detect"))
    parser.add_argument("--neo4j", action="store_true", help="also time detection on Neo4j at each size")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--neo4j-uri", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, args.neo4j_uri)
        return 0

    rows = []
    print(f"{'size':>5} {'events':>9} {'hosts':>6} {'sightings':>10} {'clusters':>8} {'detect wall s':>13} "
          f"{'detect cpu s':>12} {'peak MiB':>8} {'store MiB':>9}  phases")
    for label in args.sizes:
        base = prepare(args.workdir, label, args.seed)
        meta = json.loads((base / "ingested.json").read_text())
        fig = measure(base / "data")
        rows.append((meta["events"], fig["cpu_s"]))
        print(f"{label:>5} {meta['events']:>9} {meta['hosts']:>6} {meta['sightings']:>10} {fig['clusters']:>8} "
              f"{fig['wall_s']:>13.1f} {fig['cpu_s']:>12.1f} {fig['peak_kib'] / 1024:>8.0f} "
              f"{fig['loaded_kib'] / 1024:>9.0f}  {fig['phases']}", flush=True)
    if len(rows) >= 2:
        (n0, c0), (n1, c1) = rows[0], rows[-1]
        growth = c1 / max(c0, 1e-9)
        nlogn = (n1 * math.log(n1)) / (n0 * math.log(n0))
        print(f"detection CPU grew x{growth:.1f} for x{n1 / n0:.1f} events (n log n would be x{nlogn:.1f})")

    if args.neo4j:
        from graphsiem.store.neo4j_server import start_private_server, stop_private_server

        home = args.workdir / "neo4j-home"
        shutil.rmtree(home, ignore_errors=True)  # a used home keeps its password: the new random one is refused
        server = start_private_server(home)
        try:
            for label in args.sizes:
                base = args.workdir / f"{label}-s{args.seed}"
                store = server.connect()
                copy_s = copy_to_neo4j(base / "data", store)
                store.close()
                fig = measure(base / "data", env={**os.environ, **server.environ()}, neo4j_uri=server.uri)
                print(f"neo4j {label}: graph copied in {copy_s:.0f} s; detection wall {fig['wall_s']:.1f} s, "
                      f"client cpu {fig['cpu_s']:.1f} s, {fig['queries']} queries, {fig['clusters']} clusters, "
                      f"phases {fig['phases']}", flush=True)
        finally:
            stop_private_server(home)
    return 0


if __name__ == "__main__":
    sys.exit(main())
