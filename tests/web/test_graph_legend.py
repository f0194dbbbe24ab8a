"""The graph's legend (review U5B #2), in Chromium over a synthesised 120-host fan-out cluster.

Shapes and colours stand for entity types; the legend lists, as text, only the types drawn now,
each with a swatch of its node's colour, and follows the graph as hosts expand and nodes are hidden.
"""

from __future__ import annotations

import pytest

from tests.web.conftest import screenshot
from tests.web.test_cluster_view import open_cluster

pytestmark = pytest.mark.browser

DRAWN_TYPES_JS = "[...new Set(window.graphsiem.clusterView.graph.cy.nodes().map(n => n.data('type')))]"
LEGEND_JS = """() => [...document.querySelectorAll('#graph-legend li')].map(li => ({
  type: li.dataset.type, text: li.querySelector('.legend-text').textContent,
  swatch: getComputedStyle(li.querySelector('.legend-swatch')).backgroundColor}))"""
# Each drawn type's node colour, as the browser writes a colour ("rgb(r, g, b)").
NODE_COLOURS_JS = """() => {
  const probe = document.createElement('span'); document.body.append(probe);
  const colours = {};
  for (const n of window.graphsiem.clusterView.graph.cy.nodes()) {
    probe.style.color = n.style('background-color'); colours[n.data('type')] = getComputedStyle(probe).color;
  }
  probe.remove(); return colours;
}"""


def _legend(page):
    page.wait_for_function("document.querySelectorAll('#graph-legend li').length > 0")
    return page.evaluate(LEGEND_JS)


def test_the_legend_names_each_drawn_type_with_its_colour(page, fanout_site):
    open_cluster(page, fanout_site, fanout_site.cluster["id"])
    legend = _legend(page)
    drawn = page.evaluate(DRAWN_TYPES_JS)
    assert sorted(item["type"] for item in legend) == sorted(drawn)
    colours = page.evaluate(NODE_COLOURS_JS)
    assert {item["type"]: item["swatch"] for item in legend} == colours
    texts = {item["type"]: item["text"] for item in legend}
    assert texts["domain"] == "domain" and texts["process"] == "process"
    assert texts["aggregate"].startswith("group of many")  # the "120 hosts" node
    assert "host" not in texts  # folded into the aggregate: not drawn
    assert page.is_visible("#graph-legend")
    screenshot(page, "graph-legend")


def test_the_legend_follows_expanded_hosts_and_hidden_nodes(page, fanout_site):
    open_cluster(page, fanout_site, fanout_site.cluster["id"])
    _legend(page)
    page.click("#tool-hosts")
    page.wait_for_selector("#graph-legend li[data-type=host]")
    assert sorted(item["type"] for item in page.evaluate(LEGEND_JS)) == sorted(page.evaluate(DRAWN_TYPES_JS))

    page.evaluate("window.graphsiem.clusterView.graph.cy.getElementById('ip:203.0.113.77').select() && null")
    page.click("#tool-hide")
    page.wait_for_selector("#graph-legend li[data-type=ip]", state="detached")
    page.click("#tool-undo")
    page.wait_for_selector("#graph-legend li[data-type=ip]")
