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
"""

from __future__ import annotations

import sqlite3

from ingest.journal_schema import meta_once

CONTENT_IDS_KEY = "content_ids_from_seq"
"""The ``meta`` key: the journal's highest ``seq`` when content ids came (``0``: it held no event)."""


def may_hold_read_ids(db: sqlite3.Connection) -> bool:
    """Whether the journal on ``db`` held events before content ids came (decided on its first call).

    Parameters
    ----------
    db : sqlite3.Connection
        The journal's connection (:attr:`ingest.journal.Journal.connection`).

    Returns
    -------
    bool
        True when events with a content id must also be looked up under their
        ids as read (:mod:`ingest.event_ids`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from ingest.journal import Journal
    >>> journal = Journal(pathlib.Path(tempfile.mkdtemp()) / "journal.sqlite")
    >>> may_hold_read_ids(journal.connection)
    False
    """
    value = meta_once(db, CONTENT_IDS_KEY, lambda: str(_highest_seq(db)))
    return value != "0"


FRAMING_IDS_KEY = "framing_ids_from_seq"
"""The ``meta`` key: the journal's highest ``seq`` when framing-independent ids came (``0``: none).

Since then a JSON object framed in an array, among concatenated objects or sent
to the API as an object is hashed re-serialised in its own key order
(:mod:`ingest.event_ids`); releases before hashed its canonical (sorted) text.
"""


def may_hold_framed_ids(db: sqlite3.Connection) -> bool:
    """Whether the journal on ``db`` (its connection) held events before framing-independent ids came.

    Decided on the first call, as :func:`may_hold_read_ids` is.  True when a
    re-serialised JSON object's event must also be looked up under the id of
    its canonical text (:mod:`ingest.event_ids`).
    """
    return meta_once(db, FRAMING_IDS_KEY, lambda: str(_highest_seq(db))) != "0"


def _highest_seq(db: sqlite3.Connection) -> int:
    # the rowid's maximum: read from the table's B-tree end, not a scan
    return int(db.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0])
