"""``graphsiem stats [--store SPEC]``: what the graph holds, by type, and the hosts whose clock is off a sensor's.

The clock gaps are those the journal keeps (:mod:`ingest.journal_clock_gaps`): one line each after
the table, and ``clock_gaps`` in ``--json`` when there is any."""

from __future__ import annotations

import argparse
import json
import sys

from graphsiem.cli.arguments import DATA_HELP, data_dir_problem


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``stats`` sub-command."""
    parser = subparsers.add_parser(
        "stats",
        help="print the graph summary: entities, relations and sightings by type",
        description="Count entities and relations by type, and host x entity sightings, "
        "in the graph store.",
    )
    parser.add_argument("--store", default=None,
                        help="graph store: embedded (default), neo4j, or a bolt:// URI")
    parser.add_argument("--data", default=None, help=DATA_HELP)
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")
    parser.set_defaults(func=run)


def render(counts: dict[str, dict[str, int]], store_name: str) -> str:
    """The counts as an aligned text table.

    Examples
    --------
    >>> print(render({"entities": {"host": 2}, "relations": {}, "sightings": {"total": 0}}, "x"))
    graph store: x
    entities             2
      host               2
    relations            0
    sightings            0
    """
    lines = [f"graph store: {store_name}"]
    for section in ("entities", "relations"):
        by_type = counts.get(section, {})
        lines.append(f"{section:<14}{sum(by_type.values()):>8}")
        lines.extend(f"  {name:<12}{n:>8}" for name, n in by_type.items())
    lines.append(f"{'sightings':<14}{counts.get('sightings', {}).get('total', 0):>8}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Print the summary; 2 when the data directory does not exist or its graph is in another store
    (:mod:`ingest.store_binding`); 1 when the store cannot be opened (refused credentials, a server
    that does not answer); 75 when it stops answering before the counts are read."""
    from graphsiem import paths
    from graphsiem.cli.store_failures import open_failed, run_failed
    from graphsiem.store import StoreError, open_store
    from ingest.journal_clock_gaps import clock_gaps_in_file
    from ingest.projection_version import older_projection_advice

    problem = data_dir_problem(args.data) if args.store in (None, "embedded") else None
    if problem is not None:
        print(f"graphsiem stats: {problem}", file=sys.stderr)
        return 2
    try:
        # reading: a data directory projected into another store is refused, naming it (not "0 entities")
        store = open_store(args.store, data_dir=args.data, reading=True)
    except (ValueError, StoreError) as exc:
        return open_failed("stats", exc)
    try:
        counts = store.counts()
    except StoreError as exc:
        return run_failed("stats", store, exc, "nothing was counted")
    finally:
        store.close()
    # a graph projected by an older release lacks what the analytics read now (review RV7, finding 1)
    journal = paths.data_dir(args.data, create=False) / "journal.sqlite"
    older = older_projection_advice("stats", journal, store.name)
    if older is not None:
        print(older, file=sys.stderr)
    # hosts whose clock the latest ingest found off a sensor's (ingest.journal_clock_gaps): a warning
    gaps = clock_gaps_in_file(journal)
    if args.json:
        # the key only when a gap is kept: the counts' shape is unchanged for every other journal
        print(json.dumps({**counts, "clock_gaps": gaps} if gaps else counts, indent=2, sort_keys=True))
    else:
        print(render(counts, store.name))
        for gap in gaps:
            print(gap["note"])
    return 0
