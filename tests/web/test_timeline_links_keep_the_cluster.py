"""A Timeline row's entity link opens in the cluster being read (task PAGE3 #3).

Following a user, process or file link in a host's Timeline set an exploration address
(``#/explore/<type>/<key>``): the page left the cluster, its members, triage and graph, and the
analyst had to find it again in the queue.  The link now opens the entity as the search box's
pick does, in the view shown: the address stays the cluster's, the cluster's title and members
stay, and the entity is added to its graph and selected.  In Chromium against the real service:
Sysmon process creations through ``POST /v1/events``, a real detection, the real cluster.
"""

from __future__ import annotations

import json

import httpx
import pytest

from tests.web.conftest import start_site
from tests.web.support import process_creation
from tests.web.test_hostile_strings import sign_in

pytestmark = pytest.mark.browser

RARE = "rundll32.exe C:\\Users\\Public\\payload.dll,Start"
RARE_HOSTS = [f"ws-r{i:02d}" for i in range(6)]
QUIET_HOSTS = [f"ws-q{i:02d}" for i in range(14)]


def events() -> list[dict]:
    quiet = [process_creation(host, 100 + i, f"2026-11-20T08:{i:02d}:00.000Z", "notepad.exe report.txt")
             for i, host in enumerate(QUIET_HOSTS + RARE_HOSTS)]
    rare = [process_creation(host, i, f"2026-11-20T09:00:{10 + i:02d}.000Z", RARE)
            for i, host in enumerate(RARE_HOSTS)]
    return quiet + rare


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with start_site(tmp_path_factory.mktemp("timeline-links")) as running:
        body = "\n".join(json.dumps(e) for e in events()).encode()
        response = httpx.post(running.url + "/v1/events", content=body, timeout=60, headers={
            "Authorization": f"Bearer {running.keys['ingest']}", "Content-Type": "application/x-ndjson"})
        response.raise_for_status()
        assert response.json()["accepted"] == len(events())
        running.detect()
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
