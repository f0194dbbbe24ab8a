"""``graphsiem evaluate --truth ground_truth.json --clusters clusters.json``."""

from __future__ import annotations

import argparse
import json
import sys

from graphsiem.cli.not_applicable import refuse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``evaluate`` sub-command."""
    parser = subparsers.add_parser(
        "evaluate",
        help="score a cluster ranking against a simulator's ground truth",
        description="Per-campaign rank, recall@5/@10, precision@5/@10, average precision and "
        "benign decoys in the top 10 (matching rule: docs/analytics.md); then, as equal risks are "
        "ordered by a tie-break, the expected seed rank and decoys in the top 10 under a random "
        "order of the ties, and the risk margin (lowest attack minus highest other row).",
    )
    parser.add_argument("--truth", required=True, help="ground_truth.json written by graphsiem simulate")
    parser.add_argument("--clusters", required=True, help="clusters JSON written by graphsiem detect --json")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")
    files = ("it reads two JSON files, --truth and --clusters, not a data directory or a graph store; "
             "write --clusters with `graphsiem detect --data DIR --store STORE --json FILE`")
    refuse(parser, "--data", files)
    refuse(parser, "--store", files)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the evaluation; 2 when an input cannot be read."""
    from analytics.evaluate import evaluate, load_truth, render

    try:
        truth = load_truth(args.truth)
        with open(args.clusters, encoding="utf-8") as fh:
            clusters = json.load(fh)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"graphsiem evaluate: cannot read inputs: {exc}", file=sys.stderr)
        return 2
    rows = clusters.get("clusters", []) if isinstance(clusters, dict) else clusters
    result = evaluate(rows, truth)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(render(result))
    return 0
