"""The empty queue says where each host's data lies, to pick a backtest's time (task K4, item 2).

The page said why the last run found nothing, never where the data was: only ``graphsiem
detect`` listed each host's first and newest sighting.  In Chromium against the real
service over the fleet of ``tests.graphsiem.cli.window_fleets`` (three hosts ten days
ahead of the rest) and one host whose name is markup: shown as text, never obeyed.
"""

from __future__ import annotations

import pytest

from graphsiem.model import Sighting, epoch_to_iso
from tests.graphsiem.cli.window_fleets import CAPPED_LEAD_H, START, H, build_fleet, newest_event
from tests.web.conftest import screenshot, start_site
from tests.web.queue_helpers import sign_in_to_queue

pytestmark = pytest.mark.browser

HOSTILE = '<img src=x onerror="document.title=1">ws-x'


def _page_time(epoch: float) -> str:
    """A time as the page prints it (dom.js fmtTime): ``2026-06-09 20:26:40Z``."""
    return epoch_to_iso(epoch).replace("T", " ").replace(".000Z", "Z")


def _fleet(store, _data_dir) -> None:
    build_fleet(store, CAPPED_LEAD_H)
    # a host of its own (nothing shared), its newest sighting between l1's and l2's
    store.upsert_sightings([Sighting(HOSTILE, ("process", "hostile-tool"), START, newest_event(CAPPED_LEAD_H) - 0.25 * H, 1)])
    store.flush()


def test_an_empty_queue_lists_the_newest_hosts_data_and_counts_the_rest(page, tmp_path):
    end = newest_event(CAPPED_LEAD_H)
    with start_site(tmp_path, _fleet) as site:
        assert site.detect()["cluster_count"] == 0
        sign_in_to_queue(page, site)
        page.wait_for_selector("#queue-empty:has-text('Data per host')")
        hint = page.inner_text("#queue-empty")
        markup = page.eval_on_selector("#queue-empty", "el => el.querySelectorAll('img').length")
        title = page.title()
        screenshot(page, "queue-empty-host-spans")
    assert (f" Data per host, newest first: l1 has data from {_page_time(START)} to {_page_time(end)}; "
            f"{HOSTILE} has data from {_page_time(START)} to {_page_time(end - 0.25 * H)}; "
            f"l2 has data from {_page_time(START)} to {_page_time(end - 0.5 * H)}; ") in hint
    assert hint.count(" has data from ") == 5
    assert "; 4 more hosts. Pick a backtest time within a span several hosts share." in hint
    assert markup == 0 and title != "1"
    assert not page.watch.errors and not page.watch.csp_violations
