"""Wait until the service says its graph is caught up: ``/healthz``'s projection lag is 0.

An accepted event is journaled; the service projects it into the graph after
a pause in ingest.  A test that reads the graph straight after ``POST
/v1/events`` races that projection: it waits here first, on the figure the
service itself reports, instead of polling a search until it finds something.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_until_projected(healthz: Callable[[], dict[str, Any]], *, timeout_s: float = 120,
                         at_least_seq: int = 0) -> dict[str, Any]:
    """Poll ``healthz()`` (the JSON of ``GET /healthz``) until the graph is caught up.

    Parameters
    ----------
    healthz : callable
        Returns the body of ``GET /healthz`` (a TestClient's or an HTTP client's).
    timeout_s : float
        How long to wait before failing the test.
    at_least_seq : int
        Also wait until the journal holds this many events (0: any), for a
        caller that journaled them by another way than the API it waits on.

    Returns
    -------
    dict
        The ``projection`` object of the last ``/healthz``: ``lag_events`` 0.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        projection = healthz()["projection"]
        assert projection is not None, "/healthz could not read the journal's projection status"
        if projection["lag_events"] == 0 and projection["journaled_seq"] >= at_least_seq:
            return projection
        assert time.monotonic() < deadline, (
            f"the graph is still {projection['lag_events']} events behind the journal after "
            f"{timeout_s:.0f} s: {projection}")
        time.sleep(0.05)
