"""The embedded default store: a networkx ``MultiDiGraph`` persisted in a directory.

Nodes are ``entity_uid(type, key)`` with attributes ``type``, ``key``, ``value``
and the entity props; edges are keyed by relation type with ``type``, ``count``,
``first_seen``, ``last_seen`` and ``evidence``.  Sightings (host x entity) live
beside the graph in ``{entity uid: {host: [first_seen, last_seen, count]}}``.

Persistence (:mod:`graphsiem.store.snapshot`): ``flush()`` atomically replaces
``graph.pickle``, so a reader never sees a half-written file.  Writers hold an
exclusive lock on ``write.lock`` from their first write until ``flush()``; a
writer that finds the file changed since it loaded it reloads first, so two
processes never overwrite each other's batches.  Reads reload a newer file when
this instance has nothing unflushed.  An instance is not thread-safe: callers
that share one between threads serialise access (the API context holds a lock).

The state and persistence are :mod:`graphsiem.store.embedded_state`, the writes
:mod:`graphsiem.store.embedded_writes`, the reads :mod:`graphsiem.store.embedded_reads`;
this module puts them together and re-exports :data:`GRAPH_FILE`,
:data:`LOCK_FILE` and :data:`FORMAT_VERSION`.
"""

from __future__ import annotations

from graphsiem.store.embedded_reads import EmbeddedReads
from graphsiem.store.embedded_state import FORMAT_VERSION, GRAPH_FILE, LOCK_FILE
from graphsiem.store.embedded_writes import EmbeddedWrites

__all__ = ["FORMAT_VERSION", "GRAPH_FILE", "LOCK_FILE", "EmbeddedStore"]


class EmbeddedStore(EmbeddedWrites, EmbeddedReads):
    """A :class:`~graphsiem.store.base.GraphStore` on networkx, persisted in ``directory``.

    Parameters
    ----------
    directory : path
        Created when missing; holds ``graph.pickle`` and ``write.lock``.
    lock_timeout : float
        Seconds a write waits for another process's write lock before failing.

    Examples
    --------
    >>> import tempfile
    >>> from graphsiem.model import Relation
    >>> store = EmbeddedStore(tempfile.mkdtemp())
    >>> store.upsert_relations([Relation(("host", "ws-1"), "RAN", ("process", "p1"), 1.0, 2.0, 1, ["e1"])])
    >>> store.counts()["relations"]
    {'RAN': 1}
    >>> store.close()
    """

    name = "embedded"
    locks_until_flush = True
    """Its first write takes the directory's write lock, and only :meth:`flush` releases it
    (other writers wait ``lock_timeout``): a writer that stays open holds its writes until it
    can flush (:meth:`ingest.pipeline.CallProjection.settling`)."""

    def __enter__(self) -> EmbeddedStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
