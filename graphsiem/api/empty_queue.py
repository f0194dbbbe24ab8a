"""What an empty queue's page says of itself, so a page polling it needs no other request.

The analysts' page explains an empty queue ("no detection has run yet", "the last detection
found nothing in this window", "3 clusters are no longer detected") from the newest run that
fills the queue and the number of stored clusters the latest detection did not produce.  It read
them with two more requests on every poll of an idle queue (``GET /v1/detections`` and the
whole queue with ``include_inactive=true``, task OLDQ #2); the first page of an empty queue now
carries both (``ClusterPage.latest_detection``, ``ClusterPage.inactive_clusters``).  A page with
clusters carries neither, so its bytes and ETag stay as they were across a detection that
changed nothing.
"""

from __future__ import annotations

from graphsiem.api.schemas_detections import DetectionOut
from graphsiem.api.services.detections import to_out
from graphsiem.api.state import DetectionRun, StateStore
from graphsiem.api.state_detection_windows import windows_of


def latest_queue_run(state: StateStore) -> DetectionOut | None:
    """The newest run that is not a backtest, whatever its status, as ``GET /v1/detections`` lists it.

    A backtest does not fill the queue: its run says nothing about why the queue is empty.
    """
    rows = state._query("SELECT * FROM detections WHERE trigger != 'backtest' "
                        "ORDER BY requested_at DESC, id DESC LIMIT 1")
    if not rows:
        return None
    run = DetectionRun(**dict(rows[0]))
    return to_out(run, windows_of(state, [run.id]).get(run.id))


def inactive_cluster_count(state: StateStore) -> int:
    """Stored clusters the latest detection did not produce (``include_inactive=true`` lists them)."""
    return int(state._query("SELECT COUNT(*) AS n FROM clusters WHERE is_active = 0")[0]["n"])
