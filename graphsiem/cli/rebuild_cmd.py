"""``graphsiem rebuild [--store SPEC] [--take-over]``: the graph made again from the journal, in the store named.

The journal is the system of record: this empties the store, projects every
journaled event into it and records it as the data directory's graph store
(:mod:`ingest.store_binding`).  It is how a data directory moves from one
kind of store to the other (the commands that project refuse a store of
another kind than the one recorded), and how a graph is made again after a
projection bug is fixed.  Events of kinds whose parser changed since they were
journaled (Security 4662, once ``windows:other``) are first read again from
their raw records (:mod:`ingest.journal_reparse`).  A Neo4j database that holds another data
directory's graph is refused unless ``--take-over`` says to empty it; it is
claimed for this journal before it is emptied, so the other directory's
writers have their next batch refused (:meth:`~graphsiem.store.neo4j_writes.Neo4jWrites.empty_for`).

It holds the data directory's service lock and, exclusively, its writers'
lock (:mod:`graphsiem.data_dir_lock`): refused in one line while a ``serve``
or an ``ingest`` runs on it, and an ``ingest`` is refused while it runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from graphsiem import paths
from graphsiem.cli.arguments import DATA_HELP, data_dir_problem

if TYPE_CHECKING:
    from graphsiem.data_dir_lock import DataDirLock
    from graphsiem.store.base import GraphStore
    from ingest.journal import Journal
    from ingest.journal_id_migration import IdMigration
    from ingest.journal_reparse import Reparse
    from ingest.replay import ProjectionSummary


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``rebuild`` sub-command."""
    parser = subparsers.add_parser(
        "rebuild",
        help="empty the graph store and project the whole journal into it (also: move a data "
        "directory to another store)",
        description="Empty the graph store and project every journaled event into it again; the "
        "store becomes the data directory's graph store (the journal is the system of record).",
    )
    parser.add_argument("--store", default=None,
                        help="graph store: embedded (default), neo4j, or a bolt:// URI")
    parser.add_argument("--data", default=None, help=DATA_HELP)
    parser.add_argument("--take-over", action="store_true",
                        help="empty a Neo4j database that holds another data directory's graph")
    parser.add_argument("--recompute-ids", action="store_true",
                        help="first give events journaled before content ids the ids this release gives them, "
                        "merging copies of one event (a Zeek log as TSV and JSON, one Windows event in two "
                        "exports, a JSON record in two key orders, a syslog datagram a sensor logged several "
                        "times); resumable: run it again if it is interrupted")
    parser.add_argument("--json", action="store_true", help="print what was projected as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Rebuild; 2 when there is no journal or the store holds another journal's graph; 1 when the store
    cannot be opened (refused credentials, no answer) or a service or an ingest holds the data directory;
    75 when the store failed part-way (the rebuild is to be run again)."""
    from graphsiem.data_dir_lock import lock_for_command, rebuild_lock

    problem = data_dir_problem(args.data, ("journal.sqlite",))
    if problem is not None:
        print(f"graphsiem rebuild: {problem}", file=sys.stderr)
        return 2
    data = paths.data_dir(args.data, create=False)
    # The service's lock: a rebuild empties the graph the service projects into every
    # second, and a batch it wrote between the clear and the replay would leave a mark
    # the replay trusts over an emptied graph (review RV3: 0 entities, exit 0).
    lock = lock_for_command("rebuild", data, in_use="stop the service first (a rebuild empties the graph it writes to)")
    if lock is None:
        return 1
    try:
        # and the CLI writers' (graphsiem ingest holds it shared): the same race with an
        # ingest's projection as with the service's
        writers = rebuild_lock(data)
        if writers is None:
            return 1
        try:
            return _rebuild_locked(args, data, (writers, lock))
        finally:
            writers.release()
    finally:
        lock.release()


def _rebuild_locked(args: argparse.Namespace, data: Path, locks: tuple[DataDirLock, ...]) -> int:
    """Rebuild ``data``'s graph (its service and writers' ``locks`` are held).

    Refused before anything is written (a store that cannot be opened, a Neo4j database
    holding another data directory's graph), the locks are abandoned: lock files this run
    made are removed, so the directory is left as it was (task G5).
    """
    from graphsiem.cli.store_failures import open_failed, run_failed
    from graphsiem.store import StoreError
    from ingest.journal import Journal
    from ingest.store_binding import StoreBinding, owned_problem

    try:
        store = _open_unbound(args.store, data)
    except (ValueError, StoreError) as exc:
        _abandon(locks)
        return open_failed("rebuild", exc)
    try:
        with Journal(paths.journal_path(data)) as journal:
            if store.name == "neo4j":
                holder = store.owner_state().holder()  # type: ignore[attr-defined]
                if holder is not None and holder.journal != journal.identity and not args.take_over:
                    _abandon(locks)
                    print(f"graphsiem rebuild: {owned_problem(store, holder, str(data))}", file=sys.stderr)
                    return 2
            # before the graph is emptied: an interrupted migration leaves the old graph, and the
            # same command again resumes it (ingest.journal_id_migration); kinds whose parser
            # changed are read again first, so the migration gives them their kinds' ids
            reparsed = _reparse(journal)
            migration = _recompute_ids(journal) if args.recompute_ids else None
            # the store of the new kind is recorded (its graph id once it is claimed): the
            # projection that follows checks it, empties nothing more and projects from 0
            journal.bind_store(StoreBinding(store.name).to_text(), 0)
            summary = _replay(journal, store)
    except StoreError as exc:
        # emptied part-way, or projected part-way: the graph is neither the old one nor the new
        # (a Neo4j emptying cut off is finished by the next projection: neo4j_clearing)
        return run_failed("rebuild", store, exc, "the graph is rebuilt only in part: run graphsiem rebuild again")
    finally:
        store.close()
    if args.json:
        extra = {} if migration is None else {"id_migration": migration.as_dict()}
        if reparsed.kinds:
            extra["reparsed"] = reparsed.as_dict()
        print(json.dumps({"store": store.name, **summary.as_dict(), **extra}, indent=2))
    else:
        print(f"rebuilt the graph in the {store.name} store from the journal of {data}: {summary.events} events, "
              f"{summary.entities} entities, {summary.relations} relations, {summary.sightings} sightings")
    return 0


def _recompute_ids(journal: Journal) -> IdMigration:
    """Run the id migration (:func:`ingest.journal_id_migration.recompute_ids`) and say on stderr what it did."""
    from ingest.journal_id_migration import recompute_ids

    def progress(state: IdMigration) -> None:
        if state.end >= 200_000:  # a long one: a line now and then
            print(f"graphsiem rebuild: recomputing ids: {state.upto:,} of {state.end:,} rows", file=sys.stderr)

    migration = recompute_ids(journal, on_batch=progress, batch_rows=20_000)
    if migration.rows_read == 0:
        print("graphsiem rebuild: no event ids to recompute (the journal holds no events from before content ids)",
              file=sys.stderr)
    else:
        resumed = f" (over {migration.runs} runs: resumed)" if migration.runs > 1 else ""
        print(f"graphsiem rebuild: recomputed event ids{resumed}: {migration.rows_read} rows read "
              f"({migration.unchanged} with this release's ids already), {migration.ids_changed} ids changed, {migration.duplicates_merged} duplicates merged "
              f"(the earliest kept, the others' ids kept as aliases; {migration.rows_before} rows before, "
              f"{migration.rows_before - migration.duplicates_merged} after), {migration.kept} kept as journaled "
              "(not read again by this release)", file=sys.stderr)
    return migration


def _reparse(journal: Journal) -> Reparse:
    """Read again the events of kinds whose parser changed (:mod:`ingest.journal_reparse`); say on stderr what changed."""
    from ingest.journal_reparse import reparse

    done = reparse(journal, batch_rows=20_000)
    if done.kinds:
        changed = ", ".join(f"{n} {label}" for label, n in sorted(done.changed.items())) or "none changed"
        print(f"graphsiem rebuild: read {done.rows_read} journaled events of {', '.join(done.kinds)} again with "
              f"this release's parsers: {changed} (ids kept; {done.kept} as they were)", file=sys.stderr)
    return done


def _abandon(locks: tuple[DataDirLock, ...]) -> None:
    for lock in locks:
        lock.abandon()


def _replay(journal: Journal, store: GraphStore) -> ProjectionSummary:
    """Empty ``store`` and project the whole journal into it (:func:`ingest.replay.replay`, claiming first).

    A Neo4j database is claimed for this journal *before* it is emptied
    (:meth:`~graphsiem.store.neo4j_writes.Neo4jWrites.empty_for`): another
    data directory's service that holds it (``--take-over``) has its next
    batch refused from that moment, instead of writing into the emptied
    graph (or making a mark of its own there) until its next catch-up.
    """
    from ingest.replay import project_pending, rebuild_ipmap, replay

    empty_for = getattr(store, "empty_for", None)
    if empty_for is None:
        return replay(journal, store)
    empty_for(journal.identity)
    ipmap = rebuild_ipmap(journal)
    journal.set_checkpoint(0)
    return project_pending(journal, store, ipmap=ipmap)


def _open_unbound(spec: str | None, data: Path) -> GraphStore:
    """The store ``spec`` names, opened without :func:`graphsiem.store.open_store`'s check against the journal.

    That check refuses a store of another kind than the recorded one, which is what this command changes.
    """
    from graphsiem.store import open_store

    if spec is None or spec == "embedded":
        from graphsiem.store.embedded import EmbeddedStore

        return EmbeddedStore(paths.graph_dir(data))
    if spec == "neo4j" or "://" in spec:
        from graphsiem.store.neo4j_store import Neo4jStore

        environ = dict(os.environ)
        if spec != "neo4j":
            environ["GRAPHSIEM_NEO4J_URI"] = spec
        return Neo4jStore.from_env(environ)
    return open_store(spec, data_dir=data)  # raises: an unknown spec
