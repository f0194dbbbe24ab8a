"""The journal's SQLite file: its tables, journal mode, ``meta`` keys and migrations.

Part of :mod:`ingest.journal`: what :class:`ingest.journal.Journal` does when it
opens a file (make the tables, leave WAL, decide the id scheme once, give an
older ``events`` table its ``id_scheme`` column), and the write transaction
every change runs in.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from graphsiem.paths import private_file
from ingest.event_ids import AS_READ, CANONICAL_TEXT, NEWEST, SCHEMES
from ingest.id_index import ID_RUNS_SCHEMA

EVENTS_TABLE = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    ts REAL NOT NULL,
    host TEXT,
    source TEXT NOT NULL,
    origin TEXT NOT NULL,
    fields BLOB NOT NULL,
    raw BLOB,
    id_scheme INTEGER NOT NULL
);
"""
"""The events table as this version makes it.

``id_scheme NOT NULL`` is the guard against a downgrade: versions from before
id schemes insert rows without that column, so in a journal made by this
version their insert fails (``NOT NULL constraint failed: events.id_scheme``)
instead of adding scheme-1 ids beside the scheme-2 ids of the same records,
which would let a file ingested again add every event a second time.  A check
in SQL rather than in Python because the old version's Python is the one
that runs.  Tables an earlier version made get the column through
:func:`add_id_scheme_column`, nullable (SQLite cannot add a
``NOT NULL`` column without a default): those journals keep working, unguarded.
"""

EVENTS_BY_HOST_INDEX = (
    "CREATE INDEX IF NOT EXISTS events_by_host ON events (host, ts, kind) WHERE host IS NOT NULL")
"""A host's events in time order (:mod:`ingest.journal_host_events`, the host timeline).

Without it "the newest events of host H" scanned the whole table.  ``kind`` is
in it so a kind filter and the timeline's count read the index alone (a rare
kind on a busy host would otherwise fetch each of the host's rows).  Partial:
events of no host (most of a network sensor's) are never asked for by host, and
left out they cost their appends nothing.  Made by
:func:`open_database` on every open (``IF NOT EXISTS``): a journal made before
it gets it on its first open by this version, once (the cost is in
``docs/performance.md``).
"""

SENSOR_LOGONS_WHERE = "host IS NULL AND kind IN ('zeek:ntlm', 'zeek:kerberos')"
SENSOR_LOGONS_INDEX = f"CREATE INDEX IF NOT EXISTS sensor_logons_by_time ON events (ts) WHERE {SENSOR_LOGONS_WHERE}"
"""A network sensor's authentication records by time (:mod:`analytics.credential_network`: a spray a
Zeek sensor saw).  They have no host, so ``events_by_host`` cannot find them and the window's would be
a scan of the journal; partial, so only these rows cost their appends anything.  A query uses it when
its WHERE holds :data:`SENSOR_LOGONS_WHERE` word for word.  Made on every open (``IF NOT EXISTS``): an
older journal gets it on its first open by this version (one scan of the table)."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS rejected (
    key TEXT PRIMARY KEY,
    origin TEXT NOT NULL,
    format TEXT NOT NULL,
    reason TEXT NOT NULL,
    raw TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ip_hosts (
    ip TEXT NOT NULL,
    start REAL NOT NULL,
    end REAL NOT NULL,
    host TEXT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (ip, start, host)
);
-- a host's addresses, newest first (graphsiem.api.services.address_map): without it the
-- entity answer of a host scanned the whole map (~5 ms a 100,000 intervals)
CREATE INDEX IF NOT EXISTS ip_hosts_by_host ON ip_hosts (host, start);
CREATE TABLE IF NOT EXISTS projection_state (seq INTEGER PRIMARY KEY, state BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS host_clocks (
    host TEXT NOT NULL,
    field TEXT NOT NULL,
    start REAL NOT NULL,
    end REAL NOT NULL,
    offset REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS host_clocks_by_host ON host_clocks (host, field);
"""

"""The other tables (see :mod:`ingest.journal`)."""

ROLLBACK_MODE = "truncate"
"""SQLite's journal mode for the journal: a rollback journal, not WAL.

Appended rows are written once, into the database file: a rollback journal
saves only pages that existed before the transaction, and an append adds new
ones.  WAL writes every row twice, into the WAL and again into the database at
the checkpoint.  Measured on Windows events (4.7 KB a row, batches of
5,000): the commits took 4.1 us of CPU per row in WAL (checkpoints included)
and 1.7 us with the rollback journal; insert and commit together took 17.4 us
of wall time per row in WAL and 9.0 us with the rollback journal
(``docs/performance.md``).  The price: a reader waits while a batch commits
(tens of milliseconds for 5,000 Windows events; SQLite's busy timeout covers
it), where WAL let readers go on.  ``TRUNCATE`` rather than ``DELETE``: the
journal file is emptied, not removed and made again, at each commit.

Durability is the same: with ``synchronous=FULL`` a committed batch survives
power loss in either mode.
"""

CHECKPOINT_KEY = "projected_seq"
IDENTITY_KEY = "journal_id"
ID_SCHEME_KEY = "id_scheme"
STORE_KEY = "graph_store"
"""The graph store the journal is projected into (JSON, see :mod:`ingest.store_binding`):
the projection checkpoint holds for that store only."""


def open_database(path: Path) -> tuple[sqlite3.Connection, str]:
    """A connection to the journal at ``path`` with its tables made; and the journal mode in effect."""
    # raw telemetry: the file (and so its -journal) is 0600 (graphsiem.paths.private_file)
    private_file(path)
    # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE), so
    # "check which ids exist, insert the rest" is atomic across processes.
    db = sqlite3.connect(path, isolation_level=None, timeout=60.0)
    # Large pages: rows are a few KB (fields + raw record); 64 KiB pages halve
    # the insert cost against the 4 KiB default (measured, bench_ingest).
    # Only takes effect when the file is created.
    db.execute("PRAGMA page_size=65536")
    db.execute("PRAGMA cache_size=-65536")
    mode = use_rollback_journal(db)
    # FULL: a commit survives power loss, not only a crash; one fsync per
    # batch of thousands of events costs little.
    db.execute("PRAGMA synchronous=FULL")
    db.executescript(EVENTS_TABLE + SCHEMA + ID_RUNS_SCHEMA)
    db.execute(EVENTS_BY_HOST_INDEX)
    db.execute(SENSOR_LOGONS_INDEX)
    return db, mode


class Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (rollback on error): one writer at a time."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")


def meta_once(db: sqlite3.Connection, key: str, decide: Callable[[], str]) -> str:
    """The ``meta`` value of ``key``; when there is none, ``decide()`` makes it, once.

    A read when the value exists (no write lock); otherwise decided and
    stored inside one write transaction, so concurrent first opens agree.
    """
    query = "SELECT value FROM meta WHERE key = ?"
    row = db.execute(query, (key,)).fetchone()
    if row is None:
        with Transaction(db):
            row = db.execute(query, (key,)).fetchone()
            if row is None:
                row = (decide(),)
                db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, row[0]))
    return str(row[0])


def load_id_scheme(db: sqlite3.Connection, path: Path) -> int:
    """The stored id scheme; a journal without one gets it now (see :attr:`ingest.journal.Journal.id_scheme`).

    Raises
    ------
    ValueError
        When the stored scheme is not one this version knows (``path`` names the journal).
    """

    def decide() -> str:
        held = db.execute(
            "SELECT EXISTS (SELECT 1 FROM events) OR EXISTS (SELECT 1 FROM rejected)"
        ).fetchone()[0]
        return str(CANONICAL_TEXT if held else NEWEST)

    value = meta_once(db, ID_SCHEME_KEY, decide)
    if not value.isdigit() or int(value) not in SCHEMES:
        raise ValueError(f"{path}: unknown event id scheme {value!r} (this version knows {SCHEMES})")
    return int(value)


def add_id_scheme_column(db: sqlite3.Connection, id_scheme: int) -> None:
    """Give an ``events`` table made by an earlier version its ``id_scheme`` column.

    An empty table of a scheme-2 journal is made again as
    :data:`EVENTS_TABLE`, with the downgrade guard; a table holding rows
    (or a scheme-1 journal's, whose old writers hash the same way) gets
    the column nullable, as ``ALTER TABLE`` allows.
    """
    if has_column(db, "events", "id_scheme"):
        return
    with Transaction(db):  # two first opens at once: the second sees the column
        if has_column(db, "events", "id_scheme"):
            return
        empty = not db.execute("SELECT EXISTS (SELECT 1 FROM events)").fetchone()[0]
        if empty and id_scheme == AS_READ:
            db.execute("DROP TABLE events")  # drops its indexes too
            db.execute(EVENTS_TABLE)
            db.execute(EVENTS_BY_HOST_INDEX)
            db.execute(SENSOR_LOGONS_INDEX)
        else:
            db.execute("ALTER TABLE events ADD COLUMN id_scheme INTEGER")


def has_column(db: sqlite3.Connection, table: str, column: str) -> bool:
    """Whether ``table`` has ``column`` (``table`` is one of this module's names)."""
    return any(row[1] == column for row in db.execute("SELECT * FROM pragma_table_info(?)", (table,)))


def use_rollback_journal(db: sqlite3.Connection) -> str:
    """Put ``db`` in :data:`ROLLBACK_MODE`; return the journal mode in effect.

    A journal made by an earlier version is in WAL mode, which SQLite keeps in
    the file.  Leaving WAL needs the only connection to the file, so while
    another one is open (the API server beside a CLI ingest) this connection
    stays in WAL, as safe and only slower; the first open with the file to
    itself switches it for good.
    """
    try:
        return str(db.execute(f"PRAGMA journal_mode={ROLLBACK_MODE}").fetchone()[0])  # fixed text, no data
    except sqlite3.OperationalError:  # "database is locked": another connection has the WAL open
        return str(db.execute("PRAGMA journal_mode").fetchone()[0])
