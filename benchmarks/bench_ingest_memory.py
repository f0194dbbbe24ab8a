"""Resident memory of ``graphsiem ingest`` on a file of gigabytes: it streams.

Issue 3 asks that a 2 GB file never sit in memory.  This benchmark writes a
file of ``--gigabytes`` (default 2) by tiling the corpus records of a format
(``bench_ingest.GROUPS``; each copy numbered, so every record is a new
event), in one of the framings the readers stream (NDJSON, gzip-compressed
NDJSON, one pretty-printed JSON array), then runs the real command on it in
a child process::

    graphsiem ingest FILE --data DIR --json --no-progress      (embedded store)

and samples the child's resident set (``VmRSS`` in ``/proc``) twice a
second.  It prints the file's size, the events, the rate, the RSS over the
run (at 10, 50 and 90% of it and at its peak, from the kernel's
``ru_maxrss``) and peak RSS against the file's size.  ``--journal-only``
runs the same ingest without a graph store, which separates the pipeline's
memory from the in-memory graph's (the embedded store holds every entity and
relation, so its share grows with distinct entities, not with records).

The file, the journal (about 1.5 times the file for Windows events) and the
graph are written under a temporary directory and removed at the end, unless
``--keep`` is given.  Needs ~3x the file's size in free disk.

Run: ``python benchmarks/bench_ingest_memory.py [--gigabytes 2] [--format windows-json]
[--framing ndjson|gz|array] [--journal-only] [--keep]``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_ingest import GROUPS, source_records  # noqa: E402
from tiled_copies import numbered_copy  # noqa: E402

CHILD = """
import json, sys
mode, source, data = sys.argv[1:4]
if mode == "cli":
    from graphsiem.cli import main
    code = main(["ingest", source, "--data", data, "--json", "--no-progress"])
else:
    from ingest.journal import Journal
    from ingest.pipeline import ingest_paths
    with Journal(data + "/journal.sqlite") as journal:
        report = ingest_paths([source], store=None, journal=journal, progress=False)
    print(json.dumps(report.to_dict()))
    code = 0
sys.stdout.flush()
with open("/proc/self/status") as status:
    peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
print("peak-rss-kib", peak, file=sys.stderr)
sys.exit(code)
"""
"""The child: ``graphsiem ingest`` (``cli``) or the pipeline with ``store=None``, then its peak RSS.

The peak is ``VmHWM`` of ``/proc/self/status``, the high-water mark of this
process's memory since ``exec``.  ``ru_maxrss`` would not do: Linux carries
the mark of the forked copy of the parent across ``exec``.
"""


def write_tiled(records: list[dict], target_bytes: int, path: Path, framing: str) -> tuple[int, int]:
    """Write numbered copies of ``records`` until ``target_bytes`` of records; return (records, bytes of records).

    The bytes of records are before compression (``gz``), as the pipeline reads them.
    """
    raw = gzip.open(path, "wb", compresslevel=1) if framing == "gz" else open(path, "wb")  # noqa: SIM115
    is_array = framing == "array"
    # an array's elements pretty-printed and separated by commas, else one record a line
    option, separator, end = (orjson.OPT_INDENT_2, b",\n", b"\n]\n") if is_array else (0, b"\n", b"\n")
    written = count = copy = 0
    with raw as out:
        out.write(b"[\n" if is_array else b"")
        while written < target_bytes:
            for record in records:
                text = orjson.dumps(numbered_copy(record, copy), option=option)
                out.write(separator + text if count else text)
                written += len(text)
                count += 1
            copy += 1
        out.write(end)
    return count, written


def rss_kib(pid: int) -> int | None:
    """The process's resident set in KiB, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def run_child(command: list[str]) -> tuple[str, list[tuple[float, int]], int, float]:
    """Run ``command`` (a :data:`CHILD`); return (stdout, RSS samples (s, KiB), peak RSS KiB, wall seconds)."""
    samples: list[tuple[float, int]] = []
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.5):
            value = rss_kib(child.pid)
            if value is not None:
                samples.append((time.perf_counter() - start, value))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = child.communicate()
    done.set()
    sampler.join()
    wall = time.perf_counter() - start
    if child.returncode:
        raise SystemExit(f"child failed ({child.returncode}): {err.decode(errors='replace')[-2000:]}")
    peak = int(err.decode().rsplit("peak-rss-kib", 1)[1].split()[0])
    return out.decode(), samples, peak, wall


def ingest_command(journal_only: bool, source: Path, data: Path) -> list[str]:
    """The child's command line: ``graphsiem ingest``, or the pipeline without a graph store."""
    data.mkdir(exist_ok=True)
    return [sys.executable, "-c", CHILD, "journal" if journal_only else "cli", str(source), str(data)]


def at_fraction(samples: list[tuple[float, int]], fraction: float) -> int:
    if not samples:
        return 0
    return samples[min(len(samples) - 1, int(fraction * len(samples)))][1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gigabytes", type=float, default=2.0)
    parser.add_argument("--format", choices=sorted(GROUPS), default="windows-json")
    parser.add_argument("--framing", choices=["ndjson", "gz", "array"], default="ndjson")
    parser.add_argument("--journal-only", action="store_true", help="no graph store (store=None)")
    parser.add_argument("--keep", action="store_true", help="keep the file and the data directory")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-ingest-memory-"))
    suffix = {"ndjson": ".ndjson", "gz": ".ndjson.gz", "array": ".json"}[args.framing]
    source = tmp / f"tiled-{args.format}{suffix}"
    data = tmp / "data"
    try:
        started = time.perf_counter()
        seeds = source_records(GROUPS[args.format])
        records, size = write_tiled(seeds, int(args.gigabytes * 2**30), source, args.framing)
        print(f"wrote {source.name}: {records:,} records, {size / 2**20:,.0f} MiB of records, "
              f"{source.stat().st_size / 2**20:,.0f} MiB on disk ({time.perf_counter() - started:.0f} s)", flush=True)
        # the same command on the first 100 records: the memory any ingest starts with
        # (interpreter, numpy, networkx, the parsers), which is not the data's
        small = tmp / f"small{suffix}"
        write_tiled(seeds[:100], 1, small, args.framing)
        _, _, baseline_kib, _ = run_child(ingest_command(args.journal_only, small, tmp / "small-data"))
        out, samples, peak_kib, wall = run_child(ingest_command(args.journal_only, source, data))
        total = json.loads(out)
        events, received, rejected = total["events"], total["received"], total["rejected"]
        mode = "journal only" if args.journal_only else "embedded store"
        print(f"ingest ({mode}): {wall:,.0f} s wall, received {received:,}, rejected {rejected:,}, "
              f"events {events:,} ({events / wall:,.0f} events/s wall)")
        print(f"RSS MiB at 10% / 50% / 90% of the run: {at_fraction(samples, 0.1) / 1024:,.0f} / "
              f"{at_fraction(samples, 0.5) / 1024:,.0f} / {at_fraction(samples, 0.9) / 1024:,.0f}; "
              f"peak {peak_kib / 1024:,.0f} MiB = {peak_kib * 1024 / size:.3f}x the records read "
              f"({len(samples)} samples); the same ingest of 100 records peaks at {baseline_kib / 1024:,.0f} MiB")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
