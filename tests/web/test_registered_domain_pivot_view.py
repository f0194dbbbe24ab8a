"""The cluster view draws a registered-domain pivot and its subdomains, and clicking the pivot
shows its prevalence (task F32).

Before, the rollup ``*.evil-cdn.com (per-host subdomains)`` had no node in the cluster's
graph (it is never stored) and its entity look-up answered 404, which the page swallowed:
nothing of the campaign's domains was drawn.  Real Chromium over a real service and
embedded store; the campaign is :mod:`tests.api.registered_domain_campaign`'s.
"""

from __future__ import annotations

import pytest

from analytics.registered_domains import rollup_key
from tests.api.registered_domain_campaign import REGISTERED, SUBDOMAINS, build_campaign
from tests.web.conftest import screenshot, start_site
from tests.web.test_cluster_view import open_cluster

pytestmark = pytest.mark.browser

ROLLUP_UID = "domain:" + rollup_key(REGISTERED)[1]
CY = "window.graphsiem.clusterView.graph.cy"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("rollup-pivot")
    with start_site(data_dir, lambda store, _: build_campaign(store)) as running:
        running.detect()
        running.cluster = next(c for c in running.api("GET", "/v1/clusters")["items"]
                               if c["pivot"]["key"] == rollup_key(REGISTERED)[1])
        yield running


def test_the_cluster_view_draws_the_rollup_and_its_subdomains_and_the_rollup_opens(page, site):
    open_cluster(page, site, site.cluster["id"])

    ids = set(page.evaluate(f"() => {CY}.nodes().map(n => n.id())"))
    assert ROLLUP_UID in ids
    # one subdomain per host: the page folds them into one "8 domains" node, which opens to them
    folded = page.evaluate("""() => [...window.graphsiem.clusterView.graph.aggregates.values()]
      .filter(a => a.memberType === 'domain').map(a => ({id: a.id, label: a.label, members: a.members.map(m => m.id)}))""")
    assert [sorted(f["members"]) for f in folded] == [sorted(f"domain:{s}" for s in SUBDOMAINS)], folded
    assert folded[0]["label"] == "8 domains" and folded[0]["id"] in ids
    page.evaluate("(id) => window.graphsiem.clusterView.graph.toggleAggregate(id)", folded[0]["id"])
    ids = set(page.evaluate(f"() => {CY}.nodes().map(n => n.id())"))
    assert {f"domain:{s}" for s in SUBDOMAINS} <= ids
    linked = page.evaluate(f"""(uid) => {CY}.getElementById(uid).connectedEdges('[type = "SUBDOMAIN_OF"]')
      .map(e => e.source().id())""", ROLLUP_UID)
    assert sorted(linked) == sorted(f"domain:{s}" for s in SUBDOMAINS)

    # a real mouse click on the rollup's node selects it and loads its prevalence
    point = page.evaluate(f"""(uid) => {{
      const cy = {CY};
      const node = cy.getElementById(uid);
      cy.center(node);
      const p = node.renderedPosition();
      const box = cy.container().getBoundingClientRect();
      return {{x: box.left + p.x, y: box.top + p.y}};
    }}""", ROLLUP_UID)
    page.mouse.click(point["x"], point["y"])
    assert page.evaluate(f"() => {CY}.$(':selected').map(n => n.id())") == [ROLLUP_UID]
    page.wait_for_selector("#selection h4:has-text('Prevalence')")
    selection = page.inner_text("#selection")
    assert f"*.{REGISTERED} (8 subdomains)" in selection
    assert "fleet hosts\n8" in selection or "fleet hosts\t8" in selection, selection
    # expanding it asks the API for its neighbours: its subdomains, no error
    page.click("#selection button:has-text('Expand neighbours')")
    page.wait_for_timeout(500)
    screenshot(page, "registered-domain-pivot")
    assert page.watch.errors == [] and page.watch.dialogs == []
    assert not [m for m in page.watch.console_errors if "404" in m or "Failed" in m]
