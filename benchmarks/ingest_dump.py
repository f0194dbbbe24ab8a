"""Canonical text of what an ingest left in a data directory: journal rows and the embedded graph.

A change to the ingest's cost must leave the same journal rows and the same
graph.  Ingest the same files into two fresh data directories (``graphsiem
ingest --data A ...`` with the old code, ``--data B`` with the new), write
each one's dump and compare the two files byte for byte::

    python benchmarks/ingest_dump.py A > a.txt
    python benchmarks/ingest_dump.py B > b.txt
    cmp a.txt b.txt

The dump holds every table of the journal with every column (the ``events``
rows in seq order, the other tables sorted), except what differs between
two runs of the same code: the journal's random ``journal_id`` and the
wall-clock columns (``rejected.at``, ``sensor_clock_gaps.measured_at``).
Then the embedded graph: each node with its attributes, each edge with its
count, times, evidence and tallies, the sightings and contact times by
entity, and the projection mark.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from graphsiem.store.embedded import EmbeddedStore  # noqa: E402

WALL_CLOCK_COLUMNS = frozenset({"at", "measured_at"})
"""Columns that hold the time a row was written, not anything read from the input."""
RANDOM_META_KEYS = frozenset({"journal_id"})
"""``meta`` keys each new journal draws at random."""


def _journal_lines(path: Path) -> Iterator[str]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        for table in tables:
            columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]  # noqa: S608 - a name the file holds
            kept = [column for column in columns if column not in WALL_CLOCK_COLUMNS]
            rows = [repr(row) for row in db.execute(f"SELECT {', '.join(kept)} FROM {table}")  # noqa: S608
                    if not (table == "meta" and row[0] in RANDOM_META_KEYS)]
            if table != "events":  # events keep their seq order; other tables' order is the planner's
                rows.sort()
            yield f"## table {table} {kept} {len(rows)}"
            yield from rows
    finally:
        db.close()


def _graph_lines(directory: Path) -> Iterator[str]:
    store = EmbeddedStore(directory)
    try:
        graph = store._graph
        yield f"## nodes {graph.number_of_nodes()}"
        for uid, attrs in sorted(graph.nodes(data=True), key=lambda node: node[0]):
            yield repr((uid, sorted(attrs.items())))
        yield f"## edges {graph.number_of_edges()}"
        for src, dst, rel_type, data in sorted(graph.edges(keys=True, data=True), key=lambda e: (e[0], e[2], e[1])):
            yield repr((src, rel_type, dst, sorted(data.items())))
        yield "## sightings"
        for uid in sorted(store._sightings):
            yield repr((uid, sorted(store._sightings[uid].items())))
        yield "## contact_times"
        for uid in sorted(store._contact_times):
            yield repr((uid, sorted(store._contact_times[uid].items())))
        yield f"## mark {store._mark}"
    finally:
        store._closed = True  # read only: no flush, no write lock taken


def dump(data_dir: Path, *, graph_dir: Path | None = None) -> str:
    """The canonical text of ``data_dir``'s ``journal.sqlite`` and embedded graph.

    Parameters
    ----------
    data_dir : Path
        A data directory an ingest wrote (``journal.sqlite`` in it).
    graph_dir : Path, optional
        Where the embedded graph is (default: ``data_dir/graph``, as ``graphsiem`` keeps it).

    Returns
    -------
    str
        One line a row, node, edge or sighting; equal for equal ingests.
    """
    graph = data_dir / "graph" if graph_dir is None else graph_dir
    return "\n".join([*_journal_lines(data_dir / "journal.sqlite"), *_graph_lines(graph)]) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python benchmarks/ingest_dump.py DATA_DIR", file=sys.stderr)
        return 2
    sys.stdout.write(dump(Path(argv[0])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
