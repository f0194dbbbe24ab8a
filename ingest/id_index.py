"""Which event ids the journal holds, and at which seq: the journal's dedupe index.

Why not SQLite's own ``UNIQUE`` index
-------------------------------------
Event ids are hashes, so a batch of 5,000 new ids lands on 5,000 random
leaves of a B-tree index.  Each leaf a commit touches is written whole twice
(to the WAL or the rollback journal, and to the database).  Once the index has more leaves than a batch
has rows, every new row costs a full index page (64 KiB with the journal's
page size): measured with 1 KB rows, the append cost grew from 6 us a row on
an empty journal to 33 us at 2 million rows and kept climbing
(``benchmarks/bench_journal.py``).

Here the ``events`` table has no index on ``id``.  The index is a log-structured
set of 64-bit id prefixes, each with the seq of its row:

* **recent**: a dict of the last (at most :data:`SEAL_SIZE`) rows;
* **runs**: sorted numpy arrays ``(prefixes, seqs)`` covering contiguous seq
  ranges; a full ``recent`` is sealed into a run, and runs of similar size are
  merged (a binary counter, so there are ``log2(n / SEAL_SIZE)`` runs at most).

Runs are persisted in the ``id_runs`` table (written sequentially, in the same
transaction as the rows they cover), so opening a big journal reads a few
blobs instead of every id; rows after the last run are read from ``events``.
A prefix match is only a *candidate*: the row's full id is read back by seq
(the primary key) and compared, so two ids sharing a prefix never merge.

Everything here is derived from ``events``: a missing, partial or
inconsistent ``id_runs`` is rebuilt from the rows, and an index whose
transaction failed is dropped and reloaded.  Several processes may write one
journal: each catches up with the rows others committed (seq above its
high-water mark) inside the journal's write lock, before it checks ids.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from hashlib import blake2b

import numpy as np

SEAL_SIZE = 1 << 16
"""Rows held in the ``recent`` dict before they are sealed into a sorted run (~7 MB of dict)."""

_IN_CHUNK = 500  # SQLite's default variable limit is 999 on older builds
_PREFIX = np.dtype("<u8")
_SEQ = np.dtype("<i8")

ID_RUNS_SCHEMA = """
CREATE TABLE IF NOT EXISTS id_runs (
    first_seq INTEGER PRIMARY KEY,
    last_seq INTEGER NOT NULL,
    prefixes BLOB NOT NULL,
    seqs BLOB NOT NULL
);
"""


def id_prefix(event_id: str) -> int:
    """The 64-bit prefix an id is indexed under.

    Pipeline ids are hex digests, whose first 16 digits are already uniform;
    any other id (a test's ``"e1"``) is hashed.
    """
    if len(event_id) >= 16:
        try:
            value = int(event_id[:16], 16)
        except ValueError:
            pass
        else:
            if value >= 0:  # int() accepts a sign; a negative prefix cannot be a uint64
                return value
    digest = blake2b(event_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def id_prefixes(event_ids: Sequence[str]) -> list[int]:
    """``[id_prefix(i) for i in event_ids]``, for a batch at once.

    A batch of pipeline ids (hex digests) is read in one ``bytes.fromhex``:
    ~90 ns an id against ~220 ns through :func:`id_prefix` (measured, 5,000
    ids).  Any batch it does not fit exactly goes id by id.
    """
    heads = "".join([event_id[:16] for event_id in event_ids])
    if len(heads) == 16 * len(event_ids):
        try:
            raw = bytes.fromhex(heads)
        except ValueError:  # a sign, an underscore or a letter past f: not all hex
            raw = b""
        # fromhex skips whitespace, which int() refuses: then fewer bytes come out
        if len(raw) == 8 * len(event_ids):
            prefixes: list[int] = np.frombuffer(raw, dtype=">u8").tolist()
            return prefixes
    return [id_prefix(event_id) for event_id in event_ids]


@dataclass(slots=True)
class Run:
    """Sorted prefixes and their seqs, for the rows ``first_seq .. last_seq``."""

    first_seq: int
    last_seq: int
    prefixes: np.ndarray
    seqs: np.ndarray

    def matches(self, wanted: np.ndarray) -> np.ndarray:
        """The seqs of every entry whose prefix is in ``wanted``."""
        left = np.searchsorted(self.prefixes, wanted, side="left")
        right = np.searchsorted(self.prefixes, wanted, side="right")
        hits = np.nonzero(right > left)[0]
        if not hits.size or int((right[hits] - left[hits]).max()) == 1:  # one entry per prefix: usual
            return self.seqs[left[hits]]
        return self.seqs[np.concatenate([np.arange(left[i], right[i]) for i in hits])]


def _merged(older: Run, newer: Run) -> Run:
    prefixes = np.concatenate([older.prefixes, newer.prefixes])
    seqs = np.concatenate([older.seqs, newer.seqs])
    order = np.argsort(prefixes, kind="stable")
    return Run(older.first_seq, newer.last_seq, prefixes[order], seqs[order])


@dataclass(slots=True)
class _Pending:
    """What an append changes, applied to the index only once its transaction commits."""

    prefixes: list[int]
    seqs: list[int]
    runs: list[Run] | None = None  # the run list as persisted by this append, if it wrote one
    sealed: bool = False  # recent and the new rows went into the last run


@dataclass
class IdIndex:
    """The in-memory dedupe index of one journal file (one per process: :class:`SharedIdIndex`)."""

    runs: list[Run] = field(default_factory=list)
    recent: dict[int, int] = field(default_factory=dict)
    # prefixes seen twice in ``recent`` (different ids, same 64 bits): every seq kept
    recent_more: dict[int, list[int]] = field(default_factory=dict)
    high_water: int = 0  # every row with seq <= high_water is indexed
    dirty: bool = False  # ``runs`` differ from the ``id_runs`` table: the next writer persists them

    # -- loading and catching up ---------------------------------------------
    @classmethod
    def load(cls, db: sqlite3.Connection) -> IdIndex:
        """The index of the journal ``db``: persisted runs, then the rows after them."""
        index = cls()
        keys = _run_keys(db)
        if _tiles(keys, db):
            index.runs = [_read_run(db, first, last) for first, last in keys]
            index.high_water = index.sealed_to
        else:  # rebuilt from the rows; the next append replaces the table's runs
            index.dirty = bool(keys)
        index.catch_up(db)
        return index

    def sync(self, db: sqlite3.Connection) -> None:
        """Adopt runs another connection persisted, then index rows committed since."""
        keys = _run_keys(db)
        mine = {(run.first_seq, run.last_seq): run for run in self.runs}
        if not self.dirty and keys != list(mine) and _tiles(keys, db):
            # Another writer sealed or merged.  Re-read the rows after its runs
            # rather than trim ``recent``: its runs may end before ours did.
            self.runs = [mine.get(key) or _read_run(db, *key) for key in keys]
            self.recent.clear()
            self.recent_more.clear()
            self.high_water = self.sealed_to
        self.catch_up(db)

    def catch_up(self, db: sqlite3.Connection) -> None:
        """Index the rows other connections committed since this index last looked."""
        add = self._add
        for seq, event_id in db.execute(
            "SELECT seq, id FROM events WHERE seq > ? ORDER BY seq", (self.high_water,)
        ):
            add(id_prefix(event_id), seq)
            self.high_water = seq
            if len(self.recent) >= SEAL_SIZE:  # a long catch-up: bound the dict
                self.runs = self._sealed([], [])
                self.recent.clear()
                self.recent_more.clear()
                self.dirty = True

    @property
    def sealed_to(self) -> int:
        """The last seq the runs cover (0 when there are none)."""
        return self.runs[-1].last_seq if self.runs else 0

    # -- lookups -------------------------------------------------------------
    def candidate_seqs(self, prefixes: Sequence[int]) -> list[int]:
        """Seqs of the rows whose id prefix is one of ``prefixes`` (compare full ids after reading)."""
        seqs: set[int] = set()
        recent, more = self.recent, self.recent_more
        for prefix in prefixes:
            seq = recent.get(prefix)
            if seq is not None:
                seqs.add(seq)
                if prefix in more:
                    seqs.update(more[prefix])
        if self.runs and prefixes:
            wanted = np.fromiter(prefixes, dtype=_PREFIX, count=len(prefixes))
            for run in self.runs:
                seqs.update(run.matches(wanted).tolist())
        return sorted(seqs)

    def existing(self, db: sqlite3.Connection, ids: Sequence[str], prefixes: Sequence[int]) -> set[str]:
        """Which of ``ids`` (with their ``prefixes``) the journal already holds."""
        seqs = self.candidate_seqs(prefixes)
        if not seqs:
            return set()
        # a prefix match is a candidate only: compare the full ids of those rows
        wanted = set(ids)
        return {row[0] for row in rows_by_seq(db, "id", seqs) if row[0] in wanted}

    # -- appending -------------------------------------------------------------
    def prepare(self, db: sqlite3.Connection, prefixes: list[int], seqs: list[int]) -> _Pending:
        """Inside the writer's transaction: persist the runs the new rows call for.

        ``prefixes`` and ``seqs`` are those of the rows just inserted, in seq order.
        The index itself changes only in :meth:`commit`, once the transaction
        has committed, so a failed append leaves it as it was.
        """
        pending = _Pending(prefixes, seqs)
        if prefixes and len(self.recent) + len(prefixes) >= SEAL_SIZE:
            pending.runs, pending.sealed = self._sealed(prefixes, seqs), True
        elif self.dirty:
            pending.runs = list(self.runs)
        if pending.runs is not None:
            _persist(db, pending.runs)
        return pending

    def commit(self, pending: _Pending) -> None:
        """Apply an append whose transaction committed."""
        if pending.runs is not None:
            self.runs = pending.runs
            self.dirty = False
        if pending.sealed:
            self.recent.clear()
            self.recent_more.clear()
        else:
            # _add inlined: one call fewer for each of a batch's 5,000 rows
            recent, more = self.recent, self.recent_more
            for prefix, seq in zip(pending.prefixes, pending.seqs, strict=True):
                old = recent.setdefault(prefix, seq)
                if old != seq:
                    more.setdefault(prefix, [old]).append(seq)
        if pending.seqs:
            self.high_water = max(self.high_water, pending.seqs[-1])

    # -- internals -------------------------------------------------------------
    def _add(self, prefix: int, seq: int) -> None:
        old = self.recent.setdefault(prefix, seq)
        if old != seq:
            self.recent_more.setdefault(prefix, [old]).append(seq)

    def _sealed(self, prefixes: list[int], seqs: list[int]) -> list[Run]:
        """The runs with ``recent`` and the rows ``seqs`` (with ``prefixes``) sealed in."""
        last_seq = max(seqs[-1] if seqs else 0, self.high_water)
        pairs = list(self.recent.items())
        pairs += [(p, s) for p, seqs in self.recent_more.items() for s in seqs[1:]]
        count = len(pairs) + len(prefixes)
        run_prefixes = np.empty(count, dtype=_PREFIX)
        run_seqs = np.empty(count, dtype=_SEQ)
        if pairs:
            run_prefixes[: len(pairs)], run_seqs[: len(pairs)] = zip(*pairs, strict=True)
        run_prefixes[len(pairs) :] = prefixes
        run_seqs[len(pairs) :] = seqs
        order = np.argsort(run_prefixes, kind="stable")
        runs = [*self.runs, Run(self.sealed_to + 1, last_seq, run_prefixes[order], run_seqs[order])]
        # binary counter: merge the newest two while they are of similar size
        while len(runs) >= 2 and runs[-2].prefixes.size <= 2 * runs[-1].prefixes.size:
            newer, older = runs.pop(), runs.pop()
            runs.append(_merged(older, newer))
        return runs


class SharedIdIndex:
    """The one :class:`IdIndex` of a journal file in this process, shared by its connections.

    The API opens a journal connection per thread; one index per connection
    would hold the same 16 bytes a row once per thread.  Hold :attr:`lock`
    from before the write transaction until :meth:`IdIndex.commit`, so no
    thread sees the index between a commit and its update.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._index: IdIndex | None = None

    def forget(self) -> None:
        """Drop the index (call with :attr:`lock` held): the next use loads it from the rows, as they are now."""
        self._index = None

    def synced(self, db: sqlite3.Connection) -> IdIndex:
        """The index caught up with every row committed so far (call with :attr:`lock` held)."""
        if self._index is None:
            self._index = IdIndex.load(db)
        else:
            self._index.sync(db)
        return self._index


_SHARED: weakref.WeakValueDictionary[tuple[int, int, str], SharedIdIndex] = weakref.WeakValueDictionary()
_SHARED_LOCK = threading.Lock()


def shared_index(path: str | os.PathLike[str], identity: str) -> SharedIdIndex:
    """The shared index of the journal file at ``path`` (which must exist) with this ``identity``.

    Keyed by device, inode and the journal's random identity
    (:attr:`ingest.journal.Journal.identity`), not by name: a journal deleted
    and made again at the same path is another journal, even when the file
    system gives the new file the old one's inode while an index of the old
    one is still in use (that happened: the stale index then missed the new
    journal's rows).  A copy of a journal file has another inode.
    """
    status = os.stat(path)
    key = (status.st_dev, status.st_ino, identity)
    with _SHARED_LOCK:
        shared = _SHARED.get(key)
        if shared is None:
            shared = _SHARED[key] = SharedIdIndex()
        return shared


def rows_by_seq(db: sqlite3.Connection, columns: str, seqs: Sequence[int]) -> Iterator[tuple]:
    """``SELECT columns FROM events`` for the rows ``seqs`` (chunked under SQLite's variable limit).

    ``columns`` is a fixed column list from the caller, never data.
    """
    for start in range(0, len(seqs), _IN_CHUNK):
        chunk = seqs[start : start + _IN_CHUNK]
        marks = ",".join("?" * len(chunk))
        yield from db.execute(f"SELECT {columns} FROM events WHERE seq IN ({marks})", chunk)  # noqa: S608 - only placeholders and fixed columns are interpolated


def _run_keys(db: sqlite3.Connection) -> list[tuple[int, int]]:
    return [(int(f), int(last)) for f, last in db.execute("SELECT first_seq, last_seq FROM id_runs ORDER BY first_seq")]


def _read_run(db: sqlite3.Connection, first: int, last: int) -> Run:
    prefixes, seqs = db.execute(
        "SELECT prefixes, seqs FROM id_runs WHERE first_seq = ? AND last_seq = ?", (first, last)
    ).fetchone()
    return Run(first, last, np.frombuffer(prefixes, dtype=_PREFIX), np.frombuffer(seqs, dtype=_SEQ))


def _persist(db: sqlite3.Connection, runs: list[Run]) -> None:
    """Make ``id_runs`` hold exactly ``runs`` (rows already there are not rewritten)."""
    stored = set(_run_keys(db))
    wanted = {(run.first_seq, run.last_seq) for run in runs}
    for first, last in stored - wanted:
        db.execute("DELETE FROM id_runs WHERE first_seq = ? AND last_seq = ?", (first, last))
    for run in runs:
        if (run.first_seq, run.last_seq) not in stored:
            db.execute(
                "INSERT OR REPLACE INTO id_runs (first_seq, last_seq, prefixes, seqs) VALUES (?, ?, ?, ?)",
                (run.first_seq, run.last_seq, run.prefixes.tobytes(), run.seqs.tobytes()),
            )


def _tiles(keys: list[tuple[int, int]], db: sqlite3.Connection) -> bool:
    """True when runs ``keys`` tile ``1 .. n`` without gaps and name no row past the last."""
    expected = 1
    for first, last in keys:
        if first != expected or last < first:
            return False
        expected = last + 1
    if not keys:
        return True
    top = db.execute("SELECT MAX(seq) FROM events").fetchone()[0] or 0
    return keys[-1][1] <= top
