"""The empty queue says which window the last detection read, what it held and why it found
nothing, in Chromium against the real service (review T9, finding F8; task G5).

It said "The last detection finished at ... with 0 clusters" and nothing else: on a
fleet whose clocks span years that run had read two sightings of one host.  Here
the fleet of ``tests.graphsiem.cli.window_fleets`` whose three leading hosts are
ten days ahead, written into the real embedded store the service reads.
"""

from __future__ import annotations

import pytest

from graphsiem.model import epoch_to_iso
from tests.graphsiem.cli.window_fleets import CAPPED_LEAD_H, DAY, build_fleet, newest_event
from tests.web.conftest import screenshot, start_site
from tests.web.queue_helpers import sign_in_to_queue

pytestmark = pytest.mark.browser


def _page_time(epoch: float) -> str:
    """A time as the page prints it (dom.js fmtTime): ``2026-06-09 20:26:40Z``."""
    return epoch_to_iso(epoch).replace("T", " ").replace(".000Z", "Z")


def test_an_empty_queue_gives_the_window_its_contents_and_why(page, tmp_path):
    end = newest_event(CAPPED_LEAD_H)
    with start_site(tmp_path, lambda store, _: build_fleet(store, CAPPED_LEAD_H)) as site:
        run = site.detect()
        assert run["cluster_count"] == 0
        sign_in_to_queue(page, site)
        page.wait_for_selector("#queue-empty:has-text('Its window')")
        hint = page.inner_text("#queue-empty")
        screenshot(page, "queue-empty-window")
    assert (f"Its window: {_page_time(end - 2 * DAY)} to {_page_time(end)}, 48 h, 3 sightings on 3 of 8 "
            "hosts.") in hint
    assert (f"Why no cluster: window {epoch_to_iso(end - 2 * DAY)} .. {epoch_to_iso(end)} (48 h ending at "
            "l1's newest event (a leading host's clock)); 1 entity shared by >= 3 hosts in it") in hint
    assert "How the window was set: window starts at" in hint and "capped at one extra window" in hint
    assert "POST /v1/detections?now=" in hint
    assert not page.watch.errors and not page.watch.csp_violations
