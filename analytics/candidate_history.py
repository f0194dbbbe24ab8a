"""Earlier windows' candidate clusters: a reference for the scorer that does not hang on one day.

The isolation forest scores a cluster by how rare it is *among the rows it was
fitted on*.  Fitted on one run's candidates alone, the same attack scores 50
on a quiet day (one candidate has nothing to be unusual against) and shifts
with whatever else a busy day produced.  A detection given a
:class:`CandidateHistory` (the data directory's state database,
:class:`graphsiem.api.state.StateStore`) therefore

1. reads the scored feature rows of the candidates of the windows that ended
   in the ``history_days`` before its own started (:func:`earlier_candidates`;
   a window overlapping this one shares its events, it is no earlier one): one row
   per cluster, the newest, none of a cluster it scores today and none of its
   own window (so a re-run does not count itself), at most
   ``history_max_rows``;
2. fits the forest on those rows plus today's, and scores today's;
3. keeps today's rows under its window (:func:`remember_candidates`),
   replacing an earlier run's over the same window.

Rows are kept per *candidate rules* (:func:`candidate_rules`: the settings that
decide which clusters become candidates, and the scored feature names), so a
notebook's run with other thresholds, or a release that scores other features,
neither feeds nor reads the reference of the default runs.  A window whose
fleet has no baseline (the store's first day: everything is "new" and every
first contact falls at the data's start) keeps no rows: its candidates measure
the data's start, not the fleet.

With no earlier rows (a first run, a notebook on a fresh store) the scorer is
fitted on today's candidates only, exactly as without a history.  A store with
days of data and no earlier runs is seeded by :func:`backfill`: backtests of
the earlier windows, whose candidates are kept as a run over them would have.

A change of rules (an upgrade whose rules text differs, review RV7; a changed
configuration) looks like a first run to its rules: the backfill starts the
history afresh, and says so (stat ``history_rules_changed``, one INFO log line,
one line of ``graphsiem detect``: :func:`rules_change_note`), as the risks of
that run are fitted on backtests, not on what the service kept.  Rows of every
rules text are kept :data:`RETAIN_DAYS` and then dropped, but the previous rules'
rows are *not* dropped at the change: a configuration switched back (a rollback,
a toggled setting) finds its history again within that time, and what they cost
is bounded by the retention.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any, Protocol

import numpy as np

from analytics.config import DetectionConfig
from analytics.entity_stats import Window
from analytics.features import SCORED_FEATURES
from analytics.history import fleet_has_history
from analytics.incidence import Incidence
from graphsiem.internal_networks import fleet_networks

__all__ = ["CandidateHistory", "backfill", "candidate_rules", "declared_networks", "earlier_candidates",
           "reference_rows", "remember_candidates", "rules_change_note"]

log = logging.getLogger("analytics.candidate_history")

DAY_S = 86400.0
RETAIN_DAYS = 14.0
"""Days of candidate windows (of any rules) the state keeps behind the newest one a run keeps.

Not ``history_days`` alone: a notebook run with a shorter lookback must not erase the
rows the service reads.  A service detecting every 15 minutes with ~50 candidates a
run keeps about 14 * 96 * 50 rows (some 50 MB); one detecting daily a few hundred."""


class CandidateHistory(Protocol):
    """Where candidate rows are kept (implemented by :class:`graphsiem.api.state.StateStore`)."""

    def replace_candidate_rows(
        self, rules: str, window: tuple[float, float], run_id: str, rows: Sequence[tuple[str, dict[str, float]]],
        *, forget_before: float | None = None,
    ) -> None: ...

    def candidate_window_count(self, rules: str, *, since: float, until: float) -> int: ...

    def candidate_windows_of_other_rules(self, rules: str, *, since: float, until: float) -> int: ...

    def candidate_rows(
        self, rules: str, *, since: float, until: float, exclude: tuple[float, float], limit: int
    ) -> list[tuple[str, float, dict[str, float]]]: ...


class ReadOnlyHistory:
    """A candidate history read as it stands and never written: what a backtest is given.

    A backtest (a window ending at a past ``now``) that kept its rows, or backfilled
    the windows before it, would change the risks of the next ordinary detection
    for the same data (review RV4: one cluster 42.1 -> 35.5 after one backtest):
    whether someone backtested must not decide today's scores.  Pair it with
    ``history_backfill=False`` (:func:`for_backtest`).

    Parameters
    ----------
    history : CandidateHistory
        Where the rows are kept.
    """

    def __init__(self, history: CandidateHistory) -> None:
        self._history = history

    def replace_candidate_rows(
        self, rules: str, window: tuple[float, float], run_id: str, rows: Sequence[tuple[str, dict[str, float]]],
        *, forget_before: float | None = None,
    ) -> None:
        """Keep nothing."""

    def candidate_window_count(self, rules: str, *, since: float, until: float) -> int:
        """The windows kept in ``[since, until]``, as the wrapped history counts them."""
        return self._history.candidate_window_count(rules, since=since, until=until)

    def candidate_windows_of_other_rules(self, rules: str, *, since: float, until: float) -> int:
        """The windows other rules kept in ``[since, until]``, as the wrapped history counts them."""
        return self._history.candidate_windows_of_other_rules(rules, since=since, until=until)

    def candidate_rows(
        self, rules: str, *, since: float, until: float, exclude: tuple[float, float], limit: int
    ) -> list[tuple[str, float, dict[str, float]]]:
        """The wrapped history's rows."""
        return self._history.candidate_rows(rules, since=since, until=until, exclude=exclude, limit=limit)


def for_backtest(history: CandidateHistory, config: DetectionConfig) -> tuple[ReadOnlyHistory, DetectionConfig]:
    """The history and configuration a backtest runs with: it reads the rows, keeps none, backfills nothing.

    Examples
    --------
    >>> from analytics.config import DetectionConfig
    >>> source, config = for_backtest(object(), DetectionConfig())  # type: ignore[arg-type]
    >>> type(source).__name__, config.history_backfill
    ('ReadOnlyHistory', False)
    """
    return ReadOnlyHistory(history), replace(config, history_backfill=False)


class _Scored(Protocol):
    """What is kept of a scored cluster (:class:`analytics.result.Cluster`)."""

    id: str
    features: dict[str, Any]


def candidate_rules(config: DetectionConfig) -> str:
    """The settings that decide which clusters become candidates, and the scored features, as text.

    Rows kept under other rules are not the same population: a reference fitted
    on them would compare today's candidates with clusters today's rules would
    not have made.  ``suppressed`` is left out: triage grows it every day, and a
    suppressed cluster is still an ordinary one to compare with.

    Examples
    --------
    >>> candidate_rules(DetectionConfig()) == candidate_rules(DetectionConfig(evidence_top=3))
    True
    >>> candidate_rules(DetectionConfig()) == candidate_rules(DetectionConfig(min_hosts=4))
    False
    >>> candidate_rules(DetectionConfig()) == candidate_rules(DetectionConfig(behaviour_pivots=False))
    False
    >>> candidate_rules(DetectionConfig()) == candidate_rules(DetectionConfig(internal_networks=("198.51.100.0/24",)))
    False
    """
    rules: dict[str, Any] = {
        name: getattr(config, name)
        for name in ("min_hosts", "window_hours", "max_fraction", "min_coverage", "min_overlap",
                     "dedupe_overlap", "cooccurrence_minutes", "new_pivots_only", "young_hours",
                     "behaviour_pivots")
    }
    rules["features"] = list(SCORED_FEATURES)
    networks = declared_networks(config)
    if networks:  # none declared: the rules text of every release before, so no history starts afresh
        rules["internal_networks"] = networks
    return json.dumps(rules, sort_keys=True)


def declared_networks(config: DetectionConfig) -> list[str]:
    """The networks a run with ``config`` judges internal beside the defaults, sorted: the
    environment's or the service's (:func:`graphsiem.internal_networks.fleet_networks`) and the
    run's own (``config.internal_networks``, ``--internal-network``).

    Part of the candidate rules: a declared network changes what is "external" (a download
    from it is from the organisation's own server), so the features of candidates kept under
    other networks are another population.  Read the same inside a run (whose networks are
    already in force) and outside it (a notebook reading the history back).

    Examples
    --------
    >>> declared_networks(DetectionConfig(internal_networks=("198.51.100.0/24", "10.20.0.0/16")))
    ['10.20.0.0/16', '198.51.100.0/24']
    """
    return sorted({*(str(network) for network in fleet_networks().declared), *config.internal_networks})


def _lookback(config: DetectionConfig, window: Window) -> tuple[float, float]:
    """Window ends whose candidates are the reference: ``(window.start - history_days, window.start]``.

    Relative to the window, not to the clock, so a backtest reads what was known then.
    Only windows that ended by this one's start: an overlapping window (a run a few
    hours earlier, a backtest half a day back) shares this window's events, so its
    candidates are partly today's clusters, not an earlier reference."""
    return window.start - config.history_days * DAY_S, window.start


def earlier_candidates(
    history: CandidateHistory, config: DetectionConfig, window: Window, today: Iterable[str]
) -> np.ndarray:
    """Scored feature rows of earlier windows' candidates, one per cluster, none of ``today``'s.

    Parameters
    ----------
    history : CandidateHistory
    config : DetectionConfig
        ``history_days`` and ``history_max_rows`` bound what is read.
    window : Window
        This run's window: its own rows (a re-run's) are left out.
    today : iterable of str
        Ids of the clusters this run scores: their earlier rows are the same
        clusters seen before, not the reference they are compared with.

    Returns
    -------
    ndarray of shape (n_rows, len(SCORED_FEATURES))
        Newest windows first; no rows when the history holds none.
    """
    shape = (0, len(SCORED_FEATURES))
    if config.history_days <= 0 or config.history_max_rows <= 0:
        return np.empty(shape)
    since, until = _lookback(config, window)
    skip = set(today)
    rows = history.candidate_rows(candidate_rules(config), since=since, until=until,
                                  exclude=(window.start, window.end), limit=config.history_max_rows + len(skip))
    kept = [[float(features[name]) for name in SCORED_FEATURES]
            for cluster_id, _end, features in rows if cluster_id not in skip]
    return np.asarray(kept[: config.history_max_rows], dtype=np.float64).reshape(-1, len(SCORED_FEATURES))


def reference_rows(today: np.ndarray, earlier: np.ndarray | None) -> np.ndarray:
    """The rows the scorer is fitted on: the earlier windows' candidates plus today's.

    Today's stay in: without a history they are the whole reference (as before
    there was one), and with a thin one they keep it from being a handful of rows.
    What they still move (several of one day's outliers share the isolation: they
    mask each other a little) shrinks as the history grows.

    Examples
    --------
    >>> reference_rows(np.zeros((3, 2)), np.ones((25, 2))).shape
    (28, 2)
    >>> reference_rows(np.zeros((3, 2)), None).shape
    (3, 2)
    """
    if earlier is None or not len(earlier):
        return today
    return np.vstack([earlier, today])


def remember_candidates(
    history: CandidateHistory, config: DetectionConfig, window: Window, clusters: Sequence[_Scored],
    *, run_id: str | None = None,
) -> None:
    """Keep ``clusters``' scored feature rows as ``window``'s candidates (replacing a re-run's).

    Windows of any rules that ended :data:`RETAIN_DAYS` (or ``history_days``, if
    longer) or more before this one are dropped, so the state does not grow without
    bound, nor keeps the rows of rules no run uses any more.  The caller keeps nothing for a window whose fleet has no baseline (module
    docstring).
    """
    rows = [(c.id, {name: float(c.features[name]) for name in SCORED_FEATURES}) for c in clusters]
    history.replace_candidate_rows(candidate_rules(config), (window.start, window.end),
                                   run_id or secrets.token_hex(8), rows,
                                   forget_before=window.end - max(config.history_days, RETAIN_DAYS) * DAY_S)


Backtest = Callable[[float], tuple[bool, Sequence[_Scored], tuple[float, float] | None]]
"""Detect the window ending at the given time: (its fleet has a baseline, its candidates, its (start, end))."""


def backfill(
    history: CandidateHistory, config: DetectionConfig, window: Window, backtest: Backtest,
    incidence: Incidence,
) -> dict[str, float]:
    """Seed an empty history with backtests of the windows before ``window``.

    Only when ``history_backfill`` is on and no run kept a window ending in the
    lookback under these rules (a store with days of data and no earlier
    detections, or a change of rules).  Windows end ``window_hours`` apart going
    back from this one's start, up to ``history_days``, and it stops at the first whose fleet has no baseline
    (earlier ones have less data still).  Whether an earlier window has one is
    told from this run's ``incidence`` (its hosts' earliest sightings) before
    it is detected, so a store of one or two days pays nothing for it.

    When no run under these rules kept a window ending in the lookback or since,
    but runs under other rules did, the rules changed (an upgrade, a changed
    configuration): that is logged, at INFO, with how many windows were
    backfilled (:func:`rules_change_note`), by the first run under the new rules only.

    Returns
    -------
    dict
        ``history_backfilled`` (windows kept) and ``history_backfill_s`` (seconds),
        for the run's stats, and ``history_rules_changed`` (windows kept under other
        rules in the lookback or since) after a change of rules; empty when nothing was done.
    """
    if config.history_days <= 0 or config.history_max_rows <= 0:
        return {}
    rules = candidate_rules(config)
    since, until = _lookback(config, window)
    if history.candidate_window_count(rules, since=since, until=until):
        return {}
    stats: dict[str, float] = {}
    other_rules = 0
    # Up to this window's end, not the lookback's: a run under these rules minutes ago (its
    # window overlaps this one, so it is no reference) already said the rules changed, and a
    # run under the previous rules minutes ago is the service that ran before the upgrade.
    if not history.candidate_window_count(rules, since=since, until=window.end):
        other_rules = history.candidate_windows_of_other_rules(rules, since=since, until=window.end)
    if other_rules:
        stats["history_rules_changed"] = other_rules
    if config.history_backfill:
        stats.update(_backtest_earlier_windows(history, config, window, backtest, incidence))
    if other_rules:
        log.info("%s", rules_change_note(stats))
    return stats


def _backtest_earlier_windows(
    history: CandidateHistory, config: DetectionConfig, window: Window, backtest: Backtest, incidence: Incidence,
) -> dict[str, float]:
    """:func:`backfill`'s backtests: keep the windows before ``window`` that have a baseline."""
    started = time.perf_counter()
    step = config.window_hours * 3600.0
    kept = 0
    for k in range(int(config.history_days * DAY_S // step)):
        end = window.start - k * step  # windows that ended by this one's start (_lookback)
        if not fleet_has_history(incidence, end - step):
            break
        has_baseline, clusters, earlier = backtest(end)
        if not has_baseline or earlier is None:
            break
        remember_candidates(history, config, Window(*earlier), clusters, run_id=f"backfill-{secrets.token_hex(6)}")
        kept += 1
    return {"history_backfilled": kept, "history_backfill_s": time.perf_counter() - started}


def rules_change_note(stats: dict[str, Any]) -> str:
    """What a detection says when it found no history under its candidate rules but some under
    others (empty otherwise): its scoring history was started afresh.

    Examples
    --------
    >>> rules_change_note({"history_rules_changed": 3, "history_backfilled": 2})
    'candidate rules changed (an upgrade or a changed configuration): scoring history started afresh under the new rules, 2 earlier windows backfilled; the 3 windows kept under the previous rules are not read (dropped once 14 days old)'
    >>> rules_change_note({"history_rules_changed": 1, "history_backfilled": 0})
    'candidate rules changed (an upgrade or a changed configuration): scoring history started afresh under the new rules, no earlier window backfilled; the window kept under the previous rules is not read (dropped once 14 days old)'
    >>> rules_change_note({"history_rules_changed": 1})
    'candidate rules changed (an upgrade or a changed configuration): no scoring history under the new rules (no backfill); the window kept under the previous rules is not read (dropped once 14 days old)'
    >>> rules_change_note({"history_backfilled": 2})
    ''
    """
    other = int(stats.get("history_rules_changed") or 0)
    if not other:
        return ""
    if "history_backfilled" in stats:
        kept = int(stats["history_backfilled"])
        fresh = "scoring history started afresh under the new rules, " + (
            f"{kept} earlier window{'' if kept == 1 else 's'} backfilled" if kept else "no earlier window backfilled")
    else:  # history_backfill off (a backtest): nothing kept for the earlier windows
        fresh = "no scoring history under the new rules (no backfill)"
    previous = "the window kept under the previous rules is" if other == 1 else (
        f"the {other} windows kept under the previous rules are")
    return (f"candidate rules changed (an upgrade or a changed configuration): {fresh}; {previous} not read "
            f"(dropped once {RETAIN_DAYS:g} days old)")
