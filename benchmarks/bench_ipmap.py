"""IP -> host map: cost of learning leases and endpoint observations, of saving them, of lookups.

Two cases, each timed in CPU seconds (``time.process_time``) and wall:

* **turns**: ``--leases`` DHCP leases (default 80,000) of one address that
  ``--hosts`` hosts (400) take in turn, one every 5 minutes for an hour each:
  every lease ends the one before, so the address holds as many intervals as
  leases.  The worst case of a list scanned per lease.
* **fleet**: ``--fleet-hosts`` machines (1,000) over ``--days`` (7) on a pool
  a tenth larger, 8-hour leases renewed every 4 hours, a tenth of the machines
  moving to a free address each day, and one endpoint network event per
  machine every 30 minutes (``add_endpoint``); fed endpoint events first, then
  the DHCP log, as ``graphsiem ingest fleet/`` reads the endpoint files before
  the sensor's.  Then ``--lookups`` lookups at random addresses and times.
* **churn**: ``--churn-leases`` leases (20,000) of one address taken in turn as
  in *turns*, saved after each ``--churn-batch`` (100) leases, as a live pipe's
  settles save small batches often (always written, with or without
  ``--writes``).  A save's cost should follow the leases it changed, not the
  address's history: the saving CPU-s per save stays flat as the address grows.

With ``--writes`` the learning is saved as the pipeline does, a
:meth:`~ingest.ipmap.IpHostMap.write` and ``saved`` in one transaction per
5,000 items, to a fresh journal in a temporary directory (removed after).

Run: ``python benchmarks/bench_ipmap.py [--leases 80000] [--hosts 400] [--writes] [--case churn]``.
Figures (``docs/performance.md``) are leases (or items) per CPU-second.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ingest.ipmap import IpHostMap  # noqa: E402
from ingest.journal import Journal  # noqa: E402

BATCH = 5000
"""Items learnt between two saves: the pipeline's batch."""

Item = tuple[str, str, str, float, float]
"""(kind, ip, host, time, lease seconds): kind ``lease`` or ``endpoint``."""


def turns(leases: int, hosts: int) -> list[Item]:
    """One address leased ``leases`` times, every 300 s for 3,600 s, to ``hosts`` hosts in turn."""
    return [("lease", "10.0.0.5", f"ws-{i % hosts:04d}", i * 300.0, 3600.0) for i in range(leases)]


def fleet(hosts: int, days: int, seed: int = 7) -> list[Item]:
    """A fleet's endpoint events (all first) then its DHCP log, in time order each."""
    rng = random.Random(seed)
    pool = [f"10.1.{i // 250}.{i % 250 + 1}" for i in range(hosts + hosts // 10)]
    holder = {f"ws-{h:04d}": pool[h] for h in range(hosts)}
    free = pool[hosts:]
    leases: list[Item] = []
    endpoints: list[Item] = []
    for day in range(days):
        for name in rng.sample(sorted(holder), hosts // 10):  # a tenth move to a free address today
            free.append(holder[name])
            holder[name] = free.pop(rng.randrange(len(free) - 1))
        for hour in range(0, 24, 4):  # a renewal every 4 h (T1 of an 8 h lease)
            start = (day * 24 + hour) * 3600.0
            for name, ip in holder.items():
                leases.append(("lease", ip, name, start + rng.uniform(0, 600), 8 * 3600.0))
        for half_hour in range(48):
            start = (day * 48 + half_hour) * 1800.0
            for name, ip in holder.items():
                endpoints.append(("endpoint", ip, name, start + rng.uniform(0, 1800), 0.0))
    leases.sort(key=lambda item: item[3])
    endpoints.sort(key=lambda item: item[3])
    return endpoints + leases


def learn(items: list[Item], db: Journal | None, batch: int = BATCH) -> tuple[IpHostMap, float, float, float]:
    """Feed ``items`` to a new map, saving every ``batch`` items when ``db`` is given.

    Returns the map, CPU seconds learning, CPU seconds saving, wall seconds in all.
    """
    ipmap = IpHostMap()
    add_lease, add_endpoint = ipmap.add_lease, ipmap.add_endpoint
    learning = saving = 0.0
    wall = time.perf_counter()
    for at in range(0, len(items), batch):
        cpu = time.process_time()
        for kind, ip, host, ts, seconds in items[at : at + batch]:
            if kind == "lease":
                add_lease(ip, host, ts, seconds)
            else:
                add_endpoint(ip, host, ts)
        learning += time.process_time() - cpu
        if db is not None:
            cpu = time.process_time()
            connection = db.connection
            connection.execute("BEGIN IMMEDIATE")
            written = ipmap.write(connection)
            connection.execute("COMMIT")
            ipmap.saved(written)
            saving += time.process_time() - cpu
    return ipmap, learning, saving, time.perf_counter() - wall


def lookups(ipmap: IpHostMap, items: list[Item], count: int, seed: int = 11) -> tuple[float, int]:
    """CPU seconds of ``count`` lookups at the items' addresses and random times in their span; hits."""
    rng = random.Random(seed)
    ips = sorted({item[1] for item in items})
    low, high = min(item[3] for item in items), max(item[3] for item in items)
    queries = [(rng.choice(ips), rng.uniform(low, high)) for _ in range(count)]
    lookup = ipmap.lookup
    cpu = time.process_time()
    hits = sum(lookup(ip, ts) is not None for ip, ts in queries)
    return time.process_time() - cpu, hits


def journals(writes: bool) -> Iterator[Journal | None]:
    """A fresh journal in a temporary directory (removed after), or None without ``--writes``."""
    if not writes:
        yield None
        return
    directory = Path(tempfile.mkdtemp(prefix="bench-ipmap-"))
    try:
        with Journal(directory / "journal.sqlite") as journal:
            yield journal
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def run(name: str, make: Callable[[], list[Item]], writes: bool, lookup_count: int, batch: int = BATCH) -> None:
    items = make()
    leases = sum(item[0] == "lease" for item in items)
    for journal in journals(writes):
        ipmap, learning, saving, wall = learn(items, journal, batch)
        line = (f"{name}: {len(items):,} items ({leases:,} leases), {len(ipmap):,} intervals; "
                f"learning {learning:.2f} CPU-s = {len(items) / max(learning, 1e-9):,.0f} items/CPU-s")
        if journal is not None:
            saves = -(-len(items) // batch)
            line += (f"; saving {saving:.2f} CPU-s = {len(items) / max(saving, 1e-9):,.0f} items/CPU-s"
                     f" ({saves:,} saves, {1000 * saving / saves:.2f} CPU-ms a save)")
        line += f"; wall {wall:.2f} s"
        if lookup_count:
            spent, hits = lookups(ipmap, items, lookup_count)
            line += f"; {lookup_count:,} lookups ({hits:,} hits) {lookup_count / max(spent, 1e-9):,.0f}/CPU-s"
        print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leases", type=int, default=80_000)
    parser.add_argument("--hosts", type=int, default=400)
    parser.add_argument("--fleet-hosts", type=int, default=1000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--lookups", type=int, default=200_000)
    parser.add_argument("--writes", action="store_true", help="save every 5,000 items, as the pipeline does")
    parser.add_argument("--churn-leases", type=int, default=20_000)
    parser.add_argument("--churn-batch", type=int, default=100, help="leases between two saves in the churn case")
    parser.add_argument("--case", choices=("turns", "fleet", "churn", "both", "all"), default="both")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} (2 cores shared)", flush=True)
    if args.case in ("turns", "both", "all"):
        run("turns", lambda: turns(args.leases, args.hosts), args.writes, args.lookups)
    if args.case in ("fleet", "both", "all"):
        run("fleet", lambda: fleet(args.fleet_hosts, args.days), args.writes, args.lookups)
    if args.case in ("churn", "all"):
        run("churn", lambda: turns(args.churn_leases, args.hosts), True, 0, args.churn_batch)


if __name__ == "__main__":
    main()
