"""Detection runs: on request and on a schedule, one at a time, recorded in state.

A run calls :func:`analytics.detect.detect` with the suppressed pivots, stores
each cluster's contract dict (plus its pivot and member keys) as the active
snapshot, counts metrics and hands new or grown clusters to the webhook.  Every
run starts from the service's detection settings (``GRAPHSIEM_DETECTION_CONFIG``,
read once at start: :mod:`graphsiem.api.detection_settings`), and its record
names the file and its digest.  A
run may be given ``now`` (a backtest: the window ends there and nothing first
seen later is read, as ``graphsiem detect --now`` does).  A backtest's clusters
are kept under its run id (``GET /v1/detections/{id}/clusters``) and do not
replace the active queue, unless an admin asks for that (``activate``): one
analyst's look at the past must not empty everyone's queue.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from graphsiem.api.context import AppContext
from graphsiem.api.detection_settings import read_detection_config
from graphsiem.api.errors import NotFound, Unprocessable
from graphsiem.api.schemas import DetectionOut
from graphsiem.api.state import DetectionRun
from graphsiem.api.state_detection_windows import save_window, windows_of
from graphsiem.api.state_verdicts import get_backtest, save_backtest, suppressed_members
from graphsiem.model import epoch_to_iso

log = logging.getLogger("graphsiem.api.detections")


def _ts(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    from datetime import datetime

    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def snapshot(cluster: Any) -> dict[str, Any]:
    """The stored form of an analytics ``Cluster``: its contract plus member keys and epochs."""
    data = dict(cluster.to_contract())
    pivot = cluster.pivot
    data["pivot"] = {"type": str(pivot.type), "key": str(pivot.key), "value": str(pivot.value)}
    data["members"] = [{"type": str(e.type), "key": str(e.key), "value": str(e.value)}
                       for e in cluster.entities]
    data["first_seen_ts"] = _ts(cluster.first_seen)
    data["last_seen_ts"] = _ts(cluster.last_seen)
    return data


def parse_now(value: str | None) -> float | None:
    """The epoch seconds of a run's ``now`` (ISO-8601 with a zone), ``None`` when not given.

    Raises
    ------
    Unprocessable
        ``now`` is not ISO-8601, has no zone, or is out of range; the message says which.
    """
    if value is None:
        return None
    from analytics.instants import instant_to_epoch

    try:
        return instant_to_epoch(value)
    except (ValueError, OverflowError, OSError) as exc:
        raise Unprocessable(str(exc), field="now") from None


def _webhook_alerts(ctx: AppContext, run_id: str) -> Any:
    """What :meth:`StateStore.save_clusters` runs in its transaction: the run's alerts, or nothing."""
    webhook = ctx.webhook
    if webhook is None:
        return None
    return lambda db, pairs: webhook.stage(db, pairs, detection_id=run_id)


def to_out(run: DetectionRun, window: dict[str, Any] | None = None) -> DetectionOut:
    """The API form of ``run``, with the window it read (:func:`window_summary`) when it kept one."""
    return DetectionOut(
        id=run.id, status=run.status, trigger=run.trigger,
        requested_at=epoch_to_iso(run.requested_at) or "", requested_by=run.requested_by,
        started_at=epoch_to_iso(run.started_at), finished_at=epoch_to_iso(run.finished_at),
        duration_s=run.duration_s, cluster_count=run.cluster_count, error=run.error,
        **{name: value for name, value in (window or {}).items() if name in DetectionOut.model_fields},
    )


def runs_out(ctx: AppContext, runs: list[DetectionRun]) -> list[DetectionOut]:
    """The API form of ``runs``, each with the window it kept (one read for all)."""
    windows = windows_of(ctx.state, [run.id for run in runs])
    return [to_out(run, windows.get(run.id)) for run in runs]


RECORD_SPAN_HOSTS = 50
"""Most hosts whose data span an empty run's record lists (``host_spans``), the newest-ending first:
the record is read with every run listed (``GET /v1/detections``), so a 10 000-host fleet's are not."""


def window_summary(store: Any, stats: dict[str, Any], config: Any, now: float | None,
                   found: bool) -> dict[str, Any]:
    """What a run's record says of its window: start, end, length, what it held, how it was set
    and, when it ``found`` no cluster, why (the words of ``graphsiem detect``, review T9 F8) and
    each host's data span, to pick a backtest's ``now`` (at most :data:`RECORD_SPAN_HOSTS`).

    Parameters
    ----------
    store : GraphStore
        The store the run read (the window's contents are counted there, as of its end).
    stats : dict
        The detection's stats.
    config : DetectionConfig
        The run's settings.
    now : float, optional
        The backtest's ``now``.
    found : bool
        Whether the run found any cluster.

    Returns
    -------
    dict
        The window fields of :class:`DetectionOut`.
    """
    from graphsiem.detection_window import why_no_clusters, window_note
    from graphsiem.detection_window_reads import host_spans, window_contents, window_of

    window = window_of(stats, config, now)
    # Counting re-reads the window's sightings (on Neo4j, most of a detection's time is that
    # stream: docs/performance.md), so only a run that found nothing pays it, to say why.
    contents = window_contents(store, *window) if window is not None and not found else None
    summary: dict[str, Any] = {
        "window_note": window_note(stats, config.window_hours) or None,
        "no_cluster_reason": None if found else why_no_clusters(stats, config, now=now, contents=contents) or None,
        # a carried verdict is weaker than a given one: said with the run, not only by a missing cluster
        "verdicts_carried": list(stats.get("verdicts_carried", [])),
        "verdicts_refused": list(stats.get("verdicts_refused", [])),  # the signers stopped these: shown
    }
    if window is not None:
        summary.update(window_start=epoch_to_iso(window[0]), window_end=epoch_to_iso(window[1]),
                       window_hours=round((window[1] - window[0]) / 3600.0, 3))
    if contents is not None:
        summary.update(window_hosts=contents.hosts, window_sightings=contents.sightings,
                       fleet_hosts=contents.fleet_hosts)
    if not found:
        # one store call for the fleet (GraphStore.host_sighting_spans), as graphsiem detect lists them
        spans = host_spans(store)
        summary.update(host_spans_total=len(spans), host_spans=[
            {"host": span.host, "first_seen": epoch_to_iso(span.first_seen), "last_seen": epoch_to_iso(span.last_seen)}
            for span in spans[:RECORD_SPAN_HOSTS]])
    return summary


class DetectionRunner:
    """Runs detections on one worker thread so that two runs never overlap."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        # read once, at start: the settings validated the file, and every run must use the same
        # settings (a file edited while the service runs takes effect at the next start)
        self.settings = read_detection_config(ctx.settings.detection_config)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="detect")

    def submit(self, *, trigger: str, requested_by: str, now: float | None = None,
               activate: bool = False) -> tuple[DetectionRun, Future[None]]:
        """Queue a run (at ``now``, epoch seconds, for a backtest); returns its record
        (status ``queued``) and a future.  A backtest becomes the active queue only
        with ``activate``; a run without ``now`` always does."""
        run = self.ctx.state.create_detection(trigger=trigger, requested_by=requested_by)
        return run, self._pool.submit(self.run, run.id, trigger, now, activate)

    def run(self, run_id: str, trigger: str = "api", now: float | None = None,
            activate: bool = False) -> None:
        """Execute run ``run_id`` now, on the calling thread; its window ends at ``now``
        when given, else at the fleet's newest event.

        A backtest (``now`` given) without ``activate`` keeps its clusters under the
        run's id (:func:`~graphsiem.api.state_verdicts.get_backtest`): the queue,
        its metrics and the webhook are left as they were."""
        ctx = self.ctx
        started = time.time()
        ctx.state.update_detection(run_id, status="running", started_at=started)
        try:
            from analytics.candidate_history import (
                CandidateHistory,
                for_backtest,
                rules_change_note,
            )
            from analytics.detect import detect

            tuned = self.settings.config
            config = dataclasses.replace(
                tuned, suppressed=tuned.suppressed | frozenset(ctx.state.suppressed_pivots()),
                suppressed_members={**tuned.suppressed_members, **suppressed_members(ctx.state)},
                internal_networks=(*tuned.internal_networks, *ctx.settings.internal_networks))
            history: CandidateHistory = ctx.state
            if now is not None:
                # a backtest reads the candidate history but keeps and backfills nothing: the
                # next ordinary run's risks must not depend on who backtested (review RV4)
                history, config = for_backtest(ctx.state, config)
            # Every accepted (journaled) event must be in the graph before detection.
            ctx.ingest.catch_up()
            with ctx.store_guard():
                result = detect(ctx.store, config=config, now=now, journal=ctx.journal, history=history)
                # the window it read and, if empty, why: kept with the record (review T9, F8)
                window = window_summary(ctx.store, result.stats, config, now, bool(result.clusters))
            window.update(self.settings.record())  # which settings produced this queue
            rules_changed = rules_change_note(result.stats)
            if rules_changed:  # on uvicorn's logger, as the startup line: shown without graphsiem.* configured
                logging.getLogger("uvicorn.error").info("detection %s: %s", run_id, rules_changed)
            stored = [snapshot(c) for c in result.clusters]
            if now is not None and not activate:
                save_backtest(ctx.state, run_id, now, stored)
                pairs = None
            else:
                # The webhook's alerts are written in the transaction that stores the
                # clusters: the next run compares with these, so an alert not written now
                # would never be decided again (graphsiem.webhook_outbox).
                pairs = ctx.state.save_clusters(run_id, stored, within=_webhook_alerts(ctx, run_id))
        except Exception as exc:  # noqa: BLE001 - a failed run is recorded, not raised
            duration = time.time() - started
            log.exception("detection %s failed", run_id)
            ctx.state.update_detection(run_id, status="failed", finished_at=time.time(),
                                       duration_s=duration,
                                       error=f"{type(exc).__name__}: detection failed")
            ctx.metrics.detection_runs.labels(trigger, "failed").inc()
            ctx.metrics.detection_duration.observe(duration)
            return
        duration = time.time() - started
        save_window(ctx.state, run_id, window)  # before "done": a poller that sees it done sees its window
        ctx.state.update_detection(run_id, status="done", finished_at=time.time(),
                                   duration_s=duration, cluster_count=len(stored))
        ctx.metrics.detection_runs.labels(trigger, "done").inc()
        ctx.metrics.detection_duration.observe(duration)
        if pairs is None:
            return  # a backtest kept apart: the active queue did not change
        ctx.metrics.active_clusters.set(len(stored))
        if ctx.webhook is not None:
            ctx.webhook.wake()  # send what the run wrote to the outbox (never waits for it)

    async def schedule(self, interval_s: float) -> None:
        """Run a detection every ``interval_s`` seconds until cancelled."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(interval_s)
            _, future = self.submit(trigger="schedule", requested_by="scheduler")
            await asyncio.wrap_future(future, loop=loop)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def get_detection(ctx: AppContext, run_id: str) -> DetectionOut:
    run = ctx.state.get_detection(run_id)
    if run is None:
        raise NotFound(f"no detection run {run_id[:80]!r}", field="detection_id")
    return to_out(run, windows_of(ctx.state, [run_id]).get(run_id))


def backtest_clusters(ctx: AppContext, run_id: str) -> dict[str, Any]:
    """A backtest's kept clusters (``now`` and the stored dicts, highest risk first).

    Raises
    ------
    NotFound
        No run ``run_id``, or the run kept no clusters apart (not a backtest, an
        activated one, or one still running).
    """
    run = ctx.state.get_detection(run_id)
    if run is None:
        raise NotFound(f"no detection run {run_id[:80]!r}", field="detection_id")
    kept = get_backtest(ctx.state, run_id)
    if kept is None:
        raise NotFound(f"detection run {run_id[:80]!r} kept no backtest clusters (not a backtest, "
                       "activated as the queue, or not finished)", field="detection_id")
    now, clusters = kept
    return {"detection_id": run_id, "now": epoch_to_iso(now), "clusters": clusters}
