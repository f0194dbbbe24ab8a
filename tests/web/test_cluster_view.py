"""The cluster view in Chromium over a synthesised 120-host fan-out cluster:
sign-in, the host aggregate, its host table, evidence on an edge click,
exploration tools, copy as Cypher/Python."""

from __future__ import annotations

import json

import pytest

from tests.web.conftest import screenshot

pytestmark = pytest.mark.browser

NODES_JS = "window.graphsiem.clusterView.graph.cy.nodes().map(n => n.data())"


def sign_in(page, site, key=None):
    page.goto(site.url + "/")
    page.fill("#signin-key", key or site.keys["analyst"])
    page.click("#signin-form button[type=submit]")


def open_cluster(page, site, cluster_id):
    sign_in(page, site)
    page.wait_for_selector("#queue-body tr")
    page.click(f"#queue-body tr[data-cluster-id='{cluster_id}']")
    page.wait_for_selector("body[data-state=cluster-ready]")


def click_edge(page, selector):
    """A real mouse click on the rendered midpoint of the first edge matching ``selector``."""
    point = page.evaluate(
        """(selector) => {
          const cy = window.graphsiem.clusterView.graph.cy;
          const edge = cy.edges(selector)[0];
          const p = edge.renderedMidpoint();
          const box = cy.container().getBoundingClientRect();
          return {x: box.left + p.x, y: box.top + p.y};
        }""",
        selector,
    )
    page.mouse.click(point["x"], point["y"])


def test_nothing_shows_without_a_key(page, fanout_site):
    page.goto(fanout_site.url + "/")
    page.wait_for_selector("body[data-state=signed-out]")
    assert page.is_visible("#signin")
    assert not page.is_visible("#queue")
    assert not page.is_visible("#cluster")
    assert page.locator("#queue-body tr").count() == 0


def test_a_wrong_key_or_role_is_refused_with_a_reason(page, fanout_site):
    sign_in(page, fanout_site, key="gsk_nope_not-a-key")
    page.wait_for_selector("#signin-error:has-text('not valid')")
    sign_in(page, fanout_site, key=fanout_site.keys["ingest"])
    page.wait_for_selector("#signin-error:has-text('analyst role')")
    assert not page.is_visible("#queue")


def test_the_fan_out_is_one_aggregate_node_that_expands_and_collapses(page, fanout_site):
    open_cluster(page, fanout_site, fanout_site.cluster["id"])
    nodes = page.evaluate(NODES_JS)
    by_type = {n["type"]: n for n in nodes}
    assert by_type["aggregate"]["label"] == "120 hosts"
    assert "host" not in by_type
    assert {"domain", "file", "script", "process", "ip", "url"} <= by_type.keys()
    screenshot(page, "fanout-aggregate")

    page.click("#tool-hosts")
    page.wait_for_selector("#hosts-panel:not([hidden])")
    assert page.locator("#hosts-table tbody tr").count() == 120
    assert page.locator("#hosts-table tbody tr").first.inner_text().startswith("ws-0000")
    assert sum(n["type"] == "host" for n in page.evaluate(NODES_JS)) == 120
    screenshot(page, "fanout-expanded")

    page.click("#tool-hosts")
    page.wait_for_selector("#hosts-panel[hidden]", state="attached")
    types = [n["type"] for n in page.evaluate(NODES_JS)]
    assert types.count("aggregate") == 1 and "host" not in types


def test_clicking_an_aggregate_edge_lists_the_events_of_every_host(page, fanout_site):
    open_cluster(page, fanout_site, fanout_site.cluster["id"])
    click_edge(page, "[type = 'RESOLVED']")
    page.wait_for_selector("#evidence-caption:has-text('120 evidence events')")
    ids = page.eval_on_selector_all("#evidence-table tbody tr", "rows => rows.map(r => r.dataset.eventId)")
    assert len(ids) == 100  # events not in the journal are listed by id, 100 at most
    assert all(i.startswith("ev-") and i.endswith("-domain") for i in ids)
    assert "RESOLVED" in page.inner_text("#selection")


def test_explanation_shows_value_baseline_and_contribution(page, fanout_site):
    open_cluster(page, fanout_site, fanout_site.cluster["id"])
    rows = page.eval_on_selector_all(
        "#explanation-table tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))")
    assert rows[0][:3] == ["host_count", "120", "3"]
    assert rows[0][3].endswith("+41.0 pts")  # risk points: the contribution 0.41 of the 0-100 scale


def test_hide_pin_undo_and_relayout(page, fanout_site):
    open_cluster(page, fanout_site, fanout_site.cluster["id"])
    count = page.evaluate("window.graphsiem.clusterView.graph.cy.nodes().length")
    page.evaluate("window.graphsiem.clusterView.graph.cy.getElementById('ip:203.0.113.77').select() && null")
    page.click("#tool-hide")
    assert page.evaluate("window.graphsiem.clusterView.graph.cy.nodes().length") == count - 1
    page.click("#tool-undo")
    assert page.evaluate("window.graphsiem.clusterView.graph.cy.nodes().length") == count

    page.evaluate("window.graphsiem.clusterView.graph.cy.getElementById('ip:203.0.113.77').select() && null")
    before = page.evaluate("window.graphsiem.clusterView.graph.cy.getElementById('ip:203.0.113.77').position()")
    page.click("#tool-pin")
    page.click("#tool-layout")
    after = page.evaluate("window.graphsiem.clusterView.graph.cy.getElementById('ip:203.0.113.77').position()")
    assert after == before  # a pinned node keeps its place through a re-layout
    assert page.evaluate("window.graphsiem.clusterView.graph.cy.getElementById('ip:203.0.113.77').locked()")


def test_search_and_expand_neighbours_with_a_limit_and_a_type(page, fanout_site):
    sign_in(page, fanout_site)
    page.wait_for_selector("#queue-body tr")
    page.fill("#search-input", "203.0.113")
    page.click("#search-form button[type=submit]")
    page.click("#search-results button:has-text('203.0.113.77')")
    page.wait_for_selector("body[data-state=explore-ready]")
    nodes = page.evaluate(NODES_JS)
    # The default limit is 25 neighbours: the IP and 25 of its 120 hosts.
    assert sum(n["type"] == "host" for n in nodes) == 25
    assert any(n["id"] == "ip:203.0.113.77" for n in nodes)

    page.evaluate("window.graphsiem.clusterView.graph.cy.$(':selected').unselect() && null")
    page.evaluate("window.graphsiem.clusterView.graph.cy.getElementById('host:ws-0000').select() && null")
    page.fill("#tool-limit", "3")
    page.select_option("#tool-types", "domain")
    page.click("#tool-expand")
    page.wait_for_function(
        "() => window.graphsiem.clusterView.graph.cy.getElementById('domain:cdn-img-delivery.example').nonempty()")
    assert page.evaluate("window.graphsiem.clusterView.graph.cy.nodes('[type = \"file\"]').length") == 0
    page.click("#tool-undo")
    assert page.evaluate(
        "window.graphsiem.clusterView.graph.cy.getElementById('domain:cdn-img-delivery.example').empty()")

    # A real double-click on a host node expands it (type filter still "domain").
    point = page.evaluate("""() => {
      const cy = window.graphsiem.clusterView.graph.cy;
      const host = cy.nodes('[type = "host"]').filter((n) => n.id() !== 'host:ws-0000')[0];
      const p = host.renderedPosition();
      const box = cy.container().getBoundingClientRect();
      return {x: box.left + p.x, y: box.top + p.y};
    }""")
    page.mouse.dblclick(point["x"], point["y"])
    page.wait_for_function(
        "() => window.graphsiem.clusterView.graph.cy.getElementById('domain:cdn-img-delivery.example').nonempty()")


def test_copy_as_cypher_passes_values_as_parameters(page, fanout_site):
    open_cluster(page, fanout_site, fanout_site.cluster["id"])
    page.click("#copy-cypher")
    text = page.input_value("#copy-output")
    params_line = next(line for line in text.splitlines() if line.startswith("// params: "))
    params = json.loads(params_line.removeprefix("// params: "))
    assert len(params["uids"]) == 120 + 6 and params["full_keys"] == []
    assert "domain:cdn-img-delivery.example" in params["uids"]
    param_line = next(line for line in text.splitlines() if line.startswith(":param "))
    assert json.dumps(params["uids"], separators=(",", ":")) in param_line
    query = text.split(param_line, 1)[1]
    assert "$uids" in query and "cdn-img-delivery" not in query


def test_copy_as_python_rebuilds_the_same_view_from_the_store(page, fanout_site):
    open_cluster(page, fanout_site, fanout_site.cluster["id"])
    page.click("#copy-python")
    page.wait_for_function("() => document.getElementById('copy-output').value.includes('open_store(')")
    code = page.input_value("#copy-output")
    assert "store.subgraph(keys, radius=0)" in code
    # Run it against this site's store, already open in this process.
    namespace = {"open_store": lambda spec, **_: fanout_site.store}
    exec(code.replace("from graphsiem.store import open_store\n", ""), namespace)  # noqa: S102
    view = namespace["view"]
    assert view.number_of_nodes() == 126
    assert view.number_of_edges() == 120 * 5 + 3


def test_a_key_revoked_mid_session_returns_to_sign_in(page, fanout_site):
    from graphsiem.api.state import StateStore, parse_key_id
    from tests.web.support import analyst_key

    key = analyst_key(fanout_site.data_dir)  # its own key: the others stay valid
    page.goto(fanout_site.url + "/?poll=500")
    page.fill("#signin-key", key)
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("#queue-body tr")
    state = StateStore(fanout_site.data_dir / "state.sqlite")
    try:
        assert state.revoke_key(parse_key_id(key))
    finally:
        state.close()
    # The next poll is refused: the key is dropped and the data leaves the page.
    page.wait_for_selector("body[data-state=signed-out]")
    assert page.is_visible("#signin") and not page.is_visible("#queue")
    assert page.locator("#queue-body tr").count() == 0
    assert page.evaluate("() => sessionStorage.length") == 0
