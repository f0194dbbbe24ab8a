"""``graphsiem events --host NAME``: a host's journaled events, newest first (its timeline).

The same read as ``GET /v1/entities/host/{name}/events`` (:mod:`ingest.journal_host_events`),
from the journal alone: no graph store is opened, so it answers while the store is down.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from datetime import datetime

from pydantic import TypeAdapter, ValidationError

from graphsiem import paths
from graphsiem.cli.arguments import DATA_HELP, at_least, data_dir_problem
from graphsiem.cli.not_applicable import JOURNAL_ONLY, refuse
from graphsiem.event_summary import summarize
from graphsiem.model import epoch_to_iso
from ingest.journal import Journal
from ingest.journal_host_events import (
    KINDS_MAX,
    LIMIT_MAX,
    HostFilter,
    has_events,
    host_events,
    parse_cursor,
)
from ingest.journal_sid_names import named_account, sid_names
from ingest.normalize_hosts import normalize_host
from ingest.report import printable

_QUERY_TIME = TypeAdapter(datetime)
"""How FastAPI reads the API's ``since``/``until`` query values: the CLI reads its options the same way."""

LIMIT_DEFAULT = 100
"""Events one call lists when ``--limit`` is not given."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``events`` sub-command."""
    parser = subparsers.add_parser("events", help="a host's journaled events, newest first (its timeline)")
    parser.add_argument("--host", required=True, help="the host, as written anywhere (normalised as ingest does)")
    parser.add_argument("--limit", type=at_least(1), default=LIMIT_DEFAULT,
                        help=f"how many (default {LIMIT_DEFAULT}, at most {LIMIT_MAX})")
    parser.add_argument("--before", default=None, help="a previous listing's next cursor: older events")
    parser.add_argument("--since", default=None,
                        help="only events at or after this ISO-8601 time (event time); zone required")
    parser.add_argument("--until", default=None,
                        help="only events at or before this ISO-8601 time (event time); zone required")
    parser.add_argument("--kind", action="append", default=None,
                        help=f"only this kind (repeat, at most {KINDS_MAX})")
    parser.add_argument("--data", default=None, help=DATA_HELP)
    refuse(parser, "--store", JOURNAL_ONLY)
    parser.add_argument("--json", action="store_true", help="print JSON on stdout (the API's answer)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the host's newest events; 1 when the journal holds none of it, 2 on a bad argument or data directory."""
    problem = data_dir_problem(args.data)
    host = normalize_host(args.host)
    if problem is None and not host:
        problem = f"{args.host!r} is no host name"
    if problem is None and len(args.kind or ()) > KINDS_MAX:
        problem = f"at most {KINDS_MAX} --kind"
    try:
        before = parse_cursor(args.before) if args.before is not None else None
    except ValueError as exc:
        problem = problem or f"--before: {exc}"
    try:
        since, until = query_epoch("since", args.since), query_epoch("until", args.until)
    except ValueError as exc:
        problem, since, until = problem or str(exc), None, None
    if problem is None and since is not None and until is not None and until < since:
        problem = "--until is before --since: no event can match"
    if problem is not None or not host:
        print(f"graphsiem events: {printable(problem or '')}", file=sys.stderr)
        return 2
    with Journal(paths.journal_path(args.data)) as journal:
        found = host_events(journal.connection, host, limit=min(args.limit, LIMIT_MAX), before=before,
                            where=HostFilter(since=since, until=until, kinds=tuple(args.kind or ())))
        known = found.total > 0 or has_events(journal.connection, host)
        # a task principal given as a SID reads as the account the journal's logons named (ingest.journal_sid_names)
        accounts = sid_names(journal.connection, (event.fields.get("user.name") for event in found.events))
    if not known:
        print(f"graphsiem events: the journal holds no event of host {printable(host)!r}", file=sys.stderr)
        return 1
    cursor = found.next_cursor.text() if found.next_cursor else None
    if args.json:
        print(json.dumps({"host": host, "total": found.total, "total_capped": found.total_capped,
                          "next_before": cursor, "items": [
                              {"id": e.id, "ts": epoch_to_iso(e.ts), "kind": e.kind, "source": e.source,
                               "origin": e.origin, "summary": summarize(named_account(e.fields, accounts)),
                               "tied": "ip_map" if e.id in found.mapped_ids else "reported"}
                              for e in found.events]},
                         indent=2))
        return 0
    total = f"more than {found.total}" if found.total_capped else str(found.total)
    print(f"{host}: {len(found.events)} of {total} event(s), newest first")
    for event in found.events:
        # summaries have their control characters replaced; kind and origin come from records too
        # a sensor's row naming no host, tied to this one by its address at the time (ingest.journal_mapped_events)
        mark = " (by IP map)" if event.id in found.mapped_ids else ""
        print(f"{epoch_to_iso(event.ts)}  {printable(event.kind)}{mark}  {summarize(named_account(event.fields, accounts)) or '-'}"
              f"\n    {printable(event.source)} {printable(event.origin)}  id {event.id}")
    if cursor:
        print(f"older: {older_command(args, host, cursor)}")
    return 0


def query_epoch(name: str, text: str | None) -> float | None:
    """Epoch seconds of ``--since``/``--until``, read as the API reads its ``since``/``until``.

    The same parser (pydantic's ``datetime``: ISO-8601, or epoch seconds) and the same rule: a time
    without a zone is refused, since it would be read in this machine's zone.

    Raises
    ------
    ValueError
        Naming the option and the reason.

    Examples
    --------
    >>> query_epoch("since", "2026-09-21T14:13:20Z")
    1790000000.0
    >>> query_epoch("since", "2026-09-21T14:13:20")
    Traceback (most recent call last):
    ...
    ValueError: --since needs a time zone (e.g. 2026-11-20T09:00:00Z or +02:00)
    """
    if text is None:
        return None
    try:
        value = _QUERY_TIME.validate_python(text)
    except ValidationError as exc:
        raise ValueError(f"--{name}: {exc.errors()[0]['msg']} (got {text[:64]!r})") from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"--{name} needs a time zone (e.g. 2026-11-20T09:00:00Z or +02:00)")
    return value.timestamp()


def older_command(args: argparse.Namespace, host: str, cursor: str) -> str:
    """The command that lists the next, older page: this one's arguments with ``--before cursor``.

    It repeats ``--data`` and ``--limit`` when they were given (a command that loses them reads
    another data directory or pages differently), quoted for a POSIX shell: a host name, a kind
    and a path come from records or the user and may hold spaces, quotes or ``;``.  Control
    characters are escaped (shown, never obeyed by the terminal).

    Parameters
    ----------
    args : argparse.Namespace
        This call's arguments (``data``, ``limit``, ``kind``).
    host : str
        The host, normalised.
    cursor : str
        The listing's next cursor.

    Returns
    -------
    str
        The command line, ready to paste.

    Examples
    --------
    >>> older_command(argparse.Namespace(data="/srv/my data", limit=2, kind=["a b", "a b"]), "pc-1", "17.5:9")
    "graphsiem events --host pc-1 --data '/srv/my data' --limit 2 --kind 'a b' --before 17.5:9"
    """
    words = ["graphsiem", "events", "--host", host]
    if args.data is not None:
        words += ["--data", str(args.data)]
    if args.limit != LIMIT_DEFAULT:
        words += ["--limit", str(args.limit)]
    for kind in dict.fromkeys(args.kind or ()):
        words += ["--kind", kind]
    for option in ("since", "until"):
        if getattr(args, option, None) is not None:
            words += [f"--{option}", getattr(args, option)]
    return printable(shlex.join([*words, "--before", cursor]))
