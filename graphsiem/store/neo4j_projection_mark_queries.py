"""Cypher of the projection mark: the ``GraphsiemMeta {name: 'projection'}`` node, which journal holds it and how far.

Read and moved under the mark node's write lock, so concurrent projectors
apply their batches one after the other and a take-over is ordered with them.
Moved from :mod:`graphsiem.store.neo4j_queries`, which re-exports every name.
"""

PROJECTION_MARK_ADVANCE = """
MERGE (m:GraphsiemMeta {name: 'projection'})
ON CREATE SET m.seq = 0, m.journal = $journal
SET m._lock = true
REMOVE m._lock
WITH m, m.seq AS before, m.journal AS holder
SET m.seq = CASE WHEN holder = $journal AND $seq > before THEN $seq ELSE before END
RETURN before, holder, coalesce(m.clearing, false) AS clearing
"""
"""Move the projection mark of journal ``$journal`` up to ``$seq``; returns the
mark before and the journal that holds it (``holder``).  Run first in a batch's
transaction, it also takes the mark node's write lock, so concurrent
projectors apply their batches one after the other.  The lock is taken (by the
``SET`` of a throw-away property, Neo4j's documented idiom) *before* the mark is
read, whatever lock the ``MERGE`` took: two writers that both read the old mark
would both write their batch (review S2, item 1).

A mark another journal holds is left as it is: the caller refuses the batch
(its transaction is rolled back).  Only a database without a mark (the first
projection into it) gets one here; a database moves to another journal by
:data:`PROJECTION_MARK_CLAIM` alone, so a writer whose database was taken
over cannot take it back with its next batch."""

PROJECTION_MARK_LOCK = """
OPTIONAL MATCH (m:GraphsiemMeta {name: 'projection'})
SET m._lock = true
REMOVE m._lock
RETURN coalesce(m.seq, 0) AS before, m.journal AS holder, coalesce(m.clearing, false) AS clearing
"""
"""The projection mark and the journal holding it (``holder`` null when there is no mark yet),
read under the mark node's write lock (taken by the ``SET``, Neo4j's documented
way to lock a node) and left as it is: run first in a batch's entity transaction,
it orders that write with every writer's mark advance (:data:`PROJECTION_MARK_ADVANCE`)
and with a take-over (:data:`PROJECTION_MARK_CLAIM`)."""

PROJECTION_MARK_CLAIM = """
MERGE (m:GraphsiemMeta {name: 'projection'})
SET m._lock = true
REMOVE m._lock
WITH m, m.journal AS previous
SET m.seq = 0, m.journal = $journal, m.clearing = true
WITH previous
OPTIONAL MATCH (o:GraphsiemMeta {name: 'owner'})
DELETE o
RETURN previous
"""
"""Give the database to journal ``$journal`` before it is emptied (``graphsiem rebuild``,
``--take-over``): its projection mark, under the mark's lock, set to 0 and to that
journal; the owner node (:mod:`graphsiem.store.neo4j_owner`) deleted in the same
transaction, so the next binding claims the database for ``$journal`` with a new
graph id.  The mark is flagged ``clearing`` until the emptying is done
(:mod:`graphsiem.store.neo4j_clearing`).  From its commit on, every other journal's batch is refused where it
is written (the mark is not theirs); a batch of theirs committed before it is
deleted by the emptying that follows.  Returns the journal that held the mark
(null: none)."""

PROJECTION_MARK_READ = """
MATCH (m:GraphsiemMeta {name: 'projection'}) WHERE m.journal = $journal RETURN m.seq AS seq
"""
