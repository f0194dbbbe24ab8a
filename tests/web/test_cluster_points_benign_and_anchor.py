"""A cluster's page says what its numbers are, what a benign verdict does, and opens a host's Timeline at its time
(task UWEB, review U1 #8 and #11).

The explanation's "Contribution" column read 0.41 and 0.33 with no unit, not adding up to the risk of 97.3:
they are exact Shapley values against an ordinary cluster of the detection, in hundredths of the 0-100
scale (analytics/explain.py).  Saving a benign verdict gave no hint that it suppresses later detections of
the pivot.  A host picked in a cluster opened its Timeline at its newest event, whatever the cluster's time.

In Chromium against the real service over the synthesised 120-host fan-out cluster (risk 97.3, features
+0.41 and +0.33).
"""

from __future__ import annotations

import pytest

from tests.web.conftest import screenshot
from tests.web.test_cluster_view import open_cluster

pytestmark = pytest.mark.browser


def _open(page, site):
    open_cluster(page, site, site.cluster["id"])


def test_contributions_are_risk_points_that_say_what_they_add_up_to(page, fanout_site):
    _open(page, fanout_site)
    table = page.locator("#explanation-table")
    assert table.locator("thead th").nth(3).text_content() == "Risk points"
    assert "Shapley" in table.locator("thead th").nth(3).get_attribute("title")
    cells = table.locator("tbody tr td:nth-child(4)").all_text_contents()
    assert [c.strip() for c in cells] == ["+41.0 pts", "+33.0 pts"]
    caption = table.locator("caption.features-points").text_content()
    assert "Together +74.0 pts" in caption
    assert "(risk 97.3; an ordinary cluster of this detection scores about 23.3)" in caption
    screenshot(page, "risk-points")


def test_choosing_benign_says_it_suppresses_the_pivot_and_none_lifts_it(page, fanout_site):
    _open(page, fanout_site)
    note = page.locator("#triage-suppress-note")
    assert note.is_hidden()
    page.select_option("#triage-verdict", "benign")
    assert note.is_visible()
    pivot = fanout_site.cluster["pivot"]
    assert note.text_content().startswith(
        f"Saving benign suppresses later detections of this cluster's pivot (domain {pivot['key']})")
    assert "Set the verdict back to none to lift it." in note.text_content()
    page.select_option("#triage-verdict", "")
    assert note.is_hidden()


def test_a_host_picked_in_a_cluster_opens_its_timeline_at_the_clusters_time(page, fanout_site):
    _open(page, fanout_site)
    page.click("#tool-hosts")
    page.wait_for_selector("#hosts-panel:not([hidden])")
    page.click("#hosts-table tbody tr[data-host='ws-0042'] button.host-show")
    timeline = page.locator("#selection .host-timeline[data-host='ws-0042']")
    timeline.wait_for()
    cluster = fanout_site.cluster
    since, until = timeline.locator("input.timeline-since"), timeline.locator("input.timeline-until")
    assert since.input_value() == cluster["first_seen"][:19] + "Z"
    assert until.input_value() >= cluster["last_seen"][:19] + "Z"
    assert until.input_value() <= cluster["last_seen"][:17] + "59Z"
