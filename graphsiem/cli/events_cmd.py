"""``graphsiem events --host NAME``: a host's journaled events, newest first (its timeline).

The same read as ``GET /v1/entities/host/{name}/events`` (:mod:`ingest.journal_host_events`),
from the journal alone: no graph store is opened, so it answers while the store is down.
"""

from __future__ import annotations

import argparse
import json
import sys

from graphsiem import paths
from graphsiem.cli.arguments import DATA_HELP, at_least, data_dir_problem
from graphsiem.event_summary import summarize
from graphsiem.model import epoch_to_iso
from ingest.journal import Journal
from ingest.journal_host_events import KINDS_MAX, HostFilter, has_events, host_events, parse_cursor
from ingest.normalize_hosts import normalize_host
from ingest.report import printable

LIMIT_MAX = 1000
"""Events one call lists at most, as the API's page."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``events`` sub-command."""
    parser = subparsers.add_parser("events", help="a host's journaled events, newest first (its timeline)")
    parser.add_argument("--host", required=True, help="the host, as written anywhere (normalised as ingest does)")
    parser.add_argument("--limit", type=at_least(1), default=100, help=f"how many (default 100, at most {LIMIT_MAX})")
    parser.add_argument("--before", default=None, help="a previous listing's next cursor: older events")
    parser.add_argument("--kind", action="append", default=None,
                        help=f"only this kind (repeat, at most {KINDS_MAX})")
    parser.add_argument("--data", default=None, help=DATA_HELP)
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
    if problem is not None or not host:
        print(f"graphsiem events: {printable(problem or '')}", file=sys.stderr)
        return 2
    with Journal(paths.journal_path(args.data)) as journal:
        found = host_events(journal.connection, host, limit=min(args.limit, LIMIT_MAX), before=before,
                            where=HostFilter(kinds=tuple(args.kind or ())))
        known = found.total > 0 or has_events(journal.connection, host)
    if not known:
        print(f"graphsiem events: the journal holds no event of host {printable(host)!r}", file=sys.stderr)
        return 1
    cursor = found.next_cursor.text() if found.next_cursor else None
    if args.json:
        print(json.dumps({"host": host, "total": found.total, "total_capped": found.total_capped,
                          "next_before": cursor, "items": [
                              {"id": e.id, "ts": epoch_to_iso(e.ts), "kind": e.kind, "source": e.source,
                               "origin": e.origin, "summary": summarize(e.fields)} for e in found.events]},
                         indent=2))
        return 0
    total = f"more than {found.total}" if found.total_capped else str(found.total)
    print(f"{host}: {len(found.events)} of {total} event(s), newest first")
    for event in found.events:
        # summaries have their control characters replaced; kind and origin come from records too
        print(f"{epoch_to_iso(event.ts)}  {printable(event.kind)}  {summarize(event.fields) or '-'}"
              f"\n    {printable(event.source)} {printable(event.origin)}  id {event.id}")
    if cursor:
        kinds = "".join(f" --kind {printable(kind)}" for kind in dict.fromkeys(args.kind or ()))
        print(f"older: graphsiem events --host {host}{kinds} --before {cursor}")
    return 0
