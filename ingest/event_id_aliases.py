"""Whether a journal may hold events under the ids content ids replaced (:mod:`ingest.event_ids`).

A parser that derives its events' ids from their content (Zeek) gives a record
another id than releases before content ids, which hashed the record as read.
The pipeline passes that older id as the event's alias
(:meth:`ingest.journal.Journal.append`), so a file journaled by such a release
adds nothing when ingested again; but looking aliases up costs ~0.7 us an event
(a second probe of the id index, measured on a 200,000-event journal), ~2% of a
Zeek event's ingest, for nothing on a journal no such release wrote to.

So the journal records, once, whether it held events when a release with
content ids first opened it for ingest (``meta`` key :data:`CONTENT_IDS_KEY`,
the highest ``seq`` then, ``0`` for none): only then are aliases looked up.
An empty journal never needs them, a journal with events always does (which
of its events a release before content ids wrote is not known).  A release
before content ids writing to a journal made after it (a downgrade) is not
covered: the records it journaled would be journaled again by this one.

Framing-independent ids of JSON objects came a release later and are recorded
the same way (:data:`FRAMING_IDS_KEY`).  :func:`former_ids` reads and decides
both at once; on a journal this release opens first they get the same value.
They stay two keys because a journal made between the two releases holds
``content_ids_from_seq = 0`` with events of the canonical-text ids after it:
there framing aliases are needed, content aliases are not.

Export-independent ids came a release after that (:data:`EXPORT_IDS_KEY`): a
Windows event with an ``EventRecordID`` gets the content id of its ``System``
key and its fields (:mod:`ingest.parsers.windows_record_ids`) and an NDJSON line that is not
compact the id of its compact dump (:mod:`ingest.readers.ndjson`).  On a
journal that held events when this release first opened it, the id such an
event had before (of its bytes as read) is its alias.

Key-order-independent ids came a release after that (:data:`SORTED_IDS_KEY`): a JSON
object's event without a content id is hashed by the object's compact dump with sorted
keys, so a collector that re-serialises records in another key order sends the same
events; the id of its own key order is its alias on a journal that held events before.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from ingest.journal_schema import Transaction

CONTENT_IDS_KEY = "content_ids_from_seq"
"""The ``meta`` key: the journal's highest ``seq`` when content ids came (``0``: it held no event)."""

FRAMING_IDS_KEY = "framing_ids_from_seq"
"""The ``meta`` key: the journal's highest ``seq`` when framing-independent ids came (``0``: none).

Since then a JSON object framed in an array, among concatenated objects or sent
to the API as an object is hashed re-serialised in its own key order
(:mod:`ingest.event_ids`); releases before hashed its canonical (sorted) text.
"""

EXPORT_IDS_KEY = "export_ids_from_seq"
"""The ``meta`` key: the journal's highest ``seq`` when export-independent ids came (``0``: none).

Since then a Windows event with a record number has the content id of its ``System`` key and fields, and an
NDJSON line that is not compact (spaces, ``\\u003c`` escapes) the id of its compact dump in its own
key order; releases before hashed both as read.
"""

SORTED_IDS_KEY = "sorted_ids_from_seq"
"""The ``meta`` key: the journal's highest ``seq`` when key-order-independent ids came (``0``: none).

Since then a JSON object's event without a content id has the id of its compact dump with sorted keys
(:mod:`ingest.event_ids`); releases before hashed its compact dump in its own key order (a compact
NDJSON line's bytes), which is the event's alias on a journal that held events then.
"""

_KEYS = (CONTENT_IDS_KEY, FRAMING_IDS_KEY, EXPORT_IDS_KEY, SORTED_IDS_KEY)


@dataclass(frozen=True, slots=True)
class FormerIds:
    """Which ids of releases before the journal may hold its events under (their aliases are looked up)."""

    read: bool
    """Events with a content id may be journaled under their ids as read (before content ids)."""
    framed: bool
    """A re-serialised JSON object's event may be journaled under the id of its canonical text."""
    exported: bool = False
    """A Windows event with a record number, or a line that is not compact, may be journaled under its id as read."""
    sorted: bool = False
    """A JSON object's event without a content id may be journaled under the id of its own key order."""


def former_ids(db: sqlite3.Connection) -> FormerIds:
    """Which former ids the journal on ``db`` may hold: whether it held events when each id rule came.

    Each key missing from ``meta`` is decided now (the journal's highest ``seq``), both in one
    write transaction, so concurrent first opens agree; a key already there is kept, whatever
    the release that wrote it.

    Parameters
    ----------
    db : sqlite3.Connection
        The journal's connection (:attr:`ingest.journal.Journal.connection`).

    Returns
    -------
    FormerIds
        ``read``, ``framed`` and ``exported``: True when the rule's former ids must be looked up as aliases.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from ingest.journal import Journal
    >>> journal = Journal(pathlib.Path(tempfile.mkdtemp()) / "journal.sqlite")
    >>> former_ids(journal.connection)
    FormerIds(read=False, framed=False, exported=False, sorted=False)
    """
    values = _stored(db)
    if len(values) < len(_KEYS):
        with Transaction(db):
            values = _stored(db)  # another process may have decided them meanwhile
            highest = str(_highest_seq(db))
            for key in _KEYS:
                if key not in values:
                    values[key] = highest
                    db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, highest))
    return FormerIds(
        read=values[CONTENT_IDS_KEY] != "0", framed=values[FRAMING_IDS_KEY] != "0",
        exported=values[EXPORT_IDS_KEY] != "0", sorted=values[SORTED_IDS_KEY] != "0",
    )


def _stored(db: sqlite3.Connection) -> dict[str, str]:
    rows = db.execute("SELECT key, value FROM meta WHERE key IN (?, ?, ?, ?)", _KEYS).fetchall()
    return {key: str(value) for key, value in rows}


def _highest_seq(db: sqlite3.Connection) -> int:
    # the rowid's maximum: read from the table's B-tree end, not a scan
    return int(db.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0])
