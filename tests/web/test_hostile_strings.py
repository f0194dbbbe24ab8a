"""Attacker-controlled strings are shown as text, never run: events whose
command line and URL carry HTML/script payloads go in through POST /v1/events
and are opened in the page (search, graph, details, evidence, queue)."""

from __future__ import annotations

import pytest

from tests.web.conftest import screenshot, start_site

pytestmark = pytest.mark.browser

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>window.__xss=1</script>"
SVG = "\"><svg onload=window.__xss=2>"
COMMAND = f"cmd.exe /c echo {IMG} {SCRIPT} {SVG}"
URI = f"/{IMG}{SCRIPT}.png"
HOSTS = [f"xss-{i:02d}" for i in range(6)]


def hostile_events() -> list[dict]:
    """Sysmon process creations (winlogbeat 7) and Zeek HTTP requests carrying the payloads."""
    events = []
    for i, host in enumerate(HOSTS):
        ts = f"2026-11-20T09:00:{10 + i:02d}.000Z"
        events.append({
            "@timestamp": ts,
            "winlog": {
                "channel": "Microsoft-Windows-Sysmon/Operational", "event_id": 1,
                "computer_name": f"{host}.corp.example", "record_id": 1000 + i,
                "event_data": {
                    "UtcTime": ts.replace("T", " ").rstrip("Z"),
                    "ProcessGuid": f"{{00000000-0000-0000-0000-{i:012d}}}", "ProcessId": str(4000 + i),
                    "Image": "C:\\Windows\\System32\\cmd.exe", "CommandLine": COMMAND,
                    "ParentImage": "C:\\Windows\\explorer.exe", "ParentProcessId": "100",
                    "ParentProcessGuid": "{00000000-0000-0000-0000-000000000001}",
                    "ParentCommandLine": "C:\\Windows\\explorer.exe", "User": "CORP\\alice",
                },
            },
        })
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


def search(page, text):
    page.fill("#search-input", text)
    page.click("#search-form button[type=submit]")
    page.wait_for_selector("#search-results:not([hidden]) li")


def test_payloads_in_search_graph_and_evidence_show_as_text(page, hostile_site):
    page.goto(hostile_site.url + "/")
    page.fill("#signin-key", hostile_site.keys["analyst"])
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("body[data-state=queue]")

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
