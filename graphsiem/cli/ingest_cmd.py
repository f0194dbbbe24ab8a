"""``graphsiem ingest PATH...``: ingest files and directories (``-``: standard input) into the journal and the graph.

``-`` reads standard input as one more source (``zcat eve.json.gz | graphsiem
ingest -``), detected per record as a file is, gzip included.  A terminal on
standard input is refused rather than read: its line discipline cuts a line
past 4,095 bytes (a Windows record is often longer), so pasted records would
be journaled damaged, and a prompt-less wait looks like a hang.

A pipe that trickles (``tail -F eve.json | graphsiem ingest -``) has its
records journaled once a batch has waited ``--flush-seconds`` (1 s), not
only every 5,000 records and at its end, and its graph settled once journaled
events have waited ``--settle-seconds`` (default 60 for the embedded store,
whose settle saves the whole graph file, 5 for Neo4j): ``graphsiem detect``
and the API then see them while the pipe stays open.

SIGINT (Ctrl-C) and SIGTERM stop the reading: the records parsed so far are
journaled and projected, the report is printed marked as interrupted (and
``"interrupted": true`` in ``--json``), and the exit status is 130 or 143 (128
plus the signal).  A second signal quits at once, without the report, as a
crash would: a batch whose commit it cuts off is rolled back as a whole by
SQLite, and an ingest of the same input again journals what is missing (the
same records get the same ids, so nothing is journaled twice).

A graph store that fails or does not answer (Neo4j down) does not end the
ingest: the records go on being journaled, one line on standard error names
the store and its error (and one more when it answers again), and a live
pipe's next settle, a period later, brings the graph up to the journal.  If
the store still does not take the graph at the end, the report says how many
journaled events it is behind (``"graph_pending"`` in ``--json``) and the exit
status is 75 (``EX_TEMPFAIL``): run ``graphsiem ingest`` again once the store is
back (the same input journals nothing twice) to project them.

``--internal-network CIDR`` (repeatable) declares the organisation's own
networks for this ingest, beside ``GRAPHSIEM_INTERNAL_NETWORKS``, as ``graphsiem
detect --internal-network`` does for a detection: the parsers then read a
device's host name beside such an address as a fleet machine's, which the IP map
learns (:mod:`graphsiem.internal_networks`).  Checked as detect checks it (no
network wider than a /8; one of public address space is named at start).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from graphsiem import paths
from graphsiem.cli import EXIT_GRAPH_BEHIND
from graphsiem.data_dir_lock import DataDirLock, writer_lock
from graphsiem.internal_networks import (
    declared_internal_networks,
    internal_networks_from_environment,
    parse_internal_networks,
)
from ingest.disk_floor import FloorGuardedJournal, floor_from_environment
from ingest.parsers.base import FIRST_YEAR, LAST_YEAR, UnknownFormatError, timezone_problem
from ingest.pipeline import FLUSH_SECONDS, SETTLE_SECONDS, StopRequest, ingest_paths
from ingest.pipeline_inputs import path_text
from ingest.readers.files import NO_READER, STDIN, STDIN_NAME, default_readers
from ingest.realm_domains import realm_domains_from_environment
from ingest.registry import ParserRegistry, default_registry
from ingest.report import printable
from ingest.write_failure import STORAGE_ERRORS, JournalWriteError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``ingest`` sub-command."""
    parser = subparsers.add_parser(
        "ingest",
        help="ingest telemetry files or directories",
        description="Read files and directories (recursively, gzip or not) or standard input "
        "('-'), journal every accepted event durably, keep rejected records with their reason, "
        "and project the journal into the graph store.",
    )
    parser.add_argument(
        "paths", nargs="+", metavar="PATH",
        help="files or directories; '-' reads standard input once (a file named '-' is './-')",
    )
    parser.add_argument(
        "--source-name",
        default=None,
        metavar="NAME",
        help=f"the name standard input goes by in the report, rejections and the journal "
        f"(default {STDIN_NAME}), e.g. the upstream file's name; a Zeek log name in it "
        "(conn.log) tells the log of records that do not say theirs",
    )
    parser.add_argument(
        "--format",
        default="auto",
        help="'auto' (detect per file and record, the default) or a parser name: "
        + ", ".join(default_registry().names),
    )
    parser.add_argument("--store", default=None, help="graph store: embedded (default) or neo4j")
    parser.add_argument("--data", default=None, help="data directory (default $GRAPHSIEM_DATA or ./.graphsiem)")
    parser.add_argument(
        "--timezone",
        default=None,
        help="IANA zone for zone-less timestamps (default UTC); a CSV export's 'X [Local Time]' columns "
        "are read only when it is given (their rows are rejected otherwise)",
    )
    parser.add_argument(
        "--year",
        type=int,
        default=None,
        metavar="YYYY",
        help="year of timestamps written without one (RFC 3164 syslog), e.g. the year of an "
        "archived file; default: the most recent such date not more than a day ahead of now",
    )
    parser.add_argument(
        "--flush-seconds",
        type=float,
        default=FLUSH_SECONDS,
        metavar="SECONDS",
        help=f"when standard input is a pipe that trickles (tail -F eve.json | ...), journal the "
        f"records read once they have waited this long (default {FLUSH_SECONDS:g}); 0: only every "
        "5,000 records and at the end",
    )
    parser.add_argument(
        "--settle-seconds",
        type=float,
        default=None,
        metavar="SECONDS",
        help="when standard input is a pipe, bring the graph up to the journal (detect and the API see "
        "the records) once journaled records have waited this long (default "
        f"{SETTLE_SECONDS['embedded']:g} for the embedded store, which saves its whole graph file each "
        f"time, {SETTLE_SECONDS['neo4j']:g} for neo4j); 0: only at the end",
    )
    parser.add_argument(
        "--internal-network", action="append", default=[], metavar="CIDR",
        help="an organisation's own network on public space, internal for this ingest (repeatable; beside "
        "RFC 1918, CGN, ULA and $GRAPHSIEM_INTERNAL_NETWORKS): a device's host name beside an address in it "
        "is a fleet machine's, which the IP map learns; give detect the same networks",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Ingest ``args.paths``; exit 0 when every record was accepted, 1 when some were rejected
    or a path named here was not read for its content (binary: no reader takes it), and 1
    too when the store refuses the credentials (one line on standard error names it).

    Exit 2, before anything is read, for a missing path, an unknown format,
    time zone or store, a year outside 1970-2099, a negative ``--flush-seconds``
    or ``--settle-seconds``, or a data
    directory that ``graphsiem rebuild`` holds (refused, not waited for: see
    :mod:`graphsiem.data_dir_lock`); 75
    (:data:`~graphsiem.cli.EXIT_GRAPH_BEHIND`) when the records are journaled
    but the store did not take their graph by the end; 130 or 143 when SIGINT
    or SIGTERM stopped it (see the module docstring); 73
    (:data:`~graphsiem.cli.EXIT_CANNOT_CREATE`) when the data directory cannot
    be made or written, 74 (:data:`~graphsiem.cli.EXIT_IO_ERROR`) when the disk
    filled during the ingest: the report then counts the batches journaled
    before, and standard error names the path, the reason and the records not journaled.
    """

    problem = _stdin_problem(args)
    if problem is not None:
        print(f"graphsiem ingest: {problem}", file=sys.stderr)
        return 2
    missing = [p for p in args.paths if p != STDIN and not _exists(p)]
    if missing:
        # A path is attacker-namable (a dangling symlink in a dropped folder):
        # shown with its control characters escaped, never obeyed by the terminal.
        shown = ", ".join(printable(p) for p in missing)
        print(f"graphsiem ingest: no such file or directory: {shown}", file=sys.stderr)
        return 2
    registry = default_registry()
    if args.format != "auto":
        try:
            registry.get(args.format)
        except UnknownFormatError as exc:
            print(f"graphsiem ingest: {exc}", file=sys.stderr)
            return 2
    problem = _option_problem(args)
    if problem is not None:
        print(f"graphsiem ingest: {problem}", file=sys.stderr)
        return 2
    try:  # checked and warned about as detect's (graphsiem.internal_networks): wider than a /8, public space
        declared = parse_internal_networks(args.internal_network, origin="--internal-network")
    except ValueError as exc:
        print(f"graphsiem ingest: {printable(str(exc))}", file=sys.stderr)
        return 2
    # made by the lock, which removes it again when the store is refused (see _ingest_locked)
    data = paths.data_dir(args.data, create=False)
    # shared with other ingests and beside a service; refused while a rebuild empties and
    # replays the graph (graphsiem.data_dir_lock): a batch of ours in between would be lost to it
    lock = writer_lock("ingest", data)
    if lock is None:
        return 2
    try:
        # the parsers ask fleet_networks() (ingest.normalize_ip.is_internal), in this thread: the
        # declared networks join the environment's for this ingest, as detect's do for its run
        with declared_internal_networks(declared):
            return _ingest_locked(args, data, registry, lock)
    finally:
        lock.release()


def _ingest_locked(args: argparse.Namespace, data: Path, registry: ParserRegistry, lock: DataDirLock) -> int:
    """:func:`run` once the arguments are checked and the writers' ``lock`` of ``data`` is held."""
    from graphsiem.cli.store_failures import open_failed
    from graphsiem.store import StoreError, open_store

    reported: BaseException | None = None
    with StopRequest() as stop, _stop_on_signals(stop), _driver_retries_quiet():
        try:
            store = open_store(args.store, data_dir=data)
        except (ValueError, StoreError) as exc:
            # refused before anything was written (a Neo4j database holding another data
            # directory's graph, see ingest.store_binding): the directory is left as it was,
            # without the lock file (and the directory) this run made for it (task G5)
            lock.abandon()
            return open_failed("ingest", exc)  # 1: refused credentials; 2: bound to another store
        try:
            # below the free-space floor a batch is refused as on a full disk (ingest.disk_floor):
            # a bulk ingest beside a running service must not take the disk the service writes to
            floor = floor_from_environment(data)
            with FloorGuardedJournal(paths.journal_path(data), floor=floor) as journal:
                report = ingest_paths(
                    args.paths,
                    store=store,
                    journal=journal,
                    registry=registry,
                    format=args.format,
                    # no --timezone: zone-less times are UTC, but local-time CSV columns are not
                    # guessed (ingest.readers.csv_times), so the readers are told whether one was given
                    default_timezone=args.timezone or "UTC",
                    readers=default_readers(local_timezone=args.timezone),
                    reference_year=args.year,
                    progress=False if args.no_progress else None,
                    stdin=sys.stdin.buffer if STDIN in args.paths else None,
                    stdin_name=args.source_name or STDIN_NAME,
                    flush_seconds=args.flush_seconds or None,
                    settle_seconds=args.settle_seconds,
                    stop=stop,
                )
        except JournalWriteError as exc:
            return _write_failed(args, exc)
        except STORAGE_ERRORS as exc:
            # not the journal's (that is JournalWriteError): the graph store's files
            reported = exc
            return _graph_write_failed(args, exc)
        finally:
            try:
                store.close()
            except STORAGE_ERRORS:
                if reported is None:  # the close's save failing again says nothing new
                    raise
    signum = stop.signum
    if args.json:
        print(json.dumps({**report.to_dict(), "interrupted": signum is not None}, indent=2))
    else:
        print(report.render())
        if signum is not None:
            print(f"interrupted by {_signal_name(signum)}: reading stopped; the records counted above are journaled")
    if signum is not None:
        return _signal_status(signum)
    if report.graph_pending:
        return EXIT_GRAPH_BEHIND  # before 1: the graph needs another ingest, rejected records do not
    # A path named on the command line that no reader takes (binary) was asked for and not
    # read: said on stderr and in the status, not only as "skipped" in the table (review R2,
    # item 5).  One found in a walked directory stays a skip, as a PNG among logs is.
    unread = [name for name in _named_inputs(args) if report.files.get(name) and report.files[name].skipped == NO_READER]
    for name in unread:
        print(f"graphsiem ingest: {name} not read: {NO_READER}", file=sys.stderr)
    return 1 if report.total.rejected or unread else 0


def _write_failed(args: argparse.Namespace, failure: JournalWriteError) -> int:
    """The disk refused a batch: report what was journaled before, one line on stderr; 73 or 74.

    The report counts the committed batches only (received = accepted +
    rejected); the failed batch's records are named apart, not journaled, and
    an ingest of the same input once there is room journals them (and
    nothing twice).  The graph is not projected: the next ingest or ``serve``
    catches it up from the journal.
    """
    from graphsiem.cli import storage_problem, storage_status

    report = failure.report
    if report is not None:
        if args.json:
            print(json.dumps({**report.to_dict(), "interrupted": False, "failed": {
                "path": str(failure.path), "reason": failure.reason, "not_journaled": failure.records,
            }}, indent=2))
        else:
            print(report.render())
            print(f"stopped by a failed write: {failure.records} records read after the counts above "
                  "were not journaled")
    print(f"graphsiem ingest: {storage_problem(failure, args.data)}; {failure.records} records of the "
          "batch being written were not journaled (the counts above are); ingest the same input again "
          "once the disk has room (nothing is journaled twice)", file=sys.stderr)
    return storage_status(failure)


def _graph_write_failed(args: argparse.Namespace, exc: BaseException) -> int:
    """The graph store's files could not be written (the embedded graph's save): one line; 73 or 74.

    The journal committed every batch before (a journal write that fails is a
    :class:`~ingest.write_failure.JournalWriteError`): the next ``graphsiem
    ingest`` or ``serve`` that can write the graph projects them from it.
    """
    from graphsiem.cli import storage_problem, storage_status

    print(f"graphsiem ingest: {storage_problem(exc, args.data)}; the graph was not saved, the records "
          "journaled are kept: once it can be written, any ingest (the same input journals nothing "
          "twice) or graphsiem serve brings the graph up to the journal", file=sys.stderr)
    return storage_status(exc)


def _named_inputs(args: argparse.Namespace) -> list[str]:
    """The report's names of the paths given on the command line (``-`` as its source name)."""
    return [args.source_name or STDIN_NAME if item == STDIN else path_text(Path(item)) for item in args.paths]


@contextlib.contextmanager
def _stop_on_signals(stop: StopRequest) -> Iterator[None]:
    """SIGINT and SIGTERM set ``stop`` (the ingest ends its reading and reports); a second one quits.

    Handlers can be set from the main thread only (a caller of :func:`run` on
    another thread keeps Python's defaults).  The first signal only records
    the request (:class:`~ingest.pipeline.StopRequest`) and says so on
    standard error, by ``os.write``, which cannot meet a print in progress.
    The second ends the process at once (``os._exit``, status 128 plus the
    first signal), running no more code: what is on disk is then what a
    crash leaves, which both keep whole, the journal (an SQLite transaction
    not committed is rolled back when it is next opened) and the embedded
    store (a snapshot is renamed into place whole, beside the journal seq it
    holds).  A ``KeyboardInterrupt`` instead would run the ``finally``
    blocks half-way through a batch's projection, and the store's close
    would save that half.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        name = _signal_name(signum)
        if stop.is_requested:
            with contextlib.suppress(OSError):
                os.write(2, (
                    f"graphsiem ingest: {name} again: quit at once; the journal keeps the batches committed "
                    "before (ingest the same input again to journal the rest)\n").encode())
            os._exit(_signal_status(stop.signum or signum))
        stop.set(signum)
        with contextlib.suppress(OSError):
            os.write(2, (
                f"graphsiem ingest: {name}: stopping; journaling the records read so far "
                f"({name} again to quit at once)\n").encode())

    saved = {number: signal.signal(number, handler) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, previous in saved.items():
            signal.signal(number, previous)


@contextlib.contextmanager
def _driver_retries_quiet() -> Iterator[None]:
    """The Neo4j driver's warnings kept off standard error while the ingest runs (its errors still show).

    The driver warns at each attempt of a transaction it retries, a line or two
    a second while the server is down; the ingest says once that the store does
    not take the graph, with the driver's last error, and once when it does
    again (:mod:`ingest.pipeline_projection`).
    """
    driver_log = logging.getLogger("neo4j")
    level = driver_log.level
    driver_log.setLevel(max(level, logging.ERROR))
    try:
        yield
    finally:
        driver_log.setLevel(level)


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def _signal_status(signum: int) -> int:
    """The exit status of a command stopped by ``signum``, as a shell reports one killed by it."""
    return 128 + int(signum)


def _stdin_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with ``-`` or ``--source-name``, checked before anything is read.

    ``-`` twice (a stream is read once), ``--source-name`` without ``-``, or
    standard input closed or a terminal (see the module docstring).
    """
    named = args.paths.count(STDIN)
    if named > 1:
        return f"standard input ('-') is named {named} times; it can be read only once"
    if args.source_name is not None and not named:
        return "--source-name names standard input: give '-' among the paths"
    if args.source_name == "":
        return "--source-name is empty"
    if not named:
        return None
    if sys.stdin is None or sys.stdin.closed:
        return "standard input ('-') is closed"
    if sys.stdin.isatty():
        return (
            "standard input ('-') is a terminal; pipe records in (zcat eve.json.gz | graphsiem "
            "ingest -) or redirect a file (graphsiem ingest - < eve.json)"
        )
    return None


def _option_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with ``--timezone``, ``--year``, ``--flush-seconds``, ``--settle-seconds``,
    ``GRAPHSIEM_REALM_DOMAINS``, ``GRAPHSIEM_INTERNAL_NETWORKS`` or the free-space floor's variables,
    checked before any record is read.

    A bad zone would otherwise reject every zone-less record, one by one, as
    if the records were at fault.
    """
    problem = None if args.timezone is None else timezone_problem(args.timezone)
    if problem is not None:
        return f"--timezone: {problem}"
    if args.year is not None and not FIRST_YEAR <= args.year <= LAST_YEAR:
        return f"--year {args.year} is outside {FIRST_YEAR}-{LAST_YEAR}, the event times accepted"
    if not (math.isfinite(args.flush_seconds) and args.flush_seconds >= 0):
        return f"--flush-seconds {args.flush_seconds:g}: give a number of seconds, or 0 to turn it off"
    settle = args.settle_seconds
    if settle is not None and not (math.isfinite(settle) and settle >= 0):
        return f"--settle-seconds {settle:g}: give a number of seconds, or 0 to turn it off"
    try:
        # the projector reads it once records are journaled: a bad map would end the ingest there
        realm_domains_from_environment()
        internal_networks_from_environment()  # the parsers read it (ingest.normalize_ip.is_internal)
        floor_from_environment(Path("."))
    except ValueError as exc:
        return str(exc)
    return None


def _exists(path: str) -> bool:
    from pathlib import Path

    return Path(path).exists()
