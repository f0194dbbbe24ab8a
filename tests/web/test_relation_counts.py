"""A host's relation counts count the same things and say what (review U5B #4), in Chromium.

The review read "RAN aggregate 24 processes (2 hosts)" in a host's Relations list (the host ran 2 of
the 24 folded processes), "relations shown 25" beside a toolbar's "51 new element(s)" (nodes and
edges together) and "fleet hosts 1" for a host (itself).  Now: "RAN 2 of 24 processes"; the
toolbar gives new nodes and new relations apart and the relations shown at the expanded entity,
the number the selection panel gives; a host has no "fleet hosts" row.
"""

from __future__ import annotations

import re

import pytest

from tests.web.queue_helpers import sign_in_to_queue
from tests.web.test_cluster_panels_and_layout import open_search_result, selection_field

pytestmark = pytest.mark.browser


def test_a_relation_to_an_aggregate_counts_its_members_it_reaches(page, fanout_site):
    sign_in_to_queue(page, fanout_site)
    texts = page.evaluate("""async () => {
      const { default: cytoscape } = await import('/static/vendor/cytoscape.esm.min.js');
      const { relationButtons } = await import('/static/js/relations.js');
      const cy = cytoscape({ headless: true, elements: [
        { data: { id: 'host:ws-1', type: 'host', value: 'ws-1' } },
        { data: { id: 'aggregate:process:per-host', type: 'aggregate', value: '24 processes' } },
        { data: { id: 'domain:x', type: 'domain', value: 'x.example' } },
        { data: { id: 'e1', source: 'host:ws-1', target: 'aggregate:process:per-host', type: 'RAN',
                  aggregate: true, hosts: 2, count: 9 } },
        { data: { id: 'e2', source: 'host:ws-1', target: 'domain:x', type: 'RESOLVED', count: 3 } },
      ] });
      const list = relationButtons(cy.getElementById('host:ws-1'), () => {});
      return [...list.querySelectorAll('button.relation')].map((b) => b.textContent);
    }""")
    assert texts == ["→ RAN 2 of 24 processes", "→ RESOLVED domain x.example (×3)"]


def test_expanding_a_host_counts_nodes_and_relations_as_the_selection_does(page, fanout_site):
    sign_in_to_queue(page, fanout_site)
    open_search_result(page, "ws-0007", "ws-0007")
    page.wait_for_selector("#tool-status:has-text('new relation(s)')")
    status = page.text_content("#tool-status")
    found = re.search(r"expanded ws-0007: (\d+) new node\(s\), (\d+) new relation\(s\); (\d+) relation\(s\) shown at it",
                      status)
    assert found is not None, status
    nodes, relations, shown = (int(g) for g in found.groups())
    drawn = page.evaluate("""() => { const cy = window.graphsiem.clusterView.graph.cy;
      return { nodes: cy.nodes().length, edges: cy.edges().length,
               at: cy.getElementById('host:ws-0007').connectedEdges().length }; }""")
    assert (nodes, relations, shown) == (drawn["nodes"] - 1, drawn["edges"], drawn["at"])  # the host was there first
    assert selection_field(page, "relations shown") == str(shown)
    assert page.text_content("#selection .relations h4") == f"Relations ({shown})"
    page.wait_for_selector("#selection h4:has-text('Prevalence')")
    terms = page.eval_on_selector_all("#selection dt", "dts => dts.map(d => d.textContent)")
    assert "fleet hosts" not in terms and "first seen" in terms
