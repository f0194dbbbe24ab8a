"""Whose graph a Neo4j database holds: the ``GraphsiemMeta {name: 'owner'}`` node.

A Neo4j database holds the graph of one journal (one data directory): seqs
of two journals are not comparable, and two journals' events merged into one
graph change what detection finds.  The first journal projected into an empty
database claims it; the node records that journal's identity, a random id of
this graph (``graph``, which the journal records in turn, see
:mod:`ingest.store_binding`) and the data directory, for messages.  Emptying
the database (:meth:`Neo4jStore.clear`, as a rebuild does) releases it.

A database written before owners were recorded is owned by the journal its
projection mark (``GraphsiemMeta {name: 'projection'}``) names, if any.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graphsiem.store.neo4j_connection import Neo4jConnection

OWNER_READ = """
OPTIONAL MATCH (o:GraphsiemMeta {name: 'owner'})
OPTIONAL MATCH (p:GraphsiemMeta {name: 'projection'})
RETURN o.journal AS journal, o.graph AS graph, o.data_dir AS data_dir,
       p.journal AS marked_by, p.seq AS seq
"""

OWNER_CLAIM = """
MERGE (o:GraphsiemMeta {name: 'owner'})
ON CREATE SET o.journal = $journal, o.graph = $graph, o.data_dir = $data_dir, o.since = $since
RETURN o.journal AS journal, o.graph AS graph, o.data_dir AS data_dir
"""
"""Claim the database for journal ``$journal`` unless another claimed it first (the
``graphsiem_meta_name`` uniqueness constraint makes the MERGE safe against a race):
the returned journal says who holds it."""

OWNER_RELEASE = "MATCH (o:GraphsiemMeta {name: 'owner'}) DELETE o"


@dataclass(frozen=True)
class GraphOwner:
    """The journal whose graph a Neo4j database holds.

    Attributes
    ----------
    journal : str
        The journal's identity (:attr:`ingest.journal.Journal.identity`).
    graph : str or None
        The random id of this graph, made when the journal claimed the database
        (None for a database written before owners were recorded).
    data_dir : str or None
        The data directory that claimed it, as that process named it (for messages).
    """

    journal: str
    graph: str | None
    data_dir: str | None


@dataclass(frozen=True)
class OwnerState:
    """What a database says of its owner and projection mark, in one read."""

    owner: GraphOwner | None
    mark_journal: str | None
    mark_seq: int | None

    def holder(self) -> GraphOwner | None:
        """The owner, or for a database from before owners, the journal its projection mark names."""
        if self.owner is not None:
            return self.owner
        if self.mark_journal is not None:
            return GraphOwner(self.mark_journal, None, None)
        return None

    def mark_of(self, journal: str) -> int | None:
        """The projection mark of ``journal`` (None when the mark is another journal's or absent)."""
        return self.mark_seq if self.mark_journal == journal else None


def read_owner(conn: Neo4jConnection) -> OwnerState:
    """The owner and projection mark of ``conn``'s database (one read)."""
    row = conn._read(OWNER_READ)[0]
    owner = None
    if row["journal"] is not None:
        owner = GraphOwner(row["journal"], row["graph"], row["data_dir"])
    seq = row["seq"]
    return OwnerState(owner, row["marked_by"], None if seq is None else int(seq))


def claim(conn: Neo4jConnection, journal: str, data_dir: str | None) -> GraphOwner:
    """Claim the database for ``journal`` if nobody holds it; returns whoever holds it now."""
    row = conn._read_write(
        OWNER_CLAIM, journal=journal, graph=uuid.uuid4().hex, data_dir=data_dir, since=time.time()
    )[0]
    return GraphOwner(row["journal"], row["graph"], row["data_dir"])


def release(conn: Neo4jConnection) -> None:
    """Forget the owner (the database was emptied)."""
    conn._read_write(OWNER_RELEASE)
