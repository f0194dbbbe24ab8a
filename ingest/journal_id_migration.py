"""Give a journal's old rows the ids this release gives their records, merging copies (``graphsiem rebuild --recompute-ids``).

Content ids (:mod:`ingest.event_ids`) make the copies of one record one
event: a Zeek log's TSV and JSON copies, a Windows event's Winlogbeat, NXLog,
evtx_dump, XML and ``.evtx`` exports.  Rows journaled by releases before them
keep the ids those releases gave (the bytes as read), so a journal filled
before held such copies as two events, and the aliases looked up at ingest
(:mod:`ingest.event_id_aliases`) only keep a third copy out.

Sorted-key ids (:mod:`ingest.pipeline_ids`) do the same for a JSON object
journaled in two key orders, and syslog capture copies
(:mod:`ingest.parsers.zeek_syslog_copies`) for one datagram a sensor logged
several times: both came a release later, and the same migration applies them
(:mod:`ingest.journal_id_rereads`, :data:`RULES`).

:func:`recompute_ids` reads every row journaled before the newest of those
rules came (``content_ids_from_seq``, ``export_ids_from_seq``,
``sorted_ids_from_seq``: rows after it were written with these ids already),
parses its record again as journaled (``raw``) with this release's parser, in
journal order, and gives the row the id an ingest would give its event now.
When another row holds that id already, the two are one event: the earliest
row (the lowest seq, accepted first) is kept and the other deleted, and the
counts say so (``duplicates_merged``; ``rows_before - duplicates_merged``
rows are left, and the kept tables, ``host_kind_counts`` and
``sensor_ends``, lose the deleted ones).  Every id a row lost is kept in ``event_id_aliases`` (id ->
the kept row's seq): :meth:`ingest.journal.Journal.append` treats an event
whose id or alias is there as held, so ingesting any export again adds
nothing, and :meth:`ingest.journal.Journal.get` finds evidence saved under an
old id.  A row whose record this release cannot read again, or reads into
other events, keeps its id (counted ``kept``).

Resumable: each batch of rows is changed in one transaction with the
progress (``meta`` key :data:`MIGRATION_KEY`: the last seq done and the
counts so far) and the syslog capture-copy bursts the reading has open
(:data:`BURSTS_KEY`: a copy read after a resumption finds its burst's first
record, which an earlier run read), so a run interrupted anywhere, then run
again, ends with the same rows, ids, aliases and counts as one run.  A finished migration is not
run again.  It must run alone on the journal (the CLI holds the data
directory's writers' lock exclusively, as a rebuild does).

The graph then counts deleted rows and names old ids: the migration records
the graph as the oldest projection (``projection_version`` 1, so ``detect``,
``stats`` and ``serve`` advise a rebuild), and ``graphsiem rebuild
--recompute-ids`` rebuilds it right after.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ingest.event_id_aliases import CONTENT_IDS_KEY, EXPORT_IDS_KEY, SORTED_IDS_KEY, former_ids
from ingest.journal_host_kinds import UPTO_KEY as HOST_KINDS_UPTO
from ingest.journal_host_kinds import _last_seq, _set_upto, _upto
from ingest.journal_id_rereads import ROW_COLUMNS, Rereader
from ingest.journal_recurrences import place
from ingest.journal_schema import CHECKPOINT_KEY, Transaction
from ingest.journal_sensor_ends import UPTO_KEY as SENSOR_ENDS_UPTO
from ingest.journal_sensor_ends import forget_row
from ingest.parsers.base import ParserRegistry
from ingest.parsers.zeek_syslog_copies import remember_bursts, remembered_bursts
from ingest.projection_version import VERSION_KEY

if TYPE_CHECKING:
    from ingest.journal import Journal

MIGRATION_KEY = "id_migration"
"""The ``meta`` key of the migration's progress (JSON, :class:`IdMigration`)."""

BURSTS_KEY = "id_migration_bursts"
"""The ``meta`` key of the syslog capture-copy bursts the reading had open at the last batch
(:func:`ingest.parsers.zeek_syslog_copies.remembered_bursts`), written with each batch's progress."""

ALIASES_TABLE = (
    "CREATE TABLE IF NOT EXISTS event_id_aliases (id TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID"
)
"""Ids rows lost to the migration, with the seq of the row that is their event now."""

RULES = 2
"""The id rules the migration applies: 1 content ids and export ids; 2 also sorted-key ids and syslog
capture copies.  A migration finished by fewer rules is run again from the first row."""

_BY_ID = "events_by_id_for_migration"
# an index on id for the migration's lookups only: the journal keeps ids unique with
# ingest.id_index, which this rewrites; dropped when the migration ends
_BY_ID_INDEX = f"CREATE INDEX IF NOT EXISTS {_BY_ID} ON events (id)"
_COLUMNS = ROW_COLUMNS


@dataclass
class IdMigration:
    """What :func:`recompute_ids` did, all runs of an interrupted migration together."""

    end: int
    """The last seq the migration reads (rows after it have this release's ids)."""
    rules: int = RULES
    """The id rules it applied (:data:`RULES`; a saved state without it: 1)."""
    upto: int = 0
    """The last seq done."""
    rows_before: int = 0
    """Rows up to ``end`` when the migration started: ``rows_before - duplicates_merged`` are left."""
    rows_read: int = 0
    """Rows read (a row deleted as a copy before the migration reached it is not read):
    ``unchanged + ids_changed + kept`` and the copies deleted when read."""
    unchanged: int = 0
    """Rows read whose id this release gives them already."""
    ids_changed: int = 0
    """Rows kept under a new id."""
    duplicates_merged: int = 0
    """Rows deleted as copies of an earlier row's event (key-order copies, syslog capture copies, exports)."""
    kept: int = 0
    """Rows whose record this release does not read into their event again: their ids stay."""
    complete: bool = False
    runs: int = 0
    """Calls that did some of the work (more than one: the migration was interrupted and resumed)."""
    changed_journal: bool = field(default=False)
    """Whether any row changed (the graph must then be rebuilt)."""

    def as_dict(self) -> dict[str, Any]:
        """The counts as a JSON-ready dict."""
        return asdict(self)


def recompute_ids(
    journal: Journal,
    *,
    registry: ParserRegistry | None = None,
    batch_rows: int = 2000,
    max_batches: int | None = None,
    on_batch: Callable[[IdMigration], None] | None = None,
) -> IdMigration:
    """Give the journal's rows from before content ids this release's ids, merging copies (module docstring).

    Parameters
    ----------
    journal : Journal
        The journal, with nothing else writing to it.
    registry : ParserRegistry, optional
        The parsers to read records again with (default: :func:`ingest.registry.default_registry`).
    batch_rows : int
        Rows a transaction changes.
    max_batches : int, optional
        Stop after this many batches (the migration is then incomplete: run it again to go on).
    on_batch : callable, optional
        Called with the progress after each committed batch.

    Returns
    -------
    IdMigration
        The counts; ``complete`` once every row up to ``end`` is done.
    """
    from ingest.registry import default_registry

    db = journal.connection
    db.execute(ALIASES_TABLE)
    state = _load(db)
    if state is not None and state.rules < RULES:
        state = None  # a migration by fewer rules: read every old row again (rows with this release's ids stay)
    if state is not None and state.complete:
        return state
    resumed = state is not None
    if state is None:
        end = _end_of_old_rows(db)
        rows_before = db.execute("SELECT COUNT(*) FROM events WHERE seq <= ?", (end,)).fetchone()[0]
        state = IdMigration(end=end, rows_before=rows_before)
    state.runs += 1
    reader = Rereader(registry or default_registry(), journal.id_scheme)
    # the syslog bursts the interrupted run had open: a copy read next still finds its first record
    remember_bursts(reader.context, _load_bursts(db) if resumed else [])
    db.execute(_BY_ID_INDEX)
    batches = 0
    while state.upto < state.end:
        if max_batches is not None and batches >= max_batches:
            _save_progress(db, state)
            return state
        with Transaction(db):
            groups = _next_groups(db, state.upto, state.end, batch_rows)
            deleted = state.duplicates_merged
            for group in groups:
                if state.duplicates_merged != deleted:  # an earlier row of the batch took a later one's id
                    group = _still_there(db, group)
                    if not group:
                        continue
                for (seq, old, kind, host, *_, ts), new in zip(group, reader.ids(group), strict=True):
                    state.rows_read += 1
                    if new is None:
                        state.kept += 1
                    elif new == old or not _give(db, state, (seq, old, kind, host, ts), new):
                        state.unchanged += 1
            state.upto = groups[-1][-1][0] if groups else state.end
            if state.changed_journal:
                graph_needs_rebuild(db)
                _kept_tables_end_at_last_row(db)
            db.execute("DELETE FROM id_runs")  # the id index is rebuilt from the rows (ingest.id_index)
            _store(db, state)
            _store_bursts(db, remembered_bursts(reader.context))
        batches += 1
        if on_batch is not None:
            on_batch(state)
    with Transaction(db):
        db.execute(f"DROP INDEX IF EXISTS {_BY_ID}")
        db.execute("DELETE FROM meta WHERE key = ?", (BURSTS_KEY,))
        state.complete = True
        _store(db, state)
    journal.reload_id_index()
    return state


def _end_of_old_rows(db: sqlite3.Connection) -> int:
    """The last seq written before this release's ids (the newest of the id rules' marks).

    Sorted-key ids and syslog capture copies came in one release (``sorted_ids_from_seq``).
    """
    former_ids(db)  # decides the marks of a journal this release opens first (its rows are all old)
    keys = (CONTENT_IDS_KEY, EXPORT_IDS_KEY, SORTED_IDS_KEY)
    values = dict(db.execute("SELECT key, value FROM meta WHERE key IN (?, ?, ?)", keys))
    return max(int(values.get(key, 0)) for key in keys)


def _still_there(db: sqlite3.Connection, group: list[tuple]) -> list[tuple]:
    """The rows of ``group`` not deleted yet (an earlier row of the batch took their event's id)."""
    marks = ",".join("?" * len(group))
    held = {seq for (seq,) in db.execute(f"SELECT seq FROM events WHERE seq IN ({marks})",  # noqa: S608
                                         [row[0] for row in group])}
    return [row for row in group if row[0] in held]


def _next_groups(db: sqlite3.Connection, after: int, end: int, limit: int) -> list[list[tuple]]:
    """The next rows after ``after`` (up to ``end``), as records: runs of rows of one origin and raw."""
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?",  # noqa: S608 - fixed columns
        (after, end, limit),
    ).fetchall()
    if len(rows) == limit:  # finish the last record: its events are consecutive rows
        last = rows[-1]
        for row in db.execute(f"SELECT {_COLUMNS} FROM events WHERE seq > ? AND seq <= ? ORDER BY seq",  # noqa: S608
                              (last[0], end)):
            if (row[4], row[6]) != (last[4], last[6]):
                break
            rows.append(row)
    groups: list[list[tuple]] = []
    for row in rows:
        if groups and (groups[-1][-1][4], groups[-1][-1][6]) == (row[4], row[6]):
            groups[-1].append(row)
        else:
            groups.append([row])
    return groups


def _give(db: sqlite3.Connection, state: IdMigration, row: tuple[int, str, str, str | None, float], new: str) -> bool:
    """Give ``row`` the id ``new``, or delete it when an earlier row holds ``new`` (keep the earliest).

    A row holding ``new`` for a time more than 14 h away is another event: this one takes its
    recurrence's id (:mod:`ingest.journal_recurrences`), as an ingest would.  False when the
    row keeps its id (it is that recurrence's already).
    """
    seq, old, kind, host, ts = row

    def held_ts(event_id: str) -> float | None:
        found = db.execute("SELECT ts FROM events WHERE id = ? AND seq != ?", (event_id, seq)).fetchone()
        return None if found is None else float(found[0])

    new = place(new, ts, held_ts)[0]
    if new == old:
        return False
    state.changed_journal = True
    held = db.execute("SELECT seq, kind, host FROM events WHERE id = ?", (new,)).fetchone()
    if held is not None and held[0] < seq:  # a copy of an earlier row's event
        _delete(db, seq, kind, host)
        _alias(db, old, held[0])
        state.duplicates_merged += 1
        return True
    if held is not None:  # a later row, journaled with the new id already: this one was accepted first
        _delete(db, held[0], held[1], held[2])
        db.execute("UPDATE event_id_aliases SET seq = ? WHERE seq = ?", (seq, held[0]))
        state.duplicates_merged += 1
    db.execute("UPDATE events SET id = ? WHERE seq = ?", (new, seq))
    _alias(db, old, seq)
    state.ids_changed += 1
    return True


def _delete(db: sqlite3.Connection, seq: int, kind: str, host: str | None) -> None:
    """Delete a row and take it off the tables kept per row (the journal is append-only but for this)."""
    if host is not None:  # the host timeline's counts (ingest.journal_host_kinds) lose the row
        db.execute("UPDATE host_kind_counts SET n = n - 1 WHERE host = ? AND kind = ?", (host, kind))
    else:  # a sensor's row: its addresses (ingest.journal_sensor_ends) lose it
        ts, fields = db.execute("SELECT ts, fields FROM events WHERE seq = ?", (seq,)).fetchone()
        forget_row(db, seq, ts, fields)
    db.execute("DELETE FROM events WHERE seq = ?", (seq,))


def _kept_tables_end_at_last_row(db: sqlite3.Connection) -> None:
    """Move a kept table's mark back to the journal's last seq when the rows after it were deleted.

    The tables are used only while their mark is the last seq; merged copies at the
    journal's end would otherwise leave them unused until the next open recounts.
    """
    last = _last_seq(db)
    for key in (HOST_KINDS_UPTO, SENSOR_ENDS_UPTO):
        upto = _upto(db, key)
        if upto is not None and upto > last:  # every row up to last is held: deletes kept them
            _set_upto(db, last, key)


def _alias(db: sqlite3.Connection, old: str, seq: int) -> None:
    db.execute("INSERT OR REPLACE INTO event_id_aliases (id, seq) VALUES (?, ?)", (old, seq))


def graph_needs_rebuild(db: sqlite3.Connection) -> None:
    """Record the graph as the oldest projection, so commands advise a rebuild (:mod:`ingest.projection_version`)."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", (CHECKPOINT_KEY,)).fetchone()
    if row is None or int(row[0]) == 0:
        return  # nothing projected: nothing to rebuild
    db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (VERSION_KEY, json.dumps({"version": 1, "through": int(row[0])})),
    )


def _load(db: sqlite3.Connection) -> IdMigration | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (MIGRATION_KEY,)).fetchone()
    if row is None:
        return None
    return IdMigration(**{"rules": 1, **json.loads(row[0])})


def _store(db: sqlite3.Connection, state: IdMigration) -> None:
    db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (MIGRATION_KEY, json.dumps(state.as_dict())),
    )


def _load_bursts(db: sqlite3.Connection) -> list[list[Any]]:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (BURSTS_KEY,)).fetchone()
    return [] if row is None else list(json.loads(row[0]))


def _store_bursts(db: sqlite3.Connection, bursts: list[list[Any]]) -> None:
    """Keep the open bursts with the batch's progress (at most ``REMEMBERED`` of them; none: no row)."""
    if not bursts:
        db.execute("DELETE FROM meta WHERE key = ?", (BURSTS_KEY,))
        return
    db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (BURSTS_KEY, json.dumps(bursts)),
    )


def _save_progress(db: sqlite3.Connection, state: IdMigration) -> None:
    with Transaction(db):
        _store(db, state)
