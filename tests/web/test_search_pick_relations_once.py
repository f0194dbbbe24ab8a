"""A search result opened in the cluster view lists each relation once (task SRCH #4), in Chromium.

Review U2 opened the search result for ``net group "Domain Admins"`` inside its cluster: the
Selection panel said "Relations (16)" for 8 relations.  The page named an edge by its place in
the answer that brought it (``source|type|target|index``): the cluster's graph and the pick's
``/neighbors`` answer list the same relation at different places, so the expansion added it a
second time under another id.  Against the real service: Sysmon process creations through
``POST /v1/events``, a real detection, the real cluster and the search box.
"""

from __future__ import annotations

import pytest

from tests.web.conftest import RARE_HOSTS, rare_command_site
from tests.web.test_hostile_strings import sign_in

pytestmark = pytest.mark.browser

RARE = 'net.exe group "Domain Admins" /domain'


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with rare_command_site(tmp_path_factory.mktemp("pick-relations"), RARE) as running:
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
