"""``graphsiem detect [PATH...]``: ingest (optionally), detect, print ranked clusters."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphsiem import paths
from graphsiem.cli.arguments import at_least, data_dir_problem
from graphsiem.cli.detect_empty import empty_detection_lines, read_empty_detection
from graphsiem.cli.detect_triage import (
    carried_verdicts_note,
    refused_verdicts_note,
    service_ids,
    suppression_outcome,
    suppressions_note,
    triage_suppressed_members,
    triage_suppressions,
)
from ingest.report import printable

if TYPE_CHECKING:
    from analytics.config import DetectionConfig
    from graphsiem.api.state import StateStore
    from graphsiem.data_dir_lock import DataDirLock
    from ingest.write_failure import JournalWriteError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``detect`` sub-command."""
    parser = subparsers.add_parser(
        "detect",
        help="detect fan-out clusters and print them ranked by risk",
        description="Ingest the given paths (if any), then find fan-out clusters in the graph, "
        "score them (risk 0-100) and print them ranked, with their explanations.",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or directories to ingest first")
    parser.add_argument("--json", metavar="FILE", help="write the cluster contract as JSON to FILE ('-' = stdout)")
    parser.add_argument(
        "--top", type=at_least(1), default=10, help="clusters to print, at least 1 (default 10; --json writes all)"
    )
    parser.add_argument("--store", default=None, help="graph store: embedded (default) or neo4j")
    parser.add_argument("--data", default=None, help="data directory (default $GRAPHSIEM_DATA or ./.graphsiem)")
    parser.add_argument("--config", metavar="FILE", help="detection settings (YAML or JSON), e.g. tuned in a notebook")
    parser.add_argument(
        "--now",
        metavar="TIME",
        help="end of the detection window, ISO-8601 with a zone (e.g. 2026-11-02T00:00:00Z); nothing "
        "first seen after it is read, so a backtest sees what was known then (default: the newest data)",
    )
    parser.add_argument(
        "--baseline",
        choices=("host-count", "new-terms"),
        help="rank with a naive baseline instead of the scorer (for comparison)",
    )
    parser.add_argument(
        "--no-suppressions",
        action="store_true",
        help="ignore the pivots analysts suppressed in the service (benign verdicts in <data>/state.sqlite), "
        "which are applied by default, as the service applies them",
    )
    parser.add_argument(
        "--internal-network", action="append", default=[], metavar="CIDR",
        help="an organisation's own network on public space, internal for this run (repeatable; beside "
        "RFC 1918, CGN, ULA and $GRAPHSIEM_INTERNAL_NETWORKS): a download from it is no new external address",
    )
    parser.add_argument("--quiet", action="store_true", help="print no table (with --json FILE)")
    parser.set_defaults(func=run)


def unwritable_reason(target: str) -> str | None:
    """Why ``--json FILE`` could not be written, checked before a detection runs; ``None`` when it can."""
    path = Path(target)
    if path.is_dir():
        return "is a directory"
    if path.exists():
        return None if os.access(path, os.W_OK) else "permission denied"
    folder = path.parent
    if not folder.is_dir():
        return f"no such directory: {folder}"
    return None if os.access(folder, os.W_OK | os.X_OK) else f"directory not writable: {folder}"


def candidate_history(data: Path) -> StateStore | None:
    """The service state of ``data``, where detections keep their candidates for the next one to
    be scored against (:mod:`analytics.candidate_history`); ``None``, said on stderr, when it cannot
    be opened (a read-only data directory): the detection then scores against its own candidates."""
    from graphsiem.api.state import StateStore

    try:
        return StateStore(paths.state_path(data))
    except (OSError, sqlite3.Error) as exc:
        print(f"graphsiem detect: no candidate history ({printable(str(exc))}): risks are scored "
              "among this run's candidates only", file=sys.stderr)
        return None


def run(args: argparse.Namespace) -> int:
    """Run the command; 0 on success, 2 on bad arguments or input."""
    from analytics.config import ConfigError, DetectionConfig
    from analytics.instants import instant_to_epoch
    from graphsiem.data_dir_lock import writer_lock
    from graphsiem.internal_networks import (
        internal_networks_from_environment,
        parse_internal_networks,
    )

    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        # Escaped as the ingest report escapes paths: a file name can carry terminal escapes.
        shown = ", ".join(printable(p) for p in missing)
        print(f"graphsiem detect: no such file or directory: {shown}", file=sys.stderr)
        return 2
    try:
        config = DetectionConfig.load(args.config) if args.config else DetectionConfig()
    except (OSError, ConfigError) as exc:
        print(f"graphsiem detect: bad --config: {exc}", file=sys.stderr)
        return 2
    try:  # the environment's networks are read by ingest and detection: a bad one is refused before either
        internal_networks_from_environment()
        declared = parse_internal_networks(args.internal_network, origin="--internal-network")
    except ValueError as exc:
        print(f"graphsiem detect: {printable(str(exc))}", file=sys.stderr)
        return 2
    config = dataclasses.replace(config, internal_networks=(*config.internal_networks, *map(str, declared)))
    try:
        now = instant_to_epoch(args.now) if args.now is not None else None
    except ValueError as exc:
        print(f"graphsiem detect: bad --now: {printable(str(exc))}", file=sys.stderr)
        return 2
    if args.json and args.json != "-":
        # Checked first: a detection can take minutes, and its result would be lost at the write.
        reason = unwritable_reason(args.json)
        if reason:
            print(f"graphsiem detect: cannot write --json {printable(args.json)}: {reason}", file=sys.stderr)
            return 2
    if not args.paths and args.store in (None, "embedded"):
        problem = data_dir_problem(args.data)  # with PATHs, the ingest makes it
        if problem is not None:
            print(f"graphsiem detect: {problem}", file=sys.stderr)
            return 2
    # with PATHs, made by the writers' lock, which removes it again when the store is refused
    data = paths.data_dir(args.data, create=not args.paths)
    try:
        suppressed = triage_suppressions(data)
    except sqlite3.Error as exc:
        if not args.no_suppressions:  # detecting without them would show what analysts closed as benign
            print(f"graphsiem detect: cannot read the triage suppressions in {printable(str(data))}: {exc} "
                  "(--no-suppressions to detect without them)", file=sys.stderr)
            return 2
        suppressed = frozenset()
    if args.no_suppressions:
        note = suppressions_note(len(suppressed), ignored=True)
        if note:
            print(note, file=sys.stderr)
        suppressed = frozenset()
    else:  # what they removed is said once the detection has run (_detect_locked)
        config = dataclasses.replace(config, suppressed=config.suppressed | suppressed,
                                     suppressed_members={**config.suppressed_members, **triage_suppressed_members(data)})
    if args.paths:
        from ingest.disk_floor import floor_from_environment

        try:
            floor_from_environment(data)  # a bad floor setting is refused before reading
        except ValueError as exc:
            print(f"graphsiem detect: {exc}", file=sys.stderr)
            return 2
    writers = None
    if args.paths:
        # It ingests first, so it is a writer like `graphsiem ingest`: refused while a rebuild
        # empties and replays the graph (graphsiem.data_dir_lock), whose replay would lose our batches
        writers = writer_lock("detect", data)
        if writers is None:
            return 2
    try:
        return _detect_locked(args, data, config, now, writers, suppressed)
    finally:
        if writers is not None:
            writers.release()


def _ingest_failed(args: argparse.Namespace, failure: JournalWriteError) -> int:
    """Ingesting the PATHs stopped at a refused write (a full disk, the free-space floor): 73 or 74.

    The batches committed before are journaled; no detection runs, since it
    would rank clusters over part of the input as if it were the whole.
    """
    from graphsiem.cli import storage_problem, storage_status

    print(f"graphsiem detect: {storage_problem(failure, args.data)}; {failure.records} records of the batch "
          "being written were not journaled and nothing was detected; run it again once the disk has room "
          "(nothing is journaled twice)", file=sys.stderr)
    return storage_status(failure)


def _detect_locked(
    args: argparse.Namespace, data: Path, config: DetectionConfig, now: float | None, writers: DataDirLock | None,
    triage: frozenset[tuple[str, str]],
) -> int:
    """:func:`run` once the ``triage`` suppressions are applied and, with PATHs, the ``writers`` lock is held."""
    from analytics.baselines import run_baseline
    from analytics.candidate_history import CandidateHistory, for_backtest, rules_change_note
    from analytics.detect import detect
    from graphsiem.cli.graph_behind import behind_warning, graph_pending
    from graphsiem.cli.store_failures import open_failed, run_failed
    from graphsiem.store import StoreError, open_store
    from ingest.disk_floor import FloorGuardedJournal, floor_from_environment
    from ingest.projection_version import older_projection_warning, rebuild_advised
    from ingest.write_failure import JournalWriteError

    try:
        # Only reads unless it ingests PATHs first: a data directory projected into another
        # store is refused, naming it, before anything is made (ingest.store_binding).
        store = open_store(args.store, data_dir=data, reading=not args.paths)
    except (ValueError, StoreError) as exc:
        if writers is not None:  # refused before anything was written: no lock file left behind (task G5)
            writers.abandon()
        return open_failed("detect", exc)  # 1: cannot be opened; 2: bound to another store
    history = None if args.baseline else candidate_history(data)
    source: CandidateHistory | None = history
    if history is not None and now is not None:
        # --now is a backtest: it reads the history but keeps and backfills nothing, so the
        # next ordinary detection's risks do not depend on it (review RV4)
        source, config = for_backtest(history, config)
    try:
        # ingesting PATHs first stops at the free-space floor, as `graphsiem ingest` does
        with FloorGuardedJournal(paths.journal_path(data), floor=floor_from_environment(data)) as journal:
            if args.paths:
                from graphsiem.internal_networks import declared_internal_networks
                from ingest.pipeline import ingest_paths

                try:
                    # the run's networks are in force for its own input too: a name beside a declared
                    # address is a fleet host at ingest, as `graphsiem ingest --internal-network` reads it
                    with declared_internal_networks(config.internal_networks):
                        report = ingest_paths(args.paths, store=store, journal=journal, progress=False)
                except JournalWriteError as failure:
                    return _ingest_failed(args, failure)
                print(report.render(), file=sys.stderr)
            pending = graph_pending(store, journal)
            if pending:
                print(behind_warning("detect", pending, str(data)), file=sys.stderr)
            # a graph projected by an older release lacks what the analytics read now (review RV7, finding 1)
            projection_version = journal.projection_version()
            rebuild = rebuild_advised(projection_version)
            if rebuild and projection_version is not None:
                print(older_projection_warning("detect", projection_version, store.name), file=sys.stderr)
            if args.baseline:
                result = run_baseline(store, args.baseline, config=config, now=now)
            else:
                result = detect(store, config=config, now=now, journal=journal, history=source)
            # an empty detection says what its window held and when each host reported (review T9, F8)
            empty = read_empty_detection(store, result, config, now) if not result.clusters else None
            result.stats["graph_pending"] = pending
            result.stats["graph_projection_version"] = projection_version
            result.stats["graph_rebuild_advised"] = rebuild
    except StoreError as exc:  # the store stopped answering mid-run: one line, not a traceback
        return run_failed("detect", store, exc, "nothing was detected; run it again once the store answers")
    finally:
        store.close()
        if history is not None:
            history.close()
    rules_changed = rules_change_note(result.stats)
    if rules_changed:  # on stderr, as the suppressions note: said with --quiet and --json - too (review RV7)
        print(f"graphsiem detect: {rules_changed}", file=sys.stderr)
    contract = result.to_contract()
    contract["clusters"] = _service_ids(data, contract["clusters"])
    note = _applied_note(args, triage, result.stats, contract["clusters"])
    if note:  # on stderr, said with --quiet and --json - too
        print(note, file=sys.stderr)
    carried = carried_verdicts_note(result.stats.get("verdicts_carried") or [])
    if carried:  # a carry hides a cluster on a weaker ground than a verdict given: said as the suppressions are
        print(f"graphsiem detect: {carried}", file=sys.stderr)
    refused = refused_verdicts_note(result.stats.get("verdicts_refused") or [])
    if refused:  # the new build's signer stopped a carry: its cluster is shown, and why
        print(f"graphsiem detect: {refused}", file=sys.stderr)
    if args.json == "-":
        json.dump(contract, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    if args.json:
        try:
            Path(args.json).write_text(json.dumps(contract, indent=2), encoding="utf-8")
        except OSError as exc:  # changed since the check, or a full disk
            print(f"graphsiem detect: cannot write --json {printable(args.json)}: {exc.strerror or exc}", file=sys.stderr)
            return 2
    if not args.quiet:
        print(render_table(contract["clusters"], top=args.top, duration_s=result.duration_s))
        for line in empty_detection_lines(result.stats, config, now=now, empty=empty,
                                          clusters=bool(contract["clusters"])):
            print(line)
    return 0


def _service_ids(data: Path, clusters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``clusters`` under the ids the service gives them (:func:`graphsiem.cli.detect_triage.service_ids`);
    under their pivots' ids, said on stderr, when the stored episodes cannot be read."""
    try:
        return service_ids(data, clusters)
    except sqlite3.Error as exc:
        print(f"graphsiem detect: cannot read the stored behaviour episodes in {printable(str(data))} ({exc}): "
              "behaviour clusters keep their pivots' ids, which the service may give an episode on other hosts",
              file=sys.stderr)
        return clusters


def _applied_note(args: argparse.Namespace, triage: frozenset[tuple[str, str]], stats: dict[str, Any],
                  clusters: list[dict[str, Any]]) -> str:
    """What the ``triage`` suppressions did in this run: only those that removed a cluster are counted."""
    if not triage:
        return ""
    if args.baseline:
        return suppressions_note(len(triage), removed=None)
    removed, shown = suppression_outcome(triage, stats.get("suppressions_applied", []), clusters)
    return suppressions_note(len(triage), removed=removed, shown=shown,
                             other_source=len(stats.get("source_verdicts_reopened") or ()))


_DIGEST_KINDS = {32: "md5", 40: "sha1", 64: "sha256"}


def _digest_note(entity: dict, key: dict | None) -> str:
    """`` · sha256 16b7846f…`` for a file keyed by its digest: its value is only its path, so
    the installed driver and the same driver's hash node would print as one line twice."""
    digest = str(key["key"]) if key and key.get("type") == "file" else ""
    kind = _DIGEST_KINDS.get(len(digest))
    if kind is None or digest == entity["value"] or not all(ch in "0123456789abcdef" for ch in digest):
        return ""
    return f" · {kind} {digest[:16]}…"


def render_table(clusters: list[dict], *, top: int, duration_s: float) -> str:
    """Ranked table (rank, risk, hosts, summary) then the top clusters' explanations.

    Values are printed as text; control characters an attacker may have put in
    a command line are escaped so they cannot drive the terminal.
    """
    lines = [f"{len(clusters)} clusters in {duration_s:.1f} s", "", f"{'rank':>4} {'risk':>5} {'hosts':>5}  summary"]
    for rank, c in enumerate(clusters[:top], start=1):
        lines.append(f"{rank:>4} {c['score']:>5.1f} {len(c['hosts']):>5}  {printable(c['explanation']['summary'])}")
    for rank, c in enumerate(clusters[:top], start=1):
        lines += ["", f"#{rank} risk {c['score']:.1f}  cluster {c['id']}  {c['first_seen']} .. {c['last_seen']}"]
        lines.append(f"  hosts: {printable(', '.join(c['hosts'][:8]))}{' ...' if len(c['hosts']) > 8 else ''}")
        keys = c.get("entity_keys") or [None] * len(c["entities"])
        for e, key in list(zip(c["entities"], keys, strict=False))[:8]:
            lines.append(f"  {e['type']:>8}: {printable(e['value'][:120])}{_digest_note(e, key)}")
        if c.get("credential"):  # a spray, brute force or success after failures: its attempts
            from analytics.credential_words import record_lines

            lines += [printable(line) for line in record_lines(c["credential"])]
        if c.get("antivirus"):  # a threat's detections: what was found where, what the products did, on which hosts
            from analytics.antivirus_finding_words import record_lines as antivirus_lines

            lines += [printable(line) for line in antivirus_lines(c["antivirus"])]
        drivers = [f for f in c["explanation"]["features"] if f["contribution"] > 0]
        for f in drivers:
            lines.append(
                f"  + {f['name']} = {f['value']:g} (fleet baseline {f['baseline']:g}, contribution {f['contribution']:+.2f})"
            )
        for n, step in enumerate(c["explanation"].get("checks", []), start=1):
            lines.append(f"  check {n}: {printable(step['check'])}")
            lines.append(f"     benign if: {printable(step['benign_if'])}")
        if c["evidence"]:
            refs = ", ".join(f"{r['source']}:{r['event_id']}" for r in c["evidence"][:3])
            lines.append(f"  evidence: {printable(refs)}{' ...' if len(c['evidence']) > 3 else ''}")
    return "\n".join(lines)

