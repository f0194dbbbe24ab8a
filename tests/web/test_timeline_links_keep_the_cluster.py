"""A Timeline row's entity link opens in the cluster being read (task PAGE3 #3).

Following a user, process or file link in a host's Timeline set an exploration address
(``#/explore/<type>/<key>``): the page left the cluster, its members, triage and graph, and the
analyst had to find it again in the queue.  The link now opens the entity as the search box's
pick does, in the view shown: the address stays the cluster's, the cluster's title and members
stay, and the entity is added to its graph and selected.  In Chromium against the real service:
Sysmon process creations through ``POST /v1/events``, a real detection, the real cluster.
"""

from __future__ import annotations

import pytest

from tests.web.conftest import RARE_HOSTS, rare_command_site
from tests.web.test_hostile_strings import sign_in

pytestmark = pytest.mark.browser

RARE = "rundll32.exe C:\\Users\\Public\\payload.dll,Start"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with rare_command_site(tmp_path_factory.mktemp("timeline-links"), RARE) as running:
        yield running


def test_a_timeline_link_opens_its_entity_in_the_cluster_and_keeps_it(page, site) -> None:
    clusters = site.api("GET", "/v1/clusters", params={"limit": 100})["items"]
    (cluster,) = [c for c in clusters if c["hosts"] == RARE_HOSTS]
    sign_in(page, site)
    page.click(f"#queue-body tr[data-cluster-id='{cluster['id']}']")
    page.wait_for_selector("body[data-state=cluster-ready]")
    address = page.evaluate("() => window.location.hash")
    title = page.locator("#cluster-title").text_content()

    # a host of the cluster, from its host table: its Timeline in the Selection panel
    page.click("#tool-hosts")
    page.click(f"#hosts-table tbody tr[data-host='{RARE_HOSTS[0]}']")
    timeline = page.locator("#selection .host-timeline")
    row = timeline.locator(".timeline li", has_text="payload.dll")
    row.locator("details.timeline-raw > summary").click()
    row.locator("details.timeline-raw[data-loaded=yes]").wait_for()
    row.locator("button.timeline-entity[data-type=user]").click()

    page.wait_for_function("() => window.graphsiem.clusterView.graph.cy.nodes('[type = \"user\"]:selected').length === 1")
    assert page.evaluate("() => window.location.hash") == address  # still the cluster's address
    assert page.locator("#cluster-title").text_content() == title
    assert page.evaluate("() => window.graphsiem.clusterView.cluster?.id") == cluster["id"]
    assert "alice" in page.locator("#selection").text_content()
