"""The embedded store's state and persistence: the graph, its sightings and mark, loaded and flushed.

Split from :mod:`graphsiem.store.embedded` (which re-exports
:data:`GRAPH_FILE`, :data:`LOCK_FILE` and :data:`FORMAT_VERSION`):
:class:`EmbeddedState` holds the networkx graph, the edge index and the
sightings, reloads another process's flush, takes the write lock at the first
write and writes the snapshot atomically (:mod:`graphsiem.store.snapshot`).
The writes (:mod:`graphsiem.store.embedded_writes`) and reads
(:mod:`graphsiem.store.embedded_reads`) build on it.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import Any

import networkx as nx

from graphsiem.store.base import StoreError
from graphsiem.store.snapshot import SnapshotFile, WriterLock

GRAPH_FILE = "graph.pickle"
LOCK_FILE = "write.lock"
FORMAT_VERSION = 1

EdgeId = tuple[str, str, str]
"""``(src uid, relation type, dst uid)``."""


class EmbeddedState:
    """The state and persistence of :class:`~graphsiem.store.embedded.EmbeddedStore` (its parameters)."""

    def __init__(self, directory: str | os.PathLike[str], *, lock_timeout: float = 30.0) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)  # private by its mode (graphsiem.paths)
        self.lock_timeout = lock_timeout
        self._file = SnapshotFile(self.directory / GRAPH_FILE, format_version=FORMAT_VERSION)
        self._lock = WriterLock(self.directory / LOCK_FILE, timeout=lock_timeout)
        self._dirty = False
        self._closed = False
        self._stamp: tuple[int, int, int] | None = None
        self._saved_mark: int | None = None
        """The projection mark of the graph as last loaded or flushed (the in-memory one may be ahead)."""
        self._reset()
        self._load()

    # -- persistence ----------------------------------------------------------
    def _reset(self) -> None:
        self._graph = nx.MultiDiGraph()
        self._edges: dict[EdgeId, dict[str, Any]] = {}
        self._edges_of_type: dict[str, dict[EdgeId, dict[str, Any]]] = {}
        """``_edges`` by relation type, so one type's read (a window's DETECTED edges) skips the other ~50,000."""
        self._sightings: dict[str, dict[str, list[Any]]] = {}
        self._contact_times: dict[str, dict[str, tuple[float, ...]]] = {}
        """A destination's kept contact times per host (:mod:`graphsiem.contact_times`), by entity uid."""
        self._mark: int | None = None

    def _load(self) -> None:
        stamp = self._file.stamp()
        if stamp is None:
            self._reset()
            self._stamp = None
            self._saved_mark = None
            return
        state = self._file.load()
        self._graph = state["graph"]
        self._sightings = state["sightings"]
        self._contact_times = state.get("contact_times", {})  # a graph saved before contact times: none
        self._mark = self._saved_mark = state.get("projection_mark")
        self._edges = {
            (u, k, v): data for u, v, k, data in self._graph.edges(keys=True, data=True)
        }
        self._edges_of_type = {}
        for edge_id, data in self._edges.items():
            self._edges_of_type.setdefault(edge_id[1], {})[edge_id] = data
        self._stamp = stamp

    def _refresh(self) -> None:
        """Pick up another process's flush, unless this instance has unflushed writes."""
        self._check_open()
        if not self._dirty and self._file.stamp() != self._stamp:
            self._load()

    def _begin_write(self) -> None:
        self._take_write_lock()
        self._dirty = True

    def _take_write_lock(self) -> None:
        """Hold the write lock (until the next flush), on the newest flushed graph.

        Another writer's flush since this instance loaded is loaded first: the
        writes build on its graph, and its projection mark is the one a
        projected batch is compared with (:meth:`EmbeddedWrites.apply_batch`).
        """
        self._check_open()
        if not self._lock.is_held:
            self._lock.acquire()
            if self._file.stamp() != self._stamp:
                self._load()  # another writer flushed since we loaded: build on its graph

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"embedded store {self.directory} is closed")

    def flush(self) -> None:
        """Write the graph atomically (temp file + rename) and release the write lock."""
        self._check_open()
        if self._dirty:
            self._stamp = self._file.save({
                "graph": self._graph, "sightings": self._sightings, "contact_times": self._contact_times,
                "projection_mark": self._mark,
            })
            self._saved_mark = self._mark
            self._dirty = False
        self._lock.release()

    def close(self) -> None:
        """Flush and release the lock; the instance cannot be used afterwards."""
        if not self._closed:
            self.flush()
            self._closed = True

    def projection_mark(self) -> int | None:
        """The journal seq the graph was projected up to, in memory and on disk (see :meth:`set_projection_mark`).

        The lower of the two: the journal's checkpoint is moved up to this
        mark, so batches written in memory since the last load or flush
        (:meth:`EmbeddedWrites.apply_batch` moves the in-memory mark) count
        only once a flush saved them (a flush that fails must not leave the
        checkpoint past the graph on disk), and a graph cleared in memory
        (a replay) holds nothing whatever the file still holds.
        """
        self._refresh()
        saved, current = self._saved_mark, self._mark
        return None if saved is None or current is None else min(saved, current)

    def set_projection_mark(self, seq: int) -> None:
        """Record, in the same atomic file as the graph, the last journal seq it holds.

        The journal's checkpoint is written after the graph's flush; a crash in
        between (the checkpoint may wait for the journal's write lock behind
        ingest commits) would project those events again and double their
        sighting counts.  This mark lands with the graph, so catch-up trusts it.
        """
        self._begin_write()
        self._mark = seq

    def clear(self) -> None:
        """Delete every entity, relation and sighting (persisted at the next flush)."""
        self._begin_write()
        self._reset()
        gc.unfreeze()  # what upserts froze may now be garbage (see _gc_paused)

    def ping(self) -> bool:
        """True while the store is open (there is no server to reach)."""
        return not self._closed
