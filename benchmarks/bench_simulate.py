"""Simulator throughput and memory: events/s written and peak RSS per fleet size.

Each size runs in its own subprocess; the child reports its own peak resident
memory (``resource.getrusage(RUSAGE_SELF).ru_maxrss``), its peak traced Python
allocations are not measured (tracemalloc would slow the run several times).
Events/s is given against wall time and against the child's CPU time (user +
system), which is the stable figure on a shared machine.

Usage::

    .venv/bin/python benchmarks/bench_simulate.py                 # 1,000 and 10,000 hosts x 3 days
    .venv/bin/python benchmarks/bench_simulate.py --hosts 1000 --days 1
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _one(hosts: int, days: int, seed: int, out: str) -> None:
    from graphsiem.simulator import simulate

    summary = simulate(out, hosts=hosts, days=days, seed=seed)
    size = sum(p.stat().st_size for p in Path(out).rglob("*") if p.is_file())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"events": summary.total_events, "seconds": summary.seconds, "bytes": size,
                      "cpu": usage.ru_utime + usage.ru_stime, "peak_kib": usage.ru_maxrss}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default=None, help="output folder (default: a temp dir, removed)")
    parser.add_argument("--keep", action="store_true", help="keep the output")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        hosts, days, seed, out = args.child
        _one(int(hosts), int(days), int(seed), out)
        return 0
    print(f"{'hosts':>7} {'days':>4} {'events':>11} {'wall s':>8} {'events/s':>9} {'cpu s':>8} "
          f"{'ev/cpu-s':>9} {'peak RSS MiB':>12} {'output MiB':>10}")
    for hosts in args.hosts:
        out = args.out or tempfile.mkdtemp(prefix=f"bench-sim-{hosts}-")
        began = time.perf_counter()
        result = subprocess.run(
            [sys.executable, __file__, "--child", str(hosts), str(args.days), str(args.seed), out],
            capture_output=True, text=True, check=True, env=dict(os.environ),
        )
        wall = time.perf_counter() - began
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        print(f"{hosts:>7} {args.days:>4} {figures['events']:>11,} {figures['seconds']:>8.1f} "
              f"{figures['events'] / figures['seconds']:>9,.0f} {figures['cpu']:>8.1f} "
              f"{figures['events'] / figures['cpu']:>9,.0f} {figures['peak_kib'] / 1024:>12.0f} "
              f"{figures['bytes'] / 2**20:>10,.0f}   (process wall {wall:.1f} s)", flush=True)
        if not args.keep and args.out is None:
            shutil.rmtree(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
