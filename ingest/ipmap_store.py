"""The IP -> host map's intervals in the journal database (table ``ip_hosts``), saved by what changed.

:class:`IntervalRows` remembers, per address, the rows as last loaded or saved
and the intervals changed since (a lease added, an interval cut or widened,
and the key ``(start, host)`` an interval left when its start moved), so a
save writes only their rows: its cost follows the intervals that changed, not
the address's history (an address leased 80,000 times in turn used to read and
compare its 80,000 rows at every save).

Another process (the API beside a CLI ingest) may save intervals of the same
address meanwhile; they are merged, never overwritten.  SQLite tells a
connection whether another one committed anything since it last looked
(``PRAGMA data_version``): when none did since this map last loaded or wrote
an address, its rows are still the ones the map remembers and are not read;
otherwise (or on a connection other than the one it last used) the address's
rows are read and merged as before, and at a start two hosts share the map
takes the rows' order in the table (:func:`follow_journal_order`), so that
two writers, a reloaded map and the evidence agree on the host learnt last.  Only other connections count: rows
written through the map's own connection by anything but the map are not
seen (a rebuild of the table, :func:`ingest.replay.rebuild_ipmap`, makes a
new map).  The table is the one earlier versions wrote: no migration.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ingest.ipmap_tree import IntervalNode, Intervals, latest_by_host

Key = tuple[float, str]
"""A row's key within an address: ``(start, host)`` (the table's key is ``(ip, start, host)``)."""

Mark = IntervalNode | Key
"""What changed: an interval (its row, under its key at the save), or the key an interval left (its start moved)."""

Row = tuple[float, str]
"""A row's value: ``(end, source)``."""

Merge = Callable[[str, float, float, str, str], None]
"""``merge(ip, start, end, host, source)``: the map learning an interval another writer saved."""

Reordered = Callable[[str, float, float], None]
"""``reordered(ip, start, end)``: lookups of ``ip`` between ``start`` and ``end`` may answer otherwise."""


@dataclass(slots=True)
class _Written:
    """What :meth:`IntervalRows.write` wrote for one address, kept until the caller's commit."""

    marks: set[Mark]
    """The changes it took (given back as changed when the write is not saved)."""
    rows: dict[Key, Row | None]
    """The rows written (None: deleted), or all the address's rows when ``whole``."""
    whole: bool
    seen: int | None
    """The connection's ``data_version`` the rows were written at."""


class IntervalRows:
    """The rows of ``ip_hosts`` as this map last loaded or saved them, and what changed since.

    An address in :attr:`dirty` was touched since the last save (learnt from,
    changed or not); its set holds what changed (:data:`Mark`).
    """

    __slots__ = ("dirty", "_stored", "_connection", "_loaded_at", "_seen", "_writing")

    def __init__(self) -> None:
        self.dirty: dict[str, set[Mark]] = {}
        self._stored: dict[str, dict[Key, Row]] = {}
        """Per IP, its rows as last loaded or saved: ``(start, host) -> (end, source)``, as in ``ip_hosts``."""
        self._connection: sqlite3.Connection | None = None
        """The connection of the last load or write: ``data_version`` values are its own."""
        self._loaded_at: int | None = None
        """Its ``data_version`` when every row was loaded (None: never loaded)."""
        self._seen: dict[str, int] = {}
        """Per IP written since, its ``data_version`` when :attr:`_stored` was written."""
        self._writing: dict[str, _Written] = {}
        """What :meth:`write` wrote, which becomes :attr:`_stored` once :meth:`saved` says it is committed."""

    @property
    def pending(self) -> bool:
        """Whether anything is left to save (touched addresses, or a write not saved)."""
        return bool(self.dirty) or bool(self._writing)

    def load(self, db: sqlite3.Connection, intervals: dict[str, Intervals]) -> None:
        """Read every row of ``ip_hosts`` into ``intervals`` (and remember them as saved)."""
        # Looked at first: a commit between the two reads leaves it older than the
        # rows, so the next save reads the addresses again (safe), never the reverse.
        self._connection, self._loaded_at, self._seen = db, data_version(db), {}
        stored = self._stored
        for ip, start, end, host, source in db.execute(
            "SELECT ip, start, end, host, source FROM ip_hosts ORDER BY ip, start, rowid"  # rowid: learn order
        ):
            held = intervals.get(ip)
            if held is None:
                held = intervals[ip] = Intervals()
                stored[ip] = {}
            held.add(start, end, host, source)
            stored[ip][start, host] = (end, source)
        self.dirty.clear()
        self._writing.clear()

    def write(self, db: sqlite3.Connection, intervals: dict[str, Intervals], merge: Merge,
              reordered: Reordered | None = None) -> list[str]:
        """Write the rows of the touched addresses that changed; returns the addresses touched.

        Inside the caller's transaction; they stay marked changed until
        :meth:`saved` says it committed (a rollback loses nothing).  ``reordered``
        hears the spans whose order :func:`follow_journal_order` changed.
        """
        for ip, written in self._writing.items():  # a write never saved: its changes are changes still
            self.dirty.setdefault(ip, set()).update(written.marks)
        self._writing.clear()
        deleted: list[tuple[str, float, str]] = []
        upserted: list[tuple[str, float, float, str, str]] = []
        touched = sorted(self.dirty)
        seen = data_version(db)  # inside the caller's transaction: no other commit until it ends
        if db is not self._connection:  # another connection's values mean nothing here
            self._connection, self._loaded_at, self._seen = db, None, {}
        for ip in touched:
            if seen == self._seen.get(ip, self._loaded_at):
                written = self._write_changed(ip, intervals[ip], deleted, upserted)
            else:
                written = self._write_all(db, ip, intervals, merge, deleted, upserted, reordered)
            written.seen = seen
            self._writing[ip] = written
        db.executemany("DELETE FROM ip_hosts WHERE ip = ? AND start = ? AND host = ?", deleted)
        db.executemany("INSERT OR REPLACE INTO ip_hosts (ip, start, end, host, source) VALUES (?, ?, ?, ?, ?)",
                       upserted)
        return touched

    def _write_changed(self, ip: str, held: Intervals, deleted: list, upserted: list) -> _Written:
        """The rows of ``ip``'s changed intervals and keys that differ from the saved ones, added to ``deleted``/``upserted``.

        The table keeps one row per key: of intervals starting together for one
        host (a lease and an observation), the one learnt last.  A start several
        hosts share has all its rows written again, in learn order (:func:`in_learn_order`).
        """
        marks = self.dirty.pop(ip)
        stored = self._stored.get(ip, {})
        rows: dict[Key, Row | None] = {}
        by_start: dict[float, dict[str, IntervalNode]] = {}  # per start looked at, each host's interval
        written: set[float] = set()  # the starts with a row to write
        for key in {(mark.start, mark.host) if isinstance(mark, IntervalNode) else mark for mark in marks}:
            start, host = key
            at_start = by_start.get(start)
            if at_start is None:
                at_start = by_start[start] = latest_by_host(held.root, start)
            node = at_start.get(host)
            row = None if node is None else (node.end, node.source)
            if stored.get(key) != row:
                if row is None:
                    rows[key] = row
                    deleted.append((ip, *key))
                else:
                    written.add(start)
        for node in in_learn_order(by_start[start] for start in written):
            rows[node.start, node.host] = (node.end, node.source)
            upserted.append((ip, node.start, node.end, node.host, node.source))
        return _Written(marks, rows, whole=False, seen=None)

    def _write_all(self, db: sqlite3.Connection, ip: str, intervals: dict[str, Intervals], merge: Merge,
                   deleted: list, upserted: list, reordered: Reordered | None = None) -> _Written:
        """Read ``ip``'s rows, merge the ones another writer saved, and add what differs to ``deleted``/``upserted``."""
        in_journal = db.execute(  # rowid: the learn order the journal holds (in_learn_order)
            "SELECT start, end, host, source FROM ip_hosts WHERE ip = ? ORDER BY rowid", (ip,)).fetchall()
        rows = {(start, host): (end, source) for start, end, host, source in in_journal}
        # Another process (the API beside a CLI ingest) may have learnt intervals of
        # this IP since we loaded: merged, never overwritten.  Rows as this map last
        # saved them are its own: merged again, one this map has cut since (the
        # address moved) would grow back.
        stored = self._stored.get(ip, {})
        if rows != stored:
            for (start, host), (end, source) in rows.items():
                if stored.get((start, host)) != (end, source):
                    merge(ip, start, end, host, source)
        for start, end in follow_journal_order(intervals[ip], [(start, host) for start, _, host, _ in in_journal]):
            if reordered is not None:
                reordered(ip, start, end)
        marks = self.dirty.pop(ip, set())  # after the merge, whose changes it marked
        # The table's key is (ip, start, host): of two intervals starting together
        # for one host (a lease and an observation), the one learnt last is kept.
        by_start: dict[float, dict[str, IntervalNode]] = {}
        for node in intervals[ip].ordered():  # by seq among equal starts: each host's last is kept
            by_start.setdefault(node.start, {})[node.host] = node
        wanted: dict[Key, Row] = {(start, host): (node.end, node.source)
                                  for start, at_start in by_start.items() for host, node in at_start.items()}
        if wanted != rows:
            for key in rows:
                if key not in wanted:
                    deleted.append((ip, *key))
            changed = {start for (start, host), value in wanted.items() if rows.get((start, host)) != value}
            upserted.extend((ip, node.start, node.end, node.host, node.source)
                            for node in in_learn_order(by_start[start] for start in changed))
        return _Written(marks, dict(wanted), whole=True, seen=None)

    def saved(self, ips: Iterable[str]) -> None:
        """The rows :meth:`write` wrote for ``ips`` are committed: they are the saved rows now."""
        stored = self._stored
        for ip in ips:
            written = self._writing.pop(ip, None)
            if written is None:
                continue
            if written.whole:
                stored[ip] = {key: row for key, row in written.rows.items() if row is not None}
            else:
                rows = stored.setdefault(ip, {})
                for key, row in written.rows.items():
                    if row is None:
                        rows.pop(key, None)
                    else:
                        rows[key] = row
            if written.seen is not None:
                self._seen[ip] = written.seen


def in_learn_order(rows_by_start: Iterable[dict[str, IntervalNode]]) -> list[IntervalNode]:
    """The intervals whose rows to write, given per start written each host's (the interval learnt last
    of the host at that start), in learn order: by start, then ``seq``.

    The rows' learn order is their ``rowid``: ``INSERT OR REPLACE`` gives a written row the next one, and
    a load reads rows of one start in that order (:meth:`IntervalRows.load`).  Lookups, live or
    reloaded, and evidence (:mod:`ingest.ipmap_evidence`) give an address held by two hosts from the same
    start to the one learnt last, so the rows of such a start are written again together, in the live
    map's order, whenever one of them is: a reload then breaks the tie as the live map does.
    """
    return sorted((node for at_start in rows_by_start for node in at_start.values()),
                  key=lambda node: (node.start, node.seq))


def follow_journal_order(held: Intervals, keys_in_order: list[Key]) -> list[tuple[float, float]]:
    """Give ``held``'s intervals at each start two hosts share the journal's learn order; returns the spans moved.

    Two processes that each learnt one host of a start learn the other's last
    when a save reads it, and the ``rowid`` order follows whichever wrote last:
    the live maps, a reloaded map and the evidence named different hosts (task
    OPS.4).  So the intervals with a row (each host's latest at that start) are
    relearnt in the rows' order, and those with none yet (learnt here since the
    last save) after them: the write that follows puts their rows last too.
    """
    hosts_by_start: dict[float, list[str]] = {}
    for start, host in keys_in_order:
        hosts_by_start.setdefault(start, []).append(host)
    moved: list[tuple[float, float]] = []
    for start, hosts in hosts_by_start.items():
        if len(hosts) < 2:
            continue  # one row: no order between hosts to follow
        at_start = latest_by_host(held.root, start)
        journal_order = [at_start[host] for host in hosts if host in at_start]
        order = journal_order + sorted((n for n in at_start.values() if n not in journal_order),
                                       key=lambda n: n.seq)
        if all(a.seq < b.seq for a, b in zip(order, order[1:], strict=False)):
            continue
        for node in order:
            held.relearn(node)
        moved.append((start, max(node.end for node in order)))
    return moved


def data_version(db: sqlite3.Connection) -> int:
    """SQLite's count, on ``db``, of the commits other connections made (``PRAGMA data_version``)."""
    return int(db.execute("PRAGMA data_version").fetchone()[0])
