"""An idle page polling an empty queue makes one request a poll (task OLDQ #2), in Chromium.

To say why the queue is empty the page read, on every poll, the whole queue again with
``include_inactive=true`` (to count the clusters no longer detected) and ``GET /v1/detections``
(for the newest run): three requests a poll, forever, from every idle tab.  The empty page now
carries both (``latest_detection``, ``inactive_clusters``).  The real service over the embedded
store.
"""

from __future__ import annotations

import time

import pytest

from tests.web.conftest import start_site
from tests.web.queue_helpers import sign_in_to_queue

pytestmark = pytest.mark.browser


def test_an_idle_page_on_an_empty_queue_reads_only_the_queue_each_poll(page, tmp_path) -> None:
    with start_site(tmp_path) as site:
        assert site.detect()["cluster_count"] == 0
        sign_in_to_queue(page, site, "?poll=500")
        page.wait_for_selector("#queue-empty:has-text('The last detection finished at')")
        assert "with 0 clusters" in page.inner_text("#queue-empty")
        asked: list[str] = []
        page.on("request", lambda request: asked.append(request.url.split("/v1/", 1)[-1]))
        # wait for three polls rather than a fixed time: CI's two cores may slow the page down
        deadline = time.monotonic() + 30.0
        while sum(url.startswith("clusters") for url in asked) < 3 and time.monotonic() < deadline:
            page.wait_for_timeout(250)
        polls = [url for url in asked if url.startswith("clusters")]
        assert len(polls) >= 3, asked
        assert [url for url in asked if not url.startswith("clusters")] == []  # no GET /v1/detections
        assert [url for url in polls if "include_inactive" in url] == []  # nor the queue read twice
        assert "The last detection finished at" in page.inner_text("#queue-empty")
        assert not page.watch.errors and not page.watch.csp_violations
