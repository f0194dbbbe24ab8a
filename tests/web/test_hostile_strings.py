"""Attacker-controlled strings are shown as text, never run: events whose
command line and URL carry HTML/script payloads go in through POST /v1/events
and are opened in the page (search, graph, details, evidence, queue)."""

from __future__ import annotations

import base64

import pytest

from tests.web.conftest import screenshot, start_site
from tests.web.support import process_creation

pytestmark = pytest.mark.browser

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>window.__xss=1</script>"
SVG = "\"><svg onload=window.__xss=2>"
COMMAND = f"cmd.exe /c echo {IMG} {SCRIPT} {SVG}"
URI = f"/{IMG}{SCRIPT}.png"
HOSTS = [f"xss-{i:02d}" for i in range(6)]
# Hosts that see none of it: six hosts of twenty make the payload process a
# rare fan-out (detection ignores what most of the fleet does).
QUIET_HOSTS = [f"ws-{i:02d}" for i in range(14)]


def hostile_events() -> list[dict]:
    """Sysmon process creations (winlogbeat 7) and Zeek HTTP requests carrying the payloads."""
    events = [process_creation(host, 100 + i, f"2026-11-20T08:{i:02d}:00.000Z", "notepad.exe report.txt")
              for i, host in enumerate(QUIET_HOSTS + HOSTS)]
    for i, host in enumerate(HOSTS):
        ts = f"2026-11-20T09:00:{10 + i:02d}.000Z"
        events.append(process_creation(host, i, ts, COMMAND))
        events.append({
            "_path": "http", "ts": f"2026-11-20T09:01:{10 + i:02d}.000000Z", "uid": f"CXss{i}",
            "id.orig_h": f"10.1.0.{10 + i}", "id.orig_p": 50000 + i, "id.resp_h": "203.0.113.66",
            "id.resp_p": 80, "method": "GET", "host": "xss-payload.example", "uri": URI,
            "status_code": 200, "trans_depth": 1,
        })
    return events


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    with start_site(tmp_path_factory.mktemp("hostile")) as site:
        report = site.api("POST", "/v1/events", role="ingest", json=hostile_events())
        assert report["rejected"] == 0, report["rejections"]
        assert report["accepted"] == len(hostile_events())
        site.wait_until_searchable("onerror")
        site.wait_until_searchable("xss-payload")
        yield site


def assert_nothing_ran(page):
    assert page.watch.dialogs == []
    assert page.watch.errors == []
    assert page.evaluate("() => window.__xss === undefined")
    # No element came out of the data: the page itself has no img, svg or inline script.
    assert page.evaluate("() => document.querySelectorAll('img, svg').length") == 0
    assert page.evaluate("() => [...document.scripts].every(s => s.src.endsWith('/static/js/main.js'))")
    # Nothing was even attempted: an injected inline script would show up as a CSP violation.
    assert page.watch.csp_violations == []


def sign_in(page, site, query: str = "") -> None:
    page.goto(site.url + "/" + query)
    page.fill("#signin-key", site.keys["analyst"])
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("body[data-state=queue]")


def search(page, text):
    page.fill("#search-input", text)
    page.click("#search-form button[type=submit]")
    page.wait_for_selector("#search-results:not([hidden]) li")


def test_payloads_in_search_graph_and_evidence_show_as_text(page, hostile_site):
    sign_in(page, hostile_site)

    search(page, "onerror")
    results = page.inner_text("#search-results")
    assert IMG in results  # the command line and the URL, literally
    screenshot(page, "hostile-search")
    page.click("#search-results button:has-text('cmd.exe')")
    page.wait_for_selector("body[data-state=explore-ready]")
    page.wait_for_function("() => window.graphsiem.clusterView.graph.cy.nodes('[type = \"host\"]').length > 0")
    assert COMMAND in page.inner_text("#selection")
    labels = page.evaluate("() => window.graphsiem.clusterView.graph.cy.nodes().map(n => n.data('value'))")
    assert COMMAND in labels

    # The evidence of the process node: the raw Sysmon records, payload included.
    page.evaluate("() => { const cy = window.graphsiem.clusterView.graph.cy; "
                  "cy.nodes('[type = \"process\"]')[0].emit('tap'); }")
    page.wait_for_selector("body[data-evidence=ready]")
    rows = page.locator("#evidence-table tbody tr:not(.missing)")
    assert rows.count() == len(HOSTS)  # one process creation per host, read from the journal
    assert f"process.command_line: {COMMAND}" in rows.first.inner_text()
    assert COMMAND.replace('"', '\\"') in rows.first.locator("pre.raw").text_content()
    screenshot(page, "hostile-evidence")
    assert_nothing_ran(page)

    search(page, "xss-payload")
    assert URI.strip("/") in page.inner_text("#search-results") or IMG in page.inner_text("#search-results")
    page.click("#search-results button:has-text('http://')")
    page.wait_for_function(
        "() => window.graphsiem.clusterView.graph.cy.nodes('[type = \"url\"]').length > 0")
    assert IMG in page.inner_text("#selection")
    assert_nothing_ran(page)


def test_new_clusters_appear_without_reload_and_show_payloads_as_text(page, hostile_site):
    # ?poll=500: the queue refreshes every half second (5 s by default).
    sign_in(page, hostile_site, "?poll=500")
    page.wait_for_selector("#queue-status:has-text('clusters')")
    before = page.locator("#queue-body tr").count()

    run = hostile_site.detect()
    assert run["cluster_count"] > before
    page.wait_for_function(f"() => document.querySelectorAll('#queue-body tr').length == {run['cluster_count']}")
    assert page.locator("#queue-body tr.is-new .badge").count() == run["cluster_count"] - before
    screenshot(page, "hostile-queue-new")

    # Open the cluster whose members carry the payloads: summary, graph and panels as text.
    clusters = hostile_site.api("GET", "/v1/clusters", params={"limit": 500})["items"]
    hostile = next(c for c in clusters if any(IMG in e["value"] for e in c["entities"]))
    page.click(f"#queue-body tr[data-cluster-id='{hostile['id']}']")
    page.wait_for_selector("body[data-state=cluster-ready]")
    values = page.evaluate("() => window.graphsiem.clusterView.graph.cy.nodes().map(n => n.data('value'))")
    assert any(IMG in v for v in values)
    page.evaluate("""() => { const cy = window.graphsiem.clusterView.graph.cy;
                     cy.nodes().filter(n => (n.data('value') || '').includes('onerror'))[0].emit('tap'); }""")
    page.wait_for_selector("body[data-evidence=ready]")
    assert IMG in page.inner_text("#selection")
    screenshot(page, "hostile-cluster")
    assert_nothing_ran(page)


# A stager whose payload is only visible decoded: the search finds it by a word
# of the decoded script and shows that script's markup as text.
DECODED = f"{IMG} Write-Host 'WombatBeacon' {SCRIPT}"
ENCODED_COMMAND = "powershell.exe -nop -w hidden -enc " + base64.b64encode(
    DECODED.encode("utf-16-le")).decode("ascii")


@pytest.fixture(scope="module")
def encoded_site(tmp_path_factory):
    with start_site(tmp_path_factory.mktemp("encoded")) as site:
        events = [process_creation("enc-01", 1, "2026-11-20T09:00:00.000Z", ENCODED_COMMAND)]
        report = site.api("POST", "/v1/events", role="ingest", json=events)
        assert report["accepted"] == 1, report
        site.wait_until_searchable("wombatbeacon")
        yield site


def test_a_decoded_command_hit_shows_its_snippet_as_text(page, encoded_site):
    sign_in(page, encoded_site)

    search(page, "wombatbeacon")
    match = page.locator("#search-results .match")
    assert match.count() == 1
    assert match.inner_text() == f"decoded_command: {DECODED}"
    # Only the snippet names the word: the value shown is the base64 command line.
    button = page.inner_text("#search-results button")
    assert "WombatBeacon" not in button.replace(match.inner_text(), "")
    screenshot(page, "decoded-command-search")
    assert_nothing_ran(page)
    page.click("#search-results button:has-text('powershell.exe')")
    page.wait_for_selector("body[data-state=explore-ready]")
    assert ENCODED_COMMAND in page.inner_text("#selection")
    assert_nothing_ran(page)
