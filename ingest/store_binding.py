"""Which graph store a data directory's journal is projected into, and the checks that keep them together.

The projection checkpoint (:meth:`ingest.journal.Journal.checkpoint`) says how
far the journal is in *one* graph.  So the journal records that store
(``meta`` key ``graph_store``: :class:`StoreBinding`), and a Neo4j database
records whose journal's graph it holds (:mod:`graphsiem.store.neo4j_owner`).
Every projection checks both (:func:`bind`, from
:func:`ingest.replay.project_pending`), and :func:`graphsiem.store.open_store`
checks them when a command opens the store, before anything is written:

- A Neo4j database that holds another journal's graph is refused: two data
  directories projected into one database would merge their graphs.  Another
  database (or server), or ``graphsiem rebuild --take-over``, which empties it.
- A data directory opened with another *kind* of store than the one it is
  projected into is refused, naming that store and the ``--store`` to use:
  a command that forgot ``--store neo4j`` would otherwise build a second,
  embedded graph of the whole journal (minutes and gigabytes for a large one),
  or answer "0 entities"; ``graphsiem rebuild --store KIND`` switches on purpose.
- A journal whose checkpoint is 0 (nothing projected: a new journal, or
  :func:`ingest.replay.replay`, which empties the store first) may go into a
  store of any kind: the whole journal is projected into it, and it is recorded.
- The same kind with another graph in it (a Neo4j database emptied, or
  replaced by a new one) is claimed, and the checkpoint kept, as the embedded
  store keeps it when its graph is emptied: one warning says the graph holds
  only what is projected from then on, and that ``graphsiem rebuild`` projects
  the whole journal.  (A Neo4j ``clear()`` looks the same as a new database.)

A journal from before bindings were recorded is taken to be projected into the
store that holds its mark (or the embedded graph beside it), and recorded so.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from graphsiem import paths
from graphsiem.store.base import GraphStore, StoreError
from graphsiem.store.embedded_state import GRAPH_FILE
from graphsiem.store.neo4j_clearing import GraphNotMarked
from graphsiem.uri_credentials import split_credentials
from ingest.journal_schema import CHECKPOINT_KEY, IDENTITY_KEY, STORE_KEY

if TYPE_CHECKING:
    from graphsiem.store.neo4j_owner import GraphOwner
    from ingest.journal import Journal

__all__ = [
    "StoreBinding",
    "StoreBindingError",
    "bind",
    "checked_on_open",
    "problem_before_open",
    "problem_for_reading",
    "refuse_another_kind",
]

logger = logging.getLogger("ingest.store_binding")


class StoreBindingError(StoreError):
    """The store is not the one the data directory's journal is projected into (the message says what to do)."""


@dataclass(frozen=True)
class StoreBinding:
    """The graph store a journal is projected into.

    Attributes
    ----------
    kind : str
        ``"embedded"`` or ``"neo4j"`` (a store's ``name``).
    graph : str, optional
        For Neo4j, the id of the graph the database holds (its owner node's ``graph``).
    uri, database : str, optional
        For Neo4j, where it was (credentials left out), for messages only.

    Examples
    --------
    >>> StoreBinding.from_text(StoreBinding("neo4j", "g1", "bolt://db:7687", "neo4j").to_text()).describe()
    "Neo4j at bolt://db:7687 (database 'neo4j')"
    >>> StoreBinding("embedded").describe()
    'the embedded store'
    """

    kind: str
    graph: str | None = None
    uri: str | None = None
    database: str | None = None

    def describe(self) -> str:
        """The store, as a message names it."""
        if self.kind == "neo4j":
            return f"Neo4j at {self.uri} (database {self.database!r})"
        return f"the {self.kind} store"

    def to_text(self) -> str:
        """As kept in the journal's ``meta``."""
        return json.dumps({k: v for k, v in asdict(self).items() if v is not None}, sort_keys=True)

    @classmethod
    def from_text(cls, text: str | None) -> StoreBinding | None:
        """What :meth:`to_text` wrote (None for none, or for text this version cannot read)."""
        if not text:
            return None
        try:
            fields: Any = json.loads(text)
            return cls(**fields) if isinstance(fields, dict) and "kind" in fields else None
        except (ValueError, TypeError):
            return None


def without_credentials(uri: str) -> str:
    """``uri`` without a user or password in it (the journal must not keep them).

    >>> without_credentials("bolt://neo4j:secret@db.example:7687")
    'bolt://db.example:7687'
    """
    return split_credentials(uri)[0]


# -- the checks -------------------------------------------------------------------


def _rebuild_hint(kind: str, where: str, *options: str) -> str:
    return f"`graphsiem rebuild --store {kind} --data {where}{''.join(' ' + o for o in options)}`"


def _use_store_hint(kind: str, where: str, caller: str) -> str:
    """How the caller opens ``where`` with a store of ``kind``: a CLI option, or the lab's call."""
    if caller == "lab":
        return f"open it with lab.open({kind!r}, data_dir={where!r})"
    return f"use --store {kind}"


def kind_problem(
    recorded: StoreBinding | None, checkpoint: int, kind: str, where: str, embedded_graph: bool,
    caller: str = "cli",
) -> str | None:
    """Why a store of ``kind`` is not the one the journal in ``where`` is projected into, or None.

    ``embedded_graph``: whether the data directory holds an embedded graph file
    (for a journal from before bindings: projected, but into which store?).
    ``caller``: ``"cli"`` (the default) names ``--store``; ``"lab"`` names
    ``lab.open`` (a notebook has no ``--store``; review T11, F7).

    Examples
    --------
    >>> kind_problem(StoreBinding("embedded"), 10, "embedded", "/d", True) is None
    True
    >>> print(kind_problem(StoreBinding("embedded"), 10, "neo4j", "/d", True))
    /d is projected into the embedded store, not into Neo4j: use --store embedded (or `graphsiem rebuild --store neo4j --data /d` to project its whole journal into Neo4j from now on)
    >>> kind_problem(None, 0, "neo4j", "/d", False) is None
    True
    >>> print(kind_problem(StoreBinding("embedded"), 10, "neo4j", "/d", True, caller="lab"))
    /d is projected into the embedded store, not into Neo4j: open it with lab.open('embedded', data_dir='/d') (or `graphsiem rebuild --store neo4j --data /d` in a shell to project its whole journal into Neo4j from now on)
    """
    shell = " in a shell" if caller == "lab" else ""
    if recorded is None:
        if checkpoint == 0 or kind != "embedded" or embedded_graph:
            return None
        return (
            f"{where}: its journal is projected (up to event {checkpoint}) but not into the embedded store "
            f"(no {GRAPH_FILE} in {Path(where) / 'graph'}): it was projected into Neo4j; "
            f"{_use_store_hint('neo4j', where, caller)} "
            f"(or {_rebuild_hint('embedded', where)}{shell} to project it into the embedded store)"
        )
    if recorded.kind == kind:
        return None
    target = "Neo4j" if kind == "neo4j" else f"the {kind} store"
    return (
        f"{where} is projected into {recorded.describe()}, not into {target}: "
        f"{_use_store_hint(recorded.kind, where, caller)} "
        f"(or {_rebuild_hint(kind, where)}{shell} to project its whole journal into {target} from now on)"
    )


def owned_problem(store: Any, holder: GraphOwner, where: str) -> str:
    """The refusal of a Neo4j database that holds another journal's graph."""
    other = holder.data_dir or f"the data directory of journal {holder.journal}"
    return (
        f"Neo4j at {without_credentials(store.uri)} (database {store.database!r}) holds the graph of {other}, "
        f"not of {where}: projecting both into one database would merge their graphs. Use another database "
        f"or server (GRAPHSIEM_NEO4J_DATABASE, GRAPHSIEM_NEO4J_URI), or "
        f"{_rebuild_hint('neo4j', where, '--take-over')} to empty it and project {where} into it"
    )


def _store_mark(store: GraphStore, journal: Journal) -> int | None:
    """The seq up to which ``store`` says it holds ``journal``'s events (None: it keeps no mark)."""
    batch_reader = getattr(store, "batch_mark", None)  # per batch, per journal
    if batch_reader is not None:
        try:
            mark = batch_reader(journal.identity)
        except GraphNotMarked:
            # An unmarked graph is refused because projecting the journal over it would count its
            # sightings twice; a journal with no event projects nothing, so there is nothing to
            # count twice (a graph written by other means, then explored and detected on). Its
            # first event meets the refusal.
            if journal.last_seq() > 0:
                raise
            return None
    else:
        reader = getattr(store, "projection_mark", None)  # embedded: at each flush
        mark = reader() if reader is not None else None
    return None if mark is None else int(mark)


def bind(journal: Journal, store: GraphStore, data_dir: str | Path | None = None) -> int:
    """Check that ``store`` is the journal's graph store, record it, and return the checkpoint that holds for it.

    The checkpoint is moved up to the store's own mark when the store is ahead
    (a crash between a store's write and the journal's checkpoint), and, when
    the store holds another graph than the one recorded (see the module
    docstring), set to this journal's mark in it (0: projected in full).

    Parameters
    ----------
    journal : Journal
        The data directory's journal.
    store : GraphStore
        The store about to be projected into.
    data_dir : path, optional
        The data directory, for messages (default: the journal's directory).

    Raises
    ------
    StoreBindingError
        When the store is another kind than the journal's, or a Neo4j
        database holding another journal's graph.
    """
    where = str(data_dir if data_dir is not None else journal.path.parent)
    checkpoint = journal.checkpoint()
    recorded = StoreBinding.from_text(journal.store_binding())
    kind = getattr(store, "name", None)
    mark = _store_mark(store, journal)
    if kind == "neo4j":
        binding, result = _bind_neo4j(journal, store, where, recorded, checkpoint, mark)
    elif kind == "embedded":
        # a journal from before bindings is trusted here, as it always was (its checkpoint may
        # precede the graph's first flush); open_store's check before opening infers its store
        problem = kind_problem(recorded, checkpoint, "embedded", where, embedded_graph=True)
        if problem is not None and not (checkpoint == 0 and mark is None):  # 0: projected in full
            raise StoreBindingError(problem)
        binding, result = StoreBinding("embedded"), max(checkpoint, mark or 0)
    else:  # another store (a test double): the checkpoint as it always was, nothing recorded
        result = max(checkpoint, mark or 0)
        if result != checkpoint:
            journal.set_checkpoint(result)
        return result
    if binding != recorded or result != checkpoint:
        journal.bind_store(binding.to_text(), result if result != checkpoint else None)
    return result


def _bind_neo4j(
    journal: Journal, store: Any, where: str, recorded: StoreBinding | None, checkpoint: int, mark: int | None
) -> tuple[StoreBinding, int]:
    embedded = (journal.path.parent / "graph" / GRAPH_FILE).exists()
    problem = kind_problem(recorded, checkpoint, "neo4j", where, embedded)
    if problem is not None and not (checkpoint == 0 and mark is None):  # 0: projected in full
        raise StoreBindingError(problem)
    state = store.owner_state()
    holder = state.holder()
    if holder is not None and holder.journal != journal.identity:
        raise StoreBindingError(owned_problem(store, holder, where))
    if recorded is None and checkpoint > 0 and mark is None and embedded:
        # from before bindings: projected, into the embedded graph beside it and not into this database
        raise StoreBindingError(kind_problem(StoreBinding("embedded"), checkpoint, "neo4j", where, True) or "")
    owner = state.owner
    if owner is None:
        owner = store.claim_graph(journal.identity, where)
        if owner.journal != journal.identity:  # another claimed it between the read and the claim
            raise StoreBindingError(owned_problem(store, owner, where))
    same_graph = (
        (recorded is not None and recorded.graph is not None and recorded.graph == owner.graph)
        or (recorded is None and (mark is not None or checkpoint == 0))  # from before bindings
    )
    result = max(checkpoint, mark or 0)
    if not same_graph and (mark or 0) < checkpoint:
        logger.warning(
            "%s holds none of the graph of %s up to event %d (a new or emptied database): it gets the "
            "events from there on; %s projects the whole journal into it",
            f"Neo4j at {without_credentials(store.uri)} (database {store.database!r})", where, checkpoint,
            _rebuild_hint("neo4j", where),
        )
    store.binding_pending = False
    binding = StoreBinding("neo4j", owner.graph, without_credentials(store.uri), store.database)
    return binding, result


# -- before a store is opened, and for commands that only read -------------------


@dataclass(frozen=True)
class JournalMeta:
    """What a journal says of its projection, read without writing (see :func:`read_meta`)."""

    identity: str | None
    checkpoint: int
    recorded: StoreBinding | None
    has_events: bool = True


def read_meta(path: Path) -> JournalMeta | None:
    """The journal at ``path``'s identity, checkpoint and store, read only (None when there is no journal)."""
    if not path.is_file():
        return None
    try:
        db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=60.0)
    except sqlite3.Error:
        return None
    try:
        rows = dict(db.execute(
            "SELECT key, value FROM meta WHERE key IN (?, ?, ?)", (IDENTITY_KEY, CHECKPOINT_KEY, STORE_KEY)
        ).fetchall())
        has_events = db.execute("SELECT 1 FROM events LIMIT 1").fetchone() is not None
    except sqlite3.Error:  # not a journal, or one without a meta table yet: nothing recorded
        return None
    finally:
        db.close()
    return JournalMeta(
        rows.get(IDENTITY_KEY), int(rows.get(CHECKPOINT_KEY, 0) or 0), StoreBinding.from_text(rows.get(STORE_KEY)),
        has_events,
    )


def problem_before_open(kind: str, data_dir: Path, caller: str = "cli") -> str | None:
    """Why a store of ``kind`` must not be opened for ``data_dir`` (checked before it is, so nothing is made).

    A Neo4j binding recorded while the server did not answer (no graph id: it
    was never reached) ties nothing while the journal holds no event: a failed
    Neo4j attempt on a new directory may fall back to the embedded store
    (review T11, F7).  Once an event is journaled for it, it ties the directory.
    """
    meta = read_meta(data_dir / "journal.sqlite")
    if meta is None:
        return None
    recorded = meta.recorded
    if recorded is not None and recorded.graph is None and not meta.has_events and meta.checkpoint == 0:
        recorded = None
    embedded = (data_dir / "graph" / GRAPH_FILE).exists()
    return kind_problem(recorded, meta.checkpoint, kind, str(data_dir), embedded, caller)


def problem_for_reading(store: Any, data_dir: Path) -> str | None:
    """Why an open Neo4j ``store`` does not hold ``data_dir``'s graph (a read-only command's check; writes nothing)."""
    meta = read_meta(data_dir / "journal.sqlite")
    if meta is None or getattr(store, "name", None) != "neo4j" or meta.identity is None:
        return None
    state = store.owner_state()
    holder = state.holder()
    if holder is not None and holder.journal != meta.identity:
        return owned_problem(store, holder, str(data_dir))
    recorded = meta.recorded
    emptied = holder is None or (
        recorded is not None and recorded.graph is not None and state.owner is not None
        and state.owner.graph != recorded.graph and state.mark_of(meta.identity) is None
    )
    if emptied and meta.checkpoint > 0:
        return (
            f"Neo4j at {without_credentials(store.uri)} (database {store.database!r}) holds none of the graph of "
            f"{data_dir} (a new or emptied database): {_rebuild_hint('neo4j', str(data_dir))} projects its whole "
            f"journal into it (`graphsiem ingest` or `graphsiem serve` would add only the events journaled from "
            f"then on)"
        )
    return None


# -- what open_store checks ------------------------------------------------------------

S = TypeVar("S", bound=GraphStore)


def refuse_another_kind(kind: str, data_dir: str | os.PathLike[str] | None, *, caller: str = "cli") -> None:
    """Raise :class:`StoreBindingError` when ``data_dir``'s journal is projected into another kind of store.

    Checked before the store is opened: the embedded store makes ``graph/``.
    ``caller`` words the message for the CLI (``"cli"``) or a notebook (``"lab"``).
    """
    problem = problem_before_open(kind, paths.data_dir(data_dir, create=False), caller)
    if problem is not None:
        raise StoreBindingError(problem)


def checked_on_open(store: S, data_dir: str | os.PathLike[str] | None, *, reading: bool) -> S:
    """``store``, checked against ``data_dir``'s journal (see :func:`graphsiem.store.open_store`); closed if refused.

    A reader is refused a Neo4j database that holds none of the data
    directory's graph.  A writer's Neo4j store is bound (:func:`bind`: refused
    when it holds another journal's graph, recorded in the journal, its
    checkpoint set for it) before any batch can reach it; when the server
    does not answer yet, the store refuses batches until the first catch-up
    has bound it (``binding_pending``).  The embedded store's graph lives in
    the data directory: the kind checked before it was opened is all there is.
    """
    try:
        _check_on_open(store, paths.data_dir(data_dir, create=False), data_dir is not None, reading)
    except BaseException:
        store.close()
        raise
    return store


def _refuse_held_before_journal(store: Any, directory: Path) -> None:
    """Refuse a Neo4j database another journal holds before this directory's journal is made or opened.

    :func:`bind` refuses it too, but only once the journal is open: a new data
    directory was left with an empty ``journal.sqlite`` of its own (review T4, finding 5).
    A journal not made yet has no identity: any holder is another journal.
    """
    holder = store.owner_state().holder()
    if holder is None:
        return
    meta = read_meta(directory / "journal.sqlite")
    if meta is None or meta.identity != holder.journal:
        raise StoreBindingError(owned_problem(store, holder, str(directory)))


def _check_on_open(store: Any, directory: Path, explicit: bool, reading: bool) -> None:
    if reading:
        problem = problem_for_reading(store, directory)
        if problem is not None:
            raise StoreBindingError(problem)
        return
    if getattr(store, "name", None) != "neo4j":
        return
    journal_file = directory / "journal.sqlite"
    if not explicit and not journal_file.exists():
        store.binding_pending = True
        return
    if store.connected:
        _refuse_held_before_journal(store, directory)
    from ingest.journal import Journal

    try:
        with Journal(journal_file) as journal:
            if store.connected:
                bind(journal, store, directory)
                return
            store.binding_pending = True
            if journal.store_binding() is None:
                # the server is down: its graph id is not known yet, its kind is (a command
                # run on this directory without --store neo4j is refused, not answered "0")
                provisional = StoreBinding("neo4j", None, without_credentials(store.uri), store.database)
                journal.bind_store(provisional.to_text())
    except (sqlite3.Error, OSError) as exc:
        raise StoreError(f"cannot open the journal {journal_file}: {exc}") from exc
