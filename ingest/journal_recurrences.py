"""A content id that comes back a day or more later is another event: its recurrence (task IDS3 #3).

A Windows event's content id (:mod:`ingest.parsers.windows_record_ids`) keeps
only the second of the quarter hour of its time, the one part every export
agrees on.  Its record number comes back after a log is cleared, a machine is
reimaged, or a non-persistent VDI desktop reverts to its image (every day,
with the same name and the same boot sequence), and events with few or no
fields (a Security 1102 log clear in the same logon session, a service's
7036, Sysmon's own 4 and 16) then repeat their fields too: one chance in 900
that two such events share the second as well, and they were one event.  A
clear every quarter hour on the second would hide every clear after the first.

Two exports of one event differ in time by a zone offset at most (local time
written as UTC: 14 h at most), so an event whose content id the journal
holds for a time more than :data:`RECURRENCE_SECONDS` away is not that
event.  It takes the id of the content's next recurrence
(:func:`recurrence_id`, ``k = 1, 2, ...``): the first one not held, or held
within :data:`RECURRENCE_SECONDS` of its time (then it is that one, a
duplicate).  Every export of the second event reaches the same id the same
way, so each event is still one event whatever its export, in any order.

The red team's forged lines (T13 F1) do not gain: a forged line makes a
genuine event a duplicate only with its every field, its second and a time
within 14 h, that is, the event itself.  Forged far-off copies only push the
genuine one to a later recurrence; after :data:`PROBES` of them it is given
the id of its content and its whole UTC second, kept apart from every copy.

Only events whose id their parser set (content ids) are checked, and only
when their id is held already or repeated in the batch (a re-ingest), so new
events pay nothing.  Zeek's content ids hold the whole time: never far off.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Sequence
from hashlib import sha256

from graphsiem.model import Event
from ingest.id_index import IdIndex, id_prefix, rows_by_seq

RECURRENCE_SECONDS = 14 * 3600 + 1
"""The most two exports of one event differ in time: a zone offset (UTC+14) and a truncated second."""

PROBES = 8
"""Recurrences looked at before an event is given the id of its content and its whole second."""


def recurrence_id(event_id: str, recurrence: int | str) -> str:
    """The id of the ``recurrence``-th later event with the content of ``event_id``.

    Examples
    --------
    >>> recurrence_id("a" * 32, 1) == sha256(("a" * 32 + "\\x1e1").encode()).hexdigest()[:32]
    True
    """
    return sha256(f"{event_id}\x1e{recurrence}".encode()).hexdigest()[:32]


def place(event_id: str, ts: float, held_ts: Callable[[str], float | None]) -> tuple[str, bool]:
    """The id an event of content id ``event_id`` at ``ts`` gets, and whether that id is held (a duplicate).

    Parameters
    ----------
    event_id : str
        The event's content id.
    ts : float
        The event's time.
    held_ts : callable
        The time of the event held under an id, or None when none is.

    Examples
    --------
    >>> held = {"c": 0.0, recurrence_id("c", 1): 86_400.0}
    >>> place("c", 3_600.0, held.get)
    ('c', True)
    >>> place("c", 86_410.0, held.get) == (recurrence_id("c", 1), True)
    True
    >>> place("c", 200_000.0, held.get) == (recurrence_id("c", 2), False)
    True
    """
    for recurrence in range(PROBES + 1):
        candidate = event_id if recurrence == 0 else recurrence_id(event_id, recurrence)
        other = held_ts(candidate)
        if other is None:
            return candidate, False
        if abs(other - ts) <= RECURRENCE_SECONDS:
            return candidate, True
    candidate = recurrence_id(event_id, f"t{int(ts // 1)}")
    return candidate, held_ts(candidate) is not None


def separate_recurrences(index: IdIndex, db: sqlite3.Connection, events: Sequence[Event],
                         content: Collection[int], held: Collection[str]) -> bool:
    """Give each event of ``content`` whose id is held for a far-off time its recurrence's id (in place).

    Parameters
    ----------
    index, db : IdIndex, sqlite3.Connection
        The journal's id index and connection (inside the append's transaction).
    events : sequence of Event
        The batch.
    content : collection of int
        Positions in ``events`` of the events whose id their parser set (content ids).
    held : collection of str
        The batch's ids the journal holds.

    Returns
    -------
    bool
        Whether any event's id changed.
    """
    earlier: dict[str, float] = {}  # the batch's ids so far, with the time of their first event

    def held_ts(event_id: str) -> float | None:
        if event_id in earlier:
            return earlier[event_id]
        for row_id, ts in rows_by_seq(db, "id, ts", index.candidate_seqs([id_prefix(event_id)])):
            if row_id == event_id:
                return float(ts)
        return None

    changed = False
    for n, event in enumerate(events):
        if n in content and (event.id in held or event.id in earlier):
            placed, _ = place(event.id, event.ts, held_ts)
            if placed != event.id:
                event.id = placed
                changed = True
        earlier.setdefault(event.id, event.ts)
    return changed
