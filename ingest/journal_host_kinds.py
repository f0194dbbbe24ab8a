"""How many events of each kind the journal holds per host: the host timeline's cheap count.

The timeline's count (:mod:`ingest.journal_host_events`) read the host's
entries of ``events_by_host`` (host, ts, kind) until it had counted
:data:`~ingest.journal_host_events.COUNT_CAP` matches: quick for a common kind,
but a kind that never occurs on a host of 1M events read all 1M entries
(0.3 s, task OPS.3), and so did the page.  ``host_kind_counts`` keeps the count
of each (host, kind): a timeline with no time range reads its count there (one
primary-key range read), and one whose kinds the host never had answers an
empty page without reading the index.

Kept by :meth:`ingest.journal.Journal.append`, in the transaction that inserts
the rows (:func:`count_appended`: one upsert per (host, kind) of the batch, not
per row; a per-row SQL trigger cost 19 us a row with the journal's 64 KiB
pages, more than half of a Windows event's whole ingest).  The meta key
:data:`UPTO_KEY` says up to which seq the counts hold.  They are used only
when that is the journal's last seq: rows written by a version without the
table leave them behind, and the next open by this version counts again from
the index (:func:`install_host_kind_counts`: about 1.8 s for 1M events, once);
until then the timeline counts on the index as before.  The journal is
append-only but for the id migration (:mod:`ingest.journal_id_migration`),
which takes each row it deletes off these counts; a row deleted by hand below
the last seq would be counted still.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Sequence

from graphsiem.model import Event
from ingest.journal_schema import Transaction

UPTO_KEY = "host_kind_counts_upto"
"""The ``meta`` key: the seq up to which ``host_kind_counts`` holds every row's count."""

HOST_KIND_COUNTS = (
    "CREATE TABLE IF NOT EXISTS host_kind_counts (host TEXT NOT NULL, kind TEXT NOT NULL, "
    "n INTEGER NOT NULL, PRIMARY KEY (host, kind)) WITHOUT ROWID"
)


def _last_seq(db: sqlite3.Connection) -> int:
    return int(db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0])


def _upto(db: sqlite3.Connection, key: str = UPTO_KEY) -> int | None:
    """The seq the kept table of ``key`` holds up to (None when never kept; :mod:`ingest.journal_sensor_ends` too)."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else int(row[0])


def _set_upto(db: sqlite3.Connection, seq: int, key: str = UPTO_KEY) -> None:
    db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
               (key, str(seq)))


def install_host_kind_counts(db: sqlite3.Connection) -> None:
    """Make the table, and count the journal's events when the counts do not hold up to its last seq.

    A new journal, or one whose counts are current: two lookups.  One made
    before the table, or written since by a version without it: counted again
    from ``events_by_host`` in one write transaction.
    """
    db.execute(HOST_KIND_COUNTS)
    if _upto(db) == _last_seq(db):
        return
    with Transaction(db):  # two first opens at once: the second finds the counts current
        last = _last_seq(db)
        if _upto(db) == last:
            return
        db.execute("DELETE FROM host_kind_counts")
        db.execute("INSERT INTO host_kind_counts (host, kind, n) SELECT host, kind, COUNT(*) FROM events "
                   "WHERE host IS NOT NULL GROUP BY host, kind")
        _set_upto(db, last)


def count_appended(db: sqlite3.Connection, events: Sequence[Event], seqs: Sequence[int]) -> None:
    """Add the rows just inserted (``events``, at ``seqs``) to the counts, inside the append's transaction.

    Only when the counts held up to the row before these: otherwise they stay
    behind (the timeline counts on the index) until the next open recounts.
    """
    if not seqs:
        return
    before = db.execute("SELECT COALESCE(MAX(seq), 0) FROM events WHERE seq < ?", (seqs[0],)).fetchone()[0]
    if _upto(db) != before:
        return
    pairs = Counter((e.host, e.kind) for e in events if e.host is not None)
    db.executemany("INSERT INTO host_kind_counts (host, kind, n) VALUES (?, ?, ?) "
                   "ON CONFLICT (host, kind) DO UPDATE SET n = n + excluded.n",
                   [(host, kind, n) for (host, kind), n in pairs.items()])
    _set_upto(db, seqs[-1])


def host_kind_total(db: sqlite3.Connection, host: str, kinds: Sequence[str] = ()) -> int | None:
    """Events of ``host`` of any of ``kinds`` (all kinds when empty); None when the counts are not current.

    Examples
    --------
    >>> db = sqlite3.connect(":memory:", isolation_level=None)
    >>> _ = db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    >>> _ = db.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, kind TEXT, host TEXT)")
    >>> _ = db.execute("INSERT INTO events (kind, host) VALUES ('logon', 'ws1'), ('logon', 'ws1'), ('dns', 'ws1')")
    >>> install_host_kind_counts(db)
    >>> host_kind_total(db, "ws1"), host_kind_total(db, "ws1", ["dns"]), host_kind_total(db, "ws1", ["x"])
    (3, 1, 0)
    >>> _ = db.execute("INSERT INTO events (kind, host) VALUES ('dns', 'ws1')")  # not through count_appended
    >>> host_kind_total(db, "ws1") is None
    True
    """
    try:
        current = _upto(db) == _last_seq(db)
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):  # a database not opened as a journal by this version
            return None
        raise
    if not current:
        return None
    if kinds:
        row = db.execute("SELECT SUM(n) FROM host_kind_counts WHERE host = ? AND kind IN "
                         "(SELECT value FROM json_each(?))", (host, json.dumps(list(kinds)))).fetchone()
    else:
        row = db.execute("SELECT SUM(n) FROM host_kind_counts WHERE host = ?", (host,)).fetchone()
    return int(row[0] or 0)


def hosts_of_kinds(db: sqlite3.Connection, kinds: Sequence[str], limit: int) -> list[tuple[str, int]] | None:
    """The hosts with events of any of ``kinds`` and how many, most first, at most ``limit``; None when not current.

    A search for an event id or name (``1102``, ``log cleared``) lists them
    (:mod:`graphsiem.api.services.event_kind_search`): one read of the counts table,
    whose rows are (host, kind) pairs, not events.

    Examples
    --------
    >>> db = sqlite3.connect(":memory:", isolation_level=None)
    >>> _ = db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    >>> _ = db.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, kind TEXT, host TEXT)")
    >>> _ = db.execute("INSERT INTO events (kind, host) VALUES ('clear', 'dc1'), ('clear', 'dc1'), ('clear', 'ws1')")
    >>> install_host_kind_counts(db)
    >>> hosts_of_kinds(db, ["clear"], 10), hosts_of_kinds(db, ["clear"], 1), hosts_of_kinds(db, ["x"], 10)
    ([('dc1', 2), ('ws1', 1)], [('dc1', 2)], [])
    """
    if not kinds:
        return []
    try:
        current = _upto(db) == _last_seq(db)
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return None
        raise
    if not current:
        return None
    rows = db.execute("SELECT host, SUM(n) AS total FROM host_kind_counts WHERE kind IN "
                      "(SELECT value FROM json_each(?)) GROUP BY host HAVING total > 0 "  # 0: merged away (id migration)
                      "ORDER BY total DESC, host LIMIT ?",
                      (json.dumps(list(kinds)), limit)).fetchall()
    return [(str(host), int(total)) for host, total in rows]
