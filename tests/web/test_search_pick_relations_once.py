"""A search result opened in the cluster view lists each relation once (task SRCH #4), in Chromium.

Review U2 opened the search result for ``net group "Domain Admins"`` inside its cluster: the
Selection panel said "Relations (16)" for 8 relations.  The page named an edge by its place in
the answer that brought it (``source|type|target|index``): the cluster's graph and the pick's
``/neighbors`` answer list the same relation at different places, so the expansion added it a
second time under another id.  Against the real service: Sysmon process creations through
``POST /v1/events``, a real detection, the real cluster and the search box.
"""

from __future__ import annotations

import json

import httpx
import pytest

from tests.web.conftest import start_site
from tests.web.support import process_creation
from tests.web.test_hostile_strings import sign_in

pytestmark = pytest.mark.browser

RARE = 'net.exe group "Domain Admins" /domain'
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
    with start_site(tmp_path_factory.mktemp("pick-relations")) as running:
        body = "\n".join(json.dumps(e) for e in events()).encode()
        response = httpx.post(running.url + "/v1/events", content=body, timeout=60, headers={
            "Authorization": f"Bearer {running.keys['ingest']}", "Content-Type": "application/x-ndjson"})
        response.raise_for_status()
        assert response.json()["accepted"] == len(events())
        running.detect()
        yield running


def test_a_search_pick_in_the_cluster_lists_each_relation_once(page, site) -> None:
    clusters = site.api("GET", "/v1/clusters", params={"limit": 100})["items"]
    (cluster,) = [c for c in clusters if c["hosts"] == RARE_HOSTS]
    sign_in(page, site)
    page.goto(f"{site.url}/#/clusters/{cluster['id']}")  # a shared link (the queue may fold it as low-signal)
    page.wait_for_selector("body[data-state=cluster-ready]")

    page.fill("#search-input", 'group "Domain Admins"')
    page.press("#search-input", "Enter")
    page.wait_for_selector("#search-results:not([hidden])")
    page.locator("#search-results li button", has_text="Domain Admins").first.click()
    page.wait_for_function("() => window.graphsiem.clusterView.graph.cy.nodes('[type = \"process\"]:selected')"
                           ".length === 1")
    page.wait_for_function("() => /expanded|no new neighbours/.test(document.body.innerText)")

    relations = page.locator("#selection .relations")
    buttons = relations.locator("button.relation").all_inner_texts()
    header = relations.locator("h4").inner_text()
    assert len(set(buttons)) >= 3  # ran on the 6 hosts (drawn as one aggregate), as alice, from explorer.exe
    assert len(set(buttons)) == len(buttons), buttons
    assert header == f"Relations ({len(buttons)})"
    # one drawn edge per relation (source, type, target)
    triples = page.evaluate("() => window.graphsiem.clusterView.graph.cy.edges()"
                            ".map((e) => [e.data('source'), e.data('type'), e.data('target')].join('|'))")
    assert len(set(triples)) == len(triples)
    assert page.watch.errors == []
