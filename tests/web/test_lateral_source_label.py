"""A lateral movement's source address is drawn with its host (review U2 #1), in Chromium.

Review U2 saw the WMI lateral-movement cluster's source only as ``ip 10.32.2.82`` ("← LOGGED_ON ip
10.32.2.82" on a target host's panel) while the IP map held the address on it-0001 then.  Against the
real service: the simulated fleet of ``tests/analytics/test_evidence_network_logons.py`` (it-0002 to
five servers) ingested with its journal, a real detection, the cluster's page.
"""

from __future__ import annotations

import pytest

from graphsiem.simulator.engine import simulate
from ingest.journal import Journal
from ingest.pipeline import ingest_paths
from tests.web.conftest import start_site
from tests.web.test_hostile_strings import sign_in

pytestmark = pytest.mark.browser


def _ingest_fleet(store, data_dir, extra_scenarios: list[str] | None = None) -> None:
    """Simulate the seed-3 fleet (with ``extra_scenarios``, YAML paths) beside ``data_dir``; ingest it with its journal."""
    telemetry = data_dir.parent / "telemetry"
    simulate(telemetry, hosts=120, days=2, seed=3, density=0.3, extra_scenarios=extra_scenarios)
    with Journal(data_dir / "journal.sqlite") as journal:
        ingest_paths([telemetry / "endpoint", telemetry / "network"], store=store, journal=journal, progress=False)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with start_site(tmp_path_factory.mktemp("lateral-source") / "data", _ingest_fleet) as running:
        running.detect()
        yield running


def test_the_source_address_is_labelled_with_its_host(page, site) -> None:
    clusters = site.api("GET", "/v1/clusters", params={"limit": 100})["items"]
    details = [site.api("GET", f"/v1/clusters/{c['id']}") for c in clusters]
    (cluster,) = [d for d in details if d["lateral_sources"]]
    (source,) = cluster["lateral_sources"]
    assert source["host"] == "it-0002" and source["processes"]
    (node,) = [n for n in cluster["subgraph"]["nodes"] if n["id"] == f"ip:{source['ip']}"]
    assert node["props"]["mapped_host"] == "it-0002"

    sign_in(page, site)
    page.goto(f"{site.url}/#/clusters/{cluster['id']}")
    page.wait_for_selector("body[data-state=cluster-ready]")
    label = page.evaluate(f"() => window.graphsiem.clusterView.graph.cy.$id('ip:{source['ip']}').data('label')")
    assert label == f"{source['ip']} (it-0002)"

    # the panel of what the address logged on to (a target host, or the hosts' aggregate) names it-0002
    page.evaluate(f"""() => {{ const view = window.graphsiem.clusterView, cy = view.graph.cy;
        const target = cy.$id('ip:{source['ip']}').connectedEdges('[type = "LOGGED_ON"]').targets()[0];
        cy.elements().unselect(); target.select(); view.select(target); }}""")
    page.wait_for_selector("#selection .relations")
    buttons = page.locator("#selection .relations button.relation").all_inner_texts()
    assert any(f"← LOGGED_ON ip {source['ip']} (it-0002)" in b for b in buttons), buttons
    assert page.watch.errors == []
