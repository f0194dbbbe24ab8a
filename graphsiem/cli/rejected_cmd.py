"""``graphsiem rejected``: list the records ingest could not accept, with the reason."""

from __future__ import annotations

import argparse
import json
import sys

from graphsiem import paths
from graphsiem.cli.arguments import DATA_HELP, at_least, data_dir_problem
from graphsiem.cli.not_applicable import JOURNAL_ONLY, refuse
from graphsiem.model import epoch_to_iso
from ingest.journal import Journal
from ingest.report import printable


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``rejected`` sub-command."""
    parser = subparsers.add_parser(
        "rejected", help="list rejected records kept by ingest (origin, format, reason)"
    )
    parser.add_argument("--limit", type=at_least(0), default=50, help="how many (default 50)")
    parser.add_argument("--offset", type=at_least(0), default=0, help="skip this many first")
    parser.add_argument("--data", default=None, help=DATA_HELP)
    refuse(parser, "--store", JOURNAL_ONLY)
    parser.add_argument("--json", action="store_true", help="print JSON on stdout")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print kept rejections, oldest first; 2 when the data directory does not exist."""
    problem = data_dir_problem(args.data)
    if problem is not None:
        print(f"graphsiem rejected: {problem}", file=sys.stderr)
        return 2
    with Journal(paths.journal_path(args.data)) as journal:
        rows = journal.rejected(limit=args.limit, offset=args.offset)
        total = journal.counts()["rejected"]
    if args.json:
        print(json.dumps({"total": total, "rejected": [
            {"origin": r.origin, "format": r.format, "reason": r.reason, "raw": r.raw,
             "at": epoch_to_iso(r.at)} for r in rows
        ]}, indent=2))
        return 0
    print(f"{total} rejected record(s) kept; showing {len(rows)} from {args.offset}")
    for r in rows:
        # repr() of the raw text: attacker-controlled bytes must not drive the terminal
        print(f"{printable(r.origin)}\t[{printable(r.format)}]\t{printable(r.reason)}\n    {r.raw[:160]!r}")
    return 0
