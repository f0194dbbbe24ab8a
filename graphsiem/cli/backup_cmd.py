"""``graphsiem backup DEST [--data DIR]``: a consistent copy of a data directory, while it is in use.

``serve`` and ingests go on while it runs (see :mod:`graphsiem.cli.backup_copy`
for how each file is copied).  DEST must be new or empty and outside the data
directory.  A restore is a copy back: with the service stopped, ``cp -a DEST``
to a new or empty data directory (or serve DEST itself with ``--data DEST``);
a directory projected into Neo4j is copied with its checkpoint at 0: the next
ingest or ``serve`` projects its whole journal into a new or empty database,
``graphsiem rebuild --store neo4j`` into one that holds a graph.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from pathlib import Path

from graphsiem import paths
from graphsiem.cli.arguments import DATA_HELP, DATA_MARKS, STATE_MARKS, data_dir_problem
from graphsiem.cli.not_applicable import refuse
from graphsiem.store.base import StoreError

NEO4J_RESTORE = ("its graph is in Neo4j, not in the data directory: the copy's journal is marked to be projected "
                 "whole (checkpoint 0), which the next `graphsiem ingest` or `serve` on the restored directory does "
                 "into a new or empty database; into a database that holds a graph (the one it came from), run "
                 "`graphsiem rebuild --store neo4j --data DIR` (it empties it first)")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``backup`` sub-command."""
    parser = subparsers.add_parser(
        "backup",
        help="copy a data directory consistently while serve or an ingest runs (restore: copy it back)",
        description="Copy the data directory into DEST (new or empty, outside it) while it is in use: its SQLite "
        "databases with SQLite's online backup, the embedded graph's snapshot as saved last. Restore: stop "
        "the service and copy DEST back (cp -a) into a new or empty data directory.",
    )
    parser.add_argument("destination", metavar="DEST", help="a new or empty directory outside the data directory")
    parser.add_argument("--data", default=None, help=DATA_HELP)
    refuse(parser, "--store", "a backup copies the data directory; a Neo4j database is not in it (after a "
           "restore, `graphsiem rebuild --store neo4j` projects the journal into one)")
    parser.add_argument("--json", action="store_true", help="print what was copied as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Back up; 2 when there is nothing to back up or DEST is refused; 1 while a rebuild holds the directory
    or when a file cannot be read as one copy."""
    from graphsiem.cli.backup_copy import back_up, destination_problem
    from graphsiem.data_dir_lock import writer_lock

    problem = data_dir_problem(args.data, DATA_MARKS + STATE_MARKS)
    data = paths.data_dir(args.data, create=False)
    destination = Path(args.destination).expanduser().absolute()
    if problem is None:
        problem = destination_problem(data, destination)
    if problem is not None:
        print(f"graphsiem backup: {problem}", file=sys.stderr)
        return 2
    lock = writer_lock("backup", data)  # shared, as an ingest's: a rebuild cannot empty the graph meanwhile
    if lock is None:
        return 1
    try:
        report = back_up(data, destination)
    except (sqlite3.Error, StoreError) as exc:
        # a database or graph file that cannot be read as one (a hot journal a read-only
        # connection cannot roll back, a damaged file): one line, and DEST is not a backup
        print(f"graphsiem backup: cannot copy {data}: {exc}; {destination} is not a backup (remove it)",
              file=sys.stderr)
        return 1
    finally:
        lock.release()
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print(f"backed up {data} into {destination}: {len(report.files)} files, {report.size:,} bytes "
              f"in {report.seconds:.1f} s")
        for copied in report.files:
            print(f"  {copied.name}\t{copied.size:,} bytes\t({copied.how})")
    if report.projected_later and report.store == "embedded":
        print(f"graphsiem backup: the graph copied holds events up to {report.checkpoint}; the "
              f"{report.projected_later} projected after it was read are projected into the copy by the next "
              "`graphsiem ingest` or `serve` on it", file=sys.stderr)
    if report.store == "neo4j":
        print(f"graphsiem backup: {NEO4J_RESTORE}", file=sys.stderr)
    if report.webhook_alerts:
        print(f"graphsiem backup: {report.webhook_alerts} webhook alert(s) were waiting in the outbox; the service "
              "goes on sending them, so a directory restored from this copy sends them again, under the same "
              "X-GraphSIEM-Delivery and marked X-GraphSIEM-Possible-Duplicate: backup", file=sys.stderr)
    return 0
