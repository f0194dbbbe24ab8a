"""The page over the Neo4j store: a cluster opens the same way, and the view's
"copy as Cypher" runs in Neo4j with its parameters and returns that view."""

from __future__ import annotations

import json

import pytest

from tests.web.conftest import screenshot, start_site
from tests.web.support import synthesise_fanout

pytestmark = [pytest.mark.browser, pytest.mark.neo4j]

HOSTS = 30


def test_cluster_view_and_copied_cypher_on_neo4j(page, neo4j_store, neo4j_server, tmp_path):
    prepare = lambda store, data_dir: synthesise_fanout(store, data_dir, hosts=HOSTS)  # noqa: E731
    with start_site(tmp_path, prepare, store=neo4j_store) as site:
        page.goto(site.url + "/")
        page.fill("#signin-key", site.keys["analyst"])
        page.click("#signin-form button[type=submit]")
        page.click("#queue-body tr")
        page.wait_for_selector("body[data-state=cluster-ready]")
        labels = page.evaluate("() => window.graphsiem.clusterView.graph.cy.nodes().map(n => n.data('label'))")
        assert f"{HOSTS} hosts" in labels
        screenshot(page, "neo4j-cluster")
        page.click("#copy-cypher")
        text = page.input_value("#copy-output")

    params = json.loads(next(line for line in text.splitlines()
                             if line.startswith("// params: ")).removeprefix("// params: "))
    query = "\n".join(line for line in text.splitlines()
                      if line and not line.startswith(("//", ":param"))).rstrip(";")
    from neo4j import GraphDatabase

    with GraphDatabase.driver(neo4j_server.uri, auth=(neo4j_server.user, neo4j_server.password)) as driver:
        records, _, _ = driver.execute_query(query, params, database_=neo4j_server.database)
    nodes = {r["n"]["uid"] for r in records}
    relations = {r["r"].element_id for r in records if r["r"] is not None}
    assert nodes == set(params["uids"])
    assert len(nodes) == HOSTS + 6
    assert len(relations) == HOSTS * 5 + 3
