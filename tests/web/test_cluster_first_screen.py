"""The cluster page after review R4 (items 5, 6, 7, 11 and 12), in Chromium against the real service.

One synthesised 120-host fan-out cluster, plus a host-to-host logon the day
before the campaign (a host's earliest edge that is not its contact with the
cluster), a script member whose 235-character text the store keeps cut at
200 in its value, checks, and features of which two add nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from graphsiem.model import Entity, Relation
from tests.web.conftest import start_site
from tests.web.queue_helpers import save_detection
from tests.web.support import synthesise_fanout

pytestmark = pytest.mark.browser

START = 1_764_000_000.0
HOSTS = 120
LONG_SCRIPT = "$png = [IO.File]::ReadAllBytes(\"$env:TEMP\\banner.png\"); " + "x" * 150 + " <b>tail</b> END-OF-SCRIPT"
CHECKS = [{"feature": "burst_hosts", "check": "look for a deployment job at 16:00Z",
           "benign_if": "a scheduled deployment explains the timing"}]
FEATURES = [
    {"name": "host_count", "value": HOSTS, "baseline": 3, "contribution": 0.41},
    {"name": "new_member", "value": 0, "baseline": 0, "contribution": 0},
    {"name": "rare_parent", "value": 0, "baseline": 0, "contribution": 0.0},
]
NODES_JS = "window.graphsiem.clusterView.graph.cy"


def _prepare(store, data_dir):
    cluster = synthesise_fanout(store, data_dir, hosts=HOSTS, start=START)
    process = next(m for m in cluster["members"] if m["type"] == "process")
    store.upsert_entities([Entity("script", "s-long", LONG_SCRIPT[:200],
                                  {"text": LONG_SCRIPT, "length": len(LONG_SCRIPT)})])
    store.upsert_relations([
        # ws-0000 logged on to ws-0005 the day before: neither host's contact with the cluster.
        Relation(("host", "ws-0000"), "LOGGED_ON", ("host", "ws-0005"), START - 86_400, START - 86_390, 1,
                 ["ev-logon"]),
        Relation(("process", process["key"]), "EXECUTED", ("script", "s-long"), START, START + 60, 1, ["ev-long"]),
    ])
    store.flush()
    cluster["members"].append({"type": "script", "key": "s-long", "value": LONG_SCRIPT[:200]})
    cluster["explanation"] = {**cluster["explanation"], "checks": CHECKS, "features": FEATURES}
    save_detection(data_dir, "d2", [cluster])


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("first-screen")
    with start_site(data_dir, _prepare) as running:
        running.cluster = running.api("GET", "/v1/clusters")["items"][0]
        yield running


def _open(page, site):
    page.goto(site.url + "/")
    page.fill("#signin-key", site.keys["analyst"])
    page.click("#signin-form button[type=submit]")
    page.click(f"#queue-body tr[data-cluster-id='{site.cluster['id']}']")
    page.wait_for_selector("body[data-state=cluster-ready]")


def _expand_hosts(page):
    page.click("#tool-hosts")
    page.wait_for_selector("#hosts-panel:not([hidden])")


def _fmt(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def test_hosts_are_ordered_by_their_first_contact_with_the_cluster(page, site):
    _open(page, site)
    _expand_hosts(page)
    header = page.inner_text("#hosts-table thead")
    assert "First contact with the cluster (any member)" in header
    # the header's first sighting is of any member too, said to be: the checks' times are the pivot's (U5B #1)
    assert "first seen (any member) " in page.text_content("#cluster-meta")
    rows = page.eval_on_selector_all("#hosts-table tbody tr", """rows => rows.map(r =>
      [...r.cells].map(c => c.textContent))""")
    # The logon of the day before neither leads the order nor shows as a first contact.
    assert [r[0] for r in rows[:7]] == [f"ws-{i:04d}" for i in range(7)]
    ws5 = next(r for r in rows if r[0] == "ws-0005")
    assert ws5[3] == _fmt(START + 5 * 0.5)


def test_a_host_row_selects_its_labelled_node_and_shows_its_details(page, site):
    _open(page, site)
    _expand_hosts(page)
    hosts = page.evaluate(f"""() => {NODES_JS}.nodes('[type = "host"]').map(n => ({{
      label: n.style('label'), px: parseFloat(n.style('font-size')) * {NODES_JS}.zoom()}}))""")
    assert len(hosts) == HOSTS
    # 600 host edges: drawn the cheap way, but every host keeps a readable name.
    assert all(h["label"].startswith("ws-") for h in hosts)
    assert min(h["px"] for h in hosts) >= 10.5
    page.click("#hosts-table tbody tr[data-host='ws-0042'] button.host-show")
    assert page.evaluate(f"() => {NODES_JS}.$(':selected').map(n => n.id())") == ["host:ws-0042"]
    assert "ws-0042" in page.inner_text("#selection")
    page.wait_for_selector("#evidence-caption:has-text('host ws-0042')")
    # The keyboard reaches the same button.
    page.focus("#hosts-table tbody tr[data-host='ws-0007'] button.host-show")
    page.keyboard.press("Enter")
    assert page.evaluate(f"() => {NODES_JS}.$(':selected').map(n => n.id())") == ["host:ws-0007"]


def test_checks_come_first_on_the_first_screen_and_zero_rows_are_folded(page, site):
    page.set_viewport_size({"width": 1280, "height": 720})
    _open(page, site)
    checks_top = page.evaluate("() => document.getElementById('cluster-checks').getBoundingClientRect().top")
    assert 0 < checks_top < 720
    assert page.evaluate("""() => Boolean(document.getElementById('cluster-checks').compareDocumentPosition(
      document.getElementById('explanation-table')) & Node.DOCUMENT_POSITION_FOLLOWING)""")
    triage_top = page.evaluate("() => document.getElementById('triage-form').getBoundingClientRect().top")
    assert triage_top < 720 + 400  # within a short scroll of the side column, was 2,403 px
    visible = page.eval_on_selector_all("#explanation-table tbody tr", "rows => rows.filter(r => r.offsetParent).map(r => r.dataset.feature)")
    assert visible == ["host_count"]
    assert page.inner_text("#features-toggle") == "Show all 3 features (2 add nothing)"
    page.click("#features-toggle")
    visible = page.eval_on_selector_all("#explanation-table tbody tr", "rows => rows.filter(r => r.offsetParent).map(r => r.dataset.feature)")
    assert visible == ["host_count", "new_member", "rare_parent"]
    # Labels stay readable at the fitted zoom (they were 5-6 px).
    sizes = page.evaluate(f"""() => {NODES_JS}.nodes().filter(n => n.style('label')).map(n =>
      parseFloat(n.style('font-size')) * {NODES_JS}.zoom())""")
    assert sizes and min(sizes) >= 10.5


def test_an_edge_and_its_evidence_are_reached_with_the_keyboard(page, site):
    _open(page, site)
    page.focus("#members-list li[data-type=domain] button.member-show")
    page.keyboard.press("Enter")
    buttons = page.locator("#selection button.relation")
    assert buttons.count() >= 2
    label = buttons.first.inner_text()
    buttons.first.focus()
    page.keyboard.press("Enter")
    selected = page.evaluate(f"() => {NODES_JS}.$(':selected').map(e => e.isEdge())")
    assert selected == [True]
    relation = label.split(" ")[1]
    assert relation in page.inner_text("#evidence-caption")


def test_export_case_downloads_the_bundle_and_python_opens_the_service_store(page, site):
    _open(page, site)
    with page.expect_download() as download_info:
        page.click("#export-case")
    download = download_info.value
    assert download.suggested_filename == f"graphsiem-case-{site.cluster['id']}.json"
    bundle = json.loads(open(download.path(), encoding="utf-8").read())
    assert bundle["format"] == "graphsiem.case-bundle/v1"
    assert bundle["cluster"]["id"] == site.cluster["id"]
    assert {m["key"] for m in bundle["cluster"]["members"]} >= {"s-long"}
    assert bundle["cluster"]["subgraph"]["nodes"]
    page.click("#copy-python")
    page.wait_for_function("() => document.getElementById('copy-output').value.includes('open_store(')")
    code = page.input_value("#copy-output")
    assert "embedded:.graphsiem" not in code
    expected = 'store = open_store("embedded", data_dir=os.environ.get("GRAPHSIEM_DATA", ".graphsiem"), reading=True)'
    assert expected in code and "import os" in code
    assert str(site.data_dir) not in code  # the service names no server path
    assert page.watch.errors == [] and page.watch.csp_violations == []


def test_a_member_value_cut_by_the_store_ends_in_an_ellipsis_with_its_whole_text(page, site):
    _open(page, site)
    item = page.locator("#members-list li[data-key='s-long']")
    shown = item.locator(".member-value").inner_text()
    assert shown == LONG_SCRIPT[:200] + "…"
    assert item.locator(".member-value").get_attribute("title") == LONG_SCRIPT
    item.locator("details.member-whole summary").click()
    assert item.locator("details.member-whole pre").inner_text() == LONG_SCRIPT
    # Markup in the script is text.
    assert page.evaluate("() => document.querySelectorAll('#members-list b').length") == 0
