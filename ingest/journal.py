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
              graph store it holds for (``graph_store``, see
              :mod:`ingest.store_binding`), the journal's random identity
              (``journal_id``), its event id scheme (``id_scheme``) and the
              oldest projection version in the graph (``projection_version``,
              :mod:`ingest.projection_version`).
``ip_hosts``  the time-aware IP -> host intervals (:mod:`ingest.ipmap`).
``dhcp_requests``  DHCP requests naming their host that wait for the ACK of their
              transaction: transaction id, client MAC (the key), time, host
              name; at most ``DHCP_REQUESTS_LIMIT`` read back, made by the IP
              map's first write that needs it (:mod:`ingest.ipmap`).  Derived
              data, like ``ip_hosts``: :func:`ingest.replay.rebuild_ipmap`
              replaces both.
``host_clocks``  Windows hosts' clock offsets learnt from Sysmon, as runs of time (:mod:`ingest.host_clocks`).
``sensor_clock_gaps``  per host, sender and sensor, the latest ingest's measure of the host's clock
              against a sensor's (:mod:`ingest.journal_clock_gaps`).

Modules
-------
:mod:`ingest.journal_schema` makes the file (tables, journal mode, id scheme,
migrations); :mod:`ingest.journal_append` writes the rows of an append;
:mod:`ingest.journal_reads` reads events and rejections back.  This module
holds :class:`Journal`, which ties them to one connection and the id index.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from graphsiem.model import Event
from ingest.id_index import id_prefixes, rows_by_seq, shared_index
from ingest.journal_append import ROWS_PER_INSERT, insert_rejections, insert_rows, new_seqs
from ingest.journal_clock_gaps import install_clock_gaps
from ingest.journal_host_kinds import count_appended, install_host_kind_counts
from ingest.journal_id_aliases import has_id_aliases, migrated_events, migrated_positions
from ingest.journal_reads import (
    EVENT_COLUMNS,
    JournalEvent,
    Rejection,
    event_from_row,
    iter_events,
    rejections,
)
from ingest.journal_recurrences import separate_recurrences
from ingest.journal_schema import (
    CHECKPOINT_KEY,
    EVENTS_TABLE,
    IDENTITY_KEY,
    ROLLBACK_MODE,
    STORE_KEY,
    Transaction,
    add_id_scheme_column,
    load_id_scheme,
    meta_once,
    open_database,
)
from ingest.journal_sensor_ends import index_appended, install_sensor_ends
from ingest.projection_version import record_checkpoint, recorded_version

if TYPE_CHECKING:
    import sqlite3

    from graphsiem.store.base import GraphStore
    from ingest.id_index import IdIndex
    from ingest.replay import ProjectionSummary

__all__ = ["EVENTS_TABLE", "ROLLBACK_MODE", "ROWS_PER_INSERT", "Journal", "JournalEvent", "Rejection"]


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
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # private by its mode (graphsiem.paths)
        self._db, self._mode = open_database(self.path)
        try:
            self._id_scheme = load_id_scheme(self._db, self.path)
        except ValueError:
            self._db.close()
            raise
        add_id_scheme_column(self._db, self._id_scheme)
        install_host_kind_counts(self._db)  # the host timeline's counts, made or caught up (ingest.journal_host_kinds)
        install_sensor_ends(self._db)  # the timeline's sensor rows by address (ingest.journal_sensor_ends)
        install_clock_gaps(self._db)  # hosts' clocks against a sensor's, kept (ingest.journal_clock_gaps)
        self._identity = meta_once(self._db, IDENTITY_KEY, lambda: uuid.uuid4().hex)
        # one id index per journal in this process (loaded on first append or get),
        # keyed by the file and the journal's identity: a journal deleted and made
        # again may get the same inode while the old one's index is still alive
        self._ids = shared_index(self.path, self._identity)
        # ids rows lost to graphsiem rebuild --recompute-ids (ingest.journal_id_migration): looked up
        # only on a journal that migration changed
        self._has_id_aliases = has_id_aliases(self._db)

    # -- writes -------------------------------------------------------------
    def append(
        self,
        events: Sequence[Event],
        *,
        raw_json: Sequence[str | bytearray] | None = None,
        fields_json: Sequence[bytes] | None = None,
        rejections: Sequence[tuple[str, str, str, str]] = (),
        before_commit: Callable[[list[Event]], None] | None = None,
        aliases: Mapping[int, str | tuple[str, ...]] | None = None,
        content_ids: Collection[int] = (),
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
        aliases : mapping of int to str, optional
            Per event index, another id the same event had: the first event of a record
            that yields several has the id ``(name, text, 0)``, but the id ``(name, text)``
            when an earlier release read one event from that record (a parser that learnt
            to read more of it, such as a Windows event in a syslog line's text).  An event
            whose alias the journal holds is not new, so re-ingesting a file after an
            upgrade adds only the events the record did not give before.  A tuple gives
            an event several aliases: an event with a content id (:mod:`ingest.event_ids`)
            has its ids as read, which releases before content ids gave it.
        content_ids : collection of int, optional
            Positions of the events whose id their parser set (content ids): one held, or
            repeated in the batch, for a time more than 14 h away is another event, given its
            recurrence's id (:mod:`ingest.journal_recurrences`; the event's ``id`` is changed).
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
                if content_ids and (held or len(order) < len(ids)) and separate_recurrences(
                        ids_index, self._db, events, content_ids, held):
                    ids = [event.id for event in events]  # a recurrence's id: the batch's ids again
                    first = {}
                    for n, event_id in enumerate(ids):
                        first.setdefault(event_id, n)
                    order = list(first.values())
                    new_ids = [ids[n] for n in order]
                    prefixes = id_prefixes(new_ids)
                    held = ids_index.existing(self._db, new_ids, prefixes)
                gone = {k for k, n in enumerate(order) if ids[n] in held} if held else set()
                if aliases:
                    gone |= _held_aliases(ids_index, self._db, order, aliases)
                if self._has_id_aliases:
                    gone |= migrated_positions(self._db, ids, order, aliases)
                if gone:
                    kept = [k for k in range(len(order)) if k not in gone]
                    order = [order[k] for k in kept]
                    prefixes = [prefixes[k] for k in kept]
                before = ids_index.high_water
                if order:
                    insert_rows(self._db, self._id_scheme, events, order, fields_json, raw_json)
                seqs = new_seqs(self._db, before, len(order))
                pending = ids_index.prepare(self._db, prefixes, seqs)
                new = [events[n] for n in order]
                count_appended(self._db, new, seqs)  # the host timeline's counts (ingest.journal_host_kinds)
                index_appended(self._db, new, seqs)  # hostless rows by address (ingest.journal_sensor_ends)
                if rejections:
                    insert_rejections(self._db, rejections)
                if before_commit is not None:
                    before_commit(new)
            ids_index.commit(pending)  # only now: a failed transaction leaves the index as it was
        return new


    def reject(self, rejections: Iterable[tuple[str, str, str, str]]) -> int:
        """Keep rejected records ``(origin, format, reason, raw)``; return how many were new."""
        rejections = list(rejections)
        if not rejections:
            return 0
        with self._transaction():
            return insert_rejections(self._db, rejections)

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
            record_checkpoint(self._db, seq)  # which projection version the graph holds (before it moves)
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (CHECKPOINT_KEY, str(seq)),
            )
            self._db.execute("DELETE FROM projection_state WHERE seq > ?", (seq,))
            if join_state is not None:
                self._db.execute("DELETE FROM projection_state WHERE seq < ?", (seq,))
                self._db.execute(
                    "INSERT OR REPLACE INTO projection_state (seq, state) VALUES (?, ?)", (seq, join_state)
                )

    def bind_store(self, binding: str, checkpoint: int | None = None) -> None:
        """Record the graph store the journal is projected into (and the checkpoint that holds for it).

        ``binding`` is the store's description (:class:`ingest.store_binding.StoreBinding`
        as JSON); ``checkpoint``, when given, replaces the projection checkpoint in the
        same transaction (join states after it are dropped, as :meth:`set_checkpoint`
        drops them), so the journal never names one store with another's checkpoint.
        """
        with self._transaction():
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (STORE_KEY, binding),
            )
            if checkpoint is not None:
                record_checkpoint(self._db, checkpoint)
                self._db.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?)"
                    " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (CHECKPOINT_KEY, str(checkpoint)),
                )
                self._db.execute("DELETE FROM projection_state WHERE seq > ?", (checkpoint,))

    def store_binding(self) -> str | None:
        """The recorded graph store (see :meth:`bind_store`), or None for a journal that never recorded one."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (STORE_KEY,)).fetchone()
        return str(row[0]) if row else None

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
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (CHECKPOINT_KEY,)).fetchone()
        return int(row[0]) if row else 0

    def projection_version(self) -> int | None:
        """The oldest projection version that projected an event up to the checkpoint (None: nothing projected).

        See :mod:`ingest.projection_version` (``meta`` key ``projection_version``).
        """
        return recorded_version(self._db)

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
            row[1]: event_from_row(row, with_raw=True)
            for row in rows_by_seq(self._db, EVENT_COLUMNS + ", raw", seqs)
            if row[1] in wanted_set  # a prefix match is only a candidate
        }
        if self._has_id_aliases and len(found) < len(wanted):  # an id a row lost to the id migration
            found.update(migrated_events(self._db, [i for i in wanted if i not in found]))
        return [found[i] for i in wanted if i in found]


    def iter_events(
        self, after_seq: int = 0, *, with_raw: bool = False, batch: int = 5000
    ) -> Iterator[JournalEvent]:
        """Stream events with ``seq > after_seq`` in seq order (bounded memory)."""
        return iter_events(self._db, after_seq, with_raw=with_raw, batch=batch)

    def rejected(self, limit: int = 100, offset: int = 0) -> list[Rejection]:
        """Kept rejections, oldest first."""
        return rejections(self._db, limit, offset)

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

    def reload_id_index(self) -> None:
        """Read the id index again from the rows, after they were changed in place (:mod:`ingest.journal_id_migration`)."""
        with self._ids.lock:
            self._ids.forget()
        self._has_id_aliases = has_id_aliases(self._db)

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
    def _transaction(self) -> Transaction:
        return Transaction(self._db)


def _held_aliases(index: IdIndex, db: sqlite3.Connection, order: Sequence[int],
                  aliases: Mapping[int, str | tuple[str, ...]]) -> set[int]:
    """Positions in ``order`` of the events an alias id of which the journal holds (:meth:`Journal.append`)."""
    wanted: list[tuple[int, str]] = []
    for k, n in enumerate(order):
        alias = aliases.get(n)
        if isinstance(alias, str):
            wanted.append((k, alias))
        elif alias is not None:  # several: a tuple
            wanted.extend((k, each) for each in alias)
    if not wanted:
        return set()
    alias_ids = [alias for _, alias in wanted]
    held = index.existing(db, alias_ids, id_prefixes(alias_ids))
    return {k for k, alias in wanted if alias in held}
