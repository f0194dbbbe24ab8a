"""A consistent copy of a data directory taken while ``graphsiem serve`` or an ingest writes it.

A file copy (``cp``) of a data directory in use is not a backup: ``state.sqlite``
is in WAL mode and the service does not checkpoint it while it runs, so a copy
of the main file alone misses the triage still in ``state.sqlite-wal`` (review
U3: an assignee and a benign verdict lost), and a copy of the journal taken
between two of its pages' writes may be torn.  So:

- every SQLite database of the directory (``journal.sqlite``, ``state.sqlite``,
  and any other file that starts with SQLite's header) is copied with SQLite's
  online backup API (:meth:`sqlite3.Connection.backup`, in one step): a
  snapshot of what was committed when the step began, WAL included, which the
  writers wait for at most (the journal's rollback lock) or not at all (WAL);
- the embedded graph (``graph/graph.pickle``) is read from the file open at
  that moment: a save renames a new snapshot over it (:mod:`graphsiem.store.snapshot`),
  so an open file is one whole snapshot.  It is copied *before* the journal,
  so every event it holds is in the journal's copy; the copy's projection
  checkpoint is then moved back to the graph's own mark when a projection went
  on meanwhile, and the events after it are projected into the copy's graph
  by the next ``ingest`` or ``serve`` on it (their join state is learnt again
  from the journal, :func:`ingest.replay.resume_projector`);
- the IP -> host map and the projector's join state are tables of the
  journal, copied with it;
- webhook alerts waiting in the copy's outbox are marked as copied waiting
  (:func:`graphsiem.webhook_outbox.mark_in_backup`): the service goes on
  sending them, so a directory restored from the copy sends them again with
  ``X-GraphSIEM-Possible-Duplicate: backup`` beside their usual delivery id;
- lock files (``serve.lock``, ``writers.lock``, ``graph/write.lock``), SQLite's
  side files (``-wal``, ``-shm``, ``-journal``: their content is in the
  copies), a graph save in progress (``graph/.graph-*.tmp``) and ``uploads/``
  (a request's file while it is read: its events are in the journal) are
  left out.

A Neo4j store's graph is not in the data directory: the copy holds its
journal, its checkpoint set to 0, so that the next ingest or ``serve`` on it
projects the whole journal into a new or empty database; a database holding a
graph (the one it came from) is emptied and projected into by ``graphsiem
rebuild --store neo4j``.  The writers' lock is held shared (as an ingest holds
it), so a ``graphsiem rebuild`` cannot empty the graph during the copy.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from graphsiem import paths
from graphsiem.data_dir_lock import LOCK_NAME, WRITERS_LOCK_NAME
from graphsiem.store.embedded_state import FORMAT_VERSION, GRAPH_FILE, LOCK_FILE
from graphsiem.store.snapshot import SnapshotFile

SQLITE_HEADER = b"SQLite format 3\x00"
"""The first 16 bytes of every SQLite database file."""

LEFT_OUT_NAMES = frozenset({LOCK_NAME, WRITERS_LOCK_NAME, LOCK_FILE, "uploads"})
"""Names a backup leaves out wherever they are: locks, and uploads being read (see the module docstring)."""


class BackupRefused(ValueError):
    """The destination cannot hold the backup (the message names it and says why)."""


@dataclass(frozen=True)
class CopiedFile:
    """One file of the backup: its path in the data directory, size in bytes and how it was copied."""

    name: str
    size: int
    how: str  # "sqlite backup", "graph snapshot" or "file copy"


@dataclass
class BackupReport:
    """What :func:`back_up` copied, and what a restore of it needs.

    Attributes
    ----------
    store : str
        The graph store the journal is projected into: ``embedded``, ``neo4j``
        or ``none`` (nothing projected yet).
    checkpoint : int
        The copy's projection checkpoint (moved back to the graph's mark when
        the graph copied is older than the journal copied).
    projected_later : int
        Events journaled and projected in the source after its graph was read:
        the next ``ingest`` or ``serve`` on the copy projects them.
    """

    source: Path
    destination: Path
    files: list[CopiedFile] = field(default_factory=list)
    store: str = "none"
    checkpoint: int = 0
    projected_later: int = 0
    seconds: float = 0.0
    webhook_alerts: int = 0
    """Webhook alerts copied waiting (or dead): a restore sends them again, marked (module docstring)."""

    @property
    def size(self) -> int:
        """Bytes written."""
        return sum(f.size for f in self.files)

    def as_dict(self) -> dict[str, object]:
        """As ``graphsiem backup --json`` prints it."""
        return {
            "source": str(self.source), "destination": str(self.destination), "store": self.store,
            "checkpoint": self.checkpoint, "projected_later": self.projected_later, "bytes": self.size,
            "webhook_alerts": self.webhook_alerts,
            "seconds": round(self.seconds, 3),
            "files": [{"name": f.name, "bytes": f.size, "how": f.how} for f in self.files],
        }


def destination_problem(data: Path, destination: Path) -> str | None:
    """Why ``destination`` cannot receive a backup of ``data``, or None.

    Examples
    --------
    >>> import tempfile
    >>> data = Path(tempfile.mkdtemp())
    >>> print(destination_problem(data, data / "copy"))  # doctest: +ELLIPSIS
    the destination .../copy is inside the data directory ...: ...
    >>> destination_problem(data, data.parent / (data.name + "-copy")) is None
    True
    """
    data, destination = data.resolve(), destination.resolve()
    if destination == data or data in destination.parents:
        return (f"the destination {destination} is inside the data directory {data}: a backup there would be "
                "copied into itself, and lost with the directory it is to save")
    if destination.exists() and not destination.is_dir():
        return f"the destination {destination} is a file, not a directory"
    if destination.is_dir() and any(destination.iterdir()):
        return f"the destination {destination} is not empty: give a new or empty directory (nothing was written)"
    return None


def back_up(data: Path, destination: Path) -> BackupReport:
    """Copy the data directory ``data`` into ``destination`` (new or empty), consistently, while it is in use.

    The caller checks :func:`destination_problem` first and holds the data
    directory's writers' lock shared (:func:`graphsiem.data_dir_lock.writer_lock`).

    Parameters
    ----------
    data : Path
        The data directory.
    destination : Path
        Where the copy goes: made ``0700`` when missing, files ``0600``.

    Returns
    -------
    BackupReport
        The files copied, their sizes, the store and the copy's checkpoint.
    """
    started = time.monotonic()
    report = BackupReport(data, destination)
    paths.private_dir(destination)
    graph = data / "graph" / GRAPH_FILE
    mark: int | None = None
    if graph.is_file():  # before the journal: the journal's copy then holds every event the graph's does
        paths.private_dir(destination / "graph")
        report.files.append(_copy_graph(graph, destination / "graph" / GRAPH_FILE, data))
        mark = SnapshotFile(destination / "graph" / GRAPH_FILE, format_version=FORMAT_VERSION).load().get(
            "projection_mark")
    for source in sorted(_files(data), key=lambda p: p.name != "state.sqlite"):  # triage first: the reason
        target = destination / source.relative_to(data)
        paths.private_dir(target.parent)
        report.files.append(_copy_sqlite(source, target, data) if _is_sqlite(source)
                            else _copy_file(source, target, data))
        if source == data / "state.sqlite":
            report.webhook_alerts = _mark_webhook_alerts(target)
    journal = destination / "journal.sqlite"
    if journal.is_file():
        report.store, report.checkpoint, report.projected_later = _match_checkpoint(journal, mark)
    report.seconds = time.monotonic() - started
    return report


def _files(data: Path) -> list[Path]:
    """The regular files of ``data`` a backup copies (the graph snapshot apart), see :data:`LEFT_OUT_NAMES`."""
    found = []
    for root, dirs, names in os.walk(data):
        dirs[:] = [d for d in dirs if d not in LEFT_OUT_NAMES]
        for name in names:
            path = Path(root) / name
            if (name in LEFT_OUT_NAMES or name.endswith(paths.SQLITE_SIDE_FILES) or name.startswith(".graph-")
                    or path == data / "graph" / GRAPH_FILE or not path.is_file()):
                continue
            found.append(path)
    return found


def _is_sqlite(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(SQLITE_HEADER)) == SQLITE_HEADER


def _copy_sqlite(source: Path, target: Path, data: Path) -> CopiedFile:
    """``source`` copied with SQLite's online backup API, in one step: one committed state of it."""
    reader = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=60.0)
    try:
        writer = sqlite3.connect(paths.private_file(target))
        try:
            reader.backup(writer)  # pages=-1: a single step, so no other writer's commit restarts it
            writer.execute("PRAGMA journal_mode=DELETE")  # a copy at rest: one file, no -wal beside it
        finally:
            writer.close()
    finally:
        reader.close()
    return CopiedFile(str(source.relative_to(data)), target.stat().st_size, "sqlite backup")


def _copy_graph(source: Path, target: Path, data: Path) -> CopiedFile:
    """The graph snapshot open now (a save renames a new one over the name, never writes into this one)."""
    with source.open("rb") as reading, paths.open_private(target) as writing:
        shutil.copyfileobj(reading, writing, 1 << 20)
        writing.flush()
        os.fsync(writing.fileno())
    return CopiedFile(str(source.relative_to(data)), target.stat().st_size, "graph snapshot")


def _copy_file(source: Path, target: Path, data: Path) -> CopiedFile:
    with source.open("rb") as reading, paths.open_private(target) as writing:
        shutil.copyfileobj(reading, writing, 1 << 20)
    return CopiedFile(str(source.relative_to(data)), target.stat().st_size, "file copy")


def _mark_webhook_alerts(state_copy: Path) -> int:
    """Mark the copy's waiting webhook alerts (:func:`graphsiem.webhook_outbox.mark_in_backup`); how many."""
    from graphsiem.webhook_outbox import mark_in_backup

    conn = sqlite3.connect(state_copy)
    try:
        with conn:
            return mark_in_backup(conn, taken_at=time.time())
    finally:
        conn.close()


def _match_checkpoint(journal_copy: Path, mark: int | None) -> tuple[str, int, int]:
    """The copy's store, checkpoint and events to project again, its checkpoint moved back to ``mark`` if past it.

    The journal was copied after the graph: a projection in between moved the
    checkpoint past what the graph copy holds.  Left so, the copy would take
    those events for projected (:func:`ingest.store_binding.bind` keeps the
    larger of checkpoint and mark) and its graph would never get them.

    A Neo4j database is not in the data directory: the copy's checkpoint is 0,
    so a new or emptied database gets the whole journal from the next ingest or
    ``serve`` (:func:`ingest.store_binding.bind` claims it and projects from 0;
    left at the original's checkpoint, it would get only the events journaled
    after the restore).  A database that still holds a graph of this journal
    (the one it came from) may be ahead of the copy: ``graphsiem rebuild
    --store neo4j`` empties it and projects the copy's journal.
    """
    from ingest.journal import Journal
    from ingest.store_binding import StoreBinding

    with Journal(journal_copy) as journal:
        recorded = StoreBinding.from_text(journal.store_binding())
        checkpoint = journal.checkpoint()
        store = recorded.kind if recorded is not None else ("embedded" if mark is not None else "none")
        if store == "neo4j":
            mark = 0  # the database is not copied: the copy's graph holds nothing of the journal yet
        if store not in ("embedded", "neo4j") or mark is None or mark >= checkpoint:
            return store, checkpoint, 0
        journal.set_checkpoint(mark)
        return store, mark, checkpoint - mark
