"""The API's background projection: the journal caught up into the graph after a pause in ingest.

Part of :mod:`graphsiem.api.services.ingest`: an answer is given once records
are journaled, and this thread projects whatever has arrived since, in one go.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from graphsiem.api.context import AppContext
from graphsiem.api.services.projection_status import PendingClock, ProjectionStatus
from ingest.journal import Journal
from ingest.replay import project_pending

log = logging.getLogger("graphsiem.api.ingest")

FAILURE_REMINDER_S = 60.0
"""While projection keeps failing, how often a one-line reminder is logged (the first failure logs its traceback)."""


class BackgroundProjector:
    """A thread that projects the journal into ``ctx.store`` when ingest pauses.

    Parameters
    ----------
    ctx : AppContext
        The app's store, its guard and the settings ``project_idle_s`` and
        ``project_max_lag_s``.
    journal : callable
        The calling thread's journal connection (SQLite connections belong to
        the thread that opened them).
    """

    def __init__(self, ctx: AppContext, journal: Callable[[], Journal]) -> None:
        self.ctx = ctx
        self._journal = journal
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._failing_since: float | None = None  # when the current run of failed projections began
        self._last_failure_logged = 0.0
        self._clock = PendingClock()
        self._started_at = time.time()
        # Events journaled before a crash (accepted, not yet projected) are
        # projected as soon as the service starts: a server killed after
        # journaling but before projecting left events behind the checkpoint,
        # and re-sent batches dedupe to nothing new, so no ingest would wake it.
        self._wake.set()
        self._thread = threading.Thread(target=self._loop, name="projector", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Say new events were journaled: they are projected at the next pause."""
        self._clock.journaled()
        self._wake.set()

    def catch_up(self) -> int:
        """Project every journaled event into the graph now; returns how many."""
        with self._lock, self.ctx.store_guard():
            self._clock.taking()
            succeeded = False
            try:
                projected = project_pending(self._journal(), self.ctx.store).events
                succeeded = True
            finally:
                self._clock.projected(succeeded=succeeded)
            return projected

    def status(self) -> ProjectionStatus:
        """How far the graph is behind the journal now (cheap: two reads by key and a ``stat``)."""
        return self._clock.observe(self._journal(), self.ctx.settings.journal_path)

    def stop(self) -> None:
        """Stop the thread (waiting up to 10 s for a projection under way)."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        # Projection competes with request handling for the interpreter, so it
        # waits for a pause in ingest (project_idle_s) but never lets accepted
        # events wait more than project_max_lag_s.
        settings = self.ctx.settings
        try:  # events left behind by a previous run have waited since the service started
            self._clock.left_behind(self._journal(), self._started_at)
        except Exception:  # noqa: BLE001 - only the lag's age is at stake; catch_up will say more
            log.warning("cannot read the journal's projection checkpoint at start", exc_info=True)
        while not self._stop.is_set():
            if not self._wake.wait(timeout=1.0) or self._stop.is_set():
                continue
            first_pending = time.monotonic()
            while not self._stop.is_set():
                self._wake.clear()
                if self._stop.wait(settings.project_idle_s) or not self._wake.is_set():
                    break  # ingest went quiet (or we are stopping)
                if time.monotonic() - first_pending >= settings.project_max_lag_s:
                    break
            self._wake.clear()
            try:
                self.catch_up()
            except Exception as exc:  # noqa: BLE001 - retried on the next wake; the journal keeps all
                self._failed(exc)
                self._stop.wait(1.0)
                self._wake.set()
            else:
                self._recovered()

    def _failed(self, exc: Exception) -> None:
        # One traceback per outage, then a line a minute: a store down for an hour
        # retried every second must not bury the log under 3,600 tracebacks.
        now = time.monotonic()
        if self._failing_since is None:
            self._failing_since = self._last_failure_logged = now
            log.warning("background projection failed; retrying every second (the journal keeps "
                        "every accepted event)", exc_info=exc)
        elif now - self._last_failure_logged >= FAILURE_REMINDER_S:
            self._last_failure_logged = now
            log.warning("background projection still failing after %.0f s: %s: %s",
                        now - self._failing_since, type(exc).__name__, exc)

    def _recovered(self) -> None:
        if self._failing_since is not None:
            log.warning("background projection recovered after %.0f s", time.monotonic() - self._failing_since)
            self._failing_since = None
