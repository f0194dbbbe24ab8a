"""The webhook outbox: alerts waiting for the receiver, kept in ``state.sqlite``.

An alert is written here in the same transaction as the detection that decided
to send it (:meth:`graphsiem.api.state.StateStore.save_clusters` calls
:meth:`Outbox.stage` before it commits), so a crash, a shutdown or a receiver
outage cannot lose it: the next run compares its clusters with the stored ones
and would never decide to send it again.  The sender
(:class:`graphsiem.webhook.WebhookNotifier`) delivers the rows oldest first and
deletes each one the receiver accepted.

A row is ``pending`` (not delivered yet: its ``attempts``, ``last_error`` and
``next_attempt_at`` say where its retries stand) or ``dead`` (given up: refused
with a final status, or too many attempts, or too old; kept, with its last
error, until the bound below prunes it).

The table is bounded (``max_rows``, ``webhook_outbox_max_rows``): the bound
is on the disk the outbox takes, so no write leaves more than ``max_rows`` rows
in it.  Writing an alert to a full outbox first deletes the oldest dead rows,
then, when every row is pending, the oldest pending ones (evicted: counted and
logged by the caller).  Recent alerts are kept over old ones because a receiver
that has been away for ``max_rows`` alerts gets the newest state of each case.
One detection that decides more alerts than the whole bound (a first run over
a large fleet with a low ``webhook_min_score``) replaces every row, and of its
own alerts only the ``max_rows`` of highest risk are written, in their order;
the others are evicted too, in the same transaction, counted and logged with
the rest (task G5: they used to be written past the bound).

What the receiver was told is recorded on delivery only (:meth:`Outbox.delivered`
writes ``webhook_told``); an alert killed or evicted, or left out by the bound,
is recorded as owed instead (:mod:`graphsiem.webhook_told`), so the next run
decides its change again, and writing that change again replaces its dead row
(same delivery id) with a pending one.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from graphsiem.webhook_told import create_told_tables, record_delivered, record_undelivered

PENDING = "pending"
DEAD = "dead"

OUTBOX_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS webhook_outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, delivery_id TEXT NOT NULL UNIQUE,
        event TEXT NOT NULL, cluster_id TEXT NOT NULL, detection_id TEXT NOT NULL,
        body BLOB NOT NULL, created_at REAL NOT NULL, state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at REAL NOT NULL,
        last_attempt_at REAL, last_error TEXT, dead_at REAL, in_backup_at REAL
    )""",
    # The sender reads the oldest pending row; the bound prunes the oldest dead ones.
    "CREATE INDEX IF NOT EXISTS webhook_outbox_state ON webhook_outbox(state, seq)",
)


class Database(Protocol):
    """What the outbox needs of its database: :class:`~graphsiem.api.state.StateStore` has it."""

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]: ...

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]: ...


class MemoryDatabase:
    """A private in-memory SQLite database with the :class:`Database` methods.

    For a notifier built without the service's state (a library user, a test):
    the same queue and retry logic, but nothing survives the process.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.row_factory = sqlite3.Row

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        # One private connection behind a lock: sqlite3's commit-or-rollback block suffices.
        with self._lock, self._db:
            yield self._db

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, tuple(params)).fetchall()


@dataclass(frozen=True, slots=True)
class NewAlert:
    """An alert to write: its delivery id (kept on every retry), event and signed body.

    ``risk`` (the cluster's score) decides which of one detection's alerts are
    kept when they are more than the outbox's bound; it is not stored.
    """

    delivery_id: str
    event: str
    cluster_id: str
    detection_id: str
    body: bytes
    risk: float = 0.0


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One stored alert and where its delivery stands."""

    seq: int
    delivery_id: str
    event: str
    cluster_id: str
    detection_id: str
    body: bytes
    created_at: float
    state: str
    attempts: int
    next_attempt_at: float
    last_attempt_at: float | None
    last_error: str | None
    dead_at: float | None
    in_backup_at: float | None = None
    """When a backup copied this row waiting (:func:`mark_in_backup`): restored, the original may
    have delivered it since, so it is sent marked as a possible duplicate."""

    def public(self) -> dict[str, Any]:
        """The row without its body (for listings and logs)."""
        return {"delivery_id": self.delivery_id, "event": self.event,
                "cluster_id": self.cluster_id, "detection_id": self.detection_id,
                "created_at": self.created_at, "state": self.state, "attempts": self.attempts,
                "next_attempt_at": self.next_attempt_at, "last_attempt_at": self.last_attempt_at,
                "last_error": self.last_error, "dead_at": self.dead_at, "in_backup_at": self.in_backup_at}


def backoff_delay(attempts: int, base_s: float, cap_s: float) -> float:
    """Seconds to wait after the ``attempts``-th failed try: ``base_s * 2**(attempts-1)``, capped.

    Examples
    --------
    >>> [backoff_delay(n, 0.5, 3600) for n in (1, 2, 3)]
    [0.5, 1.0, 2.0]
    >>> backoff_delay(40, 0.5, 3600)
    3600
    """
    exponent = max(0, attempts - 1)
    if exponent >= 64:  # 2**64 seconds is past any cap; avoid building huge floats
        return cap_s
    return min(cap_s, base_s * 2 ** exponent)


# Fixed text, no values: every query below adds its conditions with parameters.
_SELECT = ("SELECT seq, delivery_id, event, cluster_id, detection_id, body, created_at, state, "
           "attempts, next_attempt_at, last_attempt_at, last_error, dead_at, in_backup_at FROM webhook_outbox ")


def _row(r: sqlite3.Row) -> OutboxRow:
    return OutboxRow(seq=r["seq"], delivery_id=r["delivery_id"], event=r["event"],
                     cluster_id=r["cluster_id"], detection_id=r["detection_id"],
                     body=bytes(r["body"]), created_at=r["created_at"], state=r["state"],
                     attempts=r["attempts"], next_attempt_at=r["next_attempt_at"],
                     last_attempt_at=r["last_attempt_at"], last_error=r["last_error"],
                     dead_at=r["dead_at"], in_backup_at=r["in_backup_at"])


class Outbox:
    """The ``webhook_outbox`` table of ``db`` and the queries on it.

    Parameters
    ----------
    db : Database
        The service's :class:`~graphsiem.api.state.StateStore` (durable) or a
        :class:`MemoryDatabase`.
    max_rows : int
        The bound on pending plus dead rows (see the module docstring).
    """

    def __init__(self, db: Database, *, max_rows: int = 10_000) -> None:
        if max_rows < 1:
            raise ValueError(f"webhook outbox max_rows must be at least 1, got {max_rows}")
        self.db = db
        self.max_rows = max_rows
        with db._tx() as conn:
            for statement in OUTBOX_SCHEMA:
                conn.execute(statement)
            _add_in_backup_at(conn)
            create_told_tables(conn)

    # -- writing alerts ----------------------------------------------------
    def stage(self, conn: sqlite3.Connection, alerts: Sequence[NewAlert], *, now: float) -> int:
        """Write ``alerts`` through ``conn`` (inside the caller's transaction), due at once.

        Returns how many alerts were evicted to keep the bound: pending rows
        (0 unless the outbox was full of pending rows), plus, when ``alerts``
        alone are more than ``max_rows``, those of them not written (the
        lowest-risk; see the module docstring).
        """
        if not alerts:
            return 0
        kept, evicted = self.within_bound(alerts)
        kept_ids = {a.delivery_id for a in kept}
        record_undelivered(conn, [(a.cluster_id, a.delivery_id) for a in alerts
                                  if a.delivery_id not in kept_ids], now=now)
        alerts = kept
        # A change decided again after its alert died is sent again: the dead row makes way
        # (keeping its backup mark: the original directory may have sent the change since).
        ids = orjson.dumps([a.delivery_id for a in alerts]).decode()
        marks = conn.execute("DELETE FROM webhook_outbox WHERE state = ? AND delivery_id IN "
                             "(SELECT value FROM json_each(?)) RETURNING delivery_id, in_backup_at",
                             (DEAD, ids)).fetchall()
        evicted += self._make_room(conn, len(alerts), now=now)
        conn.executemany(
            "INSERT OR IGNORE INTO webhook_outbox (delivery_id, event, cluster_id, detection_id, "
            "body, created_at, state, attempts, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)",
            [(a.delivery_id, a.event, a.cluster_id, a.detection_id, a.body, now, PENDING, now)
             for a in alerts])
        conn.executemany("UPDATE webhook_outbox SET in_backup_at = ? WHERE delivery_id = ?",
                         [(m[1], m[0]) for m in marks if m[1] is not None])
        return evicted

    def add(self, alerts: Sequence[NewAlert], *, now: float) -> int:
        """:meth:`stage` in a transaction of its own; returns the evicted count."""
        with self.db._tx() as conn:
            return self.stage(conn, alerts, now=now)

    def within_bound(self, alerts: Sequence[NewAlert]) -> tuple[list[NewAlert], int]:
        """The ``max_rows`` highest-risk of ``alerts`` (the first decided on a tie), in their order, and how many were left out.

        Examples
        --------
        >>> outbox = Outbox(MemoryDatabase(), max_rows=2)
        >>> alerts = [NewAlert(f"d{n}", "cluster.new", f"c{n}", "run", b"{}", risk) for n, risk in enumerate([50, 90, 70])]
        >>> kept, left_out = outbox.within_bound(alerts)
        >>> [a.delivery_id for a in kept], left_out
        (['d1', 'd2'], 1)
        """
        if len(alerts) <= self.max_rows:
            return list(alerts), 0
        ranked = sorted(range(len(alerts)), key=lambda i: (-alerts[i].risk, i))[: self.max_rows]
        return [alerts[i] for i in sorted(ranked)], len(alerts) - self.max_rows

    def _make_room(self, conn: sqlite3.Connection, incoming: int, *, now: float) -> int:
        total = conn.execute("SELECT COUNT(*) FROM webhook_outbox").fetchone()[0]
        excess = total + incoming - self.max_rows
        if excess <= 0:
            return 0
        dead = conn.execute(
            "DELETE FROM webhook_outbox WHERE seq IN (SELECT seq FROM webhook_outbox "
            "WHERE state = ? ORDER BY seq LIMIT ?)", (DEAD, excess)).rowcount
        excess -= dead
        if excess <= 0:
            return 0
        evicted = conn.execute(
            "DELETE FROM webhook_outbox WHERE seq IN (SELECT seq FROM webhook_outbox "
            "WHERE state = ? ORDER BY seq LIMIT ?) RETURNING cluster_id, delivery_id",
            (PENDING, excess)).fetchall()
        record_undelivered(conn, [(r[0], r[1]) for r in evicted], now=now)
        return len(evicted)

    # -- the sender's steps ------------------------------------------------
    def head(self) -> OutboxRow | None:
        """The oldest pending row (the only one the sender may send), or ``None``."""
        rows = self.db._query(_SELECT + "WHERE state = ? ORDER BY seq LIMIT 1", (PENDING,))
        return _row(rows[0]) if rows else None

    def start_attempt(self, seq: int, *, now: float, retry_at: float) -> None:
        """Count an attempt before it is made, due again at ``retry_at`` if nothing is recorded.

        Counting first means a crash during the request leaves a row that says
        it was tried (and is retried after the back-off, or at the next start).
        """
        with self.db._tx() as conn:
            conn.execute("UPDATE webhook_outbox SET attempts = attempts + 1, last_attempt_at = ?, "
                         "next_attempt_at = ? WHERE seq = ?", (now, retry_at, seq))

    def delivered(self, row: OutboxRow, *, now: float) -> None:
        """The receiver accepted ``row``: delete it and record what the receiver was told."""
        cluster = orjson.loads(row.body).get("cluster") or {"id": row.cluster_id}
        with self.db._tx() as conn:
            conn.execute("DELETE FROM webhook_outbox WHERE seq = ?", (row.seq,))
            record_delivered(conn, cluster, event=row.event, delivery_id=row.delivery_id,
                             detection_id=row.detection_id, now=now)

    def failed(self, seq: int, *, error: str, retry_at: float) -> None:
        """A try failed: keep the row pending, due again at ``retry_at``."""
        with self.db._tx() as conn:
            conn.execute("UPDATE webhook_outbox SET last_error = ?, next_attempt_at = ? "
                         "WHERE seq = ?", (error, retry_at, seq))

    def kill(self, seq: int, *, error: str, now: float) -> None:
        """Give the row up: ``dead`` with its last error, kept until pruned; its change is owed."""
        with self.db._tx() as conn:
            killed = conn.execute("UPDATE webhook_outbox SET state = ?, last_error = ?, dead_at = ? "
                                  "WHERE seq = ? RETURNING cluster_id, delivery_id",
                                  (DEAD, error, now, seq)).fetchall()
            record_undelivered(conn, [(r[0], r[1]) for r in killed], now=now)

    def due_now(self, now: float) -> int:
        """Make every pending row due at ``now`` (service start); returns how many."""
        with self.db._tx() as conn:
            return int(conn.execute(
                "UPDATE webhook_outbox SET next_attempt_at = ? WHERE state = ? "
                "AND next_attempt_at > ?", (now, PENDING, now)).rowcount)

    # -- what is in it ----------------------------------------------------
    def count_in_backup(self) -> int:
        """Pending rows a backup copied waiting (a restored directory's possible duplicates)."""
        return int(self.db._query("SELECT COUNT(*) FROM webhook_outbox WHERE state = ? AND in_backup_at "
                                  "IS NOT NULL", (PENDING,))[0][0])

    def count(self, state: str) -> int:
        """Rows in ``state`` (``"pending"`` or ``"dead"``)."""
        return int(self.db._query("SELECT COUNT(*) FROM webhook_outbox WHERE state = ?",
                                  (state,))[0][0])

    def oldest_pending_age(self, now: float) -> float:
        """Seconds since the oldest pending row was written (0 when none is pending)."""
        oldest = self.db._query("SELECT MIN(created_at) FROM webhook_outbox WHERE state = ?",
                                (PENDING,))[0][0]
        return 0.0 if oldest is None else max(0.0, now - float(oldest))

    def rows(self, state: str | None = None, *, limit: int = 100) -> list[OutboxRow]:
        """Stored rows, oldest first (only ``state``'s when given)."""
        if state is None:
            found = self.db._query(_SELECT + "ORDER BY seq LIMIT ?", (limit,))
        else:
            found = self.db._query(_SELECT + "WHERE state = ? ORDER BY seq LIMIT ?", (state, limit))
        return [_row(r) for r in found]


def _add_in_backup_at(conn: sqlite3.Connection) -> None:
    """Add ``in_backup_at`` to an outbox written before it existed (an older release ignores it)."""
    columns = {r[1] for r in conn.execute("PRAGMA table_info(webhook_outbox)")}
    if columns and "in_backup_at" not in columns:
        conn.execute("ALTER TABLE webhook_outbox ADD COLUMN in_backup_at REAL")


def mark_in_backup(conn: sqlite3.Connection, *, taken_at: float) -> int:
    """Mark the alerts of a backup's copy of ``state.sqlite`` as copied waiting; returns how many.

    Called by ``graphsiem backup`` on the copy (never on the original).  The
    original goes on sending them after the backup; a directory restored from
    the copy sends them again, under the same ``X-GraphSIEM-Delivery`` and
    marked ``X-GraphSIEM-Possible-Duplicate: backup``
    (:class:`graphsiem.webhook.WebhookNotifier`).  Dead rows are marked too:
    the original's next detection may have decided and sent their change.
    """
    has_outbox = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'webhook_outbox'").fetchone()
    if has_outbox is None:
        return 0
    _add_in_backup_at(conn)
    return int(conn.execute("UPDATE webhook_outbox SET in_backup_at = ? WHERE in_backup_at IS NULL",
                            (taken_at,)).rowcount)
