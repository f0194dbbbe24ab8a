"""Load and soak: sustained ingest into ``graphsiem serve`` at half the measured maximum.

1. Starts ``graphsiem serve`` (embedded store, a temporary data directory
   unless ``--data``) with an ingest key from ``graphsiem keys create``.
2. Measures the maximum: ``--clients`` threads post batches back to back for
   ``--probe-s`` seconds; events acknowledged per second.
3. Soaks at ``--fraction`` (default 0.5) of that rate for ``--minutes``
   (default 10), pacing each client, and prints every ``--every`` seconds:
   elapsed, events acknowledged, rate, latency p50/p95/p99/max, errors, the
   server's RSS, and the journal's projection lag.
4. Ends with a graceful stop and checks every acknowledged event is in the
   journal (exit 1 on errors or a loss).

Usage::

    .venv/bin/python benchmarks/soak.py --minutes 10
    .venv/bin/python benchmarks/soak.py --minutes 3 --clients 4 --batch 50
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.reliability.server import (  # noqa: E402 - after the path fix
    ServerProcess,
    batches,
    create_key,
    dns_event,
    journal_counts,
    post_batch,
)


def rss_mib(pid: int) -> float:
    """Resident set size of ``pid`` in MiB (Linux ``/proc``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Load:
    """Client threads posting unique events; optional pacing to a target rate."""

    def __init__(self, url: str, key: str, *, clients: int, batch: int, first_client: int,
                 vocabulary: int = 0) -> None:
        self.url, self.key, self.batch = url, key, batch
        self.vocabulary = vocabulary
        self.clients = clients
        self.first_client = first_client
        self.latencies: list[float] = []
        self.acked = 0
        self.errors = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.batch_interval = 0.0

    def run(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self._client, args=(self.first_client + i,),
                                    daemon=True) for i in range(self.clients)]
        for thread in threads:
            thread.start()
        return threads

    def take_latencies(self) -> list[float]:
        with self.lock:
            out, self.latencies = self.latencies, []
        return out

    def _client(self, index: int) -> None:
        source = (steady_batches(index, self.batch, self.vocabulary) if self.vocabulary
                  else batches(index, self.batch))
        next_at = time.monotonic()
        with httpx.Client() as client:
            while not self.stop.is_set():
                if self.batch_interval:
                    delay = next_at - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    next_at = max(next_at + self.batch_interval, time.monotonic() - 1.0)
                batch = next(source)
                started = time.perf_counter()
                try:
                    response = post_batch(client, self.url, self.key, batch)
                    ok = response.status_code == 200 and response.json()["accepted"] == len(batch)
                except httpx.HTTPError:
                    ok = False
                elapsed = time.perf_counter() - started
                with self.lock:
                    self.latencies.append(elapsed)
                    if ok:
                        self.acked += len(batch)
                    else:
                        self.errors += 1


def steady_batches(client: int, size: int, vocabulary: int):
    """Endless batches of unique events over a bounded set of ``vocabulary`` domains per client.

    Events stay unique (each has its own timestamp, hence its own id), but the
    graph stops growing once every domain was seen: a steady state, where a
    growing server memory would mean a leak rather than a bigger graph.
    """
    n = 0
    while True:
        yield [dns_event(client, n + i, domain=f"c{client}-d{(n + i) % vocabulary}.steady.example")
               for i in range(size)]
        n += size


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--fraction", type=float, default=0.5)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--probe-s", type=float, default=30.0)
    parser.add_argument("--every", type=float, default=30.0)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--vocabulary", type=int, default=2000,
                        help="distinct domains per soak client (0: every event a new domain, "
                             "so the graph grows without bound)")
    args = parser.parse_args(argv)

    scratch = None if args.data else Path(tempfile.mkdtemp(prefix="graphsiem-soak-"))
    data_dir = args.data or scratch / "data"
    key = create_key(data_dir, "ingest")
    # throughput, not the per-key quota, is measured: one key sends every batch
    server = ServerProcess(data_dir, env={"GRAPHSIEM_API_KEY_RATE_PER_S": "0"})
    server.start()
    assert server.proc is not None
    pid = server.proc.pid
    try:
        probe = Load(server.url, key, clients=args.clients, batch=args.batch, first_client=0)
        rss_start = rss_mib(pid)
        threads = probe.run()
        time.sleep(args.probe_s)
        probe.stop.set()
        for thread in threads:
            thread.join()
        max_rate = probe.acked / args.probe_s
        target = max_rate * args.fraction
        print(f"max: {max_rate:.0f} events/s ({args.clients} clients x {args.batch}-event batches, "
              f"p50 {_pct(probe.latencies, 0.5):.0f} ms); soak target {target:.0f} events/s "
              f"for {args.minutes:g} min; server RSS {rss_start:.0f} MiB before the probe, "
              f"{rss_mib(pid):.0f} MiB after", flush=True)

        soak = Load(server.url, key, clients=args.clients, batch=args.batch,
                    first_client=args.clients, vocabulary=args.vocabulary)
        soak.batch_interval = args.clients * args.batch / target
        started = time.monotonic()
        threads = soak.run()
        rss_soak_start = rss_mib(pid)
        print(f"{'t_s':>6} {'acked':>9} {'ev/s':>7} {'p50_ms':>7} {'p95_ms':>7} {'p99_ms':>7} "
              f"{'max_ms':>7} {'errors':>6} {'rss_MiB':>8} {'proj_lag':>8}", flush=True)
        last_acked, last_t = 0, started
        rss_series = [rss_soak_start]
        end = started + args.minutes * 60
        while time.monotonic() < end:
            time.sleep(min(args.every, max(0.0, end - time.monotonic())))
            now = time.monotonic()
            lat = soak.take_latencies()
            acked = soak.acked
            counts = journal_counts(data_dir)
            rss = rss_mib(pid)
            rss_series.append(rss)
            print(f"{now - started:>6.0f} {acked:>9} {(acked - last_acked) / (now - last_t):>7.0f} "
                  f"{_pct(lat, 0.5):>7.0f} {_pct(lat, 0.95):>7.0f} {_pct(lat, 0.99):>7.0f} "
                  f"{(max(lat) * 1000 if lat else float('nan')):>7.0f} {soak.errors:>6} "
                  f"{rss:>8.0f} {counts['last_seq'] - counts['projected_seq']:>8}", flush=True)
            last_acked, last_t = acked, now
        soak.stop.set()
        for thread in threads:
            thread.join()
        code = server.stop()
        counts = journal_counts(data_dir)
        total = probe.acked + soak.acked
        print(f"soak done: acked {total}, journaled {counts['events']}, projected to seq "
              f"{counts['projected_seq']} of {counts['last_seq']}, errors {probe.errors + soak.errors}, "
              f"RSS start {rss_soak_start:.0f} MiB, end {rss_series[-1]:.0f} MiB, "
              f"max {max(rss_series):.0f} MiB, median {statistics.median(rss_series):.0f} MiB, "
              f"server exit {code}")
        lost = total > counts["events"]
        return 1 if (soak.errors or probe.errors or lost) else 0
    finally:
        server.kill()
        if scratch is not None:  # a 10-minute soak journals ~0.7 GB; --data keeps it
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
