"""How far a store's graph is behind the journal, for a command that reads it (``graphsiem detect``).

A detection over a graph that lacks journaled events finds clusters in part
of the data as if it were all of it: on Neo4j, after an ingest that exited 75
while the server was down, ``detect`` printed "35 clusters" with the graph
10,225 events behind and said nothing (review T4, finding 2).  The figure is
the one ``/healthz`` reports as ``projection.lag_events``: the journal's last
seq minus what the graph holds, read here from the store's own mark when it
keeps one (a Neo4j mark left at 0 by an interrupted rebuild counts the whole
journal), else from the journal's checkpoint.  Read only: nothing is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ingest.journal import Journal


def graph_pending(store: Any, journal: Journal) -> int:
    """Events the journal holds that ``store``'s graph does not (0: caught up).

    Parameters
    ----------
    store : GraphStore
        The open store (Neo4j: its projection mark for this journal; embedded:
        its saved mark; another: the journal's checkpoint alone).
    journal : Journal
        The data directory's journal.
    """
    last = journal.last_seq()
    if last == 0:
        return 0
    mark: int | None = None
    if getattr(store, "name", None) == "neo4j":
        mark = store.owner_state().mark_of(journal.identity)
    elif hasattr(store, "projection_mark"):
        mark = store.projection_mark()
    # the store's mark is what its graph holds (the checkpoint follows it, and may lag a crash behind)
    projected = journal.checkpoint() if mark is None else int(mark)
    return max(0, last - projected)


def behind_warning(command: str, pending: int, where: str) -> str:
    """The one line a command prints when the graph it reads is ``pending`` events behind.

    Examples
    --------
    >>> print(behind_warning("detect", 10225, "/data"))
    graphsiem detect: warning: the graph is behind the journal by 10225 events (journaled, not yet projected into the graph store): these results leave them out; the next `graphsiem ingest` or `graphsiem serve` on /data projects them
    """
    return (
        f"graphsiem {command}: warning: the graph is behind the journal by {pending} events (journaled, not yet "
        f"projected into the graph store): these results leave them out; the next `graphsiem ingest` or "
        f"`graphsiem serve` on {where} projects them"
    )
