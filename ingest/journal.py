"""The durable journal of accepted events and kept rejections (SQLite, rollback journal).

The journal is the system of record: the graph is a projection of it and can
be caught up or rebuilt from it alone (:meth:`Journal.pending`,
:func:`ingest.replay.replay`).  An event is committed here *before* the ingest
reports it accepted, and its stable id is unique, so ingesting the same file
twice adds nothing.  How ids are derived from records is the journal's id
scheme (:attr:`Journal.id_scheme`, :mod:`ingest.event_ids`), fixed once per
journal so that a file ingested again keeps the ids it got the first time.

Tables
------
``events``    seq (autoincrement, the projection order), id, kind, ts,
              host, source, origin, fields (JSON), raw (JSON: the record text
              the id was derived from, e.g. the NDJSON line as read in id
              scheme 2, else canonical or re-dumped JSON), id_scheme (the
              scheme that made the id; see :data:`EVENTS_TABLE`).  Ids are unique,
              kept so by :mod:`ingest.id_index` rather than by an SQLite index
              (whose random-key writes made appends slow down as the journal
              grew); journals made before keep their ``UNIQUE`` index too.
``id_runs``   the persisted part of that id index (derived data).
``rejected``  origin, format, reason, raw, at (unique per origin+reason+raw).
``meta``      key/value: the projection checkpoint (``projected_seq``), the
              journal's random identity (``journal_id``) and its event id
              scheme (``id_scheme``).
``ip_hosts``  the time-aware IP -> host intervals (:mod:`ingest.ipmap`).
``dhcp_requests``  DHCP requests naming their host that wait for the ACK of their
              transaction: transaction id, client MAC (the key), time, host
              name; at most ``DHCP_REQUESTS_LIMIT`` read back, made by the IP
              map's first write that needs it (:mod:`ingest.ipmap`).  Derived
              data, like ``ip_hosts``: :func:`ingest.replay.rebuild_ipmap`
              replaces both.
``host_clocks``  Windows hosts' clock offsets learnt from Sysmon, as runs of time (:mod:`ingest.host_clocks`).
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from graphsiem.model import Event, stable_hash
from ingest.event_ids import AS_READ, CANONICAL_TEXT, NEWEST, SCHEMES
from ingest.id_index import ID_RUNS_SCHEMA, id_prefixes, rows_by_seq, shared_index

if TYPE_CHECKING:
    from graphsiem.store.base import GraphStore
    from ingest.replay import ProjectionSummary

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
:meth:`Journal._add_id_scheme_column`, nullable (SQLite cannot add a
``NOT NULL`` column without a default): those journals keep working, unguarded.
"""

_INSERT_COLUMNS = "INSERT OR FAIL INTO events (id, kind, ts, host, source, origin, fields, raw, id_scheme) VALUES "
_ROW_VALUES = {  # the scheme as a literal, not a parameter bound again for every row
    CANONICAL_TEXT: "(?, ?, ?, ?, ?, ?, ?, CAST(? AS TEXT), 1)",
    AS_READ: "(?, ?, ?, ?, ?, ?, ?, CAST(? AS TEXT), 2)",
}
_ROW_PARAMETERS = 8
ROWS_PER_INSERT = 64
"""Rows one ``INSERT`` statement writes (the rest of a batch goes one row a statement).

Each execution of a statement costs SQLite its own setup and, with
``AUTOINCREMENT``, a read and a rewrite of ``sqlite_sequence``; Python's
``executemany`` resets and binds it, and lets go of the GIL and takes it back,
for each execution.  One statement of 64 rows pays that once for all of them:
the same rows, in the same order, with the same seqs.  Measured on Windows
rows (``Journal.append`` alone, 12k rows): 5,700 fewer instructions a row
(valgrind), 7.80 against 8.12 us of CPU a row (median of 12 alternating runs).

``OR FAIL``: a statement that writes several rows and may abort (the ``NOT
NULL`` columns) makes SQLite keep a statement journal, a copy of the 64 KiB
page the statement starts on, spilled to a temporary file: 1,422 more writes
for those 12k rows, which made the change a loss.  With ``FAIL`` a failing row
ends the statement without undoing the rows before it, and :meth:`Journal.append`
then rolls its whole transaction back, as it did before.
"""
_INSERT_EVENTS = {scheme: _INSERT_COLUMNS + values for scheme, values in _ROW_VALUES.items()}
_INSERT_MANY = {scheme: _INSERT_COLUMNS + ", ".join([values] * ROWS_PER_INSERT) for scheme, values in _ROW_VALUES.items()}

_SCHEMA = """
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

_CHECKPOINT = "projected_seq"
_IDENTITY = "journal_id"
_ID_SCHEME = "id_scheme"


@dataclass(slots=True, frozen=True)
class Rejection:
    """A record the ingest could not accept, kept with the reason."""

    origin: str
    format: str
    reason: str
    raw: str
    at: float


@dataclass(slots=True)  # not frozen: a frozen init costs ~1 us per event on the replay path
class JournalEvent:
    """An event as journaled, with its sequence number (the projection order)."""

    seq: int
    event: Event


class Journal:
    """The SQLite journal at ``path`` (created on demand, rollback journal).

    Parameters
    ----------
    path : str or Path
        The database file, usually ``<data>/journal.sqlite``.

    Raises
    ------
    ValueError
        When the journal's id scheme is not one this version knows.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> journal = Journal(pathlib.Path(tempfile.mkdtemp()) / "journal.sqlite")
    >>> event = Event(id="e1", kind="ecs:event", ts=0.0, host="ws-1", source="ecs")
    >>> [e.id for e in journal.append([event])], journal.append([event])
    (['e1'], [])
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE), so
        # "check which ids exist, insert the rest" is atomic across processes.
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=60.0)
        # Large pages: rows are a few KB (fields + raw record); 64 KiB pages halve
        # the insert cost against the 4 KiB default (measured, bench_ingest).
        # Only takes effect when the file is created.
        self._db.execute("PRAGMA page_size=65536")
        self._db.execute("PRAGMA cache_size=-65536")
        self._mode = _use_rollback_journal(self._db)
        # FULL: a commit survives power loss, not only a crash; one fsync per
        # batch of thousands of events costs little.
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(EVENTS_TABLE + _SCHEMA + ID_RUNS_SCHEMA)
        try:
            self._id_scheme = self._load_id_scheme()
        except ValueError:
            self._db.close()
            raise
        self._add_id_scheme_column()
        self._insert_events = _INSERT_EVENTS[self._id_scheme]
        self._insert_many = _INSERT_MANY[self._id_scheme]
        self._identity = self._meta_once(_IDENTITY, lambda: uuid.uuid4().hex)
        # one id index per journal in this process (loaded on first append or get),
        # keyed by the file and the journal's identity: a journal deleted and made
        # again may get the same inode while the old one's index is still alive
        self._ids = shared_index(self.path, self._identity)

    # -- writes -------------------------------------------------------------
    def append(
        self,
        events: Sequence[Event],
        *,
        raw_json: Sequence[str | bytearray] | None = None,
        fields_json: Sequence[bytes] | None = None,
        rejections: Sequence[tuple[str, str, str, str]] = (),
        before_commit: Callable[[list[Event]], None] | None = None,
    ) -> list[Event]:
        """Insert the events whose id is new; return those, in order, once committed.

        Parameters
        ----------
        events : sequence of Event
            Events with their stable ids set.
        raw_json : sequence of str or bytearray, optional
            The JSON text of each event's ``raw`` when the caller already has it
            (the pipeline passes the line as read, or canonical text), to avoid a
            re-dump.  A bytearray holds that text's UTF-8 bytes and is stored as
            the same text: the pipeline passes a line's bytes without decoding them.
        fields_json : sequence of bytes, optional
            Each event's ``fields`` already serialised (the pipeline serialises
            them while it can still reject the record), to avoid a re-dump.
        rejections : sequence of (origin, format, reason, raw), optional
            The batch's rejected records, kept in the same transaction (as
            :meth:`reject` keeps them).
        before_commit : callable, optional
            Called with the new events inside the transaction, just before it
            commits: what it writes through :attr:`connection` commits with the
            events, and an exception from it rolls the whole batch back.  The
            pipeline saves the IP -> host intervals the events taught it here,
            so a batch costs one commit (one fsync) instead of up to three.
        """
        if not events:
            if rejections:
                self.reject(rejections)
            return []
        if fields_json is None:
            fields_json = [orjson.dumps(e.fields, default=str) for e in events]
        if raw_json is None:
            raw_json = [orjson.dumps(e.raw, default=str).decode() for e in events]
        ids = [event.id for event in events]
        first: dict[str, int] = {}  # the first event of each id (a batch may repeat a record)
        for n, event_id in enumerate(ids):
            first.setdefault(event_id, n)
        order = list(first.values())
        with self._ids.lock:  # from the catch-up to the index update, no other thread looks
            with self._transaction():
                # Inside one IMMEDIATE transaction nobody else writes: catch up with
                # the rows other writers committed, then drop the ids already held.
                ids_index = self._ids.synced(self._db)
                new_ids = [ids[n] for n in order]
                prefixes = id_prefixes(new_ids)
                held = ids_index.existing(self._db, new_ids, prefixes)
                if held:
                    kept = [k for k, n in enumerate(order) if ids[n] not in held]
                    order = [order[k] for k in kept]
                    prefixes = [prefixes[k] for k in kept]
                before = ids_index.high_water
                if order:
                    self._insert(events, order, fields_json, raw_json)
                seqs = self._new_seqs(before, len(order))
                pending = ids_index.prepare(self._db, prefixes, seqs)
                new = [events[n] for n in order]
                if rejections:
                    self._insert_rejections(rejections)
                if before_commit is not None:
                    before_commit(new)
            ids_index.commit(pending)  # only now: a failed transaction leaves the index as it was
        return new

    def _insert(
        self,
        events: Sequence[Event],
        order: list[int],
        fields_json: Sequence[bytes],
        raw_json: Sequence[str | bytearray],
    ) -> None:
        """Insert the rows of ``events[n]`` for each ``n`` of ``order`` (in that order)."""
        if len(order) == len(events):  # every event new (order is 0 .. n-1): no lookups by index
            chosen, fields, raws = events, fields_json, raw_json
        else:
            chosen = list(map(events.__getitem__, order))
            fields = list(map(fields_json.__getitem__, order))
            raws = list(map(raw_json.__getitem__, order))
        # fields as bytearray: the same BLOB, but Python's sqlite3 binds bytes through
        # its adapter lookup (~3,000 instructions a value), bytearray directly.  Rows
        # from a generator, each bound while its values are still in cache: ~4% more
        # Windows events per CPU second than a list of 5,000 tuples (measured).  raw
        # is cast to TEXT: a bytearray of UTF-8 is stored as the text it holds.
        rows = (
            (e.id, e.kind, e.ts, e.host, e.source, e.origin, bytearray(fields[k]), raws[k])
            for k, e in enumerate(chosen)
        )
        statements, rest = divmod(len(order), ROWS_PER_INSERT)
        if statements:
            # ROWS_PER_INSERT rows a statement, their values in one flat tuple: islice
            # takes exactly that many rows from ``rows``, and the rest go one a statement
            values = chain.from_iterable(rows)
            width = ROWS_PER_INSERT * _ROW_PARAMETERS
            self._db.executemany(self._insert_many, (tuple(islice(values, width)) for _ in range(statements)))
        if rest:
            self._db.executemany(self._insert_events, rows)

    def reject(self, rejections: Iterable[tuple[str, str, str, str]]) -> int:
        """Keep rejected records ``(origin, format, reason, raw)``; return how many were new."""
        rejections = list(rejections)
        if not rejections:
            return 0
        with self._transaction():
            return self._insert_rejections(rejections)

    def set_checkpoint(self, seq: int, join_state: bytes | None = None) -> None:
        """Record that every event up to ``seq`` is projected into the graph.

        ``join_state`` is the projector's join state after event ``seq``
        (:meth:`ingest.projection.Projector.join_state`), saved in the same
        transaction so a later ingest call goes on from it; older states are
        dropped.  States after ``seq`` (a checkpoint moved back, as a replay
        does) are dropped too: a state is only ever read at or before the
        checkpoint.
        """
        with self._transaction():
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (_CHECKPOINT, str(seq)),
            )
            self._db.execute("DELETE FROM projection_state WHERE seq > ?", (seq,))
            if join_state is not None:
                self._db.execute("DELETE FROM projection_state WHERE seq < ?", (seq,))
                self._db.execute(
                    "INSERT OR REPLACE INTO projection_state (seq, state) VALUES (?, ?)", (seq, join_state)
                )

    def join_state(self, at_most: int) -> tuple[int, bytes] | None:
        """The newest saved projector join state ``(seq, state)`` with ``seq <= at_most``, or None."""
        row = self._db.execute(
            "SELECT seq, state FROM projection_state WHERE seq <= ? ORDER BY seq DESC LIMIT 1", (at_most,)
        ).fetchone()
        return (int(row[0]), bytes(row[1])) if row else None

    # -- reads --------------------------------------------------------------
    @property
    def identity(self) -> str:
        """A random id made once per journal (``meta`` key ``journal_id``).

        Stores that keep their own projection mark (Neo4j) tie it to this id:
        seqs of two journals projected into one database are not comparable.
        """
        return self._identity

    @property
    def id_scheme(self) -> int:
        """How this journal derives event ids from records (``meta`` key ``id_scheme``).

        A journal made new gets :data:`ingest.event_ids.NEWEST` (2); one that
        already held events or rejections without the key was filled under
        the rule from before schemes existed and stays on scheme 1, so a file
        ingested into it again keeps its ids (and adds nothing).  Decided
        when the journal is opened first, read once per connection.
        """
        return self._id_scheme

    @property
    def sqlite_journal_mode(self) -> str:
        """SQLite's journal mode on this connection: ``"truncate"``, or ``"wal"`` (see :data:`ROLLBACK_MODE`)."""
        return self._mode

    def checkpoint(self) -> int:
        """The last projected seq (0 when nothing is projected)."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (_CHECKPOINT,)).fetchone()
        return int(row[0]) if row else 0

    def last_seq(self) -> int:
        """The highest seq in the journal (0 when empty)."""
        row = self._db.execute("SELECT MAX(seq) FROM events").fetchone()
        return int(row[0] or 0)

    def get(self, ids: Iterable[str]) -> list[Event]:
        """The events with these ids (unknown ids are left out), with ``raw``."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return []
        with self._ids.lock:
            seqs = self._ids.synced(self._db).candidate_seqs(id_prefixes(wanted))
        wanted_set = set(wanted)
        found = {
            row[1]: _event(row, with_raw=True)
            for row in rows_by_seq(self._db, "seq, id, kind, ts, host, source, origin, fields, raw", seqs)
            if row[1] in wanted_set  # a prefix match is only a candidate
        }
        return [found[i] for i in wanted if i in found]

    def iter_events(
        self, after_seq: int = 0, *, with_raw: bool = False, batch: int = 5000
    ) -> Iterator[JournalEvent]:
        """Stream events with ``seq > after_seq`` in seq order (bounded memory)."""
        columns = "seq, id, kind, ts, host, source, origin, fields" + (", raw" if with_raw else "")
        last = after_seq
        while True:
            rows = self._db.execute(
                f"SELECT {columns} FROM events WHERE seq > ? ORDER BY seq LIMIT ?",  # noqa: S608 - fixed column list
                (last, batch),
            ).fetchall()
            if not rows:
                return
            for row in rows:
                yield JournalEvent(row[0], _event(row, with_raw=with_raw))
            last = rows[-1][0]

    def rejected(self, limit: int = 100, offset: int = 0) -> list[Rejection]:
        """Kept rejections, oldest first."""
        rows = self._db.execute(
            "SELECT origin, format, reason, raw, at FROM rejected ORDER BY at, rowid LIMIT ? OFFSET ?",
            (limit, offset),
        ).fetchall()
        return [Rejection(*row) for row in rows]

    def counts(self) -> dict[str, int]:
        """``{"events": n, "rejected": n, "projected_seq": n, "last_seq": n}``."""
        events = self._db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        rejected = self._db.execute("SELECT COUNT(*) FROM rejected").fetchone()[0]
        return {
            "events": events,
            "rejected": rejected,
            "projected_seq": self.checkpoint(),
            "last_seq": self.last_seq(),
        }

    # -- graph ----------------------------------------------------------------
    def catch_up(self, store: GraphStore) -> ProjectionSummary:
        """Project the events after the checkpoint into ``store`` (see :mod:`ingest.replay`)."""
        from ingest.replay import project_pending

        return project_pending(self, store)

    def replay(self, store: GraphStore) -> ProjectionSummary:
        """Clear ``store`` and rebuild the graph from this journal alone."""
        from ingest.replay import replay

        return replay(self, store)

    @property
    def connection(self) -> sqlite3.Connection:
        """The SQLite connection (for tables that live beside the journal, like ``ip_hosts``)."""
        return self._db

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ----------------------------------------------------------
    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    def _insert_rejections(self, rejections: Iterable[tuple[str, str, str, str]]) -> int:
        """Insert rejections (inside a transaction); return how many were new (unique per origin+reason+raw)."""
        now = time.time()
        before = self._db.total_changes
        self._db.executemany(
            "INSERT OR IGNORE INTO rejected (key, origin, format, reason, raw, at) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (stable_hash(origin, reason, raw), origin, fmt, reason, raw, now)
                for origin, fmt, reason, raw in rejections
            ],
        )
        return self._db.total_changes - before

    def _meta_once(self, key: str, decide: Callable[[], str]) -> str:
        """The ``meta`` value of ``key``; when there is none, ``decide()`` makes it, once.

        A read when the value exists (no write lock); otherwise decided and
        stored inside one write transaction, so concurrent first opens agree.
        """
        query = "SELECT value FROM meta WHERE key = ?"
        row = self._db.execute(query, (key,)).fetchone()
        if row is None:
            with self._transaction():
                row = self._db.execute(query, (key,)).fetchone()
                if row is None:
                    row = (decide(),)
                    self._db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, row[0]))
        return str(row[0])

    def _load_id_scheme(self) -> int:
        """The stored id scheme; a journal without one gets it now (see :attr:`id_scheme`)."""

        def decide() -> str:
            held = self._db.execute(
                "SELECT EXISTS (SELECT 1 FROM events) OR EXISTS (SELECT 1 FROM rejected)"
            ).fetchone()[0]
            return str(CANONICAL_TEXT if held else NEWEST)

        value = self._meta_once(_ID_SCHEME, decide)
        if not value.isdigit() or int(value) not in SCHEMES:
            raise ValueError(f"{self.path}: unknown event id scheme {value!r} (this version knows {SCHEMES})")
        return int(value)

    def _add_id_scheme_column(self) -> None:
        """Give an ``events`` table made by an earlier version its ``id_scheme`` column.

        An empty table of a scheme-2 journal is made again as
        :data:`EVENTS_TABLE`, with the downgrade guard; a table holding rows
        (or a scheme-1 journal's, whose old writers hash the same way) gets
        the column nullable, as ``ALTER TABLE`` allows.
        """
        if _has_column(self._db, "events", "id_scheme"):
            return
        with self._transaction():  # two first opens at once: the second sees the column
            if _has_column(self._db, "events", "id_scheme"):
                return
            empty = not self._db.execute("SELECT EXISTS (SELECT 1 FROM events)").fetchone()[0]
            if empty and self._id_scheme == AS_READ:
                self._db.execute("DROP TABLE events")
                self._db.execute(EVENTS_TABLE)
            else:
                self._db.execute("ALTER TABLE events ADD COLUMN id_scheme INTEGER")

    def _new_seqs(self, before: int, count: int) -> list[int]:
        """The seqs of the ``count`` rows just inserted after seq ``before``, in order.

        Inside the write transaction every row above ``before`` is one of
        ours, so when the lowest and highest of them are ``count - 1`` apart
        they are exactly that range.  Two min/max lookups walk one edge of the
        seq B-tree each; ``COUNT(*)`` over the rows walked all of them
        (~0.3 us a Windows row, measured).
        """
        if not count:
            return []
        low = self._db.execute("SELECT MIN(seq) FROM events WHERE seq > ?", (before,)).fetchone()[0]
        high = self._db.execute("SELECT MAX(seq) FROM events").fetchone()[0]
        if low is not None and high - low + 1 == count:  # AUTOINCREMENT numbers one transaction's rows in a row
            return list(range(low, high + 1))
        return [r[0] for r in self._db.execute("SELECT seq FROM events WHERE seq > ? ORDER BY seq", (before,))]


def _has_column(db: sqlite3.Connection, table: str, column: str) -> bool:
    """Whether ``table`` has ``column`` (``table`` is one of this module's names)."""
    return any(row[1] == column for row in db.execute("SELECT * FROM pragma_table_info(?)", (table,)))


def _use_rollback_journal(db: sqlite3.Connection) -> str:
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


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (rollback on error): one writer at a time."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")


def _event(row: tuple, *, with_raw: bool) -> Event:
    raw = orjson.loads(row[8]) if with_raw and row[8] is not None else None
    # positional (id, kind, ts, host, source, fields, origin, raw): keywords cost more per event
    return Event(row[1], row[2], row[3], row[4], row[5], orjson.loads(row[7]), row[6], raw)
