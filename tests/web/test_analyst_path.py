"""The analyst's path on a simulated fleet, in Chromium against the real service.

simulate (60 hosts, 1 day, seed 7) -> ingest_paths into an embedded store and
the journal -> ``create_app`` on loopback -> detection through the API; then:
sign in -> the queue shows the seed campaign first -> open it -> the graph
shows the aggregate host node, the domain, the file and the script -> expand
the hosts -> click an edge and see its evidence -> set the verdict -> reload
and see it kept.  Screenshots of every step go to test-artifacts/web/.
"""

from __future__ import annotations

import json

import pytest

from tests.web.conftest import screenshot, start_site

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NODES_JS = "() => window.graphsiem.clusterView.graph.cy.nodes().map(n => n.data())"

# The midpoint of an edge touching `uid` that no node covers, so that a real
# click there selects the edge.
EDGE_POINT_JS = """(uid) => {
  const cy = window.graphsiem.clusterView.graph.cy;
  const box = cy.container().getBoundingClientRect();
  const covered = (edge, p) => cy.nodes().some((n) => {
    const b = n.renderedBoundingBox({includeLabels: false});
    return p.x >= b.x1 - 4 && p.x <= b.x2 + 4 && p.y >= b.y1 - 4 && p.y <= b.y2 + 4;
  }) || cy.edges().some((other) => {
    // Another edge through the point (collinear nodes) would take the click.
    if (other.same(edge)) return false;
    const a = other.renderedSourceEndpoint();
    const b = other.renderedTargetEndpoint();
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const t = Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / ((dx * dx + dy * dy) || 1)));
    return Math.hypot(a.x + t * dx - p.x, a.y + t * dy - p.y) < 6;
  });
  for (const edge of cy.getElementById(uid).connectedEdges()) {
    // The midpoint first; a lone edge is a straight line, so points along it are on it too
    // (a denser layout can put a node over the midpoint of every edge of the pivot).
    const points = [edge.renderedMidpoint()];
    if (edge.parallelEdges().length === 1) {
      const a = edge.renderedSourceEndpoint();
      const b = edge.renderedTargetEndpoint();
      for (const t of [0.35, 0.65, 0.25, 0.75, 0.15, 0.85]) {
        points.push({x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y)});
      }
    }
    for (const p of points) {
      if (!covered(edge, p) && p.x > 5 && p.y > 5 && p.x < cy.width() - 5 && p.y < cy.height() - 5) {
        return {x: box.left + p.x, y: box.top + p.y, id: edge.id()};
      }
    }
  }
  return null;
}"""


@pytest.fixture(scope="module")
def fleet_site(tmp_path_factory):
    from graphsiem.simulator import simulate
    from ingest.journal import Journal
    from ingest.pipeline import ingest_paths

    root = tmp_path_factory.mktemp("fleet")
    simulate(root / "fleet", hosts=60, days=1, seed=7)
    truth = json.loads((root / "fleet" / "ground_truth.json").read_text())

    def prepare(store, data_dir):
        journal = Journal(data_dir / "journal.sqlite")
        try:
            report = ingest_paths([root / "fleet" / "endpoint", root / "fleet" / "network"],
                                  store=store, journal=journal, progress=False)
        finally:
            journal.close()
        assert report.total.rejected == 0

    with start_site(root / "data", prepare) as site:
        site.detect()
        site.seed = next(s for s in truth["scenarios"] if s["name"] == "seed_campaign")
        yield site


def test_the_analyst_path(page, fleet_site):
    seed = fleet_site.seed
    clusters = fleet_site.api("GET", "/v1/clusters", params={"limit": 500})["items"]
    seed_cluster = next(c for c in clusters if c["pivot"] == {"type": seed["pivot"]["type"],
                                                               "key": seed["pivot"]["value"]})

    # Sign in: the queue shows the seed campaign first.
    page.goto(fleet_site.url + "/")
    page.fill("#signin-key", fleet_site.keys["analyst"])
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("#queue-body tr")
    first = page.locator("#queue-body tr").first
    assert first.get_attribute("data-cluster-id") == seed_cluster["id"]
    assert seed["pivot"]["value"] in first.inner_text()
    assert page.locator("#queue-body tr").count() == len(clusters)
    screenshot(page, "path-1-queue")

    # Open it: the aggregate host node, the domain, the file and the script.
    first.click()
    page.wait_for_selector("body[data-state=cluster-ready]")
    nodes = page.evaluate(NODES_JS)
    # One node for the hosts (other aggregates group per-host satellites: users, files...).
    aggregate = [n for n in nodes if n["type"] == "aggregate" and n["props"]["member_type"] == "host"]
    assert len(aggregate) == 1
    assert aggregate[0]["label"] == f"{seed['host_count']} hosts"
    values = {(n["type"], n["value"]) for n in nodes}
    keys = {(n["type"], n["key"]) for n in nodes}
    indicators = {(i["type"], i["value"]) for i in seed["indicators"]}
    domain = ("domain", seed["pivot"]["value"])
    assert domain in values
    assert next(i for i in indicators if i[0] == "file") in keys  # the PNG, by its SHA-256
    assert {i for i in indicators if i[0] == "script"} & values  # the cradle's script block
    assert not any(n["type"] == "host" for n in nodes)
    screenshot(page, "path-2-cluster")

    # Per-host satellites are aggregated too (each victim's user): one click opens them, undo closes.
    users = next(n for n in nodes if n["type"] == "aggregate" and n["props"]["member_type"] == "user")
    page.evaluate(f"() => window.graphsiem.clusterView.graph.cy.getElementById('{users['id']}').emit('tap')")
    page.click(f"#selection button:has-text('Expand {users['label']}')")
    expanded = page.evaluate(NODES_JS)
    assert sum(n["type"] == "user" for n in expanded) == users["props"]["members"]
    page.click("#tool-undo")
    assert [n["id"] for n in page.evaluate(NODES_JS) if n["type"] == "user"] == []

    # Expand the hosts into the host table, and collapse back.
    page.click("#tool-hosts")
    page.wait_for_selector("#hosts-panel:not([hidden])")
    hosts = page.eval_on_selector_all("#hosts-table tbody tr", "rows => rows.map(r => r.dataset.host)")
    assert sorted(hosts) == sorted(seed["hosts"])
    screenshot(page, "path-3-hosts")
    page.click("#tool-hosts")
    page.wait_for_selector("#hosts-panel[hidden]", state="attached")

    # Click an edge of the domain: its evidence events, read from the journal.
    point = page.evaluate(EDGE_POINT_JS, f"domain:{seed['pivot']['value']}")
    assert point is not None, "every edge of the domain is covered by a node"
    page.mouse.click(point["x"], point["y"])
    page.wait_for_selector("body[data-evidence=ready]")
    assert page.evaluate("() => window.graphsiem.clusterView.graph.cy.$(':selected').map(e => e.id())") == [point["id"]]
    assert "relation" in page.inner_text("#selection")
    loaded = page.locator("#evidence-table tbody tr:not(.missing)")
    assert loaded.count() >= 1
    assert seed["pivot"]["value"] in page.text_content("#evidence-table")
    screenshot(page, "path-4-evidence")

    # Set the verdict (and an assignee and a note): the audit trail records it.
    page.select_option("#triage-verdict", "malicious")
    page.select_option("#triage-status", "investigating")
    page.fill("#triage-assignee", "alice")
    page.fill("#triage-note", "PNG-borne PowerShell on the seed hosts")
    page.click("#triage-form button[type=submit]")
    page.wait_for_selector("#triage-result:has-text('Saved')")
    page.wait_for_selector("#audit-list li:has-text('verdict')")
    audit = page.inner_text("#audit-list")
    assert "verdict" in audit and "malicious" in audit and "alice" in audit
    screenshot(page, "path-5-verdict")

    # Reload: the verdict is kept (and the key, for this tab only).
    page.reload()
    page.wait_for_selector("body[data-state=cluster-ready]")
    assert page.input_value("#triage-verdict") == "malicious"
    assert page.input_value("#triage-status") == "investigating"
    assert page.input_value("#triage-assignee") == "alice"
    assert "PNG-borne PowerShell" in page.inner_text("#audit-list")
    page.click("a.back")
    page.wait_for_selector(f"#queue-body tr[data-cluster-id='{seed_cluster['id']}']")
    row = page.locator(f"#queue-body tr[data-cluster-id='{seed_cluster['id']}']").inner_text()
    assert "malicious" in row and "investigating" in row
    screenshot(page, "path-6-queue-after")
    assert page.watch.errors == [] and page.watch.csp_violations == []


def test_queue_sorts_and_filters(page, fleet_site):
    page.goto(fleet_site.url + "/")
    page.fill("#signin-key", fleet_site.keys["analyst"])
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("#queue-body tr")
    risks = [float(t) for t in page.eval_on_selector_all("#queue-body td.risk", "c => c.map(x => x.innerText)")]
    assert risks == sorted(risks, reverse=True)

    page.click("th[data-sort=host_count]")
    # Each part is sorted: the rows shown, then the low-signal ones folded under them (queue_fold.js).
    for part in ("tr:not(.is-low-signal)", "tr.is-low-signal"):
        counts = [int(t) for t in page.eval_on_selector_all(f"#queue-body {part} td:nth-child(3)", "c => c.map(x => x.textContent)")]
        assert counts == sorted(counts, reverse=True)

    page.fill("#filter-min-score", "80")
    page.dispatch_event("#filter-min-score", "change")
    page.wait_for_function("() => [...document.querySelectorAll('#queue-body td.risk')].every(c => Number(c.innerText) >= 80)")
    expected = len(fleet_site.api("GET", "/v1/clusters", params={"min_score": 80, "limit": 500})["items"])
    assert page.locator("#queue-body tr").count() == expected

    # The text filter narrows the rows in the page (summary, hosts, entity values).
    total = page.locator("#queue-body tr").count()
    page.fill("#filter-text", fleet_site.seed["pivot"]["value"])
    rows = page.locator("#queue-body tr")
    assert 1 <= rows.count() < total
    assert fleet_site.seed["pivot"]["value"] in rows.first.inner_text()
