"""Which evidence ids a relation keeps past :data:`graphsiem.model.EVIDENCE_CAP`: both ends of its run.

A busy edge (a password spray: 192 validations of one account at one DC) is
counted whole, but only ``EVIDENCE_CAP`` of its event ids are kept.  Keeping the
first ones only left the end of a long run out of reach (review U1 #1: the
spray's last six minutes could not be opened).  So every place that appends or
merges evidence (the projection's accumulator, both stores, the journal
rebuild, which runs the projection) keeps the first :data:`EVIDENCE_HEAD` ids
and the most recent ``EVIDENCE_CAP - EVIDENCE_HEAD``: when the list is full, a
new id pushes out the oldest of the recent half.  The first ids never move, so
the start of a run, where an investigation begins, stays stable.
"""

from __future__ import annotations

from graphsiem.model import EVIDENCE_CAP

EVIDENCE_HEAD = EVIDENCE_CAP // 2
"""How many of the first evidence ids a full list keeps; the rest of the cap holds the most recent ones."""

EVIDENCE_TAIL = EVIDENCE_CAP - EVIDENCE_HEAD
"""How many of the most recent evidence ids a full list keeps."""


def keep_ends(ids: list[str]) -> None:
    """Cut ``ids`` (in arrival order) to the first :data:`EVIDENCE_HEAD` and the last :data:`EVIDENCE_TAIL`, in place.

    Parameters
    ----------
    ids : list of str
        Evidence ids, oldest first; left alone when within the cap.

    Examples
    --------
    >>> ids = [f"e{i}" for i in range(EVIDENCE_CAP + 3)]
    >>> keep_ends(ids)
    >>> len(ids), ids[EVIDENCE_HEAD - 1], ids[EVIDENCE_HEAD], ids[-1]
    (64, 'e31', 'e35', 'e66')
    """
    excess = len(ids) - EVIDENCE_CAP
    if excess > 0:
        del ids[EVIDENCE_HEAD:EVIDENCE_HEAD + excess]


def append_kept(ids: list[str], event_id: str) -> None:
    """Append ``event_id`` to ``ids``; a full list drops the oldest of its recent half to make room.

    Examples
    --------
    >>> ids = [f"e{i}" for i in range(EVIDENCE_CAP)]
    >>> append_kept(ids, "new")
    >>> len(ids), ids[EVIDENCE_HEAD], ids[-1]
    (64, 'e33', 'new')
    """
    if len(ids) >= EVIDENCE_CAP:
        del ids[EVIDENCE_HEAD]
    ids.append(event_id)
