"""GraphSIEM's side of the peer comparison: one file into a fresh journal and embedded store.

:func:`measure` ingests one file as ``graphsiem ingest`` does (read, parse,
journal, project into the embedded graph, flush) and returns the figures the
peers are measured by, in the shape :mod:`benchmarks.peers_beagle_driver`
prints: records, CPU and wall seconds, nodes and edges of the graph, how many
records of each Windows (channel, event id) reached the graph, and the process
facts (spawns with their command lines and decoded PowerShell, accesses,
writes, connections) the correctness check compares.

Run as a script (``python benchmarks/peers_graphsiem.py FILE [--coverage]``)
it prints that JSON, with the process's peak RSS, so each side of the
comparison is measured in a process of its own.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO))

from graphsiem.store import open_store  # noqa: E402
from graphsiem.store.base import GraphStore  # noqa: E402
from ingest.journal import Journal  # noqa: E402
from ingest.pipeline import ingest_paths  # noqa: E402
from ingest.projection import Projector  # noqa: E402
from ingest.report import IngestReport  # noqa: E402


def record_kind(record: dict[str, Any]) -> str:
    """``"<channel> <event id>"`` of a flat Windows JSON record (NXLog, Winlogbeat 6 nesting too)."""
    channel = record.get("Channel") or record.get("log_name") or "?"
    event_id = record.get("EventID", record.get("event_id", "?"))
    return f"{channel} {event_id}"


def basename(path: str | None) -> str:
    """Lower-case file name of a Windows or POSIX path ("" for none)."""
    return (path or "").replace("/", "\\").rsplit("\\", 1)[-1].lower()


def _facts(store: Any) -> dict[str, list[list[str]]]:
    processes = {entity.key: entity for entity in store.iter_entities("process")}
    files = {entity.key: entity for entity in store.iter_entities("file")}

    def image(key: str) -> str:
        entity = processes.get(key)
        return basename(entity.props.get("image") if entity else None)

    spawns = []
    for relation in store.iter_relations("SPAWNED"):
        child = processes[relation.dst[1]]
        spawns.append([image(relation.src[1]), image(relation.dst[1]), child.props.get("command_line") or "",
                       child.props.get("decoded_command") or ""])
    accesses = [[image(r.src[1]), image(r.dst[1])] for r in store.iter_relations("ACCESSED")
                if r.src[0] == "process" and r.dst[0] == "process"]
    writes = [[image(r.src[1]), basename(files[r.dst[1]].value if r.dst[1] in files else r.dst[1])]
              for r in store.iter_relations("WROTE") if r.src[0] == "process"]
    connects = [[image(r.src[1]), r.dst[1]] for r in store.iter_relations("CONNECTED")
                if r.src[0] == "process" and r.dst[0] == "ip"]
    return {"spawns": sorted(spawns), "accesses": sorted(accesses), "writes": sorted(writes),
            "connects": sorted(connects)}


def _coverage(journal: Journal) -> dict[str, list[int]]:
    """(channel, event id) -> [records journaled, records that make at least one graph relation].

    Each journaled event is projected again on its own, in journal order, by
    one :class:`~ingest.projection.Projector` (so the joins across events
    hold): an event counts when its projection has a relation.  Not read from
    the store's evidence lists, which keep at most ``EVIDENCE_CAP`` ids each.
    """
    projector = Projector()
    counts: dict[str, list[int]] = {}
    for item in journal.iter_events(with_raw=True):
        event = item.event
        row = counts.setdefault(record_kind(event.raw or {}), [0, 0])
        row[0] += 1
        row[1] += bool(projector.project([event]).relations)
    return counts


def timed_ingest(path: Path, workdir: Path) -> tuple[IngestReport, GraphStore, Journal, float, float]:
    """One ``graphsiem ingest`` of ``path`` into a fresh journal and embedded store under ``workdir``.

    Returns
    -------
    tuple
        The report, the store and the journal (both left open: the caller
        closes them), and the CPU and wall seconds of the ingest, the store's
        flush to disk included.
    """
    store = open_store("embedded", data_dir=workdir)
    journal = Journal(workdir / "journal.sqlite")
    wall, cpu = time.perf_counter(), time.process_time()
    report = ingest_paths([path], store=store, journal=journal, progress=False)
    store.flush()
    return report, store, journal, time.process_time() - cpu, time.perf_counter() - wall


def measure(path: Path, workdir: Path, *, coverage: bool = False) -> dict[str, Any]:
    """Ingest ``path`` into a fresh journal and embedded store under ``workdir``; return the figures.

    Parameters
    ----------
    path : Path
        The input file (any format ``graphsiem ingest`` reads).
    workdir : Path
        An empty directory for the journal and the graph.
    coverage : bool
        Also count, per Windows (channel, event id), the records that make a
        graph relation (:func:`_coverage`; Windows JSON inputs: the kind is
        read from the raw record), and list the process facts.

    Returns
    -------
    dict
        ``records``, ``rejected``, ``cpu_s``, ``wall_s``, ``nodes``, ``edges``
        and, with ``coverage``, ``kinds`` and ``facts``.
    """
    report, store, journal, cpu, wall = timed_ingest(path, workdir)
    counts = store.counts()
    result: dict[str, Any] = {
        "records": report.total.received,
        "rejected": report.total.rejected,
        "cpu_s": cpu,
        "wall_s": wall,
        "nodes": sum(counts["entities"].values()),
        "edges": sum(counts["relations"].values()),
    }
    if coverage:
        result["kinds"] = _coverage(journal)
        result["facts"] = _facts(store)
    store.close()
    journal.close()
    return result


def peak_rss_mb() -> float:
    """This process's peak resident set size in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    """Measure one file and print the JSON (with ``peak_rss_mb``) on stdout."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--coverage", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="peers-graphsiem-") as tmp:
        result = measure(args.path, Path(tmp), coverage=args.coverage)
    result["peak_rss_mb"] = peak_rss_mb()
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

