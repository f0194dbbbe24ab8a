"""Exactly once per journal seq: a projected batch against the store's projection mark.

Every writer of one data directory (the service's projector, a CLI
``graphsiem ingest``) projects the same journal into the same graph.  Each
picks the events after the checkpoint, projects them, and only then writes:
by then another writer may have written some of them.  Both stores therefore
compare every batch with their projection mark *where they write it* (the
embedded store under its write lock, after reloading the other writer's
flush; Neo4j in the batch's transaction, holding the mark node's lock), one
comparison a batch, with :func:`batch_is_new`:

* the mark is below the batch's first seq: the batch is new, write it;
* the mark is at or past its last seq: it is in the graph already, skip it;
* the mark falls inside it: :class:`BatchOverlap`.  A batch is aggregated
  (its events' relations and sightings merged), so a part of it cannot be
  written alone: the caller projects the events after the mark again
  (:func:`ingest.replay.project_pending` does).
"""

from __future__ import annotations


class BatchOverlap(Exception):  # noqa: N818 - a signal to the projector, not a failure
    """The store's projection mark falls inside a batch: its events up to ``mark`` are in the graph.

    Nothing of the batch was written.  Not a :class:`~graphsiem.store.base.StoreError`:
    the store works, the caller only has to project again from ``mark``.
    """

    def __init__(self, mark: int, first: int, last: int) -> None:
        super().__init__(f"projection mark {mark} falls inside the batch of seqs {first}..{last}")
        self.mark = mark


def batch_is_new(mark: int | None, first: int, last: int) -> bool:
    """Whether a batch of journal seqs ``first..last`` is to be written over a graph projected up to ``mark``.

    Parameters
    ----------
    mark : int or None
        The last journal seq the graph holds (``None``: the store keeps no mark).
    first, last : int
        The seqs of the batch's first and last events.

    Returns
    -------
    bool
        True when the batch is new (write it), False when the graph holds it already.

    Raises
    ------
    BatchOverlap
        When the graph holds the batch's events up to ``mark`` but not the rest.

    Examples
    --------
    >>> batch_is_new(None, 1, 10), batch_is_new(0, 1, 10), batch_is_new(10, 1, 10), batch_is_new(12, 1, 10)
    (True, True, False, False)
    >>> batch_is_new(7, 1, 10)
    Traceback (most recent call last):
    ...
    graphsiem.store.batch_guard.BatchOverlap: projection mark 7 falls inside the batch of seqs 1..10
    """
    if mark is None or mark < first:
        return True
    if mark >= last:
        return False
    raise BatchOverlap(mark, first, last)
