"""``graphsiem simulate``: write a simulated fleet's telemetry and its ground truth."""

from __future__ import annotations

import argparse
import sys

from graphsiem.cli.not_applicable import refuse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``simulate`` sub-command."""
    parser = subparsers.add_parser(
        "simulate",
        help="generate fleet telemetry with ground truth",
        description="Write Sysmon/PowerShell/Security events (Winlogbeat 8 and NXLog JSON), "
        "Zeek logs (conn, dns, http, files, dhcp) and ground_truth.json for a simulated fleet. "
        "The last day is the detection window; one seed gives byte-identical output.",
    )
    parser.add_argument("--hosts", type=int, default=200, help="fleet size, at least 5 (default 200)")
    parser.add_argument("--days", type=int, default=3, help="days simulated (default 3)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--out", required=True, help="output directory (created; old output replaced)")
    parser.add_argument("--tsv", action="store_true", help="Zeek logs as TSV with headers instead of JSON")
    parser.add_argument("--start", default=None, help="ISO-8601 first midnight (default 2026-11-01T00:00:00Z)")
    parser.add_argument(
        "--scenario", action="append", dest="scenarios", metavar="NAME_OR_YAML",
        help="scenario to run (repeatable; bundled name or YAML path); default: all bundled ones",
    )
    parser.add_argument(
        "--add-scenario", action="append", dest="extra_scenarios", metavar="NAME_OR_YAML",
        help="scenario to run besides the default set or --scenario (repeatable), e.g. password_spray",
    )
    parser.add_argument("--density", type=float, default=1.0, help="background volume factor (default 1.0)")
    parser.add_argument("--nxlog-timezone", default="UTC", help="local zone of NXLog EventTime (default UTC)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    files = ("simulate writes telemetry files into --out, not into a data directory or a graph store; "
             "load them with `graphsiem ingest OUT/endpoint OUT/network --data DIR --store STORE`")
    refuse(parser, "--data", files)
    refuse(parser, "--store", files)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the simulation; exit 2 on a bad argument or scenario."""
    from graphsiem.simulator import DEFAULT_START, ScenarioError, simulate

    try:
        summary = simulate(
            args.out, hosts=args.hosts, days=args.days, seed=args.seed,
            start=args.start or DEFAULT_START, scenarios=args.scenarios, zeek_tsv=args.tsv,
            progress=not args.no_progress and sys.stderr.isatty(), density=args.density,
            nxlog_timezone=args.nxlog_timezone, extra_scenarios=args.extra_scenarios,
        )
    except (ScenarioError, ValueError) as exc:
        print(f"graphsiem simulate: {exc}", file=sys.stderr)
        return 2
    rate = summary.total_events / summary.seconds if summary.seconds else 0.0
    print(f"wrote {summary.total_events} events for {summary.hosts} hosts x {summary.days} days "
          f"({summary.start} .. {summary.end}) to {summary.out_dir} in {summary.seconds:.1f} s "
          f"({rate:,.0f} events/s)")
    for kind, count in summary.events.items():
        print(f"  {kind:<18} {count:>10}")
    print(f"ground truth: {summary.out_dir / 'ground_truth.json'}")
    return 0
