"""Cumulative stages of one ingest, for counting each stage's instructions with callgrind.

Each stage runs everything the stage before it runs, and more:

* ``read``: the NDJSON reader over the file (``readline``, ``orjson.loads``,
  the compact-line checks, framing);
* ``parse``: ``read`` plus format detection and the parser (the host-clock
  learner settled once a batch, as an ingest call does), events thrown away;
* ``journal``: ``ingest_paths`` into a fresh journal with no graph store (ids,
  the fields dump, the batch checks and the journal append added);
* ``full``: ``ingest_paths`` into a fresh journal and embedded store, flushed
  (projection, the store's writes and the graph file added).

Count one stage's instructions on a tiled file and on a file of its first
record, and divide the difference by the records (``read``, ``parse``) or
events (``journal``, ``full``) the larger run printed; the difference between
consecutive stages is what the later one adds::

    PYTHONHASHSEED=0 OPENBLAS_NUM_THREADS=1 setarch -R valgrind --tool=callgrind \\
        --callgrind-out-file=/tmp/me/full.out .venv/bin/python benchmarks/ingest_stages.py tiled.ndjson full /tmp/me/d

The Public Suffix List is parsed before the stage starts (``--cold-suffixes``
leaves it to the first domain): it is parsed once a process, ~59,000
instructions an event over 5,000 Windows events (~0.3% over 100,000), so a
1-record run that meets no domain would otherwise leave it in the tiled run's
difference and charge it to the projection.

Figures (1 Dec 2026, session 26, 5,479 tiled Windows JSON records of
``bench_ingest.py``'s group, 5,444 events; instructions an event, less a
1-record run): read 80.0k, parse 226.2k, journal 298.7k, full 344.5k
(``docs/performance.md``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from graphsiem.store import open_store  # noqa: E402
from ingest.host_clocks import HostClocks  # noqa: E402
from ingest.journal import Journal  # noqa: E402
from ingest.normalize_urls import registered_domain  # noqa: E402
from ingest.parsers.base import ParseContext  # noqa: E402
from ingest.pipeline import BATCH_SIZE, ingest_paths  # noqa: E402
from ingest.readers.base import RawRecord  # noqa: E402
from ingest.readers.ndjson import NdjsonReader  # noqa: E402
from ingest.registry import default_registry  # noqa: E402

STAGES = ("read", "parse", "journal", "full")


def read_and_parse(path: Path, *, parse: bool) -> int:
    """Records the NDJSON reader frames from ``path`` (each parsed too when ``parse``); their count.

    Parameters
    ----------
    path : Path
        An NDJSON file.
    parse : bool
        Also detect each record's format and run its parser (the events are not kept).

    Returns
    -------
    int
        The records read, read errors included.
    """
    registry = default_registry()
    clocks = HostClocks()
    context = ParseContext(host_clocks=clocks)
    count = 0
    with path.open("rb") as stream:
        for raw in NdjsonReader().read(stream, str(path)):
            count += 1
            if parse and isinstance(raw, RawRecord):  # a ReadError is counted, not parsed
                for _event in registry.detect(raw.record).parse(raw.record, context):
                    pass
                if count % BATCH_SIZE == 0:  # as an ingest call settles the learnt clocks
                    clocks.settle()
    clocks.settle()
    return count


def ingest(path: Path, workdir: Path, *, with_store: bool) -> int:
    """Events one ``ingest_paths`` of ``path`` journals into a fresh journal under ``workdir``.

    Parameters
    ----------
    path : Path
        The input file.
    workdir : Path
        An empty or missing directory for the journal (and the graph).
    with_store : bool
        Project into a fresh embedded store and flush it, as ``graphsiem ingest`` does.

    Returns
    -------
    int
        The events journaled.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    store = open_store("embedded", data_dir=workdir) if with_store else None
    with Journal(workdir / "journal.sqlite") as journal:
        report = ingest_paths([path], store=store, journal=journal, progress=False)
    if store is not None:
        store.flush()
        store.close()
    return report.total.events


def run_stage(stage: str, path: Path, workdir: Path) -> int:
    """Run ``stage`` (one of :data:`STAGES`) over ``path``; return the records or events it counted."""
    if stage in ("read", "parse"):
        return read_and_parse(path, parse=stage == "parse")
    return ingest(path, workdir, with_store=stage == "full")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="an NDJSON file (e.g. a bench_ingest tiled file)")
    parser.add_argument("stage", choices=STAGES)
    parser.add_argument("workdir", type=Path, help="a new directory for the journal and graph (journal, full)")
    parser.add_argument("--cold-suffixes", action="store_true",
                        help="leave the Public Suffix List to be parsed by the first domain met")
    args = parser.parse_args(argv)
    if not args.cold_suffixes:
        registered_domain("www.example.com")  # parses the list now, in every run alike
    print(args.stage, run_stage(args.stage, args.path, args.workdir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
